"""Dialogs of the 控辍与记录 page: a class-day of homework, a home visit, a 集体备课 session, and the
problems an import found. Each saves on the worker and closes only when the service took the values."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit,
                               QSpinBox, QVBoxLayout, QWidget)

from app.errors import Problem
from app.queries.roster import list_pupils, list_teachers
from app.records.homework import MAX_MINUTES, homework_days, homework_subjects, record_homework
from app.records.prep import record_session
from app.records.visits import WAYS, record_visit
from ui.dialogs.import_preview_dialog import problem_columns
from ui.models.table_model import SnapshotTableModel, TableSnapshot
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons, save_on_worker
from ui.widgets.scaffold import data_table


class HomeworkDialog(QDialog):
    """登记作业时间: one class's written homework of one school day, minutes per subject (0: none).
    Saving runs on the worker; the dialog closes only when the service took the values."""

    def __init__(self, session: Session, class_id: str, class_name: str, day: dt.date,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.class_id = session, class_id
        self.setWindowTitle(self.tr("登记作业时间:{name}").format(name=class_name))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("填写当天各科书面作业的预计完成时间(分钟),没有书面作业的科目填 0。")))
        self.form = ProblemForm()
        self.date = self.form.add_field("date", self.tr("日期"), QLineEdit(day.isoformat()))
        self.date.editingFinished.connect(self._fill)
        self.spins: dict[str, QSpinBox] = {}
        self.subject_names: dict[str, str] = {}
        for subject in homework_subjects(session.db, class_id):
            self.subject_names[subject["id"]] = subject["name"]
            spin = QSpinBox()
            spin.setRange(0, MAX_MINUTES)
            spin.setSuffix(self.tr(" 分钟"))
            self.spins[subject["id"]] = self.form.add_field(subject["id"], subject["name"], spin)
        self.note = self.form.add_field("note", self.tr("备注"), QLineEdit())
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self))
        self._fill()

    def _fill(self) -> None:
        """Show what is stored for the date typed (when it reads as a date)."""
        try:
            day = dt.date.fromisoformat(self.date.text().strip())
        except ValueError:
            return
        stored = homework_days(self.session.db, self.class_id, day, day).get(day.isoformat(), {})
        for sid, spin in self.spins.items():
            spin.setValue(stored.get(self.subject_names[sid], 0))

    def values(self) -> dict[str, int]:
        """Return subject id → minutes for the subjects with homework (0 leaves a subject out)."""
        return {sid: spin.value() for sid, spin in self.spins.items() if spin.value()}

    def accept(self) -> None:
        """Save on the worker; show each problem under its field on refusal."""
        save_on_worker(self, self.form, self.session, record_homework, self.class_id, self.date.text(), self.values(),
                       self.note.text())


class ProblemListDialog(QDialog):
    """The problems of an import, each with its sheet, row and column; nothing was written."""

    def __init__(self, title: str, problems: list[Problem], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(820, 480)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("文件中有 {n} 处问题,没有导入任何数据。请改正后再导入:").format(n=len(problems))))
        columns = problem_columns()
        self.model = SnapshotTableModel(columns)
        self.table = data_table(self.model)
        rows = [{"order": i, "sheet": p.sheet or "", "row": p.row, "column": p.column or "", "message": p.message}
                for i, p in enumerate(problems)]
        self.model.set_snapshot(TableSnapshot.build(rows, columns, ()))
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = ok_cancel_buttons(self, self.tr("关闭"))
        layout.addWidget(buttons)


def _teacher_items(teachers: list[dict]) -> list[tuple[str, str]]:
    return [(f"{t['name']} {t['staff_no']}", t["id"]) for t in teachers if t["active"]]


class VisitDialog(QDialog):
    """登记家访: pupil (of the school's classes this year), teacher (a teacher is preset to themself),
    date, way and what was found. Saving runs on the worker."""

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(self.tr("登记家访"))
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.form = ProblemForm()
        self.pupil = self.form.add_field("pupil_id", self.tr("学生"), QComboBox())
        self.pupil.setEditable(True)
        self.pupil.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for pupil in list_pupils(session.db, school_id, include_left=True):
            if pupil["status"] in ("在读", "转入", "流失", "休学"):
                status = "" if pupil["status"] in ("在读", "转入") else f"【{pupil['status']}】"
                self.pupil.addItem(f"{pupil['class_name'] or ''} {pupil['name']} {pupil['student_no']}{status}",
                                   pupil["id"])
        self.teacher = self.form.add_field("teacher_id", self.tr("家访教师"), QComboBox())
        for text, teacher_id in _teacher_items(list_teachers(session.db, school_id)):
            self.teacher.addItem(text, teacher_id)
        if session.actor.teacher_id and self.teacher.findData(session.actor.teacher_id) >= 0:
            self.teacher.setCurrentIndex(self.teacher.findData(session.actor.teacher_id))
        self.date = self.form.add_field("date", self.tr("日期"), QLineEdit(dt.date.today().isoformat()))
        self.way = self.form.add_field("way", self.tr("方式"), QComboBox())
        for way in WAYS:
            self.way.addItem(self.tr(way), way)
        self.notes = self.form.add_field("notes", self.tr("情况记录"), QPlainTextEdit())
        self.notes.setPlaceholderText(self.tr("家庭情况、学生在家表现、家长意见、商定的措施"))
        self.notes.setFixedHeight(90)
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self))

    def values(self) -> dict:
        """Return the form in the shape record_visit takes."""
        return {"pupil_id": self.pupil.currentData(), "teacher_id": self.teacher.currentData(),
                "date": self.date.text(), "way": self.way.currentData(), "notes": self.notes.toPlainText()}

    def accept(self) -> None:
        """Record the visit on the worker."""
        save_on_worker(self, self.form, self.session, record_visit, self.values())


class SessionDialog(QDialog):
    """登记集体备课: 教研组, date, lead (主备人), topic, attendees (ticked) and notes."""

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(self.tr("登记集体备课"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.form = ProblemForm()
        self.group = self.form.add_field("group_name", self.tr("教研组"), QComboBox())
        self.group.setEditable(True)
        for name in self.tr("语文组,数学组,英语组,综合组").split(","):
            self.group.addItem(name)
        self.date = self.form.add_field("date", self.tr("日期"), QLineEdit(dt.date.today().isoformat()))
        teachers = _teacher_items(list_teachers(session.db, school_id))
        self.lead = self.form.add_field("lead_id", self.tr("主备人"), QComboBox())
        for text, teacher_id in teachers:
            self.lead.addItem(text, teacher_id)
        if session.actor.teacher_id and self.lead.findData(session.actor.teacher_id) >= 0:
            self.lead.setCurrentIndex(self.lead.findData(session.actor.teacher_id))
        self.topic = self.form.add_field("topic", self.tr("主题"), QLineEdit())
        self.topic.setPlaceholderText(self.tr("如 三年级上册第四单元 万以内的加法和减法"))
        self.attendees = self.form.add_field("attendee_ids", self.tr("参加教师"), QListWidget())
        for text, teacher_id in teachers:
            item = QListWidgetItem(text, self.attendees)
            item.setData(Qt.ItemDataRole.UserRole, teacher_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        self.attendees.setFixedHeight(160)
        self.notes = self.form.add_field("notes", self.tr("备注"), QLineEdit())
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self))

    def values(self) -> dict:
        """Return the form in the shape record_session takes."""
        ticked = [self.attendees.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.attendees.count())
                  if self.attendees.item(i).checkState() == Qt.CheckState.Checked]
        return {"group_name": self.group.currentText(), "date": self.date.text(), "lead_id": self.lead.currentData(),
                "topic": self.topic.text(), "attendee_ids": ticked, "notes": self.notes.text()}

    def accept(self) -> None:
        """Record the session on the worker."""
        save_on_worker(self, self.form, self.session, record_session, self.values())
