"""新建学校数据库: school code, name, type, township, admin passphrase and where to save the file."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QDialog, QFileDialog, QHBoxLayout, QLineEdit, QMessageBox, QWidget

from app.db.database import Database
from app.errors import Problem, ValidationError
from app.paths import user_data_dir
from app.services.schools import SCHOOL_TYPES
from app.services.keys import new_recovery_code
from app.services.setup import init_school
from app.services.users import actor_for
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.passphrase_strength import StrengthLabel
from ui.widgets.scaffold import dialog_layout, note_label, push_button


class NewSchoolDialog(QDialog):
    """Creates the database with app.services.setup.init_school; after accept `db`, `path` and
    `passphrase` describe it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.db: Database | None = None
        self.path: Path | None = None
        self.passphrase = ""
        self.recovery_code = ""
        self._path_edited = False
        layout = dialog_layout(self, self.tr("新建学校数据库"), 520)
        self.form = ProblemForm()
        self.code = self.form.add_field("code", self.tr("学校代码"), QLineEdit())
        self.code.setPlaceholderText(self.tr("字母和数字,如 XYZX01"))
        self.name = self.form.add_field("name", self.tr("学校名称"), QLineEdit())
        self.type = self.form.add_field("type", self.tr("学校类型"), QComboBox())
        self.type.addItems(list(SCHOOL_TYPES))
        self.township_code = self.form.add_field("township_code", self.tr("所属乡镇代码"), QLineEdit())
        self.township_code.setPlaceholderText(self.tr("可不填"))
        self.township_name = self.form.add_field("township_name", self.tr("所属乡镇名称"), QLineEdit())
        self.township_name.setPlaceholderText(self.tr("可不填"))
        self.passphrase_edit = self.form.add_field("passphrase", self.tr("管理员口令"), QLineEdit())
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = self.form.add_field("strength", "", StrengthLabel(self.passphrase_edit))
        self.passphrase_again = self.form.add_field("passphrase_again", self.tr("再输入一次"), QLineEdit())
        self.passphrase_again.setEchoMode(QLineEdit.EchoMode.Password)
        path_row = QWidget()
        row = QHBoxLayout(path_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.path_edit = QLineEdit()
        browse = push_button(self.tr("浏览…"), self._browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.form.add_field("path", self.tr("保存位置"), path_row)
        layout.addWidget(self.form)
        note = note_label(self.tr("管理员账号为 admin。口令至少 8 个字符,它同时保护本校的数据签名密钥;创建后会显示一个恢复码,"
                                  "请抄下锁好,忘记口令时用它重设。"))
        layout.addWidget(note)
        buttons = ok_cancel_buttons(self, self.tr("创建"))
        layout.addWidget(buttons)
        self.code.textChanged.connect(self._suggest_path)
        self.path_edit.textEdited.connect(self._mark_path_edited)
        self._suggest_path()

    def _mark_path_edited(self) -> None:
        self._path_edited = True

    def _suggest_path(self) -> None:
        if not self._path_edited:
            code = self.code.text().strip().upper() or "school"
            self.path_edit.setText(str(user_data_dir() / f"{code}.sqlite"))

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("保存数据库文件"), self.path_edit.text(),
                                              self.tr("数据库文件 (*.sqlite)"))
        if name:
            self._path_edited = True
            self.path_edit.setText(name if name.endswith(".sqlite") else name + ".sqlite")

    def accept(self) -> None:
        """Create the database; stay open with the problems shown next to their fields."""
        problems = []
        if self.passphrase_edit.text() != self.passphrase_again.text():
            problems.append(Problem(self.tr("两次输入的口令不一致。"), field="passphrase_again"))
        if not self.path_edit.text().strip():
            problems.append(Problem(self.tr("请选择数据库文件的保存位置。"), field="path"))
        if problems:
            self.form.show_problems(problems)
            return
        path = Path(self.path_edit.text().strip())
        try:
            self.db = init_school(path, code=self.code.text(), name=self.name.text(), type=self.type.currentText(),
                                  passphrase=self.passphrase_edit.text(),
                                  township_code=self.township_code.text().strip() or None,
                                  township_name=self.township_name.text().strip() or None)
        except ValidationError as exc:
            self.form.show_problems([Problem(p.message, field=_field_of(p)) for p in exc.problems])
            return
        self.path = path
        self.passphrase = self.passphrase_edit.text()
        self.recovery_code = new_recovery_code(self.db, actor_for(self.db), self.passphrase)
        QMessageBox.information(self, self.tr("恢复码"), self.tr(
            "数据库已创建。管理员口令的恢复码是:\n\n{code}\n\n请把它抄在纸上,锁在柜子里,不要和电脑放在一起。"
            "忘记管理员口令时,用 schoolq recover 命令和这个恢复码重设口令,签名密钥不变。").format(code=self.recovery_code))
        super().accept()


def _field_of(problem: Problem) -> str | None:
    """Return the form field a problem of init_school belongs to."""
    if problem.message.startswith("乡镇"):
        return "township_code"
    if problem.field in ("code", "name", "type", "passphrase"):
        return problem.field
    if "文件" in problem.message:
        return "path"
    return None
