"""Figures the window reads more than once, kept on the database connection until the data changes.

A county exam's group figures take seconds to compute, and 考试概览, 质量分析 and the trend over the
earlier exams all want them: computing them once per exam and connection makes opening the second
page, or the trend, a look-up. They are kept per Database object (so they go with the connection
and are never shared between threads) and dropped as soon as anything at all is committed: by this
connection (its total_changes) or by any other one, another process included (PRAGMA data_version).
A remembered figure is therefore never older than the data it was computed from.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlite_utils import Database

from app.stats.groups import all_group_stats
from app.stats.presets import Preset

T = TypeVar("T")
# A county exam's records at every level take about 30 MB: keep the last few exams only.
KEEP = 4
# Per connection: (its stamp when the values were computed, {key: value}), gone with the connection.
_STORES: weakref.WeakKeyDictionary[Database, tuple[tuple[int, int], OrderedDict[Hashable, Any]]] = \
    weakref.WeakKeyDictionary()


def _stamp(db: Database) -> tuple[int, int]:
    """Return what changes whenever anything is committed to the database `db` is connected to."""
    return db.execute("PRAGMA data_version").fetchone()[0], db.conn.total_changes


def remembered(db: Database, key: Hashable, compute: Callable[[], T]) -> T:
    """Return `compute()`, or what it returned for `key` on this connection since the data last
    changed. The value is shared between callers: they must not change what it says. Raises what
    `compute` raises."""
    stamp = _stamp(db)
    store = _STORES.get(db)
    if store is None or store[0] != stamp:
        store = _STORES[db] = (stamp, OrderedDict())
    values = store[1]
    if key in values:
        values.move_to_end(key)
        return values[key]
    value = compute()
    values[key] = value
    while len(values) > KEEP:
        values.popitem(last=False)
    return value


def exam_group_stats(db: Database, exam_id: str, preset: Preset) -> dict[str, list[dict]]:
    """Return app.stats.groups.all_group_stats of the exam under `preset` (remembered: the records
    are shared and must not be changed). Raises NotFound (exam)."""
    return remembered(db, ("group_stats", exam_id, preset.id, preset.hash),
                      lambda: all_group_stats(db, exam_id, preset=preset))
