"""The 教师 page: the list, filters, and the add / edit dialog with subjects, roles and titles."""
from __future__ import annotations

from PySide6.QtCore import Qt
from sqlite_utils import Database

from ui.dialogs.teacher_dialog import TeacherDialog
from ui.pages.teachers_page import TeachersPage
from ui_helpers import column_texts, header_titles, when_modal


def test_teachers_are_listed_with_subjects_roles_and_titles(window):
    page = window.show_page(TeachersPage)
    assert header_titles(page.table) == ["工号", "姓名", "性别", "任教学科", "职务", "称号", "走教学校", "在岗"]
    assert column_texts(page.table, "姓名") == ["李明", "赵丽"]
    assert column_texts(page.table, "任教学科") == ["语文、道德与法治", "数学"]
    assert column_texts(page.table, "职务") == ["班主任", ""]
    assert column_texts(page.table, "称号") == ["", "骨干"]
    assert column_texts(page.table, "在岗") == ["在岗", "在岗"]
    page.search.setText("数学")
    assert column_texts(page.table, "姓名") == ["赵丽"]


def test_adding_a_teacher_with_subjects_and_roles(window, small_school, qtbot):
    page = window.show_page(TeachersPage)

    def fill(dialog: TeacherDialog) -> None:
        dialog.staff_no.setText("T03")
        dialog.name.setText("周敏")
        dialog.gender.setCurrentIndex(dialog.gender.findData("女"))
        dialog.hire_date.setText("2012-09-01")
        dialog.subjects["英语"].setChecked(True)
        dialog.subjects["音乐"].setChecked(True)
        dialog.roles["教研组长"].setChecked(True)
        dialog.titles["学科带头人"].setChecked(True)
        assert dialog.sites_hint.isVisibleTo(dialog)  # a school database has no other school
        dialog.accept()

    errors = when_modal(fill)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert errors == []
    names = column_texts(page.table, "姓名")
    row = names.index("周敏")
    assert column_texts(page.table, "任教学科")[row] == "英语、音乐"
    assert column_texts(page.table, "职务")[row] == "教研组长"
    assert column_texts(page.table, "称号")[row] == "学科带头人"
    db = Database(small_school)
    try:
        hire = db.execute("SELECT hire_date FROM teacher WHERE staff_no = 'T03'").fetchone()[0]
    finally:
        db.close()
    assert hire == "2012-09-01"


def test_a_duplicate_staff_number_is_shown_under_the_field(window, school_session):
    dialog = TeacherDialog(school_session, None, school_session.actor.school_id, window)
    dialog.staff_no.setText("t01")
    dialog.name.setText("重号")
    dialog.accept()
    assert dialog.result() == 0
    assert dialog.form.error_text("staff_no") == "工号“T01”已属于本校教师“李明”。"


def test_editing_a_teacher_keeps_the_subjects_and_sets_inactive(window, small_school, qtbot):
    page = window.show_page(TeachersPage)
    page.table.selectRow(column_texts(page.table, "姓名").index("赵丽"))

    def edit(dialog: TeacherDialog) -> None:
        dialog.phone.setText("13800000000")
        dialog.active.setChecked(False)
        dialog.accept()

    errors = when_modal(edit)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert errors == []
    row = column_texts(page.table, "姓名").index("赵丽")
    assert column_texts(page.table, "任教学科")[row] == "数学"
    assert column_texts(page.table, "在岗")[row] == "不在岗"
    page.active_combo.setCurrentIndex(page.active_combo.findText("在岗"))
    assert column_texts(page.table, "姓名") == ["李明"]
