"""The one cache (app.stats.cache): the same figures until anything is written, by this connection
or another."""
from __future__ import annotations

from app.db.database import open_database
from app.stats.cache import kept, peek
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
