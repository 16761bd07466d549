"""The only way rows are written: each helper records who changed what (old → new) in audit_log.

Service functions in app/services validate first, then call these inside one `db.atomic()` block,
so a change and its audit entry commit together or not at all.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import itertools
import json
import os
import random
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database

from app.db.keys import number_column, number_of, numbers_by_id
from app.db.migrations import MARK_KEYS
from app.errors import NotFound

# Rows per INSERT statement of BulkInsert (fewer where SQLite allows fewer parameters).
BULK_ROWS = 2000

ROLES = ("township_admin", "school_admin", "academic", "teacher")
ROLE_NAMES = {"township_admin": "乡镇管理员", "school_admin": "学校管理员", "academic": "教务", "teacher": "教师"}


def role_name(role: str, kind: str = "school") -> str:
    """Return a role's Chinese name; a county database's township_admin is its 县级管理员 (the county
    office holds its schools as a township does). `kind`: 'school', 'township' or 'county'."""
    if role == "township_admin" and kind == "county":
        return "县级管理员"
    return ROLE_NAMES.get(role, role)


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service function acts."""

    username: str
    role: str
    user_id: str | None = None
    school_id: str | None = None
    teacher_id: str | None = None
    display_name: str = ""


SYSTEM = Actor(username="system", role="township_admin", display_name="系统")

_rng: contextvars.ContextVar[random.Random | None] = contextvars.ContextVar("schoolq_id_rng", default=None)
_clock: contextvars.ContextVar[str | None] = contextvars.ContextVar("schoolq_clock", default=None)


@contextmanager
def deterministic(seed: int, when: str):
    """Within the block, new ids come from `seed` and every timestamp is `when` (demo data)."""
    token_rng = _rng.set(random.Random(seed))
    token_clock = _clock.set(when)
    try:
        yield
    finally:
        _rng.reset(token_rng)
        _clock.reset(token_clock)


def new_id() -> str:
    """Return a new stable row id (a UUID4 string)."""
    rng = _rng.get()
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_NAMESPACE = uuid.UUID("6f1d8a52-3c4e-4b7a-9a53-5c0de5c0a1e5")


def new_ids(count: int) -> list[str]:
    """Return `count` new row ids, each as new_id would give it (UUID4 strings); for large counts
    several times faster than calling new_id `count` times."""
    if _rng.get() is not None:
        return [new_id() for _ in range(count)]
    raw = os.urandom(16 * count).hex()
    return [f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"
            for h in (raw[i:i + 32] for i in range(0, 32 * count, 32))]


# Tables whose id SQLite generates from other columns (a mark is its exam, pupil and subject; see
# migrations.MARK_ID_SQL): the id is never written, and is known before the row is.
DERIVED_IDS = {"mark": ("exam_id", "pupil_id", "subject_id")}


# Tables whose rows also store the integer key (<kind>_number.no) of each row an id column refers to,
# as <column without _id>_no (see migrations.m006): written here with the ids, never read back.
KEYED = {"mark": MARK_KEYS}


def _where_id(table: str, row_id: str) -> tuple[str, list]:
    """Return (condition, args) finding the row of `table` with id `row_id`: by its integer keys
    for DERIVED_IDS tables (their text id has no index), else by id."""
    columns = DERIVED_IDS.get(table)
    if columns is None:
        return "id = ?", [row_id]
    parts = str(row_id).split("/")
    if len(parts) != len(columns):
        return "0", []
    kinds = dict(KEYED[table])
    return " AND ".join(f"[{number_column(c)}] = {number_of(kinds[c])}" for c in columns), parts


def _readable(table: str, row: dict) -> dict:
    """Return `row` without the integer keys a KEYED table stores."""
    if table not in KEYED:
        return row
    numbers = {number_column(c) for c, _ in KEYED[table]}
    return {k: v for k, v in row.items() if k not in numbers}


def derived_id(table: str, values: dict) -> str | None:
    """Return the id SQLite gives a row of `table` with `values`, or None for tables with ordinary ids."""
    columns = DERIVED_IDS.get(table)
    return "/".join(values[c] for c in columns) if columns else None


def stable_id(kind: str, code: str) -> str:
    """Return the id every database gives the thing of `kind` with natural key `code` when it is
    first created (subjects, terms, townships, schools), so that a school's database and the
    township's agree on it without a lookup table."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{code}"))


def now() -> str:
    """Return the current UTC time as ISO 8601 text, seconds precision."""
    fixed = _clock.get()
    if fixed is not None:
        return fixed
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _json(value: object) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def audit(db: Database, actor: Actor, action: str, table: str, row_id: str | None,
          old: object = None, new: object = None, school_id: str | None = None, note: str | None = None) -> None:
    """Append one entry to audit_log."""
    db.execute(
        "INSERT INTO audit_log (at, user_id, username, school_id, action, table_name, row_id, old_value,"
        " new_value, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [now(), actor.user_id, actor.username, school_id, action, table, row_id, _json(old), _json(new), note],
    )


def get_row(db: Database, table: str, row_id: str) -> dict:
    """Return the row of `table` with id `row_id`. Raises NotFound."""
    where, args = _where_id(table, row_id)
    rows = list(db.query(f"SELECT * FROM [{table}] WHERE {where}", args))
    if not rows:
        raise NotFound(f"找不到记录({table} {row_id}),它可能已被删除。")
    return _readable(table, rows[0])


def holder(db: Database, table: str, column: str, school_id: str, value: str, other_than: str | None) -> str | None:
    """Return the name of the row of `table` in the school whose `column` (a 学籍号, a 工号: unique
    within a school) is `value`, unless it is the row `other_than` itself; None when there is none."""
    row = db.execute(f"SELECT id, name FROM [{table}] WHERE school_id = ? AND [{column}] = ?",
                     [school_id, value]).fetchone()
    return row[1] if row and row[0] != other_than else None


def row_exists(db: Database, table: str, row_id: str) -> bool:
    """Return True when `table` has a row with id `row_id`."""
    where, args = _where_id(table, row_id)
    return db.execute(f"SELECT 1 FROM [{table}] WHERE {where}", args).fetchone() is not None


def insert_row(db: Database, actor: Actor, table: str, values: dict) -> str:
    """Insert a row with a new id (or its derived one, see DERIVED_IDS) and timestamps, audit it,
    and return its id."""
    stamp = now()
    rid = derived_id(table, values)
    row = {"id": values.get("id") or new_id(), **values} if rid is None else dict(values)
    row.update(created_at=stamp, updated_at=stamp)
    if rid is None:
        row["id"] = rid = row["id"] or new_id()
    names, slots, args = [f"[{c}]" for c in row], ["?" for _ in row], list(row.values())
    for column, kind in KEYED.get(table, ()):
        names.append(f"[{number_column(column)}]")
        slots.append(number_of(kind))
        args.append(row.get(column))
    db.execute(f"INSERT INTO [{table}] ({', '.join(names)}) VALUES ({', '.join(slots)})", args)
    audit(db, actor, "insert", table, rid, None, values, row.get("school_id"))
    return rid


def update_row(db: Database, actor: Actor, table: str, row_id: str, changes: dict) -> dict:
    """Apply `changes` to a row, audit the fields that really changed (old → new), return them."""
    old = get_row(db, table, row_id)
    diff = {k: v for k, v in changes.items() if old.get(k) != v}
    if not diff:
        return {}
    assignments, args = [f"[{c}] = ?" for c in diff], list(diff.values())
    for column, kind in KEYED.get(table, ()):
        if column in diff:
            assignments.append(f"[{number_column(column)}] = {number_of(kind)}")
            args.append(diff[column])
    where, where_args = _where_id(table, row_id)
    db.execute(f"UPDATE [{table}] SET {', '.join(assignments)}, updated_at = ? WHERE {where}",
               [*args, now(), *where_args])
    audit(db, actor, "update", table, row_id, {k: old[k] for k in diff}, diff, old.get("school_id"))
    return diff


def delete_row(db: Database, actor: Actor, table: str, row_id: str) -> dict:
    """Delete a row, audit its last content, and return that content."""
    old = get_row(db, table, row_id)
    where, args = _where_id(table, row_id)
    db.execute(f"DELETE FROM [{table}] WHERE {where}", args)
    audit(db, actor, "delete", table, row_id, old, None, old.get("school_id"))
    return old


def set_links(db: Database, actor: Actor, table: str, owner_column: str, owner_id: str,
              value_column: str, values: Iterable[object], school_id: str | None = None) -> bool:
    """Make the link rows of one owner exactly `values`; audit old list → new list if it changed."""
    wanted = sorted(set(values), key=str)
    current = sorted((r[value_column] for r in db.query(
        f"SELECT [{value_column}] FROM [{table}] WHERE [{owner_column}] = ?", [owner_id])), key=str)
    if current == wanted:
        return False
    db.execute(f"DELETE FROM [{table}] WHERE [{owner_column}] = ?", [owner_id])
    for value in wanted:
        db.execute(f"INSERT INTO [{table}] ([{owner_column}], [{value_column}]) VALUES (?, ?)", [owner_id, value])
    audit(db, actor, "update", table, owner_id, current, wanted, school_id)
    return True


def bulk_insert(db: Database, actor: Actor, table: str, rows: list[dict], note: str) -> int:
    """Insert many rows at once (generated or imported data), with one audit entry naming the count."""
    if not rows:
        return 0
    stamp = now()
    if table in DERIVED_IDS:
        prepared = [{**{k: v for k, v in r.items() if k != "id"}, "created_at": stamp, "updated_at": stamp}
                    for r in rows]
    else:
        prepared = [{"id": r.get("id") or new_id(), **r, "created_at": stamp, "updated_at": stamp}
                    if "id" in r or _has_id(db, table) else dict(r) for r in rows]
    columns = list(prepared[0])
    keyed = KEYED.get(table, ())
    names = [f"[{c}]" for c in columns] + [f"[{number_column(c)}]" for c, _ in keyed]
    slots = ["?" for _ in columns] + [number_of(kind) for _, kind in keyed]
    sql = f"INSERT INTO [{table}] ({', '.join(names)}) VALUES ({', '.join(slots)})"
    db.conn.executemany(sql, [[r[c] for c in columns] + [r.get(c) for c, _ in keyed] for r in prepared])
    audit(db, actor, "bulk", table, None, None, {"rows": len(prepared)}, None, note)
    return len(prepared)


class BulkInsert:
    """Hundreds of thousands of rows into one table, batch by batch, audited once with the total.

    The way in for a county's marks: no dict per row, rows stream from any iterable, and they go
    in as multi-row INSERT … VALUES statements of up to BULK_ROWS rows, each of which SQLite runs
    in one call (half the time executemany takes to hand over the same rows one by one, and the
    interpreter lock is free while SQLite works, so another thread can go on reading a file).
    Rows are tuples in `columns` order (ids included, see new_ids, except for DERIVED_IDS tables);
    `fixed` gives the columns every row shares ({"exam_id": …}: text, whole numbers or None), left
    out of the rows. All rows get the same created_at/updated_at. Call add() for each batch (from
    one thread at a time) and done() once, in the same transaction, for the audit entry naming the
    count.

    For a KEYED table the integer keys are looked up in memory: the <kind>_number tables are read
    once, when the BulkInsert is made (inside the transaction that writes), and a row naming an id
    they do not hold raises sqlite3.IntegrityError, as a foreign key would. They are looked up a
    column at a time and each statement's parameters laid out a column at a time: for the county
    midterm's 493,646 marks 0.12 s of the interpreter's time (1.1 s row by row). An import makes the
    statements on its reading thread (statements()) and runs them on its writing one (run()), so
    the thread SQLite keeps busy spends no time making them.
    """

    def __init__(self, db: Database, actor: Actor, table: str, columns: Sequence[str], note: str, *,
                 fixed: Mapping[str, object] | None = None):
        self.db, self.actor, self.table, self.note = db, actor, table, note
        self.count = 0
        fixed = dict(fixed or {})
        keyed = KEYED.get(table, ())
        self._keys = [(list(columns).index(column), numbers_by_id(db, kind)) for column, kind in keyed
                      if column in columns]
        stamp = now()
        fixed_numbers = []
        for column, kind in keyed:
            if column in fixed:
                found = db.execute(f"SELECT no FROM [{kind}_number] WHERE id = ?", [fixed[column]]).fetchone()
                if found is None and fixed[column] is not None:
                    raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {fixed[column]!r}")
                fixed_numbers.append((number_column(column), found and found[0]))
        tail = (*fixed.values(), stamp, stamp, *(no for _, no in fixed_numbers))
        names = [*columns, *(number_column(columns[i]) for i, _ in self._keys), *fixed, "created_at", "updated_at",
                 *(name for name, _ in fixed_numbers)]
        # The values every row shares are written into the statement, not bound row by row: for the
        # county midterm 2 million parameters fewer to make and for SQLite to bind (~0.2 s less on
        # the writing thread).
        self._one = f"({', '.join([*('?' for _ in names[:len(names) - len(tail)]), *map(_literal, tail)])})"
        self._head = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in names)}) VALUES "
        self._size = max(1, min(BULK_ROWS, db.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(names)))
        self._full = self._head + ", ".join([self._one] * self._size)
        self._held: list[Sequence] = []

    def add(self, rows: Iterable[Sequence]) -> None:
        """Insert `rows` now."""
        self.run(self.statements(rows))

    def statements(self, rows: Iterable[Sequence], *, last: bool = True) -> Iterator[tuple[str, list, int]]:
        """Yield (SQL, parameters, row count) of the INSERT statements that write `rows`, without
        running them: one thread may make them while another runs earlier ones (run()). With
        last=False the rows that do not fill a whole statement are held for the next call (consume
        each call's statements before making the next). Raises sqlite3.IntegrityError for a row
        naming an id the key tables do not hold."""
        size, keys = self._size, self._keys
        source = itertools.chain(self._held, rows)
        self._held = []
        while chunk := list(itertools.islice(source, size)):
            if len(chunk) < size and not last:
                self._held = chunk
                return
            # A column at a time: the rows' columns, then their keys, laid side by side in C.
            columns: list[Sequence] = list(zip(*chunk))
            try:
                columns += [[value and numbers[value] for value in columns[i]] for i, numbers in keys]
            except KeyError as exc:
                raise sqlite3.IntegrityError(f"FOREIGN KEY constraint failed: {exc}") from exc
            params: list = [None] * (len(columns) * len(chunk))
            for at, column in enumerate(columns):
                params[at::len(columns)] = column
            yield self._full if len(chunk) == size else self._head + ", ".join([self._one] * len(chunk)), params, \
                len(chunk)

    def run(self, statements: Iterable[tuple[str, list, int]]) -> None:
        """Run statements made by statements(), in order."""
        for sql, params, count in statements:
            self.db.conn.execute(sql, params)
            self.count += count

    def done(self) -> int:
        """Write the audit entry (when any row went in) and return the number of rows inserted."""
        if self.count:
            audit(self.db, self.actor, "bulk", self.table, None, None, {"rows": self.count}, None, self.note)
        return self.count


def _literal(value: object) -> str:
    """Return `value` (None, a whole number or text) as an SQL literal SQLite stores as it would
    store the value bound. Raises TypeError for anything else (BulkInsert's `fixed` are ids)."""
    if value is None:
        return "NULL"
    if value.__class__ is int:
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"not a value BulkInsert writes into its statements: {value!r}")


_ID_TABLES: dict[str, bool] = {}


def _has_id(db: Database, table: str) -> bool:
    if table not in _ID_TABLES:
        _ID_TABLES[table] = "id" in db[table].columns_dict
    return _ID_TABLES[table]
