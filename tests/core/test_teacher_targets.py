"""Teachers' quality targets (003 三(一): "目标逐级分解到年级、学科和教师") on the five-school township
worked by hand: measured on the classes the teacher teaches, beside the school's own targets, in the
teacher's 责任书 when the quality preset asks for letters down to the teachers, and refused when
they name no teacher of the school or a 名次."""
from __future__ import annotations

import subprocess

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM
from app.errors import ValidationError
from app.marks.entry import set_mark
from app.preset_store import activate, copy_preset, edit_preset
from app.reports import write_report
from app.reports.model import Findings
from app.reports.targets import build_letter, build_teacher_letter
from app.reports.teacher_report import build as build_teacher_report
from app.services.assignments import Wanted, set_assignments
from app.services.exams import create_exam
from app.services.targets import set_targets
from app.services.teachers import add_teacher
from app.stats.target_results import target_results
from scheme_helpers import build_township


@pytest.fixture
def township(tmp_path):
    """The township of scheme_helpers with 王老师 (T001) teaching school A's grade-3 class 语文."""
    env = build_township(tmp_path)
    db = open_database(env["path"])
    school, klass, term = db.execute(
        "SELECT s.id, c.id, t.id FROM school s JOIN class c ON c.school_id = s.id JOIN term t"
        " ON t.code LIKE '2026-2027-1' WHERE s.code = 'SA'").fetchone()
    teacher = add_teacher(db, SYSTEM, school, {"staff_no": "T001", "name": "王老师", "gender": "女", "subjects": "语文"})
    yw = db.execute("SELECT id FROM subject WHERE code = 'yw'").fetchone()[0]
    set_assignments(db, SYSTEM, school, term, {(klass, yw): Wanted(teacher, 6)})
    db.close()
    return env


def test_a_teachers_targets_are_measured_on_their_classes(township):
    db = open_database(township["path"])
    try:
        set_targets(db, SYSTEM, [
            {"school": "SA", "teacher": "T001", "subject": "语文", "metric": "平均分", "target": 80},
            {"school": "SA", "teacher": "王老师", "metric": "及格率", "target": "100%"},
            {"school": "SA", "subject": "语文", "metric": "平均分", "target": 70},
        ])
        rows = target_results(db, township["exam"])
    finally:
        db.close()
    mine = {r["metric"]: r for r in rows if r["teacher_id"]}
    # A's class: 90, 80, 70, 60 → 平均分 75 (5 below 80: 未完成), all four ≥ 60 → 及格率 100 % (完成)
    assert (mine["mean"]["result"], mine["mean"]["difference"], mine["mean"]["status"]) == (75, -5, "未完成")
    assert (mine["pass_rate"]["result"], mine["pass_rate"]["status"]) == (1.0, "完成")
    assert mine["mean"]["teacher_name"] == "王老师"
    school = next(r for r in rows if not r["teacher_id"])
    assert (school["result"], school["status"]) == (75, "完成"), "the school's own target stays the school's"


def test_bad_teacher_targets_name_their_cell_and_nothing_is_written(township):
    db = open_database(township["path"])
    try:
        with pytest.raises(ValidationError) as caught:
            set_targets(db, SYSTEM, [{"school": "SB", "teacher": "T001", "metric": "平均分", "target": 80},
                                     {"school": "SA", "teacher": "T001", "metric": "名次", "target": 1}])
        text = str(caught.value)
        assert "这所学校没有在职教师“T001”" in text and "名次是学校之间的比较,不能作为教师的目标" in text
        assert db.execute("SELECT COUNT(*) FROM quality_target").fetchone()[0] == 0
    finally:
        db.close()


def test_the_teachers_letter_follows_the_preset(township, tmp_path, capsys):
    db = open_database(township["path"])
    try:
        set_targets(db, SYSTEM, [{"school": "SA", "teacher": "T001", "subject": "语文", "metric": "平均分", "target": 80},
                                 {"school": "SA", "subject": "语文", "metric": "平均分", "target": 70}])
        letter = build_teacher_letter(db, "T001")
        assert letter.tables()[0].rows == [["王老师(教师)语文", "平均分", "80.0", ""]]
        assert [c.label for c in letter.tables()[1].columns] == ["甲方:A校(盖章)", "乙方:王老师"]
        school = build_letter(db, "SA")
        assert [r[0] for r in school.tables()[0].rows] == ["全校语文"], "the school's letter keeps its own targets"
        out = write_report(letter, tmp_path / "责任书.pdf")
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
        assert "王老师" in text and "教师(签字)" in text
        copy = copy_preset(db, SYSTEM, "sanlv-yifen-default", "只签学校")
        edit_preset(db, SYSTEM, copy.id, {"responsibility_letters": "school"})
        activate(db, SYSTEM, copy.id)
        with pytest.raises(ValidationError, match="只与学校签订"):
            build_teacher_letter(db, "T001")
    finally:
        db.close()
    capsys.readouterr()
    assert main(["target", "letter", str(township["path"]), "--teacher", "T001", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "只与学校签订" in capsys.readouterr().err


@pytest.fixture
def with_baseline(township):
    """The township with a September 语文 test of grade 3 at school A: 80, 70, 60, 50 for the same four pupils."""
    db = open_database(township["path"])
    baseline = create_exam(db, SYSTEM, name="开学测试", type="统考", grades=[3], subjects="语文:100", date="2026-09-10",
                           policy="roster", cutoffs={"excellent_pct": 80, "pass_pct": 60, "low_pct": 40})
    yw = db.execute("SELECT id FROM subject WHERE code = 'yw'").fetchone()[0]
    pupils = [r[0] for r in db.execute("SELECT p.id FROM pupil p JOIN school s ON s.id = p.school_id"
                                       " WHERE s.code = 'SA' ORDER BY p.student_no")]
    for pupil, mark in zip(pupils, (80, 70, 60, 50)):
        set_mark(db, SYSTEM, exam_id=baseline, pupil_id=pupil, subject_id=yw, value=mark)
    db.close()
    return {**township, "baseline": baseline}


def test_a_teachers_progress_target_is_worked_by_hand(with_baseline):
    db = open_database(with_baseline["path"])
    try:
        set_targets(db, SYSTEM, [
            {"school": "SA", "teacher": "T001", "subject": "语文", "metric": "进步值", "target": 25},
            {"school": "SA", "teacher": "T001", "metric": "进步值", "target": 15},
        ])
        rows = target_results(db, with_baseline["exam"], baseline_id=with_baseline["baseline"])
        without = target_results(db, with_baseline["exam"])
    finally:
        db.close()
    # Now 90, 80, 70, 60: mean 75, 优秀 (≥ 80) 2/4 = 50 %, 及格 (≥ 60) 4/4 = 100 %.
    # Before 80, 70, 60, 50: mean 65, 优秀 1/4 = 25 %, 及格 3/4 = 75 %.
    # 进步值 = [(75 − 65) + (50 − 25) + (100 − 75)] ÷ 3 = 60 ÷ 3 = 20.
    by_target = {r["target"]: r for r in rows}
    assert by_target[25]["result"] == pytest.approx(20)
    assert (round(by_target[25]["difference"], 6), by_target[25]["status"]) == (-5, "未完成")
    assert (round(by_target[15]["difference"], 6), by_target[15]["status"]) == (5, "完成")
    assert {r["status"] for r in without} == {"无结果"}, "no baseline, no 进步值"


def test_the_teacher_report_lists_the_teachers_own_targets(with_baseline, tmp_path):
    db = open_database(with_baseline["path"])
    try:
        set_targets(db, SYSTEM, [
            {"school": "SA", "teacher": "T001", "subject": "语文", "metric": "平均分", "target": 80},
            {"school": "SA", "teacher": "T001", "subject": "语文", "metric": "进步值", "target": 15},
            {"school": "SA", "teacher": "T001", "metric": "及格率", "target": "90%"},
            {"school": "SA", "subject": "语文", "metric": "平均分", "target": 70},
        ])
        report = build_teacher_report(db, with_baseline["exam"], "T001", baseline_id=with_baseline["baseline"])
        out = write_report(report, tmp_path / "教师.pdf")
    finally:
        db.close()
    table = next(t for t in report.tables() if t.title == "个人质量目标完成情况")
    # 平均分 75 against 80: −5, 未完成; 进步值 20 against 15: +5, 完成; 及格率 100 % against 90 %: +10 points, 完成.
    # The school's own 语文 target (70) is the school's, not the teacher's, and stays out.
    assert sorted(table.rows) == sorted([
        ["王老师(教师)语文", "平均分", "80.0", "75.0", "-5.0", "未完成"],
        ["王老师(教师)语文", "进步值", "15.0", "20.0", "+5.0", "完成"],
        ["王老师(教师)各学科", "及格率", "90.0%", "100.0%", "+10.0 个百分点", "完成"],
    ])
    findings_text = " ".join(item for section in report.sections for block in section.blocks
                             if isinstance(block, Findings) for item in block.items)
    assert "个人质量目标 3 项:完成 2 项,未完成 1 项" in findings_text
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "个人质量目标完成情况" in text and "未完成" in text
