"""Figures of an exam kept while the database does not change — the one cache of the program.

A county exam's group figures, ranks and value-added fit take seconds to compute; one school's report
on a county database needs them, printing 200 schools' reports (or the GUI moving between 考试概览,
质量分析 and the trend over earlier exams) should compute them once, not 200 times.

A kept result belongs to one open Database object (it goes with the connection) and to the state of
the data it was computed from: anything committed by another connection — another program, the
sqlite3 shell — changes PRAGMA data_version, anything written by this connection (committed or not,
even rolled back) changes its total_changes. Either and the next request computes afresh, so a kept
figure is never older than the data — unless the value says which exams it reads (an exam's
figures): then it is kept on while what was written since is about something else, as for lasting
values below. Nothing computed inside a transaction is kept (a rollback would not change the
stamp). Only the last KEEP results per database are kept.

A few small results that a fresh process would otherwise compute over the whole county (the
value-added fit, every group's rank, the townships' figures) also last across processes (`lasting`):
a JSON file per result under the user's data folder, named by the database file, with the database's
newest change_log entry when it was computed (every change to any table adds one through triggers,
see app.db.audit_chain; its time and row tell a rolled-back number reused from the first). A file
whose entry is no longer the newest is still good when every entry since is about something the
result does not read: another exam's marks or definition, or a table no exam's figures read
(UNRELATED: timetables, workload and routine records, tutoring, accounts, packages); it is then
stamped with the newest entry. Any other write (this exam's marks, a pupil, a class, a school, a
preset) and the next request computes afresh and replaces it. A database without change_log, or in
memory, keeps nothing on disk.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from app import __version__
from app.paths import user_data_dir

T = TypeVar("T")
# A county exam's records at every level take about 30 MB: a few exams' figures and value-added fits.
KEEP = 8
# Lasting results are named by this too: a program that computes a figure differently ignores them.
FORMAT = f"{__version__}/1"


@dataclass
class _Kept:
    """A kept value and the database's stamp when it was computed (or last found good); for a value
    that reads only given exams' marks (see lasting), those exams and the change_log's newest entry
    at that stamp."""

    value: Any
    stamp: tuple[int, int]
    exams: tuple[str, ...] | None = None
    head: list | None = None


# Per Database: {key: _Kept}, most recently used last.
_kept: weakref.WeakKeyDictionary[Database, OrderedDict[Hashable, _Kept]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
# Whether a database changed between two change_log entries only in what values reading some exams
# do not read (see _unchanged_for), newest last.
_unchanged: dict[str, bool] = {}


def data_stamp(db: Database) -> tuple[int, int]:
    """Return what changes whenever anything is written to the database `db` is connected to: by
    another connection (PRAGMA data_version) or by this one (total_changes)."""
    return db.execute("PRAGMA data_version").fetchone()[0], db.conn.total_changes


def _found(db: Database, key: Hashable, stamp: tuple[int, int]) -> _Kept | None:
    """Return what is kept for `key` while it is good at `stamp` (marked as used), else None (and
    it is dropped). A value of an earlier stamp is still good when it reads given exams and what was
    written since is about something else (_unchanged_for)."""
    with _lock:
        values = _kept.setdefault(db, OrderedDict())
        entry = values.get(key)
    if entry is None:
        return None
    if entry.stamp != stamp:
        head = _newest_entry(db) if entry.exams is not None and entry.head is not None else None
        if head is None or not (head == entry.head or _unchanged_for(db, None, entry.head, head, entry.exams)):
            with _lock:
                if values.get(key) is entry:
                    del values[key]
            return None
        entry.stamp, entry.head = stamp, head
    with _lock:
        if values.get(key) is entry:
            values.move_to_end(key)
    return entry


def peek(db: Database, key: Hashable) -> Any:
    """Return what is kept for `key` while what it reads is unchanged, or None (nothing computed)."""
    entry = _found(db, key, data_stamp(db))
    return None if entry is None else entry.value


def kept(db: Database, key: Hashable, compute: Callable[[], T], *, exams: Iterable[str] | None = None) -> T:
    """Return compute() for `key`, computed once while the data is unchanged (see the module
    docstring) or, with `exams`, while what a value reading only those exams reads is unchanged (as
    for lasting); the value is shared, the caller must not change it. Inside a transaction the value
    is computed but not kept: a rollback undoes the changes it saw without changing the stamp.
    Raises what compute raises."""
    stamp = data_stamp(db)
    entry = _found(db, key, stamp)
    if entry is not None:
        return entry.value
    read = None if exams is None else tuple(sorted(set(exams)))
    head = _newest_entry(db) if read is not None else None
    value = compute()
    if db.conn.in_transaction:
        return value
    with _lock:
        values = _kept.setdefault(db, OrderedDict())
        values[key] = _Kept(value, stamp, read if head is not None else None, head)
        values.move_to_end(key)
        while len(values) > KEEP:
            values.popitem(last=False)
    return value


# Tables no figure kept per exam reads (lasting, kept with exams): a change to them leaves every such
# figure good. A value that reads one of them must not be kept per exam (or this list must lose it).
UNRELATED = (
    "app_user", "appraisal_survey", "audit_log", "audit_signer", "curriculum_hours", "curriculum_item",
    "curriculum_plan", "home_visit", "homework_log", "lesson_observation", "package_export", "package_import",
    "prep_session", "pupil_difficulty", "quality_target", "routine_check", "scheme_sheet", "school_key",
    "site_travel", "teacher", "teacher_role", "teacher_site", "teacher_subject", "teacher_title",
    "teacher_unavailable", "teaching_assignment", "timetable_fixed", "timetable_period", "timetable_slot",
    "trusted_key", "tutoring", "tutoring_pupil", "tutoring_plan")
# Tables whose rows each belong to one exam (their recorded rows hold its id).
EXAM_TABLES = ("mark", "exam", "exam_grade", "exam_subject", "exam_cutoff")


def _newest_entry(db: Database) -> list | None:
    """Return the database's newest change_log entry [seq, at, tbl, row_key] ([0] when it has none),
    or None when it has no change_log."""
    try:
        row = db.execute("SELECT seq, at, tbl, row_key FROM change_log ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return list(row or (0,))


def _log_head(db: Database) -> tuple[str, list] | None:
    """Return (what names the database across processes: FORMAT and its file, its newest change_log
    entry), or None when it has none to go by (no change_log, a database in memory)."""
    files = [row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"]
    head = _newest_entry(db) if files and files[0] else None
    return None if head is None else (json.dumps([FORMAT, os.path.realpath(files[0])], ensure_ascii=False), head)


def _unread_sql(exams: tuple[str, ...]) -> tuple[str, list]:
    """Return (SQL true of a change_log entry about nothing a value reading `exams` reads: a row of
    an UNRELATED table, or a row of EXAM_TABLES that belongs to none of `exams` before and after the
    change; its arguments). A mark's row_key starts with its exam's id and a slash, so most entries
    (an import's half a million) are told by that prefix alone; a row whose recorded text does not
    hold an exam's id in quotes is not that exam's."""
    other_key = " AND ".join(["substr(row_key, 1, ?) != ?"] * len(exams)) or "1"
    key_args = [arg for exam in exams for arg in (len(exam) + 1, exam + "/")]
    quoted = [f'"{exam}"' for exam in exams]

    def unnamed(column: str) -> str:
        return " AND ".join([f"instr(IFNULL({column}, ''), ?) = 0"] * len(exams)) or "1"

    tables = ", ".join(f"'{t}'" for t in EXAM_TABLES if t != "mark")
    unrelated = ", ".join(f"'{t}'" for t in UNRELATED)
    sql = (f"CASE WHEN tbl = 'mark' THEN {other_key} AND (op IN ('I', 'D') OR op = 'U' AND {unnamed('old')})"
           f" WHEN tbl IN ({unrelated}) THEN 1"
           f" WHEN tbl IN ({tables}) THEN op IN ('I', 'U', 'D') AND {unnamed('old')} AND {unnamed('new')}"
           " ELSE 0 END")
    return sql, [*key_args, *quoted, *quoted, *quoted]


def _unchanged_for(db: Database, name: str | None, since: list, head: list, exams: tuple[str, ...]) -> bool:
    """Return whether the database (named `name`, see _log_head), whose change_log held `since` as
    its newest entry when a value reading `exams` was computed and holds `head` now, has changed
    since only in what that value does not read (see the module docstring). With a name the answer
    is kept in the process: the values of one report ask it alike."""
    if not since or not isinstance(since[0], int) or any(c in '"\\' or c < " " for exam in exams for c in exam):
        return False  # an id JSON would write escaped is not looked for in the recorded rows
    asked = json.dumps([name, since, head, exams], ensure_ascii=False) if name else None
    with _lock:
        if asked in _unchanged:
            return _unchanged[asked]
    row = db.execute("SELECT seq, at, tbl, row_key FROM change_log WHERE seq = ?", [since[0]]).fetchone()
    answer = row is not None and list(row) == since
    if answer:
        unread, args = _unread_sql(exams)
        answer = db.execute(f"SELECT 1 FROM change_log WHERE seq > ? AND ({unread}) IS NOT 1 LIMIT 1",
                            [since[0], *args]).fetchone() is None
    if asked:
        with _lock:
            _unchanged[asked] = answer
            while len(_unchanged) > KEEP:
                _unchanged.pop(next(iter(_unchanged)))
    return answer


def _lasting_file(name: str, key: Hashable) -> Path:
    """Return the file of `key`'s lasting value for the database named `name` (see _log_head)."""
    database = json.loads(name)[1]
    folder = user_data_dir() / "figures" / hashlib.sha256(database.encode("utf-8")).hexdigest()[:16]
    digest = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()[:24]
    return folder / f"{digest}.json"


def _read_lasting(path: Path, name: str) -> tuple[list | None, Any]:
    """Return (the newest change_log entry when it was computed, value) when `path` holds a value of
    the database named `name`, else (None, None)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(stored, dict) or stored.get("version") != name or not isinstance(stored.get("head"), list):
        return None, None
    return stored["head"], stored.get("value")


def _write_lasting(path: Path, name: str, head: list, text: str) -> None:
    """Store the value whose JSON is `text`, of the database named `name` at change_log entry `head`,
    in `path` (written whole, then renamed); a folder that cannot be written keeps nothing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(f'{{"version": {json.dumps(name, ensure_ascii=False)}, "head": '
                      f'{json.dumps(head, ensure_ascii=False)}, "value": {text}}}')
        os.replace(temp, path)
    except OSError:
        return


def _as_json(value: Any) -> str:
    """Return `value` as JSON text. json.dumps, not json.dump: only the one-shot encoder is the C one
    (a county's township figures take 0.6 s through the streaming Python encoder, 0.05 s through it)."""
    return json.dumps(value, ensure_ascii=False)


def lasting(db: Database, key: tuple, compute: Callable[[], T], *, exams: Iterable[str]) -> T:
    """Return compute() for `key` (a tuple of strings, numbers and None), computed once while what it
    reads is unchanged: the marks and definitions of `exams` and every table but those of other
    exams and UNRELATED ones; in this process (kept) and in later ones (a file, see the module
    docstring). `compute` must return JSON data (dicts with string keys, lists, strings, numbers,
    None); what it returns is passed through JSON, so every caller gets the same values whether they
    were computed or read. Shared: the caller must not change it. Raises what compute raises."""
    read = tuple(sorted(set(exams)))

    def from_file_or_compute() -> T:
        found = _log_head(db)
        if found is None:
            return json.loads(_as_json(compute()))
        name, head = found
        path = _lasting_file(name, key)
        since, value = _read_lasting(path, name)
        if since == head:
            return value
        if since is not None and _unchanged_for(db, name, since, head, read):
            _write_lasting(path, name, head, _as_json(value))
            return value
        text = _as_json(compute())  # once, for the value every caller gets and for the file
        _write_lasting(path, name, head, text)
        return json.loads(text)

    return kept(db, ("lasting", *key), from_file_or_compute, exams=read)
