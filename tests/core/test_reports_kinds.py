"""Class report (a 复式 class of a 教学点), the confidential teacher report of a 走教 teacher and the
township summary: figures worked out here from the marks, the 60/40 central school score, schools
missing data and small schools flagged and left out of the rankings."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from openpyxl import load_workbook

from app.db.writes import SYSTEM
from app.errors import NotFound, ValidationError
from app.reports import build_report, write_report
from app.services.schools import create_township
from app.preset_store import activate, copy_preset, edit_preset
from app.stats.progress import progress_values
from report_helpers import copy_demo, exam_ids, ink_share, line_with, pages_text, render_page, roster_figures

MADE = dt.datetime(2026, 11, 20, 9, 30)


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinds")
    db = copy_demo(demo_template, folder / "db")
    yield {"db": db, "exams": exam_ids(db), "folder": folder}
    db.close()


def _class_id(db, school, name):
    return db.execute("SELECT c.id FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                      " ON y.id = c.academic_year_id WHERE s.code = ? AND c.name = ? AND y.code = '2026-2027'",
                      [school, name]).fetchone()[0]


def _flat(pages):
    return [re.sub(r"\s+", " ", p) for p in pages]


def test_class_report_of_a_multigrade_class(demo):
    db, exams, folder = demo["db"], demo["exams"], demo["folder"]
    report = build_report(db, "class", exams["统考"], school="QSZ04", class_name="三四年级复式班", baseline=exams["期末"],
                          made=MADE)
    pdf = write_report(report, folder / "class.pdf")
    pages = pages_text(pdf)
    text = "\n".join(pages)
    class_id = _class_id(db, "QSZ04", "三四年级复式班")
    for grade, word in ((3, "三年级"), (4, "四年级")):
        own = roster_figures(db, exams["统考"], "数学", class_id=class_id, grade=grade)
        school = roster_figures(db, exams["统考"], "数学", school="QSZ04", grade=grade)
        town = roster_figures(db, exams["统考"], "数学", grade=grade)
        assert line_with(text, word, "数学", f" {own['n']} ", f"{own['mean']:.1f}", f"{100 * own['pass_rate']:.1f}%",
                         f"{school['mean']:.1f}", f"{town['mean']:.1f}", f"{100 * town['pass_rate']:.1f}%")
    name, student_no, score = db.execute(
        "SELECT p.name, p.student_no, m.score FROM mark m JOIN pupil p ON p.id = m.pupil_id JOIN subject s"
        " ON s.id = m.subject_id WHERE m.exam_id = ? AND m.class_id = ? AND s.name = '语文' AND m.status = '正常'"
        " ORDER BY p.student_no LIMIT 1", [exams["统考"], class_id]).fetchone()
    # An internal list shows the 学籍号 masked (first five, last four), never in full; every page says
    # that it holds pupils' personal data.
    assert line_with(text, f"{student_no[:5]}****{student_no[-4:]}", name, f"{score:g}")
    assert student_no not in text
    assert all("含学生个人信息,请妥善保管,勿外传" in p for p in pages)
    assert all("内部资料" in p for p in _flat(pages))
    png = render_page(pdf, 1, folder / "class-p1.png")
    if png is not None:
        assert ink_share(png) > 0.02


def test_teacher_report_is_confidential_and_scores_by_the_preset(demo):
    db, exams, folder = demo["db"], demo["exams"], demo["folder"]
    staff_no, teacher_id = db.execute(
        "SELECT t.staff_no, t.id FROM teacher t JOIN teacher_site ts ON ts.teacher_id = t.id"
        " JOIN teaching_assignment a ON a.teacher_id = t.id JOIN subject s ON s.id = a.subject_id"
        " WHERE s.code = 'yy' LIMIT 1").fetchone()
    report = build_report(db, "teacher", exams["统考"], teacher=staff_no, baseline=exams["期末"], made=MADE)
    pdf = write_report(report, folder / "teacher.pdf")
    pages = _flat(pages_text(pdf))
    assert all(p.count("内部资料 · 不得公开") == 2 for p in pages)  # header and footer
    assert all("含教师个人信息,仅限内部使用,勿外传" in p for p in pages)  # names a teacher with their results
    png = render_page(pdf, 1, folder / "teacher-p1.png")
    if png is not None:
        assert ink_share(png) > 0.02
    text = "\n".join(pages_text(pdf))
    class_id, class_name, grade = db.execute(
        "SELECT a.class_id, c.name, MIN(g.grade) FROM teaching_assignment a JOIN class c ON c.id = a.class_id"
        " JOIN class_grade g ON g.class_id = c.id JOIN subject s ON s.id = a.subject_id"
        " WHERE a.teacher_id = ? AND s.code = 'yy' GROUP BY a.class_id ORDER BY COUNT(*) LIMIT 1",
        [teacher_id]).fetchone()
    own = roster_figures(db, exams["统考"], "英语", class_id=class_id, grade=grade)
    assert line_with(text, class_name, "英语", f" {own['n']} ", f"{own['mean']:.1f}", f"{100 * own['pass_rate']:.1f}%")
    # 000 篇17 over those who sat: 平均分×50% + 优生率×100×30% + 及格率×100×20% + 进步值, per class
    wb = write_report(report, folder / "teacher.xlsx")
    sheet = load_workbook(wb)["业绩得分"]
    assert sheet.oddFooter.left.text.startswith("含教师个人信息,仅限内部使用,勿外传")
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        item = dict(zip(header, row))
        sat = [score if status == "正常" else 0.0 for status, score in db.execute(
            "SELECT m.status, m.score FROM mark m JOIN subject s ON s.id = m.subject_id JOIN class c"
            " ON c.id = m.class_id WHERE m.exam_id = ? AND s.name = ? AND m.grade = ? AND c.id IN"
            " (SELECT class_id FROM teaching_assignment WHERE teacher_id = ?) AND c.name = ?"
            " AND m.status IN ('正常', '作弊')",
            [exams["统考"], item["学科"], "一二三四五六".index(item["年级"][0]) + 1, teacher_id,
             item["班级"].split()[-1]])]
        if len(sat) != item["统计人数"]:
            continue  # two classes of that name at two sites: the name alone cannot pick the marks
        mean = sum(sat) / len(sat)
        excellent, passed = sum(v >= 85 for v in sat) / len(sat), sum(v >= 60 for v in sat) / len(sat)
        assert item["平均分"] == pytest.approx(mean)
        # A subject the baseline (last year's 期末) did not examine in that grade has no 进步值: 无基线, not 0.
        examined_then = db.execute(
            "SELECT COUNT(*) FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ? AND s.name = ?"
            " AND m.grade = ?", [exams["期末"], item["学科"], "一二三四五六".index(item["年级"][0])]).fetchone()[0]
        if not examined_then:
            assert item["进步值"] == "无基线"
        gain = 0.0 if item["进步值"] == "无基线" else item["进步值"]
        assert item["班级得分"] == pytest.approx(0.5 * mean + 30 * excellent + 20 * passed + gain)


def test_teacher_without_examined_classes_is_refused(demo_db):
    exams = exam_ids(demo_db)
    teacher_id, staff_no = demo_db.execute("SELECT id, staff_no FROM teacher ORDER BY staff_no LIMIT 1").fetchone()
    demo_db.execute("DELETE FROM teaching_assignment WHERE teacher_id = ?", [teacher_id])
    with pytest.raises(ValidationError, match="没有任教"):
        build_report(demo_db, "teacher", exams["统考"], teacher=staff_no)
    with pytest.raises(NotFound, match="工号"):
        build_report(demo_db, "teacher", exams["统考"], teacher="NO-SUCH-1")


def _township(db, folder, exams, name):
    report = build_report(db, "township", exams["统考"], baseline=exams["期末"], made=MADE)
    pdf = write_report(report, folder / f"{name}.pdf")
    xlsx = load_workbook(write_report(report, folder / f"{name}.xlsx"))
    return pdf, pages_text(pdf), xlsx


def _sheet(wb, name):
    ws = wb[name]
    header = [c.value for c in ws[1]]
    return [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]


def test_township_progress_first_groups_apart_and_central_score(demo):
    db, exams, folder = demo["db"], demo["exams"], demo["folder"]
    pdf, pages, wb = _township(db, folder, exams, "township")
    text = re.sub(r"\s+", "", "\n".join(pages))
    assert text.index("各校进步(先看进步)") < text.index("各校三率一分与排名(其次看结果)")
    raw = _sheet(wb, "各校三率一分")
    assert {r["组别"] for r in raw} == {"校本部", "完小、教学点"}
    assert [r["组内名次"] for r in raw if r["组别"] == "校本部"] == [1]
    assert sorted(r["组内名次"] for r in raw if r["组别"] == "完小、教学点") == [1, 2, 3, 4, 5]
    # 平均得分率 of a school = mean over its scored subjects of the school's mean ÷ full marks (roster
    # policy); the 等级 subjects (音乐、美术、体育) have no mean.
    subjects = [r[0] for r in db.execute("SELECT DISTINCT s.name FROM mark m JOIN subject s ON s.id = m.subject_id"
                                         " JOIN school sc ON sc.id = m.school_id WHERE m.exam_id = ?"
                                         " AND sc.code = 'QSZ02' AND s.name NOT IN ('音乐', '美术', '体育与健康')",
                                         [exams["统考"]])]
    expected = sum(roster_figures(db, exams["统考"], s, school="QSZ02")["mean"] for s in subjects) / len(subjects) / 100
    assert next(r for r in raw if r["学校"] == "油溪完全小学")["平均得分率"] == pytest.approx(expected)
    central = _sheet(wb, "中心小学综合分")[0]
    villages = [r["综合分"] for r in raw if r["组别"] != "校本部"]
    own = next(r["综合分"] for r in raw if r["组别"] == "校本部")
    assert central["村级学校数"] == 5
    assert central["中心小学综合分"] == pytest.approx(0.6 * own + 0.4 * sum(villages) / len(villages))
    assert "不是年度绩效考核的中心小学得分" in text.replace(" ", "").replace("\n", "")
    assert "全乡各校本次考试的成绩都已收齐" in text
    # School figures only, unless pupils on a roster without a mark are named: then the footer says so.
    named = "名册上有、没有成绩的学生" in text
    assert all(("含学生个人信息,请妥善保管,勿外传" in p) == named for p in pages)
    assert all(("含学生个人信息" in (ws.oddFooter.left.text or "")) == named for ws in wb.worksheets)
    png = render_page(pdf, 1, folder / "township-p1.png")
    if png is not None:
        assert ink_share(png) > 0.02


def test_township_lists_missing_and_small_schools_unranked(demo_db, tmp_path):
    exams = exam_ids(demo_db)
    demo_db.execute("DELETE FROM mark WHERE exam_id = ? AND school_id = (SELECT id FROM school WHERE code = 'QSZ06')",
                    [exams["统考"]])
    copy = copy_preset(demo_db, SYSTEM, "sanlv-yifen-default", "最小样本 15 人")
    edit_preset(demo_db, SYSTEM, copy.id, {"min_group_size": 15})
    activate(demo_db, SYSTEM, copy.id)
    name = demo_db.execute(  # one pupil of 油溪 loses their marks: the report names them
        "SELECT p.name FROM pupil p JOIN school s ON s.id = p.school_id JOIN mark m ON m.pupil_id = p.id"
        " WHERE s.code = 'QSZ02' AND m.exam_id = ? ORDER BY p.student_no LIMIT 1", [exams["统考"]]).fetchone()[0]
    demo_db.execute("DELETE FROM mark WHERE exam_id = ? AND pupil_id = (SELECT id FROM pupil WHERE name = ?"
                    " AND school_id = (SELECT id FROM school WHERE code = 'QSZ02'))", [exams["统考"], name])
    _, pages, wb = _township(demo_db, tmp_path, exams, "township")
    text = re.sub(r"\s+", "", "\n".join(pages))
    assert name in text and all("含学生个人信息,请妥善保管,勿外传" in p for p in pages)
    assert all(ws.oddFooter.left.text.startswith("含学生个人信息,请妥善保管,勿外传") for ws in wb.worksheets)
    status = {r["学校"]: r["数据情况"] for r in _sheet(wb, "数据情况")}
    assert status["观音阁教学点"].startswith("没有本次考试的成绩")
    assert "数据不完整的学校:观音阁教学点" in text
    raw = {r["学校"]: r for r in _sheet(wb, "各校三率一分")}
    assert raw["观音阁教学点"]["组内名次"] is None and raw["观音阁教学点"]["备注"] == "没有成绩"
    # 竹林教学点: 12, 6 and 12 pupils in its three grades — all below 15, so a small school
    assert raw["竹林教学点"]["组内名次"] is None and raw["竹林教学点"]["备注"] == "小规模,不排名"
    progress = {r["学校"]: r for r in _sheet(wb, "各校进步值")}
    assert progress["竹林教学点"]["组内名次"] is None
    ranked = sorted(r["组内名次"] for r in raw.values() if r["组别"] != "校本部" and r["组内名次"])
    assert ranked == list(range(1, len(ranked) + 1)) and len(ranked) <= 3
    assert "竹林教学点(参考" in text and "不参加进步值和综合分排名" in text


def test_township_progress_of_one_township_of_two(demo_db):
    exams = exam_ids(demo_db)
    other = create_township(demo_db, SYSTEM, code="HSZ", name="红山镇")
    demo_db.execute("UPDATE school SET township_id = ? WHERE code IN ('QSZ04', 'QSZ05')", [other])
    report = build_report(demo_db, "township", exams["统考"], township="QSZ", baseline=exams["期末"], made=MADE)
    table = next(t for t in report.tables() if t.title == "各校进步值")
    labels = [c.label for c in table.columns]
    rows = {row[1]: dict(zip(labels, row)) for row in table.rows}
    assert set(rows) == {"青山镇中心小学", "油溪完全小学", "乌龙完全小学", "观音阁教学点"}
    everyone = progress_values(demo_db, exams["统考"], exams["期末"], "school")
    for name, row in rows.items():
        mine = {r["subject"]: r for r in everyone if r["school_name"] == name}
        assert row["匹配人数"] == max(r["n"] for r in mine.values())
        assert row["语文进步值"] == mine["语文"]["progress"] and row["数学进步值"] == mine["数学"]["progress"]
    # Independently: 油溪完全小学's 语文 over all its grades, the same pupils in both exams (roster policy).
    pairs = demo_db.execute(
        "SELECT a.status, a.score, b.status, b.score FROM mark a JOIN mark b ON b.pupil_id = a.pupil_id"
        " AND b.subject_id = a.subject_id JOIN subject s ON s.id = a.subject_id JOIN school sc ON sc.id = a.school_id"
        " WHERE a.exam_id = ? AND b.exam_id = ? AND s.name = '语文' AND sc.code = 'QSZ02'"
        " AND a.status != '免考' AND b.status != '免考'", [exams["统考"], exams["期末"]]).fetchall()
    now = [x if s == "正常" else 0.0 for s, x, _, _ in pairs]
    then = [x if s == "正常" else 0.0 for _, _, s, x in pairs]
    expected = ((sum(now) - sum(then)) / len(pairs) + 100 * (sum(v >= 85 for v in now) - sum(v >= 85 for v in then))
                / len(pairs) + 100 * (sum(v >= 60 for v in now) - sum(v >= 60 for v in then)) / len(pairs)) / 3
    assert rows["油溪完全小学"]["语文进步值"] == pytest.approx(expected)
