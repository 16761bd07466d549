"""Figures of an exam kept while the database does not change — the one cache of the program.

A county exam's group figures, ranks and value-added fit take seconds to compute; one school's report
on a county database needs them, printing 200 schools' reports (or the GUI moving between 考试概览,
质量分析 and the trend over earlier exams) should compute them once, not 200 times.

A kept result belongs to one open Database object (it goes with the connection) and to the state of
the data it was computed from: anything committed by another connection — another program, the
sqlite3 shell — changes PRAGMA data_version, anything written by this connection (committed or not,
even rolled back) changes its total_changes. Either and the next request computes afresh, so a kept
figure is never older than the data; nothing computed inside a transaction is kept (a rollback would
not change the stamp). Only the last KEEP results per database are kept.

A few small results that a fresh process would otherwise compute over the whole county (the
value-added fit, every group's rank, the townships' figures) also last across processes (`lasting`):
a JSON file per result under the user's data folder, named by the database file, tied to the
database's newest change_log entry (every change to any table adds one through triggers, see
app.db.audit_chain; its time and row tell a rolled-back number reused from the first). Any write
and the file no longer matches: the next request computes afresh and replaces it. A database
without change_log, or in memory, keeps nothing on disk.
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
from collections.abc import Callable, Hashable
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

# Per Database: (its stamp when the values were computed, {key: value}, most recently used last).
_kept: weakref.WeakKeyDictionary[Database, tuple[tuple[int, int], OrderedDict[Hashable, Any]]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


def data_stamp(db: Database) -> tuple[int, int]:
    """Return what changes whenever anything is written to the database `db` is connected to: by
    another connection (PRAGMA data_version) or by this one (total_changes)."""
    return db.execute("PRAGMA data_version").fetchone()[0], db.conn.total_changes


def _values(db: Database, stamp: tuple[int, int]) -> OrderedDict[Hashable, Any]:
    """Return the values kept for `db` at `stamp`, dropping those of an earlier stamp (lock held)."""
    store = _kept.get(db)
    if store is None or store[0] != stamp:
        store = _kept[db] = (stamp, OrderedDict())
    return store[1]


def peek(db: Database, key: Hashable) -> Any:
    """Return what is kept for `key` while the data is unchanged, or None (nothing computed)."""
    stamp = data_stamp(db)
    with _lock:
        return _values(db, stamp).get(key)


def kept(db: Database, key: Hashable, compute: Callable[[], T]) -> T:
    """Return compute() for `key`, computed once while the data is unchanged (see the module
    docstring); the value is shared, the caller must not change it. Inside a transaction the value
    is computed but not kept: a rollback undoes the changes it saw without changing the stamp.
    Raises what compute raises."""
    stamp = data_stamp(db)
    with _lock:
        values = _values(db, stamp)
        if key in values:
            values.move_to_end(key)
            return values[key]
    value = compute()
    if db.conn.in_transaction:
        return value
    with _lock:
        values = _values(db, stamp)
        values[key] = value
        values.move_to_end(key)
        while len(values) > KEEP:
            values.popitem(last=False)
    return value


def _log_version(db: Database) -> str | None:
    """Return what identifies the database's contents across processes (its newest change_log
    entry), or None when it has none to go by (no change_log, a database in memory)."""
    files = [row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"]
    if not files or not files[0]:
        return None
    try:
        row = db.execute("SELECT seq, at, tbl, row_key FROM change_log ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return json.dumps([FORMAT, os.path.realpath(files[0]), *(row or (0,))], ensure_ascii=False)


def _lasting_file(version: str, key: Hashable) -> Path:
    """Return the file of `key`'s lasting value for the database of `version` (see _log_version)."""
    database = json.loads(version)[1]
    folder = user_data_dir() / "figures" / hashlib.sha256(database.encode("utf-8")).hexdigest()[:16]
    name = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()[:24]
    return folder / f"{name}.json"


def _read_lasting(path: Path, version: str) -> tuple[bool, Any]:
    """Return (True, value) when `path` holds a value of `version`, else (False, None)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None
    if not isinstance(stored, dict) or stored.get("version") != version:
        return False, None
    return True, stored.get("value")


def _write_lasting(path: Path, version: str, value: Any) -> None:
    """Store `value` of `version` in `path` (written whole, then renamed); a folder that cannot be
    written keeps nothing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            # json.dumps, not json.dump: only the one-shot encoder is the C one (a county's township
            # figures take 0.6 s through the streaming Python encoder, 0.05 s through it).
            out.write(json.dumps({"version": version, "value": value}, ensure_ascii=False))
        os.replace(temp, path)
    except OSError:
        return


def lasting(db: Database, key: tuple, compute: Callable[[], T]) -> T:
    """Return compute() for `key` (a tuple of strings, numbers and None), computed once while the
    database's contents are unchanged, in this process (kept) and in later ones (a file, see the
    module docstring). `compute` must return JSON data (dicts with string keys, lists, strings,
    numbers, None); what it returns is passed through JSON, so every caller gets the same values
    whether they were computed or read. Shared: the caller must not change it. Raises what compute
    raises."""
    def from_file_or_compute() -> T:
        version = _log_version(db)
        if version is None:
            return json.loads(json.dumps(compute()))
        path = _lasting_file(version, key)
        found, value = _read_lasting(path, version)
        if found:
            return value
        value = json.loads(json.dumps(compute()))
        _write_lasting(path, version, value)
        return value

    return kept(db, ("lasting", *key), from_file_or_compute)
