"""What the marks grid shows beside the marks it holds: a pupil's 总分 and whether a mark is 不及格
or 优秀 under the exam's cut-offs. The rules are those of app.stats.pupils (per-pupil results):
the 总分 adds the real scores of the scored subjects (缺考, 免考 and 作弊 add nothing); a subject
marked in 等级 has no score and is left out.
"""
from __future__ import annotations

from app.stats.graded import is_graded

Mark = tuple[float | None, str]


def is_scored(subject: dict) -> bool:
    """Return True when the subject is marked in points (not in 等级, app.stats.graded)."""
    return not subject.get("graded") and not is_graded(subject) and subject.get("full_marks") is not None


def pupil_total(marks: dict[str, Mark], subjects: list[dict]) -> float | None:
    """Return the 总分 of one pupil's marks {subject_id: (score, status)} over the scored
    `subjects`, or None when the pupil has no mark in any of them."""
    total, any_mark = 0.0, False
    for subject in subjects:
        if not is_scored(subject):
            continue
        mark = marks.get(subject["subject_id"])
        if mark is None:
            continue
        any_mark = True
        score, status = mark
        if status == "正常" and score is not None:
            total += score
    return total if any_mark else None


def mark_band(mark: Mark | None, subject: dict, grade: int) -> str | None:
    """Return "不及格" below the pass line, "优秀" at or above the excellent line, else None, for a
    real score of `subject` (a dict with full_marks, default_cutoffs and cutoffs by grade, as
    app.services.exams.exam_subjects gives it) in `grade`."""
    if mark is None or mark[1] != "正常" or mark[0] is None or not is_scored(subject):
        return None
    cuts = subject.get("cutoffs", {}).get(grade) or subject["default_cutoffs"]
    pct = mark[0] * 100
    if pct >= cuts["excellent_pct"] * subject["full_marks"]:
        return "优秀"
    if pct < cuts["pass_pct"] * subject["full_marks"]:
        return "不及格"
    return None
