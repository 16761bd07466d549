"""Changing and deleting an exam: nothing stranded, every change audited, only its owner may."""
from __future__ import annotations

import datetime as dt

import pytest

from app.db.writes import SYSTEM
from app.errors import PermissionDenied, ValidationError
from app.services import classes, exams, pupils, schools, setup, users
from app.services.exam_edit import count_marks, delete_exam, update_exam
from app.marks.entry import set_mark


@pytest.fixture
def school(tmp_path):
    """A school with one 三年级 class of two pupils and an exam 期中 (语文, 数学 for grades 3-4)."""
    db = setup.init_school(tmp_path / "s.sqlite", code="XS01", name="溪水完全小学", type="完小",
                           passphrase="secret-pass", today=dt.date(2025, 10, 15))
    school = schools.school_by_code(db, "XS01")
    year = schools.current_term(db)["academic_year_id"]
    class_id = classes.create_class(db, SYSTEM, school_id=school["id"], academic_year_id=year, grades=[3])
    ids = [pupils.add_pupil(db, SYSTEM, school["id"], {"student_no": no, "name": name, "gender": "女", "grade": 3,
                                                       "class_id": class_id})
           for no, name in (("G1001", "张丽"), ("G1002", "王芳"))]
    exam_id = exams.create_exam(db, SYSTEM, name="期中", type="期中", grades=[3, 4], subjects="语文:100,数学:100",
                                date="2025-11-10")
    admin = users.actor_for(db, "admin")
    yield db, admin, exam_id, ids
    db.close()


def _subject_id(db, name):
    return db.execute("SELECT id FROM subject WHERE name = ?", [name]).fetchone()[0]


def test_update_changes_fields_subjects_and_grades_and_audits(school):
    db, admin, exam_id, _ = school
    result = update_exam(db, admin, exam_id, name="期中考试", type="期末", grades=[3], date="2025-12-01",
                         policy="roster", subjects=[{"subject": "语文", "full_marks": 120},
                                                    {"subject": "英语", "full_marks": 100}])
    assert result == {"changed": True}
    exam = exams.get_exam(db, exam_id)
    assert (exam["name"], exam["type"], exam["date"], exam["policy"], exam["grades"]) == (
        "期中考试", "期末", "2025-12-01", "roster", [3])
    assert {s["name"]: s["full_marks"] for s in exam["subjects"]} == {"语文": 120, "英语": 100}
    actions = {(r[0], r[1]) for r in db.execute("SELECT action, table_name FROM audit_log WHERE username = 'admin'")}
    assert {("update", "exam"), ("update", "exam_grade"), ("update", "exam_subject"), ("delete", "exam_subject"),
            ("insert", "exam_subject")} <= actions
    assert update_exam(db, admin, exam_id, name="期中考试", type="期末", grades=[3], date="2025-12-01",
                       policy="roster", subjects=[{"subject": "语文", "full_marks": 120},
                                                  {"subject": "英语", "full_marks": 100}]) == {"changed": False}


def test_update_never_strands_marks(school):
    db, admin, exam_id, pupil_ids = school
    set_mark(db, admin, exam_id=exam_id, pupil_id=pupil_ids[0], subject_id=_subject_id(db, "数学"), value="96")
    with pytest.raises(ValidationError) as caught:
        update_exam(db, admin, exam_id, name="期中", type="期中", grades=[4], date="2025-11-10",
                    subjects=[{"subject": "语文"}, {"subject": "数学", "full_marks": 90}])
    text = str(caught.value)
    assert "3 年级数学已录入 1 条成绩" in text
    with pytest.raises(ValidationError) as caught:
        update_exam(db, admin, exam_id, name="期中", type="期中", grades=[3, 4], date="2025-11-10",
                    subjects=[{"subject": "数学", "full_marks": 90}])
    assert "96 分" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        update_exam(db, admin, exam_id, name="期中", type="期中", grades=[3, 4], date="2025-11-10",
                    subjects=[{"subject": "语文"}])
    assert "数学已录入 1 条成绩,不能从考试中去掉" in str(caught.value)
    assert {s["name"]: s["full_marks"] for s in exams.get_exam(db, exam_id)["subjects"]} == {"语文": 100, "数学": 100}


def test_update_refuses_a_date_outside_the_term_and_a_name_taken(school):
    db, admin, exam_id, _ = school
    exams.create_exam(db, SYSTEM, name="月考", type="月考", grades=[3], subjects="语文")
    with pytest.raises(ValidationError) as caught:
        update_exam(db, admin, exam_id, name="月考", type="期中", grades=[3], date="2026-03-01", subjects="语文")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"name", "date"}


def test_delete_removes_exam_and_marks_with_an_audit_note(school):
    db, admin, exam_id, pupil_ids = school
    for pupil_id, value in zip(pupil_ids, ("88", "缺考")):
        set_mark(db, admin, exam_id=exam_id, pupil_id=pupil_id, subject_id=_subject_id(db, "语文"), value=value)
    assert count_marks(db, exam_id) == 2
    assert delete_exam(db, admin, exam_id) == 2
    assert db.execute("SELECT COUNT(*) FROM exam").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM mark").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM exam_subject").fetchone()[0] == 0
    note = db.execute("SELECT note, new_value FROM audit_log WHERE table_name = 'mark' AND action = 'bulk'").fetchone()
    assert note == ("随考试“期中”一并删除的成绩", None)


def test_a_teacher_may_not_change_or_delete_an_exam(school):
    db, _admin, exam_id, _ = school
    teacher = users.Actor(username="t", role="teacher", school_id=exams.get_exam(db, exam_id)["school_id"])
    with pytest.raises(PermissionDenied):
        delete_exam(db, teacher, exam_id)
    with pytest.raises(PermissionDenied):
        update_exam(db, teacher, exam_id, name="x", type="期中", grades=[3], subjects="语文")
