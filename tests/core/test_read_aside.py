"""A read started beside the caller's work (app.db.database.read_aside) sees what the caller sees.

On a database file outside a transaction it runs on another thread over its own read-only
connection (closed afterwards); in memory, or inside a transaction with uncommitted writes, it runs
on the caller's own connection, so the uncommitted rows are counted."""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlite_utils import Database

from app.db.database import open_database, read_aside


def _pupils(db: Database) -> tuple[int, int, Database]:
    return db.execute("SELECT COUNT(*) FROM t").fetchone()[0], threading.get_ident(), db


@pytest.fixture
def file_db(tmp_path):
    db = open_database(tmp_path / "x.sqlite", create=True)
    db.execute("CREATE TABLE t (name TEXT)")
    db.execute("INSERT INTO t VALUES ('甲'), ('乙')")
    yield db
    db.close()


def test_a_file_is_read_on_another_thread_and_connection_closed_after(file_db):
    with read_aside(file_db, _pupils) as result:
        count, thread, reader = result()
    assert count == 2
    assert thread != threading.get_ident() and reader is not file_db
    with pytest.raises(sqlite3.ProgrammingError):  # closed when the block ended
        reader.execute("SELECT 1")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        with read_aside(file_db, lambda d: d.execute("INSERT INTO t VALUES ('丙')")) as result:
            result()
    assert file_db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2


class _Undo(Exception):
    pass


def test_uncommitted_rows_of_an_open_transaction_are_counted(file_db):
    with pytest.raises(_Undo), file_db.atomic():
        file_db.execute("INSERT INTO t VALUES ('丙')")
        with read_aside(file_db, _pupils) as result:
            count, thread, reader = result()
        assert (count, thread, reader) == (3, threading.get_ident(), file_db)
        raise _Undo
    with read_aside(file_db, _pupils) as result:
        assert result()[0] == 2


def test_in_memory_is_read_by_the_caller():
    db = Database(memory=True)
    db.execute("CREATE TABLE t (name TEXT)")
    db.execute("INSERT INTO t VALUES ('甲')")
    with read_aside(db, _pupils) as result:
        assert result() == (1, threading.get_ident(), db)


def test_an_error_of_the_read_reaches_the_caller(file_db):
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        with read_aside(file_db, lambda d: d.execute("SELECT * FROM nowhere").fetchall()) as result:
            result()
