"""Demo exams and marks: pupils keep their relative strength across exams, classes differ."""
from __future__ import annotations

import random

from app.db.writes import new_id

# key, name, type, scope, term key, date, policy, grade shift (-1: last year's grades), subjects
# (code, grades the subject is examined in or None for all).
EXAMS: list[tuple[str, str, str, str, str, str, str, int, list[tuple[str, tuple[int, ...] | None]]]] = [
    ("prev_final", "2025—2026学年第二学期期末统考", "期末", "乡", "prev", "2026-07-02", "roster", -1,
     [("yw", None), ("sx", None), ("yy", (3, 4, 5)), ("kx", (3, 4, 5))]),
    ("october", "2026年秋季十月月考", "月考", "乡", "cur", "2026-10-16", "sat", 0,
     [("yw", None), ("sx", None), ("yy", (3, 4, 5, 6))]),
    ("midterm", "2026—2027学年第一学期期中统考", "统考", "乡", "cur", "2026-11-12", "roster", 0,
     [("yw", None), ("sx", None), ("yy", (3, 4, 5, 6)), ("df", None), ("kx", None), ("xx", (3, 4, 5, 6)),
      ("ty", None), ("yl", None), ("ms", None)]),
]
HALF_POINTS = ("yw", "sx", "yy")
PAPER = ("yw", "sx", "yy", "df", "kx")
# 音乐, 美术 and 体育 are assessed by grade (000 篇17; app.stats.graded): A/B/C, stored as 1/2/3.
GRADED = ("ty", "yl", "ms")
LEVELS = "A/B/C"


def _on_roster(pupil: dict, date: str, shift: int) -> bool:
    """Was the pupil at this school on the exam date?"""
    if shift and (pupil["grade"] + shift < 1 or pupil["status"] == "转入"):
        return False
    if pupil["status"] in ("转出", "休学") and pupil["status_date"] and pupil["status_date"] <= date:
        return False
    if pupil["status"] == "转入" and pupil["status_date"] > date:
        return False
    return True


def make_marks(rng: random.Random, townships, pupils: list[dict], subject_ids: dict[str, str],
               terms: dict[str, str]) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Return rows for exam, exam_grade, exam_subject and mark for the demo's three exams."""
    township_id = townships[0].id if len(townships) == 1 else None
    exams, exam_grades, exam_subjects, marks = [], [], [], []
    skill: dict[tuple[int, str], float] = {}
    drift = {}  # class effect this term relative to last year: a teacher effect
    for township in townships:
        for school in township.schools:
            for cls in school.classes:
                drift[cls.id] = rng.gauss(0, 0.15)
    for key, name, kind, scope, term, date, policy, shift, subjects in EXAMS:
        exam_id = new_id()
        grades = sorted({g + shift for g in range(1, 7) if 1 <= g + shift <= 6})
        exams.append({"id": exam_id, "school_id": None, "township_id": township_id, "name": name, "type": kind,
                      "scope": scope, "term_id": terms[term], "date": date, "policy": policy})
        exam_grades += [{"exam_id": exam_id, "grade": g} for g in grades]
        difficulty = {code: rng.gauss(0, 0.03) for code, _ in subjects}
        for code, only in subjects:
            graded = code in GRADED
            exam_subjects.append({"exam_id": exam_id, "subject_id": subject_ids[code],
                                  "full_marks": 3 if graded else 100,
                                  "grades": ",".join(map(str, only)) if only else None, "excellent_pct": 85,
                                  "pass_pct": 60, "low_pct": 40, "assessment": "等级" if graded else "分数",
                                  "levels": LEVELS if graded else None})
        for index, pupil in enumerate(pupils):
            if not _on_roster(pupil, date, shift):
                continue
            grade = pupil["grade"] + shift
            cls = pupil["_class"]
            class_id = cls.previous_id if shift else cls.id
            absent_all = rng.random() < 0.015
            for code, only in subjects:
                if only and grade not in only:
                    continue
                status, score = "正常", None
                if absent_all or rng.random() < 0.004:
                    status = "缺考"
                elif code == "ty" and pupil["pe_exempt"]:
                    status = "免考"
                elif pupil["disabled"] and code in PAPER and rng.random() < 0.5:
                    status = "免考"
                elif rng.random() < 0.0003:
                    status = "作弊"
                else:
                    ability = skill.get((index, code))
                    if ability is None:
                        ability = skill[(index, code)] = 0.8 * pupil["_ability"] + 0.6 * rng.gauss(0, 1)
                    z = ability + pupil["_school"].effect + cls.effect + (0 if shift else drift[cls.id]) \
                        + rng.gauss(0, 0.4)
                    if code in PAPER:
                        pct = 0.74 + 0.13 * z + difficulty[code] - 0.02 * grade
                    else:
                        pct = 0.86 + 0.07 * z + difficulty[code]
                    pct = min(1.0, max(0.0, pct))
                    if code in GRADED:
                        score = 1.0 if pct >= 0.85 else 2.0 if pct >= 0.6 else 3.0
                    else:
                        score = round(pct * 200) / 2 if code in HALF_POINTS else float(round(pct * 100))
                marks.append({"id": new_id(), "school_id": pupil["school_id"], "exam_id": exam_id,
                              "pupil_id": pupil["id"], "subject_id": subject_ids[code], "class_id": class_id,
                              "grade": grade, "score": score, "status": status})
    return exams, exam_grades, exam_subjects, marks
