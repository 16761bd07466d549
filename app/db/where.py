"""WHERE clauses from optional filters: the one way a list narrows to a term, a school, a class or a
teacher when it is given and lists them all when it is not."""
from __future__ import annotations


def where_clause(filters: dict[str, object], *fixed: str) -> tuple[str, list]:
    """Return (" WHERE …" or "", the arguments): the `fixed` conditions as written, then
    `column = ?` for every filter (a column, aliased as in the query) whose value is given (not None
    or empty)."""
    given = {column: value for column, value in filters.items() if value not in (None, "")}
    conditions = [*fixed, *(f"{column} = ?" for column in given)]
    return (f" WHERE {' AND '.join(conditions)}" if conditions else ""), list(given.values())
