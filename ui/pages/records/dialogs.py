"""Dialogs of the 控辍与记录 page: a class-day of homework, and the problems an import found."""
from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from app.errors import Problem, ValidationError
from app.records.homework import MAX_MINUTES, homework_days, homework_subjects, record_homework
from ui.dialogs.import_preview_dialog import problem_columns
from ui.dialogs.messages import show_error
from ui.models.table_model import SnapshotTableModel, TableSnapshot
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons, record_table


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
        session, class_id, day, minutes, note = (self.session, self.class_id, self.date.text(), self.values(),
                                                 self.note.text())
        self.form.clear_problems()

        def work(_control) -> int:
            return record_homework(session.worker_db(), session.actor, class_id, day, minutes, note)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError):
                self.form.show_problems(exc.problems)
            else:
                show_error(self, exc)

        session.tasks.run(work, on_done=lambda _n: QDialog.accept(self), on_error=failed)


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
        self.table = record_table(self.model)
        self.model.setParent(self.table)
        rows = [{"order": i, "sheet": p.sheet or "", "row": p.row, "column": p.column or "", "message": p.message}
                for i, p in enumerate(problems)]
        self.model.set_snapshot(TableSnapshot.build(rows, columns, ()))
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = ok_cancel_buttons(self, self.tr("关闭"))
        layout.addWidget(buttons)
