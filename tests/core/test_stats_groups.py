"""Group figures checked against values worked out by hand on a tiny exam typed into the test.

三(1)班 has nine pupils. 语文 (full 100): 100, 85 (on the excellent line), 60 (on the pass line),
40 (on the low line, so not low), 39.5 (low), 缺考, 免考, 作弊, 0. 数学 (full 120, lines at 102 / 72
/ 48, bands 12 points wide): 120, 102, 72, 48, 47.5, 108 (lower edge of the top band), 11.5, 12
(lower edge of band 1), 0. 三(2)班: 语文 70 and 缺考. Four grade-4 classes of three pupils each
score 语文 90/80/80/70 for the rank ties.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import statistics

import pytest

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.paths import resource_path
from app.services import classes, exams, pupils
from app.marks.entry import set_mark
from app.services.setup import init_school
from app.stats.groups import all_group_stats, group_stats
from app.stats.ranking import competition_ranks

NAMES = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
CHINESE_A = [100, 85, 60, 40, 39.5, "缺考", "免考", "作弊", 0]
MATHS_A = [120, 102, 72, 48, 47.5, 108, 11.5, 12, 0]
CHINESE_B = [70, "缺考"]
GRADE4 = {1: 90, 2: 80, 3: 80, 4: 70}


def _build(path):
    db = init_school(path, code="S1", name="甲村小学", type="完小", passphrase="demo", demo=True, township_code="T1",
                     township_name="甲乡", today=dt.date(2026, 11, 1))
    school_id = db.execute("SELECT id FROM school").fetchone()[0]
    year = db.execute("SELECT academic_year_id FROM term").fetchone()[0]
    made = iter(range(1000))

    def pupil(class_id, grade):
        i = next(made)
        return pupils.add_pupil(db, SYSTEM, school_id, {
            "student_no": f"G{i:04d}", "name": f"张{NAMES[i % 22]}{NAMES[i // 22]}", "gender": "男女"[i % 2],
            "birth_date": f"{2023 - 6 - grade}-03-01", "grade": grade, "class_id": class_id})

    exam_id = exams.create_exam(db, SYSTEM, name="单元小测", type="单元", grades="3,4", subjects="语文:100,数学:120",
                                scope="校", policy="sat")
    subject = {r[1]: r[0] for r in db.execute("SELECT id, name FROM subject")}
    a = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[3], number=1)
    for chinese, maths in zip(CHINESE_A, MATHS_A):
        p = pupil(a, 3)
        set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=p, subject_id=subject["语文"], value=chinese)
        set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=p, subject_id=subject["数学"], value=maths)
    b = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[3], number=2)
    for chinese in CHINESE_B:
        set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil(b, 3), subject_id=subject["语文"], value=chinese)
    for number, score in GRADE4.items():
        c = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[4], number=number)
        for _ in range(3):
            set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil(c, 4), subject_id=subject["语文"], value=score)
    db.close()
    return exam_id


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    exam_id = _build(folder / "s1.sqlite")
    return folder / "s1.sqlite", exam_id


@pytest.fixture
def tiny(tiny_template, tmp_path):
    source, exam_id = tiny_template
    shutil.copy(source, tmp_path / "s1.sqlite")
    db = open_database(tmp_path / "s1.sqlite")
    yield db, exam_id
    db.close()


def _find(records, **where):
    found = [r for r in records if all(r[k] == v for k, v in where.items())]
    assert len(found) == 1, where
    return found[0]


def _composite(mean, full, pass_rate, excellent_rate, low_rate):
    # The default preset's weights as documented: 平均分 40 %, 及格率 30 %, 优秀率 20 %, 非低分率 10 %.
    return 100 * (0.4 * mean / full + 0.3 * pass_rate + 0.2 * excellent_rate + 0.1 * (1 - low_rate))


def test_class_figures_when_rates_are_over_those_who_sat(tiny):
    db, exam_id = tiny
    r = _find(group_stats(db, exam_id, "class"), class_name="三(1)班", subject="语文")
    # Who counts: 缺考 and 免考 are out; 作弊 sat and counts as 0.
    values = [100, 85, 60, 40, 39.5, 0, 0]
    assert (r["n_roster"], r["n_sat"], r["n_absent"], r["n_exempt"], r["n_cheat"], r["n"]) == (9, 7, 1, 1, 1, 7)
    assert r["total"] == pytest.approx(324.5)
    assert r["mean"] == pytest.approx(324.5 / 7)
    assert r["sd"] == pytest.approx(statistics.pstdev(values))
    assert (r["median"], r["max"], r["min"]) == (40, 100, 0)
    assert (r["pass_count"], r["excellent_count"], r["low_count"]) == (3, 2, 3)
    assert (r["pass_rate"], r["excellent_rate"], r["low_rate"]) == pytest.approx((3 / 7, 2 / 7, 3 / 7))
    # 100 → top band, 85 → 80-90 %, 60 → 60-70 %, 40 → 40-50 %, 39.5 → 30-40 %, two zeros → band 0.
    assert r["bands"] == [2, 0, 0, 1, 1, 0, 1, 0, 1, 1]
    assert r["composite"] == pytest.approx(_composite(324.5 / 7, 100, 3 / 7, 2 / 7, 3 / 7))
    assert (r["school_code"], r["grade"], r["policy"]) == ("S1", 3, "sat")


def test_class_figures_when_absentees_count_as_zero(tiny):
    db, exam_id = tiny
    r = _find(group_stats(db, exam_id, "class", policy="roster"), class_name="三(1)班", subject="语文")
    values = [100, 85, 60, 40, 39.5, 0, 0, 0]
    assert (r["n_roster"], r["n_sat"], r["n"]) == (9, 7, 8)
    assert r["mean"] == pytest.approx(324.5 / 8)
    assert r["sd"] == pytest.approx(statistics.pstdev(values))
    assert r["median"] == pytest.approx((39.5 + 40) / 2)
    assert (r["pass_count"], r["excellent_count"], r["low_count"]) == (3, 2, 4)
    assert r["low_rate"] == pytest.approx(4 / 8)
    assert r["bands"] == [3, 0, 0, 1, 1, 0, 1, 0, 1, 1]
    assert r["policy"] == "roster"


def test_band_edges_and_lines_scale_with_full_marks(tiny):
    db, exam_id = tiny
    r = _find(group_stats(db, exam_id, "class"), class_name="三(1)班", subject="数学")
    assert r["full_marks"] == 120 and r["n"] == 9
    # Lines of a 120-point paper: excellent 102, pass 72, low < 48.
    assert (r["excellent_count"], r["pass_count"], r["low_count"]) == (3, 4, 4)
    # 120 and 108 top band; 102 band 8; 72 band 6; 48 band 4; 47.5 band 3; 12 band 1; 11.5 and 0 band 0.
    assert r["bands"] == [2, 1, 0, 1, 1, 0, 1, 0, 1, 2]
    assert r["mean"] == pytest.approx(sum(MATHS_A) / 9)
    assert r["median"] == 48 and r["mean_pct"] == pytest.approx(sum(MATHS_A) / 9 / 120)


def test_grade_school_and_township_levels_pool_the_same_marks(tiny):
    db, exam_id = tiny
    levels = all_group_stats(db, exam_id)
    grade3 = _find(levels["grade"], grade=3, subject="语文")
    values = [100, 85, 60, 40, 39.5, 0, 0, 70]
    assert (grade3["n_roster"], grade3["n"], grade3["n_absent"]) == (11, 8, 2)
    assert grade3["mean"] == pytest.approx(statistics.mean(values))
    assert grade3["median"] == pytest.approx(statistics.median(values))
    assert grade3["class_name"] is None
    school = _find(levels["school"], subject="语文")
    pooled = values + [90] * 3 + [80] * 6 + [70] * 3
    assert school["grade"] is None and school["n"] == len(pooled)
    assert school["mean"] == pytest.approx(statistics.mean(pooled))
    assert school["sd"] == pytest.approx(statistics.pstdev(pooled))
    township = _find(levels["township"], grade=None, subject="语文")
    assert (township["township_code"], township["school_code"]) == ("T1", None)
    assert township["mean"] == pytest.approx(school["mean"]) and township["n"] == school["n"]
    assert township["rank"] is None and township["rank_of"] == 1  # nothing to compare it with
    assert _find(levels["township"], grade=4, subject="语文")["n"] == 12


def test_small_groups_are_flagged_and_not_ranked_unless_asked(tiny):
    db, exam_id = tiny
    grade4 = [r for r in group_stats(db, exam_id, "class") if r["grade"] == 4]
    assert len(grade4) == 4
    assert all(r["small_sample"] and r["rank"] is None and r["n"] == 3 for r in grade4)
    ranked = {r["class_name"]: r["rank"] for r in group_stats(db, exam_id, "class", min_size=3) if r["grade"] == 4}
    assert ranked == {"四(1)班": 1, "四(2)班": 2, "四(3)班": 2, "四(4)班": 4}
    assert all(r["rank_of"] == 4 for r in group_stats(db, exam_id, "class", min_size=3) if r["grade"] == 4)


def test_sample_tests_are_never_ranked(tiny):
    db, exam_id = tiny
    db.execute("UPDATE exam SET type = '抽测' WHERE id = ?", [exam_id])
    assert all(r["rank"] is None for r in group_stats(db, exam_id, "class", min_size=1))


def test_cutoff_override_for_one_grade_changes_only_that_grade(tiny):
    db, exam_id = tiny
    exams.set_cutoffs(db, SYSTEM, exam_id, "语文", excellent_pct=95, pass_pct=35, low_pct=20, grade=3)
    r = _find(group_stats(db, exam_id, "class"), class_name="三(1)班", subject="语文")
    # 100 excellent; 100, 85, 60, 40, 39.5 pass (≥ 35); the two zeros low (< 20).
    assert (r["excellent_count"], r["pass_count"], r["low_count"]) == (1, 5, 2)
    grade4 = _find(group_stats(db, exam_id, "grade"), grade=4, subject="语文")
    assert (grade4["excellent_count"], grade4["pass_count"]) == (3, 12)


def test_every_record_names_the_preset_and_its_hash(tiny):
    db, exam_id = tiny
    path = resource_path("presets", "scoring", "sanlv-yifen-default.json")
    content = json.loads(path.read_text(encoding="utf-8"))
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True,
                                       separators=(",", ":")).encode("utf-8")).hexdigest()
    records = group_stats(db, exam_id, "grade")
    assert {(r["preset_id"], r["preset_hash"]) for r in records} == {("sanlv-yifen-default", digest)}


def test_competition_ranking():
    assert competition_ranks([90, 80, 80, 70]) == [1, 2, 2, 4]
    assert competition_ranks([5, None, 7, 7, 1]) == [3, None, 1, 1, 4]
    assert competition_ranks([3, 1, 2], descending=False) == [3, 1, 2]


def test_a_group_where_nobody_counts_has_no_figures(tiny):
    db, exam_id = tiny
    other = exams.create_exam(db, SYSTEM, name="补考", type="单元", grades="3", subjects="语文", scope="校")
    assert group_stats(db, other, "class") == []
    pupil_id = db.execute("SELECT pupil_id FROM mark WHERE exam_id = ? AND grade = 3 LIMIT 1", [exam_id]).fetchone()[0]
    subject_id = db.execute("SELECT id FROM subject WHERE name = '语文'").fetchone()[0]
    set_mark(db, SYSTEM, exam_id=other, pupil_id=pupil_id, subject_id=subject_id, value="缺考")
    # 三(1)班 has nine pupils: one marked 缺考, eight not on the sheet (缺考 too); 三(2)班 has no mark
    # at all and so no figures under the sat basis.
    [record] = group_stats(db, other, "class", min_size=1)
    assert (record["n_roster"], record["n_absent"], record["n_missing"], record["n"]) == (9, 9, 8, 0)
    assert record["mean"] is None and record["composite"] is None and record["rank"] is None
    assert record["bands"] == [0] * 10


def test_demo_roster_is_the_mark_rows(demo_db):
    """Every pupil on the roster of a demo exam has a mark row (score or status) for each subject
    their grade sits, so n_roster counts the pupils on the roster."""
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    expected = {}
    for grade in range(1, 7):
        expected[grade] = demo_db.execute(
            "SELECT COUNT(*) FROM exam_subject WHERE exam_id = ? AND (grades IS NULL OR (',' || grades || ',')"
            " LIKE ?)", [exam_id, f"%,{grade},%"]).fetchone()[0]
    per_pupil = demo_db.execute("SELECT grade, COUNT(*) FROM mark WHERE exam_id = ? GROUP BY pupil_id",
                                [exam_id]).fetchall()
    assert per_pupil and all(n == expected[grade] for grade, n in per_pupil)
    # on the roll on the exam day: today's 在读/转入, and the pupils who left (流失) after it
    on_roll = demo_db.execute("SELECT COUNT(*) FROM pupil WHERE status IN ('在读', '转入') OR (status = '流失'"
                              " AND status_date > (SELECT date FROM exam WHERE id = ?))", [exam_id]).fetchone()[0]
    assert len(per_pupil) == on_roll
