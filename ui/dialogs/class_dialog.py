"""新建班级 / 修改班级: name, grades (two or three make a 复式 class), number and 班主任, through
app.services.classes; each problem shows under its field."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from app.queries.roster import list_teachers
from app.services.classes import class_grades, create_class, default_name, update_class
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.scaffold import dialog_layout

GRADE_NAMES = "一二三四五六七八九"


class ClassDialog(QDialog):
    """Create a class of `school_id` in `academic_year_id` (`record` None) or change `record`."""

    def __init__(self, session: Session, school_id: str, academic_year_id: str, record: dict | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.school_id, self.year_id = session, school_id, academic_year_id
        self.record = record
        layout = dialog_layout(self, self.tr("修改班级") if record else self.tr("新建班级"))
        self.form = ProblemForm()
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.grade_checks = []
        for grade in range(1, 10):
            check = QCheckBox(GRADE_NAMES[grade - 1])
            check.toggled.connect(self._suggest_name)
            self.grade_checks.append(check)
            row.addWidget(check)
        row.addStretch(1)
        self.form.add_field("grades", self.tr("年级(复式班选两三个)"), box)
        self.number = self.form.add_field("number", self.tr("班号"), QSpinBox())
        self.number.setRange(1, 30)
        self.number.valueChanged.connect(self._suggest_name)
        self.number.setEnabled(record is None)
        self.name = self.form.add_field("name", self.tr("班级名称"), QLineEdit())
        self.head = self.form.add_field("head_teacher_id", self.tr("班主任"), QComboBox())
        self.head.addItem(self.tr("(未定)"), None)
        for teacher in list_teachers(session.db, school_id):
            self.head.addItem(f"{teacher['name']} {teacher['staff_no']}", teacher["id"])
        layout.addWidget(self.form)
        buttons = ok_cancel_buttons(self)
        layout.addWidget(buttons)
        self._suggested = ""
        if record:
            self.set_grades(class_grades(session.db, record["id"]))
            self.number.setValue(int(record.get("number") or 1))
            self.name.setText(record["name"])
            self.head.setCurrentIndex(max(self.head.findData(record.get("head_teacher_id")), 0))

    def grades(self) -> list[int]:
        """Return the ticked grades."""
        return [g for check, g in zip(self.grade_checks, range(1, 10)) if check.isChecked()]

    def set_grades(self, grades: list[int]) -> None:
        """Tick exactly `grades`."""
        for check, grade in zip(self.grade_checks, range(1, 10)):
            check.setChecked(grade in grades)

    def _suggest_name(self) -> None:
        """Fill in the usual name (三(2)班, 一二年级复式班) while the user has not typed another."""
        grades = self.grades()
        if not grades or len(grades) > 3 or self.name.text() not in ("", self._suggested):
            return
        self._suggested = default_name(grades, self.number.value())
        self.name.setText(self._suggested)

    def accept(self) -> None:
        """Save through app.services.classes; keep the dialog open on problems."""
        def write() -> None:
            if self.record is None:
                self.session.write(create_class, school_id=self.school_id, academic_year_id=self.year_id,
                                   grades=self.grades(), number=self.number.value(),
                                   name=self.name.text().strip() or None, head_teacher_id=self.head.currentData())
            else:
                self.session.write(update_class, self.record["id"], name=self.name.text(), grades=self.grades(),
                                   head_teacher_id=self.head.currentData())

        if self.form.submit(write):
            super().accept()
