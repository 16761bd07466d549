"""Remembered figures: the same figures until anything is committed, by this connection or another."""
from __future__ import annotations

from app.db.database import open_database
from app.queries.remembered import exam_group_stats, remembered
from app.stats.groups import all_group_stats
from app.stats.presets import active_preset


def test_a_value_is_computed_again_after_any_commit(demo_db, demo_path):
    computed = []

    def compute():
        computed.append(len(computed) + 1)
        return computed[-1]

    assert remembered(demo_db, "k", compute) == 1
    assert remembered(demo_db, "k", compute) == 1
    demo_db.execute("UPDATE school SET address = '青山路 1 号' WHERE code = 'QSZ01'")  # this connection
    assert remembered(demo_db, "k", compute) == 2
    other = open_database(demo_path)
    try:
        with other.conn:  # another connection, as another program would
            other.execute("UPDATE school SET address = '青山路 2 号' WHERE code = 'QSZ01'")
    finally:
        other.close()
    assert remembered(demo_db, "k", compute) == 3
    assert remembered(demo_db, "k", compute) == 3


def test_exam_figures_are_those_of_the_statistics_engine(demo_db):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    preset = active_preset(demo_db, "quality")
    first = exam_group_stats(demo_db, exam_id, preset)
    assert exam_group_stats(demo_db, exam_id, preset) is first
    assert first == all_group_stats(demo_db, exam_id, preset=preset)
