"""The 控辍与记录 page on the demo township: the 巩固率 table and who left match the demo's status
history; marking a pupil 流失 in the pupil form records the reason and warns the same day."""
from __future__ import annotations

import pytest
import shiboken6

from app.db.database import open_database
from app.queries.roster import list_pupils
from app.services.users import login
from ui.dialogs.pupil_dialog import PupilDialog
from ui.pages.records_page import RecordsPage
from ui.session import Session
from ui_helpers import column_texts

SHOTS = None  # set to a folder path to save screenshots while developing


@pytest.fixture
def page(demo_path, tasks, boxes, qapp, qtbot):
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    page = RecordsPage(session)
    page.resize(1300, 760)
    page.show()
    qtbot.waitExposed(page)
    yield page
    page.close()
    shiboken6.delete(page)
    db.close()


def test_retention_tab_lists_the_demo_dropouts(page):
    tab = page.record_tabs[0]
    names = column_texts(tab.left_table, "姓名")
    db = page.session.db
    expected = [r[0] for r in db.execute("SELECT name FROM pupil WHERE status = '流失' ORDER BY name")]
    assert sorted(names) == expected and len(expected) == 3
    reasons = set(column_texts(tab.left_table, "原因"))
    assert "随父母外出务工,未办转学手续" in reasons
    # one row per school and per grade; the school rows add up to the summary's base
    schools = [g for g in column_texts(tab.rate_table, "年级") if g == "全校"]
    assert len(schools) == db.execute("SELECT COUNT(*) FROM school").fetchone()[0]
    assert "流失 3 人" in tab.summary.text()
    assert tab.warning.isHidden()  # nobody was marked 流失 today


def test_marking_a_pupil_left_warns_and_shows_on_the_page(page, boxes, qtbot):
    session = page.session
    pupil = next(p for p in list_pupils(session.db) if p["status"] == "在读" and p["grade"] == 5)
    dialog = PupilDialog(session, pupil, parent=page)
    dialog.status.setCurrentIndex(dialog.status.findData("流失"))
    dialog.status_date.setText("")
    dialog.status_note.setText("外出打工")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert any("已标记为流失" in text for text in boxes.texts("warning"))
    note = session.db.execute("SELECT note FROM pupil_status_change WHERE pupil_id = ? AND status = '流失'",
                              [pupil["id"]]).fetchone()[0]
    assert note == "外出打工"
    page.reload()
    tab = page.record_tabs[0]
    assert not tab.warning.isHidden() and pupil["name"] in tab.warning.text()
    assert "外出打工" in column_texts(tab.left_table, "原因")
    if SHOTS:
        page.grab().save(f"{SHOTS}/records_retention.png")


def test_homework_tab_weekly_check_entry_and_notice(page, boxes, monkeypatch, tmp_path):
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QFileDialog

    from app.records.homework import weekly_check
    from ui.pages.records.dialogs import HomeworkDialog

    tab = page.record_tabs[1]
    page.tabs.setCurrentWidget(tab)
    db = page.session.db
    expected = weekly_check(db)
    assert len(column_texts(tab.week_table, "班级")) == len(expected) > 0
    over = [r for r in expected if r["over"]]
    assert over and "超时" in tab.over_label.text()
    tab.only_over.setChecked(True)
    assert set(column_texts(tab.week_table, "结论")) == {"超时"}
    assert len(column_texts(tab.week_table, "结论")) == len(over)
    # the office enters a Monday for a grade-5 class: 语文 50 + 数学 30 = 80 > 60
    index = next(i for i in range(tab.class_combo.count()) if "五(1)班" in tab.class_combo.itemText(i))
    tab.class_combo.setCurrentIndex(index)
    tab.day.setDate(QDate(2026, 11, 23))
    dialog = HomeworkDialog(page.session, tab.class_combo.currentData(), tab.class_combo.currentText(),
                            tab.day.date().toPython(), page)
    names = {name: sid for sid, name in dialog.subject_names.items()}
    dialog.spins[names["语文"]].setValue(50)
    dialog.spins[names["数学"]].setValue(30)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    week = [r for r in weekly_check(db) if r["class_id"] == tab.class_combo.currentData() and r["week"] == "2026-11-23"]
    assert week and week[0]["max"] == 80 and week[0]["over"]
    target = tmp_path / "公示.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    tab.print_notice()
    assert target.exists() and any("已保存到" in t for t in boxes.texts("information"))


def test_homework_import_shows_located_problems_and_writes_nothing(page, tmp_path, monkeypatch):
    import xlsxwriter

    from ui.pages.records.dialogs import ProblemListDialog

    tab = page.record_tabs[1]
    before = page.session.db.execute("SELECT COUNT(*) FROM homework_log").fetchone()[0]
    path = tmp_path / "作业.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("作业时间")
    sheet.write_row(0, 0, ["班级", "日期", "语文", "数学"])
    sheet.write_row(1, 0, ["三(1)班", "2026-11-23", "很多", 20])
    book.close()
    shown = []
    monkeypatch.setattr(ProblemListDialog, "exec", lambda self: shown.append(
        [(r["sheet"], r["row"], r["column"]) for r in map(self.model.row_data, range(self.model.rowCount()))]) or 0)
    school = page.session.db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    tab.import_file(str(path), school)
    assert shown == [[("作业时间", 2, "语文")]]
    assert page.session.db.execute("SELECT COUNT(*) FROM homework_log").fetchone()[0] == before


def test_visits_tab_quota_and_a_visit_recorded_through_the_form(page):
    from app.records.visits import visit_quota
    from ui.pages.records.dialogs import VisitDialog

    tab = page.record_tabs[2]
    db = page.session.db
    quota = visit_quota(db)
    assert len(column_texts(tab.quota_table, "教师")) == len(quota)
    assert "家访" in tab.summary.text()
    school = db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    dialog = VisitDialog(page.session, school, page)
    dialog.date.setText("2026-11-16")
    dialog.way.setCurrentIndex(dialog.way.findData("电话"))
    dialog.notes.setPlainText("与家长沟通期中考试情况")
    pupil = dialog.pupil.currentData()
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert db.execute("SELECT way, notes FROM home_visit WHERE pupil_id = ? AND date = '2026-11-16' AND way = '电话'"
                      " AND notes = '与家长沟通期中考试情况'", [pupil]).fetchone()
    dialog = VisitDialog(page.session, school, page)
    dialog.date.setText("明天")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and "无法识别" in dialog.form.error_text("date")


def test_prep_tab_months_new_teachers_and_the_routine_hint(page):
    from app.records.prep import group_cadence, new_teachers
    from ui.pages.routine_dialogs import RoutineCheckDialog

    tab = page.record_tabs[3]
    db = page.session.db
    cadence = group_cadence(db)
    assert len(column_texts(tab.cadence_table, "教研组")) == len(cadence) > 0
    assert column_texts(tab.cadence_table, "9月") and set(column_texts(tab.cadence_table, "9月")) == {"2"}
    for teacher in new_teachers(db):
        assert teacher["name"] in tab.new_label.text()
    school = db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    lead = db.execute("SELECT lead_id FROM prep_session WHERE school_id = ? LIMIT 1", [school]).fetchone()[0]
    dialog = RoutineCheckDialog(page.session, school, page)
    dialog.teacher.setCurrentIndex(dialog.teacher.findData(lead))
    dialog.link.setCurrentIndex(dialog.link.findData("研"))
    assert "集体备课:本学期已参加" in dialog.records_hint.text()
    assert dialog.items["group"].value() >= 0  # the suggested points are filled in
    if SHOTS:
        page.tabs.setCurrentWidget(tab)
        page.grab().save(f"{SHOTS}/records_prep.png")
        dialog.show()
        dialog.grab().save(f"{SHOTS}/routine_hint.png")


def test_a_teacher_sees_only_their_own_visits_and_attendance(demo_path, tasks, boxes, qapp, qtbot):
    db = open_database(demo_path)
    try:
        session = Session(demo_path, db, login(db, "laoshi", "demo"), tasks)
        me = session.actor.teacher_id
        name = db.execute("SELECT name FROM teacher WHERE id = ?", [me]).fetchone()[0]
        page = RecordsPage(session)
        page.show()
        qtbot.waitExposed(page)
        visits, prep = page.record_tabs[2], page.record_tabs[3]
        assert column_texts(visits.quota_table, "教师") == [name]
        mine = db.execute("SELECT COUNT(*) FROM home_visit WHERE teacher_id = ?", [me]).fetchone()[0]
        assert set(column_texts(visits.visit_table, "家访教师")) <= {name}
        assert len(column_texts(visits.visit_table, "家访教师")) == mine
        assert column_texts(prep.attendance_table, "教师") == [name]
        page.close()
        shiboken6.delete(page)
    finally:
        db.close()


def test_a_visit_sheet_imported_and_a_visit_deleted_through_the_tab_buttons(page, boxes, tmp_path):
    import xlsxwriter

    tab, db = page.record_tabs[2], page.session.db
    school = db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    no, teacher = db.execute("SELECT p.student_no, t.name FROM pupil p JOIN teacher t ON t.school_id = p.school_id"
                             " WHERE p.school_id = ? AND p.status = '在读' AND t.active = 1 LIMIT 1", [school]).fetchone()
    before = db.execute("SELECT COUNT(*) FROM home_visit").fetchone()[0]
    path = tmp_path / "家访.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("家访")
    sheet.write_row(0, 0, ["学籍号", "家访教师", "日期", "方式", "情况记录"])
    sheet.write_row(1, 0, [no, teacher, "2026-11-25", "电话", "表格导入的家访"])
    book.close()
    tab.actions.import_file(str(path), school)
    assert db.execute("SELECT COUNT(*) FROM home_visit").fetchone()[0] == before + 1
    assert any("已导入 1 条" in t for t in boxes.texts("information"))
    row = column_texts(tab.visit_table, "情况记录").index("表格导入的家访")
    tab.visit_table.selectRow(row)
    tab.actions.remove_button.click()
    assert db.execute("SELECT COUNT(*) FROM home_visit").fetchone()[0] == before
    assert "表格导入的家访" not in column_texts(tab.visit_table, "情况记录")
