"""The first rows of a large one-sheet .xlsx read from a small copy while calamine loads the whole
sheet (app.importing.early_sheet), as `schoolq import-marks` reads a county's file.

EARLY_BYTES is set to 40 KB so that files of a few hundred rows (~110 KB of XML) take that way. Expected
cells are written out by hand or follow from a row's position in the file; the import's stored
marks are read back with plain SQL.
"""
from __future__ import annotations

import datetime as dt
import sys
import threading

import pytest
from openpyxl import Workbook

from app.db.writes import SYSTEM
from app.importing import early_sheet
from app.importing.limits import FileTooLarge
from app.importing.workbook import open_sheets
from app.marks import writing as marks_write
from app.marks.writing import import_marks
from app.services import audit
from app.services.exams import create_exam
from hostile_helpers import rewrite_parts, small_workbook, with_cells
from test_marks_import import counts, stored
from test_marks_import_oneshot import SUBJECTS, township_file
from test_workbook_cells import hand_made

ROWS = 400


@pytest.fixture(autouse=True)
def small_copies(monkeypatch):
    monkeypatch.setattr(early_sheet, "EARLY_BYTES", 40 * 1024)  # the files below: ~110 KB


@pytest.fixture
def exam(demo_db) -> str:
    return create_exam(demo_db, SYSTEM, name="期中统考", type="统考", grades="3,4",
                       subjects=",".join(f"{name}:{full}" for name, full in SUBJECTS))


@pytest.fixture
def held_load(monkeypatch) -> threading.Event:
    """Hold the whole sheet's load until the returned event is set (at most 10 s)."""
    release = threading.Event()
    load = early_sheet._SheetLoader._load

    def held(self):
        release.wait(10)
        load(self)

    monkeypatch.setattr(early_sheet._SheetLoader, "_load", held)
    return release


def messy_book(path, *, write_only: bool):
    """A marks book as schools keep it: a merged title, a blank row, then ROWS pupils whose cells
    follow from the row: numbers, half points, 缺考, full-width digits, empty cells, dates, yes/no;
    a note far to the right at the bottom (past what the copy holds)."""
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("成绩") if write_only else book.active
    if not write_only:
        sheet.title = "成绩"
    sheet.append(["2026年秋季期中考试成绩"])
    sheet.append([])
    sheet.append(["学籍号", "姓名", "语文", "数学", "考试日期", "补考"])
    for i in range(ROWS):
        sheet.append([f"G{i:04d}", f"学生{i}", "缺考" if i % 9 == 4 else i % 101 + 0.5 * (i % 2),
                      "９０" if i % 7 == 3 else (None if i % 7 == 5 else i % 100),
                      dt.datetime(2026, 11, 1 + i % 28), i % 3 == 0])
    sheet.append([None] * 9 + ["注:缺考按 0 分统计"])
    if not write_only:
        sheet.merge_cells("A1:F1")
    book.save(path)
    return path


def expected_row(i: int) -> tuple:
    return (f"G{i:04d}", f"学生{i}", "缺考" if i % 9 == 4 else (i % 101 + 0.5 * (i % 2)),
            "９０" if i % 7 == 3 else (None if i % 7 == 5 else i % 100), dt.datetime(2026, 11, 1 + i % 28), i % 3 == 0)


def trimmed(row: tuple) -> tuple:
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


@pytest.mark.parametrize("write_only", [False, True], ids=["merged title", "write-only"])
def test_the_first_rows_come_before_the_sheet_is_loaded_and_every_row_is_the_files(tmp_path, held_load,
                                                                                   write_only):
    path = messy_book(tmp_path / "成绩.xlsx", write_only=write_only)
    with open_sheets(path, early_rows=True) as sheets:
        assert len(sheets) == 1 and sheets[0].size is None  # the size is known once the sheet is loaded
        rows = []
        for row in sheets[0].rows:
            rows.append(trimmed(row))
            if len(rows) == 5:
                assert not held_load.is_set()  # five rows read while the whole sheet was not loaded yet
                held_load.set()
    assert held_load.is_set()
    assert rows[:3] == [("2026年秋季期中考试成绩",), (), ("学籍号", "姓名", "语文", "数学", "考试日期", "补考")]
    # A date cell as it shows (midnight may come as a date or a datetime, as calamine gives it).
    assert all(row[4] in (dt.date(2026, 11, 1 + i % 28), dt.datetime(2026, 11, 1 + i % 28))
               for i, row in enumerate(rows[3:3 + ROWS]))
    assert [row[:4] + row[5:] for row in rows[3:3 + ROWS]] == [r[:4] + r[5:] for r in map(expected_row, range(ROWS))]
    assert rows[3 + ROWS:] == [(None,) * 9 + ("注:缺考按 0 分统计",)]
    with open_sheets(path) as sheets:  # the usual way: calamine's whole sheet
        assert [trimmed(row) for row in sheets[0].rows] == rows


def test_shared_strings_read_early_are_the_files(tmp_path, held_load):
    """Excel's way: texts in the shared string table (a name per pupil, 缺考, full-width ９０), 学籍号
    written inline, marks as numbers."""
    count = 2 * ROWS  # ~120 KB of XML
    strings = ["学籍号", "姓名", "语文", "缺考", "９０"] + [f"学生{i}" for i in range(count)]
    rows = ['<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>']
    for i in range(count):
        mark = '<c r="C{r}" t="s"><v>3</v></c>' if i % 9 == 4 else f'<c r="C{{r}}"><v>{i % 101 + 0.5 * (i % 2)}</v></c>'
        rows.append(f'<row r="{i + 2}"><c r="A{i + 2}" t="inlineStr"><is><t>G{i:04d}</t></is></c>'
                    f'<c r="B{i + 2}" t="s"><v>{5 + i}</v></c>' + mark.format(r=i + 2) +
                    (f'<c r="D{i + 2}" t="s"><v>4</v></c>' if i % 7 == 3 else "") + "</row>")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>{"".join(rows)}'
             "</sheetData></worksheet>")
    table = (f'<?xml version="1.0"?><sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
             + "".join(f"<si><t>{text}</t></si>" for text in strings) + "</sst>").encode()
    path = hand_made(tmp_path / "共享字符串.xlsx", sheet)
    path.write_bytes(rewrite_parts(path.read_bytes(), {"xl/sharedStrings.xml": lambda _: table}))
    with open_sheets(path, early_rows=True) as sheets:
        assert sheets[0].size is None  # read early
        read = []
        for row in sheets[0].rows:
            read.append(trimmed(row))
            if len(read) == 5:
                assert not held_load.is_set()
                held_load.set()
    assert read[0] == ("学籍号", "姓名", "语文")
    assert read[1:] == [(f"G{i:04d}", f"学生{i}", "缺考" if i % 9 == 4 else i % 101 + 0.5 * (i % 2))
                        + (("９０",) if i % 7 == 3 else ()) for i in range(count)]


def test_a_small_file_or_one_of_several_sheets_is_read_the_usual_way(tmp_path, monkeypatch):
    monkeypatch.setattr(early_sheet, "_SheetLoader", None)  # never used
    small = tmp_path / "小.xlsx"
    small.write_bytes(small_workbook([["学籍号", "姓名"], ["G001", "张三"]]))
    with open_sheets(small, early_rows=True) as sheets:
        assert [trimmed(r) for r in sheets[0].rows] == [("学籍号", "姓名"), ("G001", "张三")]
    book = Workbook()
    book.active.title = "一班"
    for i in range(ROWS):
        book.active.append([f"G{i:04d}", f"学生{i}", i])
    book.create_sheet("二班").append(["G9999", "李四", 1])
    book.save(tmp_path / "两个班.xlsx")
    with open_sheets(tmp_path / "两个班.xlsx", early_rows=True) as sheets:
        assert [s.name for s in sheets] == ["一班", "二班"] and sheets[0].size == ROWS
        assert trimmed(next(iter(sheets[1].rows))) == ("G9999", "李四", 1)


def test_a_far_cell_is_still_refused_naming_it(tmp_path):
    data = with_cells(small_workbook([["学籍号", "姓名"]] + [[f"G{i:04d}", f"学生{i}"] for i in range(ROWS)]),
                      [("XFD1048576", 1048576, "x")])
    path = tmp_path / "远处.xlsx"
    path.write_bytes(data)
    with pytest.raises(FileTooLarge, match="XFD1048576"):
        with open_sheets(path, early_rows=True) as sheets:
            for _ in sheets[0].rows:
                pass


def test_marks_read_early_are_the_files_and_sealed(demo_db, exam, tmp_path, monkeypatch):
    monkeypatch.setattr("app.marks.reading.BATCH_ROWS", 40)
    readings = []
    streaming = marks_write._import_streaming
    monkeypatch.setattr(marks_write, "_import_streaming",
                        lambda *args: (readings.append(args[-1]), streaming(*args))[1])
    copied = []
    copy_rows = early_sheet._copy_rows
    monkeypatch.setattr(early_sheet, "_copy_rows", lambda *args: (copied.append(copy_rows(*args)), copied[-1])[1])
    path, expected = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before = counts(demo_db)
    plan, result = import_marks(demo_db, SYSTEM, path, exam)
    assert readings == [True] and len(copied[0]) > 40  # read once, its first batch from the copy
    assert result == {"add": len(expected), "update": 0, "unchanged": 0}
    assert stored(demo_db, exam) == expected
    assert counts(demo_db)[0] - before[0] == len(expected)
    from app.db import audit_chain
    first, last, digest = demo_db.execute("SELECT first, last, digest FROM audit_chain ORDER BY seq DESC LIMIT 1"
                                          ).fetchone()
    assert last - first + 1 >= len(expected) and digest == audit_chain._digest(demo_db, first, last)


def test_a_file_whose_first_rows_the_copy_reads_otherwise_is_read_again_and_stores_the_files_marks(
        demo_db, exam, tmp_path, monkeypatch):
    """The file repeats its fifth row (the second pupil) after the last one with another 语文 mark:
    read whole, the later cell wins (as Excel shows it); the copy ends before the repetition. The
    marks written from the copy are rolled back and the file read again: the stored 语文 is 99.5."""
    monkeypatch.setattr("app.marks.reading.BATCH_ROWS", 40)
    readings = []
    streaming = marks_write._import_streaming
    monkeypatch.setattr(marks_write, "_import_streaming",
                        lambda *args: (readings.append(args[-1]), streaming(*args))[1])
    path, expected = township_file(demo_db, tmp_path / "期中统考.xlsx")
    repeated = b'<row r="5"><c r="E5"><v>99.5</v></c></row></sheetData>'
    path.write_bytes(rewrite_parts(path.read_bytes(), {
        "xl/worksheets/sheet1.xml": lambda xml: xml.replace(b"</sheetData>", repeated)}))
    second = demo_db.execute(
        "SELECT p.student_no FROM pupil p JOIN class c ON c.id = p.class_id JOIN school s ON s.id = p.school_id"
        " JOIN academic_year y ON y.id = c.academic_year_id WHERE y.code = '2026-2027' AND p.grade IN (3, 4)"
        " AND p.status IN ('在读', '转入') ORDER BY s.code, c.name, p.student_no LIMIT 1 OFFSET 1").fetchone()[0]
    assert expected[(second, "语文")] == (7.0, "正常")  # (1 × 7) % 101, as township_file wrote it
    expected[(second, "语文")] = (99.5, "正常")
    before = counts(demo_db)
    plan, result = import_marks(demo_db, SYSTEM, path, exam)
    assert readings == [True, False]
    assert result == {"add": len(expected), "update": 0, "unchanged": 0}
    assert stored(demo_db, exam) == expected
    assert (counts(demo_db)[0] - before[0], counts(demo_db)[1] - before[1]) == (len(expected), 1)
    # What `schoolq audit verify` checks: every batch adds up, every row is as recorded.
    assert [f["message"] for f in audit.verify(demo_db) if f["kind"] in ("chain", "state")] == []


def test_an_import_interrupted_while_the_copy_is_read_leaves_nothing_written_and_no_thread(
        demo_db, exam, tmp_path, monkeypatch, held_load):
    """Ctrl+C after the first batch, read from the copy, went to the writer: it is rolled back, and
    the whole sheet's load is waited for before the interruption goes on."""
    monkeypatch.setattr("app.marks.reading.BATCH_ROWS", 40)
    path, _ = township_file(demo_db, tmp_path / "期中统考.xlsx")
    before, interval = counts(demo_db), sys.getswitchinterval()
    check, checked = marks_write._check_groups, []

    def interrupted(*args, **kwargs):
        checked.append(1)
        if len(checked) == 2:
            assert not held_load.is_set()  # still reading the copy's rows
            held_load.set()
            raise KeyboardInterrupt
        return check(*args, **kwargs)

    monkeypatch.setattr(marks_write, "_check_groups", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_marks(demo_db, SYSTEM, path, exam)
    assert counts(demo_db) == before
    assert sys.getswitchinterval() == interval
    assert not [t for t in threading.enumerate() if t.name in ("marks-writer", "load-sheet") and t.is_alive()]



def test_ctrl_c_while_the_sheet_loads_waits_for_the_load_then_goes_on(tmp_path, held_load, monkeypatch):
    """Interrupted while it waits for the whole sheet (leaving the block), the wait is not cut short:
    the load thread has ended, then KeyboardInterrupt goes on."""
    path = messy_book(tmp_path / "成绩.xlsx", write_only=True)
    join = threading.Thread.join
    pressed = []

    def pressed_once(self, *args):
        if self.name == "load-sheet" and not pressed:
            pressed.append(1)
            held_load.set()
            raise KeyboardInterrupt
        return join(self, *args)

    monkeypatch.setattr(threading.Thread, "join", pressed_once)
    with pytest.raises(KeyboardInterrupt):
        with open_sheets(path, early_rows=True) as sheets:
            assert sheets[0].size is None
    assert pressed and not [t for t in threading.enumerate() if t.name == "load-sheet" and t.is_alive()]
