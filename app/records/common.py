"""What the school records share: the preset of their rules, who may write them, the date of a record."""
from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from app.db.writes import Actor
from app.errors import PermissionDenied, Problem
from app.presets import Preset, effective
from app.routine.observations import dated_in_term


def records_rules(db: Database, school_id: str | None = None) -> Preset:
    """Return the records preset in force for `school_id` (app.presets.effective: the school's copy,
    else the database's, else resources/presets/records.json): homework limits, 家访 quotas, 集体备课
    per month, the years a new teacher writes 详案 and what the parents' copy of a pupil's record shows."""
    return effective(db, "records", school_id)


def record_date(db: Database, value: object, label: str) -> tuple[dt.date | None, dict | None, list[Problem]]:
    """Read the date of a record: (date, its term, problems on field 'date'); the date must be given,
    readable, not in the future and inside a term of the database."""
    return dated_in_term(db, value, label)


def require_school_staff(actor: Actor, school_id: str) -> None:
    """Raise PermissionDenied unless the actor works at `school_id` (or is a township administrator)."""
    if actor.role == "township_admin":
        return
    if actor.school_id != school_id:
        raise PermissionDenied("您只能登记本校的记录。")


def may_manage(actor: Actor, school_id: str) -> bool:
    """Return True for a township administrator or the school's administrator or 教务."""
    return actor.role == "township_admin" or (actor.role in ("school_admin", "academic")
                                               and actor.school_id == school_id)
