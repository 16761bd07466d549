"""新建账号: a local user with a role, a school, the teacher a teacher account belongs to, a passphrase."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit, QWidget

from app.db.writes import ROLE_NAMES, role_name
from app.errors import Problem, ValidationError
from app.queries.roster import list_schools, list_teachers
from app.services.users import create_user
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.passphrase_strength import StrengthLabel
from ui.widgets.scaffold import dialog_layout

class NewUserDialog(QDialog):
    """Creates a local account with app.services.users.create_user; `user_id` after accept.

    A township administrator may create any account; a school administrator only accounts of
    their own school (never a township administrator).
    """

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.user_id: str | None = None
        layout = dialog_layout(self, self.tr("新建账号"), 460)
        self.form = ProblemForm()
        self.username = self.form.add_field("username", self.tr("用户名"), QLineEdit())
        self.display_name = self.form.add_field("display_name", self.tr("显示名称"), QLineEdit())
        self.display_name.setPlaceholderText(self.tr("如 王老师;可不填"))
        self.role = self.form.add_field("role", self.tr("角色"), QComboBox())
        for role in ROLE_NAMES:
            if role == "township_admin" and session.actor.role != "township_admin":
                continue
            self.role.addItem(role_name(role, session.kind), role)
        self.role.setCurrentIndex(self.role.findData("teacher"))
        self.school = self.form.add_field("school_id", self.tr("学校"), QComboBox())
        for school in list_schools(session.db):
            if session.actor.role == "township_admin" or school["id"] == session.actor.school_id:
                self.school.addItem(school["name"], school["id"])
        self.teacher = self.form.add_field("teacher_id", self.tr("对应教师"), QComboBox())
        self.passphrase = self.form.add_field("passphrase", self.tr("口令"), QLineEdit())
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = self.form.add_field("strength", "", StrengthLabel(self.passphrase))
        self.passphrase_again = self.form.add_field("passphrase_again", self.tr("再输入一次"), QLineEdit())
        self.passphrase_again.setEchoMode(QLineEdit.EchoMode.Password)
        layout.addWidget(self.form)
        buttons = ok_cancel_buttons(self, self.tr("创建"))
        layout.addWidget(buttons)
        self.role.currentIndexChanged.connect(self._role_changed)
        self.school.currentIndexChanged.connect(self._fill_teachers)
        self._fill_teachers()
        self._role_changed()

    def _role_changed(self) -> None:
        role = self.role.currentData()
        self.school.setEnabled(role != "township_admin")
        self.teacher.setEnabled(role == "teacher")

    def _fill_teachers(self) -> None:
        self.teacher.clear()
        school_id = self.school.currentData()
        if school_id is None:
            return
        for row in list_teachers(self.session.db, school_id):
            if row["active"]:
                self.teacher.addItem(f"{row['name']}({row['staff_no']})", row["id"])

    def accept(self) -> None:
        """Create the account; on refusal show the problem by its field and keep the dialog open."""
        if self.passphrase.text() != self.passphrase_again.text():
            self.form.show_problems([Problem(self.tr("两次输入的口令不一致。"), field="passphrase_again")])
            return
        role = self.role.currentData()
        try:
            self.user_id = self.session.write(
                create_user, username=self.username.text(),
                display_name=self.display_name.text().strip(), role=role,
                school_id=None if role == "township_admin" else self.school.currentData(),
                teacher_id=self.teacher.currentData() if role == "teacher" else None,
                passphrase=self.passphrase.text())
        except ValidationError as exc:
            self.form.show_problems(exc.problems)
            return
        super().accept()
