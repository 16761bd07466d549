"""进步值 and value-added against last year's final (same pupils, one grade lower), recomputed in
the test from plain SQL with the statistics module."""
from __future__ import annotations

import math
import statistics

import pytest

from app.errors import ValidationError
from app.stats.progress import progress_values, t_quantile, value_added


def _exams(db):
    return {r[1]: r[0] for r in db.execute("SELECT id, type FROM exam")}


def _class(db, name, year="2026-2027"):
    return db.execute("SELECT c.id FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                      " ON y.id = c.academic_year_id WHERE s.code = 'QSZ01' AND c.name = ? AND y.code = ?",
                      [name, year]).fetchone()[0]


def _pairs(db, now_id, then_id, subject, where="", args=()):
    return db.execute(
        "SELECT a.pupil_id, a.class_id, a.grade, a.status, a.score, b.status, b.score FROM mark a"
        " JOIN mark b ON b.pupil_id = a.pupil_id AND b.subject_id = a.subject_id"
        " JOIN subject s ON s.id = a.subject_id WHERE a.exam_id = ? AND b.exam_id = ? AND s.name = ?" + where,
        [now_id, then_id, subject, *args]).fetchall()


def test_progress_value_of_one_class(demo_db):
    exams = _exams(demo_db)
    class_id = _class(demo_db, "三(1)班")
    rows = _pairs(demo_db, exams["统考"], exams["期末"], "数学", " AND a.class_id = ?", [class_id])
    # Both exams count absentees as 0 (roster policy); 作弊 is 0; 免考 in either leaves the pupil out.
    value = lambda status, score: score if status == "正常" else 0.0  # noqa: E731
    kept = [(value(s1, x1), value(s2, x2)) for _, _, _, s1, x1, s2, x2 in rows if "免考" not in (s1, s2)]
    now, then = [k[0] for k in kept], [k[1] for k in kept]

    def figures(values):
        n = len(values)
        return statistics.mean(values), sum(v >= 85 for v in values) / n, sum(v >= 60 for v in values) / n

    (m1, e1, p1), (m0, e0, p0) = figures(now), figures(then)
    expected = ((m1 - m0) + 100 * (e1 - e0) + 100 * (p1 - p0)) / 3
    record = next(r for r in progress_values(demo_db, exams["统考"], exams["期末"], "class")
                  if r["class_id"] == class_id and r["subject"] == "数学")
    assert record["n"] == len(kept) > 30
    assert record["current"]["mean"] == pytest.approx(m1) and record["baseline"]["mean"] == pytest.approx(m0)
    assert record["progress"] == pytest.approx(expected)
    assert record["grade"] == 3 and not record["small_sample"]


def test_progress_needs_an_earlier_exam(demo_db):
    exams = _exams(demo_db)
    with pytest.raises(ValidationError):
        progress_values(demo_db, exams["期末"], exams["统考"])
    with pytest.raises(ValidationError):
        progress_values(demo_db, exams["统考"], exams["统考"])


def _residuals(db, now_id, then_id, subject, grade):
    rows = [r for r in _pairs(db, now_id, then_id, subject, " AND a.grade = ?", [grade])
            if r[3] == "正常" and r[5] == "正常"]
    now = [r[4] for r in rows]
    then = [r[6] for r in rows]
    z_now = [(v - statistics.mean(now)) / statistics.pstdev(now) for v in now]
    z_then = [(v - statistics.mean(then)) / statistics.pstdev(then) for v in then]
    slope, intercept = statistics.linear_regression(z_then, z_now)
    return [(r[0], r[1], zn - (intercept + slope * zt)) for r, zn, zt in zip(rows, z_now, z_then)]


def test_value_added_per_class_matches_a_least_squares_fit(demo_db):
    exams = _exams(demo_db)
    residuals = _residuals(demo_db, exams["统考"], exams["期末"], "语文", 4)
    records = [r for r in value_added(demo_db, exams["统考"], exams["期末"], "class")
               if r["grade"] == 4 and r["subject"] == "语文"]
    assert records
    for record in records:
        mine = [res for _, class_id, res in residuals if class_id == record["class_id"]]
        assert record["n"] == len(mine)
        assert record["value_added"] == pytest.approx(statistics.mean(mine), abs=1e-12)
        if len(mine) >= 2:
            half = t_quantile(0.975, len(mine) - 1) * statistics.stdev(mine) / math.sqrt(len(mine))
            assert (record["ci_low"], record["ci_high"]) == pytest.approx(
                (statistics.mean(mine) - half, statistics.mean(mine) + half))
        assert record["small_sample"] == (len(mine) < 10)
    # Least squares within the grade: the residuals of a grade average out to zero.
    total = sum(r["value_added"] * r["n"] for r in records)
    assert total == pytest.approx(0, abs=1e-9)


def test_value_added_per_teacher_pools_their_classes(demo_db):
    exams = _exams(demo_db)
    term = demo_db.execute("SELECT term_id FROM exam WHERE id = ?", [exams["统考"]]).fetchone()[0]
    teacher_id, count = demo_db.execute(
        "SELECT a.teacher_id, COUNT(*) FROM teaching_assignment a JOIN subject s ON s.id = a.subject_id"
        " JOIN class_grade g ON g.class_id = a.class_id WHERE a.term_id = ? AND s.name = '数学' AND g.grade = 6"
        " GROUP BY a.teacher_id ORDER BY COUNT(*) DESC LIMIT 1", [term]).fetchone()
    classes = {r[0] for r in demo_db.execute(
        "SELECT a.class_id FROM teaching_assignment a JOIN subject s ON s.id = a.subject_id"
        " WHERE a.term_id = ? AND a.teacher_id = ? AND s.name = '数学'", [term, teacher_id])}
    residuals = []
    for grade in range(2, 7):
        residuals += [res for _, class_id, res in _residuals(demo_db, exams["统考"], exams["期末"], "数学", grade)
                      if class_id in classes]
    record = next(r for r in value_added(demo_db, exams["统考"], exams["期末"], "teacher")
                  if r["teacher_id"] == teacher_id and r["subject"] == "数学")
    assert record["n"] == len(residuals) and count >= 1
    assert record["value_added"] == pytest.approx(statistics.mean(residuals), abs=1e-12)
    assert record["teacher_name"] and len(record["classes"]) == len(classes)


def test_t_quantiles_match_the_printed_table():
    table = {1: 12.706, 2: 4.303, 3: 3.182, 5: 2.571, 9: 2.262, 10: 2.228, 20: 2.086, 30: 2.042, 60: 2.000,
             120: 1.980}
    for df, value in table.items():
        assert t_quantile(0.975, df) == pytest.approx(value, abs=5e-4)
    assert t_quantile(0.95, 10) == pytest.approx(1.812, abs=5e-4)
