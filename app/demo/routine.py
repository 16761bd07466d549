"""The demo's lesson observations and routine checks for the current term, up to the demo's today.

Each school's leaders have observed lessons at their school (the central school's leaders also
the 走教 teachers at the 教学点, a 教学点 head the 走教 teachers who come to it): most are about
on the term's pace, some behind, and one keen 教研组长 or 年级组长 per township already past the
quota. The school's 教导主任 (for a 教学点, the central school's) has checked most teachers on the
seven links 备讲批辅考思研, school by school on the same few days, the way checks are done.
Every row passes the checks record_observation and record_check make, then goes in in bulk.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import random

from sqlite_utils import Database

from app.db.writes import SYSTEM, bulk_insert
from app.demo.layout import DemoSchool, DemoTeacher, DemoTownship
from app.routine.checks import check_row, routine_sheets
from app.routine.observations import observation_form, observation_row, term_fraction

HOLIDAYS = (dt.date(2026, 10, 1), dt.date(2026, 10, 7))   # 国庆 week: no lessons
GOOD_NOTES = ("目标明确,精讲多练,学生参与充分。", "课堂节奏紧凑,当堂检测落实到位。", "注重启发引导,学生思维活跃。")
FAIR_NOTES = ("教学环节完整,个别学生参与不够。", "板书清楚,练习设计可再分层。", "重点突出,难点突破还可更扎实。")
WEAK_NOTES = ("重难点处理不够,建议加强集体备课。", "课堂组织偏松散,当堂练习未完成。")
TALK_NOTE = "教师讲授时间偏长,建议压缩到 15 分钟以内。"
WEAK_CHECK_NOTES = {"备": "教案环节不全,部分课时缺教学反思。", "讲": "讲授偏多,练习时间不足。",
                    "批": "作业批改不够及时,订正未跟进。", "辅": "辅导记录不全。", "考": "单元检测后缺少质量分析。",
                    "思": "反思流于形式,缺少改进措施。", "研": "集体备课参与次数不足。"}
# When a school checks each link (first day of the window, days in it) and how often a teacher is
# checked on it by the demo's today: 备 and 批 twice a term (the second round in November for some).
CHECK_ROUNDS = (("备", (9, 21), 8, 1.0), ("批", (10, 12), 12, 1.0), ("讲", (10, 19), 20, 0.6),
                ("考", (10, 20), 9, 0.7), ("辅", (10, 26), 10, 0.5), ("思", (11, 2), 8, 0.5),
                ("研", (9, 28), 30, 0.6), ("备", (11, 2), 9, 0.6), ("批", (11, 9), 5, 0.5))
CHECKED_SHARE = 0.88


def school_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Return the weekdays from `start` to `end` (both included) outside the 国庆 holiday."""
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5 and not HOLIDAYS[0] <= d <= HOLIDAYS[1]]


def _mark(rng: random.Random, maximum: float, level: float, spread: float = 0.06) -> int:
    return max(0, min(int(maximum), round(maximum * rng.gauss(level, spread))))


def _targets(rng: random.Random, observers: list[tuple[DemoTeacher, int]], fraction: float) -> list[int]:
    """How many lessons each observer has observed: one keen observer with the smallest quota past it,
    about a third behind the term's pace, the rest on it or a little ahead."""
    keen = min(range(len(observers)), key=lambda i: (observers[i][1], observers[i][0].staff_no), default=None)
    out = []
    for i, (_teacher, quota) in enumerate(observers):
        expected = math.floor(quota * fraction + 1e-9)
        if i == keen:
            out.append(quota + rng.randint(1, 3))
        elif rng.random() < 0.35:
            out.append(round(expected * rng.uniform(0.3, 0.75)))
        else:
            out.append(expected + rng.randint(0, 3))
    return out


def _observations(rng: random.Random, township: DemoTownship, lessons: dict, quality: dict, days: list[dt.date],
                  fraction: float, form: dict, quotas: dict) -> list[dict]:
    central = next(s for s in township.schools if s.type == "中心校本部")
    travelling = [a for s in township.schools if s.type == "教学点" for a in lessons[s.id] if a[2].sites]
    observers = [(t, max((quotas[r] for r in t.roles if r in quotas), default=0))
                 for s in township.schools for t in s.teachers]
    observers = [(t, q) for t, q in observers if q]
    values = []
    for (observer, _quota), count in zip(observers, _targets(rng, observers, fraction)):
        pool = [a for a in lessons[observer.school.id] + (travelling if observer.school is central else [])
                if a[2] is not observer]
        if not pool:
            continue
        weights = list(itertools.accumulate(a[3] for a in pool))
        for day in sorted(rng.sample(days, min(count, len(days)))):
            cls, subject_id, teacher, _periods = rng.choices(pool, cum_weights=weights)[0]
            level = quality[teacher.id]
            ratings = {item["key"]: _mark(rng, item["max"], level) for item in form["items"]}
            talk = max(5, min(30, round(rng.gauss(14 if level > 0.8 else 17, 3.5))))
            practice = max(5, min(35, round(rng.gauss(33 - talk, 3))))
            score = sum(ratings.values())
            notes = (rng.choice(GOOD_NOTES) if score >= 90 else rng.choice(FAIR_NOTES) if score >= 78
                     else rng.choice(WEAK_NOTES)) if rng.random() < 0.6 else None
            if talk > 15 and rng.random() < 0.5:
                notes = TALK_NOTE
            values.append({"observer_id": observer.id, "teacher_id": teacher.id, "date": day.isoformat(),
                           "class_id": cls.id, "subject_id": subject_id,
                           "ratings": {**ratings, "talk_minutes": talk, "practice_minutes": practice},
                           "notes": notes})
    return values


def _checker(school: DemoSchool, central: DemoSchool, teacher: DemoTeacher) -> DemoTeacher | None:
    """The school's 教导主任 (a 教学点 is checked by the central school's); the 校长 checks the 教导主任."""
    home = central if school.type == "教学点" else school
    for role in ("教导主任", "校长", "副校长"):
        found = next((t for t in home.teachers if role in t.roles and t is not teacher), None)
        if found:
            return found
    return None


def _checks(rng: random.Random, township: DemoTownship, quality: dict, sheets: dict, today: dt.date) -> list[dict]:
    central = next(s for s in township.schools if s.type == "中心校本部")
    values = []
    for school in township.schools:
        rounds = []
        for link, (month, day), length, share in CHECK_ROUNDS:
            start = dt.date(today.year, month, day)
            window = [d for d in school_days(start, start + dt.timedelta(days=length)) if d <= today]
            if window:
                first = rng.randrange(len(window))
                rounds.append((link, window[first:first + 3], share))
        for teacher in school.teachers:
            if rng.random() >= CHECKED_SHARE:
                continue
            checker = _checker(school, central, teacher)
            level = min(0.98, quality[teacher.id] + 0.03)
            for link, dates, share in rounds:
                if rng.random() >= share:
                    continue
                scores = {item["key"]: _mark(rng, item["max"], level, 0.07) for item in sheets[link]["items"]}
                full = sum(item["max"] for item in sheets[link]["items"])
                weak = sum(scores.values()) < 0.72 * full
                values.append({"teacher_id": teacher.id, "checker_id": checker.id if checker else None,
                               "date": rng.choice(dates).isoformat(), "link": link, "scores": scores,
                               "notes": WEAK_CHECK_NOTES[link] if weak and rng.random() < 0.7 else None})
    return values



def seed_routine(db: Database, rng: random.Random, townships: list[DemoTownship], assignments: list,
                 subject_ids: dict, term_id: str, today: dt.date) -> tuple[int, int]:
    """Write the demo's observations and routine checks for the term `term_id` up to `today`;
    return (observations, checks). Raises ValidationError should a generated row not pass."""
    term = dict(next(iter(db.query("SELECT * FROM term WHERE id = ?", [term_id]))))
    preset, form = observation_form(db, None)
    quotas = preset.content["quotas"]
    sheets = routine_sheets(db).content["links"]
    fraction = term_fraction(term, today)
    days = school_days(dt.date.fromisoformat(term["start_date"]) + dt.timedelta(days=7), today)
    lessons: dict[str, list] = {}
    for cls, code, teacher, periods in assignments:
        lessons.setdefault(cls.school.id, []).append((cls, subject_ids[code], teacher, periods))
    observations, checks = [], []
    for township in townships:
        quality = {t.id: min(0.97, max(0.6, rng.gauss(0.84, 0.06)))
                   for s in township.schools for t in s.teachers}
        observations += _observations(rng, township, lessons, quality, days, fraction, form, quotas)
        checks += _checks(rng, township, quality, sheets, today)
    forms: dict = {}
    rows = [observation_row(db, v, forms) for v in observations]
    bulk_insert(db, SYSTEM, "lesson_observation", rows, "演示数据:听课记录")
    routine: dict = {}
    rows = [check_row(db, v, routine) for v in checks]
    bulk_insert(db, SYSTEM, "routine_check", rows, "演示数据:教学常规检查")
    return len(observations), len(checks)
