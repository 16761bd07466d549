"""Importing the pupil roster from the messy workbooks schools really keep.

Expected values are worked out by hand from the cells written in each test.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied, ValidationError
from app.importing.roster import apply_roster, read_roster
from app.importing.workbook import NotAWorkbook
from app.services import pupils
from test_import_helpers import data_rows_before, make_id, school_id, write_csv, write_xlsx, wrong_check

pytest_plugins = ["test_import_helpers"]

HEADER = ["序号", "学籍号（必填）", "姓 名", "性别", "出生日期", "身份证件号*", "年级", "班级", "是否寄宿生",
          "是否留守儿童", "体育免修"]
ID_A = make_id("20160308", 1, male=True)
ID_BAD = wrong_check(make_id("20160412", 7, male=False))


def messy_rows() -> list[list]:
    """Nine pupils, every class spelling, full-width digits and spaces, numbers as text and floats."""
    return [
        HEADER,
        [1, f"G{ID_A}", " 李\u3000小明 ", "", None, ID_A, None, "三(2)班", "是", "否", ""],
        [2, "２０１６０００２", "王 芳", "女", "2016/5/1", None, "三年级", "三（2）班", "√", None, None],
        [3, 20160003.0, "赵刚", "男", dt.datetime(2016, 9, 1), None, None, "3.2", "否", "是", "否"],
        [4, "20160004", "钱多多", "女", "2016年1月2日", None, None, "302", None, None, None],
        [5, "20160005", "孙悟", "男", "20160606", None, None, "三年级2班", None, None, "是"],
        [6, "20160006", "周一", "女", 42437, None, None, "三年级二班", None, None, None],
        [7, "20160007", "吴二", "男", "2018-02-03", None, "一年级", "一二年级复式班", None, None, None],
        [8, "20160008", "郑三", "女", "2017-04-05", None, "2", "一二年级复式班", None, None, None],
        [9, "20160009", "冯四", "男", "2015-07-08", None, None, "４(１)班", None, None, None],
        ["注:本表由班主任填写,学籍号以全国学籍系统为准。"],
    ]


# (学籍号, 姓名, 性别, 出生日期, 年级, 班级, 寄宿, 留守, 体育免修), worked out from the cells above.
EXPECTED = [
    (f"G{ID_A}", "李小明", "男", "2016-03-08", 3, "三(2)班", 1, 0, 0),
    ("20160002", "王芳", "女", "2016-05-01", 3, "三(2)班", 1, 0, 0),
    ("20160003", "赵刚", "男", "2016-09-01", 3, "三(2)班", 0, 1, 0),
    ("20160004", "钱多多", "女", "2016-01-02", 3, "三(2)班", 0, 0, 0),
    ("20160005", "孙悟", "男", "2016-06-06", 3, "三(2)班", 0, 0, 1),
    ("20160006", "周一", "女", "2016-03-08", 3, "三(2)班", 0, 0, 0),
    ("20160007", "吴二", "男", "2018-02-03", 1, "一二年级复式班", 0, 0, 0),
    ("20160008", "郑三", "女", "2017-04-05", 2, "一二年级复式班", 0, 0, 0),
    ("20160009", "冯四", "男", "2015-07-08", 4, "四(1)班", 0, 0, 0),
]


def stored(db, code="S1") -> list[tuple]:
    return [tuple(r) for r in db.execute(
        "SELECT p.student_no, p.name, p.gender, p.birth_date, p.grade, c.name, p.boarding, p.left_behind, p.pe_exempt"
        " FROM pupil p JOIN school s ON s.id = p.school_id LEFT JOIN class c ON c.id = p.class_id"
        " WHERE s.code = ? ORDER BY p.student_no", [code])]


def test_messy_workbook_imports_exactly_the_expected_pupils(school_db, tmp_path):
    path = write_xlsx(tmp_path / "三年级名册.xlsx", {"学生名单": messy_rows()})
    plan = read_roster(school_db, path)
    assert plan.problems == []
    assert plan.summary() == {"add": 9, "update": 0, "unchanged": 0, "problems": 0, "rows_with_problems": 0,
                              "new_classes": 1, "warnings": 0}
    assert plan.new_classes == ["三(2)班"]
    # Rows keep their Excel row numbers: title row 1, blank row 2, header row 3.
    assert [r.row for r in plan.rows] == list(range(4, 13))
    before = data_rows_before(school_db)
    result = apply_roster(school_db, SYSTEM, plan)
    assert result == {"add": 9, "update": 0, "unchanged": 0, "skipped": 0, "new_classes": ["三(2)班"]}
    assert stored(school_db) == sorted(EXPECTED)
    after = data_rows_before(school_db)
    assert (after[0] - before[0], after[2] - before[2]) == (9, 1)
    # One audit entry per added pupil, naming the pupil and who imported it.
    ids = [r[0] for r in school_db.execute("SELECT id FROM pupil")]
    entries = {r["row_id"]: r for r in school_db.query(
        "SELECT row_id, username, new_value FROM audit_log WHERE table_name = 'pupil' AND action = 'insert'")}
    assert set(entries) == set(ids)
    assert {e["username"] for e in entries.values()} == {"system"}
    assert {json.loads(e["new_value"])["name"] for e in entries.values()} == {e[1] for e in EXPECTED}


def test_reimporting_the_same_file_changes_nothing(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": messy_rows()})
    apply_roster(school_db, SYSTEM, read_roster(school_db, path))
    before = data_rows_before(school_db)
    plan = read_roster(school_db, path)
    assert {r.action for r in plan.rows} == {"unchanged"}
    assert plan.new_classes == []
    assert apply_roster(school_db, SYSTEM, plan)["add"] == 0
    assert data_rows_before(school_db) == before


def bad_rows() -> list[list]:
    return [
        HEADER,
        [1, "20160101", "好学生", "男", "2016-02-03", None, None, "三(1)班", None, None, None],   # row 4: fine
        [2, "20160102", "错号码", "女", None, ID_BAD, None, "三(1)班", None, None, None],        # row 5
        [3, "20160103", "重复甲", "男", "2016-02-03", None, None, "三(1)班", None, None, None],   # row 6
        [4, "20160104", "", "男", "2016-02-03", None, None, "三(1)班", None, None, None],         # row 7
        [5, "20160105", "高年级", "男", "2016-02-03", None, "十年级", None, None, None, None],     # row 8
        [6, 4.30121201501012e+17, "浮点号", "男", "2016-02-03", None, None, "三(1)班", None, None, None],  # row 9
        [7, "20160103", "重复乙", "女", "2016-02-03", None, None, "三(1)班", None, None, None],   # row 10
        [8, "20160108", "好学生二", "女", "2016-02-03", None, None, "3.3", None, None, None],      # row 11: fine
    ]


def test_every_problem_names_sheet_row_and_column_and_nothing_is_written(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": bad_rows()})
    plan = read_roster(school_db, path)
    found = {(p.sheet, p.row, p.column) for p in plan.problems}
    assert found == {
        ("学生名单", 5, "身份证件号*"),
        ("学生名单", 6, "学籍号（必填）"), ("学生名单", 10, "学籍号（必填）"),
        ("学生名单", 7, "姓名"),
        ("学生名单", 8, "年级"),
        ("学生名单", 9, "学籍号（必填）"),
    }
    by_row = {p.row: p.message for p in plan.problems}
    assert "校验位" in by_row[5]
    assert "第 10 行" in by_row[6] and "第 6 行" in by_row[10]  # both duplicate rows name the other
    assert "不能为空" in by_row[7]
    assert "十年级" in by_row[8]
    assert "文本" in by_row[9] and "科学计数法" in by_row[9]
    assert str(next(p for p in plan.problems if p.row == 5)).startswith("工作表“学生名单” 第 5 行 “身份证件号*”列:")
    assert plan.summary()["rows_with_problems"] == 6
    assert (plan.summary()["add"], plan.new_classes) == (2, ["三(1)班", "三(3)班"])

    before = data_rows_before(school_db)
    with pytest.raises(ValidationError) as caught:
        apply_roster(school_db, SYSTEM, plan)
    assert len(caught.value.problems) == len(plan.problems)
    assert data_rows_before(school_db) == before


def test_accept_valid_rows_imports_only_the_rows_without_problems(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": bad_rows()})
    plan = read_roster(school_db, path)
    result = apply_roster(school_db, SYSTEM, plan, accept_valid_rows=True)
    assert (result["add"], result["skipped"], result["new_classes"]) == (2, 6, ["三(1)班", "三(3)班"])
    assert [(r[0], r[1], r[5]) for r in stored(school_db)] == [("20160101", "好学生", "三(1)班"),
                                                                ("20160108", "好学生二", "三(3)班")]


def test_existing_pupil_is_updated_only_where_the_file_says_something_new(school_db, tmp_path):
    sid = school_id(school_db, "S1")
    class_id = school_db.execute("SELECT id FROM class WHERE name = '四(1)班'").fetchone()[0]
    pupil_id = pupils.add_pupil(school_db, SYSTEM, sid, {
        "student_no": "20150001", "name": "张三", "gender": "男", "birth_date": "2015-01-01", "class_id": class_id,
        "boarding": "是", "left_behind": "是"})
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [
        ["学籍号", "姓名", "性别", "班级", "是否寄宿生", "是否留守儿童"],
        ["20150001", "张三", None, "四(1)班", "否", None],  # boarding changes; blank cells keep what is stored
    ]})
    plan = read_roster(school_db, path)
    assert plan.problems == []
    (row,) = plan.rows
    assert (row.action, row.pupil_id, row.changes) == ("update", pupil_id, {"boarding": [1, 0]})
    audit_before = data_rows_before(school_db)[3]
    assert apply_roster(school_db, SYSTEM, plan)["update"] == 1
    stored_row = school_db["pupil"].get(pupil_id)
    assert (stored_row["boarding"], stored_row["left_behind"], stored_row["gender"]) == (0, 1, "男")
    entries = list(school_db.query("SELECT old_value, new_value FROM audit_log WHERE id > ? AND table_name = 'pupil'",
                                   [audit_before]))
    assert [(json.loads(e["old_value"]), json.loads(e["new_value"])) for e in entries] == [
        ({"boarding": 1}, {"boarding": 0})]


def test_renaming_an_existing_pupil_is_allowed_with_a_warning(school_db, tmp_path):
    pupils.add_pupil(school_db, SYSTEM, school_id(school_db, "S1"), {
        "student_no": "20150001", "name": "张三", "gender": "男", "grade": 4})
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [["学籍号", "姓名"], ["20150001", "张珊"]]})
    plan = read_roster(school_db, path)
    assert plan.problems == [] and plan.rows[0].changes == {"name": ["张三", "张珊"]}
    assert [(w.row, w.column) for w in plan.warnings] == [(4, "姓名")]
    assert "张三" in plan.warnings[0].message


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_csv_rosters_in_gbk_and_utf8_bom(school_db, tmp_path, encoding):
    rows = [["学籍号", "姓名", "性别", "出生日期", "班级"],
            ["20160201", "欧阳　娜娜", "女", "2016-03-08 00:00:00", "三(1)班"],
            ["20160202", "李 雷", "男", "2016.4.5", "302"]]
    plan = read_roster(school_db, write_csv(tmp_path / "名单.csv", rows, encoding))
    assert plan.problems == []
    apply_roster(school_db, SYSTEM, plan)
    assert stored(school_db) == [("20160201", "欧阳娜娜", "女", "2016-03-08", 3, "三(1)班", 0, 0, 0),
                                 ("20160202", "李雷", "男", "2016-04-05", 3, "三(2)班", 0, 0, 0)]


def test_month_only_birth_date_takes_the_day_from_the_id_number(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [
        ["学籍号", "姓名", "性别", "出生年月", "身份证号", "班级"],
        ["20160301", "李小明", "男", "2016.03", ID_A, "三(1)班"],
        ["20160302", "王芳", "女", "2016.05", None, "三(1)班"],
    ]})
    plan = read_roster(school_db, path)
    assert plan.rows[0].ok and plan.rows[0].values["birth_date"] == "2016-03-08"
    assert [(p.row, p.column) for p in plan.problems] == [(5, "出生年月")]
    assert "只有年和月" in plan.problems[0].message


def test_a_multigrade_class_without_a_grade_column_asks_for_the_grade(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [
        ["学籍号", "姓名", "性别", "班级"], ["20160401", "吴二", "男", "一二年级复式班"]]})
    plan = read_roster(school_db, path)
    assert [(p.row, p.column) for p in plan.problems] == [(4, "班级")]
    assert "复式班" in plan.problems[0].message and "年级" in plan.problems[0].message


def test_a_class_that_disagrees_with_the_grade_column_is_a_problem(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [
        ["学籍号", "姓名", "性别", "年级", "班级"], ["20160501", "吴二", "男", "四年级", "三(2)班"],
        ["20160502", "吴三", "男", "三年级", "三班二"]]})
    plan = read_roster(school_db, path)
    assert [(p.row, p.column) for p in plan.problems] == [(4, "班级"), (5, "班级")]
    assert "不一致" in plan.problems[0].message and "无法识别" in plan.problems[1].message


def test_not_a_workbook_and_no_header(school_db, tmp_path):
    fake = tmp_path / "名册.xlsx"
    fake.write_text("这不是表格", encoding="utf-8")
    with pytest.raises(NotAWorkbook):
        read_roster(school_db, fake)
    path = write_xlsx(tmp_path / "成绩.xlsx", {"Sheet1": [["考号", "语文", "数学"], ["1", "90", "80"]]})
    plan = read_roster(school_db, path)
    assert [p.message for p in plan.problems] == ["找不到表头:至少需要“学籍号”和“姓名”两列。请检查列名是否写对。"]
    assert plan.summary()["add"] == 0


def test_a_teacher_account_may_not_import(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": messy_rows()})
    plan = read_roster(school_db, path)
    before = data_rows_before(school_db)
    teacher = Actor(username="t", role="teacher", school_id=school_id(school_db, "S1"), teacher_id="x")
    with pytest.raises(PermissionDenied):
        apply_roster(school_db, teacher, plan)
    assert data_rows_before(school_db) == before


def test_a_school_column_naming_another_school_is_a_warning_in_a_school_database(school_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [
        ["学校名称", "学籍号", "姓名", "性别", "班级"],
        ["XX县石门小学", "20161101", "甲", "男", "三(1)班"],   # contains this school's name: fine
        ["石门村小学", "20161102", "乙", "女", "三(1)班"],
        ["石门村小学", "20161103", "丙", "女", "三(1)班"],
    ]})
    plan = read_roster(school_db, path)
    assert plan.problems == [] and plan.summary()["add"] == 3
    assert [(w.sheet, w.column) for w in plan.warnings] == [("学生名单", "学校名称")]
    assert "石门村小学" in plan.warnings[0].message and "石门小学" in plan.warnings[0].message


# --- township databases ------------------------------------------------------------------------------

def test_township_rows_find_their_school_by_column_name_or_code(township_db, tmp_path):
    path = write_xlsx(tmp_path / "全镇名册.xlsx", {"全镇": [
        ["学校名称", "学籍号", "姓名", "性别", "班级"],
        ["青山中心小学", "20160601", "甲", "男", "三(1)班"],
        ["T02", "20160602", "乙", "女", "三(1)班"],
        ["油溪", "20160603", "丙", "女", "3.1"],
        ["不存在小学", "20160604", "丁", "男", "3.1"],
        [None, "20160605", "戊", "男", "3.1"],
    ]})
    plan = read_roster(township_db, path)
    assert [(p.row, p.column) for p in plan.problems] == [(7, "学校名称"), (8, "学校名称")]
    assert "不存在小学" in plan.problems[0].message
    assert plan.new_classes == ["油溪村小 三(1)班", "青山中心小学 三(1)班"]
    apply_roster(township_db, SYSTEM, plan, accept_valid_rows=True)
    assert [r[0] for r in stored(township_db, "T01")] == ["20160601"]
    assert [r[0] for r in stored(township_db, "T02")] == ["20160602", "20160603"]


def test_township_sheets_named_after_schools(township_db, tmp_path):
    path = write_xlsx(tmp_path / "全镇名册.xlsx", {
        "青山中心小学": [["学籍号", "姓名", "性别", "班级"], ["20160701", "甲", "男", "三(1)班"]],
        "油溪村小": [["学籍号", "姓名", "性别", "班级"], ["20160702", "乙", "女", "四(1)班"]],
    })
    plan = read_roster(township_db, path)
    assert plan.problems == []
    apply_roster(township_db, SYSTEM, plan)
    assert [r[0] for r in stored(township_db, "T01")] == ["20160701"]
    assert [r[0] for r in stored(township_db, "T02")] == ["20160702"]


def test_township_without_any_school_information_needs_a_choice(township_db, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [["学籍号", "姓名", "性别", "班级"],
                                                            ["20160801", "甲", "男", "三(1)班"]]})
    plan = read_roster(township_db, path)
    assert [(p.sheet, p.row) for p in plan.problems] == [("学生名单", None)]
    assert "学校" in plan.problems[0].message
    assert plan.summary()["rows_with_problems"] == 1
    chosen = read_roster(township_db, path, school_id=school_id(township_db, "T02"))
    assert chosen.problems == [] and chosen.rows[0].school_id == school_id(township_db, "T02")


def test_a_pupil_still_at_another_school_is_a_duplicate(township_db, tmp_path):
    pupils.add_pupil(township_db, SYSTEM, school_id(township_db, "T02"), {
        "student_no": "20160901", "name": "甲", "gender": "男", "grade": 3})
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [["学籍号", "姓名", "性别", "班级"],
                                                            ["20160901", "甲", "男", "三(1)班"]]})
    plan = read_roster(township_db, path, school_id=school_id(township_db, "T01"))
    assert [(p.row, p.column) for p in plan.problems] == [(4, "学籍号")]
    assert "油溪村小" in plan.problems[0].message


# --- property: spellings do not matter ----------------------------------------------------------------

_CN = "甲乙丙丁戊己庚辛"
_SPELLINGS = ["三(2)班", "三（2）班", "3.2", "302", "三年级2班", "三年级二班", "３(２)班", "3-2", "3年级2班"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.lists(st.tuples(st.sampled_from(_SPELLINGS), st.sampled_from(["", " ", "\u3000"]),
                                  st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_messy_but_valid_spellings_import_to_the_same_pupils(school_db, tmp_path_factory, choices):
    rows = [["学籍号", "姓名", "性别", "班级"]]
    for i, (spelling, space, full_width, as_float) in enumerate(choices):
        number = f"2016{i:04d}"
        if full_width:
            number = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        rows.append([float(f"2016{i:04d}") if as_float else number, f"{space}王{space}小{_CN[i]}", "女", spelling])
    path = write_xlsx(tmp_path_factory.mktemp("prop") / "名册.xlsx", {"学生名单": rows})
    plan = read_roster(school_db, path)
    assert plan.problems == []
    assert [(r.values["student_no"], r.values["name"], r.values["grade"], r.values["class_name"]) for r in plan.rows] \
        == [(f"2016{i:04d}", f"王小{_CN[i]}", 3, "三(2)班") for i in range(len(choices))]
    assert plan.new_classes == ["三(2)班"]


# --- CLI ---------------------------------------------------------------------------------------------------

def test_cli_dry_run_then_import_then_reimport(school_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": messy_rows()})
    assert main(["import-roster", str(school_path), str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "将新增 9 名学生,更新 0 名,未变 0 名;将新建班级 三(2)班。" in out
    assert "未写入" in out
    assert main(["info", str(school_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pupils"] == 0

    assert main(["import-roster", str(school_path), str(path)]) == 0
    assert "已新增 9 名学生" in capsys.readouterr().out
    assert main(["import-roster", str(school_path), str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["written"] is True and result["summary"]["unchanged"] == 9 and result["summary"]["add"] == 0


def test_cli_refuses_a_file_with_problems_and_lists_each(school_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": bad_rows()})
    assert main(["import-roster", str(school_path), str(path)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("工作表“学生名单” 第 5 行 “身份证件号*”列:身份证件号校验位不正确") for line in lines)
    assert any(line.startswith("工作表“学生名单” 第 7 行 “姓名”列:姓名不能为空") for line in lines)
    assert "未写入任何数据" in lines[-1]
    assert main(["import-roster", str(school_path), str(path), "--json"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert result["written"] is False and len(result["problems"]) == 6


def test_cli_township_school_option_and_not_a_workbook(township_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    path = write_xlsx(tmp_path / "名册.xlsx", {"学生名单": [["学籍号", "姓名", "性别", "班级"],
                                                            ["20161001", "甲", "男", "三(1)班"]]})
    assert main(["import-roster", str(township_path), str(path)]) == 2
    assert "学校" in capsys.readouterr().out
    assert main(["import-roster", str(township_path), str(path), "--school", "t02"]) == 0
    capsys.readouterr()
    fake = tmp_path / "照片.xlsx"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert main(["import-roster", str(township_path), str(fake)]) == 2
    assert "“照片.xlsx”不是 Excel 工作簿或 CSV 文件" in capsys.readouterr().err
