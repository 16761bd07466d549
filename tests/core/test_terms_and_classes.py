"""开始新学期 with 升年级, and merging classes: worked out by hand on a small school."""
from __future__ import annotations

import datetime as dt

import pytest

from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied, ValidationError
from app.services import classes, pupils, schools, setup, users
from app.services.terms import next_term, promotion_plan, start_term


@pytest.fixture
def school(tmp_path):
    """Classes 一二年级复式班 (2 pupils: grades 1, 2), 三(1)班 (1), 六(1)班 (2, one already 转出), 六(2)班 (1)."""
    db = setup.init_school(tmp_path / "s.sqlite", code="XS01", name="溪水完全小学", type="完小",
                           passphrase="secret-pass", today=dt.date(2026, 3, 2))
    school_id = schools.school_by_code(db, "XS01")["id"]
    year = schools.current_term(db)["academic_year_id"]
    ids = {}
    for grades, number in (([1, 2], 1), ([3], 1), ([6], 1), ([6], 2)):
        ids[(grades[0], number)] = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year,
                                                        grades=grades, number=number)
    for no, name, grade, key, status in (("G1001", "张一", 1, (1, 1), "在读"), ("G1002", "张二", 2, (1, 1), "在读"),
                                         ("G1003", "李三", 3, (3, 1), "在读"), ("G1006", "王六", 6, (6, 1), "在读"),
                                         ("G1007", "赵七", 6, (6, 1), "转出"), ("G1008", "钱八", 6, (6, 2), "转入")):
        pupils.add_pupil(db, SYSTEM, school_id, {"student_no": no, "name": name, "gender": "男", "grade": grade,
                                                 "class_id": ids[key], "status": status})
    yield db, school_id, ids, users.actor_for(db, "admin")
    db.close()


def _pupils(db):
    return {r[0]: (r[1], r[2], r[3]) for r in db.execute(
        "SELECT p.name, p.grade, c.name, p.status FROM pupil p LEFT JOIN class c ON c.id = p.class_id")}


def test_second_term_of_the_year_changes_only_the_term(school):
    db, school_id, _, admin = school
    assert next_term(db) == {"year_start": 2026, "seq": 1, "code": "2026-2027-1", "name": "2026—2027 学年第一学期",
                             "new_year": True}
    assert schools.current_term(db)["code"] == "2025-2026-2"


def test_promotion_preview_and_result(school):
    db, school_id, ids, admin = school
    plan = {c["name"]: (c["new_name"], c["new_grades"], c["pupils"], c["graduates"]) for c in promotion_plan(db, school_id)}
    assert plan == {"一二年级复式班": ("二三年级复式班", [2, 3], 2, 0), "三(1)班": ("四(1)班", [4], 1, 0),
                    "六(1)班": (None, [], 0, 1), "六(2)班": (None, [], 0, 1)}
    before = _pupils(db)
    result = start_term(db, admin, promote_school=school_id, today=dt.date(2026, 9, 1))
    assert result == {"term": "2026-2027-1", "classes": 2, "pupils": 3, "graduates": 2}
    assert schools.current_term(db)["code"] == "2026-2027-1"
    after = _pupils(db)
    assert after["张一"] == (2, "二三年级复式班", "在读") and after["张二"] == (3, "二三年级复式班", "在读")
    assert after["李三"] == (4, "四(1)班", "在读")
    assert after["王六"] == (6, "六(1)班", "转出") and after["钱八"] == (6, "六(2)班", "转出")
    assert after["赵七"] == before["赵七"]  # left earlier: untouched
    notes = [r[0] for r in db.execute("SELECT note FROM pupil_status_change WHERE note IS NOT NULL")]
    assert notes == ["小学毕业", "小学毕业"]
    # Last year's classes are still there for last year's marks.
    assert db.execute("SELECT COUNT(*) FROM class").fetchone()[0] == 6
    with pytest.raises(ValidationError):  # the next 升年级 would need another new year
        db.execute("UPDATE meta SET value = '2025-2026-2' WHERE key = 'current_term'")
        start_term(db, admin, promote_school=school_id)


def test_only_administrators_start_a_term(school):
    db, school_id, _, _ = school
    with pytest.raises(PermissionDenied):
        start_term(db, Actor(username="jw", role="academic", school_id=school_id))


def test_merge_moves_pupils_and_makes_a_multi_grade_class(school):
    db, school_id, ids, admin = school
    result = classes.merge_classes(db, admin, ids[(3, 1)], ids[(1, 1)])
    assert result == {"pupils": 1, "grades": [1, 2, 3], "deleted": True}
    assert _pupils(db)["李三"] == (3, "一二年级复式班", "在读")
    with pytest.raises(ValidationError) as caught:
        classes.merge_classes(db, admin, ids[(6, 1)], ids[(1, 1)])
    assert "最多三个年级" in str(caught.value)
