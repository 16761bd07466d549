"""Setting up an exam: validated, audited, cut-offs default and overridable, CLI create and list."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from app.db.writes import Actor
from app.errors import PermissionDenied, ValidationError
from app.services import exams


def _subjects(db, exam_id):
    return {s["name"]: s for s in exams.exam_subjects(db, exam_id)}


def test_create_exam_with_defaults_and_per_grade_subjects(demo_db, system):
    exam_id = exams.create_exam(demo_db, system, name="2026年秋季单元测试", type="单元", grades="3-5",
                                subjects="语文:100,数学:120,英语:100:4-5", date="2026-10-20", term="2026-2027-1")
    exam = exams.get_exam(demo_db, exam_id)
    assert (exam["type"], exam["scope"], exam["policy"], exam["term_code"]) == ("单元", "乡", "sat", "2026-2027-1")
    assert exam["grades"] == [3, 4, 5]
    subjects = _subjects(demo_db, exam_id)
    assert subjects["数学"]["full_marks"] == 120
    assert subjects["英语"]["grades"] == [4, 5] and subjects["语文"]["grades"] == [3, 4, 5]
    assert subjects["语文"]["cutoffs"][3] == {"excellent_pct": 85, "pass_pct": 60, "low_pct": 40}
    # Audited: the exam row, its grades and each subject.
    audited = {r[0] for r in demo_db.execute("SELECT table_name FROM audit_log WHERE row_id = ? OR new_value LIKE ?",
                                             [exam_id, f"%{exam_id}%"])}
    assert {"exam", "exam_grade", "exam_subject"} <= audited


def test_create_exam_refuses_with_every_problem_named(demo_db, system):
    with pytest.raises(ValidationError) as caught:
        exams.create_exam(demo_db, system, name="", type="周考", grades="3,10", subjects="语文:100,体操:100,语文:90",
                          policy="all", date="2026-13-01")
    fields = {p.field for p in caught.value.problems}
    assert {"name", "type", "grades", "subjects", "policy", "date"} <= fields
    text = str(caught.value)
    assert "体操" in text and "语文" in text and "周考" in text
    assert demo_db.execute("SELECT COUNT(*) FROM exam").fetchone()[0] == 3


def test_subject_grades_outside_exam_and_bad_cutoffs_are_refused(demo_db, system):
    with pytest.raises(ValidationError) as caught:
        exams.create_exam(demo_db, system, name="期中", type="期中", grades=[3, 4], subjects=[
            {"subject": "英语", "full_marks": 100, "grades": [5]},
            {"subject": "数学", "full_marks": 0},
            {"subject": "语文", "excellent_pct": 50, "pass_pct": 60, "low_pct": 40}])
    text = str(caught.value)
    assert "5" in text and "满分" in text and "分数线不合理" in text


def test_date_outside_term_and_duplicate_name_are_refused(demo_db, system):
    with pytest.raises(ValidationError) as caught:
        exams.create_exam(demo_db, system, name="月考", type="月考", grades="3", subjects="语文", date="2026-03-01")
    assert "不在学期" in str(caught.value)
    exams.create_exam(demo_db, system, name="月考", type="月考", grades="3", subjects="语文")
    with pytest.raises(ValidationError) as caught:
        exams.create_exam(demo_db, system, name="月考", type="月考", grades="3", subjects="语文")
    assert "已有名为“月考”" in str(caught.value)


def test_teacher_cannot_set_up_a_unified_exam(demo_db):
    teacher = Actor(username="laoshi", role="teacher", school_id="x")
    with pytest.raises(PermissionDenied):
        exams.create_exam(demo_db, teacher, name="统考", type="统考", grades="3", subjects="语文")


def test_cutoff_override_for_one_grade(demo_db, system):
    exam_id = exams.create_exam(demo_db, system, name="单元", type="单元", grades="3,4", subjects="数学:100",
                                cutoffs={"excellent_pct": 90})
    exams.set_cutoffs(demo_db, system, exam_id, "数", excellent_pct=80, pass_pct=50, low_pct=30, grade=4)
    cuts = _subjects(demo_db, exam_id)["数学"]["cutoffs"]
    assert cuts[3] == {"excellent_pct": 90, "pass_pct": 60, "low_pct": 40}
    assert cuts[4] == {"excellent_pct": 80, "pass_pct": 50, "low_pct": 30}
    with pytest.raises(ValidationError):
        exams.set_cutoffs(demo_db, system, exam_id, "数学", excellent_pct=50, pass_pct=60, low_pct=40, grade=4)
    with pytest.raises(ValidationError) as caught:
        exams.set_cutoffs(demo_db, system, exam_id, "数学", excellent_pct=80, pass_pct=50, low_pct=30, grade=6)
    assert "不考 6 年级" in str(caught.value)
    assert demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'exam_cutoff'").fetchone()[0] == 1


def test_cli_create_and_list(demo_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["exam", "create", str(demo_path), "--name", "三四年级单元测", "--type", "单元", "--term", "2026-2027-1",
                 "--grades", "3,4", "--subjects", "语文:100,数学:100,英语:100", "--policy", "roster", "--json"]) == 0
    new_id = json.loads(capsys.readouterr().out)["id"]
    assert main(["exam", "list", str(demo_path), "--json"]) == 0
    listed = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert len(listed) == 4
    mine = listed[new_id]
    assert (mine["name"], mine["policy"], mine["grades"], mine["subjects"], mine["n_marks"]) == \
        ("三四年级单元测", "roster", [3, 4], ["语文", "数学", "英语"], 0)
    assert main(["exam", "create", str(demo_path), "--name", "x", "--type", "单元", "--grades", "3",
                 "--subjects", "语文:abc"]) == 2
    assert "满分" in capsys.readouterr().err
    assert main(["exam", "create", str(demo_path), "--name", "三四年级单元测2", "--type", "单元", "--grades", "3",
                 "--subjects", "语文"]) == 0
    assert len(capsys.readouterr().out.strip()) == 36


def test_cli_cutoff(demo_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["exam", "list", str(demo_path), "--json"]) == 0
    midterm = next(e for e in json.loads(capsys.readouterr().out) if e["type"] == "统考")
    assert main(["exam", "cutoff", str(demo_path), "--exam", midterm["name"], "--subject", "英语", "--grade", "3",
                 "--excellent", "80", "--pass", "55", "--low", "30"]) == 0
    assert "已修改" in capsys.readouterr().out
    assert main(["exam", "cutoff", str(demo_path), "--exam", midterm["id"], "--subject", "英语", "--grade", "3",
                 "--excellent", "50", "--pass", "55", "--low", "30"]) == 2
