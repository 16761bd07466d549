"""The exams a cohort trend looks back on, and how a chart names them: read by 质量分析 and by the
reports alike (reports build on queries, never the other way round)."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.keys import number_of
from app.services.exams import get_exam

MAX_TREND_EXAMS = 6


def exam_label(exam: dict) -> str:
    """Return a short label for an exam on a chart axis: '2026-11 统考'."""
    when = (exam["date"] or exam["term_code"])[:7]
    kind = "期中" if "期中" in exam["name"] and exam["type"] == "统考" else exam["type"]
    return f"{when} {kind}"


def earlier_exams(db: Database, exam: dict, *, school_id: str | None = None) -> list[dict]:
    """Return the exams up to and including `exam` (by term, then date) that have marks (of one
    school if given), oldest first, at most MAX_TREND_EXAMS."""
    where, args = "", [exam["term_code"], exam["term_code"], exam["date"] or ""]
    if school_id:
        where, args = f" AND m.school_no = {number_of('school')}", [*args, school_id]
    ids = [r[0] for r in db.execute(
        "SELECT e.id FROM exam e JOIN term t ON t.id = e.term_id"
        " WHERE (t.code < ? OR (t.code = ? AND IFNULL(e.date, '') <= ?))"
        f" AND EXISTS (SELECT 1 FROM mark m WHERE m.exam_no = {number_of('exam', 'e.id')}"
        f"{where})"
        " ORDER BY t.code DESC, IFNULL(e.date, '') DESC", args)]
    if exam["id"] not in ids:
        ids.insert(0, exam["id"])
    return [get_exam(db, i) for i in reversed(ids[:MAX_TREND_EXAMS])]
