"""The 工作量与常规 page on the demo township: loads against the standard, the observation quota
with a lesson recorded through the form, a routine check, and the adjustable standards."""
from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtWidgets import QComboBox

from app.db.database import open_database
from app.services.users import login
from app.workload.compute import teacher_workloads
from ui.pages.routine_dialogs import ObservationDialog, RoutineCheckDialog, WorkloadSettingsDialog
from ui.pages.workload_page import WorkloadPage
from ui.session import Session
from ui_helpers import column_texts, when_modal


def _session(path, user, tasks):
    db = open_database(path)
    return Session(path, db, login(db, user, "demo"), tasks)


@pytest.fixture
def admin_page(demo_path, tasks, boxes, qapp, qtbot):
    session = _session(demo_path, "admin", tasks)
    page = WorkloadPage(session)
    page.resize(1300, 760)
    page.show()
    qtbot.waitExposed(page)
    yield page
    page.close()
    shiboken6.delete(page)
    session.db.close()


def _choose(combo: QComboBox, text: str) -> None:
    combo.setCurrentIndex(combo.findText(text))


def test_loads_status_filter_and_balance(admin_page):
    db = admin_page.session.db
    active = db.execute("SELECT COUNT(*) FROM teacher WHERE active = 1").fetchone()[0]
    assert admin_page.page_title() == "工作量与常规"
    assert not admin_page.settings_button.isHidden() and not admin_page.check_button.isHidden()
    assert len(column_texts(admin_page.load_table, "姓名")) == active
    loads = {t.staff_no: t for t in teacher_workloads(db).teachers}
    shown = dict(zip(column_texts(admin_page.load_table, "工号"), column_texts(admin_page.load_table, "折算")))
    assert shown == {no: f"{t.weighted:g}" for no, t in loads.items()}
    _choose(admin_page.status_combo, "超标准")
    assert set(column_texts(admin_page.load_table, "结论")) == {"超标准"}
    assert len(column_texts(admin_page.load_table, "结论")) == sum(t.status == "over" for t in loads.values())
    _choose(admin_page.balance_combo, "按学校")
    groups = column_texts(admin_page.balance_table, "分组")
    assert groups[-1] == "全体" and len(groups) == 7
    central = [t.weighted for t in loads.values() if t.school_code == "QSZ01"]
    assert column_texts(admin_page.balance_table, "人数")[groups.index("QSZ01")] == str(len(central))


def test_record_an_observation_and_see_the_quota_move(admin_page):
    _choose(admin_page.school_combo, "青山镇中心小学")
    db = admin_page.session.db
    principal, name = db.execute("SELECT t.id, t.name FROM teacher t JOIN teacher_role r ON r.teacher_id = t.id"
                                 " JOIN school s ON s.id = t.school_id WHERE s.code = 'QSZ01' AND r.role = '校长'"
                                 ).fetchone()
    colleague = db.execute("SELECT t.id FROM teacher t JOIN school s ON s.id = t.school_id WHERE s.code = 'QSZ01'"
                           " AND t.id != ? ORDER BY t.staff_no LIMIT 1", [principal]).fetchone()[0]
    # What the demo already holds: the principal's lessons, and the records the central school lists.
    held = db.execute("SELECT COUNT(*) FROM lesson_observation WHERE observer_id = ?", [principal]).fetchone()[0]
    known = {r[0] for r in db.execute(
        "SELECT o.id FROM lesson_observation o JOIN teacher b ON b.id = o.observer_id"
        " JOIN teacher t ON t.id = o.teacher_id JOIN school s ON s.code = 'QSZ01'"
        " WHERE s.id IN (o.school_id, b.school_id, t.school_id)")}
    seen = {}

    def fill(dialog):
        assert isinstance(dialog, ObservationDialog)
        dialog.observer.setCurrentIndex(dialog.observer.findData(principal))
        dialog.teacher.setCurrentIndex(dialog.teacher.findData(colleague))
        dialog.date.setText("2026-10-20")
        dialog.save()                       # nothing rated yet: refused, the dialog stays
        seen["refused"] = dialog.isVisible() and bool(dialog.scores_form.error_text("goal"))
        for box in dialog.items.values():
            box.setValue(box.maximum() - 1)
        dialog.timing["talk_minutes"].setValue(25)
        dialog.save()

    errors = when_modal(fill)
    admin_page.record_observation()
    assert not errors and seen["refused"]
    done = dict(zip(column_texts(admin_page.progress_table, "姓名"), column_texts(admin_page.progress_table, "已听")))
    assert done[name] == str(held + 1)
    model = admin_page.observation_model
    assert model.rowCount() == len(known) + 1
    new, = [r for r in range(model.rowCount()) if model.row_data(r)["id"] not in known]
    assert column_texts(admin_page.observation_table, "听课人")[new] == name
    assert column_texts(admin_page.observation_table, "得分")[new] == "93"
    assert "超过 15 分钟" in column_texts(admin_page.observation_table, "课堂结构")[new]

    # The clerk typed 25 minutes of talk where the sheet said 12, and the wrong date: 修改所选记录
    admin_page.observation_table.selectRow(new)
    shown = {}

    def correct(dialog):
        assert isinstance(dialog, ObservationDialog) and dialog.windowTitle() == "修改听课记录"
        shown.update(observer=dialog.observer.currentData(), teacher=dialog.teacher.currentData(),
                     date=dialog.date.text(), talk=dialog.timing["talk_minutes"].value(),
                     items=[box.value() - box.maximum() for box in dialog.items.values()])
        dialog.timing["talk_minutes"].setValue(12)
        dialog.date.setText("2026-10-22")
        dialog.save()

    errors = when_modal(correct)
    admin_page.edit_observation()
    assert not errors
    assert shown == {"observer": principal, "teacher": colleague, "date": "2026-10-20", "talk": 25,
                     "items": [-1] * len(shown["items"])}
    edited, = [r for r in range(model.rowCount()) if model.row_data(r)["id"] not in known]
    assert column_texts(admin_page.observation_table, "日期")[edited] == "2026-10-22"
    assert column_texts(admin_page.observation_table, "得分")[edited] == "93"
    assert "超过 15 分钟" not in column_texts(admin_page.observation_table, "课堂结构")[edited]
    assert model.rowCount() == len(known) + 1  # corrected, not recorded twice
    audit = db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'lesson_observation' AND action = 'update'"
                       " AND row_id = ?", [model.row_data(edited)["id"]]).fetchone()[0]
    assert audit == 1


def test_an_itinerant_teachers_lesson_at_a_teaching_point(admin_page):
    db = admin_page.session.db
    teacher, name, point, point_name = db.execute(
        "SELECT t.id, t.name, x.id, x.name FROM teacher t JOIN teacher_site ts ON ts.teacher_id = t.id"
        " JOIN school x ON x.id = ts.school_id ORDER BY t.staff_no, x.code").fetchone()
    point_class, class_name = db.execute(
        "SELECT id, name FROM class WHERE school_id = ? AND academic_year_id = (SELECT academic_year_id FROM term"
        " WHERE code = '2026-2027-1') ORDER BY (SELECT MIN(grade) FROM class_grade WHERE class_id = id), number",
        [point]).fetchone()
    head = db.execute("SELECT t.id FROM teacher t JOIN teacher_role r ON r.teacher_id = t.id"
                      " WHERE t.school_id = ? AND r.role = '中层'", [point]).fetchone()[0]
    _choose(admin_page.school_combo, point_name)
    seen = {}

    def fill(dialog):
        assert isinstance(dialog, ObservationDialog)
        dialog.teacher.setCurrentIndex(dialog.teacher.findData(teacher))     # comes to this 教学点 to teach
        seen["classes"] = [dialog.cls.itemText(i) for i in range(dialog.cls.count())]
        dialog.observer.setCurrentIndex(dialog.observer.findData(head))
        dialog.cls.setCurrentIndex(dialog.cls.findData(point_class))
        dialog.date.setText("2026-10-21")
        for box in dialog.items.values():
            box.setValue(box.maximum())
        dialog.save()

    errors = when_modal(fill)
    admin_page.record_observation()
    assert not errors
    # The 走教 teacher's classes at every school they teach at, named with their school when elsewhere.
    home = db.execute("SELECT s.name FROM teacher t JOIN school s ON s.id = t.school_id WHERE t.id = ?",
                      [teacher]).fetchone()[0]
    assert seen["classes"][1] == class_name
    assert any(c.endswith(f"({home})") for c in seen["classes"])
    rows = list(zip(column_texts(admin_page.observation_table, "授课教师"),
                    column_texts(admin_page.observation_table, "班级"),
                    column_texts(admin_page.observation_table, "学校")))
    assert (name, class_name, point_name) in rows  # given at the 教学点, whatever the teacher's home school


def test_record_a_routine_check(admin_page):
    _choose(admin_page.school_combo, "油溪完全小学")
    db = admin_page.session.db
    teacher, name = db.execute("SELECT t.id, t.name FROM teacher t JOIN school s ON s.id = t.school_id"
                               " WHERE s.name = '油溪完全小学' ORDER BY t.staff_no LIMIT 1").fetchone()
    # What the demo already holds: the teacher's 批 checks, and the school's checks.
    marked = [r[0] for r in db.execute("SELECT total FROM routine_check WHERE teacher_id = ? AND link = '批'",
                                       [teacher])]
    known = {r[0] for r in db.execute("SELECT r.id FROM routine_check r JOIN school s ON s.id = r.school_id"
                                      " WHERE s.name = '油溪完全小学'")}

    def fill(dialog):
        assert isinstance(dialog, RoutineCheckDialog)
        dialog.teacher.setCurrentIndex(dialog.teacher.findData(teacher))
        dialog.date.setText("2026-11-02")
        dialog.link.setCurrentIndex(dialog.link.findData("批"))
        for box in dialog.items.values():
            box.setValue(box.maximum())
        dialog.save()

    errors = when_modal(fill)
    admin_page.tabs.setCurrentIndex(2)
    admin_page.record_check()
    assert not errors
    row = column_texts(admin_page.routine_table, "姓名").index(name)
    totals = [*marked, 100]
    mean = round(sum(totals) / len(totals), 1)
    assert column_texts(admin_page.routine_table, "批")[row] == f"{len(totals)}次 {mean:g}分"
    model = admin_page.check_model
    assert model.rowCount() == len(known) + 1
    new, = [r for r in range(model.rowCount()) if model.row_data(r)["id"] not in known]
    assert column_texts(admin_page.check_table, "环节")[new] == "批"
    assert column_texts(admin_page.check_table, "教师")[new] == name
    assert column_texts(admin_page.check_table, "学校")[new] == "油溪完全小学"


def test_adjusted_standard_shows_in_the_table(admin_page):
    def raise_standard(dialog):
        assert isinstance(dialog, WorkloadSettingsDialog)
        dialog.boxes[("standard", "教学点")].setValue(30)
        dialog.save()

    errors = when_modal(raise_standard)
    admin_page.edit_settings()
    assert not errors
    schools = column_texts(admin_page.load_table, "学校")
    standards = column_texts(admin_page.load_table, "标准")
    assert {s for school, s in zip(schools, standards) if school.endswith("教学点")} == {"30"}


def test_a_teacher_records_only_as_observer(demo_path, tasks, boxes, qapp, qtbot):
    session = _session(demo_path, "laoshi", tasks)
    page = WorkloadPage(session)
    page.show()
    qtbot.waitExposed(page)
    assert page.remove_observation_button.isHidden() and page.check_button.isHidden()
    assert page.edit_observation_button.isHidden()
    assert page.settings_button.isHidden() and not page.observe_button.isHidden()

    def look(dialog):
        assert dialog.observer.currentData() == session.actor.teacher_id and not dialog.observer.isEnabled()
        dialog.reject()

    errors = when_modal(look)
    page.record_observation()
    assert not errors
    page.close()
    shiboken6.delete(page)
    session.db.close()


def test_appraisal_tab_lists_the_year_and_a_teacher_sees_only_their_own_row(admin_page, demo_path, tasks, qtbot,
                                                                          monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    db = admin_page.session.db
    admin_page.tabs.setCurrentWidget(admin_page.appraisal_tab)
    active = db.execute("SELECT COUNT(*) FROM teacher WHERE active = 1").fetchone()[0]
    table = admin_page.appraisal_tab.table
    assert len(column_texts(table, "工号")) == active  # the township administrator sees every school
    bands = column_texts(table, "等次")
    assert "优秀" in bands and "称职" in bands
    session = _session(demo_path, "laoshi", tasks)
    page = WorkloadPage(session)
    page.resize(1024, 700)
    page.show()
    qtbot.waitExposed(page)
    page.tabs.setCurrentWidget(page.appraisal_tab)
    mine = db.execute("SELECT staff_no FROM teacher WHERE id = ?", [session.actor.teacher_id]).fetchone()[0]
    assert column_texts(page.appraisal_tab.table, "工号") == [mine]
    out = tmp_path / "考核表.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    page.appraisal_tab.print_sheet()
    assert out.read_bytes().startswith(b"%PDF")
    page.close()
    shiboken6.delete(page)
    session.db.close()
