"""The one cache (app.stats.cache): the same figures until anything is written, by this connection
or another."""
from __future__ import annotations

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.marks.entry import set_mark
from app.stats.cache import kept, lasting, peek
from app.stats.groups import all_group_stats, shared_group_stats
from app.stats.presets import active_preset


def test_a_value_is_computed_again_after_any_write(demo_db, demo_path):
    computed = []

    def compute():
        computed.append(len(computed) + 1)
        return computed[-1]

    assert peek(demo_db, "k") is None
    assert kept(demo_db, "k", compute) == 1
    assert kept(demo_db, "k", compute) == 1
    assert peek(demo_db, "k") == 1
    demo_db.execute("UPDATE school SET address = '青山路 1 号' WHERE code = 'QSZ01'")  # this connection
    assert peek(demo_db, "k") is None
    assert kept(demo_db, "k", compute) == 2
    other = open_database(demo_path)
    try:
        with other.conn:  # another connection, as another program would
            other.execute("UPDATE school SET address = '青山路 2 号' WHERE code = 'QSZ01'")
    finally:
        other.close()
    assert kept(demo_db, "k", compute) == 3
    assert kept(demo_db, "k", compute) == 3
    assert computed == [1, 2, 3]


def test_a_write_rolled_back_still_computes_afresh(demo_db):
    computed = []
    kept(demo_db, "k", lambda: computed.append("first") or "first")
    try:
        with demo_db.conn:
            demo_db.execute("UPDATE school SET address = '青山路 3 号' WHERE code = 'QSZ01'")
            raise RuntimeError("abandoned")
    except RuntimeError:
        pass
    assert kept(demo_db, "k", lambda: computed.append("second") or "second") == "second"
    assert computed == ["first", "second"]


def test_exam_figures_are_those_of_the_statistics_engine(demo_db):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    preset = active_preset(demo_db, "quality")
    first = shared_group_stats(demo_db, exam_id, preset)
    assert shared_group_stats(demo_db, exam_id, preset) is first
    assert first == all_group_stats(demo_db, exam_id, preset=preset)
    # A mark written afterwards is in the next figures (a pupil's zero lowers the school's mean).
    school = next(r for r in first["grade"] if r["n"] and r["grade"] and r["mean"] and r["mean"] > 5)
    pupil_id, subject_id = demo_db.execute(
        "SELECT m.pupil_id, m.subject_id FROM mark m JOIN school s ON s.id = m.school_id"
        " JOIN subject j ON j.id = m.subject_id WHERE m.exam_id = ? AND s.code = ? AND j.name = ?"
        " AND m.grade = ? AND m.status = '正常' AND m.score > 0 LIMIT 1",
        [exam_id, school["school_code"], school["subject"], school["grade"]]).fetchone()
    demo_db.execute("UPDATE mark SET score = 0 WHERE exam_id = ? AND pupil_id = ? AND subject_id = ?",
                    [exam_id, pupil_id, subject_id])
    after = shared_group_stats(demo_db, exam_id, preset)
    again = next(r for r in after["grade"] if (r["school_code"], r["grade"], r["subject"])
                 == (school["school_code"], school["grade"], school["subject"]))
    assert again["mean"] < school["mean"]


def test_a_lasting_value_outlives_changes_to_what_it_does_not_read(demo_path):
    """A stored value reading one exam stays good across another exam's marks and definition and a
    table no figure reads (a teacher, a timetable slot), in a later process too; this exam's marks, a
    mark moved into or out of it, or a pupil, and it is computed again."""
    db = open_database(demo_path)
    exams = {r[1]: r[0] for r in db.execute("SELECT id, type FROM exam")}
    mine, other = exams["统考"], exams["月考"]
    computed = []

    def value():
        return lasting(db, ("test value", mine), lambda: computed.append(1) or len(computed), exams=[mine])

    def change(sql: str, args: list) -> int:
        with db.conn:
            return db.execute(sql, args).rowcount

    def later_value():  # as a later process: nothing kept in memory for this connection
        fresh = open_database(demo_path)
        try:
            return lasting(fresh, ("test value", mine), lambda: computed.append(1) or len(computed), exams=[mine])
        finally:
            fresh.close()

    assert value() == 1
    assert change("UPDATE mark SET score = score / 2 WHERE exam_id = ? AND status = '正常'", [other]) > 100
    assert change("DELETE FROM mark WHERE rowid IN (SELECT rowid FROM mark WHERE exam_id = ? LIMIT 5)", [other]) == 5
    assert change("UPDATE exam_subject SET pass_pct = 50 WHERE exam_id = ?", [other]) > 0
    assert change("UPDATE exam SET name = name || '(补)' WHERE id = ?", [other]) == 1
    assert change("UPDATE teacher SET name = name || '老师' WHERE rowid = 1", []) == 1
    assert change("DELETE FROM timetable_slot WHERE rowid IN (SELECT rowid FROM timetable_slot LIMIT 1)", []) == 1
    assert value() == 1 and later_value() == 1
    assert computed == [1]

    # A mark of this exam: computed again, then good again.
    assert change("UPDATE mark SET score = 0 WHERE rowid = (SELECT MIN(rowid) FROM mark WHERE exam_id = ?"
                  " AND status = '正常')", [mine]) == 1
    assert later_value() == 2 and value() == 2
    # A mark moved from another exam into this one, and one moved out of it.
    assert change("UPDATE mark SET exam_id = ? WHERE rowid = (SELECT MAX(rowid) FROM mark WHERE exam_id = ?"
                  " AND pupil_id NOT IN (SELECT pupil_id FROM mark WHERE exam_id = ?))", [mine, other, mine]) == 1
    assert value() == 3
    assert change("UPDATE mark SET exam_id = ? WHERE rowid = (SELECT MAX(rowid) FROM mark WHERE exam_id = ?"
                  " AND pupil_id NOT IN (SELECT pupil_id FROM mark WHERE exam_id = ?))", [other, mine, other]) == 1
    assert value() == 4
    # A pupil (the roster every figure counts): computed again.
    assert change("UPDATE pupil SET pe_exempt = 1 WHERE rowid = 1", []) == 1
    assert value() == 5 and later_value() == 5
    assert computed == [1] * 5
    db.close()


def test_an_exams_figures_stay_kept_in_the_process_until_what_they_read_changes(demo_db):
    exams = {r[1]: r[0] for r in demo_db.execute("SELECT id, type FROM exam")}
    preset = active_preset(demo_db, "quality")
    first = shared_group_stats(demo_db, exams["统考"], preset)
    # Another exam's mark and a teacher's name, by this connection: the same figures, not computed again.
    pupil_id, subject_id = demo_db.execute(
        "SELECT pupil_id, subject_id FROM mark WHERE exam_id = ? AND status = '正常' AND score > 10"
        " ORDER BY pupil_id LIMIT 1", [exams["月考"]]).fetchone()
    set_mark(demo_db, SYSTEM, exam_id=exams["月考"], pupil_id=pupil_id, subject_id=subject_id, value="0")
    with demo_db.conn:
        demo_db.execute("UPDATE teacher SET name = name || '老师' WHERE rowid = 1")
    assert shared_group_stats(demo_db, exams["统考"], preset) is first

    # This exam's mark, inside a transaction: computed afresh there (with the zero), and after the
    # rollback the figures are those of before.
    school = next(r for r in first["school"] if r["n"] and r["mean"] and r["subject"] == "数学")
    pupil_id, subject_id = demo_db.execute(
        "SELECT m.pupil_id, m.subject_id FROM mark m JOIN school s ON s.id = m.school_id JOIN subject j"
        " ON j.id = m.subject_id WHERE m.exam_id = ? AND s.code = ? AND j.name = '数学' AND m.status = '正常'"
        " AND m.score > 10 ORDER BY m.pupil_id LIMIT 1", [exams["统考"], school["school_code"]]).fetchone()

    def mean_now() -> float:
        records = shared_group_stats(demo_db, exams["统考"], preset)["school"]
        return next(r["mean"] for r in records if (r["school_code"], r["subject"]) == (school["school_code"], "数学"))

    demo_db.conn.execute("BEGIN")
    demo_db.conn.execute("UPDATE mark SET score = 0 WHERE exam_id = ? AND pupil_id = ? AND subject_id = ?",
                         [exams["统考"], pupil_id, subject_id])
    assert demo_db.conn.in_transaction and mean_now() < school["mean"]
    demo_db.conn.rollback()
    assert mean_now() == school["mean"]
    # Committed, it shows.
    set_mark(demo_db, SYSTEM, exam_id=exams["统考"], pupil_id=pupil_id, subject_id=subject_id, value="0")
    assert mean_now() < school["mean"]


def test_a_lasting_value_is_computed_again_after_each_change_to_what_an_exams_figures_read(demo_path):
    """Each of these changes alters the exam's figures (cut-offs, grades, full marks, policy, a mark
    deleted, the roster, a school's township, the term, the chosen preset, names): each is followed by
    a fresh computation, in this process and in a later one."""
    db = open_database(demo_path)
    mine = db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    computed = []

    def value(on=db):
        return lasting(on, ("test value", mine), lambda: computed.append(1) or len(computed), exams=[mine])

    first_subject = "(SELECT MIN(rowid) FROM exam_subject WHERE exam_id = ?)"
    changes = [
        ("INSERT INTO exam_cutoff (id, exam_id, subject_id, grade, excellent_pct, pass_pct, low_pct, created_at,"
         " updated_at) SELECT 'cut-1', exam_id, subject_id, 6, 90, 70, 30, 'now', 'now' FROM exam_subject"
         f" WHERE rowid = {first_subject}", [mine]),
        ("UPDATE exam_cutoff SET pass_pct = 65 WHERE id = 'cut-1'", []),
        ("DELETE FROM exam_cutoff WHERE id = 'cut-1'", []),
        ("DELETE FROM exam_grade WHERE rowid = (SELECT MIN(rowid) FROM exam_grade WHERE exam_id = ?)", [mine]),
        ("INSERT INTO exam_grade (exam_id, grade) VALUES (?, 9)", [mine]),
        (f"UPDATE exam_subject SET full_marks = 120 WHERE rowid = {first_subject}", [mine]),
        (f"UPDATE exam_subject SET grades = '6' WHERE rowid = {first_subject}", [mine]),
        ("UPDATE exam SET policy = CASE policy WHEN 'sat' THEN 'roster' ELSE 'sat' END WHERE id = ?", [mine]),
        ("DELETE FROM mark WHERE rowid = (SELECT MIN(rowid) FROM mark WHERE exam_id = ?)", [mine]),
        ("UPDATE pupil SET status = '转出' WHERE rowid = 2", []),
        ("UPDATE pupil SET class_id = (SELECT id FROM class WHERE id != pupil.class_id LIMIT 1) WHERE rowid = 3", []),
        ("UPDATE school SET township_id = NULL WHERE rowid = 1", []),
        ("UPDATE term SET end_date = '2030-01-01' WHERE rowid = 1", []),
        ("INSERT INTO meta (key, value) VALUES ('scoring_preset.quality', 'none-such')"
         " ON CONFLICT (key) DO UPDATE SET value = 'none-such'", []),
        ("UPDATE subject SET name = name || '课' WHERE rowid = 1", []),
        ("UPDATE class SET name = name || '甲' WHERE rowid = 1", []),
    ]
    assert value() == 1
    for number, (sql, args) in enumerate(changes, start=2):
        with db.conn:
            assert db.execute(sql, args).rowcount == 1, sql
        later = open_database(demo_path)
        try:
            assert value(later) == number, sql
        finally:
            later.close()
        assert value() == number, sql
    db.close()
