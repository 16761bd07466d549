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
from app.preset_store import activate, copy_preset, edit_preset
from app.reports import write_report
from app.reports.targets import build_letter, build_teacher_letter
from app.services.assignments import Wanted, set_assignments
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
