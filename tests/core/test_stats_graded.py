"""Subjects assessed by grade (等级): 音乐 with levels A/B/C is imported from an 等级 column, counted per
level, never averaged, ranked or added to a pupil's 总分.

Class 四(1)班 of four pupils, exam 期末: 语文 90, 80, 70, 缺考; 音乐 A, ｂ (full-width, lower case), C, 缺考.
By hand: 音乐 grades {A: 1, B: 1, C: 1}; 语文 totals 90, 80, 70 (the 音乐 level adds nothing).
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM
from app.errors import ValidationError
from app.marks.entry import set_mark
from app.marks.reading import read_marks
from app.marks.writing import apply_marks
from app.services import classes, exams, pupils
from app.services.setup import init_school
from app.stats.groups import group_stats
from app.stats.pupils import pupil_results
from test_import_helpers import write_xlsx

NAMES = ["赵一", "钱二", "孙三", "李四"]


@pytest.fixture
def school(tmp_path):
    path = tmp_path / "s.sqlite"
    db = init_school(path, code="S1", name="甲村小学", type="完小", passphrase="demo", demo=True, township_code="T1",
                     township_name="甲乡", today=dt.date(2026, 11, 1))
    school_id = db.execute("SELECT id FROM school").fetchone()[0]
    year = db.execute("SELECT academic_year_id FROM term").fetchone()[0]
    class_id = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[4], number=1)
    for i, name in enumerate(NAMES, start=1):
        pupils.add_pupil(db, SYSTEM, school_id, {"student_no": f"G20260{i}", "name": name, "gender": "女",
                                                 "birth_date": "2017-03-01", "grade": 4, "class_id": class_id})
    yield db, path, tmp_path
    db.close()


def test_music_is_graded_from_the_command_line_and_by_default(school, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db, path, _ = school
    db.close()
    assert main(["exam", "create", str(path), "--name", "期末考试", "--type", "期末", "--grades", "4",
                 "--subjects", "语文:100,音乐:等级", "--date", "2026-12-20"]) == 0
    assert main(["exam", "create", str(path), "--name", "期末补测", "--type", "期末", "--grades", "4",
                 "--subjects", "语文,美术,体育与健康:100", "--date", "2026-12-21"]) == 0
    again = open_database(path)
    try:
        modes = {(r[0], r[1]): (r[2], r[3], r[4]) for r in again.execute(
            "SELECT e.name, s.name, es.assessment, es.levels, es.full_marks FROM exam_subject es"
            " JOIN exam e ON e.id = es.exam_id JOIN subject s ON s.id = es.subject_id")}
    finally:
        again.close()
    assert modes[("期末考试", "音乐")] == ("等级", "A/B/C", 3.0)
    assert modes[("期末考试", "语文")] == ("分数", None, 100.0)
    # 美术 without full marks is graded by the preset; 体育与健康 given full marks stays scored.
    assert modes[("期末补测", "美术")][0] == "等级" and modes[("期末补测", "体育与健康")][0] == "分数"


def test_a_music_level_column_is_counted_per_level_and_left_out_of_totals(school, capsys):
    db, path, tmp_path = school
    exam_id = exams.create_exam(db, SYSTEM, name="期末考试", type="期末", grades="4", subjects="语文:100,音乐:等级",
                                date="2026-12-20", scope="校")
    rows = [["学籍号", "姓名", "语文", "音乐等级"],
            ["G202601", "赵一", 90, "A"], ["G202602", "钱二", "８０", "ｂ"], ["G202603", "孙三", 70, " C "],
            ["G202604", "李四", "缺考", "缺考"]]
    plan = read_marks(db, write_xlsx(tmp_path / "期末.xlsx", {"四(1)班": rows}), exam_id)
    assert plan.problems == []
    apply_marks(db, SYSTEM, plan)
    records = {r["subject"]: r for r in group_stats(db, exam_id, "class", min_size=1)}
    music = records["音乐"]
    assert music["grades"] == {"A": 1, "B": 1, "C": 1}
    assert (music["n_roster"], music["n_sat"], music["n_absent"]) == (4, 3, 1)
    assert all(music[k] is None for k in ("mean", "pass_rate", "excellent_rate", "low_rate", "composite", "rank",
                                          "bands"))
    assert records["语文"]["grades"] is None and records["语文"]["mean"] == pytest.approx(240 / 4)  # roster: 缺考 = 0
    totals = {p["name"]: p["total"] for p in pupil_results(db, exam_id)}
    assert totals == {"赵一": 90, "钱二": 80, "孙三": 70, "李四": 0}
    levels = {p["name"]: next(s["level"] for s in p["subjects"] if s["subject"] == "音乐") for p in pupil_results(db, exam_id)}
    assert levels == {"赵一": "A", "钱二": "B", "孙三": "C", "李四": None}
    db.close()
    assert main(["stats", str(path), "--exam", exam_id, "--json"]) == 0
    [row] = [r for r in json.loads(capsys.readouterr().out) if r["subject"] == "音乐"]
    assert row["grades"] == {"A": 1, "B": 1, "C": 1} and row["mean"] is None and row["rank"] is None


def test_a_number_in_a_level_column_is_refused_by_cell(school):
    db, _, tmp_path = school
    exam_id = exams.create_exam(db, SYSTEM, name="期末考试", type="期末", grades="4", subjects="语文:100,音乐:等级",
                                date="2026-12-20", scope="校")
    rows = [["学籍号", "姓名", "语文", "音乐等级"],
            ["G202601", "赵一", 90, 2], ["G202602", "钱二", 80, 1.5], ["G202603", "孙三", 70, "B"]]
    plan = read_marks(db, write_xlsx(tmp_path / "期末.xlsx", {"四(1)班": rows}), exam_id)
    # a level written as a number (2 for B?) is not guessed: each such cell is named, nothing is written
    # title row, blank row, header: the pupils are rows 4-6
    assert [(p.sheet, p.row, p.column) for p in plan.problems] == [("四(1)班", 4, "音乐等级"), ("四(1)班", 5, "音乐等级")]
    assert all("只能填写 A / B / C" in p.message for p in plan.problems)
    with pytest.raises(ValidationError):
        apply_marks(db, SYSTEM, plan)
    assert db.execute("SELECT COUNT(*) FROM mark").fetchone()[0] == 0


def test_a_level_off_the_scale_is_refused_with_the_levels_allowed(school):
    db, _, _ = school
    exam_id = exams.create_exam(db, SYSTEM, name="期末考试", type="期末", grades="4",
                                subjects="音乐:等级=优秀/良好/合格/待提高", date="2026-12-20", scope="校")
    pupil_id, subject_id = db.execute("SELECT p.id, s.id FROM pupil p, subject s WHERE s.name = '音乐' LIMIT 1").fetchone()
    with pytest.raises(ValidationError) as caught:
        set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value="A")
    assert "优秀 / 良好 / 合格 / 待提高" in str(caught.value)
    mark = set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value="良好")
    assert (mark["score"], mark["status"]) == (2.0, "正常")


def test_a_second_unified_exam_for_grade_1_warns_quoting_the_rule(school, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db, path, _ = school
    school_id = db.execute("SELECT id FROM school").fetchone()[0]
    year = db.execute("SELECT academic_year_id FROM term").fetchone()[0]
    classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[1], number=1)
    db.close()
    assert main(["exam", "create", str(path), "--name", "一年级期中", "--type", "期中", "--grades", "1,4",
                 "--subjects", "语文,数学", "--date", "2026-11-10"]) == 0
    assert "提醒" not in capsys.readouterr().err
    # A 月考 is not a unified exam: no warning either.
    assert main(["exam", "create", str(path), "--name", "十二月月考", "--type", "月考", "--grades", "1",
                 "--subjects", "语文", "--date", "2026-12-01"]) == 0
    assert "提醒" not in capsys.readouterr().err
    # The 期末 is grade 1's second unified exam of the term (at most one), grade 4's second (at most two).
    assert main(["exam", "create", str(path), "--name", "期末考试", "--type", "期末", "--grades", "1,4",
                 "--subjects", "语文,数学", "--date", "2026-12-28"]) == 0
    err = capsys.readouterr().err
    assert "1年级本学期已有 1 次统一考试" in err and "一二年级每学期至多 1 次统一考试" in err
    assert "4年级" not in err
