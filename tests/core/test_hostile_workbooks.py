"""Hostile workbooks (issue 14): every import reads within bounded time and memory.

Each file of the issue is rebuilt here and imported on the command line in a fresh interpreter
limited to 1.5 GB: a value in XFD1048576 (calamine used to abort asking for 549 GB), stray cells
at A200000 and ZZ1 (42 s and 4.5 GB before), a small file that inflates to hundreds of MB; and
read in this one: an .ods whose repeated cell spans a million rows, an .xls whose cell or
DIMENSIONS record reaches column 1,500 of row 65,536. Refusals exit 2 with a
Chinese message naming the sheet and the far cell and leave the database unchanged; the sparse
file imports. The cell-by-cell reader used for sparse sheets is checked against calamine.
"""
from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile

import pytest
import xlsxwriter
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from app.importing.limits import FileTooLarge, NotAWorkbook
from app.importing.sheets import sheet_rows
from app.importing.workbook import open_sheets, read_tables
from app.importing.xlsx_cells import CarefulBook
from app.importing.xlsx_scan import inspect_xlsx
from app.packages.datasheet import read_workbook
from app.packages.format import PackageRefused
from hostile_helpers import db_fingerprint, run_cli, shared_string_bomb, small_workbook, with_cells
from test_import_helpers import make_id

pytest_plugins = ["test_import_helpers"]

HEADER = ["学籍号", "姓名", "性别", "出生日期", "年级", "班级"]


def roster_rows() -> list[list]:
    return [HEADER, [f"G{make_id('20160308', 1, male=True)}", "张三", "男", "2016-03-08", 3, "三(1)班"],
            [f"G{make_id('20160409', 2, male=False)}", "李四", "女", "2016-04-09", 3, "三(1)班"]]


def pupils(path) -> int:
    import sqlite3
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM pupil").fetchone()[0]
    finally:
        conn.close()


def test_a_value_in_the_last_cell_is_refused_naming_it(school_path, tmp_path):
    path = tmp_path / "名册.xlsx"
    path.write_bytes(with_cells(small_workbook(roster_rows()), [("XFD1048576", 1048576, "x")]))
    before = db_fingerprint(school_path)
    done = run_cli(["import-roster", str(school_path), str(path)])
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "工作表“名单”" in done.stderr and "XFD1048576" in done.stderr
    assert db_fingerprint(school_path) == before


def test_stray_cells_far_away_are_read_without_a_grid(school_path, tmp_path):
    # A stray value is a row like any other: refused, naming it, within seconds and 1.5 GB.
    path = tmp_path / "名册.xlsx"
    path.write_bytes(with_cells(small_workbook(roster_rows()), [("ZZ1", 1, "备注"), ("A200000", 200000, "x")]))
    assert len(path.read_bytes()) < 20_000
    before = db_fingerprint(school_path)
    done = run_cli(["import-roster", str(school_path), str(path)], timeout=60)
    assert done.returncode == 2, done.stderr
    assert "工作表“名单” 第 200000 行 “学籍号”列" in done.stdout
    assert db_fingerprint(school_path) == before
    # A note far below the list is skipped like any note: the roster imports.
    path.write_bytes(with_cells(small_workbook(roster_rows()), [("ZZ1", 1, "备注"),
                                                                ("A200000", 200000, "注:以上为全部学生")]))
    done = run_cli(["import-roster", str(school_path), str(path)], timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pupils(school_path) == 2


def test_an_archive_that_inflates_to_hundreds_of_megabytes_is_refused(school_path, tmp_path):
    path = shared_string_bomb(small_workbook(roster_rows()), 600 << 20, tmp_path / "名册.xlsx")
    assert path.stat().st_size < 5 << 20
    before = db_fingerprint(school_path)
    done = run_cli(["import-roster", str(school_path), str(path)])
    assert done.returncode == 2, done.stderr
    assert "解压后超过" in done.stderr and "Traceback" not in done.stderr
    assert db_fingerprint(school_path) == before


def test_an_ods_whose_repeated_cell_spans_a_million_rows_is_refused(tmp_path):
    source = zipfile.ZipFile("tests/core/data/old_roster.ods")
    content = source.read("content.xml")
    end = content.index(b"</table:table>")
    far = (b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string"'
           b' table:number-columns-repeated="900"><text:p>x</text:p></table:table-cell></table:table-row>')
    path = tmp_path / "名册.ods"
    with zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            part = source.read(info.filename)
            target.writestr(info, content[:end] + far + content[end:] if info.filename == "content.xml" else part)
    with pytest.raises(FileTooLarge, match="三\\(1\\)班"):
        with open_sheets(path):
            pass


def test_an_ordinary_ods_and_xls_still_read():
    for name in ("old_roster.ods", "old_roster.xls"):
        with open_sheets(f"tests/core/data/{name}") as sheets:
            assert [r for r in sheets[0].rows][1][:2] == ("0012345", "张三")


def test_a_package_data_sheet_with_a_far_cell_is_refused_not_loaded():
    data = with_cells(small_workbook([["学校代码", "学校名称"], ["QSZ01", "青山镇中心小学"]], "学校"),
                      [("XFD1048576", 1048576, "x")])
    with pytest.raises(PackageRefused, match="XFD1048576"):
        read_workbook(data)


def test_the_sparse_reader_gives_what_calamine_gives(tmp_path):
    """A messy workbook from each writer (shared strings, dates, times, booleans, floats, long
    numbers, formulas' cached results, blank rows) read cell by cell equals calamine's reading."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("成绩")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy/m/d h:mm"})
    clock = book.add_format({"num_format": "h:mm"})
    sheet.write_row(0, 0, ["学籍号", "姓名", "语文", "日期", "时刻", "是否", "备注"])
    sheet.write_row(1, 0, ["430121201603080011", "张三", 87.5])
    sheet.write_datetime(1, 3, dt.datetime(2016, 3, 8), date)
    sheet.write_datetime(1, 4, dt.datetime(1899, 12, 31, 8, 30), clock)
    sheet.write_boolean(1, 5, True)
    sheet.write_formula(1, 6, "=C2*2", None, 175)
    sheet.write_row(4, 0, [4.30121201501012e17, "李四", 92])
    sheet.write_datetime(4, 3, dt.datetime(2016, 4, 9, 14, 5), stamp)
    sheet.write_string(5, 2, "缺考")
    book.close()
    other = Workbook()
    other.active.append(["a", 1, 2.25, dt.date(2015, 1, 1), None, "=HYPERLINK(\"x\")"])
    other_bytes = io.BytesIO()
    other.save(other_bytes)
    for data in (buffer.getvalue(), other_bytes.getvalue()):
        handle = io.BytesIO(data)
        plan = inspect_xlsx(handle, "test.xlsx")
        careful = CarefulBook(plan.archive)
        calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name, sheet_plan in plan.sheets.items():
            expected = [tuple(row) for row in sheet_rows(calamine.get_sheet_by_name(name))]
            got = list(careful.rows(name, sheet_plan.part))
            width = max(len(r) for r in expected)
            assert [r + (None,) * (width - len(r)) for r in got] == expected


def test_reading_a_sparse_marks_sheet_keeps_row_numbers(tmp_path):
    rows = [["学籍号", "姓名", "语文"], ["G1", "张三", 90], [None], ["G2", "李四", 80]]
    path = tmp_path / "成绩.xlsx"
    path.write_bytes(with_cells(small_workbook(rows, "成绩"), [("ZZ1", 1, "备注"), ("B150000", 150000, "注:完")]))
    tables = read_tables(path, {"student_no": ["学籍号"], "name": ["姓名"], "score": ["语文"]})
    assert [(r.row, r.values["student_no"], r.values["score"]) for r in tables.tables[0].rows] == [
        (2, "G1", 90), (4, "G2", 80)]


@pytest.mark.parametrize("encoding, delimiter", [("utf-16", "\t"), ("gbk", ","), ("utf-8-sig", ","),
                                                 ("gb18030", ";")])
def test_csv_in_the_encodings_excel_and_wps_write(tmp_path, encoding, delimiter):
    text = "\r\n".join(delimiter.join(str(v) for v in row) for row in roster_rows()) + "\r\n"
    path = tmp_path / "名册.csv"
    path.write_bytes(text.encode(encoding))
    tables = read_tables(path, {"student_no": ["学籍号"], "name": ["姓名"]})
    assert [r.values["name"] for r in tables.tables[0].rows] == ["张三", "李四"]


def test_a_csv_with_nul_bytes_is_refused_cleanly(school_path, tmp_path):
    path = tmp_path / "名册.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "学籍号,姓名\r\nG1,张\x00三\r\n".encode())
    before = db_fingerprint(school_path)
    done = run_cli(["import-roster", str(school_path), str(path)])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert db_fingerprint(school_path) == before


@pytest.mark.parametrize("record, fields, cell", [
    (b"\xfd\x00\x0a\x00", struct.pack("<HH", 65535, 1500), "BES65536"),              # a LABELSST cell
    (b"\x00\x02\x0e\x00", struct.pack("<IIHHH", 0, 65536, 0, 1500, 0), "BER65536")])  # DIMENSIONS
def test_an_xls_reaching_far_is_refused_before_calamine_sizes_its_grid(tmp_path, record, fields, cell):
    # Either record made calamine ask for 3 GB and abort (65,536 rows × 1,500 columns).
    data = bytearray(open("tests/core/data/old_roster.xls", "rb").read())
    at = data.find(record) + 4
    data[at:at + len(fields)] = fields
    path = tmp_path / "名册.xls"
    path.write_bytes(bytes(data))
    with pytest.raises(FileTooLarge, match=f"工作表“三\\(1\\)班”在单元格 {cell}"):
        with open_sheets(path):
            pass


def test_a_binary_xlsb_is_refused_before_calamine_sees_its_sheets(tmp_path):
    path = tmp_path / "名册.xlsb"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
        archive.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    with pytest.raises(NotAWorkbook, match="xlsb"):
        with open_sheets(path):
            pass
