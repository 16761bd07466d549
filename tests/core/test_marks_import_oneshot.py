"""Importing a marks file in one go, as `schoolq import-marks` does: the new marks are written while
the rest of the file is still being checked, yet the import is still all or nothing.

The file holds every third- and fourth-grade pupil of the demo township; each mark is worked out
by the test from the pupil's place in the file, and what is stored is read back with plain SQL.
With BATCH_ROWS at 40 the file's ~280 rows reach the database in several batches before the end of
the file has been checked.
"""
from __future__ import annotations

import queue
import sqlite3
import sys
import threading

import pytest

from app.db.writes import SYSTEM, BulkInsert, _literal
from app.errors import PermissionDenied
from app.marks import writing as marks_write
from app.marks.writing import import_marks, prompt_handover
from app.services.exams import create_exam
from app.services.users import actor_for
from test_import_helpers import write_xlsx
from test_marks_import import counts, stored

SUBJECTS = (("语文", 100), ("数学", 100), ("英语", 120))


@pytest.fixture
def exam(demo_db) -> str:
    return create_exam(demo_db, SYSTEM, name="期中统考", type="统考", grades="3,4",
                       subjects=",".join(f"{name}:{full}" for name, full in SUBJECTS))


@pytest.fixture
def batches(monkeypatch) -> list[int]:
    """Send new marks to the writer every 40 rows (120 marks), in INSERT statements of 50 marks (the
    rest of a batch goes with the next one); return the number of marks of each batch it was given."""
    monkeypatch.setattr("app.marks.reading.BATCH_ROWS", 40)
    monkeypatch.setattr("app.db.writes.BULK_ROWS", 50)
    sizes: list[int] = []
    put = marks_write._WriterThread.put

    def counting_put(self, statements):
        sizes.append(sum(count for _, _, count in statements))
        put(self, statements)

    monkeypatch.setattr(marks_write._WriterThread, "put", counting_put)
    return sizes


def township_file(db, path, *, last_row: list | None = None):
    """Write the township's grade 3-4 pupils (学校, 班级, 学籍号, 姓名, 语文, 数学, 英语) with marks
    that follow from each row's position; return (path, {(学籍号, 科目): (score, status)})."""
    pupils = db.execute(
        "SELECT s.name, c.name, p.student_no, p.name FROM pupil p JOIN class c ON c.id = p.class_id"
        " JOIN school s ON s.id = p.school_id JOIN academic_year y ON y.id = c.academic_year_id"
        " WHERE y.code = '2026-2027' AND p.grade IN (3, 4) AND p.status IN ('在读', '转入')"
        " ORDER BY s.code, c.name, p.student_no").fetchall()
    rows = [["学校", "班级", "学籍号", "姓名", *(name for name, _ in SUBJECTS)]]
    expected = {}
    for i, (school, class_name, no, name) in enumerate(pupils):
        cells = [(i * 7) % 101, "缺考" if i % 50 == 3 else (i * 13) % 100 + 0.5, (i * 11) % 121]
        rows.append([school, class_name, no, name, *cells])
        for (subject, _), cell in zip(SUBJECTS, cells):
            expected[(no, subject)] = (None, "缺考") if cell == "缺考" else (float(cell), "正常")
    if last_row is not None:
        rows.append(last_row)
    return write_xlsx(path, {"期中统考成绩": rows}, title="青山镇期中统考成绩汇总"), expected


def test_written_while_checked_the_marks_are_exactly_the_files(demo_db, exam, tmp_path, batches):
    path, expected = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before = counts(demo_db)
    plan, result = import_marks(demo_db, SYSTEM, path, exam)
    assert plan.problems == []
    assert result == {"add": len(expected), "update": 0, "unchanged": 0}
    assert len([size for size in batches if size]) > 3 and sum(batches) == len(expected)
    assert stored(demo_db, exam) == expected
    after = counts(demo_db)
    assert (after[0] - before[0], after[1] - before[1]) == (len(expected), 1)
    note = demo_db.execute("SELECT note FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert "期中统考.xlsx" in note and f"{len(expected)} 条" in note
    # The same file again changes nothing.
    plan, result = import_marks(demo_db, SYSTEM, path, exam)
    assert result == {"add": 0, "update": 0, "unchanged": len(expected)}
    assert counts(demo_db) == after


def test_the_first_marks_are_written_before_the_file_is_read_to_the_end(demo_db, exam, tmp_path, monkeypatch):
    """The rows are read as they are checked, so the writer gets its first batch early; the audit
    batch the import seals holds the digest recomputed from its stored entries."""
    from app.db import audit_chain
    from app.importing import workbook

    monkeypatch.setattr("app.marks.reading.BATCH_ROWS", 40)
    made: list[int] = []
    read_when_put: list[int] = []

    class CountedRow(workbook.DataRow):
        def __init__(self, *args, **kwargs):
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(workbook, "DataRow", CountedRow)
    put = marks_write._WriterThread.put
    monkeypatch.setattr(marks_write._WriterThread, "put", lambda self, rows: (read_when_put.append(len(made)),
                                                                              put(self, rows))[1])
    path, expected = township_file(demo_db, tmp_path / "期中统考.xlsx")
    plan, result = import_marks(demo_db, SYSTEM, path, exam)
    rows = len(expected) // len(SUBJECTS)
    assert result["add"] == len(expected) and len(made) == rows
    assert read_when_put[0] <= 41 < rows  # one batch of 40 rows read (and the next begun), not the file
    first, last, digest = demo_db.execute("SELECT first, last, digest FROM audit_chain ORDER BY seq DESC LIMIT 1").fetchone()
    assert last - first + 1 >= len(expected) and digest == audit_chain._digest(demo_db, first, last)


def test_a_problem_in_the_last_row_leaves_nothing_written(demo_db, exam, tmp_path, batches):
    path, _ = township_file(demo_db, tmp_path / "期中统考.xlsx",
                            last_row=["青山镇中心小学", "三(1)班", "G000000000000", "查无此人", 90, 90, 90])
    before = counts(demo_db)
    plan, result = import_marks(demo_db, SYSTEM, path, exam)
    assert result is None and len(batches) > 3
    assert [p.message for p in plan.problems] == ["学籍号“G000000000000”不在“青山镇中心小学”中。请核对学籍号,或先在“学生”页导入名册。"]
    assert counts(demo_db) == before
    # The transaction is over: another connection can write at once.
    other = sqlite3.connect(demo_db.conn.execute("PRAGMA database_list").fetchone()[2], timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.rollback()
    other.close()


def test_a_teacher_importing_a_class_not_taught_writes_nothing(demo_db, exam, tmp_path, batches):
    path, _ = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before = counts(demo_db)
    with pytest.raises(PermissionDenied, match="任教"):
        import_marks(demo_db, actor_for(demo_db, "laoshi"), path, exam)
    assert counts(demo_db) == before


def test_a_database_busy_with_another_write_is_refused_in_chinese(demo_db, exam, tmp_path, monkeypatch):
    from app.db import database
    from app.db.media import DatabaseBusy

    # The real wait is a minute; the test waits a fifth of a second.
    monkeypatch.setattr(database, "BUSY_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(database, "BUSY_NOTICE_SECONDS", 0.1)
    path, _ = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before = counts(demo_db)
    other = sqlite3.connect(demo_db.conn.execute("PRAGMA database_list").fetchone()[2])
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy, match="数据库正被另一个程序使用"):
            import_marks(demo_db, SYSTEM, path, exam)
    finally:
        other.rollback()
        other.close()
    assert counts(demo_db) == before


def test_a_new_mark_naming_a_pupil_not_in_the_database_is_refused(demo_db, exam):
    """What foreign keys would check row by row, the bulk insert checks once per id: against the
    integer keys it read in the writing transaction."""
    school_id, pupil_id, class_id = demo_db.execute(
        "SELECT school_id, id, class_id FROM pupil WHERE grade = 3 AND class_id IS NOT NULL LIMIT 1").fetchone()
    subject_id = demo_db.execute("SELECT id FROM subject WHERE name = '语文'").fetchone()[0]
    before = counts(demo_db)
    with pytest.raises(sqlite3.IntegrityError):
        BulkInsert(demo_db, SYSTEM, "mark", marks_write._MARK_COLUMNS, "测试", fixed={"exam_id": "no-such-exam"})
    insert = BulkInsert(demo_db, SYSTEM, "mark", marks_write._MARK_COLUMNS, "测试", fixed={"exam_id": exam})
    for wrong in ((school_id, "no-such-pupil", subject_id, class_id, 3, 80.0, "正常"),
                  (school_id, pupil_id, subject_id, "no-such-class", 3, 80.0, "正常"),
                  ("no-such-school", pupil_id, subject_id, class_id, 3, 80.0, "正常")):
        with pytest.raises(sqlite3.IntegrityError):
            insert.add([wrong])
    assert counts(demo_db) == before
    insert.add([(school_id, pupil_id, subject_id, class_id, 3, 80.0, "正常")])
    assert demo_db.execute("SELECT score FROM mark WHERE exam_id = ? AND pupil_id = ? AND subject_id = ?",
                           [exam, pupil_id, subject_id]).fetchone()[0] == 80.0

@pytest.mark.parametrize("value", ["a0c9-…", "O'Brien", "''", "2026-12-07T08:00:00+00:00", 17, -3, 0, None])
def test_a_value_every_row_shares_is_written_into_the_statement_as_sqlite_stores_it_bound(value):
    conn = sqlite3.connect(":memory:")
    literal = _literal(value)
    assert conn.execute(f"SELECT {literal}, typeof({literal})").fetchone() == \
        conn.execute("SELECT ?, typeof(?)", [value, value]).fetchone()


@pytest.mark.parametrize("value", [85.5, True, b"x", "a\x00b"])
def test_a_shared_value_sql_cannot_hold_as_a_plain_literal_is_refused(value):
    with pytest.raises(TypeError):
        _literal(value)


def test_the_writer_gets_the_interpreter_promptly_while_an_import_runs_and_python_is_as_before_after(
        demo_db, exam, tmp_path, monkeypatch):
    before = sys.getswitchinterval()
    seen = []
    put = marks_write._WriterThread.put
    monkeypatch.setattr(marks_write._WriterThread, "put",
                        lambda self, statements: (seen.append(sys.getswitchinterval()), put(self, statements)))
    path, expected = township_file(demo_db, tmp_path / "期中统考.xlsx")
    plan, result = import_marks(demo_db, SYSTEM, path, exam)
    assert result["add"] == len(expected) and seen and set(seen) == {0.0005}
    assert sys.getswitchinterval() == before
    with prompt_handover():
        with prompt_handover():
            assert sys.getswitchinterval() == 0.0005
        assert sys.getswitchinterval() == 0.0005  # the inner block's end leaves it short for the outer one
    assert sys.getswitchinterval() == before


def _left_as_before(db, before: tuple, interval: float) -> None:
    """Assert nothing was written, the switch interval is Python's again and no writer thread runs."""
    assert counts(db) == before
    assert sys.getswitchinterval() == interval
    assert not [t for t in threading.enumerate() if t.name == "marks-writer" and t.is_alive()]


def test_a_failure_on_the_writing_thread_leaves_nothing_written(demo_db, exam, tmp_path, batches, monkeypatch):
    """The disk fills up while the second batch is written: the error reaches the caller (the CLI
    says it in Chinese, app.db.media.explain), the first batch is rolled back with the rest."""
    path, _ = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before, interval = counts(demo_db), sys.getswitchinterval()
    run, ran = BulkInsert.run, []

    def filling_up(self, statements):
        ran.append(1)
        if len(ran) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        run(self, statements)

    monkeypatch.setattr(BulkInsert, "run", filling_up)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        import_marks(demo_db, SYSTEM, path, exam)
    assert len(ran) >= 2
    _left_as_before(demo_db, before, interval)


def test_an_import_interrupted_while_the_file_is_read_leaves_nothing_written(demo_db, exam, tmp_path, batches,
                                                                               monkeypatch):
    """Ctrl+C after three batches went to the writer: they are rolled back, the writer ends."""
    path, _ = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before, interval = counts(demo_db), sys.getswitchinterval()
    check, checked = marks_write._check_groups, []

    def interrupted(*args, **kwargs):
        checked.append(1)
        if len(checked) == 4:
            raise KeyboardInterrupt
        return check(*args, **kwargs)

    monkeypatch.setattr(marks_write, "_check_groups", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_marks(demo_db, SYSTEM, path, exam)
    assert sum(batches) > 0
    _left_as_before(demo_db, before, interval)


@pytest.mark.parametrize("presses", [1, 2])
def test_an_import_interrupted_while_it_waits_for_the_writer_ends_the_writer_before_rolling_back(
        demo_db, exam, tmp_path, batches, monkeypatch, presses):
    """Ctrl+C while the file is read and the writer is still at work: the writer stops before its
    transaction is rolled back and its connection closed (it must never run a statement on a closed
    or shared-in-use connection: that crashed the program instead of saying 已取消). A second Ctrl+C
    while it waits for the writer to stop does not cut that wait short."""
    path, _ = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before, interval = counts(demo_db), sys.getswitchinterval()
    busy = threading.Event()
    run = BulkInsert.run

    def slow(self, statements):
        busy.wait(10)  # the writer is behind: the reader is done first and waits for it
        run(self, statements)

    class Unbounded(queue.Queue):  # every batch is queued: the reader gets to the end at once
        def __init__(self, maxsize: int = 0):
            super().__init__()

    monkeypatch.setattr(BulkInsert, "run", slow)
    monkeypatch.setattr(marks_write.queue, "Queue", Unbounded)
    writers = []
    start = marks_write._WriterThread.__init__

    def interrupted_once(self, insert):
        start(self, insert)
        writers.append(self)
        join, calls = self.thread.join, []

        def join_or_interrupt(*args):
            calls.append(1)
            if len(calls) <= presses:
                busy.set()
                raise KeyboardInterrupt
            return join(*args)

        self.thread.join = join_or_interrupt

    monkeypatch.setattr(marks_write._WriterThread, "__init__", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        import_marks(demo_db, SYSTEM, path, exam)
    assert not writers[0].thread.is_alive() and writers[0].error is None
    _left_as_before(demo_db, before, interval)
