"""新建考试 / 修改考试: name, type, term, date, grades, subjects with full marks and cut-offs, policy.

Everything is checked and written by app.services.exams.create_exam or
app.services.exam_edit.update_exam; the dialog stays open and shows each problem under its field.
"""
from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDialog, QDoubleSpinBox, QHBoxLayout, QHeaderView,
                               QLineEdit, QTableWidget, QTableWidgetItem, QWidget)

from app.errors import ValidationError
from app.queries.gui import list_terms
from app.services.exam_edit import update_exam
from app.services.exam_limits import exam_limit_warnings
from app.services.exams import (DEFAULT_CUTOFFS, EXAM_TYPES, POLICY_NAMES, create_exam, default_policy, get_exam,
                                parse_grades)
from app.services.schools import current_term
from app.services.subjects import list_subjects
from app.stats.graded import GRADED, SCORED, graded_by_default
from ui.dialogs.messages import warn
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.scaffold import dialog_layout, note_label

GRADE_NAMES = "一二三四五六七八九"
# Columns of the subjects table.
SUBJECT, ASSESS, FULL, GRADES, EXCELLENT, PASS, LOW = range(7)
CUT_KEYS = {EXCELLENT: "excellent_pct", PASS: "pass_pct", LOW: "low_pct"}


def _spin(value: float, top: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0, top)
    spin.setDecimals(decimals)
    spin.setSingleStep(0.5 if decimals else 1)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setFrame(False)
    return spin


class ExamDialog(QDialog):
    """Create an exam (`exam_id` None) or change one. After accept(), `exam_id` is the exam's id."""

    def __init__(self, session: Session, exam_id: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.exam_id = exam_id
        exam = get_exam(session.db, exam_id) if exam_id else None
        layout = dialog_layout(self, self.tr("修改考试") if exam else self.tr("新建考试"))
        self.form = ProblemForm()
        self.name = self.form.add_field("name", self.tr("考试名称"), QLineEdit())
        self.name.setPlaceholderText(self.tr("如 2026 年秋季期中考试"))
        self.type = self.form.add_field("type", self.tr("考试类型"), QComboBox())
        self.type.addItems(list(EXAM_TYPES))
        self.term = self.form.add_field("term", self.tr("学期"), QComboBox())
        for term in list_terms(session.db):
            self.term.addItem(term["name"], term["code"])
        self.date = self.form.add_field("date", self.tr("考试日期"), QDateEdit())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMinimumDate(QDate(2000, 1, 1))
        self.date.setSpecialValueText(self.tr("未定"))
        grade_box = QWidget()
        grade_row = QHBoxLayout(grade_box)
        grade_row.setContentsMargins(0, 0, 0, 0)
        self.grade_checks = []
        for grade in range(1, 10):
            check = QCheckBox(self.tr("{g}年级").format(g=GRADE_NAMES[grade - 1]))
            self.grade_checks.append(check)
            grade_row.addWidget(check)
        grade_row.addStretch(1)
        self.form.add_field("grades", self.tr("年级"), grade_box)
        self.policy = self.form.add_field("policy", self.tr("统计口径"), QComboBox())
        for key, text in POLICY_NAMES.items():
            self.policy.addItem(text, key)
        self.subjects = self.form.add_field("subjects", self.tr("科目"), self._subject_table())
        hint = note_label(self.tr("勾选参加考试的科目。“评价”选等级的科目(如音乐、美术)按 A/B/C 录入,不计分数;分数线是满分的百分比;"
                                  "“考试年级”留空表示所选年级都考,只考部分年级时写如 3-6。"))
        layout.addWidget(self.form)
        layout.addWidget(hint)
        buttons = ok_cancel_buttons(self)
        layout.addWidget(buttons)
        self._fill(exam)
        self.resize(760, 640)

    def _subject_table(self) -> QTableWidget:
        self._catalogue = list_subjects(self.session.db)
        table = QTableWidget(len(self._catalogue), 7)
        table.setHorizontalHeaderLabels([self.tr("科目"), self.tr("评价"), self.tr("满分"), self.tr("考试年级"),
                                         self.tr("优秀线"), self.tr("及格线"), self.tr("低分线")])
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(SUBJECT, QHeaderView.ResizeMode.ResizeToContents)
        table.setMinimumHeight(180)
        table.setMaximumHeight(260)
        for row, subject in enumerate(self._catalogue):
            item = QTableWidgetItem(subject["name"])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            table.setItem(row, SUBJECT, item)
            assess = QComboBox()
            assess.setFrame(False)
            assess.addItem(self.tr("分数"), SCORED)
            assess.addItem(self.tr("等级 A/B/C"), GRADED)
            table.setCellWidget(row, ASSESS, assess)
            full = _spin(100, 1000, 1)
            assess.currentIndexChanged.connect(
                lambda _i, box=assess, spin=full: spin.setEnabled(box.currentData() == SCORED))
            if graded_by_default(self.session.db, subject["name"]):
                assess.setCurrentIndex(1)
            table.setCellWidget(row, FULL, full)
            grades = QLineEdit()
            grades.setFrame(False)
            grades.setPlaceholderText(self.tr("全部"))
            table.setCellWidget(row, GRADES, grades)
            for column, key in CUT_KEYS.items():
                table.setCellWidget(row, column, _spin(DEFAULT_CUTOFFS[key], 100, 1, "%"))
        return table

    def _fill(self, exam: dict | None) -> None:
        if exam is None:
            try:
                current = current_term(self.session.db)["code"]
            except Exception:  # noqa: BLE001 - a database without a current term: the newest
                current = None
            self.term.setCurrentIndex(max(self.term.findData(current), 0))
            self.date.setDate(self.date.minimumDate())
            self.type.currentTextChanged.connect(self._default_policy)
            self._default_policy()
            for row, subject in enumerate(self._catalogue):
                if subject["is_main"] and subject["code"] in ("yw", "sx", "yy"):
                    self.subjects.item(row, SUBJECT).setCheckState(Qt.CheckState.Checked)
            return
        self.name.setText(exam["name"])
        self.type.setCurrentText(exam["type"])
        self.term.setCurrentIndex(max(self.term.findData(exam["term_code"]), 0))
        self.term.setEnabled(False)
        self.date.setDate(QDate.fromString(exam["date"], "yyyy-MM-dd") if exam["date"] else self.date.minimumDate())
        self.policy.setCurrentIndex(max(self.policy.findData(exam["policy"]), 0))
        for check, grade in zip(self.grade_checks, range(1, 10)):
            check.setChecked(grade in exam["grades"])
        chosen = {s["subject_id"]: s for s in exam["subjects"]}
        for row, subject in enumerate(self._catalogue):
            spec = chosen.get(subject["id"])
            if spec is None:
                continue
            self.subjects.item(row, SUBJECT).setCheckState(Qt.CheckState.Checked)
            assess = self.subjects.cellWidget(row, ASSESS)
            assess.setCurrentIndex(max(assess.findData(spec.get("assessment", SCORED)), 0))
            self.subjects.cellWidget(row, FULL).setValue(spec["full_marks"])
            if spec["grades"] != exam["grades"]:
                self.subjects.cellWidget(row, GRADES).setText(",".join(map(str, spec["grades"])))
            for column, key in CUT_KEYS.items():
                self.subjects.cellWidget(row, column).setValue(spec["default_cutoffs"][key])

    def _default_policy(self) -> None:
        """Offer the statistics basis the quality preset gives the chosen exam type (a new exam only)."""
        self.policy.setCurrentIndex(max(self.policy.findData(default_policy(self.session.db, self.type.currentText())), 0))

    def set_grades(self, grades: list[int]) -> None:
        """Tick exactly `grades`."""
        for check, grade in zip(self.grade_checks, range(1, 10)):
            check.setChecked(grade in grades)

    def set_subject(self, name: str, checked: bool = True, full_marks: float | None = None,
                    grades: str | None = None) -> None:
        """Tick (or untick) the subject called `name`, optionally with its full marks and grades."""
        row = next(i for i, s in enumerate(self._catalogue) if s["name"] == name)
        self.subjects.item(row, SUBJECT).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        if full_marks is not None:
            self.subjects.cellWidget(row, FULL).setValue(full_marks)
        if grades is not None:
            self.subjects.cellWidget(row, GRADES).setText(grades)

    def values(self) -> tuple[dict, list]:
        """Return (fields, problems found before asking the core: grades the subject column cannot read)."""
        grades = [g for check, g in zip(self.grade_checks, range(1, 10)) if check.isChecked()]
        specs, problems = [], []
        for row, subject in enumerate(self._catalogue):
            if self.subjects.item(row, SUBJECT).checkState() != Qt.CheckState.Checked:
                continue
            graded = self.subjects.cellWidget(row, ASSESS).currentData() == GRADED
            spec = {"subject": subject["id"], "assessment": GRADED if graded else SCORED,
                    "full_marks": None if graded else self.subjects.cellWidget(row, FULL).value(), "grades": None,
                    **{key: self.subjects.cellWidget(row, column).value() for column, key in CUT_KEYS.items()}}
            written = self.subjects.cellWidget(row, GRADES).text().strip()
            if written:
                try:
                    spec["grades"] = parse_grades(written, "subjects")
                except ValidationError as exc:
                    problems += [type(p)(f"{subject['name']}:{p.message}", field="subjects") for p in exc.problems]
                    continue
            specs.append(spec)
        day = self.date.date()
        return {"name": self.name.text(), "type": self.type.currentText(), "grades": grades, "subjects": specs,
                "date": None if day == self.date.minimumDate() else day.toString("yyyy-MM-dd"),
                "policy": self.policy.currentData()}, problems

    def accept(self) -> None:
        """Save through the exam services; on refusal show the problems and keep the dialog open."""
        values, problems = self.values()
        if problems:
            self.form.show_problems(problems)
            return
        def write() -> None:
            if self.exam_id is None:
                self.exam_id = self.session.write(create_exam, term=self.term.currentData(), **values)
            else:
                self.session.write(update_exam, self.exam_id, **values)

        if not self.form.submit(write):
            return
        self.limit_warnings = exam_limit_warnings(self.session.db, self.exam_id)
        if self.limit_warnings:
            warn(self, self.tr("统一考试次数提醒"),
                 self.tr("考试已保存。请注意:") + "\n\n" + "\n".join(self.limit_warnings))
        super().accept()
