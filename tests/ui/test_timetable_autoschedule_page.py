"""自动排课 in the 课表 page: the dialog solves the demo's teaching point, shows the week and the
score, saves; locking a lesson shows it locked and keeps it through the next run; FET files go
out and come back through the same dialog."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog

from app.db.database import open_database
from app.services.users import login
from app.timetable.check import check_timetable
from ui.pages.timetable_generate import GenerateDialog
from ui.pages.timetable_page import TimetablePage
from ui.main import install_font
from ui.session import Session
from ui.tasks import TaskManager
from ui_helpers import when_modal

SHOTS = Path("/tmp/schoolq-shots")


@pytest.fixture
def page(demo_session, show_page):
    return show_page(TimetablePage(demo_session))


def _school(page, code: str) -> str:
    school_id = page.session.db.execute("SELECT id FROM school WHERE code = ?", [code]).fetchone()[0]
    page.school_combo.setCurrentIndex(page.school_combo.findData(school_id))
    return school_id


def test_generate_dialog_shows_the_week_and_score_then_saves(page, demo_session, qtbot, boxes):
    school_id = _school(page, "QSZ04")
    install_font(QApplication.instance())  # as ui.main does: Chinese drawn with the shipped font
    dialog = GenerateDialog(demo_session, school_id, page)
    dialog.scope.setCurrentIndex(dialog.scope.findData("school"))
    dialog.limit.setValue(5)
    dialog.show()
    dialog.start()
    assert dialog.result is not None and dialog.result.ok()
    assert dialog.save_button.isEnabled() and not dialog.stop_button.isEnabled()
    assert "硬性违规 0 条" in dialog.score.text() and "学生空节 0" in dialog.score.text()
    model = dialog.grid_model
    texts = [model.index(r, c).data() or "" for r in range(model.rowCount()) for c in range(model.columnCount())]
    lessons = [t for t in texts if "\n" in t]
    classes = dialog.class_combo.count()
    assert classes == 2 and len(lessons) in (26, 30)
    SHOTS.mkdir(exist_ok=True)
    dialog.resize(1024, 700)
    dialog.grab().save(str(SHOTS / "generate-dialog.png"))
    dialog.save()
    assert dialog.saved and boxes.shown[-1][1] == "已保存"
    assert check_timetable(demo_session.db, school_id=school_id).errors() == []


def test_locking_a_lesson_marks_it_and_keeps_it(page, demo_session):
    school_id = _school(page, "QSZ04")
    page.view_combo.setCurrentIndex(page.view_combo.findData("class"))
    class_id = page.item_combo.currentData()
    day, slot = demo_session.db.execute("SELECT day, slot FROM timetable_slot WHERE class_id = ? ORDER BY day, slot"
                                        " LIMIT 1", [class_id]).fetchone()
    before = demo_session.db.execute("SELECT subject_id, teacher_id FROM timetable_slot WHERE class_id = ? AND day = ?"
                                     " AND slot = ?", [class_id, day, slot]).fetchone()
    page.lock_cell(class_id, day, slot, True)
    page.refresh()
    model = page.grid_model
    row = next(i for i, r in enumerate(model.grid.rows) if r.slot == slot)
    assert model.index(row, model.grid.days.index(day)).data().endswith("(锁定)")
    dialog = GenerateDialog(demo_session, school_id, page)
    dialog.scope.setCurrentIndex(dialog.scope.findData("school"))
    dialog.limit.setValue(5)
    dialog.start()
    dialog.save()
    assert demo_session.db.execute("SELECT subject_id, teacher_id FROM timetable_slot WHERE class_id = ? AND day = ?"
                                   " AND slot = ?", [class_id, day, slot]).fetchone() == before


@pytest.mark.skipif(shutil.which("fet-cl") is None, reason="FET (fet-cl) is not installed: apt-get install fet")
def test_fet_export_and_import_from_the_page(page, demo_session, tmp_path, monkeypatch, boxes):
    import subprocess

    _school(page, "QSZ02")  # a township database exports (and imports) the whole township
    out = tmp_path / "油溪.fet"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    page.export_fet()
    assert out.is_file() and boxes.shown[-1][1] == "已导出"
    subprocess.run(["fet-cl", f"--inputfile={out}", f"--outputdir={tmp_path / 'fet'}", "--timelimitseconds=60",
                    "--htmllevel=0"], capture_output=True, timeout=120)
    solved = tmp_path / "fet" / "timetables" / "油溪" / "油溪_data_and_timetable.fet"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(solved), ""))
    seen = {}

    def look(dialog) -> None:
        seen["score"] = dialog.score.text()
        seen["title"] = dialog.windowTitle()
        dialog.save()

    errors = when_modal(look)
    page.import_fet()
    assert errors == []
    assert seen["title"] == "导入 FET 课表" and "硬性违规 0 条" in seen["score"]
    assert check_timetable(demo_session.db).errors() == []


def test_stop_keeps_the_best_timetable_found_so_far(demo_path, boxes, qapp, qtbot):
    tasks = TaskManager()  # the real background worker: the window stays live while CP-SAT runs
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    school_id = db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    dialog = GenerateDialog(session, school_id)
    try:
        dialog.scope.setCurrentIndex(dialog.scope.findData("school"))
        dialog.limit.setValue(600)
        dialog.start()
        assert dialog.stop_button.isEnabled() and not dialog.start_button.isEnabled()
        qtbot.waitUntil(lambda: dialog.shared["best"] is not None, timeout=120_000)
        qtbot.waitUntil(lambda: "目前最好得分" in dialog.state.text(), timeout=5_000)
        dialog.stop()
        qtbot.waitUntil(lambda: dialog.result is not None, timeout=60_000)
        result = dialog.result
        assert result.outcome.stopped and result.outcome.seconds < 600 and result.ok()
        assert dialog.save_button.isEnabled() and "硬性违规 0 条" in dialog.score.text()
    finally:
        dialog.stop_event.set()  # a run still going stops, so the worker can end
        tasks.shutdown()
        db.close()
