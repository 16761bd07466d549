"""平行编班: the balance check flags a lopsided grade; the S-shaped split deals pupils out evenly."""
from __future__ import annotations

import statistics

import pytest

from app.errors import ValidationError
from app.services.exams import get_exam
from app.stats.balance import balance_check, scored_subjects, snake_assign, suggest_classes


def _midterm(db):
    return db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]


def test_snake_assignment_by_hand():
    boys = [{"gender": "男", "score": s} for s in (60, 90, 40, 80, 70, 50)]
    girls = [{"gender": "女", "score": s} for s in (75, 95, 65, 85)]
    late = [{"gender": "女", "score": None}]
    classes = snake_assign(boys + girls + late, 3)
    # Boys best first: 90→1, 80→2, 70→3, 60→3, 50→2, 40→1; girls continue: 95→1, 85→2, 75→3, 65→3;
    # the girl without a score comes last: →2.
    assert classes[:6] == [2, 0, 0, 1, 2, 1]
    assert classes[6:10] == [2, 0, 2, 1]
    assert classes[10] == 1
    assert sorted(classes.count(c) for c in range(3)) == [3, 4, 4]
    with pytest.raises(ValidationError):
        snake_assign(boys, 0)


def test_suggested_classes_are_even(demo_db):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '期末'").fetchone()[0]
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    split = suggest_classes(demo_db, exam_id, school_id=school_id, grade=2, n_classes=3)
    sizes = [c["n"] for c in split["classes"]]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == len(split["assignments"]) > 60
    assert max(c["boys"] for c in split["classes"]) - min(c["boys"] for c in split["classes"]) <= 1
    means = [c["mean"] for c in split["classes"]]
    assert max(means) - min(means) < 0.5
    plain = snake_assign([{"gender": a["gender"], "score": a["score"]} for a in split["assignments"]], 3)
    plain_means = [statistics.mean(a["score"] for a, c in zip(split["assignments"], plain) if c == k) for k in range(3)]
    assert max(means) - min(means) <= max(plain_means) - min(plain_means)


def test_balance_check_recomputed_and_a_lopsided_grade_flagged(demo_db):
    exam_id = _midterm(demo_db)
    report = {(r["school_code"], r["grade"]): r for r in balance_check(demo_db, exam_id, subject="数学")}
    assert set(report) == {("QSZ01", g) for g in range(1, 7)}
    grade3 = report[("QSZ01", 3)]
    for row in grade3["classes"]:
        scores = [r[0] for r in demo_db.execute("SELECT m.score FROM mark m JOIN subject s ON s.id = m.subject_id"
                                                " WHERE m.exam_id = ? AND m.class_id = ? AND s.name = '数学'"
                                                " AND m.status = '正常'", [exam_id, row["class_id"]])]
        assert row["n"] == len(scores)
        assert row["mean"] == pytest.approx(statistics.mean(scores))
        assert row["sd"] == pytest.approx(statistics.pstdev(scores))
    means = [row["mean"] for row in grade3["classes"]]
    assert grade3["mean_spread"] == pytest.approx(max(means) - min(means))
    # Push one class of grade 5 up by 12 points: the grade is now flagged with a reason.
    lifted = report[("QSZ01", 5)]["classes"][0]["class_id"]
    demo_db.execute("UPDATE mark SET score = MIN(100, score + 12) WHERE exam_id = ? AND class_id = ?"
                    " AND status = '正常'", [exam_id, lifted])
    after = {(r["school_code"], r["grade"]): r for r in balance_check(demo_db, exam_id, subject="数学")}
    assert after[("QSZ01", 5)]["flagged"] and "平均分" in after[("QSZ01", 5)]["reasons"][0]
    with pytest.raises(ValidationError):
        balance_check(demo_db, exam_id, subject="物理")


def test_a_pupil_absent_from_every_subject_is_still_placed(demo_db):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '期末'").fetchone()[0]
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    before = suggest_classes(demo_db, exam_id, school_id=school_id, grade=2, n_classes=3)
    absent = before["assignments"][0]["pupil_id"]
    demo_db.execute("UPDATE mark SET status = '缺考', score = NULL WHERE exam_id = ? AND pupil_id = ?", [exam_id, absent])
    split = suggest_classes(demo_db, exam_id, school_id=school_id, grade=2, n_classes=3)
    placed = {a["pupil_id"]: a for a in split["assignments"]}
    assert set(placed) == {a["pupil_id"] for a in before["assignments"]} and placed[absent]["score"] is None
    sizes = [c["n"] for c in split["classes"]]
    assert max(sizes) - min(sizes) <= 1 and sum(c["scored"] for c in split["classes"]) == len(placed) - 1
    mine = placed[absent]["class_number"]
    scores = [a["score"] for a in split["assignments"] if a["class_number"] == mine and a["score"] is not None]
    assert split["classes"][mine - 1]["mean"] == pytest.approx(statistics.mean(scores))


def test_a_graded_subject_cannot_be_the_basis(demo_db):
    exam_id = _midterm(demo_db)
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    names = [s["name"] for s in get_exam(demo_db, exam_id)["subjects"]]
    offered = scored_subjects(demo_db, exam_id, 1)
    assert offered == [n for n in names if n in ("语文", "数学", "道德与法治", "科学")]  # 英语 from 三年级, 体音美 等级
    with pytest.raises(ValidationError, match="只评等级"):
        suggest_classes(demo_db, exam_id, school_id=school_id, grade=2, n_classes=3, subject="音乐")
