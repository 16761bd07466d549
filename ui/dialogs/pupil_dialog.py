"""Add or edit one pupil: every field, checked by app.services.pupils, problems shown by the fields."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLineEdit, QWidget

from app.queries.roster import list_classes
from app.services.pupils import FLAGS, STATUSES, add_pupil, update_pupil
from app.validation.classnames import GRADE_NAMES
from ui.dialogs.record_dialog import RecordDialog
from ui.session import Session


class PupilDialog(RecordDialog):
    """The 学生 form. With `pupil` None it adds a pupil to `school_id`; otherwise it edits `pupil`
    (a row of list_pupils). Accept writes through the service and closes only on success."""

    missing_school = "请先选择学生所在的学校(数据库中还没有学校时,请先添加学校)。"

    def __init__(self, session: Session, pupil: dict | None = None, school_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(session, pupil, school_id, parent)
        self.setWindowTitle(self.tr("修改学生信息") if pupil else self.tr("新增学生"))
        self.setMinimumWidth(520)

        self.student_no = self.form.add_field("student_no", self.tr("学籍号"), QLineEdit())
        self.name = self.form.add_field("name", self.tr("姓名"), QLineEdit())
        self.gender = self.form.add_field("gender", self.tr("性别"), QComboBox())
        self.gender.addItem(self.tr("(按身份证件号)"), "")
        self.gender.addItem(self.tr("男"), "男")
        self.gender.addItem(self.tr("女"), "女")
        self.id_number = self.form.add_field("id_number", self.tr("身份证件号"), QLineEdit())
        self.id_number.setPlaceholderText(self.tr("可不填;填写时校验第 18 位校验码"))
        self.birth_date = self.form.add_field("birth_date", self.tr("出生日期"), QLineEdit())
        self.birth_date.setPlaceholderText(self.tr("如 2016-03-08;可由身份证件号得出"))
        self.grade = self.form.add_field("grade", self.tr("年级"), QComboBox())
        self.grade.addItem(self.tr("(按班级)"), None)
        for grade, name in GRADE_NAMES.items():
            self.grade.addItem(name, grade)
        self.klass = self.form.add_field("class_id", self.tr("班级"), QComboBox())
        flags = QWidget()
        grid = QGridLayout(flags)
        grid.setContentsMargins(0, 0, 0, 0)
        self.flags: dict[str, QCheckBox] = {}
        for i, (field, label) in enumerate(FLAGS.items()):
            box = QCheckBox(self.tr(label))
            grid.addWidget(box, 0, i)
            self.flags[field] = box
        self.form.add_field("flags", self.tr("情况"), flags)
        self.status = self.form.add_field("status", self.tr("学籍状态"), QComboBox())
        for status in STATUSES:
            self.status.addItem(self.tr(status), status)
        self.status_date = self.form.add_field("status_date", self.tr("状态日期"), QLineEdit())
        self.status_date.setPlaceholderText(self.tr("状态不是“在读”时填写,默认今天"))
        self.enrol_date = self.form.add_field("enrol_date", self.tr("入学日期"), QLineEdit())
        self.enrol_date.setPlaceholderText(self.tr("可不填"))
        self.finish()

        self.school.currentIndexChanged.connect(self._fill_classes)
        self.klass.currentIndexChanged.connect(self._class_chosen)
        self._fill_classes()
        if pupil:
            self._show(pupil)

    def _fill_classes(self) -> None:
        current = self.klass.currentData()
        self.klass.blockSignals(True)
        self.klass.clear()
        self.klass.addItem(self.tr("(未分班)"), None)
        self._class_grades: dict[str, list[int]] = {}
        school_id = self.school.currentData()
        if school_id is not None:
            for row in list_classes(self.session.db, school_id):
                self.klass.addItem(row["name"], row["id"])
                self._class_grades[row["id"]] = row["grades"]
        index = self.klass.findData(current) if current is not None else 0
        self.klass.setCurrentIndex(max(index, 0))
        self.klass.blockSignals(False)

    def _class_chosen(self) -> None:
        grades = self._class_grades.get(self.klass.currentData() or "", [])
        if len(grades) == 1:
            self.grade.setCurrentIndex(self.grade.findData(grades[0]))

    def _show(self, pupil: dict) -> None:
        self.student_no.setText(pupil["student_no"] or "")
        self.name.setText(pupil["name"] or "")
        self.gender.setCurrentIndex(max(self.gender.findData(pupil["gender"]), 0))
        self.id_number.setText(pupil.get("id_number") or "")
        self.birth_date.setText(pupil.get("birth_date") or "")
        self.klass.setCurrentIndex(max(self.klass.findData(pupil.get("class_id")), 0))
        self.grade.setCurrentIndex(max(self.grade.findData(pupil["grade"]), 0))
        for field, box in self.flags.items():
            box.setChecked(bool(pupil.get(field)))
        self.status.setCurrentIndex(max(self.status.findData(pupil["status"]), 0))
        self.status_date.setText(pupil.get("status_date") or "")
        self.enrol_date.setText(pupil.get("enrol_date") or "")

    def values(self) -> dict:
        """Return the form's fields as the service expects them."""
        return {
            "student_no": self.student_no.text(), "name": self.name.text(), "gender": self.gender.currentData(),
            "id_number": self.id_number.text(), "birth_date": self.birth_date.text(),
            "grade": self.grade.currentData(), "class_id": self.klass.currentData(),
            **{field: int(box.isChecked()) for field, box in self.flags.items()},
            "status": self.status.currentData(), "status_date": self.status_date.text(),
            "enrol_date": self.enrol_date.text(),
        }

    def create_record(self, school_id: str) -> str:
        """Add the pupil to `school_id`."""
        return self.session.write(add_pupil, school_id, self.values())

    def save_changes(self) -> None:
        """Save the edited pupil."""
        self.session.write(update_pupil, self.record_id, self.values())
