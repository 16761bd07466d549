"""Figures the reports gather from the statistics engine (app.stats), read once per report and
looked up by school, grade, class and subject. Nothing here computes a statistic of its own."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import ValidationError
from app.services.exams import get_exam
from app.stats.groups import group_stats
from app.stats.presets import Preset
from app.stats.progress import progress_values

MAX_TREND_EXAMS = 6


def by_key(records: list[dict], *fields: str) -> dict[tuple, dict]:
    """Return {(record[f] for f in fields): record}."""
    return {tuple(r[f] for f in fields): r for r in records}


def township_reference(levels: dict[str, list[dict]], township_code: str | None) -> dict[tuple, dict]:
    """Return the township records of one township keyed by (grade, subject_code); grade None is
    the township with all grades pooled."""
    return by_key([r for r in levels["township"] if r["township_code"] == township_code], "grade", "subject_code")


def progress_or_note(db: Database, exam: dict, baseline: dict | None, level: str, preset: Preset,
                     **scope) -> tuple[list, str]:
    """Return (progress records of `level`, "") or ([], why there are none); `scope` (school_ids,
    township_id) narrows the groups read as in progress_values."""
    if baseline is None:
        return [], "没有更早的同类考试(同一批学生、同一范围)作基线,无法计算进步值和增值;可以指定基线考试。"
    try:
        return progress_values(db, exam["id"], baseline["id"], level, preset=preset, **scope), ""
    except ValidationError as exc:
        return [], str(exc)


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


def trend(db: Database, exam: dict, preset: Preset, levels: dict[str, list[dict]], *,
          school_code: str | None = None,
          township_code: str | None = None) -> tuple[list[str], dict[str, list[float | None]]]:
    """Return (exam labels, {subject: mean as percent of full marks per exam}) over the earlier
    exams, for the main subjects of `exam`, of one school (all grades) or one township; `levels`
    are the figures of `exam` itself, already computed."""
    school_id = None
    if school_code:
        row = db.execute("SELECT id FROM school WHERE code = ?", [school_code]).fetchone()
        school_id = row[0] if row else None
    exams = earlier_exams(db, exam, school_id=school_id)
    subjects = [s for s in exam["subjects"] if s["is_main"]] or exam["subjects"][:3]
    series: dict[str, list[float | None]] = {s["name"]: [] for s in subjects}
    level = "school" if school_code else "township"
    for past in exams:
        figures = levels[level] if past["id"] == exam["id"] else group_stats(db, past["id"], level, preset=preset)
        records = [r for r in figures if r["grade"] is None and (
            r["school_code"] == school_code if school_code else r["township_code"] == township_code)]
        found = {r["subject_code"]: r for r in records}
        for s in subjects:
            r = found.get(s["code"])
            series[s["name"]].append(None if r is None or r["mean_pct"] is None else 100 * r["mean_pct"])
    return [exam_label(e) for e in exams], series
