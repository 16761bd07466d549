"""An exam's county-wide figures computed ahead (app.stats.prepare): after a change to its marks, the
window computes them on its worker, so the first school report finds the township's figures, every
group's rank and the value-added fit stored — and they are those of the changed marks, not of before."""
from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.marks.entry import set_mark
from app.reports import build_report, write_report
from app.services.exams import create_exam
from app.stats import groups, progress
from app.stats.prepare import changed_exams, newest_change, prepare_changed, prepare_exam
from report_helpers import copy_demo, exam_ids, roster_figures

MADE = dt.datetime(2026, 11, 20, 9, 30)


@pytest.fixture
def db(demo_template, tmp_path):
    db = copy_demo(demo_template, tmp_path / "db")
    yield db
    db.close()


def _township_mean(db, exams: dict, path) -> float:
    """Return 全乡平均分 of 三年级 数学 in QSZ01's 考试质量分析报告 of the midterm."""
    report = build_report(db, "exam-school", exams["统考"], school="QSZ01", baseline=exams["期末"], made=MADE)
    header, *rows = load_workbook(write_report(report, path))["各年级三率一分"].iter_rows(values_only=True)
    return next(dict(zip(header, r)) for r in rows if r[0] == "三年级" and r[1] == "数学")["全乡平均分"]


def _zero_a_mark_of_qsz02(db, exam_id: str) -> None:
    """Set to 0 a scored 三年级 数学 mark at QSZ02, another school of QSZ01's township, as 成绩录入 does."""
    pupil_id, subject_id = db.execute(
        "SELECT m.pupil_id, m.subject_id FROM mark m JOIN school s ON s.id = m.school_id"
        " JOIN subject j ON j.id = m.subject_id WHERE m.exam_id = ? AND s.code = 'QSZ02' AND m.grade = 3"
        " AND j.name = '数学' AND m.status = '正常' AND m.score > 10 ORDER BY m.pupil_id LIMIT 1",
        [exam_id]).fetchone()
    set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value="0")


def _count_county_work(monkeypatch) -> list[str]:
    """Return the list every computation over the whole county appends its name to."""
    done: list[str] = []
    levels, ranks, fit = groups._kept_levels, groups._county_ranks, progress._fit
    monkeypatch.setattr(groups, "_kept_levels", lambda *a: done.append("levels") or levels(*a))
    monkeypatch.setattr(groups, "_county_ranks", lambda *a: done.append("ranks") or ranks(*a))
    monkeypatch.setattr(progress, "_fit", lambda *a: done.append("fit") or fit(*a))
    return done


def test_the_exams_changed_are_those_whose_marks_or_definition_changed(db):
    exams = exam_ids(db)
    start = newest_change(db)
    assert changed_exams(db, start) == []
    with db.conn:
        db.execute("UPDATE teacher SET name = name || '老师' WHERE rowid = 1")
    assert changed_exams(db, start) == []  # a teacher's name is in no exam's figures
    _zero_a_mark_of_qsz02(db, exams["统考"])
    assert changed_exams(db, start) == [exams["统考"]]
    with db.conn:  # the 月考's full marks of one subject (a row of exam_subject)
        db.execute("UPDATE exam_subject SET full_marks = full_marks + 20 WHERE exam_id = ? AND rowid ="
                   " (SELECT MIN(rowid) FROM exam_subject WHERE exam_id = ?)", [exams["月考"], exams["月考"]])
    assert changed_exams(db, start) == [exams["月考"], exams["统考"]]  # oldest exam first
    assert changed_exams(db, newest_change(db)) == []


def test_after_a_change_the_first_report_of_a_later_process_finds_the_figures_of_the_changed_marks(
        db, tmp_path, monkeypatch):
    exams = exam_ids(db)
    before = _township_mean(db, exams, tmp_path / "before.xlsx")
    since = newest_change(db)
    _zero_a_mark_of_qsz02(db, exams["统考"])
    head, done, refused = prepare_changed(db, since)  # what the window's worker does after the change
    assert (head, done, refused) == (newest_change(db), [exams["统考"]], [])

    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    later = open_database(path)  # as `schoolq report` would: nothing kept in memory for this connection
    county_work = _count_county_work(monkeypatch)
    try:
        after = _township_mean(later, exams, tmp_path / "after.xlsx")
        township = roster_figures(later, exams["统考"], "数学", grade=3)  # from the mark rows, by hand
    finally:
        later.close()
    assert county_work == []  # ranks, township figures and the fit were stored by the preparation
    assert after == pytest.approx(township["mean"]) and after < before


def test_after_preparing_a_report_in_the_same_process_computes_nothing_over_the_county(db, tmp_path, monkeypatch):
    exams = exam_ids(db)
    since = newest_change(db)
    _zero_a_mark_of_qsz02(db, exams["统考"])
    prepare_changed(db, since)
    county_work = _count_county_work(monkeypatch)
    after = _township_mean(db, exams, tmp_path / "after.xlsx")
    assert county_work == []
    assert after == pytest.approx(roster_figures(db, exams["统考"], "数学", grade=3)["mean"])


def test_an_exam_without_marks_or_a_cancelled_preparation_computes_nothing(db, monkeypatch):
    exams = exam_ids(db)
    county_work = _count_county_work(monkeypatch)
    empty = create_exam(db, SYSTEM, name="三年级单元测试", type="单元", grades="3", subjects="语文:100")
    assert prepare_exam(db, empty) is False
    since = newest_change(db)
    _zero_a_mark_of_qsz02(db, exams["统考"])
    assert prepare_changed(db, since, cancelled=lambda: True) == (since, [], [])  # asked again next time
    assert county_work == []


def test_on_opening_the_current_terms_exams_changed_elsewhere_are_prepared(db, tmp_path, monkeypatch):
    from app.stats.prepare import prepare_term

    exams = exam_ids(db)
    _township_mean(db, exams, tmp_path / "first.xlsx")  # what lasts is stored
    _zero_a_mark_of_qsz02(db, exams["统考"])  # then changed, as `schoolq import-marks` would
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    opened = open_database(path)  # the window opening the database
    try:
        # The demo's current term holds the 统考 (12 Nov) and the 月考 (16 Oct); last year's 期末 is not in it.
        assert prepare_term(opened) == ([exams["统考"], exams["月考"]], [])
    finally:
        opened.close()
    later = open_database(path)
    county_work = _count_county_work(monkeypatch)
    try:
        after = _township_mean(later, exams, tmp_path / "after.xlsx")
        assert after == pytest.approx(roster_figures(later, exams["统考"], "数学", grade=3)["mean"])
    finally:
        later.close()
    assert county_work == []


def test_after_a_backup_is_put_back_the_terms_exams_are_prepared_from_its_marks(db, tmp_path, monkeypatch):
    from app.services.backups import make_backup, restore_backup
    from app.services.users import actor_for

    exams = exam_ids(db)
    admin = actor_for(db, "admin")
    backup = make_backup(db, admin, tmp_path / "backups")
    before = _township_mean(db, exams, tmp_path / "before.xlsx")
    for _ in range(3):  # changes made after the backup, prepared as the window would
        _zero_a_mark_of_qsz02(db, exams["统考"])
    since, _done, _refused = prepare_changed(db, newest_change(db) - 1)
    restore_backup(db, admin, backup)  # the change_log put back ends before `since`
    assert newest_change(db) < since
    head, done, refused = prepare_changed(db, since)
    assert (head, done, refused) == (newest_change(db), [exams["统考"], exams["月考"]], [])
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    later = open_database(path)
    county_work = _count_county_work(monkeypatch)
    try:
        after = _township_mean(later, exams, tmp_path / "after.xlsx")
    finally:
        later.close()
    assert county_work == [] and after == before  # the backup's marks, without the zeros
