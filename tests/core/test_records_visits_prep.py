"""家访 and 集体备课 on the hand-made school (tests/core/records_helpers.py): quotas counted by hand, who
may record what, the 研 item's suggestion, the 详案 rule from hire dates, and the sheet imports."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import xlsxwriter

from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied, ValidationError
from app.records.prep import attendance, group_cadence, new_teachers, record_session, routine_suggestion
from app.records.records_import import read_sessions, read_visits
from app.records.visits import record_visit, record_visits, visit_quota, visit_summary
from records_helpers import small_school

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def school(tmp_path):
    db, ids = small_school(tmp_path / "s.sqlite")
    yield db, ids
    db.close()


def _teacher(ids, key):
    return Actor(key, "teacher", school_id=ids["school"], teacher_id=ids[key])


def test_visits_against_the_quota(school):
    db, ids = school
    li = _teacher(ids, "li")
    for day, pupil in (("2026-09-10", "A"), ("2026-10-13", "B"), ("2026-10-20", "B"), ("2026-11-04", "F")):
        record_visit(db, li, {"pupil_id": ids[pupil], "teacher_id": ids["li"], "date": day, "way": "上门",
                              "notes": "了解在家学习情况"})
    record_visit(db, SYSTEM, {"pupil_id": ids["G"], "teacher_id": ids["chen"], "date": "2026-11-02", "way": "电话"})
    quota = {r["name"]: r for r in visit_quota(db)}
    # 李春燕 heads 三(1)班: quota 10, four visits to three families; 陈德明 teaches no class: quota 4
    assert (quota["李春燕"]["role"], quota["李春燕"]["quota"], quota["李春燕"]["done"]) == ("班主任", 10, 4)
    assert (quota["李春燕"]["families"], quota["李春燕"]["short"]) == (3, 6)
    assert (quota["陈德明"]["role"], quota["陈德明"]["quota"], quota["陈德明"]["done"]) == ("任课教师", 4, 1)
    assert quota["王建国"]["role"] == "班主任" and quota["王建国"]["done"] == 0
    [summary] = visit_summary(db)
    assert (summary["teachers"], summary["visits"], summary["families"], summary["teachers_done"]) == (4, 5, 4, 0)


def test_a_teacher_records_only_own_visits_to_own_classes(school):
    db, ids = school
    wang = _teacher(ids, "wang")
    with pytest.raises(PermissionDenied, match="自己任教或担任班主任"):
        record_visit(db, wang, {"pupil_id": ids["A"], "teacher_id": ids["wang"], "date": "2026-11-02", "way": "上门"})
    with pytest.raises(PermissionDenied, match="自己的家访"):
        record_visit(db, wang, {"pupil_id": ids["G"], "teacher_id": ids["li"], "date": "2026-11-02", "way": "上门"})
    assert record_visit(db, wang, {"pupil_id": ids["G"], "teacher_id": ids["wang"], "date": "2026-11-02",
                                   "way": "视频"})
    with pytest.raises(ValidationError) as caught:
        record_visit(db, SYSTEM, {"pupil_id": ids["G"], "teacher_id": ids["wang"], "date": "2027-05-02", "way": "写信"})
    fields = {p.field for p in caught.value.problems}
    assert fields == {"date", "way"}


def test_sessions_cadence_attendance_and_the_routine_item(school):
    db, ids = school
    chen = _teacher(ids, "chen")
    group = [ids["chen"], ids["wang"], ids["zhao"]]
    for day in ("2026-09-08", "2026-09-22", "2026-10-13", "2026-11-03", "2026-11-17"):
        record_session(db, chen, {"group_name": "数学组", "date": day, "lead_id": ids["chen"],
                                  "topic": f"{day} 单元备课", "attendee_ids": group[1:] if day < "2026-11" else [ids["wang"]]})
    with pytest.raises(PermissionDenied, match="主备"):
        record_session(db, _teacher(ids, "zhao"), {"group_name": "数学组", "date": "2026-11-18", "lead_id": ids["chen"],
                                                   "topic": "复习", "attendee_ids": []})
    [cadence] = group_cadence(db, as_of=AS_OF)
    assert cadence["months"] == {"2026-09": 2, "2026-10": 1, "2026-11": 2}
    assert cadence["short_months"] == ["2026-10"]  # November has not ended
    # the term runs 2026-09-01 … 2027-01-31 (5 months, 10 sessions); on 11-20, 80 of 152 days:
    # expected floor(10 × 80 / 152) = 5
    people = {r["name"]: r for r in attendance(db, as_of=AS_OF)}
    assert people["陈德明"]["expected"] == 5
    assert (people["陈德明"]["attended"], people["王建国"]["attended"], people["赵小青"]["attended"]) == (5, 5, 3)
    assert routine_suggestion(db, ids["zhao"], 40, as_of=AS_OF) == {"attended": 3, "expected": 5, "score": 24}
    assert routine_suggestion(db, ids["chen"], 40, as_of=AS_OF)["score"] == 40


def test_new_teachers_write_detailed_plans_for_three_years(school):
    db, ids = school
    # hired 2024-09-01 and 2025-09-01: within three years on 2026-11-20; 2010 and 2000 are not
    found = {r["name"]: r for r in new_teachers(db, as_of=AS_OF)}
    assert set(found) == {"王建国", "赵小青"}
    assert found["王建国"]["until"] == "2027-09-01"
    assert {r["name"] for r in new_teachers(db, as_of=dt.date(2027, 9, 1))} == {"赵小青"}


def _book(path, name, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(name)
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return path


def test_visit_import_locates_problems_and_writes_all_or_nothing(school, tmp_path):
    db, ids = school
    header = ["学籍号", "学生姓名", "家访教师", "日期", "方式", "情况记录"]
    bad = _book(tmp_path / "v.xlsx", "家访", [header,
                ["XS000001", "学生A", "李春燕", "2026-10-10", "上门", "学习习惯好"],
                ["XS999999", "", "李春燕", "2026-10-10", "上门", ""],
                ["", "学生G", "王老师", "2026-10-10", "上门", ""],
                ["", "学生H", "T02", "2026-10-10", "飞鸽传书", ""]])
    plan = read_visits(db, bad, ids["school"])
    assert {(p.row, p.column) for p in plan.problems} == {(3, "学籍号"), (4, "家访教师"), (5, "方式")}
    good = _book(tmp_path / "g.xlsx", "家访", [header, ["XS000001", "", "T01", "2026-10-10", "上门", ""],
                                               ["", "学生H", "王建国", "2026/10/11", "电话", "劝返"]])
    plan = read_visits(db, good, ids["school"])
    assert plan.problems == [] and record_visits(db, SYSTEM, plan.rows) == 2
    assert {r["name"]: r["done"] for r in visit_quota(db)}["王建国"] == 1


def test_session_import_reads_attendee_lists(school, tmp_path):
    db, ids = school
    header = ["教研组", "日期", "主备人", "主题", "参加教师"]
    path = _book(tmp_path / "s.xlsx", "集体备课", [header, ["数学组", "2026-10-13", "陈德明", "分数的初步认识", "王建国、T03"],
                                                   ["语文组", "2026-10-14", "李春燕", "", "张三"]])
    plan = read_sessions(db, path, ids["school"])
    assert {(p.row, p.column) for p in plan.problems} == {(3, "主题"), (3, "参加教师")}
    fixed = _book(tmp_path / "s2.xlsx", "集体备课", [header, ["数学组", "2026-10-13", "陈德明", "分数的初步认识", "王建国、T03"]])
    plan = read_sessions(db, fixed, ids["school"])
    assert plan.problems == []
    [row] = plan.rows
    assert set(json.loads(row["attendee_ids"])) == {ids["chen"], ids["wang"], ids["zhao"]}
