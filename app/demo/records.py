"""The demo's school records for the current term: a few pupils who left (控辍保学), and for the first
township the classes' written homework.

They come from their own random stream (seeded from the demo's seed), so the rest of the demo —
pupils, marks, observations — stays exactly as it was without them.
"""
from __future__ import annotations

import datetime as dt
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
