"""教师: the teacher roster with filters by text, school and 在岗; add, edit, remove, import."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from app.db.database import Database
from app.importing.teachers import apply_teachers, read_teachers
from app.services.teachers import delete_teacher
from ui.dialogs.teacher_dialog import TeacherDialog
from ui.models.table_model import TableSnapshot
from ui.models.teachers_table import load_teachers, teacher_columns
from ui.pages.roster_page import RosterPage
from ui.session import Session
from ui.widgets.choosers import ALL, chosen


class TeachersPage(RosterPage):
    """The 教师 page."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, teacher_columns(session.is_township), parent)
        self.active_combo = QComboBox()
        self.search.setPlaceholderText(self.tr("按姓名、工号或学科筛选"))
        self.active_combo.addItem(self.tr("全部教师"), ALL)
        self.active_combo.addItem(self.tr("在岗"), 1)
        self.active_combo.addItem(self.tr("不在岗"), 0)
        self.active_combo.currentIndexChanged.connect(self._active_changed)
        self.filters.addWidget(self.active_combo)
        self.filters.addStretch(1)
        self.import_button.setToolTip(self.tr("从 Excel(.xlsx)或 CSV 教师名册导入,导入前先预览"))

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("教师")

    def load(self, db: Database) -> TableSnapshot:
        """Return the snapshot of every teacher (on the worker)."""
        return load_teachers(db, self.session.is_township)

    def _active_changed(self) -> None:
        self.proxy.set_filter(active=chosen(self.active_combo))

    def make_dialog(self, row: dict | None) -> TeacherDialog:
        """Return the add (row None) or edit dialog."""
        return TeacherDialog(self.session, row, self.default_school_id(), self)

    def remove(self, row: dict) -> None:
        """Delete the teacher through app.services.teachers."""
        self.session.write(delete_teacher, row["id"])

    def remove_question(self, row: dict) -> str:
        """Return the confirmation question."""
        return self.tr("确定删除教师“{name}”(工号 {no})吗?\n只删除误录的教师;调离或退休的教师请改为“不在岗”。").format(
            name=row["name"], no=row["staff_no"])

    def import_functions(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """Return (read_teachers, apply_teachers)."""
        return read_teachers, apply_teachers

    def import_title(self) -> str:
        """Return what this page imports."""
        return self.tr("教师名册")
