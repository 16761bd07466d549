"""Start-up: the --smoke build check, Chinese fonts and dialogs, login, new school, errors."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from sqlite_utils import Database

from app.paths import default_database_path
from conftest import PASSPHRASE
from ui import opening
from ui.crash import install_excepthook, log_path
from ui.dialogs.login_dialog import LoginDialog
from ui.dialogs.new_school_dialog import NewSchoolDialog
from ui.dialogs.welcome_dialog import DEMO, WelcomeDialog
from ui.main import install_font, install_translations
from ui_helpers import when_modal

ROOT = Path(__file__).resolve().parents[2]


def run_gui(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCHOOLQ_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "ui", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def test_smoke_start_creates_the_demo_shows_the_window_and_exits_0(tmp_path):
    result = run_gui(["--smoke"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("first window: ") and result.stdout.strip().endswith(" s")
    assert (tmp_path / "demo-township.sqlite").is_file()


def test_smoke_start_fails_with_a_broken_demo_database(tmp_path):
    (tmp_path / "demo-township.sqlite").write_bytes(b"this is not sqlite at all" * 100)
    result = run_gui(["--smoke"], tmp_path)
    assert result.returncode != 0
    assert "不是本程序的数据库文件" in result.stderr


def test_the_shipped_font_and_qt_chinese_translation_are_installed(qapp):
    family = install_font(qapp)
    assert family in QFontDatabase.families()
    assert family in qapp.font().families()
    install_translations(qapp)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"


def test_every_window_carries_the_program_icon(qapp):
    """The icon is drawn from the shipped SVG: the title bar and task bar show it, not a blank."""
    from ui.main import create_application

    app = create_application([])
    image = app.windowIcon().pixmap(64, 64).toImage()
    assert not image.isNull() and image.width() == 64
    # The green tile fills the corner area, the white book the middle.
    assert image.pixelColor(6, 32).name() == "#1f7a4d"
    assert image.pixelColor(12, 25).name() == "#ffffff"


def test_login_refuses_a_wrong_passphrase_and_accepts_the_right_one(small_school, owned):
    from app.db.database import open_database

    db = open_database(small_school)
    try:
        dialog = owned(LoginDialog(db, small_school, username="admin"))
        assert dialog.username.text() == "admin"
        assert dialog.findChild(type(dialog.form.general), "demo_hint") is None
        dialog.passphrase.setText("wrong")
        dialog.accept()
        assert dialog.result() == 0 and dialog.actor is None
        assert dialog.form.error_text("passphrase") == "用户名或口令不正确。"
        dialog.passphrase.setText(PASSPHRASE)
        dialog.accept()
        assert dialog.actor is not None and dialog.actor.role == "school_admin"
    finally:
        db.close()


def test_login_remembers_the_last_user_of_each_database(small_school, tasks, boxes, tmp_path):
    from app.db.database import open_database
    from app.db.writes import SYSTEM
    from app.services.users import create_user

    db = open_database(small_school)
    teacher = db.execute("SELECT id, school_id FROM teacher WHERE staff_no = 'T01'").fetchone()
    create_user(db, SYSTEM, username="liming", display_name="李明", role="teacher", school_id=teacher[1],
                teacher_id=teacher[0], passphrase="liming-pass1")
    db.close()
    other = tmp_path / "other.sqlite"
    shutil.copyfile(small_school, other)
    seen = []

    def log_in_as(username, passphrase):
        def act(dialog):
            seen.append(dialog.username.text())
            dialog.username.setText(username)
            dialog.passphrase.setText(passphrase)
            dialog.accept()
        return act

    for username, passphrase in (("liming", "liming-pass1"), ("admin", PASSPHRASE)):
        when_modal(log_in_as(username, passphrase))
        opening.open_path(small_school, tasks).close()
    when_modal(log_in_as("admin", PASSPHRASE))
    opening.open_path(other, tasks).close()
    when_modal(lambda dialog: (seen.append(dialog.username.text()), dialog.reject()))
    assert opening.open_path(small_school, tasks) is None
    # Nothing remembered at first (no "admin" offered to a teacher), then each database's own last user.
    assert seen == ["", "liming", "", "admin"]


def test_login_to_the_demo_shows_its_passphrase(small_school, owned):
    from app.db.database import open_database

    db = open_database(small_school)
    try:
        dialog = owned(LoginDialog(db, default_database_path(), demo=True))
        hint = dialog.findChild(type(dialog.form.general), "demo_hint")
        assert hint is not None and hint.text() == "演示数据库口令:demo"
    finally:
        db.close()


def test_welcome_offers_three_choices_with_the_demo_as_default(owned):
    dialog = owned(WelcomeDialog())
    texts = [b.text().split("\n")[0] for b in dialog.buttons.values()]
    assert texts == ["打开演示乡镇", "新建学校数据库", "打开已有数据库文件"]
    assert dialog.buttons[DEMO].isDefault()


def test_new_school_dialog_checks_the_passphrase_twice_then_creates_the_database(tmp_path, tasks, boxes):
    target = tmp_path / "new.sqlite"
    seen = {}

    def fill(dialog: NewSchoolDialog) -> None:
        dialog.code.setText("hx02")
        dialog.name.setText("河西教学点")
        dialog.type.setCurrentText("教学点")
        dialog.path_edit.setText(str(target))
        dialog.passphrase_edit.setText("abcd1")
        dialog.passphrase_again.setText("abcd1")
        dialog.accept()
        seen["short"] = dialog.form.error_text("passphrase")
        dialog.passphrase_edit.setText("河西教学点2026")
        dialog.passphrase_again.setText("河西教学点2027")
        dialog.accept()
        seen["mismatch"] = dialog.form.error_text("passphrase_again")
        seen["file_after_mismatch"] = target.exists()
        dialog.passphrase_again.setText("河西教学点2026")
        dialog.accept()

    errors = when_modal(fill)
    session = opening.create_school(tasks)
    assert errors == []
    assert seen == {"short": "口令至少需要 8 个字符(现在 5 个):它保护签名私钥和学生信息。可以用一句好记的话,如“青山小学2026好”。",
                    "mismatch": "两次输入的口令不一致。", "file_after_mismatch": False}
    assert [kind for kind, _title, text in boxes.shown if "恢复码" in text] == ["information"]
    try:
        assert session.actor.username == "admin" and session.actor.role == "school_admin"
        assert session.kind == "school"
        assert opening.last_database() == target.resolve()
        db = Database(target)
        assert [(r["code"], r["name"], r["type"]) for r in db.query("SELECT code, name, type FROM school")] == [
            ("HX02", "河西教学点", "教学点")]
        db.close()
    finally:
        session.close()


def test_opening_a_file_that_is_not_a_database_says_so_in_chinese(tmp_path, tasks, boxes):
    path = tmp_path / "成绩.sqlite"
    path.write_text("不是数据库", encoding="utf-8")
    assert opening.open_path(path, tasks) is None
    kind, title, text = boxes.shown[-1]
    assert (kind, title) == ("critical", "无法打开")
    assert "不是本程序的数据库文件" in text


def test_opening_a_database_from_a_newer_program_is_refused(small_school, tasks, boxes):
    db = Database(small_school)
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('schoolq', 'm999_future', '2030-01-01')")
    db.conn.commit()
    db.close()
    assert opening.open_path(small_school, tasks) is None
    kind, title, text = boxes.shown[-1]
    assert (kind, title) == ("critical", "程序版本过旧")
    assert "请升级程序" in text


def test_an_unexpected_error_shows_a_short_chinese_message_and_is_logged(monkeypatch, boxes, qapp):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    kind, title, text = boxes.shown[-1]
    assert (kind, title) == ("critical", "程序内部错误")
    assert "Traceback" not in text and str(log_path()) in text
    assert "RuntimeError: boom in a slot" in log_path().read_text(encoding="utf-8")
    assert QApplication.instance() is qapp


def test_closing_an_administrators_session_signs_the_audit_record(small_school, tasks, boxes):
    from app.db.database import open_database
    from app.services.audit import verify
    from app.services.users import login
    from ui.session import Session

    from app.services.schools import update_school

    db = open_database(small_school)
    session = Session(small_school, db, login(db, "admin", PASSPHRASE), tasks, passphrase=PASSPHRASE)
    session.close()                                  # nothing changed: nothing to sign
    db = open_database(small_school)
    assert db.execute("SELECT COUNT(*) FROM audit_head").fetchone()[0] == 0
    session = Session(small_school, db, login(db, "admin", PASSPHRASE), tasks, passphrase=PASSPHRASE)
    update_school(db, session.actor, session.actor.school_id, address="河西村 1 号")
    session.close()
    check = open_database(small_school, readonly=True)
    try:
        heads = check.execute("SELECT COUNT(*) FROM audit_head").fetchone()[0]
        assert heads == 1 and verify(check) == []
    finally:
        check.close()


def test_an_unwritable_data_folder_never_turns_an_error_into_a_traceback(tmp_path, monkeypatch):
    import sqlite3
    import tempfile

    from ui.dialogs.messages import error_text

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("SCHOOLQ_DATA_DIR", str(blocker / "SchoolQ"))  # can never be created
    title, text = error_text(RuntimeError("boom"))
    assert title == "程序内部错误" and tempfile.gettempdir() in text
    title, text = error_text(sqlite3.OperationalError("database or disk is full"))
    assert title == "操作未完成" and text.startswith("磁盘已满")
    title, text = error_text(OSError(30, "Read-only file system", "/media/usb/x.zip"))
    assert text.startswith("只读") and "/media/usb/x.zip" in text
