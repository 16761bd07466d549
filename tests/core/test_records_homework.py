"""Homework load: limits per grade from the preset, the weekly check worked by hand, who may enter a
class's homework, the sheet import with located problems, and the 作业公示 PDF."""
from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import xlsxwriter

from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied, ValidationError
from app.records.common import records_rules
from app.records.homework import (class_limit, limits_text, record_homework, record_homework_days,
                                  weekly_check)
from app.records.homework_import import read_homework
from app.records.homework_notice import write_notice
from records_helpers import small_school


@pytest.fixture
def school(tmp_path):
    db, ids = small_school(tmp_path / "s.sqlite")
    ids["subjects"] = dict(db.execute("SELECT name, id FROM subject").fetchall())
    yield db, ids
    db.close()


def test_limits_per_grade_come_from_the_preset(school):
    db, ids = school
    rules = records_rules(db).content
    by_grade = {int(g): m for g, m in rules["homework"]["daily_minutes"].items()}
    assert by_grade == {1: 0, 2: 0, 3: 60, 4: 60, 5: 60, 6: 60, 7: 90, 8: 90, 9: 90}
    assert class_limit(db, ids["three"]) == (60, [3])
    # a 复式 class of grades 2 and 3 takes the stricter limit: no written homework
    from app.services import classes
    from app.services.schools import current_term
    mixed = classes.create_class(db, SYSTEM, school_id=ids["school"], academic_year_id=current_term(db)["academic_year_id"],
                                 grades=[2, 3], number=2)
    assert class_limit(db, mixed) == (0, [2, 3])


def test_a_school_copy_of_the_preset_changes_the_limit_and_the_rule_shown(school):
    from app.presets import store

    db, ids = school
    assert limits_text(db, ids["school"]) == (
        "规定:一、二年级不布置书面家庭作业;三至六年级每天书面作业平均不超过 60 分钟;七至九年级每天书面作业平均不超过 90 分钟。"
        "复式班按其中最低的年级要求。")
    content = records_rules(db, ids["school"]).content
    lower = {**content, "homework": {"daily_minutes": {**content["homework"]["daily_minutes"], "3": 40}}}
    store(db, SYSTEM, "records", lower, ids["school"])
    assert class_limit(db, ids["three"]) == (40, [3])
    assert limits_text(db, ids["school"]).startswith(
        "规定:一、二年级不布置书面家庭作业;三年级每天书面作业平均不超过 40 分钟;四至六年级每天书面作业平均不超过 60 分钟;")


def test_weekly_check_worked_by_hand(school):
    db, ids = school
    s = ids["subjects"]
    head = Actor("li", "teacher", school_id=ids["school"], teacher_id=ids["li"])
    # week of 11-09: 55, 75, 40 minutes → mean 56.7 ≤ 60, Tuesday over
    record_homework(db, head, ids["three"], "2026-11-09", {s["语文"]: 20, s["数学"]: 25, s["英语"]: 10})
    record_homework(db, head, ids["three"], "2026-11-10", {s["语文"]: 30, s["数学"]: 30, s["英语"]: 15})
    record_homework(db, head, ids["three"], "2026/11/11", {s["语文"]: "20", s["数学"]: 20.0, s["英语"]: ""})
    # week of 11-16: 70 and 65 → mean 67.5 > 60
    record_homework(db, head, ids["three"], "2026-11-16", {s["语文"]: 40, s["数学"]: 30})
    record_homework(db, head, ids["three"], "2026-11-17", {s["语文"]: 35, s["数学"]: 30})
    rows = {r["week"]: r for r in weekly_check(db)}
    first, second = rows["2026-11-09"], rows["2026-11-16"]
    assert (first["days"], first["mean"], first["max"], first["limit"]) == (3, 56.7, 75, 60)
    assert first["over_days"] == ["2026-11-10"] and not first["over"]
    assert (second["mean"], second["over"]) == (67.5, True)
    assert [(r["class_name"], r["week"]) for r in weekly_check(db) if r["over"]] == [("三(1)班", "2026-11-16")]
    # entering a day again replaces it: 英语 left out now is removed
    record_homework(db, head, ids["three"], "2026-11-10", {s["语文"]: 20, s["数学"]: 20})
    assert {r["week"]: r for r in weekly_check(db)}["2026-11-09"]["mean"] == pytest.approx(135 / 3, abs=0.05)


def test_only_the_head_teacher_or_the_office_enters_a_class(school):
    db, ids = school
    s = ids["subjects"]
    other = Actor("wang", "teacher", school_id=ids["school"], teacher_id=ids["wang"])
    with pytest.raises(PermissionDenied, match="班主任"):
        record_homework(db, other, ids["three"], "2026-11-09", {s["语文"]: 20})
    office = Actor("jw", "academic", school_id=ids["school"])
    assert record_homework(db, office, ids["three"], "2026-11-09", {s["语文"]: 20}) == 1
    elsewhere = Actor("x", "school_admin", school_id="another-school")
    with pytest.raises(PermissionDenied):
        record_homework(db, elsewhere, ids["three"], "2026-11-09", {s["语文"]: 20})


def test_bad_days_are_refused_with_reasons_and_nothing_written(school):
    db, ids = school
    s = ids["subjects"]
    with pytest.raises(ValidationError) as caught:
        record_homework(db, SYSTEM, ids["three"], "2026-11-14", {s["语文"]: "半小时", s["数学"]: 700})
    text = " ".join(p.message for p in caught.value.problems)
    assert "星期六" in text and "半小时" in text and "0 到 600" in text
    assert db.execute("SELECT COUNT(*) FROM homework_log").fetchone()[0] == 0


def _sheet(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("十一月")
    sheet.write_row(0, 0, ["三年级作业时间登记"])
    for r, row in enumerate(rows, start=2):
        sheet.write_row(r, 0, row)
    book.close()
    return path


def test_import_names_sheet_row_and_column_and_writes_all_or_nothing(school, tmp_path):
    db, ids = school
    header = ["班级", "日期", "语文", "数学", "英语", "备注"]
    bad = _sheet(tmp_path / "bad.xlsx", [
        header,
        ["三(1)班", "2026-11-09", 20, 25, 10, "正常"],
        ["三(2)班", "2026-11-09", 20, None, None, None],
        ["三(1)班", "2026-11-10", "二十", 30, None, None],
        ["三(1)班", "2026-11-09", 20, 25, 10, "重复"],
        ["五(1)班", "2026-11-15", 20, 25, 10, None],
    ])
    plan = read_homework(db, bad, ids["school"])
    found = {(p.sheet, p.row, p.column) for p in plan.problems}
    assert ("十一月", 5, "班级") in found          # no such class
    assert ("十一月", 6, "语文") in found          # not minutes
    assert ("十一月", 7, "日期") in found          # the same class-day twice
    assert ("十一月", 8, "日期") in found          # a Sunday
    good = _sheet(tmp_path / "good.xlsx", [header, ["三(1)班", "2026-11-09", 20, 25, 10, None],
                                           ["五(1)班", "2026-11-09", 30, 40, None, "数学单元复习"]])
    plan = read_homework(db, good, ids["school"])
    assert plan.problems == []
    assert record_homework_days(db, SYSTEM, plan.days) == 5
    totals = {r["class_name"]: r["max"] for r in weekly_check(db)}
    assert totals == {"三(1)班": 55, "五(1)班": 70}


def test_notice_pdf_shows_the_week_and_the_verdict(school, tmp_path):
    db, ids = school
    s = ids["subjects"]
    record_homework(db, SYSTEM, ids["five"], "2026-11-16", {s["语文"]: 40, s["数学"]: 35})
    record_homework(db, SYSTEM, ids["five"], "2026-11-17", {s["语文"]: 30, s["数学"]: 40})
    path = write_notice(db, ids["five"], dt.date(2026, 11, 18), tmp_path / "公示.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "五(1)班 作业公示" in text and "2026-11-16 至 2026-11-20" in text
    assert "75" in text and "70" in text and "超时" in text and "未登记" in text
    assert "平均每天 72 分钟,超过规定" in text
    # The rule printed for parents is the preset's in force, not a fixed sentence.
    from app.presets import store
    content = records_rules(db, ids["school"]).content
    store(db, SYSTEM, "records", {**content, "homework": {"daily_minutes": {
        **content["homework"]["daily_minutes"], "5": 80, "6": 80}}}, ids["school"])
    path = write_notice(db, ids["five"], dt.date(2026, 11, 18), tmp_path / "公示2.pdf")
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "五、六年级每天书面作业平均不超过80分钟" in text and "平均每天72分钟,符合规定" in text
