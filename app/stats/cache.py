"""Figures of an exam kept while the database does not change: one school's report on a county
database needs ranks and a value-added fit over every school, and printing 200 schools' reports (or
the GUI showing one school after another) should compute them once, not 200 times.

A kept result is tied to the open database and to its newest change_log entry (every change to a
table, by this program or by the sqlite3 shell, adds one through triggers, see app.db.audit_chain):
any write — a mark, a pupil's status, a class, an exam's lines, a preset — and the next request
computes afresh. The entry's time and row are part of the tie, so a change rolled back and replaced
by another under the same number is not mistaken for the first. A database without change_log (not
yet opened for writing by this program) keeps nothing.
"""
from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlite_utils import Database

T = TypeVar("T")
KEEP = 8  # results kept per database: a few exams' figures and value-added fits

_kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def data_version(db: Database) -> tuple | None:
    """Return what identifies the database's current contents (the newest change_log entry), or
    None when the database has no change_log."""
    try:
        row = db.execute("SELECT seq, at, tbl, row_key FROM change_log ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return tuple(row) if row else (0,)


def peek(db: Database, key: Hashable) -> Any:
    """Return what is kept for `key` while the database is unchanged, or None (nothing computed)."""
    version = data_version(db)
    with _lock:
        hit = _kept.get(db, {}).get(key) if version is not None else None
    return hit[1] if hit is not None and hit[0] == version else None


def kept(db: Database, key: Hashable, compute: Callable[[], T]) -> T:
    """Return compute() for `key`, computed once while the database is unchanged (see the module
    docstring); the caller must not change what it gets back. Raises what compute raises."""
    version = data_version(db)
    if version is None:
        return compute()
    with _lock:
        store = _kept.setdefault(db, {})
        hit = store.get(key)
        if hit is not None and hit[0] == version:
            store[key] = store.pop(key)  # most recently used last
            return hit[1]
    value = compute()
    with _lock:
        store = _kept.setdefault(db, {})
        store.pop(key, None)
        store[key] = (version, value)
        while len(store) > KEEP:
            store.pop(next(iter(store)))
    return value

