"""What the 学生 and 教师 forms share: the school chooser, 保存/取消, and how saving reports problems."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QVBoxLayout, QWidget

from app.errors import Problem
from app.queries.roster import list_schools
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons


class RecordDialog(QDialog):
    """A form for one row of a school's roster, new (`record` None, added to `school_id`) or edited.

    Subclasses add their fields to `self.form` between __init__ and finish(), and define
    create_record(school_id) -> new id and save_changes(), both through the record's service;
    accept() closes the dialog only when the service took the values, and otherwise shows each
    problem under its field.
    """

    missing_school = "请先选择学校。"

    def __init__(self, session: Session, record: dict | None, school_id: str | None, parent: QWidget | None):
        super().__init__(parent)
        self.session = session
        self.record_id: str | None = record["id"] if record else None
        self.schools = list_schools(session.db)
        self.layout_ = QVBoxLayout(self)
        self.form = ProblemForm()
        self.school = QComboBox()
        for school in self.schools:
            self.school.addItem(school["name"], school["id"])
        wanted = record["school_id"] if record else school_id
        if wanted is not None and self.school.findData(wanted) >= 0:
            self.school.setCurrentIndex(self.school.findData(wanted))
        self.school.setEnabled(record is None)  # a pupil or teacher changes school by a transfer, not here
        if session.is_township:
            self.form.add_field("school_id", self.tr("学校"), self.school)

    def finish(self) -> None:
        """Add the form and the 保存/取消 buttons below it (after the subclass's fields)."""
        self.layout_.addWidget(self.form)
        buttons = ok_cancel_buttons(self)
        self.layout_.addWidget(buttons)

    def accept(self) -> None:
        """Write the record; on refusal show each problem by its field and keep the dialog open."""
        school_id = self.school.currentData()
        if self.record_id is None and school_id is None:
            self.form.show_problems([Problem(self.tr(self.missing_school), field="school_id")])
            return

        def write() -> None:
            if self.record_id is None:
                self.record_id = self.create_record(school_id)
            else:
                self.save_changes()

        if self.form.submit(write):
            super().accept()
