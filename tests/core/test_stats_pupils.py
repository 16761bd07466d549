"""Per-pupil results on the demo midterm, recomputed in the test with plain SQL and statistics."""
from __future__ import annotations

import statistics

import pytest

from app.stats.pupils import parent_view, pupil_results


def _exam(db):
    return db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]


def _class(db, name="三(1)班"):
    return db.execute("SELECT c.id FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                      " ON y.id = c.academic_year_id WHERE s.code = 'QSZ01' AND c.name = ? AND y.code = '2026-2027'",
                      [name]).fetchone()[0]


def _competition_rank(value, values):
    return 1 + sum(1 for v in values if v > value)


def test_z_t_ranks_and_levels_of_one_class(demo_db):
    exam_id, class_id = _exam(demo_db), _class(demo_db)
    results = pupil_results(demo_db, exam_id, class_id=class_id)
    roster = demo_db.execute("SELECT COUNT(DISTINCT pupil_id) FROM mark WHERE exam_id = ? AND class_id = ?",
                             [exam_id, class_id]).fetchone()[0]
    assert len(results) == roster
    # The exam is a township exam: z is against every 3rd-grade 语文 paper of the township.
    township = [r[0] for r in demo_db.execute(
        "SELECT m.score FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ? AND m.grade = 3"
        " AND s.name = '语文' AND m.status = '正常'", [exam_id])]
    mean, sd = statistics.mean(township), statistics.pstdev(township)
    in_class = [r[0] for r in demo_db.execute(
        "SELECT m.score FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ? AND m.class_id = ?"
        " AND s.name = '语文' AND m.status = '正常'", [exam_id, class_id])]
    in_grade = [r[0] for r in demo_db.execute(
        "SELECT m.score FROM mark m JOIN subject s ON s.id = m.subject_id JOIN school sc ON sc.id = m.school_id"
        " WHERE m.exam_id = ? AND m.grade = 3 AND sc.code = 'QSZ01' AND s.name = '语文' AND m.status = '正常'",
        [exam_id])]
    checked = 0
    for pupil in results:
        chinese = next(s for s in pupil["subjects"] if s["subject"] == "语文")
        if chinese["status"] != "正常":
            assert chinese["z"] is None and chinese["rank_class"] is None and chinese["level"] is None
            continue
        score = chinese["score"]
        assert chinese["z"] == pytest.approx((score - mean) / sd)
        assert chinese["t"] == pytest.approx(50 + 10 * (score - mean) / sd)
        assert chinese["rank_class"] == _competition_rank(score, in_class)
        assert chinese["rank_grade"] == _competition_rank(score, in_grade)
        expected = "优秀" if score >= 85 else "良好" if score >= 75 else "合格" if score >= 60 else "待提高"
        assert chinese["level"] == expected
        checked += 1
    assert checked > 30


def test_totals_are_ranked_only_when_comparable(demo_db):
    exam_id = _exam(demo_db)
    results = pupil_results(demo_db, exam_id, school_id=demo_db.execute(
        "SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0], grade=3)
    for pupil in results:
        scored = [s for s in pupil["subjects"] if not s["graded"]]  # 音体美 are 等级: never in the total
        statuses = {s["status"] for s in scored}
        # The midterm counts absentees as 0 (roster policy), so only 免考 makes a total incomparable.
        assert pupil["total_rankable"] == ("免考" not in statuses)
        assert pupil["total"] == pytest.approx(sum(s["score"] for s in scored if s["status"] == "正常"))
    ranked = [p for p in results if p["total_rankable"]]
    totals = [p["total"] for p in ranked]
    for pupil in ranked:
        assert pupil["total_rank_grade"] == _competition_rank(pupil["total"], totals)
    assert all(p["total_rank_grade"] is None for p in results if not p["total_rankable"])


def test_ties_share_a_rank(demo_db):
    exam_id = _exam(demo_db)
    results = pupil_results(demo_db, exam_id, class_id=_class(demo_db, "五(1)班"))
    marks = [s for p in results for s in p["subjects"] if s["subject"] == "数学" and s["status"] == "正常"]
    by_score: dict[float, set[int]] = {}
    for mark in marks:
        by_score.setdefault(mark["score"], set()).add(mark["rank_class"])
    assert all(len(ranks) == 1 for ranks in by_score.values())
    tied = [score for score in by_score if sum(m["score"] == score for m in marks) > 1]
    assert tied, "the demo class has tied 数学 scores"
    for score in tied:
        rank = next(iter(by_score[score]))
        following = sorted(s for s in by_score if s < score)
        if following:
            assert next(iter(by_score[following[-1]])) == rank + sum(m["score"] == score for m in marks)


def test_parents_see_levels_only(demo_db):
    exam_id = _exam(demo_db)
    pupil = pupil_results(demo_db, exam_id, class_id=_class(demo_db))[0]
    view = parent_view(pupil)
    assert set(view) == {"name", "class_name", "grade", "subjects"}
    assert all(set(s) == {"subject", "level"} for s in view["subjects"])
    assert {s["level"] for s in view["subjects"]} <= {"优秀", "良好", "合格", "待提高", "A", "B", "C", "缺考", "免考",
                                                     "作弊"}


@pytest.mark.parametrize("scope", ["校", "乡", "县"])
def test_one_school_reads_only_its_own_population_with_the_same_z(demo_db, scope):
    exam_id = _exam(demo_db)
    demo_db.execute("UPDATE exam SET scope = ? WHERE id = ?", [scope, exam_id])
    # Marks such as 87.7, whose sums depend on the order they are added in unless exactly rounded.
    demo_db.execute("UPDATE mark SET score = score - 0.3 WHERE exam_id = ? AND status = '正常' AND score >= 1",
                    [exam_id])
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ02'").fetchone()[0]
    mine = pupil_results(demo_db, exam_id, school_id=school_id)
    assert mine == [p for p in pupil_results(demo_db, exam_id) if p["school_id"] == school_id] and mine
    # z against the exam's population: the school's own 4th-grade 数学 papers, or the township's (the
    # demo database is one township, so 乡 and 县 are the same papers).
    where = " AND m.school_id = ?" if scope == "校" else ""
    papers = [r[0] for r in demo_db.execute(
        "SELECT m.score FROM mark m JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ? AND m.grade = 4"
        f" AND s.name = '数学' AND m.status = '正常'{where}", [exam_id, *([school_id] if where else [])])]
    mean, sd = statistics.mean(papers), statistics.pstdev(papers)
    marks = [s for p in mine if p["grade"] == 4 for s in p["subjects"] if s["subject"] == "数学" and s["z"] is not None]
    assert marks and all(s["z"] == pytest.approx((s["score"] - mean) / sd) for s in marks)
