"""修改我的口令 and 重设口令: passphrases through app.services.users, with the strength shown while typing."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.errors import Problem
from app.services.users import change_own_passphrase, reset_passphrase
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.passphrase_strength import StrengthLabel


def _secret() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


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
        self.new = self.form.add_field("new", self.tr("新口令"), _secret())
        self.form.add_row("", StrengthLabel(self.new))
        self.again = self.form.add_field("again", self.tr("再输入一次"), _secret())
        layout.addWidget(self.form)
        buttons = ok_cancel_buttons(self)
        layout.addWidget(buttons)

    def accept(self) -> None:
        """Save through the users service; keep the dialog open and show the problem on refusal."""
        if self.new.text() != self.again.text():
            self.form.show_problems([Problem(self.tr("两次输入的口令不一致。"), field="again")])
            return
        db, actor = self.session.db, self.session.actor

        def write() -> None:
            if self.username is None:
                change_own_passphrase(db, actor, self.old.text(), self.new.text())
            else:
                reset_passphrase(db, actor, self.username, self.new.text())

        if self.form.submit(write):
            super().accept()
