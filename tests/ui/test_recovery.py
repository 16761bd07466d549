"""A forgotten administrator passphrase in the window: 登录 › 忘记口令… with the recovery code from the
printed sheet sets a new one (the signing key follows, same fingerprint), and 设置 › 打印恢复单… makes a
new sheet whose code works while the old one stops working."""
from __future__ import annotations

import re
import subprocess

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog

from app.db.database import open_database
from app.errors import ValidationError
from app.services import keys
from app.services.users import actor_for, login
from conftest import PASSPHRASE
from ui.dialogs.login_dialog import LoginDialog
from ui.pages.settings_page import SettingsPage
from ui_helpers import when_modal

NEW = "青山石门2026秋"


@pytest.fixture
def school_with_code(small_school):
    """The small school, its recovery code (as printed at set-up) and its key's fingerprint."""
    db = open_database(small_school)
    code = keys.new_recovery_code(db, actor_for(db), PASSPHRASE)
    fingerprint = keys.own_key(db)["fingerprint"]
    yield db, code, fingerprint
    db.close()


def test_forgotten_passphrase_is_reset_from_the_login_with_the_recovery_code(school_with_code, small_school,
                                                                               owned, tmp_path):
    db, code, fingerprint = school_with_code
    login_dialog = owned(LoginDialog(db, small_school, username="admin"))
    assert login_dialog.forgot_button.text() == "忘记口令…"
    seen = {}

    def type_the_sheet(dialog):
        login_dialog.grab().save(str(tmp_path / "login.png"))
        assert dialog.username.text() == "admin"
        dialog.code.setText("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")  # a misread sheet
        dialog.new.setText(NEW)
        dialog.again.setText(NEW)
        dialog.accept()
        seen["wrong"] = dialog.form.error_text("code")
        assert dialog.isVisible()
        dialog.code.setText(code.lower().replace("-", " "))  # typed in lower case, with spaces
        dialog.again.setText(NEW + "x")
        dialog.accept()
        seen["mismatch"] = dialog.form.error_text("again")
        dialog.again.setText(NEW)
        dialog.grab().save(str(tmp_path / "recover.png"))
        dialog.accept()

    errors = when_modal(type_the_sheet)
    login_dialog.show()
    login_dialog.recover()
    assert not errors, errors
    assert "恢复码不正确" in seen["wrong"] and "不一致" in seen["mismatch"]
    assert login_dialog.result() == 1 and login_dialog.actor.username == "admin"
    assert login(db, "admin", NEW).role == "school_admin"
    with pytest.raises(ValidationError):
        login(db, "admin", PASSPHRASE)
    keys.unlock(db, NEW)  # the signing key follows the new passphrase …
    assert keys.own_key(db)["fingerprint"] == fingerprint  # … and is the same key the township registered


def test_settings_prints_a_new_recovery_sheet_and_the_old_code_stops_working(window, school_session, monkeypatch,
                                                                               tmp_path, boxes):
    db = school_session.db
    old_code = keys.new_recovery_code(db, school_session.actor, PASSPHRASE)
    page = window.show_page(SettingsPage)
    assert page.recovery_button.isVisible()
    target = tmp_path / "恢复单.pdf"
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (PASSPHRASE, True)))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    assert page.print_recovery_sheet() == target
    assert boxes.shown[-1][:2] == ("information", "恢复单") and "以前的恢复码已作废" in boxes.shown[-1][2]
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    printed = re.search(r"([A-Z0-9]{5}-){4}[A-Z0-9]{5}", re.sub(r"\s", "", text)).group(0)
    assert "忘记口令" in text
    assert printed != old_code
    with db.atomic():
        with pytest.raises(ValidationError):
            keys.recover_key(db, school_session.actor, old_code, NEW)
        keys.recover_key(db, school_session.actor, printed, NEW)
    keys.unlock(db, NEW)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("wrong-pass", True)))
    assert page.print_recovery_sheet() is None
    assert boxes.shown[-1][0] == "warning" and "口令不正确" in boxes.shown[-1][2]
