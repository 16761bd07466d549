"""The demo township has the shape the issue asks for, is deterministic, and its marks are plausible."""
from __future__ import annotations

import statistics

from app.cli import main
from app.db.database import open_database
from app.demo import generate


def _q(db, sql, args=()):
    return [dict(r) for r in db.query(sql, args)]


CURRENT_CLASSES = ("SELECT c.id, c.name, s.code, s.type, (SELECT COUNT(*) FROM pupil p WHERE p.class_id = c.id) AS n,"
                   " (SELECT group_concat(grade) FROM class_grade g WHERE g.class_id = c.id) AS grades"
                   " FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y ON y.id = c.academic_year_id"
                   " WHERE y.code = '2026-2027'")


def test_township_shape(demo_db):
    schools = _q(demo_db, "SELECT code, type FROM school ORDER BY code")
    assert [s["type"] for s in schools] == ["中心校本部", "完小", "完小", "教学点", "教学点", "教学点"]
    classes = _q(demo_db, CURRENT_CLASSES)
    central = [c for c in classes if c["type"] == "中心校本部"]
    assert len(central) == 12
    assert sorted(int(c["grades"]) for c in central) == [g for g in range(1, 7) for _ in range(2)]
    assert 35 <= statistics.mean(c["n"] for c in central) <= 45
    village = [c for c in classes if c["type"] == "完小"]
    assert len(village) == 12 and 20 <= statistics.mean(c["n"] for c in village) <= 30
    points = [c for c in classes if c["type"] == "教学点"]
    assert any("," in c["grades"] for c in points), "at least one 复式 class"
    assert all(max(map(int, c["grades"].split(","))) <= 4 for c in points)
    per_grade = _q(demo_db, "SELECT p.class_id, p.grade, COUNT(*) AS n FROM pupil p JOIN school s ON s.id = p.school_id"
                            " WHERE s.type = '教学点' GROUP BY p.class_id, p.grade")
    assert all(4 <= r["n"] <= 15 for r in per_grade)


def test_teachers_and_itinerant_staff(demo_db):
    teachers = demo_db.execute("SELECT COUNT(*) FROM teacher").fetchone()[0]
    assert 38 <= teachers <= 50
    itinerant = _q(demo_db, "SELECT t.name, s.type AS home, COUNT(*) AS sites FROM teacher_site ts"
                            " JOIN teacher t ON t.id = ts.teacher_id JOIN school s ON s.id = t.school_id GROUP BY t.id")
    assert len(itinerant) == 3 and all(r["home"] == "中心校本部" and r["sites"] == 3 for r in itinerant)
    # Nobody teaches more than a week holds (6 lessons × 5 days).
    loads = _q(demo_db, "SELECT teacher_id, SUM(weekly_periods) AS p FROM teaching_assignment GROUP BY teacher_id")
    assert max(r["p"] for r in loads) <= 30
    # Every class has every subject of its plan assigned to someone.
    assert demo_db.execute("SELECT COUNT(*) FROM timetable_slot WHERE teacher_id IS NULL").fetchone()[0] == 0


def test_flags_and_statuses_are_realistic(demo_db):
    total = demo_db.execute("SELECT COUNT(*) FROM pupil").fetchone()[0]
    share = lambda flag: demo_db.execute(f"SELECT AVG({flag}) FROM pupil").fetchone()[0]  # noqa: E731
    assert 0.25 < share("left_behind") < 0.5
    assert 0.05 < share("boarding") < 0.4
    assert demo_db.execute("SELECT COUNT(*) FROM pupil p JOIN school s ON s.id = p.school_id"
                           " WHERE s.type = '教学点' AND p.boarding = 1").fetchone()[0] == 0
    statuses = {r["status"]: r["n"] for r in _q(demo_db, "SELECT status, COUNT(*) AS n FROM pupil GROUP BY status")}
    assert statuses["在读"] > 0.9 * total and statuses.get("转入", 0) > 0
    # a few pupils left after the mid-term (控辍保学 has something to show), each with a dated reason;
    # one more left and came back after a home visit
    assert statuses.get("流失", 0) == 3
    left = _q(demo_db, "SELECT x.date, x.note FROM pupil_status_change x JOIN pupil p ON p.id = x.pupil_id"
                       " WHERE p.status = '流失' AND x.status = '流失'")
    assert len(left) == 3 and all(r["note"] and "2026-11-12" < r["date"] <= "2026-11-16" for r in left)
    back = _q(demo_db, "SELECT p.status FROM pupil p WHERE p.id IN"
                       " (SELECT pupil_id FROM pupil_status_change WHERE status = '流失')")
    assert sorted(r["status"] for r in back) == ["在读", "流失", "流失", "流失"]


def test_exams_marks_are_correlated_and_classes_differ(demo_db):
    exams = {r["type"]: r for r in _q(demo_db, "SELECT e.*, t.code AS term FROM exam e JOIN term t ON t.id = e.term_id")}
    assert exams["期末"]["term"] == "2025-2026-2"
    assert exams["月考"]["term"] == exams["统考"]["term"] == "2026-2027-1"
    pairs = _q(demo_db, "SELECT a.score AS x, b.score AS y FROM mark a JOIN mark b ON b.pupil_id = a.pupil_id"
                        " AND b.subject_id = a.subject_id JOIN subject s ON s.id = a.subject_id"
                        " WHERE a.exam_id = ? AND b.exam_id = ? AND s.name = '语文' AND a.status = '正常'"
                        " AND b.status = '正常'", [exams["月考"]["id"], exams["统考"]["id"]])
    assert len(pairs) > 700
    assert statistics.correlation([p["x"] for p in pairs], [p["y"] for p in pairs]) > 0.5
    means = [r["m"] for r in _q(demo_db, "SELECT AVG(score) AS m FROM mark m JOIN subject s ON s.id = m.subject_id"
                                         " WHERE exam_id = ? AND s.name = '数学' GROUP BY class_id",
                                [exams["统考"]["id"]])]
    assert max(means) - min(means) > 5
    absent = demo_db.execute("SELECT COUNT(*) FROM mark WHERE status = '缺考'").fetchone()[0]
    assert absent > 0
    # Last year's final is recorded against last year's class and grade.
    assert demo_db.execute("SELECT COUNT(*) FROM mark m JOIN pupil p ON p.id = m.pupil_id WHERE m.exam_id = ?"
                           " AND m.grade != p.grade - 1", [exams["期末"]["id"]]).fetchone()[0] == 0
    assert demo_db.execute("SELECT COUNT(*) FROM mark m JOIN class c ON c.id = m.class_id"
                           " JOIN academic_year y ON y.id = c.academic_year_id WHERE m.exam_id = ?"
                           " AND y.code != '2025-2026'", [exams["期末"]["id"]]).fetchone()[0] == 0


def test_same_seed_same_data_other_seed_other_data(tmp_path):
    generate(tmp_path / "a.sqlite", seed=7)
    generate(tmp_path / "b.sqlite", seed=7)
    generate(tmp_path / "c.sqlite", seed=8)
    sql = ("SELECT p.id, p.name, p.student_no, m.score FROM mark m JOIN pupil p ON p.id = m.pupil_id"
           " ORDER BY m.id LIMIT 500")
    routine = ("SELECT id, observer_id, teacher_id, class_id, date, ratings, score, notes FROM lesson_observation"
               " UNION ALL SELECT id, checker_id, teacher_id, link, date, scores, total, notes FROM routine_check"
               " ORDER BY 1")
    dumps = []
    for name in ("a", "b", "c"):
        db = open_database(tmp_path / f"{name}.sqlite")
        dumps.append((_q(db, sql), _q(db, routine)))
        db.close()
    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]


def test_school_databases_hold_exactly_their_school(demo_dir, demo_db):
    for school in _q(demo_db, "SELECT id, code FROM school"):
        own = open_database(demo_dir / "schools" / f"{school['code']}.sqlite")
        try:
            assert own.execute("SELECT value FROM meta WHERE key = 'kind'").fetchone()[0] == "school"
            for table in ("pupil", "mark", "timetable_slot", "teaching_assignment", "lesson_observation",
                          "routine_check"):
                ours = demo_db.execute(f"SELECT COUNT(*), TOTAL(rowid) FROM {table} WHERE school_id = ?",
                                       [school["id"]]).fetchone()[0]
                assert own.execute(f"SELECT COUNT(*) FROM {table} WHERE school_id = ?",
                                   [school["id"]]).fetchone()[0] == ours
            same = own.execute("SELECT COUNT(*) FROM pupil").fetchone()[0]
            assert same == demo_db.execute("SELECT COUNT(*) FROM pupil WHERE school_id = ?", [school["id"]]).fetchone()[0]
            assert own.execute("SELECT fingerprint FROM school_key").fetchone()[0]
        finally:
            own.close()


def test_cli_demo_and_info(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "d.sqlite")]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "d.sqlite"), "--json"]) == 0
    import json
    info = json.loads(capsys.readouterr().out)
    assert {k: info[k] for k in ("schools", "exams")} == {"schools": 6, "exams": 3}
    assert info["classes"] == 31 and 800 <= info["pupils"] <= 950 and info["marks"] > 10000
    assert main(["demo", str(tmp_path / "d.sqlite")]) == 2
    assert "已存在" in capsys.readouterr().err


def test_demo_follows_the_rules_it_enforces(demo_db):
    """音乐、美术、体育 are 等级 subjects; no group of grade 1 or 2 carries a rank; no grade sits more
    unified exams in a term than the default limits allow."""
    from app.services.exam_limits import unified_exam_counts
    from app.stats.groups import group_stats
    graded = {r[0]: (r[1], r[2]) for r in demo_db.execute(
        "SELECT DISTINCT s.name, es.assessment, es.levels FROM exam_subject es JOIN subject s ON s.id = es.subject_id"
        " WHERE s.name IN ('音乐', '美术', '体育与健康')")}
    assert graded and all(v == ("等级", "A/B/C") for v in graded.values())
    midterm = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    for level in ("class", "grade"):
        records = group_stats(demo_db, midterm, level)
        assert all(r["rank"] is None for r in records if r["grade"] in (1, 2))
        assert any(r["rank"] is not None for r in records if r["grade"] == 3)
        assert all(r["grades"] and r["mean"] is None for r in records if r["subject"] in graded)
    for term in demo_db.execute("SELECT id FROM term"):
        assert not [c for c in unified_exam_counts(demo_db, term[0]) if c["over"]]
