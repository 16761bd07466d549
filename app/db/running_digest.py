"""The digest of a bulk write's audit entries, taken while it writes (see app.db.audit_chain).

When a write transaction commits, its change_log entries are sealed into the audit chain with a
SHA-256 digest of their exact text (audit_chain.ENTRY_TEXT). For the county midterm's import
(493,646 marks, 198 MB of entry text) reading that text back out of SQLite took 1.3–2 s after
the last mark was written, on the one connection that writes, and nothing else could happen
meanwhile. A RunningDigest keeps the digest as the rows go in instead:

- rows a BulkInsert writes are turned into their entries' text here, as the mark table's insert
  trigger writes them (json_array of the recorded columns) and as ENTRY_TEXT joins them, from
  the values the insert was given; only each statement's first entry is read back, for its
  time stamp (one per statement: SQLite gives every 'now' of a statement the same time), and the
  first and last are compared with what SQLite holds;
- anything else (other writes in the transaction, a table whose insert trigger is not the one
  this program installs, a value whose JSON text this module does not reproduce for certain, a
  statement whose entries were not numbered as expected or whose check differs) is read back
  with SQL, as seal() would have read it.

So the digest is always the one audit_chain._digest gives over the same entries: the shortcut is
taken only where its first and last entries prove it, and only for values (plain text, whole
numbers, half points below 10^15, NULL) whose JSON text SQLite and Python write alike.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import cast

from sqlite_utils import Database

from app.db import audit_chain

_UNSAFE = {chr(c) for c in range(32)} | {'"', "\\"}
# The Python type of a value SQLite keeps as given in a column of each declared type.
_KINDS: dict[str, type] = {"TEXT": str, "INTEGER": int, "REAL": float}


def _json(value: object) -> str | None:
    """Return `value` as SQLite's json_array writes it, or None when that is not certain."""
    kind = value.__class__
    if kind is str:
        return None if _UNSAFE.intersection(value) else f'"{value}"'  # type: ignore[arg-type]
    if value is None:
        return "null"
    if kind is int:
        return str(value)
    if kind is float:
        number = cast(float, value)
        if abs(number) < 1e15 and (number * 2).is_integer() and math.copysign(1.0, number) > 0:
            return repr(number)  # 85.0, 92.5: SQLite's %!.15g writes the same (but -0.0 as 0.0)
    return None


def _rendered(values: Sequence, kind: type, *, text_only: bool = False) -> list[str] | None:
    """Return the JSON text of each of a column's `values`, or None when one of them is not certain
    (see _json), is not of `kind` (the column's type: SQLite would store 85 in a REAL column as
    85.0) or, with `text_only`, is NULL. Each distinct value is written out once."""
    distinct = set(values)
    if {value.__class__ for value in distinct} - {kind, type(None)} or (text_only and None in distinct):
        return None
    texts = {value: _json(value) for value in distinct}
    if None in texts.values():
        return None
    return list(map(texts.__getitem__, values))


class RunningDigest:
    """The digest of the entries a write transaction makes, kept while it writes.

    Made right after the transaction began (SchoolDatabase.begin_write); commit_write(running=…)
    hands it to audit_chain.seal, which then reads only what it has not seen.
    """

    def __init__(self, db: Database):
        self.first = audit_chain.max_seq(db) + 1
        self._next = self.first
        self._hash = hashlib.sha256()
        self._recorded: dict[str, list[tuple[str, type]] | None] = {}
        self.shortcut_rows = 0  # rows whose entries were digested without reading them back

    def catch_up(self, db: Database) -> None:
        """Digest the entries written since the last call by reading them."""
        top = audit_chain.max_seq(db)
        if top >= self._next:
            audit_chain.feed(db, self._hash, self._next, top)
            self._next = top + 1

    def through(self, db: Database, last: int) -> str | None:
        """Return the digest of the entries `first`..`last` (catching up first), or None when this
        digest has gone past `last`."""
        self.catch_up(db)
        return self._hash.hexdigest() if self._next == last + 1 else None

    def recorded_columns(self, db: Database, table: str) -> list[tuple[str, type]] | None:
        """Return the columns `table`'s insert trigger records with the Python type of each (by its
        declared type), or None when that trigger is not the one this program installs or a column
        is of another type (then the entries are read back)."""
        if table not in self._recorded:
            name = f"audit_{table}_insert"
            found = db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]).fetchone()
            wanted = audit_chain.trigger_sql(db, table)[name]
            declared = {row[1]: row[2].upper() for row in db.execute(f"PRAGMA table_xinfo([{table}])")}
            kinds = {column: _KINDS.get(declared.get(column, "")) for column in audit_chain.table_columns(db, table)}
            usable = found is not None and found[0] == wanted and None not in kinds.values()
            self._recorded[table] = [(c, k) for c, k in kinds.items() if k is not None] if usable else None
        return self._recorded[table]

    def before_insert(self, db: Database) -> None:
        """Call before each INSERT statement of a bulk write: digests what came before it."""
        self.catch_up(db)

    def inserted(self, db: Database, table: str, names: Sequence[str], params: Sequence, count: int,
                 key_columns: Sequence[str]) -> None:
        """Digest the entries of one INSERT statement just run: `count` rows of `table`, whose values
        are `params` (`names` the columns, row after row); a row's key is its `key_columns` joined
        by '/' (its id, or the parts of a derived one)."""
        first = self._next
        top = audit_chain.max_seq(db)
        recorded = self.recorded_columns(db, table)
        texts = None
        if recorded is not None and top == first + count - 1 and count \
                and {column for column, _ in recorded} | set(key_columns) <= set(names):
            texts = self._texts(db, table, names, params, count, recorded, key_columns, first)
        if texts is None:
            self.catch_up(db)
            return
        self._hash.update("".join(texts).encode("utf-8"))
        self._next = top + 1
        self.shortcut_rows += count

    def _texts(self, db: Database, table: str, names: Sequence[str], params: Sequence, count: int,
               recorded: list[tuple[str, type]], key_columns: Sequence[str], first: int) -> list[str] | None:
        """Return the entry texts of the statement's rows, or None when they cannot be vouched for."""
        width = len(names)
        columns = []
        for column, kind in recorded:
            rendered = _rendered(params[names.index(column)::width], kind)
            if rendered is None:
                return None
            columns.append(rendered)
        parts = [params[names.index(column)::width] for column in key_columns]
        if any(_rendered(part, str, text_only=True) is None for part in parts):
            return None
        keys = ["/".join(values) for values in zip(*parts)]
        stored = db.execute(f"SELECT at, {audit_chain.ENTRY_TEXT} FROM change_log WHERE seq IN (?, ?) ORDER BY seq",
                            [first, first + count - 1]).fetchall()
        at = stored[0][0]
        if at.__class__ is not str or _UNSAFE.intersection(at):
            return None
        head = f"\x1f{at}\x1f{table}\x1fI\x1f"
        texts = [f"{seq}{head}{key}\x1f\x00\x1f[{','.join(row)}]\x1e"
                 for seq, key, row in zip(range(first, first + count), keys, zip(*columns))]
        if texts[0] != stored[0][1] or texts[-1] != stored[-1][1]:
            return None
        return texts
