"""Dialogs of the 学生帮扶 page: recording a tutoring session, flagging a 双困生, and a teacher's
tutoring records of the term (the 辅 link of the routine check is scored on them)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QSpinBox,
                               QVBoxLayout, QWidget)

from app.queries.roster import list_classes, list_pupils, list_teachers
from app.services.subjects import list_subjects
from app.support.records import DIFFICULTY_KINDS, flag_difficulty, list_tutoring, record_tutoring
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons, save_on_worker
from ui.widgets.scaffold import data_table


def _classes(session: Session, school_id: str) -> QComboBox:
    combo = QComboBox()
    for cls in list_classes(session.db, school_id):
        combo.addItem(cls["name"], cls["id"])
    return combo


class TutoringDialog(QDialog):
    """One tutoring session: teacher (a teacher account records as itself), date, subject, the
    class whose pupils are ticked, minutes, what was done and the outcome."""

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(self.tr("登记辅导"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.form = ProblemForm()
        self.teacher = self.form.add_field("teacher_id", self.tr("辅导教师"), QComboBox())
        for teacher in list_teachers(session.db, school_id):
            if teacher["active"]:
                self.teacher.addItem(f"{teacher['name']} {teacher['staff_no']}", teacher["id"])
        if session.actor.role == "teacher":
            self.teacher.setCurrentIndex(max(self.teacher.findData(session.actor.teacher_id), 0))
            self.teacher.setEnabled(False)
        self.date = self.form.add_field("date", self.tr("日期"), QLineEdit(dt.date.today().isoformat()))
        self.subject = self.form.add_field("subject_id", self.tr("学科"), QComboBox())
        self.subject.addItem(self.tr("(不限学科)"), None)
        for subject in list_subjects(session.db):
            self.subject.addItem(subject["name"], subject["id"])
        self.cls = self.form.add_field("class_id", self.tr("班级"), _classes(session, school_id))
        self.pupils = self.form.add_field("pupil_ids", self.tr("学生(可多选)"), QListWidget())
        self.pupils.setMinimumHeight(150)
        self.cls.currentIndexChanged.connect(lambda _i: self._fill_pupils())
        self.minutes = self.form.add_field("minutes", self.tr("时长(分钟)"), QSpinBox())
        self.minutes.setRange(1, 600)
        self.minutes.setValue(30)
        self.content = self.form.add_field("content", self.tr("辅导内容"), QLineEdit())
        self.content.setPlaceholderText(self.tr("做了什么,如:订正单元错题,讲解应用题"))
        self.outcome = self.form.add_field("outcome", self.tr("效果"), QLineEdit())
        self.outcome.setPlaceholderText(self.tr("可不填,如:能独立完成同类题"))
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self, on_ok=self.save))
        self._fill_pupils()

    def _fill_pupils(self) -> None:
        self.pupils.clear()
        class_id = self.cls.currentData()
        if not class_id:
            return
        for pupil in list_pupils(self.session.db, class_id=class_id, include_left=False):
            item = QListWidgetItem(pupil["name"])
            item.setData(Qt.ItemDataRole.UserRole, pupil["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.pupils.addItem(item)

    def tick(self, names: list[str]) -> None:
        """Tick the pupils named `names` (and untick the rest)."""
        for row in range(self.pupils.count()):
            item = self.pupils.item(row)
            item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)

    def values(self) -> dict:
        """Return what the form holds, as record_tutoring takes it."""
        ticked = [self.pupils.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.pupils.count())
                  if self.pupils.item(r).checkState() == Qt.CheckState.Checked]
        return {"teacher_id": self.teacher.currentData(), "pupil_ids": ticked, "date": self.date.text(),
                "subject_id": self.subject.currentData(), "minutes": self.minutes.value(),
                "content": self.content.text(), "outcome": self.outcome.text()}

    def save(self) -> None:
        """Record the session, or show what is wrong under each field."""
        save_on_worker(self, self.form, self.session, record_tutoring, self.values())


class DifficultyDialog(QDialog):
    """Flag a pupil as 双困生 for the term: class, pupil, the difficulty besides learning, reason, date."""

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(self.tr("认定双困生"))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.form = ProblemForm()
        self.cls = _classes(session, school_id)
        self.form.add_row(self.tr("班级"), self.cls)
        self.pupil = self.form.add_field("pupil_id", self.tr("学生"), QComboBox())
        self.cls.currentIndexChanged.connect(lambda _i: self._fill_pupils())
        self.kind = self.form.add_field("kind", self.tr("困难类型"), QComboBox())
        for kind in DIFFICULTY_KINDS:
            self.kind.addItem(self.tr("学习困难 + {kind}困难").format(kind=kind), kind)
        self.reason = self.form.add_field("reason", self.tr("认定原因"), QLineEdit())
        self.reason.setPlaceholderText(self.tr("如:父母外出务工,作业无人督促"))
        self.date = self.form.add_field("date", self.tr("认定日期"), QLineEdit(dt.date.today().isoformat()))
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self, on_ok=self.save))
        self._fill_pupils()

    def _fill_pupils(self) -> None:
        self.pupil.clear()
        if self.cls.currentData():
            for pupil in list_pupils(self.session.db, class_id=self.cls.currentData(), include_left=False):
                self.pupil.addItem(pupil["name"], pupil["id"])

    def save(self) -> None:
        """Record the flag, or show what is wrong under each field."""
        values = {"pupil_id": self.pupil.currentData(), "kind": self.kind.currentData(), "reason": self.reason.text(),
                  "date": self.date.text()}
        save_on_worker(self, self.form, self.session, flag_difficulty, values)


def tutoring_columns() -> list[Column]:
    """Columns of a table of tutoring records."""
    return [
        Column("date", "日期", field_text("date"), sample="2026-10-15"),
        Column("teacher_name", "教师", field_text("teacher_name")),
        Column("subject_name", "学科", field_text("subject_name"), sample="数学"),
        Column("pupil_names", "学生", field_text("pupil_names"), sample="欧阳中中、李中中"),
        Column("minutes", "分钟", lambda r: str(r["minutes"]), lambda r: r["minutes"], centered=True, sample="分钟"),
        Column("content", "辅导内容", field_text("content"), sample="中" * 14),
        Column("outcome", "效果", field_text("outcome"), sample="中" * 10),
    ]


class TeacherTutoringDialog(QDialog):
    """A teacher's tutoring records of the term: what the 辅 link of the routine check looks at."""

    def __init__(self, session: Session, teacher_id: str, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("{name}的辅导记录").format(name=name))
        self.resize(820, 420)
        layout = QVBoxLayout(self)
        rows = list_tutoring(session.db, teacher_id=teacher_id)
        pupils = {p["pupil_id"] for r in rows for p in r["pupils"]}
        self.summary = QLabel(self.tr("本学期辅导 {n} 次,共 {m} 分钟,涉及学生 {p} 人。").format(
            n=len(rows), m=sum(r["minutes"] for r in rows), p=len(pupils)) if rows
            else self.tr("本学期还没有辅导记录。"))
        layout.addWidget(self.summary)
        model = SnapshotTableModel(tutoring_columns())
        model.set_snapshot(TableSnapshot.build(rows, tutoring_columns(), ()))
        self.table = data_table(model)
        model.setParent(self.table)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = ok_cancel_buttons(self, self.tr("关闭"))
        buttons.button(buttons.StandardButton.Cancel).hide()
        layout.addWidget(buttons)
