"""The login dialog: a local user name and passphrase give the Actor every service call runs as."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QWidget

from app.db.database import Database
from app.db.writes import Actor
from app.errors import Problem, ValidationError
from app.services.users import login
from ui.dialogs.account_dialogs import RecoverDialog
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.scaffold import dialog_layout, note_label, push_button


class LoginDialog(QDialog):
    """Asks for user name and passphrase; `actor` holds the verified user after accept. The name
    field starts with `username` (the last user of this database), else empty (admin in the demo)."""

    def __init__(self, db: Database, path: Path, *, demo: bool = False, username: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.actor: Actor | None = None
        layout = dialog_layout(self, self.tr("登录"), 420)
        intro = QLabel(self.tr("数据库:{name}").format(name=Path(path).name))
        intro.setToolTip(str(path))
        layout.addWidget(intro)
        self.form = ProblemForm()
        self.username = self.form.add_field("username", self.tr("用户名"), QLineEdit(username or ("admin" if demo else "")))
        self.passphrase = self.form.add_field("passphrase", self.tr("口令"), QLineEdit())
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        layout.addWidget(self.form)
        if demo:
            hint = note_label(self.tr("演示数据库口令:demo"), wrap=False)
            hint.setObjectName("demo_hint")
            layout.addWidget(hint)
        buttons = ok_cancel_buttons(self, self.tr("登录"))
        self.forgot_button = push_button(self.tr("忘记口令…"), self.recover, tip=self.tr("用恢复单上的恢复码重设管理员口令"))
        buttons.addButton(self.forgot_button, QDialogButtonBox.ButtonRole.ResetRole)
        layout.addWidget(buttons)
        (self.passphrase if self.username.text() else self.username).setFocus()

    def recover(self) -> RecoverDialog:
        """Open 忘记口令; when it set a new passphrase, log in with it. Returns the dialog."""
        dialog = RecoverDialog(self.db, self.username.text().strip(), self)
        if dialog.exec():
            self.username.setText(dialog.username.text().strip())
            self.passphrase.setText(dialog.new_passphrase)
            self.accept()
        return dialog

    def accept(self) -> None:
        """Verify the user; stay open with the problem shown when the passphrase is wrong."""
        try:
            self.actor = login(self.db, self.username.text().strip(), self.passphrase.text())
        except ValidationError as exc:
            self.form.show_problems([Problem(p.message, field="passphrase") for p in exc.problems])
            self.passphrase.selectAll()
            return
        super().accept()
