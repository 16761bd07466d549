"""设置 › 本地账号: change one's own passphrase, reset a teacher's, disable an account, in the window."""
from __future__ import annotations

from app.db.writes import SYSTEM
from app.services.users import create_user, login
from conftest import PASSPHRASE, audit_rows
from ui.dialogs.account_dialogs import PassphraseDialog
from ui.pages.settings_page import SettingsPage
from ui.session import Changed
from ui_helpers import column_texts


def _teacher_account(session):
    teacher = session.db.execute("SELECT id, school_id FROM teacher WHERE staff_no = 'T01'").fetchone()
    create_user(session.db, SYSTEM, username="liming", display_name="李明", role="teacher", school_id=teacher[1],
                teacher_id=teacher[0], passphrase="liming-pass-1")
    session.notify_changed(Changed.SETTINGS)


def _select(page, username):
    page.users_table.selectRow(column_texts(page.users_table, "用户名").index(username))


def test_change_own_passphrase_checks_the_old_one_and_the_rules(school_session, owned):
    dialog = owned(PassphraseDialog(school_session))
    dialog.old.setText("wrong")
    dialog.new.setText("short")
    dialog.again.setText("short")
    dialog.accept()
    assert dialog.result() == 0
    assert dialog.form.error_text("old") or dialog.form.error_text("new")
    dialog.old.setText(PASSPHRASE)
    dialog.new.setText("青山镇石门村小学2026")
    dialog.again.setText("青山镇石门村小学2026")
    dialog.accept()
    assert dialog.result() == 1
    assert login(school_session.db, "admin", "青山镇石门村小学2026").username == "admin"


def test_reset_and_disable_a_teacher_account(window, school_session, owned, boxes, small_school):
    _teacher_account(school_session)
    page = window.show_page(SettingsPage)
    _select(page, "liming")
    assert page.reset_button.isEnabled() and page.active_button.text() == "停用账号"
    dialog = owned(PassphraseDialog(school_session, "liming"))
    assert dialog.old is None
    dialog.new.setText("new-teacher-pass")
    dialog.again.setText("new-teacher-pass")
    dialog.accept()
    assert dialog.result() == 1
    assert login(school_session.db, "liming", "new-teacher-pass").role == "teacher"
    page.toggle_selected()
    assert "停用账号“liming”" in boxes.texts("question")[-1]
    states = dict(zip(column_texts(page.users_table, "用户名"), column_texts(page.users_table, "状态")))
    assert states["liming"] == "停用"
    assert any(r["action"] == "update" and "active" in (r["new_value"] or "") for r in audit_rows(small_school, "app_user"))


def test_an_administrator_cannot_disable_or_reset_themselves(window):
    page = window.show_page(SettingsPage)
    _select(page, "admin")
    assert not page.reset_button.isEnabled() and not page.active_button.isEnabled()
    assert page.own_passphrase_button.isEnabled()


def test_lock_then_unlock_a_teacher_account(window, school_session):
    """An administrator locks an account (no log-in, whatever the passphrase) and unlocks it again."""
    import pytest

    from app.errors import SchoolQError

    _teacher_account(school_session)
    page = window.show_page(SettingsPage)
    _select(page, "liming")
    assert page.unlock_button.text() == "锁定"
    page.unlock_selected()
    states = dict(zip(column_texts(page.users_table, "用户名"), column_texts(page.users_table, "状态")))
    assert states["liming"] == "已锁定"
    with pytest.raises(SchoolQError):
        login(school_session.db, "liming", "liming-pass-1")
    _select(page, "liming")
    assert page.unlock_button.text() == "解锁"
    page.unlock_selected()
    assert login(school_session.db, "liming", "liming-pass-1").role == "teacher"


def test_closing_a_clerks_window_signs_the_audit_head_with_the_clerks_key(small_school, tasks):
    from app.db.database import open_database
    from app.services.audit import verify
    from app.services.exams import create_exam
    from ui.session import Session

    db = open_database(small_school)
    school_id = db.execute("SELECT id FROM school").fetchone()[0]
    create_user(db, SYSTEM, username="jiaowu", display_name="教务王", role="academic", school_id=school_id,
                passphrase="jiaowu-pass-1")
    session = Session(small_school, db, login(db, "jiaowu", "jiaowu-pass-1"), tasks, passphrase="jiaowu-pass-1")
    create_exam(db, session.actor, name="三年级测验", type="单元", grades="3", subjects="语文:100")
    session.close()
    check = open_database(small_school, readonly=True)
    try:
        signed = check.execute("SELECT fingerprint FROM audit_head ORDER BY id DESC LIMIT 1").fetchone()
        own = check.execute("SELECT fingerprint FROM audit_signer WHERE username = 'jiaowu'").fetchone()
        assert signed is not None and signed == own
        assert verify(check) == []
    finally:
        check.close()
