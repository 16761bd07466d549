"""设置: database facts, the school's details, the current term and new local accounts."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.database import open_database
from app.services.schools import ensure_term
from app.services.users import login
from conftest import audit_rows
from ui.dialogs.new_user_dialog import NewUserDialog
from ui.pages.settings_page import SettingsPage
from ui.session import Session
from ui_helpers import column_texts, when_modal


def test_database_facts_are_shown(window, small_school):
    page = window.show_page(SettingsPage)
    assert page.info_labels["path"].text() == str(small_school)
    assert page.info_labels["kind"].text() == "学校数据库"
    assert page.info_labels["version"].text() == "0.1.0"


def test_an_admin_changes_the_school_name_and_periods(window, small_school):
    page = window.show_page(SettingsPage)
    assert page.school_name.text() == "溪水完全小学"
    page.school_name.setText("溪水中心完小")
    page.school_periods.setValue(7)
    page.save_school()
    assert page.school_status.text() == "已保存。"
    db = Database(small_school)
    try:
        row = db.execute("SELECT name, daily_max_periods FROM school").fetchone()
    finally:
        db.close()
    assert tuple(row) == ("溪水中心完小", 7)
    assert audit_rows(small_school, "school")[-1]["action"] == "update"


def test_an_empty_school_name_is_refused_under_the_field(window, small_school):
    page = window.show_page(SettingsPage)
    page.school_name.setText("  ")
    page.save_school()
    assert page.school_form.error_text("name") == "学校名称不能为空。"


def test_choosing_another_term_updates_the_status_bar(window, school_session):
    ensure_term(school_session.db, school_session.actor, 2025, 2)
    page = window.show_page(SettingsPage)
    page.refresh()
    page.term_combo.setCurrentIndex(page.term_combo.findText("2025—2026 学年第二学期"))
    page.set_term()
    assert window.status_labels["term"].text() == "2025—2026 学年第二学期"
    assert page.term_label.text() == "当前:2025—2026 学年第二学期"


def test_creating_a_teacher_account_linked_to_a_teacher(window, small_school):
    page = window.show_page(SettingsPage)
    seen = {}

    def fill(dialog: NewUserDialog) -> None:
        dialog.username.setText("liming")
        dialog.display_name.setText("李老师")
        dialog.role.setCurrentIndex(dialog.role.findData("teacher"))
        dialog.teacher.setCurrentIndex(dialog.teacher.findText("李明(T01)"))
        dialog.passphrase.setText("pass1")
        seen["weak"] = dialog.strength.text()
        dialog.passphrase.setText("李老师的口令2025")
        seen["strong"] = dialog.strength.text()
        dialog.passphrase_again.setText("李老师的口令2025")
        dialog.accept()

    errors = when_modal(fill)
    page.new_user()
    assert errors == []
    assert seen == {"weak": "口令强度:太短(至少 8 个字符,可用一句好记的话)", "strong": "口令强度:较强"}
    assert "liming" in column_texts(page.users_table, "用户名")
    row = column_texts(page.users_table, "用户名").index("liming")
    assert column_texts(page.users_table, "角色")[row] == "教师"
    assert column_texts(page.users_table, "对应教师")[row] == "李明"


def test_a_school_admin_cannot_create_a_township_admin(window, school_session):
    dialog = NewUserDialog(school_session, window)
    roles = [dialog.role.itemData(i) for i in range(dialog.role.count())]
    assert "township_admin" not in roles
    dialog.username.setText("admin")
    dialog.passphrase.setText("abcd")
    dialog.passphrase_again.setText("abcd")
    dialog.accept()
    assert dialog.form.error_text("passphrase").startswith("口令至少需要 8 个字符")
    dialog.passphrase.setText("abcd1234")
    dialog.passphrase_again.setText("abcd1234")
    dialog.accept()
    assert dialog.form.error_text("username") == "用户名“admin”已存在。"


def test_backups_are_made_listed_and_restored_after_a_preview(window, small_school, boxes):
    import sqlite3

    page = window.show_page(SettingsPage)
    box = page.backup_box
    assert "备份位置:" in box.folder_label.text() and "共 0 份" in box.folder_label.text()
    box.auto.setChecked(True)
    box.keep.setValue(3)
    box.save_settings()
    assert boxes.shown[-1][:2] == ("information", "已保存")
    box.backup_button.click()
    assert boxes.shown[-1][:2] == ("information", "备份完成")
    assert column_texts(box.table, "内容") == ["学生 5 名、成绩 0 条(2025—2026 学年第一学期)"]

    conn = sqlite3.connect(small_school)
    conn.execute("UPDATE pupil SET name = '改错了' ")
    conn.commit()
    conn.close()
    box.table.selectRow(0)
    boxes.answer_yes = False
    box.restore_selected()
    question = boxes.shown[-1][2]
    assert "溪水完全小学(XS01)" in question and "学生 5 名" in question and "先另存一份" in question
    assert page.session.db.execute("SELECT COUNT(*) FROM pupil WHERE name = '改错了'").fetchone()[0] == 5
    boxes.answer_yes = True
    box.restore_selected()
    assert boxes.shown[-1][:2] == ("information", "已恢复") and "before-restore" in boxes.shown[-1][2]
    assert page.session.db.execute("SELECT COUNT(*) FROM pupil WHERE name = '改错了'").fetchone()[0] == 0


def test_a_county_database_calls_its_administrator_county_level(demo_path, tasks, boxes, qapp, make_window):
    db = Database(demo_path)
    db.execute("UPDATE meta SET value = 'county' WHERE key = 'kind'")
    db.conn.commit()
    db.close()
    opened = open_database(demo_path)
    try:
        session = Session(demo_path, opened, login(opened, "admin", "demo"), tasks)
        window = make_window(session)
        assert window.status_labels["user"].text().endswith("(县级管理员)")
        page = window.show_page(SettingsPage)
        roles = dict(zip(column_texts(page.users_table, "用户名"), column_texts(page.users_table, "角色")))
        assert roles["admin"] == "县级管理员" and "乡镇管理员" not in roles.values()
        dialog = NewUserDialog(session, window)
        offered = [dialog.role.itemText(i) for i in range(dialog.role.count())]
        assert offered == ["县级管理员", "学校管理员", "教务", "教师"]
        dialog.close()
    finally:
        window.close()
        opened.close()
