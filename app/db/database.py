"""Open a SchoolQ database: WAL, foreign keys, migrations with a safety copy, newer schema refused."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from app.db.migrations import MIGRATION_SET, known_migration_names, migrations, program_schema_version
from app.errors import NotADatabase, SchemaTooNew

MIGRATIONS_TABLE = "_sqlite_migrations"


def _configure(db: Database) -> None:
    with db.ensure_autocommit_on():
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")


def applied_migrations(db: Database) -> list[str]:
    """Return the names of the migrations already applied to `db`, in order."""
    if not db[MIGRATIONS_TABLE].exists():
        return []
    return [row["name"] for row in db.query(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid", [MIGRATION_SET])]


def schema_version(db: Database) -> int:
    """Return how many migrations of this program's list the database has."""
    return len(applied_migrations(db))


def _backup(path: Path, conn: sqlite3.Connection, version: int) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.v{version}-{stamp}.bak{path.suffix}")
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def open_database(path: str | Path, *, create: bool = False) -> Database:
    """Open (or with create=True, create) the database at `path` and bring its schema up to date.

    Before any migration runs on an existing file, a consistent copy is written beside it
    (`NAME.vN-TIMESTAMP.bak.sqlite`). Returns a sqlite-utils Database with foreign keys on.
    Raises NotADatabase for a file that is not a SchoolQ database, SchemaTooNew for one written by
    a newer program, FileNotFoundError when the file is missing and create is False.
    """
    path = Path(path)
    existed = path.exists() and path.stat().st_size > 0
    if not existed and not create:
        raise FileNotFoundError(f"找不到数据库文件:{path}")
    try:
        db = Database(path)
        tables = set(db.table_names())
    except sqlite3.DatabaseError as exc:
        raise NotADatabase(f"“{path.name}”不是本程序的数据库文件(无法以 SQLite 打开)。") from exc
    if existed and "meta" not in tables:
        db.close()
        raise NotADatabase(f"“{path.name}”不是本程序的数据库文件。")
    applied = applied_migrations(db)
    unknown = [name for name in applied if name not in known_migration_names()]
    if unknown:
        db.close()
        raise SchemaTooNew(
            f"数据库“{path.name}”由更新版本的程序创建(数据结构版本 {len(applied)},本程序支持 "
            f"{program_schema_version()})。为保护数据,本程序不会打开它,请升级程序后再打开。")
    _configure(db)
    if migrations.pending(db):
        if existed:
            _backup(path, db.conn, len(applied))
        migrations.apply(db)
    return db


def open_writer(db: Database) -> Database | None:
    """Return a second connection to the file `db` is open on, set up the same way, that any one
    thread at a time may use: for writing on a worker thread while `db` goes on reading. Returns
    None for a database that is not a file (in memory), which a second connection cannot see."""
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return None
    writer = Database(sqlite3.connect(path, check_same_thread=False))
    _configure(writer)
    return writer
