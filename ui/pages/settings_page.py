"""设置: facts about the database, the school's details, the current term, the local accounts and the
backups (ui.widgets.backup_box)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QTableView,
                               QVBoxLayout, QWidget)

from app import __version__
from app.db.database import schema_version
from app.db.migrations import program_schema_version
from app.db.writes import role_name
from app.errors import PermissionDenied, SchoolQError
from app.packages.registration_sheet import write_recovery_sheet
from app.paths import user_data_dir
from app.queries.gui import list_terms
from app.queries.roster import list_schools, teacher_names
from app.services.keys import new_recovery_code
from app.services.schools import SCHOOL_TYPES, current_term, set_current_term, update_school
from app.services.users import list_users, set_active, set_locked
from ui.dialogs.account_dialogs import PassphraseDialog
from ui.dialogs.messages import confirm, errors_shown, inform, show_error
from ui.dialogs.new_user_dialog import NewUserDialog
from ui.dialogs.start_term_dialog import StartTermDialog
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.backup_box import BackupBox
from ui.widgets.form import ProblemForm


class SettingsPage(Page):
    """The 设置 page."""

    depends_on = Changed.ROSTER | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)

        info = QGroupBox(self.tr("数据库信息"))
        self.info_form = QFormLayout(info)
        self.info_labels: dict[str, QLabel] = {}
        for key, title in (("path", "文件"), ("kind", "类型"), ("schema", "数据结构版本"), ("version", "程序版本"),
                           ("data_dir", "数据文件夹")):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.info_form.addRow(self.tr(title), label)
            self.info_labels[key] = label
        layout.addWidget(info)

        school_box = QGroupBox(self.tr("学校信息"))
        school_layout = QVBoxLayout(school_box)
        self.school_form = ProblemForm()
        self.school_choice = QComboBox()
        self.school_choice.currentIndexChanged.connect(self._show_school)
        if session.is_township:
            self.school_form.add_row(self.tr("学校"), self.school_choice)
        self.school_name = self.school_form.add_field("name", self.tr("名称"), QLineEdit())
        self.school_type = self.school_form.add_field("type", self.tr("类型"), QComboBox())
        self.school_type.addItems(list(SCHOOL_TYPES))
        self.school_address = self.school_form.add_field("address", self.tr("地址"), QLineEdit())
        self.school_periods = self.school_form.add_field("daily_max_periods", self.tr("每日最多节数"), QSpinBox())
        self.school_periods.setRange(1, 12)
        school_layout.addWidget(self.school_form)
        row = QHBoxLayout()
        self.school_save = QPushButton(self.tr("保存学校信息"))
        self.school_save.clicked.connect(self.save_school)
        self.school_status = QLabel()
        row.addWidget(self.school_save)
        row.addWidget(self.school_status, 1)
        school_layout.addLayout(row)
        layout.addWidget(school_box)

        term_box = QGroupBox(self.tr("当前学期"))
        term_row = QHBoxLayout(term_box)
        self.term_combo = QComboBox()
        self.term_combo.setMinimumContentsLength(20)
        self.term_button = QPushButton(self.tr("设为当前学期"))
        self.term_button.clicked.connect(self.set_term)
        self.term_label = QLabel()
        term_row.addWidget(self.term_combo)
        term_row.addWidget(self.term_button)
        term_row.addWidget(self.term_label, 1)
        self.new_term_button = QPushButton(self.tr("开始新学期…"))
        self.new_term_button.clicked.connect(self.start_new_term)
        term_row.addWidget(self.new_term_button)
        layout.addWidget(term_box)

        users_box = QGroupBox(self.tr("本地账号"))
        users_layout = QVBoxLayout(users_box)
        self.user_columns = [Column(key, title, field_text(key)) for key, title in (
            ("username", self.tr("用户名")), ("display_name", self.tr("显示名称")), ("role_name", self.tr("角色")),
            ("school_name", self.tr("学校")), ("teacher_name", self.tr("对应教师")), ("state", self.tr("状态")))]
        self.users_model = SnapshotTableModel(self.user_columns, self)
        self.users_table = QTableView()
        self.users_table.setModel(self.users_model)
        self.users_table.verticalHeader().hide()
        self.users_table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.users_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.users_table.setMinimumHeight(160)
        self.users_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.users_table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        users_layout.addWidget(self.users_table)
        account_row = QHBoxLayout()
        self.new_user_button = QPushButton(self.tr("新建账号…"))
        self.new_user_button.clicked.connect(self.new_user)
        self.own_passphrase_button = QPushButton(self.tr("修改我的口令…"))
        self.own_passphrase_button.clicked.connect(self.change_own_passphrase)
        self.recovery_button = QPushButton(self.tr("打印恢复单…"))
        self.recovery_button.setToolTip(self.tr("新的恢复码写成可打印的恢复单(PDF);忘记管理员口令时用它重设,以前的恢复码作废"))
        self.recovery_button.clicked.connect(self.print_recovery_sheet)
        if not session.is_admin:  # hide only: showing a widget without a parent opens it as a window
            self.recovery_button.hide()
        self.reset_button = QPushButton(self.tr("重设口令…"))
        self.reset_button.clicked.connect(self.reset_selected)
        self.active_button = QPushButton(self.tr("停用账号"))
        self.active_button.clicked.connect(self.toggle_selected)
        self.unlock_button = QPushButton(self.tr("锁定"))
        self.unlock_button.clicked.connect(self.unlock_selected)
        for button in (self.new_user_button, self.own_passphrase_button, self.recovery_button, self.reset_button,
                       self.active_button, self.unlock_button):
            account_row.addWidget(button)
        account_row.addStretch(1)
        users_layout.addLayout(account_row)
        self.users_table.selectionModel().selectionChanged.connect(lambda *_: self._user_chosen())
        layout.addWidget(users_box)
        self.backup_box = BackupBox(session)
        layout.addWidget(self.backup_box)
        layout.addStretch(1)
        self._schools: list[dict] = []

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("设置")

    def refresh(self) -> None:
        """Reload every section from the database."""
        session = self.session
        db = session.db
        kinds = {"school": self.tr("学校数据库"), "township": self.tr("乡镇数据库"), "county": self.tr("县级数据库")}
        self.info_labels["path"].setText(str(session.path))
        self.info_labels["kind"].setText(kinds.get(session.kind, session.kind))
        self.info_labels["schema"].setText(self.tr("数据库 {db},本程序 {program}").format(
            db=schema_version(db), program=program_schema_version()))
        self.info_labels["version"].setText(__version__)
        self.info_labels["data_dir"].setText(str(user_data_dir()))
        self.backup_box.refresh()

        current = self.school_choice.currentData()
        self._schools = list_schools(db)
        self.school_choice.blockSignals(True)
        self.school_choice.clear()
        for school in self._schools:
            self.school_choice.addItem(f"{school['name']}({school['code']})", school["id"])
        wanted = current or session.actor.school_id
        self.school_choice.setCurrentIndex(max(self.school_choice.findData(wanted), 0))
        self.school_choice.blockSignals(False)
        self._show_school()

        self.term_combo.clear()
        try:
            now = current_term(db)["id"]
        except Exception:  # noqa: BLE001 - a database without a current term
            now = None
        for term in list_terms(db):
            self.term_combo.addItem(term["name"], term["id"])
        self.term_combo.setCurrentIndex(max(self.term_combo.findData(now), 0))
        self.term_label.setText(self.tr("当前:{name}").format(name=session.term_name()))
        self.term_button.setEnabled(session.is_admin)
        self.new_term_button.setEnabled(session.is_admin)

        schools = {s["id"]: s["name"] for s in self._schools}
        teachers = teacher_names(db)
        users = [dict(u, role_name=role_name(u["role"], session.kind), school_name=schools.get(u["school_id"], ""),
                      teacher_name=teachers.get(u["teacher_id"], ""),
                      state=self.tr("停用") if not u["active"] else self.tr("已锁定") if u.get("locked")
                      else self.tr("启用")) for u in list_users(db)]
        self.users_model.set_snapshot(TableSnapshot.build(users, self.user_columns, ()))
        self.new_user_button.setEnabled(session.is_admin)
        self._user_chosen()

    def _selected_school(self) -> dict | None:
        school_id = self.school_choice.currentData()
        return next((s for s in self._schools if s["id"] == school_id), None)

    def _may_edit(self, school: dict) -> bool:
        actor = self.session.actor
        return actor.role == "township_admin" or (actor.role == "school_admin" and actor.school_id == school["id"])

    def _show_school(self) -> None:
        school = self._selected_school()
        self.school_form.clear_problems()
        self.school_status.clear()
        editable = school is not None and self._may_edit(school)
        for widget in (self.school_name, self.school_type, self.school_address, self.school_periods,
                       self.school_save):
            widget.setEnabled(editable)
        if school is None:
            return
        self.school_name.setText(school["name"])
        self.school_type.setCurrentText(school["type"])
        self.school_address.setText(school.get("address") or "")
        self.school_periods.setValue(int(school.get("daily_max_periods") or 6))
        if not editable:
            self.school_status.setText(self.tr("只有本校管理员可以修改。"))

    def save_school(self) -> None:
        """Save the school's details through app.services.schools.update_school."""
        school = self._selected_school()
        if school is None:
            return
        changed: list[bool] = []
        if not self.school_form.submit(lambda: changed.append(self.session.write(
                update_school, school["id"], name=self.school_name.text().strip(), type=self.school_type.currentText(),
                address=self.school_address.text().strip() or None, daily_max_periods=self.school_periods.value()))):
            return
        self.session.notify_changed(Changed.ROSTER | Changed.SETTINGS)
        self.school_status.setText(self.tr("已保存。") if changed[0] else self.tr("没有改动。"))

    def set_term(self) -> None:
        """Make the chosen term the current one."""
        term_id = self.term_combo.currentData()
        if term_id is None:
            return
        if not self.session.is_admin:
            show_error(self, PermissionDenied(self.tr("只有管理员可以更改当前学期。")))
            return
        self.session.write(set_current_term, term_id)
        self.session.notify_changed(Changed.ALL)

    def start_new_term(self) -> None:
        """Open 开始新学期 (with the 升年级 preview at the start of a school year)."""
        with errors_shown(self) as attempt:
            dialog = StartTermDialog(self.session, self)
        if attempt.failed:
            return
        if dialog.exec() and dialog.result_:
            result = dialog.result_
            text = self.tr("已开始新学期。")
            if result["classes"] or result["graduates"]:
                text += self.tr("升年级:新建 {c} 个班级,{p} 名学生升级,{g} 名学生毕业离校。").format(
                    c=result["classes"], p=result["pupils"], g=result["graduates"])
            self.session.notify_changed(Changed.ALL)
            inform(self, self.tr("开始新学期"), text)

    def selected_user(self) -> dict | None:
        """Return the account chosen in the table, or None."""
        rows = self.users_table.selectionModel().selectedRows()
        return self.users_model.row_data(rows[0].row()) if rows else None

    def _user_chosen(self) -> None:
        user = self.selected_user()
        other = user is not None and user["username"] != self.session.actor.username and self.session.is_admin
        for button in (self.reset_button, self.active_button):
            button.setEnabled(other)
        self.unlock_button.setEnabled(other)
        self.unlock_button.setText(self.tr("解锁") if user is not None and user.get("locked") else self.tr("锁定"))
        self.active_button.setText(self.tr("启用账号") if user is not None and not user["active"] else self.tr("停用账号"))

    def change_own_passphrase(self) -> None:
        """Open 修改我的口令."""
        if PassphraseDialog(self.session, None, self).exec():
            inform(self, self.tr("修改口令"), self.tr("口令已修改,下次登录请用新口令。"))
            self.session.notify_changed(Changed.SETTINGS)

    def print_recovery_sheet(self) -> Path | None:
        """Ask the administrator's passphrase and where to save, make a new recovery code and write it
        on the printable recovery sheet (as `schoolq keys recovery-sheet`); return the PDF's path, or
        None when cancelled or refused."""
        secret, ok = QInputDialog.getText(self, self.tr("打印恢复单"), self.tr(
            "新的恢复单生效后,以前的恢复码作废。请输入管理员口令:"), QLineEdit.EchoMode.Password)
        if not ok or not secret:
            return None
        target, _ = QFileDialog.getSaveFileName(self, self.tr("保存恢复单"), str(Path.home() / "恢复单.pdf"),
                                                self.tr("PDF 文件 (*.pdf)"))
        if not target:
            return None
        session = self.session
        try:
            code = session.write(new_recovery_code, secret)
        except SchoolQError as exc:
            show_error(self, exc)
            return None
        self.session.notify_changed(Changed.SETTINGS)
        try:
            path = session.tasks.run_modal(lambda _c: write_recovery_sheet(session.worker_db(), target, code,
                                                                             session.actor.username))
        except (OSError, SchoolQError) as exc:
            show_error(self, SchoolQError(self.tr("恢复单没有写出({reason})。新的恢复码是 {code}:请立即抄在纸上锁好,"
                                                  "或换个位置重新打印。").format(reason=exc, code=code)))
            return None
        inform(self, self.tr("恢复单"), self.tr("已写出恢复单:{path}\n以前的恢复码已作废。请打印后锁好保存,"
                                             "然后删除这个 PDF 文件。").format(path=path))
        return path

    def reset_selected(self) -> None:
        """Open 重设口令 for the chosen account (a forgotten passphrase)."""
        user = self.selected_user()
        if user is not None and PassphraseDialog(self.session, user["username"], self).exec():
            inform(self, self.tr("重设口令"), self.tr("已为“{name}”设置新口令。").format(name=user["username"]))
            self.session.notify_changed(Changed.SETTINGS)

    def toggle_selected(self) -> None:
        """Disable the chosen account (a teacher who left), or enable it again."""
        user = self.selected_user()
        if user is None:
            return
        disable = bool(user["active"])
        if disable and not confirm(self, self.tr("停用账号"), self.tr(
                "停用账号“{name}”吗?停用后不能再登录,它以前的修改记录保留。").format(name=user["username"])):
            return
        with errors_shown(self) as attempt:
            self.session.write(set_active, user["username"], not disable)
        if attempt.failed:
            return
        self.session.notify_changed(Changed.SETTINGS)

    def unlock_selected(self) -> None:
        """Lock the chosen account (no log-in until unlocked: a laptop left with a colleague, a
        suspected guess) or unlock it (also after too many wrong passphrases)."""
        user = self.selected_user()
        if user is None:
            return
        with errors_shown(self) as attempt:
            self.session.write(set_locked, user["username"], not user.get("locked"))
        if attempt.failed:
            return
        self.session.notify_changed(Changed.SETTINGS)

    def new_user(self) -> None:
        """Open 新建账号; the list reloads after an account was created."""
        if NewUserDialog(self.session, self).exec():
            self.session.notify_changed(Changed.SETTINGS)
