"""Tutoring records, 双困生, tutoring lists and 转化, on a small school counted by hand.

三(1)班 of 甲村小学 writes three 统测 this term: E0 (09-20), E1 (11-02), E2 (12-01); 语文 and 数学
(both main subjects), 及格 60. A 学困生 of an exam is below 60 in both main subjects in it and in the
one before. Marks (语文, 数学):

        E0        E1        E2
  P1   50 50     50 50     70 65    listed at E1; off at E2            → converted
  P2   40 55     50 45     50 50    listed at E1; still below at E2    → not converted
  P3   30 20     20 30     (absent) listed at E1; did not sit E2       → not_sat, not converted
  P4   50 50     55 58     55 70    listed at E1; one below at E2      → converted
  P5   50 50     80 50     60 60    one below at E1                    → not listed
  P6   90 90     90 90     90 90    never listed

Listed 4, converted 2 (rate 0.5), not_sat 1. 王老师 teaches 语文, 李老师 数学. Tutoring: 王老师 with
P1 and P2 on 11-10 (counts), 王老师 with P3 on 10-01 (before E1: does not count), 李老师 with P4 on
11-20 (counts). Tutored 3 of 4 (0.75). Per teacher (their 学困生 list from E1 holds P1-P4): 王老师
tutored 2 (P1, P2), converted 2; 李老师 tutored 1 (P4), converted 2.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from app.cli import main
from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied, ValidationError
from app.marks.entry import set_mark
from app.services import classes, exams, pupils
from app.services.assignments import Wanted, set_assignments
from app.services.setup import init_school
from app.services.teachers import add_teacher
from app.support.conversion import conversion, difficulty_share
from app.support.import_xlsx import import_support
from app.support.plans import list_plans, make_plans
from app.support.records import flag_difficulty, list_tutoring, record_tutoring
from test_import_helpers import write_xlsx

MARKS = {  # pupil: (E0, E1, E2) as (语文, 数学); None: absent
    "P1": ((50, 50), (50, 50), (70, 65)),
    "P2": ((40, 55), (50, 45), (50, 50)),
    "P3": ((30, 20), (20, 30), None),
    "P4": ((50, 50), (55, 58), (55, 70)),
    "P5": ((50, 50), (80, 50), (60, 60)),
    "P6": ((90, 90), (90, 90), (90, 90)),
}
NAMES = {"P1": "赵一", "P2": "钱二", "P3": "孙三", "P4": "李四", "P5": "周五", "P6": "吴六"}


@pytest.fixture
def school(tmp_path):
    path = tmp_path / "s.sqlite"
    db = init_school(path, code="S1", name="甲村小学", type="完小", passphrase="demo", demo=True,
                     township_code="T1", township_name="甲乡", today=dt.date(2026, 11, 1))
    school_id = db.execute("SELECT id FROM school").fetchone()[0]
    term_id, year = db.execute("SELECT id, academic_year_id FROM term").fetchone()
    class_id = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[3], number=1)
    other_class = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[4], number=1)
    ids = {}
    for key, name in NAMES.items():
        ids[key] = pupils.add_pupil(db, SYSTEM, school_id, {
            "student_no": f"S1000{key[1]}", "name": name, "gender": "男", "birth_date": "2018-03-01", "grade": 3,
            "class_id": class_id, "status": "在读", "enrol_date": "2026-09-01"})
    ids["X"] = pupils.add_pupil(db, SYSTEM, school_id, {
        "student_no": "S20001", "name": "郑七", "gender": "女", "birth_date": "2017-03-01", "grade": 4,
        "class_id": other_class, "status": "在读", "enrol_date": "2026-09-01"})
    subjects = {r["name"]: r["id"] for r in db.query("SELECT id, name FROM subject")}
    wang = add_teacher(db, SYSTEM, school_id, {"staff_no": "T01", "name": "王老师", "gender": "女"})
    li = add_teacher(db, SYSTEM, school_id, {"staff_no": "T02", "name": "李老师", "gender": "男"})
    set_assignments(db, SYSTEM, school_id, term_id, {(class_id, subjects["语文"]): Wanted(wang, 6),
                                                      (class_id, subjects["数学"]): Wanted(li, 5)})
    exam_ids = []
    for number, day in enumerate(("2026-09-20", "2026-11-02", "2026-12-01")):
        exam_id = exams.create_exam(db, SYSTEM, name=f"第{number + 1}次统测", type="统考", grades="3",
                                    subjects="语文:100,数学:100", date=day, scope="校")
        exam_ids.append(exam_id)
        for key, marks in MARKS.items():
            if marks[number] is None:
                continue
            for subject, value in zip(("语文", "数学"), marks[number]):
                set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=ids[key], subject_id=subjects[subject], value=value)
    info = {"db": db, "path": path, "school_id": school_id, "term_id": term_id, "class_id": class_id,
            "exams": exam_ids, "pupils": ids, "wang": wang, "li": li, "subjects": subjects}
    yield info
    db.close()


def _teacher(info, key: str) -> Actor:
    return Actor(username=key, role="teacher", school_id=info["school_id"], teacher_id=info[key])


def _tutor(info, actor, teacher, pupils_, day, subject="语文", minutes=40):
    return record_tutoring(info["db"], actor, {
        "teacher_id": info[teacher], "pupil_ids": [info["pupils"][p] for p in pupils_], "date": day,
        "subject_id": info["subjects"][subject], "minutes": minutes, "content": "订正单元错题,讲解应用题",
        "outcome": "能独立完成同类题"})


def test_conversion_of_the_two_exam_example_counted_by_hand(school):
    db = school["db"]
    e0, e1, e2 = school["exams"]
    made = make_plans(db, SYSTEM, e1, school["school_id"], lists=("学困生",))
    assert made.added == 8 and made.unassigned == 0  # 4 pupils × 2 main subjects, one teacher each
    _tutor(school, _teacher(school, "wang"), "wang", ["P1", "P2"], "2026-11-10")
    _tutor(school, _teacher(school, "wang"), "wang", ["P3"], "2026-10-01")
    _tutor(school, _teacher(school, "li"), "li", ["P4"], "2026-11-20", subject="数学", minutes=30)
    result = conversion(db, e1)
    assert result["next_exam"]["id"] == e2
    by_name = {p["name"]: p for p in result["pupils"]}
    assert set(by_name) == {"赵一", "钱二", "孙三", "李四"}
    assert (by_name["赵一"]["converted"], by_name["钱二"]["converted"], by_name["孙三"]["converted"],
            by_name["李四"]["converted"]) == (True, False, None, True)
    assert (result["listed"], result["tutored"], result["converted"], result["not_sat"]) == (4, 3, 2, 1)
    assert {p["school_name"] for p in result["pupils"]} == {"甲村小学"}
    assert result["tutored_rate"] == 0.75 and result["converted_rate"] == 0.5
    teachers = {t["name"]: t for t in result["teachers"]}
    assert (teachers["王老师"]["listed"], teachers["王老师"]["tutored"], teachers["王老师"]["converted"]) == (4, 2, 2)
    assert (teachers["李老师"]["listed"], teachers["李老师"]["tutored"], teachers["李老师"]["converted"]) == (4, 1, 2)
    assert teachers["李老师"]["school_name"] == "甲村小学"
    # E0 has no 统测 before it: nobody is listed; E2 has none after it: conversion is not known yet.
    assert conversion(db, e0)["listed"] == 0
    later = conversion(db, e2)
    assert later["next_exam"] is None and later["converted_rate"] is None
    assert {p["name"] for p in later["pupils"]} == {"钱二"}


def test_support_command_gives_one_row_per_school(school, capsys):
    db = school["db"]
    _tutor(school, SYSTEM, "wang", ["P1", "P2"], "2026-11-10")
    flag_difficulty(db, SYSTEM, {"pupil_id": school["pupils"]["P3"], "kind": "家庭", "reason": "父母外出务工,无人辅导作业",
                                 "date": "2026-11-05"})
    db.close()
    assert main(["support", str(school["path"]), "--exam", "第2次统测", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    row = rows[0]
    assert row["school_code"] == "S1"
    assert (row["struggling_listed"], row["tutored"], row["converted"]) == (4, 2, 2)
    # 7 pupils enrolled, one 双困生
    assert row["difficulty_pupils"] == 1 and row["pupils"] == 7 and row["difficulty_share"] == round(1 / 7, 4)
    assert row["tutoring_sessions"] == 1 and row["tutoring_minutes"] == 40


def test_a_teacher_records_only_for_their_own_class_and_subject(school):
    db = school["db"]
    wang = _teacher(school, "wang")
    with pytest.raises(PermissionDenied):  # 王老师 does not teach 数学
        _tutor(school, wang, "wang", ["P1"], "2026-11-10", subject="数学")
    with pytest.raises(PermissionDenied):  # nor in the grade-4 class
        _tutor(school, wang, "wang", ["X"], "2026-11-10")
    with pytest.raises(PermissionDenied):  # nor in 李老师's name
        _tutor(school, wang, "li", ["P1"], "2026-11-10", subject="数学")
    with pytest.raises(PermissionDenied):
        flag_difficulty(db, wang, {"pupil_id": school["pupils"]["X"], "kind": "行为", "reason": "经常旷课",
                                   "date": "2026-11-05"})
    assert db.execute("SELECT COUNT(*) FROM tutoring").fetchone()[0] == 0
    _tutor(school, wang, "wang", ["P1"], "2026-11-10")
    assert [r["pupil_names"] for r in list_tutoring(db)] == ["赵一"]
    # A teacher's click makes only their own list.
    made = make_plans(db, wang, school["exams"][1], school["school_id"], lists=("学困生",))
    assert made.added == 4 and set(made.teachers) == {"王老师"}
    assert {r["teacher_name"] for r in list_plans(db)} == {"王老师"}
    entry = next(r for r in list_plans(db) if r["pupil_name"] == "赵一")
    assert entry["sessions"] == 1 and entry["minutes"] == 40


def test_bad_records_are_refused_with_reasons(school):
    db = school["db"]
    with pytest.raises(ValidationError) as caught:
        record_tutoring(db, SYSTEM, {"teacher_id": school["wang"], "pupil_ids": [], "date": "2030-01-01",
                                     "minutes": 0, "content": " "})
    fields = {p.field for p in caught.value.problems}
    assert fields >= {"pupil_ids", "date", "minutes", "content"}
    flag_difficulty(db, SYSTEM, {"pupil_id": school["pupils"]["P2"], "kind": "行为", "reason": "上课注意力不集中",
                                 "date": "2026-11-05"})
    with pytest.raises(ValidationError, match="已认定"):
        flag_difficulty(db, SYSTEM, {"pupil_id": school["pupils"]["P2"], "kind": "行为", "reason": "又一次",
                                     "date": "2026-11-06"})
    with pytest.raises(ValidationError, match="类型"):
        flag_difficulty(db, SYSTEM, {"pupil_id": school["pupils"]["P1"], "kind": "成绩", "reason": "x",
                                     "date": "2026-11-06"})


def test_difficulty_share_per_class_and_school(school):
    db = school["db"]
    for key in ("P1", "P2"):
        flag_difficulty(db, SYSTEM, {"pupil_id": school["pupils"][key], "kind": "行为和家庭", "reason": "单亲,厌学",
                                     "date": "2026-10-10"})
    share = difficulty_share(db)
    classes_ = {c["class_name"]: c for c in share["classes"]}
    assert (classes_["三(1)班"]["flagged"], classes_["三(1)班"]["pupils"]) == (2, 6)
    assert classes_["三(1)班"]["share"] == round(2 / 6, 4)
    assert classes_["四(1)班"]["share"] == 0
    assert share["schools"][0]["share"] == round(2 / 7, 4)


def test_import_writes_all_or_nothing_and_names_sheet_row_and_column(school, tmp_path):
    db = school["db"]
    teacher = _teacher(school, "wang")
    good = [["辅导记录"], ["日期", "教师", "学生", "学科", "时长(分钟)", "辅导内容", "效果"],
            ["2026/11/10", "王老师", "赵一、钱二", "语文", "４０", "阅读理解专项", "正确率提高"],
            ["2026年11月12日", "T01", "S10003", "语文", 30, "生字听写", None]]
    difficult = [["学生", "班级", "类型", "原因", "日期"], ["钱二", "三(1)班", "家庭", "留守,祖辈监护", "2026-11-05"]]
    path = write_xlsx(tmp_path / "辅导.xlsx", {"辅导记录": good[1:], "双困生": difficult})
    plan = import_support(db, teacher, path, school["school_id"])
    assert plan.problems == [] and plan.written
    assert plan.summary() == {"tutoring": 2, "tutoring_pupils": 3, "minutes": 70, "difficulties": 1}
    assert db.execute("SELECT COUNT(*) FROM tutoring").fetchone()[0] == 2
    bad = [good[1], ["2026-11-13", "王老师", "赵一", "语文", 40, "复习", None],
           ["2026-11-13", "王老师", "无此人", "语文", 40, "复习", None],
           ["2026-11-14", "王老师", "赵一", "数学", 40, "复习", None],
           ["2026-11-15", "王老师", "赵一", "语文", "九十", "复习", None]]
    path = write_xlsx(tmp_path / "坏.xlsx", {"十一月": bad})
    plan = import_support(db, teacher, path, school["school_id"])
    assert not plan.written
    where = [(p.sheet, p.row, p.column) for p in plan.problems]
    # a title row and a blank row above the header (row 3): the data rows are 4-7
    assert where == [("十一月", 5, "学生"), ("十一月", 6, "教师"), ("十一月", 7, "时长(分钟)")]
    assert "王老师" not in plan.problems[1].message or "任教" in plan.problems[1].message
    assert db.execute("SELECT COUNT(*) FROM tutoring").fetchone()[0] == 2  # the good row 2 was not written either


def test_pupil_record_with_z_and_t_against_the_grade_and_a_parents_copy_without_others(school, tmp_path):
    import statistics

    from app.reports.pdf import write_pdf
    from app.support.pupil_record import parent_report, pupil_record
    from report_helpers import pages_text

    db = school["db"]
    _tutor(school, SYSTEM, "wang", ["P1", "P2"], "2026-11-10")
    record = pupil_record(db, school["pupils"]["P1"])
    assert [e["name"] for e in record["exams"]] == ["第1次统测", "第2次统测", "第3次统测"]
    chinese = next(s for s in record["exams"][1]["subjects"] if s["subject"] == "语文")
    # E1 语文 of grade 3: 50 50 20 55 80 90 (P1 … P6); P1 wrote 50
    population = [50, 50, 20, 55, 80, 90]
    z = (50 - statistics.fmean(population)) / statistics.pstdev(population)
    assert chinese["score"] == 50 and chinese["level"] == "待提高"
    assert chinese["z"] == pytest.approx(z) and chinese["t"] == pytest.approx(50 + 10 * z)
    assert "rank_class" not in chinese and "rank_grade" not in chinese
    assert [r["pupil_names"] for r in record["tutoring"]] == ["赵一、钱二"]
    path = write_pdf(parent_report(db, school["pupils"]["P1"]), tmp_path / "档案.pdf")
    text = "".join(pages_text(path))
    assert "赵一的学业档案" in text and "待提高" in text and "第3次统测" in text
    assert "名次" not in text
    # Nothing of another pupil: not even the one tutored in the same session.
    for other in ("钱二", "孙三", "李四", "周五", "吴六"):
        assert other not in text
    # The shipped records preset prints scores, the chart and tutoring, not T, visits nor the status history.
    assert "成绩" in text and "辅导记录" in text and "T分" not in text.replace(" ", "") and "家访记录" not in text
    assert "学籍变动" not in text


def test_the_records_preset_in_force_chooses_what_the_parents_copy_shows(school, tmp_path):
    from app.preset_store import activate, copy_preset, edit_preset
    from app.records.visits import record_visit
    from app.reports.pdf import write_pdf
    from app.support.pupil_record import parent_report
    from report_helpers import pages_text

    db, pupil = school["db"], school["pupils"]["P1"]
    wang = db.execute("SELECT id FROM teacher WHERE name = '王老师'").fetchone()[0]
    record_visit(db, SYSTEM, {"pupil_id": pupil, "teacher_id": wang, "date": "2026-10-12", "way": "上门",
                              "notes": "与奶奶谈作业习惯"})
    copy = copy_preset(db, SYSTEM, "records-default", "本校档案要求")
    edit_preset(db, SYSTEM, copy.id, {"pupil_record.scores": "hide", "pupil_record.t_scores": "show",
                                      "pupil_record.home_visits": "show", "pupil_record.tutoring": "hide"})
    activate(db, SYSTEM, copy.id)
    report = parent_report(db, pupil)
    text = "".join(pages_text(write_pdf(report, tmp_path / "档案.pdf"))).replace(" ", "")
    assert "T分" in text and "家访记录" in text and "与奶奶谈作业习惯" in text and "上门" in text
    titles = [block.title for section in report.sections for block in section.blocks if hasattr(block, "columns")]
    assert "家访记录" in titles
    first_exam = next(block for section in report.sections for block in section.blocks
                      if getattr(block, "title", "").startswith("第1次统测"))
    assert [c.label for c in first_exam.columns] == ["学科", "等级", "T 分"], "scores hidden, T shown"
    assert "辅导记录" not in titles
    assert any("本校档案要求" in name for name, _ in report.stamp.presets)
    with pytest.raises(ValidationError) as caught:
        edit_preset(db, SYSTEM, copy.id, {"pupil_record.flags": "是"})
    assert "家长会用学业档案:留守、寄宿等情况" in str(caught.value) and "印出" in str(caught.value)
