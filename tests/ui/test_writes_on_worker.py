"""The dialogs whose writes ran on the GUI thread now write on the background worker: the window's
own connection is made read-only (PRAGMA query_only), so a write left on it fails the test, and each
write must still be refused or accepted by the service and audited as the logged-in user."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog

from app.db.database import open_database
from app.services.users import login
from app.timetable.edit import day_plan
from app.workload.settings import workload_preset
from conftest import audit_rows
from ui.dialogs.account_dialogs import PassphraseDialog
from ui.pages.routine_dialogs import WorkloadSettingsDialog
from ui.pages.settings_page import SettingsPage
from ui.pages.timetable_dialogs import CellDialog, DayPlanDialog, PlanDialog
from ui.session import Session
from ui.tasks import TaskManager


@pytest.fixture
def session(demo_path, boxes, qapp):
    """The township administrator's session on the demo, its GUI connection unable to write."""
    tasks = TaskManager()
    db = open_database(demo_path)
    actor = login(db, "admin", "demo")
    db.execute("PRAGMA query_only = ON")
    session = Session(demo_path, db, actor, tasks)
    yield session
    session.close()
    tasks.shutdown()


def test_the_gui_connection_of_these_tests_cannot_write(session):
    with pytest.raises(Exception, match="只读"):
        session.db.execute("UPDATE app_user SET display_name = 'x' WHERE username = 'admin'")


def test_change_own_and_reset_a_teachers_passphrase(session, owned, demo_path):
    own = owned(PassphraseDialog(session))
    own.old.setText("demo")
    own.new.setText("青山镇中心校2026")
    own.again.setText("青山镇中心校2026")
    own.accept()
    assert own.result() == 1
    other = owned(PassphraseDialog(session, "laoshi"))
    other.new.setText("laoshi-new-pass")
    other.again.setText("laoshi-new-pass")
    other.accept()
    assert other.result() == 1
    check = open_database(demo_path)
    try:
        assert login(check, "admin", "青山镇中心校2026").role == "township_admin"
        assert login(check, "laoshi", "laoshi-new-pass").role == "teacher"
    finally:
        check.close()
    assert {r["username"] for r in audit_rows(demo_path, "app_user")[-2:]} == {"admin"}


def test_a_wrong_old_passphrase_is_refused_under_its_field(session, owned):
    dialog = owned(PassphraseDialog(session))
    dialog.old.setText("not-the-passphrase")
    dialog.new.setText("青山镇中心校2026")
    dialog.again.setText("青山镇中心校2026")
    dialog.accept()
    assert dialog.result() == 0 and dialog.form.error_text("old")


def test_a_new_recovery_sheet_is_written_from_the_settings_page(session, owned, monkeypatch, tmp_path):
    page = owned(SettingsPage(session))
    target = tmp_path / "恢复单.pdf"
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("demo", True)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    assert page.print_recovery_sheet() == target
    assert target.read_bytes().startswith(b"%PDF")


def test_workload_weights_are_saved_and_reset(session, owned):
    shipped = workload_preset(session.db).content["standard"]["完小"]
    dialog = owned(WorkloadSettingsDialog(session))
    dialog.boxes[("standard", "完小")].setValue(13)
    dialog.save()
    assert dialog.result() == 1
    assert workload_preset(session.db).content["standard"]["完小"] == 13
    again = owned(WorkloadSettingsDialog(session))
    again.reset()
    assert workload_preset(session.db).content["standard"]["完小"] == shipped != 13


def test_timetable_cell_day_plan_and_curriculum_plan(session, owned, boxes):
    db = session.db
    class_id, school_id, day, slot, subject_id, teacher_id = db.execute(
        "SELECT t.class_id, c.school_id, t.day, t.slot, t.subject_id, t.teacher_id FROM timetable_slot t"
        " JOIN class c ON c.id = t.class_id JOIN school s ON s.id = c.school_id"
        " WHERE s.code = 'QSZ01' AND c.name = '三(1)班' ORDER BY t.day, t.slot LIMIT 1").fetchone()
    cell = owned(CellDialog(session, class_id=class_id, class_name="三(1)班", school_id=school_id, day=day, slot=slot,
                            label="第一节", subject_id=subject_id, teacher_id=teacher_id, room=None))
    cell.room.setText("科学实验室")
    cell.save()
    assert cell.result() == 1
    assert db.execute("SELECT room FROM timetable_slot WHERE class_id = ? AND day = ? AND slot = ?",
                      [class_id, day, slot]).fetchone()[0] == "科学实验室"

    plan = owned(DayPlanDialog(session, school_id))
    rows = {plan.model.item(r, 1).text(): r for r in range(plan.model.rowCount())}
    plan.model.item(rows["下午大课间"], 4).setText("20")
    plan.save()
    assert plan.result() == 1
    assert {p["label"]: p["minutes"] for p in day_plan(db, school_id)}["下午大课间"] == 20

    curriculum = owned(PlanDialog(session, school_id))
    curriculum.copy()
    rows = {curriculum.model.item(r, 0).text(): r for r in range(curriculum.model.rowCount())}
    assert curriculum.model.item(rows["数学"], 3).isEditable()   # the school's own plan now
    curriculum.model.item(rows["数学"], 3).setText("5")          # grade 1 maths: 5 a week
    QApplication.processEvents()                                # the dialog reloads from the database
    assert not boxes.texts("warning") and not boxes.texts("critical")
    assert curriculum.model.item(rows["数学"], 3).text() == "5"
    audited = [r for r in audit_rows(session.path, "timetable_slot") if r["username"] == "admin"]
    assert audited and "科学实验室" in audited[-1]["new_value"]


def test_closing_the_session_signs_its_end_on_the_worker(demo_path, boxes, qapp):
    from app.services.audit import verify
    from app.services.schools import update_school

    tasks = TaskManager()
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks, passphrase="demo")
    school_id = db.execute("SELECT id FROM school ORDER BY code LIMIT 1").fetchone()[0]
    heads = db.execute("SELECT COUNT(*) FROM audit_head").fetchone()[0]
    session.write(update_school, school_id, address="河西村 1 号")
    db.execute("PRAGMA query_only = ON")  # the signature cannot be written through the window's connection
    session.close()
    tasks.shutdown()
    check = open_database(demo_path, readonly=True)
    try:
        assert check.execute("SELECT COUNT(*) FROM audit_head").fetchone()[0] == heads + 1 and verify(check) == []
    finally:
        check.close()
