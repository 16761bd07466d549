"""任课: the grid service and the 任课表 import (all or nothing, problems naming sheet, row and column)."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied, ValidationError
from app.importing.assignments import read_assignments, write_template
from app.services import classes, schools, setup, teachers
from app.services.assignments import Wanted, assignment_grid, set_assignments
from app.services.permissions import require_mark_write


@pytest.fixture
def school(tmp_path):
    db = setup.init_school(tmp_path / "s.sqlite", code="XS01", name="溪水完全小学", type="完小",
                           passphrase="secret-pass", today=dt.date(2025, 10, 15))
    school = schools.school_by_code(db, "XS01")
    term = schools.current_term(db)
    ids = {}
    for grades, number in (([3], 1), ([3], 2), ([1, 2], 1)):
        ids[(grades[0], number)] = classes.create_class(db, SYSTEM, school_id=school["id"],
                                                        academic_year_id=term["academic_year_id"], grades=grades,
                                                        number=number)
    for no, name in (("T01", "李明"), ("T02", "赵丽"), ("T03", "王强"), ("T04", "王强")):
        teachers.add_teacher(db, SYSTEM, school["id"], {"staff_no": no, "name": name, "gender": "男"})
    yield db, school["id"], term["id"], ids
    db.close()


def _ids(db, table, column, value):
    return db.execute(f"SELECT id FROM {table} WHERE {column} = ?", [value]).fetchone()[0]


def test_grid_lists_classes_planned_subjects_and_plan_periods(school):
    db, school_id, term_id, ids = school
    grid = assignment_grid(db, school_id, term_id)
    assert [c["name"] for c in grid["classes"]] == ["一二年级复式班", "三(1)班", "三(2)班"]
    names = [s["name"] for s in grid["subjects"]]
    assert names == ["语文", "数学", "英语", "道德与法治", "科学", "体育与健康", "音乐", "信息科技", "劳动"]
    maths = _ids(db, "subject", "name", "数学")
    # 浙江 2023 plan: 数学 4 periods a week in grade 3.
    assert grid["default_periods"][(ids[(3, 1)], maths)] == 4


def test_set_assignments_writes_audits_and_lets_the_teacher_enter_marks(school):
    db, school_id, term_id, ids = school
    chinese, maths = _ids(db, "subject", "name", "语文"), _ids(db, "subject", "name", "数学")
    li = _ids(db, "teacher", "staff_no", "T01")
    counts = set_assignments(db, SYSTEM, school_id, term_id, {(ids[(3, 1)], chinese): Wanted(li, 7),
                                                             (ids[(3, 1)], maths): Wanted(li)})
    assert counts == {"added": 2, "changed": 0, "removed": 0}
    teacher = Actor(username="li", role="teacher", school_id=school_id, teacher_id=li)
    require_mark_write(db, teacher, school_id, ids[(3, 1)], chinese, term_id)
    with pytest.raises(PermissionDenied):
        require_mark_write(db, teacher, school_id, ids[(3, 2)], chinese, term_id)
    assert set_assignments(db, SYSTEM, school_id, term_id, {(ids[(3, 1)], maths): Wanted(None)}) == {
        "added": 0, "changed": 0, "removed": 1}
    stored = db.execute("SELECT weekly_periods FROM teaching_assignment").fetchall()
    assert stored == [(7.0,)]
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE table_name = 'teaching_assignment' ORDER BY id")]
    assert actions == ["insert", "insert", "delete"]


def test_a_teacher_may_not_assign(school):
    db, school_id, term_id, ids = school
    with pytest.raises(PermissionDenied):
        set_assignments(db, Actor(username="t", role="teacher", school_id=school_id), school_id, term_id, {})


def test_template_round_trip_and_messy_cells(school, tmp_path):
    db, school_id, term_id, ids = school
    path = write_template(db, school_id, term_id, tmp_path / "任课表.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["任课表"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["班级", "语文", "数学", "英语"]
    sheet.insert_rows(1)
    sheet["A1"] = "溪水完小 2025 学年任课表"  # a title above the header, as people write
    sheet["B3"] = "李明(5节)"    # 一二年级复式班 语文
    sheet["C4"] = "t02"          # 三(1)班 数学 by 工号, lower case
    sheet["B4"] = " 赵丽 6 "
    book.save(path)
    plan = read_assignments(db, path, school_id, term_id)
    assert plan.problems == []
    assert sorted((c["class"], c["subject"], c["new"], c["periods"]) for c in plan.changes) == [
        ("一二年级复式班", "语文", "李明", 5.0), ("三(1)班", "数学", "赵丽", 4.0), ("三(1)班", "语文", "赵丽", 6.0)]


def test_bad_cells_are_named_by_sheet_row_and_column_and_nothing_is_written(school, tmp_path):
    db, school_id, term_id, _ = school
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "三年级"
    sheet.append(["班级", "语文", "数学", "体育"])
    sheet.append(["三(1)班", "王强", "李明 99", "张三"])
    sheet.append(["三(9)班", "李明", "", ""])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    plan = read_assignments(db, path, school_id, term_id)
    found = {(p.sheet, p.row, p.column): p.message for p in plan.problems}
    assert "T03、T04" in found[("三年级", 2, "语文")]
    assert "99" in found[("三年级", 2, "数学")]
    assert "张三" in found[("三年级", 2, "体育")]
    assert "三(9)班" in found[("三年级", 3, "班级")]
    assert plan.changes == []
    with pytest.raises(ValidationError):
        set_assignments(db, SYSTEM, school_id, term_id, {("nope", "nope"): Wanted(None)})
    assert db.execute("SELECT COUNT(*) FROM teaching_assignment").fetchone()[0] == 0
