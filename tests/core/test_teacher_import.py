"""Importing the teacher list (教职工名册) from Excel: subjects, roles, titles and 走教 sites."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from app.cli import main
from app.db.writes import SYSTEM
from app.errors import ValidationError
from app.importing.teachers import apply_teachers, read_teachers
from app.queries.roster import list_teachers
from test_import_helpers import data_rows_before, school_id, write_xlsx

pytest_plugins = ["test_import_helpers"]

HEADER = ["序号", "工号", "姓名", "性别", "出生年月", "参加工作时间", "联系电话", "任教学科", "职务", "职称",
          "是否班主任"]


def teacher_rows() -> list[list]:
    return [
        HEADER,
        [1, 1001.0, "李　明", "男", "1980-05-06", "2002.09", "１３８００１３８０００", "语文、数学", "校长",
         "高级教师", "否"],
        [2, "1002", "王芳", "女", dt.datetime(1990, 1, 2), dt.datetime(2012, 9, 1), "13900000000", "语文,数学",
         "教务主任", "一级教师、县级骨干教师", "是"],
        [3, "1003", "赵强", "男", "1995-03-04", "2018-08-20", None, "小学英语 科学", "教研组长", "学科带头人", "√"],
    ]


def stored(db) -> list[tuple]:
    return [(t["staff_no"], t["name"], t["gender"], t["birth_date"], t["hire_date"], t["phone"], t["subjects"],
             t["roles"], t["titles"]) for t in list_teachers(db)]


def test_messy_teacher_list_imports_the_expected_teachers(school_db, tmp_path):
    path = write_xlsx(tmp_path / "教师名册.xlsx", {"教职工": teacher_rows()}, title="石门小学教职工花名册")
    plan = read_teachers(school_db, path)
    assert plan.problems == []
    # Professional ranks (高级教师, 一级教师) are not titles and are left out without a word.
    assert plan.warnings == []
    assert plan.summary()["add"] == 3
    apply_teachers(school_db, SYSTEM, plan)
    roles = {r[0]: sorted(r[7].split("、")) if r[7] else [] for r in stored(school_db)}
    assert roles == {"1001": ["校长"], "1002": ["教导主任", "班主任"], "1003": ["教研组长", "班主任"]}
    assert [r[:7] + (r[8],) for r in stored(school_db)] == [
        ("1001", "李明", "男", "1980-05-06", "2002-09-01", "13800138000", "语文、数学", ""),
        ("1002", "王芳", "女", "1990-01-02", "2012-09-01", "13900000000", "语文、数学", "骨干"),
        ("1003", "赵强", "男", "1995-03-04", "2018-08-20", None, "英语、科学", "学科带头人"),
    ]
    ids = {r[0] for r in school_db.execute("SELECT id FROM teacher")}
    audited = {r[0] for r in school_db.execute(
        "SELECT row_id FROM audit_log WHERE table_name = 'teacher' AND action = 'insert'")}
    assert audited == ids

    before = data_rows_before(school_db)
    again = read_teachers(school_db, path)
    assert {r.action for r in again.rows} == {"unchanged"}
    apply_teachers(school_db, SYSTEM, again)
    assert data_rows_before(school_db) == before


def test_problems_name_their_cell_and_nothing_is_written(school_db, tmp_path):
    path = write_xlsx(tmp_path / "教师名册.xlsx", {"教职工": [
        ["工号", "姓名", "性别", "任教学科", "职务"],
        ["2001", "甲", "男", "语文", "校长"],      # row 4: fine
        ["2002", "乙", "", "语文", None],         # row 5: no gender
        ["2003", "丙", "女", "全科、数学", None],   # row 6: unknown subject
        ["2001", "丁", "女", "数学", None],        # row 7: same 工号 as row 4
        ["2005", "戊", "女", "数学", "书记"],      # row 8: unknown role is only a warning
    ]})
    plan = read_teachers(school_db, path)
    assert sorted((p.row, p.column) for p in plan.problems) == [(4, "工号"), (5, "性别"), (6, "任教学科"), (7, "工号")]
    assert "全科" in next(p.message for p in plan.problems if p.row == 6)
    assert [(w.row, w.column) for w in plan.warnings] == [(8, "职务")] and "书记" in plan.warnings[0].message
    before = data_rows_before(school_db)
    with pytest.raises(ValidationError):
        apply_teachers(school_db, SYSTEM, plan)
    assert data_rows_before(school_db) == before
    assert apply_teachers(school_db, SYSTEM, plan, accept_valid_rows=True)["add"] == 1
    assert [r[0] for r in stored(school_db)] == ["2005"]


def test_updating_a_teacher_changes_only_what_the_file_says_and_is_audited(school_db, tmp_path):
    first = write_xlsx(tmp_path / "a.xlsx", {"教职工": teacher_rows()})
    apply_teachers(school_db, SYSTEM, read_teachers(school_db, first))
    second = write_xlsx(tmp_path / "b.xlsx", {"教职工": [
        ["工号", "姓名", "联系电话", "任教学科"],
        ["1001", "李明", "13700000000", "语文、数学、书法"],
    ]})
    plan = read_teachers(school_db, second)
    (row,) = plan.rows
    assert row.action == "update"
    assert row.changes == {"phone": ["13800138000", "13700000000"],
                           "subjects": [["语文", "数学"], ["语文", "数学", "书法"]]}
    audit_before = data_rows_before(school_db)[3]
    apply_teachers(school_db, SYSTEM, plan)
    teacher = next(t for t in list_teachers(school_db) if t["staff_no"] == "1001")
    assert (teacher["phone"], teacher["subjects"], teacher["roles"]) == ("13700000000", "语文、数学、书法", "校长")
    tables = sorted(r[0] for r in school_db.execute("SELECT table_name FROM audit_log WHERE id > ?", [audit_before]))
    assert tables == ["teacher", "teacher_subject"]


def test_township_sheets_per_school_and_itinerant_sites(township_db, tmp_path):
    path = write_xlsx(tmp_path / "全镇教师.xlsx", {
        "青山中心小学": [["工号", "姓名", "性别", "任教学科", "走教学校"],
                    ["Q01", "甲", "男", "音乐", "油溪村小"], ["Q02", "乙", "女", "美术", "否"]],
        "油溪村小": [["工号", "姓名", "性别", "任教学科"], ["Y01", "丙", "女", "语文"]],
    })
    plan = read_teachers(township_db, path)
    assert plan.problems == []
    apply_teachers(township_db, SYSTEM, plan)
    got = {(t["school_code"], t["staff_no"], t["sites"]) for t in list_teachers(township_db)}
    assert got == {("T01", "Q01", "油溪村小"), ("T01", "Q02", ""), ("T02", "Y01", "")}
    assert {t["school_id"] for t in list_teachers(township_db) if t["staff_no"] == "Y01"} == \
        {school_id(township_db, "T02")}


def test_ambiguous_month_is_a_problem_not_a_guess(school_db, tmp_path):
    path = write_xlsx(tmp_path / "教师.xlsx", {"教职工": [["工号", "姓名", "性别", "参加工作时间"],
                                                         ["3001", "甲", "男", 2008.1], ["3002", "乙", "女", 2008.09]]})
    plan = read_teachers(school_db, path)
    assert [(p.row, p.column) for p in plan.problems] == [(4, "参加工作时间")]
    assert plan.rows[1].values["hire_date"] == "2008-09-01"


def test_cli_import_teachers(school_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    path = write_xlsx(tmp_path / "教师.xlsx", {"教职工": teacher_rows()})
    assert main(["import-teachers", str(school_path), str(path), "--dry-run"]) == 0
    assert "将新增 3 名教师,更新 0 名,未变 0 名。" in capsys.readouterr().out
    assert main(["import-teachers", str(school_path), str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["written"] is True and result["summary"]["add"] == 3
    bad = write_xlsx(tmp_path / "坏.xlsx", {"教职工": [["工号", "姓名", "性别"], ["9", "甲", "未知"]]})
    assert main(["import-teachers", str(school_path), str(bad)]) == 2
    assert "工作表“教职工” 第 4 行 “性别”列:性别应填“男”或“女”" in capsys.readouterr().out
