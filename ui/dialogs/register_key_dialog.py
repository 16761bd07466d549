"""登记公钥: a township registers a school's key (a county a township's) after comparing the
fingerprint by phone. The key file comes from the stick; registering is app.packages.trust.register_key.
"""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel,
                               QLineEdit, QVBoxLayout, QWidget)

from app.errors import NotFound, PermissionDenied, Problem, ValidationError
from app.packages.signing import fingerprint_of_pem
from app.packages.trust import KeyRegistration, register_key, trusted_key
from app.services.schools import SCHOOL_TYPES, school_by_code
from ui.dialogs.messages import show_error
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.scaffold import push_button

FINGERPRINT_STYLE = "font-size: 20px; font-weight: bold; font-family: monospace; letter-spacing: 1px;"


class RegisterKeyDialog(QDialog):
    """Choose the key file, name the school (or township), compare the fingerprint, register."""

    def __init__(self, session: Session, path: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.level = "school" if session.kind == "township" else "township"
        self.what = self.tr("学校") if self.level == "school" else self.tr("乡镇")
        self.pem: bytes | None = None
        self.result_: KeyRegistration | None = None
        self.setWindowTitle(self.tr("登记{what}公钥").format(what=self.what))
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("选择{what}从 U 盘带来的公钥文件(.pem),然后打电话请对方念出本机“数据交换”页上的"
                               "密钥指纹,与下面的八组数字逐组核对。").format(what=self.what))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form = ProblemForm()
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.file = QLineEdit()
        self.file.setReadOnly(True)
        choose = push_button(self.tr("选择文件…"), self.choose_file)
        row.addWidget(self.file, 1)
        row.addWidget(choose)
        self.form.add_field("pubkey", self.tr("公钥文件"), file_row)
        self.code = self.form.add_field("code", self.tr("{what}代码").format(what=self.what), QLineEdit())
        self.code.setPlaceholderText(self.tr("如 QSZ03"))
        self.code.textChanged.connect(self._show_known)
        self.name = QLineEdit()
        self.type = QComboBox()
        self.type.addItems(list(SCHOOL_TYPES))
        if self.level == "school":
            self.name.setPlaceholderText(self.tr("本数据库还没有这所学校时填写"))
            self.form.add_field("name", self.tr("学校名称"), self.name)
            self.form.add_field("type", self.tr("学校类型"), self.type)
        self.known = QLabel()
        self.known.setWordWrap(True)
        self.form.add_row("", self.known)
        layout.addWidget(self.form)
        layout.addWidget(QLabel(self.tr("密钥指纹:")))
        self.fingerprint = QLabel(self.tr("(请先选择公钥文件)"))
        self.fingerprint.setStyleSheet(FINGERPRINT_STYLE)
        self.fingerprint.setWordWrap(True)
        layout.addWidget(self.fingerprint)
        self.compared = QCheckBox(self.tr("我已与对方电话逐组核对,八组数字完全一致"))
        self.compared.toggled.connect(self._update_ok)
        layout.addWidget(self.compared)
        self.replace = QCheckBox(self.tr("对方重新安装了程序、换了密钥:停用旧密钥,改用这把"))
        self.replace.hide()
        layout.addWidget(self.replace)
        self.buttons = ok_cancel_buttons(self, self.tr("登记"))
        layout.addWidget(self.buttons)
        self._update_ok()
        self.resize(700, 460)
        if path is not None:
            self.load_file(path)

    def choose_file(self) -> None:
        """Pick the key file."""
        name, _ = QFileDialog.getOpenFileName(self, self.tr("选择公钥文件"), "", self.tr("公钥 (*.pem)"))
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        """Read the key file, show its fingerprint, and take the code from a file named like S1234.pem."""
        self.form.clear_problems()
        self.pem = None
        self.file.setText(str(path))
        try:
            pem = path.read_bytes()
            fingerprint = fingerprint_of_pem(pem)
        except ValidationError as exc:
            self.form.show_problems([Problem(p.message, field="pubkey") for p in exc.problems])
            self.fingerprint.setText("—")
            self._update_ok()
            return
        except OSError as exc:
            show_error(self, exc)
            return
        self.pem = pem
        self.fingerprint.setText(fingerprint)
        stem = path.stem.upper()
        if not self.code.text().strip() and re.fullmatch(r"[A-Z0-9]{2,20}", stem):
            self.code.setText(stem)
        self._update_ok()

    def _show_known(self) -> None:
        code = self.code.text().strip().upper()
        self.known.clear()
        self.replace.hide()
        if not code:
            return
        if self.level == "school":
            try:
                school: dict | None = school_by_code(self.session.db, code)
            except NotFound:
                school = None
            if school:
                self.known.setText(self.tr("本数据库已有学校:{name}({type})").format(name=school["name"],
                                                                             type=school["type"]))
            self.name.setEnabled(school is None)
            self.type.setEnabled(school is None)
        old = trusted_key(self.session.db, self.level, code)
        if old:
            self.known.setText(self.known.text() + "\n" + self.tr("已登记的密钥指纹:{fp}").format(fp=old["fingerprint"]))
            self.replace.show()

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            self.pem is not None and self.compared.isChecked())

    def accept(self) -> None:
        """Register the key; on refusal show why and keep the dialog open."""
        if self.pem is None or not self.compared.isChecked():
            return
        name = self.name.text().strip() if self.level == "school" and self.name.isEnabled() else ""
        try:
            self.result_ = self.session.write(register_key, level=self.level, code=self.code.text(),
                                              pem=self.pem, replace=self.replace.isChecked(), name=name or None,
                                              school_type=self.type.currentText() if name else None)
        except ValidationError as exc:
            self.form.show_problems(exc.problems)
            self._show_known()
            return
        except PermissionDenied as exc:
            show_error(self, exc)
            return
        super().accept()
