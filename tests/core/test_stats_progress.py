"""进步值 and value-added against last year's final (same pupils, one grade lower), recomputed in
the test from plain SQL with the statistics module."""
from __future__ import annotations

import math
import statistics

import pytest

from app.db.writes import SYSTEM
from app.errors import ValidationError
from app.services.schools import create_township
from app.stats.progress import progress_values, t_quantile, value_added
from report_helpers import move_pupil_back


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


def _residuals(db, now_id, then_id, subject, grade, where="", args=()):
    rows = [r for r in _pairs(db, now_id, then_id, subject, " AND a.grade = ?" + where, [grade, *args])
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


def test_value_added_takes_scores_as_stored_not_rounded_to_hundredths(demo_db):
    """Scores that are not whole hundredths (a third of a point typed in the sqlite3 shell, 60.125,
    a value Excel computed as 87.49999999999999) in both exams: the fit uses them as stored."""
    exams = _exams(demo_db)
    subject_id = demo_db.execute("SELECT id FROM subject WHERE name = '语文'").fetchone()[0]
    rows = _pairs(demo_db, exams["统考"], exams["期末"], "语文", " AND a.grade = 4 AND a.status = '正常'"
                  " AND b.status = '正常' ORDER BY a.pupil_id")
    odd = [70 + 1 / 3, 60.125, 87.49999999999999, 91.005]
    for i, row in enumerate(rows[:8]):
        demo_db.execute("UPDATE mark SET score = ? WHERE exam_id = ? AND pupil_id = ? AND subject_id = ?",
                        [odd[i % 4], exams["统考"] if i % 2 else exams["期末"], row[0], subject_id])
    assert demo_db.execute("SELECT COUNT(*) FROM mark WHERE score = ?", [70 + 1 / 3]).fetchone()[0] == 2
    residuals = _residuals(demo_db, exams["统考"], exams["期末"], "语文", 4)
    records = [r for r in value_added(demo_db, exams["统考"], exams["期末"], "class")
               if r["grade"] == 4 and r["subject"] == "语文"]
    assert len(records) >= 2
    for record in records:
        mine = [res for _, class_id, res in residuals if class_id == record["class_id"]]
        assert record["n"] == len(mine)
        assert record["value_added"] == pytest.approx(statistics.mean(mine), abs=1e-12)


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


def _school(db, code):
    return db.execute("SELECT id, township_id FROM school WHERE code = ?", [code]).fetchone()


def test_progress_of_one_school_reads_only_its_groups_with_the_same_figures(demo_db):
    exams = _exams(demo_db)
    moved = move_pupil_back(demo_db, exams["统考"], exams["期末"])  # last year at 油溪完全小学 (QSZ02)
    school_id, township_id = _school(demo_db, "QSZ01")
    for level in ("class", "grade", "school"):
        everyone = progress_values(demo_db, exams["统考"], exams["期末"], level)
        mine = progress_values(demo_db, exams["统考"], exams["期末"], level, school_ids=[school_id])
        assert mine == [r for r in everyone if r["school_code"] == "QSZ01"] and mine
    # The pupil who moved is compared with the mark written at the other school, as without a scope.
    rows = _pairs(demo_db, exams["统考"], exams["期末"], "语文",
                  " AND a.grade = 4 AND a.school_id = ? AND b.status != '免考' AND a.status != '免考'", [school_id])
    assert moved in {r[0] for r in rows}
    value = lambda status, score: score if status == "正常" else 0.0  # noqa: E731 - both exams: roster
    now, then = [value(r[3], r[4]) for r in rows], [value(r[5], r[6]) for r in rows]
    expected = ((statistics.mean(now) - statistics.mean(then))
                + 100 * (sum(v >= 85 for v in now) - sum(v >= 85 for v in then)) / len(rows)
                + 100 * (sum(v >= 60 for v in now) - sum(v >= 60 for v in then)) / len(rows)) / 3
    record = next(r for r in progress_values(demo_db, exams["统考"], exams["期末"], "grade", school_ids=[school_id])
                  if r["grade"] == 4 and r["subject"] == "语文")
    assert record["n"] == len(rows) and record["progress"] == pytest.approx(expected)
    # A township's figures need all its schools: by township, the same records; by school, refused.
    other = create_township(demo_db, SYSTEM, code="HSZ", name="红山镇")
    demo_db.execute("UPDATE school SET township_id = ? WHERE code IN ('QSZ04', 'QSZ05')", [other])
    for level in ("school", "township"):
        everyone = progress_values(demo_db, exams["统考"], exams["期末"], level)
        for township, code in ((township_id, "QSZ"), (other, "HSZ")):
            mine = progress_values(demo_db, exams["统考"], exams["期末"], level, township_id=township)
            assert mine == [r for r in everyone if r["township_code"] == code] and mine
    with pytest.raises(ValidationError):
        progress_values(demo_db, exams["统考"], exams["期末"], "township", school_ids=[school_id])
    # A scope without any matched pupil has no group (the exams still share pupils elsewhere).
    assert progress_values(demo_db, exams["统考"], exams["期末"], "class", school_ids=[]) == []


def test_value_added_of_one_school_keeps_the_fit_over_the_whole_grade(demo_db):
    exams = _exams(demo_db)
    move_pupil_back(demo_db, exams["统考"], exams["期末"])
    school_id, township_id = _school(demo_db, "QSZ01")
    everyone = value_added(demo_db, exams["统考"], exams["期末"], "class")
    mine = value_added(demo_db, exams["统考"], exams["期末"], "class", school_ids=[school_id])
    assert mine == [r for r in everyone if r["school_code"] == "QSZ01"] and mine
    assert value_added(demo_db, exams["统考"], exams["期末"], "class", township_id=township_id) == everyone
    # Independently: the residuals of the fit over every 4th-grade 语文 pupil of the township.
    whole = _residuals(demo_db, exams["统考"], exams["期末"], "语文", 4)
    for record in (r for r in mine if r["grade"] == 4 and r["subject"] == "语文"):
        values = [res for _, class_id, res in whole if class_id == record["class_id"]]
        assert record["n"] == len(values) and record["value_added"] == pytest.approx(statistics.mean(values), abs=1e-12)
    school_only = _residuals(demo_db, exams["统考"], exams["期末"], "语文", 4, " AND a.school_id = ?", [school_id])
    first = next(r for r in mine if r["grade"] == 4 and r["subject"] == "语文")
    fitted_alone = statistics.mean(res for _, class_id, res in school_only if class_id == first["class_id"])
    assert abs(first["value_added"] - fitted_alone) > 1e-6  # a fit over the school alone would differ


def test_value_added_of_a_teacher_needs_every_school_they_teach_at(demo_db):
    exams = _exams(demo_db)
    # 高天浩 (QSZ01003) teaches 英语 at the central school and, 走教, at three 教学点.
    teacher_id = demo_db.execute("SELECT id FROM teacher WHERE staff_no = 'QSZ01003'").fetchone()[0]
    sites = [r[0] for r in demo_db.execute(
        "SELECT DISTINCT c.school_id FROM teaching_assignment a JOIN class c ON c.id = a.class_id"
        " JOIN exam e ON e.term_id = a.term_id WHERE e.id = ? AND a.teacher_id = ?", [exams["统考"], teacher_id])]
    assert len(sites) == 4
    everyone = value_added(demo_db, exams["统考"], exams["期末"], "teacher")
    theirs = [r for r in everyone if r["teacher_id"] == teacher_id]
    scoped = value_added(demo_db, exams["统考"], exams["期末"], "teacher", school_ids=sites)
    assert [r for r in scoped if r["teacher_id"] == teacher_id] == theirs and theirs
    # At the central school alone: every teacher all of whose classes of the subject are there, not
    # 高天浩 (their pool would be incomplete).
    central = _school(demo_db, "QSZ01")[0]
    schools_of: dict[tuple, set] = {}
    for teacher, subject, school in demo_db.execute(
            "SELECT a.teacher_id, s.code, c.school_id FROM teaching_assignment a JOIN class c ON c.id = a.class_id"
            " JOIN subject s ON s.id = a.subject_id JOIN exam e ON e.term_id = a.term_id WHERE e.id = ?",
            [exams["统考"]]):
        schools_of.setdefault((teacher, subject), set()).add(school)
    at_one = value_added(demo_db, exams["统考"], exams["期末"], "teacher", school_ids=[central])
    assert at_one == [r for r in everyone if schools_of[(r["teacher_id"], r["subject_code"])] == {central}] and at_one
    assert teacher_id not in {r["teacher_id"] for r in at_one}


def test_the_baseline_is_the_previous_unified_test_and_a_subject_it_lacks_has_no_progress(demo_db):
    from app.stats.lists import baseline_choices, previous_exam
    exams = _exams(demo_db)
    # 期末 (last June) → 月考 (October) → 统考 (November): the 统考 is compared with the 期末.
    assert previous_exam(demo_db, exams["统考"])["id"] == exams["期末"]
    choices = {c["id"]: c["same_kind"] for c in baseline_choices(demo_db, exams["统考"])}
    assert choices == {exams["月考"]: False, exams["期末"]: True}
    # Last year's grade 2 wrote no 英语: this year's grade 3 has 英语 without a baseline.
    then = {r[0] for r in demo_db.execute(
        "SELECT DISTINCT s.name FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ? AND m.grade = 2",
        [exams["期末"]])}
    assert "英语" not in then
    grade3 = [r for r in progress_values(demo_db, exams["统考"], exams["期末"], "grade")
              if r["grade"] == 3 and r["school_code"] == "QSZ01"]
    english = [r for r in grade3 if r["subject"] == "英语"]
    assert english and all(r["no_baseline"] and r["progress"] is None and r["n"] == 0 for r in english)
    assert all(r["progress"] is not None for r in grade3 if r["subject"] in then)


def test_marks_of_a_subject_the_exam_no_longer_has_count_nowhere(demo_db):
    """Old data (or a package from an older program) can hold an exam's marks of a subject the exam
    no longer lists: value-added leaves them out, as the exam's own figures do, instead of failing."""
    exams = _exams(demo_db)
    science = demo_db.execute("SELECT id FROM subject WHERE name = '科学'").fetchone()[0]
    before = value_added(demo_db, exams["统考"], exams["期末"], "class")
    assert any(r["subject"] == "科学" for r in before)
    with demo_db.atomic():  # what the program itself refuses while marks exist, done behind its back
        demo_db.execute("DELETE FROM exam_subject WHERE exam_id = ? AND subject_id = ?", [exams["统考"], science])
    assert demo_db.execute("SELECT COUNT(*) FROM mark WHERE exam_id = ? AND subject_id = ?",
                           [exams["统考"], science]).fetchone()[0] > 0
    after = value_added(demo_db, exams["统考"], exams["期末"], "class")
    assert after == [r for r in before if r["subject"] != "科学"]
