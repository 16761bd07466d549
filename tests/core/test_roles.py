"""Every public function of app/services (and the marks entry points, the school records of
app/records, pupil support of app/support, and packages' signing and key registration) that writes checks the acting account's role: found by introspection (any public
function taking an `actor`), each is called with an account that may not do it and must raise
PermissionDenied before anything is written. A teacher's assignment of an earlier term does not
open this term's marks."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
from collections import defaultdict

import pytest

import app.marks
import app.records
import app.services
import app.support
from app.db.database import open_database
from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied
from app.marks.entry import set_mark
from app.services.assignments import Wanted
from app.services.backups import set_auto_settings
from app.services.users import actor_for

# Modules searched besides app.services and app.marks: the functions named in issue 13.
EXTRA = {"app.packages.export.build_and_write", "app.packages.trust.register_key"}
# Writers that authorise by a secret instead of a role, each for the stated reason.
BY_SECRET = {
    "app.services.users.change_own_passphrase": "the account's own passphrase (any role changes its own)",
    "app.services.keys.upgrade_key": "the passphrase that opens the key (runs inside login)",
    "app.services.keys.recover_key": "the recovery code (runs inside users.recover_account)",
    "app.services.audit.sign_session_end": "the session's own passphrase: every account signs the end of its own "
                                           "session (an administrator with the database's key, checked by role)",
}
# The permission checks themselves take an actor and write nothing (all of app.services.permissions).
CHECKS = {"require_", "may_"}
CHECKING_MODULES = {"app.services.permissions"}


def writers() -> set[str]:
    """Return the dotted names of every public function taking an `actor` in app.services, app.marks,
    app.records and app.support."""
    found = set()
    for package in (app.services, app.marks, app.records, app.support):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name in CHECKING_MODULES:
                continue
            module = importlib.import_module(info.name)
            for name, fn in vars(module).items():
                if name.startswith("_") or name.startswith(tuple(CHECKS)) or not inspect.isfunction(fn) \
                        or fn.__module__ != module.__name__:
                    continue
                if "actor" in inspect.signature(fn).parameters:
                    found.add(f"{module.__name__}.{name}")
    return found | EXTRA


@pytest.fixture(scope="module")
def world(demo_template, tmp_path_factory):
    """A copy of the demo township, the ids the calls need (the central school QSZ01), and an account
    that may do none of it: a teacher of another school (QSZ02)."""
    folder = tmp_path_factory.mktemp("roles")
    shutil.copy(demo_template / "township.sqlite", folder / "t.sqlite")
    db = open_database(folder / "t.sqlite")
    one = lambda sql, *args: db.execute(sql, args).fetchone()[0]  # noqa: E731
    central = one("SELECT id FROM school WHERE code = 'QSZ01'")
    other = one("SELECT id FROM school WHERE code = 'QSZ02'")
    stranger = one("SELECT id FROM teacher WHERE school_id = ? LIMIT 1", other)
    ids = {
        "school": central, "term": one("SELECT id FROM term ORDER BY code DESC LIMIT 1"),
        "year": one("SELECT id FROM academic_year ORDER BY code DESC LIMIT 1"),
        "class": one("SELECT id FROM class WHERE school_id = ? ORDER BY name LIMIT 1", central),
        "class2": one("SELECT id FROM class WHERE school_id = ? ORDER BY name DESC LIMIT 1", central),
        "pupil": one("SELECT id FROM pupil WHERE school_id = ? LIMIT 1", central),
        "teacher": one("SELECT id FROM teacher WHERE school_id = ? LIMIT 1", central),
        "exam": one("SELECT e.id FROM exam e JOIN term t ON t.id = e.term_id ORDER BY t.code DESC LIMIT 1"),
        "subject": one("SELECT id FROM subject WHERE name = '语文'"),
        "visit": one("SELECT id FROM home_visit WHERE school_id = ? LIMIT 1", central),
        "session": one("SELECT id FROM prep_session WHERE school_id = ? LIMIT 1", central),
        "tutoring": one("SELECT id FROM tutoring WHERE school_id = ? LIMIT 1", central),
        "plan": one("SELECT id FROM tutoring_plan WHERE school_id = ? LIMIT 1", central),
        "difficulty": one("SELECT id FROM pupil_difficulty WHERE school_id = ? LIMIT 1", central),
        "unified": one("SELECT e.id FROM exam e JOIN term t ON t.id = e.term_id WHERE e.type = '统考'"
                       " ORDER BY t.code DESC LIMIT 1"),
    }
    set_auto_settings(db, SYSTEM, True, 3)        # so that backup_if_due has a backup to write
    eve = Actor(username="eve", role="teacher", school_id=other, teacher_id=stranger, display_name="外校教师")
    yield db, ids, eve
    db.close()


def _calls(ids: dict, tmp_path) -> dict:
    from app.marks.reading import MarksPlan

    pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtB+xA4ouKyg+JDM=\n-----END PUBLIC KEY-----\n"
    plan = MarksPlan(exam_id=ids["exam"], exam_name="x", file_name="x.xlsx")
    return {
        "app.services.backups.make_backup": lambda f, db, a: f(db, a, tmp_path),
        "app.services.backups.restore_backup": lambda f, db, a: f(db, a, tmp_path / "none.sqlite"),
        "app.services.backups.set_auto_settings": lambda f, db, a: f(db, a, True, 3),
        "app.services.backups.backup_if_due": lambda f, db, a: f(db, a),
        "app.services.assignments.set_assignments": lambda f, db, a: f(
            db, a, ids["school"], ids["term"], {(ids["class"], ids["subject"]): Wanted(ids["teacher"], 5)}),
        "app.services.classes.create_class": lambda f, db, a: f(db, a, school_id=ids["school"],
                                                                academic_year_id=ids["year"], grades=[3], number=9),
        "app.services.classes.update_class": lambda f, db, a: f(db, a, ids["class"], name="新名字"),
        "app.services.classes.delete_class": lambda f, db, a: f(db, a, ids["class"]),
        "app.services.classes.merge_classes": lambda f, db, a: f(db, a, ids["class"], ids["class2"]),
        "app.services.exam_edit.update_exam": lambda f, db, a: f(db, a, ids["exam"], name="改名", type="期中",
                                                                 grades="3", subjects="语文"),
        "app.services.exam_edit.delete_exam": lambda f, db, a: f(db, a, ids["exam"]),
        "app.services.exams.create_exam": lambda f, db, a: f(db, a, name="新考试", type="单元", grades="3",
                                                             subjects="语文", school="QSZ01", scope="校"),
        "app.services.exams.set_cutoffs": lambda f, db, a: f(db, a, ids["exam"], "语文", excellent_pct=90,
                                                             pass_pct=60, low_pct=30),
        "app.services.keys.create_key": lambda f, db, a: f(db, a, "长长的新口令呀呀", school_id=ids["school"]),
        "app.services.keys.change_key_passphrase": lambda f, db, a: f(db, a, "demo", "长长的新口令呀呀"),
        "app.services.keys.new_recovery_code": lambda f, db, a: f(db, a, "demo"),
        "app.services.pupils.add_pupil": lambda f, db, a: f(db, a, ids["school"], {"name": "新同学"}),
        "app.services.pupils.update_pupil": lambda f, db, a: f(db, a, ids["pupil"], {"name": "改名"}),
        "app.services.pupils.delete_pupil": lambda f, db, a: f(db, a, ids["pupil"]),
        "app.services.schools.set_meta": lambda f, db, a: f(db, a, "current_term", "2030-2031-1"),
        "app.services.schools.create_township": lambda f, db, a: f(db, a, code="XZ", name="新镇"),
        "app.services.schools.create_school": lambda f, db, a: f(db, a, code="XX01", name="新学校", type="完小"),
        "app.services.schools.update_school": lambda f, db, a: f(db, a, ids["school"], name="改名"),
        "app.services.schools.ensure_term": lambda f, db, a: f(db, a, 2030, 1),
        "app.services.schools.set_current_term": lambda f, db, a: f(db, a, ids["term"]),
        "app.services.subjects.seed_subjects": lambda f, db, a: f(db, a),
        "app.services.teachers.add_teacher": lambda f, db, a: f(db, a, ids["school"], {"name": "新老师"}),
        "app.services.teachers.update_teacher": lambda f, db, a: f(db, a, ids["teacher"], {"name": "改名"}),
        "app.services.teachers.delete_teacher": lambda f, db, a: f(db, a, ids["teacher"]),
        "app.services.terms.start_term": lambda f, db, a: f(db, a),
        "app.services.targets.set_targets": lambda f, db, a: f(db, a, [{"school": "QSZ01", "metric": "平均分",
                                                                       "target": 80}]),
        "app.services.targets.import_targets": lambda f, db, a: f(db, a, tmp_path / "targets.xlsx"),
        "app.services.targets.delete_target": lambda f, db, a: f(db, a, "no-such-target"),
        "app.services.users.create_user": lambda f, db, a: f(db, a, username="new", display_name="新",
                                                             role="academic", school_id=ids["school"],
                                                             passphrase="长长的新口令呀呀"),
        "app.services.users.reset_passphrase": lambda f, db, a: f(db, a, "laoshi", "长长的新口令呀呀"),
        "app.services.users.set_locked": lambda f, db, a: f(db, a, "laoshi", True),
        "app.services.users.set_active": lambda f, db, a: f(db, a, "laoshi", False),
        "app.marks.entry.set_mark": lambda f, db, a: f(db, a, exam_id=ids["exam"], pupil_id=ids["pupil"],
                                                       subject_id=ids["subject"], value="88"),
        "app.marks.writing.apply_marks": lambda f, db, a: f(db, a, _plan_with_one_mark(db, ids, plan)),
        "app.marks.writing.import_marks": lambda f, db, a: f(db, a, _marks_file(db, ids, tmp_path), ids["exam"]),
        "app.packages.export.build_and_write": lambda f, db, a: f(
            db, a, None, tmp_path, kind="data", sender={"code": "QSZ", "level": "township"}, recipient={},
            term={"code": "2026-2027-1"}, payload=b"", extra={}),
        "app.packages.trust.register_key": lambda f, db, a: f(db, a, level="school", code="QSZ01", pem=pem),
        "app.records.homework.record_homework": lambda f, db, a: f(db, a, ids["class"], "2026-11-16",
                                                                   {ids["subject"]: 20}),
        "app.records.homework.record_homework_days": lambda f, db, a: f(db, a, [{
            "school_id": ids["school"], "term_id": ids["term"], "class_id": ids["class"], "date": "2026-11-16",
            "minutes": {ids["subject"]: 20}, "note": None}]),
        "app.records.visits.record_visit": lambda f, db, a: f(db, a, _visit(ids)),
        "app.records.visits.record_visits": lambda f, db, a: f(db, a, [_visit_row(db, ids)]),
        "app.records.visits.delete_visit": lambda f, db, a: f(db, a, ids["visit"]),
        "app.records.prep.record_session": lambda f, db, a: f(db, a, _session(ids)),
        "app.records.prep.record_sessions": lambda f, db, a: f(db, a, [_session_row(db, ids)]),
        "app.records.prep.delete_session": lambda f, db, a: f(db, a, ids["session"]),
        "app.support.records.record_tutoring": lambda f, db, a: f(db, a, _tutoring(ids)),
        "app.support.records.write_tutoring": lambda f, db, a: f(db, a, *_tutoring_row(db, ids)),
        "app.support.records.delete_tutoring": lambda f, db, a: f(db, a, ids["tutoring"]),
        "app.support.records.flag_difficulty": lambda f, db, a: f(db, a, {
            "pupil_id": ids["pupil"], "kind": "家庭", "reason": "父母外出务工", "date": "2026-11-16"}),
        "app.support.records.clear_difficulty": lambda f, db, a: f(db, a, ids["difficulty"]),
        "app.support.plans.make_plans": lambda f, db, a: f(db, a, ids["unified"], ids["school"]),
        "app.support.plans.remove_plan": lambda f, db, a: f(db, a, ids["plan"]),
        "app.support.import_xlsx.import_support": lambda f, db, a: f(db, a, _tutoring_file(db, ids, tmp_path),
                                                                     ids["school"]),
        "app.services.scheme_sheets.save_annual": lambda f, db, a: f(db, a, _year(db, ids), [_annual_row()]),
        "app.services.scheme_sheets.save_evaluation": lambda f, db, a: f(db, a, _year(db, ids), [
            {"school": "QSZ02", "part": "过程性", "item": "课程实施", "max": 20.0, "self": 18.0, "township": None}]),
        "app.services.scheme_sheets.import_sheet": lambda f, db, a: f(db, a, "annual", _year(db, ids),
                                                                      tmp_path / "none.xlsx"),
        "app.services.scheme_sheets.store_from_township": lambda f, db, a: f(db, a, ids["school"], ids["year"], [
            {"school_code": "QSZ01", "kind": "annual", "content": _annual_row()}]),
        "app.services.appraisal_surveys.save_surveys": lambda f, db, a: f(db, a, _year(db, ids), [
            {"staff_no": db.execute("SELECT staff_no FROM teacher WHERE id = ?", [ids["teacher"]]).fetchone()[0],
             "self": 90}]),
        "app.services.appraisal_surveys.import_surveys": lambda f, db, a: f(db, a, _year(db, ids),
                                                                           tmp_path / "none.xlsx"),
        "app.services.scheme_sheets.receive_from_package": lambda f, db, a: f(db, a, [], {ids["school"]},
                                                                              from_school=True),
        "app.services.appraisal_surveys.receive_from_package": lambda f, db, a: f(db, a, [], {ids["school"]},
                                                                                  _year(db, ids)),
    }


def _year(db, ids) -> str:
    return db.execute("SELECT code FROM academic_year WHERE id = ?", [ids["year"]]).fetchone()[0]


def _annual_row() -> dict:
    return {"school": "QSZ02", "index": 85.0, "dynamic": 90.0, "leaders_1": 1.0, "leaders_2": 0.0, "leaders_3": 0.0,
            "leaders_votes": 1.0, "others_1": 1.0, "others_2": 0.0, "others_3": 0.0, "others_votes": 1.0,
            "quality": 8.0, "politics": "好", "party": "好", "criticised": False, "incident": False}


def _visit(ids):
    return {"pupil_id": ids["pupil"], "teacher_id": ids["teacher"], "date": "2026-11-16", "way": "上门"}


def _visit_row(db, ids):
    from app.records.visits import visit_row

    return visit_row(db, _visit(ids))


def _session(ids):
    return {"group_name": "语文组", "date": "2026-11-16", "lead_id": ids["teacher"], "topic": "单元备课",
            "attendee_ids": []}


def _session_row(db, ids):
    from app.records.prep import session_row

    return session_row(db, _session(ids))


def _tutoring(ids):
    return {"teacher_id": ids["teacher"], "pupil_ids": [ids["pupil"]], "date": "2026-11-16",
            "subject_id": ids["subject"], "minutes": 30, "content": "订正单元错题"}


def _tutoring_row(db, ids):
    from app.support.records import tutoring_values

    row, pupil_ids, problems = tutoring_values(db, _tutoring(ids))
    assert not problems
    return row, pupil_ids


def _tutoring_file(db, ids, tmp_path):
    from tests.core.test_marks_import import write_xlsx

    teacher = db.execute("SELECT name FROM teacher WHERE id = ?", [ids["teacher"]]).fetchone()[0]
    no, name = db.execute("SELECT student_no, name FROM pupil WHERE id = ?", [ids["pupil"]]).fetchone()
    return write_xlsx(tmp_path / "tutoring.xlsx", {"辅导记录": [
        ["日期", "教师", "学生", "学科", "时长(分钟)", "辅导内容"], ["2026-11-16", teacher, f"{name} {no}", "语文", 30, "订正错题"]]})


def _plan_with_one_mark(db, ids, plan):
    pupil = next(iter(db.query("SELECT school_id, class_id, grade FROM pupil WHERE id = ?", [ids["pupil"]])))
    plan.inserts.append((pupil["school_id"], ids["pupil"], ids["subject"], pupil["class_id"], pupil["grade"], 88.0,
                         "正常"))
    return plan


def _marks_file(db, ids, tmp_path):
    from tests.core.test_marks_import import write_xlsx

    no, name = db.execute("SELECT student_no, name FROM pupil WHERE id = ?", [ids["pupil"]]).fetchone()
    return write_xlsx(tmp_path / "marks.xlsx", {"成绩": [["学籍号", "姓名", "语文"], [no, name, 88]]})


def _resolve(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def test_every_writer_is_checked_here():
    assert writers() - set(BY_SECRET) == set(_calls(defaultdict(str), None)), \
        "a new writing function needs its call in _calls (or a reason in BY_SECRET)"


@pytest.mark.parametrize("dotted", sorted(writers() - set(BY_SECRET)))
def test_a_writer_refuses_an_account_without_the_role_and_writes_nothing(world, tmp_path, dotted):
    db, ids, eve = world
    before = db.conn.total_changes
    with pytest.raises(PermissionDenied):
        _calls(ids, tmp_path)[dotted](_resolve(dotted), db, eve)
    assert db.conn.total_changes == before


def test_last_terms_assignment_does_not_open_this_terms_marks(demo_db):
    laoshi = actor_for(demo_db, "laoshi")
    now_term, last_term = [r[0] for r in demo_db.execute("SELECT id FROM term ORDER BY code DESC LIMIT 2")]
    row = demo_db.execute("SELECT class_id, subject_id FROM teaching_assignment WHERE teacher_id = ? AND term_id = ?",
                          [laoshi.teacher_id, now_term]).fetchone()
    class_id, subject_id = row
    exam = demo_db.execute("SELECT id FROM exam WHERE term_id = ? AND scope = '乡' LIMIT 1", [now_term]).fetchone()[0]
    pupil = demo_db.execute("SELECT id FROM pupil WHERE class_id = ? AND status = '在读' LIMIT 1", [class_id]).fetchone()[0]
    assert set_mark(demo_db, laoshi, exam_id=exam, pupil_id=pupil, subject_id=subject_id, value="77")["score"] == 77
    # The same class and subject, but the assignment says last term: this term's mark is closed to them.
    demo_db.execute("UPDATE teaching_assignment SET term_id = ? WHERE teacher_id = ? AND term_id = ?",
                    [last_term, laoshi.teacher_id, now_term])
    with pytest.raises(PermissionDenied, match="以前学期的任课不算"):
        set_mark(demo_db, laoshi, exam_id=exam, pupil_id=pupil, subject_id=subject_id, value="78")
    assert demo_db.execute("SELECT score FROM mark WHERE id = ?", [f"{exam}/{pupil}/{subject_id}"]).fetchone()[0] == 77
