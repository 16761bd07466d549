"""One mark's history for the marks grid: every change the database recorded (app.db.audit_chain),
with who made it (the account the program's audit_log names in the same transaction), when, and
the value before and after."""
from __future__ import annotations

import json

from sqlite_utils import Database

from app.db import audit_chain
from app.db.writes import derived_id

_ACTIONS = {"I": "录入", "U": "修改", "D": "清除", "B": "已有", "X": "程序之外改动"}


def _value(row: list | None, score: int, status: int) -> str:
    if row is None:
        return "空"
    if row[status] != "正常":
        return row[status]
    value = row[score]
    return f"{value:g}" if isinstance(value, float) else str(value)


def mark_history(db: Database, exam_id: str, pupil_id: str, subject_id: str) -> list[dict]:
    """Return the changes of one pupil's mark in one exam subject, oldest first, as dicts with
    `at` (UTC time), `who` (display name, or a sentence when made outside the program), `action`,
    `old` and `new` (the mark as shown: a score, 缺考 …, or 空). Empty when nothing was recorded."""
    if not audit_chain.recording(db):
        return []
    columns = audit_chain.table_columns(db, "mark")
    score, status = columns.index("score"), columns.index("status")
    audit_columns = audit_chain.table_columns(db, "audit_log")
    user, table, row_id = (audit_columns.index(c) for c in ("username", "table_name", "row_id"))
    names = dict(db.execute("SELECT username, display_name FROM app_user"))
    mark_id = derived_id("mark", {"exam_id": exam_id, "pupil_id": pupil_id, "subject_id": subject_id})
    out = []
    for _seq, at, op, old, new, origin, first, last in db.execute(
            "SELECT c.seq, c.at, c.op, c.old, c.new, b.origin, b.first, b.last FROM change_log c"
            " LEFT JOIN audit_chain b ON c.seq BETWEEN b.first AND b.last"
            " WHERE c.tbl = 'mark' AND c.row_key = ? ORDER BY c.seq", [mark_id]).fetchall():
        who = "(程序之外的修改,不知是谁)"  # an entry not sealed by the program is someone else's too
        if origin == "program" and op != "X":
            for (entry,) in db.execute("SELECT new FROM change_log WHERE tbl = 'audit_log' AND seq BETWEEN ? AND ?",
                                       [first, last]):
                logged = json.loads(entry)
                if logged[table] == "mark" and logged[row_id] in (mark_id, None):
                    who = names.get(logged[user], logged[user])
                    break
        out.append({"at": at, "who": who, "action": _ACTIONS.get(op, op),
                    "old": _value(json.loads(old) if old else None, score, status),
                    "new": _value(json.loads(new) if new else None, score, status)})
    return out
