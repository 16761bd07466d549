"""Every change goes through validated, audited service functions with role checks."""
from __future__ import annotations

import json

import pytest

from app.errors import PermissionDenied, ValidationError
from app.marks import entry as marks
from app.services import classes, pupils, schools, teachers, users


def _audit(db, table, row_id):
    return [dict(r) for r in db.query("SELECT * FROM audit_log WHERE table_name = ? AND row_id = ? ORDER BY id",
                                      [table, row_id])]


def _central(db):
    return schools.school_by_code(db, "QSZ01")


def _a_class(db, school_id, name="三(1)班"):
    return db.execute("SELECT c.id FROM class c JOIN academic_year y ON y.id = c.academic_year_id"
                      " WHERE c.school_id = ? AND c.name = ? AND y.code = '2026-2027'", [school_id, name]).fetchone()[0]


def test_add_pupil_is_audited_with_new_values(demo_db, system):
    school = _central(demo_db)
    class_id = _a_class(demo_db, school["id"])
    pupil_id = pupils.add_pupil(demo_db, system, school["id"], {
        "student_no": "g110105201601010014", "name": " 李\u3000小明 ", "gender": "", "id_number": "110105201601010014",
        "class_id": class_id, "boarding": "是"})
    row = demo_db["pupil"].get(pupil_id)
    # Cleaned: upper-case 学籍号, spaces gone, gender and birth date taken from the ID number, grade from the class.
    assert (row["student_no"], row["name"], row["gender"], row["birth_date"], row["grade"], row["boarding"]) == \
        ("G110105201601010014", "李小明", "男", "2016-01-01", 3, 1)
    entries = _audit(demo_db, "pupil", pupil_id)
    assert [e["action"] for e in entries] == ["insert"]
    assert json.loads(entries[0]["new_value"])["name"] == "李小明"
    assert entries[0]["username"] == "system"


def test_update_records_old_and_new_and_status_history(demo_db, system):
    pupil = next(iter(demo_db.query("SELECT * FROM pupil WHERE status = '在读' LIMIT 1")))
    changed = pupils.update_pupil(demo_db, system, pupil["id"], {"status": "转出", "status_date": "2026-11-20"})
    assert changed == {"status": "转出", "status_date": "2026-11-20"}
    entry = _audit(demo_db, "pupil", pupil["id"])[-1]
    assert json.loads(entry["old_value"]) == {"status": "在读", "status_date": None}
    history = list(demo_db.query("SELECT status, date FROM pupil_status_change WHERE pupil_id = ?", [pupil["id"]]))
    assert history == [{"status": "转出", "date": "2026-11-20"}]


def test_invalid_pupil_is_refused_with_every_reason_and_nothing_written(demo_db, system):
    school = _central(demo_db)
    before = (demo_db["pupil"].count, demo_db["audit_log"].count)
    existing = demo_db.execute("SELECT student_no FROM pupil WHERE school_id = ? LIMIT 1", [school["id"]]).fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        pupils.add_pupil(demo_db, system, school["id"], {
            "student_no": existing, "name": "", "gender": "男", "id_number": "110105201601010015", "grade": 12})
    fields = {p.field for p in caught.value.problems}
    assert fields == {"student_no", "name", "id_number", "grade"}
    assert any("校验位" in p.message for p in caught.value.problems)
    assert (demo_db["pupil"].count, demo_db["audit_log"].count) == before


def test_grade_must_fit_a_multigrade_class(demo_db, system):
    row = next(iter(demo_db.query(
        "SELECT c.id, c.school_id FROM class c JOIN class_grade g ON g.class_id = c.id WHERE c.name LIKE '%复式%'"
        " GROUP BY c.id HAVING MIN(g.grade) >= 2 LIMIT 1")))
    with pytest.raises(ValidationError) as caught:
        pupils.add_pupil(demo_db, system, row["school_id"], {"student_no": "X12345", "name": "王芳", "gender": "女",
                                                             "grade": 1, "class_id": row["id"]})
    assert [p.field for p in caught.value.problems] == ["grade"]


def test_pupil_with_marks_cannot_be_deleted(demo_db, system):
    pupil_id = demo_db.execute("SELECT pupil_id FROM mark LIMIT 1").fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        pupils.delete_pupil(demo_db, system, pupil_id)
    assert "转出" in str(caught.value)


def test_teacher_links_are_audited_as_lists(demo_db, system):
    school = _central(demo_db)
    teacher_id = teachers.add_teacher(demo_db, system, school["id"], {
        "staff_no": "N001", "name": "赵老师", "gender": "女", "subjects": "语文、道法", "roles": "班主任",
        "titles": "骨干教师"})
    links = teachers.teacher_links(demo_db, teacher_id)
    assert (links["subjects"], links["roles"], links["titles"]) == (["语文", "道德与法治"], ["班主任"], ["骨干"])
    teachers.update_teacher(demo_db, system, teacher_id, {"subjects": ["数学"]})
    entry = _audit(demo_db, "teacher_subject", teacher_id)[-1]
    assert len(json.loads(entry["old_value"])) == 2 and len(json.loads(entry["new_value"])) == 1
    # Changing only the phone keeps the stored subjects (they are passed back by id).
    teachers.update_teacher(demo_db, system, teacher_id, {"phone": "13800000000"})
    assert teachers.teacher_links(demo_db, teacher_id)["subjects"] == ["数学"]


def test_unknown_subject_and_role_are_named(demo_db, system):
    with pytest.raises(ValidationError) as caught:
        teachers.add_teacher(demo_db, system, _central(demo_db)["id"],
                             {"staff_no": "N2", "name": "钱老师", "gender": "男", "subjects": "烹饪", "roles": "局长"})
    assert {p.field for p in caught.value.problems} == {"subjects", "roles"}


def test_roles_limit_who_may_change_what(demo_db):
    central = _central(demo_db)
    teacher_actor = users.actor_for(demo_db, "laoshi")
    academic = users.actor_for(demo_db, "jiaowu")
    other_school = schools.school_by_code(demo_db, "QSZ02")
    with pytest.raises(PermissionDenied):
        pupils.add_pupil(demo_db, teacher_actor, central["id"], {"student_no": "X1", "name": "甲", "gender": "男",
                                                                "grade": 3})
    with pytest.raises(PermissionDenied):
        classes.create_class(demo_db, academic, school_id=other_school["id"],
                             academic_year_id=schools.current_term(demo_db)["academic_year_id"], grades=[3], number=2)
    # A teacher may change marks only of a class and subject they teach.
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    taught = next(iter(demo_db.query(
        "SELECT a.class_id, a.subject_id FROM teaching_assignment a JOIN exam_subject es ON es.subject_id = a.subject_id"
        " AND es.exam_id = ? WHERE a.teacher_id = ? LIMIT 1", [exam_id, teacher_actor.teacher_id])))
    mine = demo_db.execute("SELECT id FROM pupil WHERE class_id = ? AND status = '在读' LIMIT 1",
                           [taught["class_id"]]).fetchone()[0]
    row = marks.set_mark(demo_db, teacher_actor, exam_id=exam_id, pupil_id=mine, subject_id=taught["subject_id"],
                         value="９８.5")
    assert (row["score"], row["status"]) == (98.5, "正常")
    entry = _audit(demo_db, "mark", row["id"])[-1]
    assert entry["username"] == "laoshi"
    not_mine = demo_db.execute(
        "SELECT id FROM pupil WHERE school_id = ? AND class_id NOT IN (SELECT class_id FROM teaching_assignment"
        " WHERE teacher_id = ?) LIMIT 1", [central["id"], teacher_actor.teacher_id]).fetchone()[0]
    with pytest.raises(PermissionDenied):
        marks.set_mark(demo_db, teacher_actor, exam_id=exam_id, pupil_id=not_mine, subject_id=taught["subject_id"],
                       value="80")


@pytest.mark.parametrize("typed, expected", [("87.5", (87.5, "正常")), ("缺", (None, "缺考")), (" 免考 ", (None, "免考")),
                                             ("１００", (100.0, "正常")), ("作弊", (None, "作弊"))])
def test_typed_marks(typed, expected):
    assert marks.parse_mark(typed, 100) == expected


@pytest.mark.parametrize("typed, words", [("101", "超过满分"), ("-1", "小于 0"), ("", "为空"), ("八十", "不是分数"),
                                          ("87.3", "0.5")])
def test_bad_marks_are_explained(typed, words):
    with pytest.raises(ValidationError) as caught:
        marks.parse_mark(typed, 100)
    assert words in str(caught.value)


def test_passphrases_are_checked(demo_db):
    assert users.login(demo_db, "admin", "demo").role == "township_admin"
    with pytest.raises(ValidationError):
        users.login(demo_db, "admin", "wrong")


def test_school_details_change_is_audited(demo_db):
    admin = users.actor_for(demo_db, "xiaozhang")
    central = _central(demo_db)
    schools.update_school(demo_db, admin, central["id"], daily_max_periods=7)
    entry = _audit(demo_db, "school", central["id"])[-1]
    assert (json.loads(entry["old_value"]), json.loads(entry["new_value"])) == \
        ({"daily_max_periods": 6}, {"daily_max_periods": 7})
    with pytest.raises(PermissionDenied):
        schools.update_school(demo_db, admin, schools.school_by_code(demo_db, "QSZ02")["id"], name="改名")


def test_only_administrators_create_accounts(demo_db):
    central = _central(demo_db)
    school_admin = users.actor_for(demo_db, "xiaozhang")
    teacher_id = demo_db.execute("SELECT id FROM teacher WHERE school_id = ? LIMIT 1", [central["id"]]).fetchone()[0]
    users.create_user(demo_db, school_admin, username="t2", display_name="新教师", role="teacher",
                      school_id=central["id"], teacher_id=teacher_id, passphrase="abcd1234")
    assert users.login(demo_db, "t2", "abcd1234").teacher_id == teacher_id
    with pytest.raises(PermissionDenied):
        users.create_user(demo_db, school_admin, username="boss", display_name="乡镇", role="township_admin")
    with pytest.raises(PermissionDenied):
        users.create_user(demo_db, users.actor_for(demo_db, "jiaowu"), username="t3", display_name="x",
                          role="teacher", school_id=central["id"], teacher_id=teacher_id)


def test_last_years_mark_keeps_last_years_class_and_grade(demo_db, system):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '期末'").fetchone()[0]
    mark = next(iter(demo_db.query(
        "SELECT m.*, p.grade AS now_grade FROM mark m JOIN pupil p ON p.id = m.pupil_id"
        " WHERE m.exam_id = ? AND m.status = '正常' LIMIT 1", [exam_id])))
    row = marks.set_mark(demo_db, system, exam_id=exam_id, pupil_id=mark["pupil_id"], subject_id=mark["subject_id"],
                         value="61")
    assert (row["score"], row["grade"], row["class_id"]) == (61.0, mark["now_grade"] - 1, mark["class_id"])
