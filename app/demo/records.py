"""The demo's school records for the current term: a few pupils who left (控辍保学), and for the first
township the classes' written homework, the teachers' home visits and the 集体备课 sessions.

They come from their own random stream (seeded from the demo's seed), so the rest of the demo —
pupils, marks, observations — stays exactly as it was without them.
"""
from __future__ import annotations

import datetime as dt
import json
import random

from app.db.writes import SYSTEM, bulk_insert
from app.demo.routine import school_days

# (status date, reason) of the pupils who left after the mid-term exam; the last came back.
DROPOUTS = (("2026-11-13", "随父母外出务工,未办转学手续"), ("2026-11-13", "厌学,多次劝返未果"),
            ("2026-11-14", "家庭困难,在家照顾弟妹"))
RETURNED = (("2026-11-13", "流失", "沉迷网络,不愿到校"), ("2026-11-16", "在读", "经家访劝返复学"))


def mark_dropouts(rng: random.Random, pupils: list[dict]) -> list[dict]:
    """Mark a few pupils of grades 4–6 (在读) as 流失 — one of them back 在读 after a home visit —
    changing their rows in `pupils`; return the pupil_status_change rows to write after the pupils."""
    candidates = [p for p in pupils if p["status"] == "在读" and p["grade"] >= 4]
    chosen = rng.sample(candidates, min(len(candidates), len(DROPOUTS) + 1))
    changes = []
    for pupil, (day, reason) in zip(chosen, DROPOUTS):
        pupil["status"], pupil["status_date"] = "流失", day
        changes.append({"school_id": pupil["school_id"], "pupil_id": pupil["id"], "status": "流失",
                        "date": day, "note": reason})
    if len(chosen) > len(DROPOUTS):
        back = chosen[-1]
        for day, status, note in RETURNED:
            changes.append({"school_id": back["school_id"], "pupil_id": back["id"], "status": status,
                            "date": day, "note": note})
        back["status"], back["status_date"] = RETURNED[-1][1], RETURNED[-1][0]
    return changes


def seed_homework(db, rng: random.Random, township, subject_ids: dict[str, str], term_id: str,
                  today: dt.date) -> int:
    """Write the written homework of every class of `township` for the school days of the last five
    weeks up to `today` (the 班主任's daily entries): grades 1–2 none (one 复式 class of a 教学点 now
    and then a little 语文, which the check flags), grades 3–6 mostly 35–55 minutes a day, and one
    class per township that often runs over 60. Returns the rows written."""
    days = school_days(today - dt.timedelta(days=34), today)
    classes = [c for s in township.schools for c in s.classes]
    heavy = next((c for c in classes if min(c.grades) >= 5), None)
    lower = next((c for c in classes if min(c.grades) <= 2 and c.school.type == "教学点"), None)
    rows = []
    for cls in classes:
        for day in days:
            if min(cls.grades) <= 2:
                if cls is lower and rng.random() < 0.2:
                    rows.append(_homework(cls, day, subject_ids["yw"], 10, term_id))
                continue
            extra = 18 if cls is heavy and rng.random() < 0.7 else 0
            minutes = {"yw": rng.randint(12, 25) + extra, "sx": rng.randint(10, 22), "yy": rng.choice((0, 5, 10))}
            rows += [_homework(cls, day, subject_ids[code], m, term_id) for code, m in minutes.items() if m]
    bulk_insert(db, SYSTEM, "homework_log", rows, "演示数据:作业时间")
    return len(rows)


def _homework(cls, day: dt.date, subject_id: str, minutes: int, term_id: str) -> dict:
    return {"school_id": cls.school.id, "term_id": term_id, "class_id": cls.id, "date": day.isoformat(),
            "subject_id": subject_id, "minutes": minutes, "note": None}


VISIT_NOTES = ("父母在外务工,由祖父母照看,作业无人辅导,已与家长电话沟通学习安排。", "学生在家能按时完成作业,家长支持学校工作。",
               "家长反映孩子晚上看手机时间偏长,商定由家长督促按时休息。", "留守儿童,情绪较稳定,鼓励其多参加集体活动。",
               "家庭经济困难,已告知资助政策。", "学生近期成绩下滑,与家长商定每周反馈一次学习情况。")
WAY_WEIGHTS = (("上门", 0.6), ("电话", 0.25), ("视频", 0.1), ("到校面谈", 0.05))
TOPICS = {"yw": ("第一单元 识字与写字", "第三单元 习作指导", "古诗词教学", "第五单元 阅读策略", "期中复习安排", "第七单元 口语交际"),
          "sx": ("万以内的加法和减法", "多位数乘一位数", "分数的初步认识", "期中质量分析", "长方形和正方形", "解决问题的策略")}


def _way(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for way, weight in WAY_WEIGHTS:
        total += weight
        if roll < total:
            return way
    return WAY_WEIGHTS[0][0]


def seed_visits(rng: random.Random, township, pupils: list[dict], status_changes: list[dict], term_id: str,
                today: dt.date) -> list[dict]:
    """Return the 家访 rows of `township` this term up to `today`: each 班主任 3–12 visits to pupils of
    their class (left-behind pupils first), and the 班主任's visit to each pupil who left the next day
    (劝返)."""
    days = school_days(dt.date(today.year, 9, 7), today)
    by_class: dict[str, list[dict]] = {}
    for pupil in pupils:
        by_class.setdefault(pupil["class_id"], []).append(pupil)
    rows = []
    for school in township.schools:
        for cls in school.classes:
            mine = sorted(by_class.get(cls.id, []), key=lambda p: (-p["left_behind"], rng.random()))
            for pupil in mine[:rng.randint(3, 12)]:
                rows.append({"school_id": school.id, "term_id": term_id, "pupil_id": pupil["id"],
                             "teacher_id": cls.head_teacher.id, "date": rng.choice(days).isoformat(),
                             "way": _way(rng), "notes": rng.choice(VISIT_NOTES)})
    classes = {c.id: c for s in township.schools for c in s.classes}
    placed = {p["id"]: p for p in pupils}
    for change in status_changes:
        pupil = placed[change["pupil_id"]]
        cls = classes.get(pupil["class_id"])
        if change["status"] != "流失" or cls is None:
            continue
        day = min(today, dt.date.fromisoformat(change["date"]) + dt.timedelta(days=1))
        rows.append({"school_id": pupil["school_id"], "term_id": term_id, "pupil_id": pupil["id"],
                     "teacher_id": cls.head_teacher.id, "date": day.isoformat(), "way": "上门",
                     "notes": f"控辍保学家访劝返:{change['note']}。已向家长宣传义务教育法,约定再次回访。"})
    return rows


def seed_sessions(rng: random.Random, township, term_id: str, today: dt.date) -> list[dict]:
    """Return the 集体备课 rows of `township`'s central school and 完小 this term up to `today`: a 语文组
    and a 数学组 each, on the Wednesdays of the second and fourth weeks, led by a teacher of the
    subject (the 教研组长 when there is one), attended by most of the school's teachers of that
    subject; the first group missed its second session in October."""
    rows = []
    skipped = False
    for school in township.schools:
        if school.type == "教学点":
            continue
        for code, group in (("yw", "语文组"), ("sx", "数学组")):
            members = [t for t in school.teachers if code in t.subjects]
            if len(members) < 2:
                continue
            lead = next((t for t in members if "教研组长" in t.roles), members[0])
            topics = list(TOPICS[code])
            for month in (9, 10, 11):
                first = dt.date(today.year, month, 1)
                first += dt.timedelta(days=(2 - first.weekday()) % 7)  # the month's first Wednesday
                for index, day in enumerate((first + dt.timedelta(days=7), first + dt.timedelta(days=21))):
                    if day > today:
                        continue
                    if not skipped and month == 10 and index == 1:
                        skipped = True
                        continue
                    rows.append({"school_id": school.id, "term_id": term_id, "group_name": group,
                                 "date": day.isoformat(), "lead_id": lead.id,
                                 "topic": topics[(month - 9) * 2 + index],
                                 "attendee_ids": json.dumps([t.id for t in members if t is lead or rng.random() < 0.9]),
                                 "notes": None})
    return rows
