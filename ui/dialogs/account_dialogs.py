"""修改我的口令, 重设口令 and 忘记口令: passphrases through app.services.users, with the strength shown while
typing."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.db.database import Database
from app.errors import NotFound, Problem, ValidationError
from app.services.users import change_own_passphrase, recover_account, reset_passphrase
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.passphrase_strength import StrengthLabel


def _secret() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit



def _new_passphrase_fields(dialog: QDialog, form: ProblemForm) -> tuple[QLineEdit, QLineEdit]:
    """Add a new passphrase (with its strength shown as it is typed) and its repetition to `form`;
    return the two fields."""
    new = form.add_field("new", dialog.tr("新口令"), _secret())
    form.add_row("", StrengthLabel(new))
    return new, form.add_field("again", dialog.tr("再输入一次"), _secret())


def _entries_differ(dialog: PassphraseDialog | RecoverDialog) -> bool:
    """Return True after showing under 再输入一次 that the dialog's two entries of the new passphrase
    differ."""
    if dialog.new.text() == dialog.again.text():
        return False
    dialog.form.show_problems([Problem(dialog.tr("两次输入的口令不一致。"), field="again")])
    return True

class PassphraseDialog(QDialog):
    """Change the logged-in user's own passphrase (`username` None) or reset another account's."""

    def __init__(self, session: Session, username: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.username = session, username
        own = username is None
        self.setWindowTitle(self.tr("修改我的口令") if own else self.tr("重设口令"))
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("管理员的口令同时保护签名私钥,修改后私钥随之改用新口令。") if own and session.is_admin
                       else self.tr("为账号“{name}”设置新口令(忘记口令时),并解除锁定。请当面告诉本人,"
                                    "让他登录后自己再改。").format(name=username) if not own else "")
        intro.setWordWrap(True)
        intro.setVisible(bool(intro.text()))
        layout.addWidget(intro)
        self.form = ProblemForm()
        self.old = self.form.add_field("old", self.tr("原口令"), _secret()) if own else None
        self.new, self.again = _new_passphrase_fields(self, self.form)
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self))

    def accept(self) -> None:
        """Save through the users service; keep the dialog open and show the problem on refusal."""
        if _entries_differ(self):
            return
        def write() -> None:
            if self.username is None:
                self.session.write(change_own_passphrase, self.old.text(), self.new.text())
            else:
                self.session.write(reset_passphrase, self.username, self.new.text())

        if self.form.submit(write):
            super().accept()


class RecoverDialog(QDialog):
    """忘记口令: the recovery code from the printed recovery sheet sets a new administrator passphrase
    (app.services.users.recover_account, as `schoolq recover`); the signing key follows it. After
    accept, `new_passphrase` holds the passphrase set."""

    def __init__(self, db: Database, username: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.new_passphrase = ""
        self.setWindowTitle(self.tr("忘记口令"))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("管理员忘记口令时,用设立数据库时打印的恢复单上的恢复码(25 个字母和数字,"
                               "不分大小写)设置新口令;签名密钥随之改用新口令,指纹不变,乡镇的登记仍然有效。\n"
                               "教师和教务的口令请让本校管理员在“设置”中重设。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form = ProblemForm()
        self.username = self.form.add_field("username", self.tr("管理员账号"), QLineEdit(username or "admin"))
        self.code = self.form.add_field("code", self.tr("恢复码"), QLineEdit())
        self.code.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        self.new, self.again = _new_passphrase_fields(self, self.form)
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self))
        self.code.setFocus()

    def accept(self) -> None:
        """Set the new passphrase through the users service; stay open with the problem shown."""
        if _entries_differ(self):
            return
        try:
            recover_account(self.db, self.username.text().strip(), self.code.text(), self.new.text())
        except ValidationError as exc:
            self.form.show_problems(exc.problems)
            return
        except NotFound as exc:
            self.form.show_problems([Problem(str(exc), field="username")])
            return
        self.new_passphrase = self.new.text()
        super().accept()
