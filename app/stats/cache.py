"""Figures of an exam kept while the database does not change — the one cache of the program.

A county exam's group figures, ranks and value-added fit take seconds to compute; one school's report
on a county database needs them, printing 200 schools' reports (or the GUI moving between 考试概览,
质量分析 and the trend over earlier exams) should compute them once, not 200 times.

A kept result belongs to one open Database object (it goes with the connection) and to the state of
the data it was computed from: anything committed by another connection — another program, the
sqlite3 shell — changes PRAGMA data_version, anything written by this connection (committed or not,
even rolled back) changes its total_changes. Either and the next request computes afresh, so a kept
figure is never older than the data. Only the last KEEP results per database are kept.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlite_utils import Database

T = TypeVar("T")
# A county exam's records at every level take about 30 MB: a few exams' figures and value-added fits.
KEEP = 8

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
    docstring); the value is shared, the caller must not change it. Raises what compute raises."""
    stamp = data_stamp(db)
    with _lock:
        values = _values(db, stamp)
        if key in values:
            values.move_to_end(key)
            return values[key]
    value = compute()
    with _lock:
        values = _values(db, stamp)
        values[key] = value
        values.move_to_end(key)
        while len(values) > KEEP:
            values.popitem(last=False)
    return value
