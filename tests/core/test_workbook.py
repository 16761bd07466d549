"""Reading real-world workbooks: headers under titles, decorated header cells, CSV encodings,
files that are not workbooks, and the numbers Excel mangles."""
from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import Workbook

from app.importing.workbook import CellError, NotAWorkbook, code_text, date_value, read_tables
from test_import_helpers import write_csv, write_xlsx

SYNONYMS = {"student_no": ["学籍号", "全国学籍号", "学号"], "name": ["姓名", "学生姓名"], "class": ["班级", "班别"],
            "birth_date": ["出生日期", "出生年月"]}
REQUIRED = ("student_no", "name")


def _rows(result):
    return [(r.sheet, r.row, r.values) for t in result.tables for r in t.rows]


def test_header_found_under_merged_title_and_blank_rows_with_decorated_header_cells(tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [
        ["序号", "学籍号\n(必填)", " *姓　名 ", "班级（必填）", "出生\n日期"],
        [1, "G001", "张三", "三(2)班", "2016-03-08"],
        [2, "G002", "李四", "3.2", None],
    ]}, blank_rows=2)
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert result.problems == []
    table = result.tables[0]
    # Title on row 1, blank rows 2-3, header on row 4: data rows are Excel rows 5 and 6.
    assert table.header_row == 4
    assert table.headers == {"student_no": "学籍号(必填)", "name": "*姓名", "class": "班级（必填）",
                             "birth_date": "出生日期"}
    assert _rows(result) == [
        ("学生名单", 5, {"student_no": "G001", "name": "张三", "class": "三(2)班", "birth_date": "2016-03-08"}),
        ("学生名单", 6, {"student_no": "G002", "name": "李四", "class": "3.2", "birth_date": None}),
    ]
    assert table.ignored_headers == []  # 序号 is expected and never reported


def test_earlier_synonym_wins_and_unknown_columns_are_listed(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"Sheet1": [
        ["学号", "姓名", "学籍号", "家庭住址"],
        ["12", "张三", "G001", "石门村"],
    ]}, title=None, blank_rows=0)
    table = read_tables(path, SYNONYMS, required=REQUIRED).tables[0]
    assert table.headers["student_no"] == "学籍号"
    assert table.rows[0].values["student_no"] == "G001"
    assert table.ignored_headers == ["学号", "家庭住址"]


def test_blank_rows_numbered_template_rows_notes_and_repeated_headers_are_skipped(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"一班": [
        ["序号", "学籍号", "姓名"],
        [1, "G001", "张三"],
        [None, None, None],
        [2, "G002", "李四"],
        ["序号", "学籍号", "姓名"],  # header repeated for the second printed page
        [3, "G003", "王五"],
        [4, None, None],  # a pre-numbered template row nobody filled
        ["合计:3人"],
        ["注:性别请填写“男”或“女”,出生日期格式为 2016-03-08。"],
    ]})
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert [(row, values["name"]) for _, row, values in _rows(result)] == [(4, "张三"), (6, "李四"), (8, "王五")]


def test_every_sheet_is_read_with_its_own_name_and_an_instructions_sheet_is_only_a_warning(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {
        "填表说明": [["1. 学籍号必须填写"], ["2. 班级写成 三(2)班"]],
        "一年级": [["学籍号", "姓名"], ["G001", "张三"]],
        "二年级": [["学籍号", "姓名"], ["G002", "李四"], ["G003", "王五"]],
    })
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert result.problems == []
    assert [(s, r, v["name"]) for s, r, v in _rows(result)] == [("一年级", 4, "张三"), ("二年级", 4, "李四"),
                                                                 ("二年级", 5, "王五")]
    assert [(w.sheet, w.severity) for w in result.warnings] == [("填表说明", "warning")]


def test_a_file_without_a_recognisable_header_is_a_problem_naming_the_sheet(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"成绩": [["编号", "名字", "分数"], ["1", "张三", "90"]]})
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert result.tables == []
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.sheet == "成绩"
    assert "找不到表头:至少需要“学籍号”和“姓名”两列" in problem.message
    assert str(problem).startswith("工作表“成绩”")


def test_a_header_missing_a_required_column_is_a_problem(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"名单": [["姓名", "班级"], ["张三", "三(2)班"]]}, title=None, blank_rows=0)
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert [(p.sheet, p.row) for p in result.problems] == [("名单", 1)]
    assert "缺少“学籍号”列" in result.problems[0].message


def test_header_without_data_rows_is_a_problem(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"名单": [["学籍号", "姓名"]]})
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert "没有数据行" in result.problems[0].message


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk(tmp_path, encoding):
    path = write_csv(tmp_path / "名单.csv", [["学籍号", "姓名", "班级"], ["G001", "张　三", "三（2）班"],
                                            ["G002", "欧阳娜娜", "四(1)班"]], encoding)
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert result.problems == []
    assert _rows(result) == [("名单", 2, {"student_no": "G001", "name": "张　三", "class": "三（2）班"}),
                             ("名单", 3, {"student_no": "G002", "name": "欧阳娜娜", "class": "四(1)班"})]


def test_tab_separated_text_file(tmp_path):
    path = tmp_path / "导出.txt"
    path.write_text("学籍号\t姓名\nG001\t张三\n", encoding="gbk")
    assert _rows(read_tables(path, SYNONYMS, required=REQUIRED)) == [
        ("导出", 2, {"student_no": "G001", "name": "张三"})]


@pytest.mark.parametrize("name, content", [
    ("名单.xlsx", "学籍号,姓名\nG001,张三\n".encode("utf-8")),               # a text file renamed .xlsx
    ("照片.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),             # a PNG renamed .xlsx
    ("照片.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)),      # a PNG renamed .csv
    ("报告.doc", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
])
def test_files_that_are_not_workbooks_get_one_chinese_sentence(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NotAWorkbook) as caught:
        read_tables(path, SYNONYMS, required=REQUIRED)
    message = str(caught.value)
    assert f"“{name}”" in message and "另存为 .xlsx" in message
    assert "Traceback" not in message and "\n" not in message


def test_a_zip_that_is_not_a_workbook_and_a_damaged_xls(tmp_path):
    docx = tmp_path / "通知.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(NotAWorkbook, match="不是 Excel 工作簿"):
        read_tables(docx, SYNONYMS)
    xls = tmp_path / "名单.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(NotAWorkbook, match="设置了打开密码或已损坏"):
        read_tables(xls, SYNONYMS)


def test_a_real_xlsx_misnamed_xls_is_read(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"名单": [["学籍号", "姓名"], ["G001", "张三"]]})
    renamed = path.rename(tmp_path / "名单.xls")
    assert [v["name"] for _, _, v in _rows(read_tables(renamed, SYNONYMS, required=REQUIRED))] == ["张三"]


def test_a_sheet_with_a_wrong_dimension_record_is_read_completely(tmp_path):
    """WPS and some exporters write <dimension ref="A1"/>; every row must still be read."""
    rows = [["学籍号", "姓名"]] + [[f"G{i:03d}", f"学生{i}"] for i in range(30)]
    source = write_xlsx(tmp_path / "x.xlsx", {"名单": rows})
    target = tmp_path / "wps.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                start = text.index("<dimension")
                end = text.index("/>", start) + 2
                data = (text[:start] + '<dimension ref="A1"/>' + text[end:]).encode()
            dst.writestr(item, data)
    rows = _rows(read_tables(target, SYNONYMS, required=REQUIRED))
    assert len(rows) == 30 and rows[-1][1] == 33


def test_numbers_excel_made_of_identifiers():
    assert code_text(123456.0) == "123456"
    assert code_text(430121201601010012) == "430121201601010012"  # an exact integer cell is fine
    assert code_text(" ｇ４３０１２１\u3000") == "G430121"
    assert code_text("123456.0") == "123456"
    assert code_text(None) == ""
    with pytest.raises(CellError) as caught:
        code_text(4.30121201501012e+17)
    assert "4.30121201501012E+17" in str(caught.value) and "文本" in str(caught.value)
    with pytest.raises(CellError):
        code_text("4.30121E+17")  # how a CSV saved by Excel writes it


def test_an_identifier_stored_as_a_float_in_a_real_workbook_is_recognised(tmp_path):
    workbook = Workbook()
    workbook.active.append(["学籍号", "姓名"])
    workbook.active.append([4.30121201501012e+17, "张三"])  # as Excel stores an 18-digit number
    workbook.active.append([20160001.0, "李四"])
    path = tmp_path / "x.xlsx"
    workbook.save(path)
    values = [r.values["student_no"] for t in read_tables(path, SYNONYMS).tables for r in t.rows]
    with pytest.raises(CellError):
        code_text(values[0])
    assert code_text(values[1]) == "20160001"


def test_date_cells_as_datetimes_serial_numbers_and_text_with_time():
    assert date_value(dt.datetime(2016, 3, 8)) == dt.date(2016, 3, 8)
    assert date_value(42437) == dt.date(2016, 3, 8)  # a date column formatted as a number
    assert date_value("2016-03-08 00:00:00") == "2016-03-08"
    assert date_value("2016/3/8") == "2016/3/8"
    assert date_value(2016) == 2016  # a bare year is not an Excel serial of 1905


def test_hidden_sheets_are_not_imported(tmp_path):
    workbook = Workbook()
    visible = workbook.active
    visible.title = "名单"
    visible.append(["学籍号", "姓名"])
    visible.append(["G001", "张三"])
    lists = workbook.create_sheet("下拉选项")
    lists.append(["男", "女"])
    old = workbook.create_sheet("去年名单")
    old.append(["学籍号", "姓名"])
    old.append(["G900", "旧生"])
    lists.sheet_state = old.sheet_state = "hidden"
    path = tmp_path / "x.xlsx"
    workbook.save(path)
    result = read_tables(path, SYNONYMS, required=REQUIRED)
    assert [v["name"] for _, _, v in _rows(result)] == ["张三"]
    # The hidden list of drop-down values says nothing; the hidden roster is mentioned.
    assert [(w.sheet, w.severity) for w in result.warnings] == [("去年名单", "warning")]
    assert "隐藏" in result.warnings[0].message


def test_the_file_level_problems_carry_a_code(tmp_path):
    # Code that reacts to a kind of problem reads its code; the words are for people and may change.
    synonyms = {"name": ["姓名"], "no": ["学籍号"]}
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert [p.code for p in read_tables(empty, synonyms, required=("name",)).problems] == ["empty_file"]
    headless = write_xlsx(tmp_path / "headless.xlsx", {"Sheet1": [["甲", "乙"], [1, 2]]})
    assert [p.code for p in read_tables(headless, synonyms, required=("name",)).problems] == ["no_header"]
    missing = write_xlsx(tmp_path / "missing.xlsx", {"Sheet1": [["学籍号", "姓名"], ["G1", "张三"]]})
    found = read_tables(missing, synonyms, required=("name", "grade"), min_matches=1).problems
    assert [p.code for p in found] == ["missing_column"]
    bare = write_xlsx(tmp_path / "bare.xlsx", {"Sheet1": [["学籍号", "姓名"]]})
    assert [p.code for p in read_tables(bare, synonyms, required=("name",)).problems] == ["no_rows"]
