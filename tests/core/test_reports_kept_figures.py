"""One school's 考试质量分析报告 reads only that school where it can (its trend over earlier exams, the
pairs its value-added is built from) and keeps what needs every school — the exam's figures with
ranks and township means, the value-added fit — while the database is unchanged (app.stats.cache).
None of it may change a figure: the workbook's cells are the same whether the figures were computed
afresh, kept from an earlier report, or gathered the old way (every school read, nothing kept); and
a mark changed after a report shows in the next one."""
from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.marks.entry import set_mark
from app.reports import build_report, common, exam_school, township, write_report
from app.stats import frame, groups, progress
from report_helpers import copy_demo, exam_ids, roster_figures

MADE = dt.datetime(2026, 11, 20, 9, 30)


def _cells(db, exams: dict, school: str, path) -> dict[str, list[tuple]]:
    report = build_report(db, "exam-school", exams["统考"], school=school, baseline=exams["期末"], made=MADE)
    book = load_workbook(write_report(report, path))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def _grade_row(cells: dict, grade: str, subject: str) -> dict:
    header, *rows = cells["各年级三率一分"]
    return next(dict(zip(header, r)) for r in rows if r[0] == grade and r[1] == subject)


@pytest.fixture
def db(demo_template, tmp_path):
    db = copy_demo(demo_template, tmp_path / "db")
    yield db
    db.close()


def test_kept_and_scoped_figures_leave_every_cell_unchanged(db, tmp_path, monkeypatch):
    exams = exam_ids(db)
    first = _cells(db, exams, "QSZ01", tmp_path / "first.xlsx")
    other = _cells(db, exams, "QSZ04", tmp_path / "other.xlsx")  # another school's report in between
    again = _cells(db, exams, "QSZ01", tmp_path / "again.xlsx")
    assert again == first
    assert other != first and _grade_row(other, "三年级", "数学")["全乡平均分"] == \
        _grade_row(first, "三年级", "数学")["全乡平均分"]

    # The old way: nothing kept, every school's marks read for the exam's figures (and the school's
    # records taken from them), the trend and the value-added pairs.
    load_all = frame.load_cells
    monkeypatch.setattr(exam_school, "school_group_stats", lambda d, exam_id, code, preset=None: {
        level: [r for r in groups.all_group_stats(d, exam_id, preset=preset)[level]
                if level == "township" or r["school_code"] == code] for level in groups.LEVELS})
    monkeypatch.setattr(groups, "kept", lambda _db, _key, compute, exams=None: compute())
    monkeypatch.setattr(groups, "lasting", lambda _db, _key, compute, exams: compute())
    monkeypatch.setattr(progress, "lasting", lambda _db, _key, compute, exams: compute())
    monkeypatch.setattr(groups, "load_cells", lambda d, exam_id, preset=None, school_ids=None:
                        load_all(d, exam_id, preset))
    residual_rows = progress._residual_rows
    monkeypatch.setattr(progress, "_residual_rows", lambda d, exam_id, baseline_id, inside: [
        r for r in residual_rows(d, exam_id, baseline_id, None) if inside is None or r["school_id"] in inside])
    old_way = _cells(db, exams, "QSZ01", tmp_path / "old-way.xlsx")
    assert old_way == first
    assert sum(len(rows) for rows in first.values()) > 300  # every sheet of the report was compared


def _other_schools_mark(db, exam_id):
    """Return (pupil_id, subject_id) of a scored 三年级 数学 mark at QSZ02, another school of QSZ01's township."""
    return db.execute(
        "SELECT m.pupil_id, m.subject_id FROM mark m JOIN school s ON s.id = m.school_id"
        " JOIN subject j ON j.id = m.subject_id WHERE m.exam_id = ? AND s.code = 'QSZ02' AND m.grade = 3"
        " AND j.name = '数学' AND m.status = '正常' AND m.score > 10 ORDER BY m.pupil_id LIMIT 1",
        [exam_id]).fetchone()

def test_a_mark_changed_after_a_report_shows_in_the_next(db, tmp_path):
    exams = exam_ids(db)
    before = _cells(db, exams, "QSZ01", tmp_path / "before.xlsx")
    # A pupil of another school of the township: only the township's figures (全乡平均分) can move.
    pupil_id, subject_id = _other_schools_mark(db, exams["统考"])
    set_mark(db, SYSTEM, exam_id=exams["统考"], pupil_id=pupil_id, subject_id=subject_id, value="0")
    after = _cells(db, exams, "QSZ01", tmp_path / "after.xlsx")

    township = roster_figures(db, exams["统考"], "数学", grade=3)
    assert _grade_row(after, "三年级", "数学")["全乡平均分"] == pytest.approx(township["mean"])
    assert _grade_row(after, "三年级", "数学")["全乡平均分"] < _grade_row(before, "三年级", "数学")["全乡平均分"]
    assert _grade_row(after, "三年级", "数学")["平均分"] == _grade_row(before, "三年级", "数学")["平均分"]
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    fresh = open_database(path)  # nothing kept: computed afresh from the changed marks
    try:
        assert _cells(fresh, exams, "QSZ01", tmp_path / "fresh.xlsx") == after
    finally:
        fresh.close()


def test_a_later_process_reads_only_the_school_and_prints_the_same_cells(db, tmp_path, monkeypatch):
    exams = exam_ids(db)
    first = _cells(db, exams, "QSZ01", tmp_path / "first.xlsx")  # computes the county, and stores what lasts
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    later = open_database(path)  # as a new process would: nothing kept in memory for this connection
    computed_afresh = []
    every_school, ranks = groups._kept_levels, groups._county_ranks
    monkeypatch.setattr(groups, "_kept_levels", lambda *a: computed_afresh.append(a) or every_school(*a))
    monkeypatch.setattr(groups, "_county_ranks", lambda *a: computed_afresh.append(a) or ranks(*a))
    fit = progress._fit
    monkeypatch.setattr(progress, "_fit", lambda *a: computed_afresh.append(a) or fit(*a))
    try:
        assert _cells(later, exams, "QSZ01", tmp_path / "later.xlsx") == first
        assert computed_afresh == []  # the ranks, the township figures and the fit came from the file
        # Any write and what lasted no longer matches: the county is computed again, here from a
        # changed mark of another school of the township.
        pupil_id, subject_id = later.execute(
            "SELECT m.pupil_id, m.subject_id FROM mark m JOIN school s ON s.id = m.school_id"
            " WHERE m.exam_id = ? AND s.code = 'QSZ02' AND m.status = '正常' AND m.score > 10"
            " ORDER BY m.pupil_id LIMIT 1", [exams["统考"]]).fetchone()
        set_mark(later, SYSTEM, exam_id=exams["统考"], pupil_id=pupil_id, subject_id=subject_id, value="0")
        after = _cells(later, exams, "QSZ01", tmp_path / "after.xlsx")
        assert computed_afresh and after != first
    finally:
        later.close()
    fresh = open_database(path)
    try:
        assert _cells(fresh, exams, "QSZ01", tmp_path / "fresh.xlsx") == after
    finally:
        fresh.close()


def _township_cells(db, exams: dict, path) -> dict[str, list[tuple]]:
    report = build_report(db, "township", exams["统考"], baseline=exams["期末"], made=MADE)
    book = load_workbook(write_report(report, path))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_township_summary_reads_only_its_schools_and_prints_the_same_cells(db, tmp_path, monkeypatch):
    exams = exam_ids(db)
    read = []
    load = groups.load_cells
    monkeypatch.setattr(groups, "load_cells", lambda d, exam_id, preset=None, school_ids=None:
                        read.append(school_ids) or load(d, exam_id, preset, school_ids=school_ids))
    scoped = _township_cells(db, exams, tmp_path / "scoped.xlsx")
    township_schools = {r[0] for r in db.execute("SELECT id FROM school WHERE township_id IS NOT NULL")}
    assert read and all(ids is not None and set(ids) == township_schools for ids in read)  # this exam and the trend's

    # The old way: every school's figures of the exam, kept, the township's taken from them.
    monkeypatch.setattr(groups, "load_cells", load)
    monkeypatch.setattr(township, "group_stats_of_schools",
                        lambda d, exam_id, ids, levels, preset=None: groups.all_group_stats(d, exam_id, preset=preset))
    assert _township_cells(db, exams, tmp_path / "old-way.xlsx") == scoped
    assert len(scoped["全乡各年级"]) > 10 and len(scoped["各校三率一分"]) > 3


def test_a_change_to_another_exam_keeps_what_lasts_and_one_to_this_exam_shows_next(db, tmp_path, monkeypatch):
    exams = exam_ids(db)
    first = _cells(db, exams, "QSZ01", tmp_path / "first.xlsx")  # computes the county, and stores what lasts
    # Another exam's mark, and a teacher's name: nothing the midterm's stored figures read.
    pupil_id, subject_id = db.execute(
        "SELECT m.pupil_id, m.subject_id FROM mark m JOIN school s ON s.id = m.school_id"
        " WHERE m.exam_id = ? AND s.code = 'QSZ02' AND m.status = '正常' AND m.score > 10"
        " ORDER BY m.pupil_id LIMIT 1", [exams["月考"]]).fetchone()
    set_mark(db, SYSTEM, exam_id=exams["月考"], pupil_id=pupil_id, subject_id=subject_id, value="0")
    with db.conn:
        db.execute("UPDATE teacher SET name = name || '老师' WHERE rowid = 1")
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    later = open_database(path)  # as a new process would: nothing kept in memory for this connection
    computed_afresh = []
    ranks, fit, data_hash = groups._county_ranks, progress._fit, common._data_hash
    monkeypatch.setattr(groups, "_county_ranks", lambda *a: computed_afresh.append("ranks") or ranks(*a))
    monkeypatch.setattr(progress, "_fit", lambda *a: computed_afresh.append("fit") or fit(*a))
    monkeypatch.setattr(common, "_data_hash", lambda *a: computed_afresh.append("hash") or data_hash(*a))
    try:
        assert _cells(later, exams, "QSZ01", tmp_path / "later.xlsx") == first
        assert computed_afresh == []
        # A mark of the midterm at another school of the township: the ranks, the township's figures,
        # the fit and the data check are computed again, and the township's mean shows the zero.
        pupil_id, subject_id = _other_schools_mark(later, exams["统考"])
        set_mark(later, SYSTEM, exam_id=exams["统考"], pupil_id=pupil_id, subject_id=subject_id, value="0")
    finally:
        later.close()
    fresh = open_database(path)
    try:
        after = _cells(fresh, exams, "QSZ01", tmp_path / "after.xlsx")
        township = roster_figures(fresh, exams["统考"], "数学", grade=3)
    finally:
        fresh.close()
    assert sorted(set(computed_afresh)) == ["fit", "hash", "ranks"]
    assert _grade_row(after, "三年级", "数学")["全乡平均分"] == pytest.approx(township["mean"])
    assert _grade_row(after, "三年级", "数学")["全乡平均分"] < _grade_row(first, "三年级", "数学")["全乡平均分"]
