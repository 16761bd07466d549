"""What the township (or county) sees across its schools: packages received, who is missing, clashes."""
from __future__ import annotations

import json

from sqlite_utils import Database

from app.db.keys import number_of
from app.packages.config import config_summary_text
from app.packages.township_import import gap_ranges, gap_text, summary_text
from app.services.schools import current_term, get_meta

_ACTIVE = "('在读', '转入', '休学')"
IMPORT_KINDS = {"data": "数据包", "config": "配置包"}


def sender_level(db: Database) -> str:
    """Return the level of the senders this database receives packages from: 'school' at a township,
    'township' at a county."""
    return "township" if get_meta(db, "kind") == "county" else "school"


def package_status(db: Database) -> list[dict]:
    """Return one row per school (per township at a county): code, name, type, registered key
    fingerprint, packages received, last sequence, its term and the time it was made and imported,
    the runs (first, last) of numbers never received (missing) and a Chinese status line. Schools first by type, then code."""
    level = sender_level(db)
    keys = {r["code"]: r["fingerprint"] for r in db.query(
        "SELECT code, fingerprint FROM trusted_key WHERE level = ? AND active = 1", [level])}
    if level == "school":
        units = [dict(r) for r in db.query(
            "SELECT id, code, name, type FROM school ORDER BY CASE type WHEN '中心校本部' THEN 0 WHEN '完小' THEN 1"
            " ELSE 2 END, code")]
    else:
        units = [dict(r) | {"type": "乡镇"} for r in db.query("SELECT id, code, name FROM township ORDER BY code")]
    known = {u["code"] for u in units}
    units += [{"id": None, "code": code, "name": "(尚无数据)", "type": ""} for code in sorted(keys) if code not in known]
    imports: dict[str, list[dict]] = {}
    for row in db.query("SELECT sender_code, sequence, term_code, package_created_at, created_at, changes"
                        " FROM package_import WHERE kind = 'data' AND sender_level = ? ORDER BY sequence", [level]):
        imports.setdefault(row["sender_code"], []).append(dict(row))
    out = []
    for unit in units:
        got = imports.get(unit["code"], [])
        last = got[-1] if got else None
        missing = gap_ranges(r["sequence"] for r in got)
        if unit["code"] not in keys:
            status = "未登记公钥"
        elif not last:
            status = "尚未收到数据包"
        elif missing:
            status = gap_text(missing)
        else:
            status = "正常"
        out.append({**unit, "fingerprint": keys.get(unit["code"]), "packages": len(got),
                    "last_sequence": last["sequence"] if last else None,
                    "last_term": last["term_code"] if last else None,
                    "last_made_at": last["package_created_at"] if last else None,
                    "last_imported_at": last["created_at"] if last else None,
                    "missing": missing, "status": status})
    return out


def import_log(db: Database, limit: int = 500) -> list[dict]:
    """Return the latest accepted imports (data packages from schools or townships, configuration packages
    from the township), newest first: the package_import row with `changes` as a dict and `what`, the
    Chinese line of what the import changed (with the sender's audit-log warnings, if any), and
    `kind_name` (数据包 / 配置包). A summary that is not readable JSON shows as “(记录无法读取)”."""
    rows = []
    for row in db.query("SELECT * FROM package_import ORDER BY created_at DESC, rowid DESC LIMIT ?", [limit]):
        row = dict(row, kind_name=IMPORT_KINDS.get(row["kind"], row["kind"]))
        try:
            changes = json.loads(row["changes"] or "{}")
        except ValueError:
            changes = None
        if not isinstance(changes, dict):
            row["changes"], row["what"] = {}, "(记录无法读取)"
        elif row["kind"] == "config":
            row["changes"], row["what"] = changes, config_summary_text(changes)
        else:
            flags = (changes.get("audit") or {}).get("flags") or []
            row["changes"] = changes
            row["what"] = summary_text(changes) + ("。审计记录提醒:" + "".join(flags) if flags else "")
        rows.append(row)
    return rows


def schools_missing_exam(db: Database, exam_id: str) -> list[dict]:
    """Return the schools expected in an exam (a class of the exam's year in one of its grades) that have
    no mark in it yet: id, code, name, type, classes expected, and the date of their last package."""
    return [dict(r) for r in db.query(
        "SELECT s.id, s.code, s.name, s.type, COUNT(DISTINCT c.id) AS classes,"
        " (SELECT MAX(created_at) FROM package_import i WHERE i.kind = 'data' AND i.sender_code = s.code)"
        "   AS last_imported_at"
        " FROM school s JOIN class c ON c.school_id = s.id JOIN class_grade g ON g.class_id = c.id"
        " JOIN term tm ON tm.academic_year_id = c.academic_year_id JOIN exam e ON e.term_id = tm.id"
        " WHERE e.id = :exam AND g.grade IN (SELECT grade FROM exam_grade WHERE exam_id = :exam)"
        " AND (e.school_id IS NULL OR e.school_id = s.id)"
        f" AND NOT EXISTS (SELECT 1 FROM mark m WHERE m.exam_no = {number_of('exam', ':exam')}"
        f" AND m.school_no = {number_of('school', 's.id')})"
        " GROUP BY s.id ORDER BY CASE s.type WHEN '中心校本部' THEN 0 WHEN '完小' THEN 1 ELSE 2 END, s.code",
        {"exam": exam_id})]


def duplicate_student_numbers(db: Database) -> list[dict]:
    """Return every 学籍号 enrolled (在读, 转入 or 休学) at two or more schools: student_no and the
    list of (school code, school name, pupil name, grade, status)."""
    rows = list(db.query(
        "SELECT p.student_no, s.code AS school_code, s.name AS school_name, p.name, p.grade, p.status"
        f" FROM pupil p JOIN school s ON s.id = p.school_id WHERE p.status IN {_ACTIVE} AND p.student_no IN"
        f" (SELECT student_no FROM pupil WHERE status IN {_ACTIVE} GROUP BY student_no"
        "  HAVING COUNT(DISTINCT school_id) > 1) ORDER BY p.student_no, s.code"))
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["student_no"], []).append({k: row[k] for k in ("school_code", "school_name", "name",
                                                                          "grade", "status")})
    return [{"student_no": no, "schools": entries} for no, entries in out.items()]


def _minutes(text: str | None) -> int | None:
    if not text or ":" not in text:
        return None
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes[:2])


def itinerant_clashes(db: Database, term_id: str | None = None) -> list[dict]:
    """Return every time a teacher is timetabled at two different schools at overlapping times on the
    same day (by the schools' period start times and lengths; by period number where a time is
    missing): teacher, day and both sites with class, period and time."""
    term_id = term_id or current_term(db)["id"]
    rows = db.query(
        "SELECT t.name AS teacher, h.name AS home_school, a.day,"
        " sa.name AS school_a, ca.name AS class_a, a.slot AS slot_a, pa.label AS label_a, pa.start_time AS start_a,"
        " pa.minutes AS minutes_a, sb.name AS school_b, cb.name AS class_b, b.slot AS slot_b, pb.label AS label_b,"
        " pb.start_time AS start_b, pb.minutes AS minutes_b"
        " FROM timetable_slot a JOIN timetable_slot b ON b.teacher_id = a.teacher_id AND b.term_id = a.term_id"
        "  AND b.day = a.day AND b.school_id > a.school_id"
        " JOIN teacher t ON t.id = a.teacher_id JOIN school h ON h.id = t.school_id"
        " JOIN school sa ON sa.id = a.school_id JOIN school sb ON sb.id = b.school_id"
        " JOIN class ca ON ca.id = a.class_id JOIN class cb ON cb.id = b.class_id"
        " LEFT JOIN timetable_period pa ON pa.school_id = a.school_id AND pa.term_id = a.term_id AND pa.slot = a.slot"
        " LEFT JOIN timetable_period pb ON pb.school_id = b.school_id AND pb.term_id = b.term_id AND pb.slot = b.slot"
        " WHERE a.term_id = ? ORDER BY t.name, a.day, a.slot", [term_id])
    out = []
    for row in rows:
        start_a, start_b = _minutes(row["start_a"]), _minutes(row["start_b"])
        if start_a is not None and start_b is not None:
            clash = start_a < start_b + (row["minutes_b"] or 0) and start_b < start_a + (row["minutes_a"] or 0)
        else:
            clash = row["slot_a"] == row["slot_b"]
        if clash:
            out.append(dict(row))
    return out
