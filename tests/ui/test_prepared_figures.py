"""After marks change in the window, the changed exam's county-wide figures are computed on the worker
(app.stats.prepare, Session.notify_changed): the next report does not wait for the whole county, and
shows the changed marks. A failure there is logged, never shown: the report itself would say why."""
from __future__ import annotations

import logging

import pytest

from app.db.database import open_database
from app.marks.entry import set_mark
from app.services.users import login
from app.stats import groups, prepare, progress
from app.stats.groups import school_group_stats
from ui.session import Changed, Session
from ui.tasks import TaskManager


def _qsz02_mark(db, exam_id: str) -> tuple[str, str, float]:
    """Return (pupil_id, subject_id, score) of a scored 三年级 数学 mark at QSZ02."""
    return db.execute(
        "SELECT m.pupil_id, m.subject_id, m.score FROM mark m JOIN school s ON s.id = m.school_id"
        " JOIN subject j ON j.id = m.subject_id WHERE m.exam_id = ? AND s.code = 'QSZ02' AND m.grade = 3"
        " AND j.name = '数学' AND m.status = '正常' AND m.score > 10 ORDER BY m.pupil_id LIMIT 1",
        [exam_id]).fetchone()


def _township_math_mean(db, exam_id: str) -> float:
    """Return the township's 三年级 数学 mean as QSZ01's report reads it (school_group_stats)."""
    township = school_group_stats(db, exam_id, "QSZ01")["township"]
    return next(r["mean"] for r in township if r["grade"] == 3 and r["subject"] == "数学")


def test_a_mark_saved_in_the_window_has_its_exams_figures_ready_for_the_next_report(
        demo_path, make_window, qtbot, boxes, monkeypatch):
    tasks = TaskManager()
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    exam_id = db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    pupil_id, subject_id, score = _qsz02_mark(db, exam_id)
    values = [score if status == "正常" else 0.0 for status, score in db.execute(  # by hand, from the rows
        "SELECT m.status, m.score FROM mark m JOIN subject j ON j.id = m.subject_id WHERE m.exam_id = ?"
        " AND m.grade = 3 AND j.name = '数学' AND m.status != '免考'", [exam_id])]
    try:
        window = make_window(session)
        session.write(set_mark, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value="0")
        session.notify_changed(Changed.MARKS)  # what 成绩录入 does when the user leaves it
        qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=30_000)
    finally:
        window.close()
        tasks.shutdown()
    later = open_database(demo_path)  # the next `schoolq report` (or a reopened window)
    computed = []
    ranks, fit = groups._county_ranks, progress._fit
    monkeypatch.setattr(groups, "_county_ranks", lambda *a: computed.append("ranks") or ranks(*a))
    monkeypatch.setattr(progress, "_fit", lambda *a: computed.append("fit") or fit(*a))
    try:
        mean = _township_math_mean(later, exam_id)
    finally:
        later.close()
    assert computed == []
    assert mean == pytest.approx((sum(values) - score) / len(values))  # the zero is in it
    assert boxes.shown == []


def test_a_failure_while_preparing_is_logged_and_shown_to_no_one(demo_session, boxes, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("坏了")

    monkeypatch.setattr(prepare, "prepare_exam", broken)
    exam_id = demo_session.db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    pupil_id, subject_id, _score = _qsz02_mark(demo_session.db, exam_id)
    demo_session.write(set_mark, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value="1")
    with caplog.at_level(logging.WARNING, logger="schoolq"):
        demo_session.notify_changed(Changed.MARKS)
    assert boxes.shown == []
    assert "预先计算考试统计未完成" in caplog.text


def test_opening_a_database_changed_outside_the_window_prepares_its_terms_figures(
        demo_path, make_window, qtbot, boxes, monkeypatch):
    from app.db.writes import SYSTEM

    outside = open_database(demo_path)  # `schoolq import-marks`, before the window opens
    exam_id = outside.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    _township_math_mean(outside, exam_id)  # what lasts is stored, then made old by a change
    pupil_id, subject_id, _score = _qsz02_mark(outside, exam_id)
    set_mark(outside, SYSTEM, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value="0")
    outside.close()
    tasks = TaskManager()
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    try:
        window = make_window(session)
        session.prepare_on_open()  # what ui.main and 文件 › 打开数据库 do once the window shows
        qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=30_000)
    finally:
        window.close()
        tasks.shutdown()
    later = open_database(demo_path)
    computed = []
    ranks = groups._county_ranks
    monkeypatch.setattr(groups, "_county_ranks", lambda *a: computed.append("ranks") or ranks(*a))
    try:
        _township_math_mean(later, exam_id)
    finally:
        later.close()
    assert computed == [] and boxes.shown == []
