"""排课条件 in the 课表 page of the demo township: a teacher's unavailable day, a school's 升旗 and
班会, and a locked lesson are added and removed through the dialog; each change is in the
database and the audit log; 自动排课 then keeps them; a 教务 of another school is refused and a
teacher does not get the button."""
from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtWidgets import QApplication

from app.db.database import open_database
from app.services.users import login
from app.timetable.edit import set_locked
from app.timetable.generate import generate
from app.timetable.model import term_by_code
from ui.main import install_font
from ui.pages.timetable_conditions import ConditionsDialog
from ui.pages.timetable_page import TimetablePage
from ui.session import Session
from ui_helpers import column_texts

SHOTS = Path("/tmp/schoolq-shots")


def _session(demo_path, tasks, user: str) -> Session:
    db = open_database(demo_path)
    return Session(demo_path, db, login(db, user, "demo"), tasks)


@pytest.fixture
def admin(demo_path, tasks, boxes, qapp):
    session = _session(demo_path, tasks, "admin")
    yield session
    session.db.close()


def _school(db, code: str) -> str:
    return db.execute("SELECT id FROM school WHERE code = ?", [code]).fetchone()[0]


def _dialog(session, code: str, qtbot) -> ConditionsDialog:
    dialog = ConditionsDialog(session, _school(session.db, code), code)
    qtbot.addWidget(dialog)
    return dialog


def _audited(db, table: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT op FROM change_log WHERE tbl = ? ORDER BY rowid", [table])]


def test_unavailable_day_is_listed_audited_kept_by_the_solver_and_cleared(admin, qtbot):
    db = admin.db
    dialog = _dialog(admin, "QSZ04", qtbot)
    teacher_id, staff_no, name = db.execute(
        "SELECT t.id, t.staff_no, t.name FROM teacher t JOIN school s ON s.id = t.school_id WHERE s.code = 'QSZ04'"
        " ORDER BY t.staff_no LIMIT 1").fetchone()
    dialog.teacher_combo.setCurrentIndex(dialog.teacher_combo.findData(teacher_id))
    dialog.unavailable_day.setCurrentIndex(dialog.unavailable_day.findData(3))
    dialog.unavailable_slot.setCurrentIndex(dialog.unavailable_slot.findData(None))
    assert dialog.unavailable_slot.currentText() == "全天"
    dialog.reason.setText("  中心校教研 ")
    before = len(_audited(db, "teacher_unavailable"))
    dialog.add_unavailable()
    assert dialog.changed and "已登记" in dialog.message.text()
    assert column_texts(dialog.unavailable_table, "教师") == [f"{name}({staff_no})"]
    assert column_texts(dialog.unavailable_table, "星期") == ["星期三"]
    assert column_texts(dialog.unavailable_table, "时段") == ["全天"]
    assert column_texts(dialog.unavailable_table, "原因") == ["中心校教研"]
    assert db.execute("SELECT day, slot, reason FROM teacher_unavailable WHERE teacher_id = ?",
                      [teacher_id]).fetchall() == [(3, None, "中心校教研")]
    assert _audited(db, "teacher_unavailable")[before:] == ["I"]
    dialog.add_unavailable()  # the same again: nothing new
    assert "没有变化" in dialog.message.text()
    install_font(QApplication.instance())
    SHOTS.mkdir(exist_ok=True)
    dialog.resize(760, 560)
    dialog.grab().save(str(SHOTS / "timetable-conditions-unavailable.png"))

    school_id = _school(db, "QSZ04")
    result = generate(db, [school_id], term_by_code(db, None), time_limit=20, seed=1, improve=False)
    assert result.ok()
    assert not [s for s in result.lessons if s.teacher_id == teacher_id and s.day == 3]

    dialog.unavailable_table.selectRow(0)
    dialog.remove_unavailable()
    assert dialog.unavailable_model.rowCount() == 0
    assert db.execute("SELECT COUNT(*) FROM teacher_unavailable").fetchone()[0] == 0
    assert _audited(db, "teacher_unavailable")[before:] == ["I", "D"]


def test_flag_raising_and_class_meeting_are_set_and_cleared(admin, qtbot):
    db = admin.db
    install_font(QApplication.instance())
    dialog = _dialog(admin, "QSZ01", qtbot)
    dialog.tabs.setCurrentIndex(1)
    first, last = dialog.event_slot.itemData(0), dialog.event_slot.itemData(dialog.event_slot.count() - 1)
    assert dialog.event_slot.itemText(0) == "第1节"  # the demo's day plan labels its lesson slots 第n节
    dialog.event_day.setCurrentIndex(dialog.event_day.findData(1))
    dialog.event_slot.setCurrentIndex(0)
    dialog.event_label.setCurrentText("升旗")
    dialog.event_subject.setCurrentIndex(0)
    dialog.add_event()
    dialog.event_day.setCurrentIndex(dialog.event_day.findData(5))
    dialog.event_slot.setCurrentIndex(dialog.event_slot.count() - 1)
    dialog.event_label.setCurrentText("班会")
    dialog.event_subject.setCurrentIndex(dialog.event_subject.findText("综合实践活动"))
    dialog.add_event()
    assert column_texts(dialog.events_table, "星期") == ["星期一", "星期五"]
    assert column_texts(dialog.events_table, "活动") == ["升旗", "班会"]
    assert column_texts(dialog.events_table, "每班上的学科") == ["(这一节不排课)", "综合实践活动"]
    rows = db.execute("SELECT f.day, f.slot, f.label, s.name FROM timetable_fixed f LEFT JOIN subject s"
                      " ON s.id = f.subject_id ORDER BY f.day").fetchall()
    assert rows == [(1, first, "升旗", None), (5, last, "班会", "综合实践活动")]
    assert _audited(db, "timetable_fixed") == ["I", "I"]
    SHOTS.mkdir(exist_ok=True)
    dialog.resize(760, 560)
    dialog.grab().save(str(SHOTS / "timetable-conditions-events.png"))
    dialog.event_label.setCurrentText("  ")
    dialog.add_event()
    assert "请写出活动名称" in dialog.message.text()
    dialog.events_table.selectRow(0)
    dialog.remove_event()
    assert column_texts(dialog.events_table, "活动") == ["班会"]
    assert _audited(db, "timetable_fixed") == ["I", "I", "D"]


def test_locked_lesson_is_listed_and_unlocked(admin, qtbot):
    db = admin.db
    class_id, day, slot = db.execute(
        "SELECT ts.class_id, ts.day, ts.slot FROM timetable_slot ts JOIN school s ON s.id = ts.school_id"
        " WHERE s.code = 'QSZ02' AND ts.subject_id IS NOT NULL ORDER BY ts.day, ts.slot LIMIT 1").fetchone()
    set_locked(db, admin.actor, class_id=class_id, day=day, slot=slot, locked=True)
    dialog = _dialog(admin, "QSZ02", qtbot)
    assert dialog.tabs.tabText(2) == "锁定的课(1)"
    class_name = db.execute("SELECT name FROM class WHERE id = ?", [class_id]).fetchone()[0]
    assert column_texts(dialog.locked_table, "班级") == [class_name]
    dialog.locked_table.selectRow(0)
    dialog.unlock()
    assert dialog.tabs.tabText(2) == "锁定的课(0)"
    assert db.execute("SELECT locked FROM timetable_slot WHERE class_id = ? AND day = ? AND slot = ?",
                      [class_id, day, slot]).fetchone()[0] == 0


def test_another_schools_clerk_is_refused_and_a_teacher_has_no_button(demo_path, tasks, boxes, qapp, qtbot):
    clerk = _session(demo_path, tasks, "jiaowu")  # 教务 of QSZ01
    try:
        dialog = _dialog(clerk, "QSZ02", qtbot)
        dialog.tabs.setCurrentIndex(1)
        dialog.event_label.setCurrentText("升旗")
        dialog.add_event()
        assert boxes.texts() and "只能修改本校" in boxes.texts()[-1]
        assert clerk.db.execute("SELECT COUNT(*) FROM timetable_fixed").fetchone()[0] == 0
        assert not dialog.changed
    finally:
        clerk.db.close()
    teacher = _session(demo_path, tasks, "laoshi")
    try:
        page = TimetablePage(teacher)
        qtbot.addWidget(page)
        assert page.conditions_button.isHidden()
        shiboken6.delete(page)
    finally:
        teacher.db.close()
