"""学生: the pupil roster with filters by text, school, class and status; add, edit, remove, import."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from app.db.database import Database
from app.importing.roster import apply_roster, read_roster
from app.queries.roster import list_classes
from app.services.pupils import STATUSES, delete_pupil
from ui.dialogs.messages import warn
from ui.dialogs.pupil_dialog import PupilDialog
from ui.dialogs.pupil_record_dialog import PupilRecordDialog
from ui.models.pupils_table import load_pupils, pupil_columns
from ui.models.table_model import TableSnapshot
from ui.pages.roster_page import RosterPage
from ui.session import Session
from ui.widgets.choosers import ALL, chosen, refill
from ui.widgets.scaffold import push_button

ENROLLED = frozenset({"在读", "转入"})


class PupilsPage(RosterPage):
    """The 学生 page."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, pupil_columns(session.is_township), parent)
        self.class_combo = QComboBox()
        self.status_combo = QComboBox()
        self.search.setPlaceholderText(self.tr("按姓名或学籍号筛选"))
        self.class_combo.setMinimumContentsLength(8)
        self.class_combo.currentIndexChanged.connect(self._class_changed)
        self.filters.addWidget(self.class_combo)
        self.status_combo.addItem(self.tr("全部状态"), ALL)
        self.status_combo.addItem(self.tr("在籍(在读、转入)"), "enrolled")
        for status in STATUSES:
            self.status_combo.addItem(self.tr(status), status)
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        self.filters.addWidget(self.status_combo)
        self.filters.addStretch(1)
        self.record_button = push_button(self.tr("学业档案…"), self.show_record,
                                         tip=self.tr("所选学生的各次成绩、等级、走势、辅导记录,可保存家长会用的 PDF"))
        self.filters.addWidget(self.record_button)
        self.import_button.setToolTip(self.tr("从 Excel(.xlsx)或 CSV 学生名册导入,导入前先预览"))

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("学生")

    def load(self, db: Database) -> TableSnapshot:
        """Return the snapshot of every pupil (on the worker)."""
        return load_pupils(db, self.session.is_township)

    def school_filter_changed(self, school_id: str | None) -> None:
        """Offer the classes of the chosen school (of the only school in a school database)."""
        school = school_id or (None if self.session.is_township else self.default_school_id())
        classes = list_classes(self.session.db, school) if school is not None else []
        refill(self.class_combo, [(row["name"], row["id"]) for row in classes], all_text=self.tr("全部班级"))
        self.class_combo.setEnabled(self.class_combo.count() > 1)
        self._class_changed()

    def _class_changed(self) -> None:
        self.proxy.set_filter(class_id=chosen(self.class_combo))

    def _status_changed(self) -> None:
        value = chosen(self.status_combo)
        self.proxy.set_filter(status=ENROLLED if value == "enrolled" else value)

    def show_record(self) -> None:
        """Open the selected pupil's 学业档案."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            warn(self, self.tr("请选择学生"), self.tr("请先在表中选择一名学生。"))
            return
        PupilRecordDialog(self.session, self.proxy.row_data(rows[0].row())["id"], self).exec()

    def make_dialog(self, row: dict | None) -> PupilDialog:
        """Return the add (row None) or edit dialog."""
        return PupilDialog(self.session, row, self.default_school_id(), self)

    def remove(self, row: dict) -> None:
        """Delete the pupil through app.services.pupils."""
        self.session.write(delete_pupil, row["id"])

    def remove_question(self, row: dict) -> str:
        """Return the confirmation question."""
        return self.tr("确定删除学生“{name}”(学籍号 {no})吗?\n只删除误录的学生;已离校的学生请改为“转出”或“流失”。").format(
            name=row["name"], no=row["student_no"])

    def import_functions(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """Return (read_roster, apply_roster)."""
        return read_roster, apply_roster

    def import_title(self) -> str:
        """Return what this page imports."""
        return self.tr("学生名册")
