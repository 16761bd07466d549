"""What the 质量分析 screen may show each role, and the cohort trend across school years."""
from __future__ import annotations

from app.queries.quality import cohort_trend, load_quality
from app.services.exams import find_exam
from app.services.users import actor_for

MIDTERM = "2026—2027学年第一学期期中统考"
LAST_FINAL = "2025—2026学年第二学期期末统考"


def test_staff_get_ranks_and_lists_a_teacher_neither(demo_db):
    exam = find_exam(demo_db, MIDTERM)
    admin = load_quality(demo_db, exam["id"], actor_for(demo_db, "admin"))
    assert any(r["rank"] for r in admin.levels["class"])
    assert admin.lists["borderline"] and admin.lists["risers"]
    teacher = actor_for(demo_db, "laoshi")
    seen = load_quality(demo_db, exam["id"], teacher)
    assert all(r["rank"] is None for records in seen.levels.values() for r in records)
    assert seen.lists == {}
    assert {r["school_code"] for r in seen.levels["class"]} == {"QSZ01"}  # own school only
    assert {r["teacher_id"] for r in seen.va_teachers} <= {teacher.teacher_id}
    assert seen.va_classes  # class value-added is a group figure


def test_cohort_trend_follows_the_pupils_into_the_next_grade(demo_db):
    exam = find_exam(demo_db, MIDTERM)
    data = load_quality(demo_db, exam["id"], actor_for(demo_db, "admin"))
    labels, series = cohort_trend(data, 3, "yw", school_code="QSZ01")
    assert labels[0] == "2026-07 期末" and labels[-1] == "2026-11 期中"
    # last year's 期末, 语文, 二年级 of QSZ01 (roster policy: 缺考 = 0, 免考 left out), from the marks
    final = find_exam(demo_db, LAST_FINAL)
    assert final["policy"] == "roster"
    rows = demo_db.execute(
        "SELECT m.status, m.score, es.full_marks FROM mark m JOIN school s ON s.id = m.school_id"
        " JOIN subject sj ON sj.id = m.subject_id"
        " JOIN exam_subject es ON es.exam_id = m.exam_id AND es.subject_id = m.subject_id"
        " WHERE m.exam_id = ? AND s.code = 'QSZ01' AND sj.code = 'yw' AND m.grade = 2", [final["id"]]).fetchall()
    counted = [(score or 0.0) / full for status, score, full in rows if status != "免考"]
    assert abs(series["平均分(占满分%)"][0] - 100 * sum(counted) / len(counted)) < 1e-9


def test_a_school_sees_its_own_value_added_including_its_teachers_who_go_to_a_teaching_point(demo_db):
    exam = find_exam(demo_db, MIDTERM)
    jiaowu = actor_for(demo_db, "jiaowu")
    seen = load_quality(demo_db, exam["id"], jiaowu)
    everyone = load_quality(demo_db, exam["id"], actor_for(demo_db, "admin"))
    code = demo_db.execute("SELECT code FROM school WHERE id = ?", [jiaowu.school_id]).fetchone()[0]
    # worked out without the scope: the whole township's figures, then this school's classes
    assert seen.va_classes == [r for r in everyone.va_classes if r["school_code"] == code]
    assert seen.va_teachers == [r for r in everyone.va_teachers if r["school_code"] == code]
    # this school's 走教 teachers keep their figure, pooled over the teaching point's class too
    roaming = {r[0] for r in demo_db.execute(
        "SELECT DISTINCT t.id FROM teacher t JOIN teaching_assignment a ON a.teacher_id = t.id"
        " JOIN class c ON c.id = a.class_id WHERE t.school_id = ? AND c.school_id <> t.school_id",
        [jiaowu.school_id])}
    with_figure = roaming & {r["teacher_id"] for r in everyone.va_teachers}
    assert with_figure and with_figure <= {r["teacher_id"] for r in seen.va_teachers}
