"""The part of the database a statistic reads: the marks written at some schools, or at the schools of
one township, instead of every mark of the exam.

A report on one school needs the figures of that school's groups only, yet 进步值, value-added and the
pupil lists used to read every mark of the exam(s): on a county database (200 schools, 1.5 million
marks) one school's report took half a minute and 700 MB. A scope goes into the SQL as a condition on
the school a mark was written at, so only those marks are read. What a figure is defined over does
not change with the scope: a group's 进步值 needs only its own pupils, but a value-added residual
needs the regression of its whole grade (see app.stats.progress), which is read whatever the scope.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database


def school_condition(school_ids: Iterable[str] | None = None, township_id: str | None = None,
                     alias: str = "s") -> tuple[str, list]:
    """Return (" AND …", args) keeping the rows whose school (the `school` table under `alias`) is one
    of `school_ids` and / or in township `township_id`; ("", []) when both are None.

    The unary + keeps SQLite scanning the schools in table order rather than through the id index,
    so the marks come out in the same order as without a scope (sums over them then agree to the
    last bit).
    """
    sql, args = "", []
    if school_ids is not None:
        wanted = sorted(set(school_ids))
        sql += f" AND +{alias}.id IN ({','.join('?' * len(wanted))})"
        args += wanted
    if township_id is not None:
        sql += f" AND {alias}.township_id = ?"
        args.append(township_id)
    return sql, args


def schools_in(db: Database, school_ids: Iterable[str] | None = None,
               township_id: str | None = None) -> set[str] | None:
    """Return the ids of the schools in the scope (see school_condition), or None for no scope
    (every school)."""
    if school_ids is None and township_id is None:
        return None
    sql, args = school_condition(school_ids, township_id)
    return {r[0] for r in db.execute(f"SELECT s.id FROM school s WHERE 1{sql}", args)}
