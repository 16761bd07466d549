"""临界生, 学困生 and risers/fallers on the demo, checked against plain SQL."""
from __future__ import annotations

from collections import defaultdict

from app.stats.lists import borderline, list_counts, movers, previous_exam, struggling
from app.stats.progress import residuals
from report_helpers import move_pupil_back


def _exams(db):
    return {r[1]: r[0] for r in db.execute("SELECT id, type FROM exam")}


def test_borderline_pupils_of_one_class(demo_db):
    exams = _exams(demo_db)
    class_id = demo_db.execute("SELECT c.id FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                               " ON y.id = c.academic_year_id WHERE s.code = 'QSZ01' AND c.name = '四(2)班'"
                               " AND y.code = '2026-2027'").fetchone()[0]
    expected = set()
    for pupil_id, subject, score in demo_db.execute(
            "SELECT m.pupil_id, s.name, m.score FROM mark m JOIN subject s ON s.id = m.subject_id"
            " WHERE m.exam_id = ? AND m.class_id = ? AND m.status = '正常'", [exams["统考"], class_id]):
        # Full marks 100 everywhere; margin 5 % below 及格 60 and 优秀 85.
        if 55 <= score < 60:
            expected.add((pupil_id, subject, "及格线", 60 - score))
        if 80 <= score < 85:
            expected.add((pupil_id, subject, "优秀线", 85 - score))
    found = borderline(demo_db, exams["统考"], class_id=class_id)
    assert {(r["pupil_id"], r["subject"], r["line"], r["gap"]) for r in found} == expected
    assert len(expected) > 5
    wider = borderline(demo_db, exams["统考"], class_id=class_id, margin_pct=10)
    assert len(wider) > len(found)


def test_struggling_pupils_are_below_pass_in_two_main_subjects_twice(demo_db):
    exams = _exams(demo_db)
    # The baseline of a 统测 is the previous 统测 of the same pupils (last year's 期末), not the 月考
    # written between them.
    assert previous_exam(demo_db, exams["统考"])["id"] == exams["期末"]

    def below(exam_id):
        counts = defaultdict(int)
        for pupil_id, n in demo_db.execute(
                "SELECT m.pupil_id, COUNT(*) FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ?"
                " AND s.name IN ('语文', '数学', '英语') AND m.status = '正常' AND m.score < 60 GROUP BY m.pupil_id",
                [exam_id]):
            counts[pupil_id] = n
        return counts

    now, then = below(exams["统考"]), below(exams["期末"])
    expected = {p for p in now if now[p] >= 2 and then.get(p, 0) >= 2}
    found = struggling(demo_db, exams["统考"])
    assert {r["pupil_id"] for r in found} == expected and expected
    assert all(r["previous_exam_id"] == exams["期末"] and len(r["subjects_now"]) >= 2 for r in found)
    assert struggling(demo_db, exams["期末"]) == []


def test_risers_and_fallers_are_the_extremes_of_each_grade(demo_db):
    exams = _exams(demo_db)
    per_pupil = defaultdict(list)
    grade_of = {}
    for row in residuals(demo_db, exams["统考"], exams["期末"]):
        per_pupil[row["pupil_id"]].append(row["residual"])
        grade_of[row["pupil_id"]] = row["grade"]
    change = {p: sum(v) / len(v) for p, v in per_pupil.items()}
    lists = movers(demo_db, exams["统考"], exams["期末"], count=5)
    for grade in set(grade_of.values()):
        everyone = sorted((c for p, c in change.items() if grade_of[p] == grade), reverse=True)
        risers = [r["change"] for r in lists["risers"] if r["grade"] == grade]
        fallers = [r["change"] for r in lists["fallers"] if r["grade"] == grade]
        assert risers == everyone[:5]
        assert fallers == sorted(everyone[-5:])


def test_lists_of_one_school_are_those_of_the_whole_database(demo_db):
    exams = _exams(demo_db)
    # A struggling pupil of the central school wrote last year's final at 油溪完全小学: still struggling.
    moved = move_pupil_back(demo_db, exams["统考"], exams["期末"], grade=5, struggling=True)
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    everyone = struggling(demo_db, exams["统考"], exams["期末"])
    mine = struggling(demo_db, exams["统考"], exams["期末"], school_id=school_id)
    assert mine == [r for r in everyone if r["school_code"] == "QSZ01"]
    assert moved in {r["pupil_id"] for r in mine}
    class_id = next(r["class_id"] for r in mine if r["pupil_id"] == moved)
    assert struggling(demo_db, exams["统考"], exams["期末"], class_id=class_id) == \
        [r for r in everyone if r["class_id"] == class_id]

    rows = residuals(demo_db, exams["统考"], exams["期末"])
    assert residuals(demo_db, exams["统考"], exams["期末"], school_ids=[school_id]) == \
        [r for r in rows if r["school_id"] == school_id]
    # Risers and fallers of the school, worked out from the residuals of the whole database.
    per_pupil = defaultdict(list)
    for row in rows:
        if row["school_id"] == school_id:
            per_pupil[row["pupil_id"]].append(row["residual"])
    lists = movers(demo_db, exams["统考"], exams["期末"], school_id=school_id, count=3)
    for record in lists["risers"] + lists["fallers"]:
        assert record["change"] == sum(per_pupil[record["pupil_id"]]) / len(per_pupil[record["pupil_id"]])
    best = max(per_pupil, key=lambda p: sum(per_pupil[p]) / len(per_pupil[p]))
    assert best in {r["pupil_id"] for r in lists["risers"]}


def test_list_counts_of_some_schools_are_the_pupils_plain_sql_finds(demo_db):
    exams = _exams(demo_db)
    schools = [r[0] for r in demo_db.execute("SELECT id FROM school WHERE code IN ('QSZ01', 'QSX02')")]

    def below(exam_id):
        counts = defaultdict(int)
        for pupil_id, n in demo_db.execute(
                "SELECT m.pupil_id, COUNT(*) FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ?"
                " AND s.name IN ('语文', '数学', '英语') AND m.status = '正常' AND m.score < 60 GROUP BY m.pupil_id",
                [exam_id]):
            counts[pupil_id] = n
        return counts

    now, then = below(exams["统考"]), below(exams["期末"])
    marks = ",".join("?" * len(schools))
    mine = {r[0] for r in demo_db.execute(f"SELECT pupil_id FROM mark WHERE exam_id = ? AND school_id IN ({marks})",
                                          [exams["统考"], *schools])}
    weak = {p for p in now if now[p] >= 2 and then.get(p, 0) >= 2 and p in mine}
    # Full marks 100 in every scored subject; margin 5 % below 及格 60 and 优秀 85.
    near = {r[0] for r in demo_db.execute(
        f"SELECT pupil_id FROM mark WHERE exam_id = ? AND school_id IN ({marks}) AND status = '正常'"
        " AND ((score >= 55 AND score < 60) OR (score >= 80 AND score < 85))", [exams["统考"], *schools])}
    assert list_counts(demo_db, exams["统考"], school_ids=schools) == {"临界生": len(near), "学困生": len(weak)}
    assert len(near) > 10 and weak
    everyone = list_counts(demo_db, exams["统考"])
    assert everyone["学困生"] == len({p for p in now if now[p] >= 2 and then.get(p, 0) >= 2}) > len(weak)
    assert list_counts(demo_db, exams["期末"])["学困生"] == 0
