"""Stored times (UTC ISO 8601, see app.db.writes.now) as people read them: local time, to the minute."""
from __future__ import annotations

import datetime as dt


def shown(stamp: str | None) -> str:
    """Return a stored timestamp as local time 'YYYY-MM-DD HH:MM' ('' for none; a text that is not a
    timestamp is returned as it is)."""
    if not stamp:
        return ""
    try:
        when = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%Y-%m-%d %H:%M")
