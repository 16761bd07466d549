"""The integer keys marks are indexed by (see app.db.migrations, m006).

Every school, exam, pupil, subject and class has a number in its <kind>_number table, and a mark
stores those numbers beside the ids (school_no, exam_no, pupil_no, subject_no, class_no). Queries
that look marks up go through the numbers, which the mark indexes hold; the numbers are this
database's own and never leave it (packages carry the ids).
"""
from __future__ import annotations

from sqlite_utils import Database


def number_column(id_column: str) -> str:
    """Return the column of a mark holding the number for its id column ("pupil_id" -> "pupil_no")."""
    return f"{id_column[:-3]}_no"


def number_of(kind: str, placeholder: str = "?") -> str:
    """Return the SQL of the number of the `kind` row whose id is `placeholder` (NULL if none)."""
    return f"(SELECT no FROM [{kind}_number] WHERE id = {placeholder})"


def ids_by_number(db: Database, kind: str) -> dict[int, str]:
    """Return {number: id} of every `kind` row."""
    return dict(db.execute(f"SELECT no, id FROM [{kind}_number]").fetchall())


def numbers_by_id(db: Database, kind: str) -> dict[str, int]:
    """Return {id: number} of every `kind` row."""
    return dict(db.execute(f"SELECT id, no FROM [{kind}_number]").fetchall())


def numbers_in(kind: str, ids_sql: str) -> str:
    """Return the SQL of the numbers of the `kind` rows whose ids are in `ids_sql` (a list of
    placeholders, or a query of ids)."""
    return f"(SELECT no FROM [{kind}_number] WHERE id IN ({ids_sql}))"
