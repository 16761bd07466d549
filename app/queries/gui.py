"""Read-only lists the GUI needs beyond the roster queries."""
from __future__ import annotations

from sqlite_utils import Database


def list_terms(db: Database) -> list[dict]:
    """Return every term (id, code, name, dates) with its academic year code, newest first."""
    return [dict(r) for r in db.query(
        "SELECT t.id, t.code, t.name, t.seq, t.start_date, t.end_date, y.code AS academic_year"
        " FROM term t JOIN academic_year y ON y.id = t.academic_year_id ORDER BY t.start_date DESC")]
