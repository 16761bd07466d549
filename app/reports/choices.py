"""What a report can be made for, for the GUI's choosers: the classes that sat an exam at a school,
the teachers who taught its examined classes, and the reports made lately (kept in the user's data
folder so the list survives a restart). Read-only, except the recent list."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlite_utils import Database

from app.db.keys import number_of
from app.paths import user_data_dir

RECENT_FILE = "recent-reports.json"
MAX_RECENT = 20


def exam_classes(db: Database, exam_id: str, school_id: str, head_teacher_id: str | None = None) -> list[dict]:
    """Return the classes of a school with marks in the exam (only those whose 班主任 is
    `head_teacher_id` if given): id, name, grade (the lowest), head_teacher_id, in grade and
    number order."""
    where, args = "", [exam_id, school_id]
    if head_teacher_id:
        where, args = " AND c.head_teacher_id = ?", [*args, head_teacher_id]
    return [dict(r) for r in db.query(
        "SELECT c.id, c.name, MIN(m.grade) AS grade, c.head_teacher_id FROM class c JOIN class_number n ON n.id = c.id"
        f" JOIN mark m ON m.class_no = n.no AND m.school_no = {number_of('school', 'c.school_id')}"
        f" WHERE m.exam_no = {number_of('exam')} AND c.school_id = ?{where}"
        " GROUP BY c.id ORDER BY MIN(m.grade), c.number, c.name",
        args)]


def exam_teachers(db: Database, exam_id: str, school_id: str) -> list[dict]:
    """Return the teachers (of any school: 走教 teachers included) who taught an examined subject to a
    class of `school_id` in the exam's term: id, staff_no, name, school_code, in 工号 order."""
    return [dict(r) for r in db.query(
        "SELECT DISTINCT t.id, t.staff_no, t.name, s.code AS school_code FROM teaching_assignment a"
        " JOIN teacher t ON t.id = a.teacher_id JOIN school s ON s.id = t.school_id JOIN class c ON c.id = a.class_id"
        " JOIN exam e ON e.term_id = a.term_id"
        " JOIN exam_subject es ON es.exam_id = e.id AND es.subject_id = a.subject_id"
        " WHERE e.id = ? AND c.school_id = ? ORDER BY t.staff_no", [exam_id, school_id])]


def townships(db: Database) -> list[dict]:
    """Return the townships that have schools: id, code, name, in code order."""
    return [dict(r) for r in db.query("SELECT t.id, t.code, t.name FROM township t WHERE EXISTS"
                                      " (SELECT 1 FROM school s WHERE s.township_id = t.id) ORDER BY t.code")]


def _recent_path() -> Path:
    return user_data_dir() / RECENT_FILE


def recent_reports() -> list[dict]:
    """Return the reports made lately whose files still exist, newest first: path, kind, title,
    made (ISO time). A missing or unreadable list is empty."""
    try:
        entries = json.loads(_recent_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("path") and Path(e["path"]).exists()]


def remember_report(path: str | Path, kind: str, title: str, made: dt.datetime | None = None) -> list[dict]:
    """Put a report just made at the top of the recent list (once per file, at most MAX_RECENT)
    and return the list. Raises OSError when the list cannot be written."""
    entry = {"path": str(Path(path).resolve()), "kind": kind, "title": title,
             "made": (made or dt.datetime.now()).isoformat(timespec="seconds")}
    entries = [entry] + [e for e in recent_reports() if e["path"] != entry["path"]]
    entries = entries[:MAX_RECENT]
    target = _recent_path()
    partial = target.with_name(target.name + ".part")
    partial.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(target)
    return entries
