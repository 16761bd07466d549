"""Open a SchoolQ database: WAL, foreign keys, migrations with a safety copy, newer schema refused;
read-only where the command only reads; every write transaction started with BEGIN IMMEDIATE and a
bounded wait for another program's write to finish."""
from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from app.db import audit_chain
from app.db.copies import SAFETY_KEEP, safety_copy
from app.db.media import BUSY, DatabaseBusy, ReadOnlyMedia, explain, read_only_place
from app.db.migrations import MIGRATION_SET, known_migration_names, migrations, program_schema_version
from app.errors import NotADatabase, SchemaTooNew

MIGRATIONS_TABLE = "_sqlite_migrations"
# How long a write waits for another program's write to finish before it is refused, and after how
# long the user is told that it is waiting.
BUSY_WAIT_SECONDS = 60.0
BUSY_NOTICE_SECONDS = 1.0
# SQLite's own wait on a lock, for the statements that are not BEGIN IMMEDIATE.
BUSY_TIMEOUT_MS = 1000
_SQLITE_NOTADB, _SQLITE_CORRUPT = 26, 11
_busy_notices: list[Callable[[], None]] = []
T = TypeVar("T")


def set_busy_notice(notice: Callable[[], None] | None) -> None:
    """Call `notice()` (once per wait) when a write has waited BUSY_NOTICE_SECONDS for another
    program; None removes it. The CLI prints a line on stderr."""
    _busy_notices.clear()
    if notice is not None:
        _busy_notices.append(notice)


def begin_immediate(db: Database) -> None:
    """Start a write transaction on `db` now (BEGIN IMMEDIATE), waiting up to BUSY_WAIT_SECONDS for
    another program's write to end; the busy notice is given once the wait passes BUSY_NOTICE_SECONDS.

    Raises DatabaseBusy when the lock is still held after the wait (nothing was written), or what
    `explain` makes of another failure (DiskFull, ReadOnlyMedia).
    """
    conn = db.conn
    started = time.monotonic()
    told = False
    try:
        while True:
            waited = time.monotonic() - started
            step = BUSY_NOTICE_SECONDS - waited if not told else BUSY_WAIT_SECONDS - waited
            conn.execute(f"PRAGMA busy_timeout = {max(int(step * 1000), 0)}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                reason = explain(exc)
                if not isinstance(reason, DatabaseBusy):
                    raise (reason or exc) from exc
                if time.monotonic() - started >= BUSY_WAIT_SECONDS:
                    raise DatabaseBusy(BUSY) from None
                if not told:
                    told = True
                    for notice in _busy_notices:
                        notice()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


class SchoolDatabase(Database):
    """A sqlite-utils Database whose outermost atomic() block is a BEGIN IMMEDIATE transaction:
    the write lock is taken before anything is read, so a check and the write it allows see the
    same data, and a busy database is waited for (boundedly) at the start, never half-way.

    Every such transaction seals its changes into the audit chain before it commits
    (app.db.audit_chain): the entries the triggers wrote during it become a `program` batch, and
    entries found pending when it began (written by someone else) an `outside` one. A single write
    statement outside a transaction runs in one of its own. `safety_copy` is the copy
    open_database wrote before migrating it, or None."""

    _boundary = 0

    safety_copy: Path | None = None

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """Run the block in one transaction (a savepoint when one is open); see begin_write."""
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.begin_write()
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        self.commit_write()

    def begin_write(self) -> None:
        """Start a write transaction (begin_immediate) and note where the audit record stands."""
        begin_immediate(self)
        self._boundary = audit_chain.max_seq(self) if audit_chain.recording(self) else 0

    def commit_write(self) -> None:
        """Seal the transaction's changes into the audit chain and commit. Raises what `explain`
        makes of a failure (DiskFull …), after rolling back."""
        try:
            if audit_chain.recording(self):
                audit_chain.seal(self, self._boundary)
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.rollback()
            raise (explain(exc) or exc) from exc

    def execute(self, sql: str, parameters=None) -> sqlite3.Cursor:
        """Run one statement; a write outside a transaction runs in its own sealed one."""
        if self.conn.in_transaction or sql.lstrip()[:7].upper() not in _WRITES:
            return super().execute(sql, parameters)
        with self.atomic():
            return super().execute(sql, parameters)


_WRITES = {"INSERT ", "UPDATE ", "DELETE ", "REPLACE"}


def _configure(db: Database, readonly: bool = False) -> None:
    if not readonly:
        with db.ensure_autocommit_on():
            db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def applied_migrations(db: Database) -> list[str]:
    """Return the names of the migrations already applied to `db`, in order."""
    if not db[MIGRATIONS_TABLE].exists():
        return []
    return [row["name"] for row in db.query(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])]


def schema_version(db: Database) -> int:
    """Return how many migrations of this program's list the database has."""
    return len(applied_migrations(db))


def _connect(path: Path, readonly: bool, *, any_thread: bool = False) -> sqlite3.Connection:
    """Return a connection to `path`: read-only (mode=ro, or immutable when nothing beside the file
    can be written, as on a write-protected stick) or read-write; with `any_thread` one that any
    one thread at a time may use."""
    if not readonly:
        return sqlite3.connect(path, check_same_thread=not any_thread)
    uri = path.resolve().as_uri()
    if read_only_place(path) and not Path(f"{path}-shm").exists():
        # Without a -shm file beside it that could be created, SQLite cannot open a WAL database
        # read-only; nobody can be writing a file on a read-only medium, so it may be read as is,
        # unless its last changes are still in a -wal file, which would then be ignored.
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise ReadOnlyMedia(f"只读:“{path.name}”的最后一些改动还在旁边的“{wal.name}”文件里,在只读位置无法读取。"
                                "请把这两个文件一起复制到本地磁盘后再打开。")
        return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=not any_thread)
    return sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=not any_thread)


def _opening_error(path: Path, exc: sqlite3.Error) -> Exception:
    """Return the error to raise for `exc` met while opening `path`."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_SQLITE_NOTADB, _SQLITE_CORRUPT) or "not a database" in str(exc):
        return NotADatabase(f"“{path.name}”不是本程序的数据库文件(无法以 SQLite 打开)。")
    return explain(exc, path) or exc


def open_database(path: str | Path, *, create: bool = False, readonly: bool = False) -> SchoolDatabase:
    """Open (or with create=True, create) the database at `path` and bring its schema up to date.

    With readonly=True the file is opened read-only (it may be on a write-protected stick) and never
    changed; a database that needs migrating is then opened for writing, or refused (ReadOnlyMedia)
    when it cannot be written. Before any migration runs on an existing file, a consistent copy is
    written beside it (`NAME.vN-TIMESTAMP.bak.sqlite`, the newest SAFETY_KEEP kept; the path is in
    `db.safety_copy`). Returns a Database whose atomic() blocks start with BEGIN IMMEDIATE.
    Raises NotADatabase for a file that is not a SchoolQ database, SchemaTooNew for one written by
    a newer program, FileNotFoundError when the file is missing and create is False, DiskFull,
    ReadOnlyMedia or DatabaseBusy when the disk or another program is in the way.
    """
    path = Path(path)
    existed = path.exists() and path.stat().st_size > 0
    if not existed and not create:
        if path.is_file():  # a file of 0 bytes: a copy cut short, or a new document never written
            raise NotADatabase(f"“{path.name}”是空文件(0 字节),里面没有数据:可能复制时没有复制完整。"
                               "请从原来的电脑或备份重新复制。")
        raise FileNotFoundError(f"找不到数据库文件:{path}")
    readonly = readonly and existed
    db = None
    try:
        db = SchoolDatabase(_connect(path, readonly))
        tables = set(db.table_names())
        if existed and "meta" not in tables:
            raise NotADatabase(f"“{path.name}”不是本程序的数据库文件。")
        applied = applied_migrations(db)
        unknown = [name for name in applied if name not in known_migration_names()]
        if unknown:
            raise SchemaTooNew(
                f"数据库“{path.name}”由更新版本的程序创建(数据结构版本 {len(applied)},本程序支持 "
                f"{program_schema_version()})。为保护数据,本程序不会打开它,请升级程序后再打开。")
        _configure(db, readonly)
        if migrations.pending(db):
            if readonly:
                db.close()
                if read_only_place(path):
                    raise ReadOnlyMedia(f"数据库“{path.name}”需要升级数据结构才能打开,但它所在的位置只读。"
                                        "请先把它复制到本地磁盘。")
                return open_database(path)
            if existed:
                db.safety_copy = safety_copy(db.conn, path, len(applied), keep=SAFETY_KEEP)
            migrations.apply(db)
            audit_chain.install(db, migrated=True)
        elif not readonly:
            audit_chain.install(db, migrated=False)
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        raise _opening_error(path, exc) from exc
    except BaseException:
        if db is not None:
            db.close()
        raise
    return db


def remove_database(path: str | Path) -> None:
    """Delete the database file at `path` with its -wal, -shm and -journal files (a partial file
    left by a creation that failed, e.g. on a full disk, so that a retry is not blocked)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def open_writer(db: Database) -> SchoolDatabase | None:
    """Return a second connection to the file `db` is open on, set up the same way, that any one
    thread at a time may use: for writing on a worker thread while `db` goes on reading. Returns
    None for a database that is not a file (in memory), which a second connection cannot see."""
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return None
    writer = SchoolDatabase(sqlite3.connect(path, check_same_thread=False))
    _configure(writer)
    return writer


def open_reader(db: Database) -> Database | None:
    """Return a second, read-only connection to the file `db` is open on, set up the same way, that
    any one thread at a time may use: for reading on a worker thread while `db` goes on with other
    work. Returns None when a second connection would not see what `db` sees: a database that is
    not a file (in memory), or `db` inside a transaction (its changes are not committed yet)."""
    if db.conn.in_transaction:
        return None
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return None
    try:
        reader = Database(_connect(Path(path), readonly=True, any_thread=True))
        _configure(reader, readonly=True)
    except (sqlite3.Error, ReadOnlyMedia):
        return None
    return reader


@contextlib.contextmanager
def read_aside(db: Database, read: Callable[..., T], *args, **kwargs) -> Iterator[Callable[[], T]]:
    """Start `read(reader, *args, **kwargs)` on a worker thread over a second connection (open_reader)
    and yield the function that waits for its result and returns it (or raises what it raised).
    SQLite lets go of Python while a query runs, so the caller's own queries and numpy run beside it
    on another core. Where no second connection can see what `db` sees, `read(db, …)` runs when the
    result is asked for. The worker is waited for and its connection closed when the block ends."""
    reader = open_reader(db)
    if reader is None:
        yield lambda: read(db, *args, **kwargs)
        return
    values: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            values.append(read(reader, *args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            errors.append(exc)

    def result() -> T:
        worker.join()
        if errors:
            raise errors[0]
        return values[0]

    worker = threading.Thread(target=run, name="read-aside", daemon=True)
    worker.start()
    try:
        yield result
    finally:
        worker.join()
        reader.close()
