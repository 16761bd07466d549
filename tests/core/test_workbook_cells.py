"""The cell values open_sheets gives for the workbooks people and other programs write.

Every expected value is written out by hand: what a person sees in the cell.
"""
from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

from openpyxl import Workbook

from app.importing.workbook import open_sheets, read_tables

DATA = Path(__file__).parent / "data"


def read_all(path: Path) -> list[tuple[str, bool, list[tuple]]]:
    """Return (name, hidden, rows with trailing empty cells dropped) of every sheet."""
    out = []
    with open_sheets(path) as sheets:
        for sheet in sheets:
            rows = [tuple(_trim(list(r))) for r in sheet.rows]
            while rows and not rows[-1]:
                rows.pop()
            out.append((sheet.name, sheet.hidden, rows))
    return out


def _trim(values: list) -> list:
    while values and values[-1] is None:
        values.pop()
    return values


def test_excel_style_shared_strings_merged_title_and_hidden_sheet(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "三(1)班"
    sheet.append(["2026年秋季期中考试成绩"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["学籍号", "姓名", "语文", "数学", "备注", "通过"])
    sheet.append(["G001", "李小明", 87.5, 92, "A&B <c>", True])
    sheet.append(["G002", "王芳", "缺考", "９０", None, False])
    sheet.cell(row=9, column=3, value=100)  # rows 6-8 left out of the file entirely
    hidden = book.create_sheet("下拉列表")
    hidden.append(["语文", "数学"])
    hidden.sheet_state = "hidden"
    path = tmp_path / "excel.xlsx"
    book.save(path)
    read = read_all(path)
    assert read[0][2][:5] == [("2026年秋季期中考试成绩",), (), ("学籍号", "姓名", "语文", "数学", "备注", "通过"),
                              ("G001", "李小明", 87.5, 92, "A&B <c>", True), ("G002", "王芳", "缺考", "９０", None, False)]
    assert read[0][2][5:] == [(), (), (), (None, None, 100)]
    assert [(name, hidden) for name, hidden, _ in read] == [("三(1)班", False), ("下拉列表", True)]


def test_write_only_workbooks_with_inline_strings(tmp_path):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("成绩")
    sheet.append(["学籍号", "姓名", "语文"])
    for i in range(300):
        sheet.append([f"G{i:04d}", f"学生{i}", i % 101 + 0.5 * (i % 2)])
    path = tmp_path / "inline.xlsx"
    book.save(path)
    rows = read_all(path)[0][2]
    assert len(rows) == 301
    assert rows[0] == ("学籍号", "姓名", "语文")
    assert rows[1] == ("G0000", "学生0", 0)
    assert rows[300] == ("G0299", "学生299", 97.5)  # 299 % 101 = 97, plus 0.5 for an odd row


_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:E4"/>
<sheetData><row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" s="2"/>
<c r="E1" t="inlineStr"><is><r><t>总</t></r><r><t xml:space="preserve">分 </t></r></is></c></row>
<row r="3"><c r="A3" t="str"><f>A1&amp;"x"</f><v>学籍号x</v></c><c r="B3" s="1"><f t="shared" ref="B3:B4" si="0">1+1</f><v>2</v></c>
<c r="C3" t="e"><v>#DIV/0!</v></c><c r="D3" t="b"><v>1</v></c><c r="E3" t="inlineStr"><is><t>a&amp;b</t></is></c></row>
<row r="4"><c r="B4"><f t="shared" si="0"/><v>2.5</v></c><c r="D4" t="n"><v>1E-3</v></c></row>
</sheetData></worksheet>"""
_PREFIXED = _SHEET.replace("<c ", "<x:c ").replace("</c>", "</x:c>").replace(
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')


def hand_made(path: Path, sheet_xml: str) -> Path:
    """Write a minimal workbook around one sheet's XML, the way other programs lay it out."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml",
                      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                      '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                      'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml"'
                      ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        book.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                      f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                      '<sheet name="成绩" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{pkg}">'
                      f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="/xl/worksheets/sheet1.xml"/>'
                      f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
                      '</Relationships>')
        book.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{main}" count="2" uniqueCount="2">'
                      '<si><t>学籍号</t></si><si><r><t>姓</t></r><r><t>名</t></r></si></sst>')
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


# calamine gives a formula's cached result; an error result (#DIV/0!) reads as an empty cell.
EXPECTED_ROWS = [("学籍号", "姓名", None, None, "总分 "), (), ("学籍号x", 2, None, True, "a&b"),
                 (None, 2.5, None, 0.001)]


def test_formulas_errors_booleans_escapes_and_absolute_part_names(tmp_path):
    path = hand_made(tmp_path / "other.xlsx", _SHEET)
    assert read_all(path) == [("成绩", False, EXPECTED_ROWS)]


def test_namespace_prefixed_markup_gives_the_same_cells(tmp_path):
    path = hand_made(tmp_path / "prefixed.xlsx", _PREFIXED)
    assert read_all(path) == [("成绩", False, EXPECTED_ROWS)]


def test_csv_is_read_as_text(tmp_path):
    path = tmp_path / "成绩.csv"
    path.write_bytes("姓名,语文\n张三,87\n".encode("gbk"))
    assert read_all(path) == [("成绩", False, [("姓名", "语文"), ("张三", "87")])]


def test_numbers_ids_and_dates_keep_what_the_cell_shows(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["学籍号", "工号", "整数", "小数", "长数字", "日期", "时间"])
    sheet.append(["0012345", "430121", 92, 87.5, 4.30121201501012e17, dt.datetime(2016, 3, 8), dt.time(8, 30)])
    sheet["F2"].number_format = "yyyy-mm-dd"
    sheet.cell(row=3, column=3, value=92.0)
    path = tmp_path / "cells.xlsx"
    book.save(path)
    rows = read_all(path)[0][2]
    # Text stays text (leading zeros kept); whole numbers are ints; a long number Excel turned into
    # a float stays a float, so code_text can tell the user its last digits are lost.
    assert rows[1][:5] == ("0012345", "430121", 92, 87.5, 430121201501012000.0)
    assert isinstance(rows[1][4], float)
    assert rows[1][5] in (dt.date(2016, 3, 8), dt.datetime(2016, 3, 8))
    assert rows[1][6] == dt.time(8, 30)
    assert rows[2] == (None, None, 92)


def test_data_starting_in_column_c_keeps_its_columns(tmp_path):
    book = Workbook()
    book.active["C3"] = "学籍号"
    book.active["D3"] = "姓名"
    book.active["D4"] = "张三"
    path = tmp_path / "offset.xlsx"
    book.save(path)
    assert read_all(path)[0][2] == [(), (), (None, None, "学籍号", "姓名"), (None, None, None, "张三")]


def test_old_xls_and_ods_are_read(tmp_path):
    """The two files were saved by LibreOffice from the same sheet: a text 学籍号 with a leading
    zero, a date, a decimal and a whole number, plus a hidden sheet."""
    expected = [("三(1)班", False, [("学籍号", "姓名", "出生日期", "语文"),
                                   ("0012345", "张三", dt.date(2016, 3, 8), 87.5), ("G002", "李四", None, 92)]),
                ("下拉", True, [("语文",)])]
    for name in ("old_roster.xls", "old_roster.ods"):
        assert read_all(DATA / name) == expected
    # The content decides, not the name: an .xls saved under .xlsx is read all the same.
    misnamed = shutil.copy(DATA / "old_roster.xls", tmp_path / "名单.xlsx")
    result = read_tables(misnamed, {"student_no": ["学籍号"], "name": ["姓名"]})
    assert [(r.row, r.values) for r in result.tables[0].rows] == [
        (2, {"student_no": "0012345", "name": "张三"}), (3, {"student_no": "G002", "name": "李四"})]
