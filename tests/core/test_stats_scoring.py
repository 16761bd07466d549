"""The seed plans' composite scores (000 篇17, 篇20) recomputed in the test from plain SQL (篇7: test_township_scheme)."""
from __future__ import annotations

import math
import statistics
from collections import defaultdict

import pytest

from app.stats.scoring import central_school_scores, teacher_scores


def _exams(db):
    return {r[1]: r[0] for r in db.execute("SELECT id, type FROM exam")}


def test_central_school_is_sixty_forty(demo_db):
    result = central_school_scores(demo_db, {"QSZ01": 80.0, "QSZ02": 70.0, "QSZ03": 60.0})
    assert len(result) == 1
    assert result[0]["score"] == pytest.approx(0.6 * 80 + 0.4 * 65)
    assert (result[0]["villages"], result[0]["preset_id"]) == (2, "central-000-20")


def test_teacher_composite_of_000_17(demo_db):
    exams = _exams(demo_db)
    now_id, then_id = exams["统考"], exams["期末"]
    term = demo_db.execute("SELECT term_id FROM exam WHERE id = ?", [now_id]).fetchone()[0]
    subjects = ("语文", "数学", "英语", "科学")

    def counted(status, score):  # 篇17 divides by those who sat: 缺考 and 免考 out, 作弊 counts 0
        return None if status in ("缺考", "免考") else (score if status == "正常" else 0.0)

    before = {(p, s): counted(st, x) for p, s, st, x in demo_db.execute(
        "SELECT pupil_id, subject_id, status, score FROM mark WHERE exam_id = ?", [then_id])}
    units = defaultdict(list)
    for pid, sid, name, class_id, grade, status, score in demo_db.execute(
            "SELECT m.pupil_id, m.subject_id, s.name, m.class_id, m.grade, m.status, m.score FROM mark m"
            " JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ? AND m.grade BETWEEN 3 AND 6", [now_id]):
        if name in subjects and counted(status, score) is not None:
            units[(class_id, grade, sid)].append((counted(status, score), before.get((pid, sid))))
    teacher_of = {(c, s): t for t, c, s in demo_db.execute(
        "SELECT teacher_id, class_id, subject_id FROM teaching_assignment WHERE term_id = ?", [term])}
    expected = defaultdict(list)
    for (class_id, grade, sid), pairs in units.items():
        now = [p[0] for p in pairs]
        matched = [p for p in pairs if p[1] is not None]
        rates = lambda xs: (statistics.mean(xs), sum(x >= 85 for x in xs) / len(xs),  # noqa: E731
                            sum(x >= 60 for x in xs) / len(xs))
        m, e, p = rates(now)
        progress = 0.0  # a subject the cohort did not sit last year (科学 in grade 3) has no 进步值
        if matched:
            (m1, e1, p1), (m0, e0, p0) = rates([x[0] for x in matched]), rates([x[1] for x in matched])
            progress = ((m1 - m0) + 100 * (e1 - e0) + 100 * (p1 - p0)) / 3
        expected[teacher_of[(class_id, sid)]].append(m * 0.5 + 100 * e * 0.3 + 100 * p * 0.2 + progress)
    result = {r["teacher_id"]: r for r in teacher_scores(demo_db, now_id, then_id)}
    assert set(result) == set(expected)
    for teacher, scores in expected.items():
        record = result[teacher]
        assert record["base_score"] == pytest.approx(statistics.mean(scores))
        assert record["weight"] == (1.1 if record["weight_reasons"] else 1.0)
        assert record["score"] == pytest.approx(record["base_score"] * record["weight"])
    # A 教学点 head teacher teaches both 语文 and 数学: two main subjects, weight 1.1.
    assert any("任教 2 个主科" in " ".join(r["weight_reasons"]) and r["weight"] == 1.1 for r in result.values())
    # 篇17's bands are drawn within one school and stage (the default band_scope).
    stages = defaultdict(list)
    for record in result.values():
        stages[(record["school_code"], record["stage"])].append(record)
        assert record["band_scope"] == "本校"
    for members in stages.values():
        n = len(members)
        bands = [r["band"] for r in sorted(members, key=lambda r: -r["score"])]
        assert bands.count("A") == math.floor(0.3 * n + 0.5)
        assert bands.count("A") + bands.count("B") == math.floor(0.8 * n + 0.5)
        assert bands == sorted(bands)
        assert {r["bonus"] for r in members if r["band"] == "A"} <= {20}
