"""考试设置: the exams of every term, with 新建 / 修改 / 删除 through app.services (no command line)."""
from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QVBoxLayout, QWidget

from app.services.exam_edit import count_marks, delete_exam
from app.services.exams import list_exams
from ui.dialogs.exam_dialog import ExamDialog
from ui.dialogs.messages import confirm, errors_shown
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.scaffold import button_row, data_table, note_label, page_heading, push_button

SCOPE_NAMES = {"校": "本校", "乡": "乡镇统考", "县": "县统考"}


class ExamsPage(Page):
    """The 考试设置 page: who may set up exams (管理员, 教务) creates, changes and deletes them here."""

    depends_on = Changed.EXAMS | Changed.MARKS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("考试设置")))
        self.new_button = push_button(self.tr("新建考试…"), self.new_exam)
        self.edit_button = push_button(self.tr("修改…"), self.edit_exam)
        self.delete_button = push_button(self.tr("删除…"), self.delete_exam)
        self.hint = note_label()
        layout.addLayout(button_row(self.new_button, self.edit_button, self.delete_button, fill=self.hint))
        self.columns = [
            Column("term_name", self.tr("学期"), field_text("term_name"), lambda r: r["term_code"]),
            Column("name", self.tr("考试名称"), field_text("name"), sample="2026年秋季期中考试"),
            Column("type", self.tr("类型"), field_text("type"), centered=True),
            Column("scope", self.tr("范围"), lambda r: SCOPE_NAMES.get(r["scope"], r["scope"]), centered=True),
            Column("date", self.tr("日期"), lambda r: r["date"] or self.tr("未定"), lambda r: r["date"] or "",
                   centered=True),
            Column("grades", self.tr("年级"), lambda r: "、".join(f"{g}年级" for g in r["grades"])),
            Column("subjects", self.tr("科目"), lambda r: "、".join(r["subjects"])),
            Column("n_marks", self.tr("已录成绩"), field_text("n_marks"), lambda r: r["n_marks"], centered=True),
        ]
        self.model = SnapshotTableModel(self.columns, self)
        self.table = data_table(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.edit_exam())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        layout.addWidget(self.table, 1)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("考试设置")

    def may_set_up(self) -> bool:
        """Return True when the user may set up exams (administrators and 教务)."""
        return self.session.actor.role in ("township_admin", "school_admin", "academic")

    def refresh(self) -> None:
        """Reload the exams, newest term first."""
        exams = list_exams(self.session.db)
        self.model.set_snapshot(TableSnapshot.build(exams, self.columns, ()))
        self.table.resizeColumnsToContents()
        allowed = self.may_set_up()
        self.new_button.setEnabled(allowed)
        self._selection_changed()
        if not allowed:
            self.hint.setText(self.tr("考试由学校管理员或教务设置;您可以查看。"))
        elif not exams:
            self.hint.setText(self.tr("还没有考试:点“新建考试…”设置名称、年级、科目和满分,然后到“考试成绩”页录入成绩。"))
        else:
            self.hint.setText(self.tr("双击一行修改。乡镇统考由乡镇设置,随配置包下发,学校不能修改。"))

    def may_change(self, exam: dict) -> bool:
        """Return True when the user may change or delete `exam`: the township administrator any,
        a school's administrator or 教务 only their school's own exams (a 乡镇统考 comes down from the
        township)."""
        actor = self.session.actor
        return actor.role == "township_admin" or (
            actor.role in ("school_admin", "academic") and exam["school_id"] is not None
            and exam["school_id"] == actor.school_id)

    def _selection_changed(self) -> None:
        exam = self.selected()
        for button in (self.edit_button, self.delete_button):
            button.setEnabled(exam is not None and self.may_change(exam))

    def selected(self) -> dict | None:
        """Return the selected exam row, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row()) if rows else None

    def new_exam(self) -> None:
        """Open 新建考试; reload after it was saved."""
        if ExamDialog(self.session, None, self).exec():
            self.session.notify_changed(Changed.EXAMS)

    def edit_exam(self) -> None:
        """Open 修改考试 for the selected exam."""
        exam = self.selected()
        if exam is None or not self.may_change(exam):
            return
        with errors_shown(self) as attempt:
            dialog = ExamDialog(self.session, exam["id"], self)
        if attempt.failed:
            return
        if dialog.exec():
            self.session.notify_changed(Changed.EXAMS)

    def delete_exam(self) -> None:
        """Delete the selected exam (and its marks, after asking) through app.services.exam_edit."""
        exam = self.selected()
        if exam is None:
            return
        marks = count_marks(self.session.db, exam["id"])
        question = self.tr("确定删除考试“{name}”吗?").format(name=exam["name"])
        if marks:
            question += self.tr("\n\n这次考试已录入 {n} 条成绩,会一并删除,且不能恢复。").format(n=marks)
        if not confirm(self, self.tr("删除考试"), question):
            return
        with errors_shown(self) as attempt:
            self.session.write(delete_exam, exam["id"])
        if attempt.failed:
            return
        self.session.notify_changed(Changed.EXAMS | Changed.MARKS)
