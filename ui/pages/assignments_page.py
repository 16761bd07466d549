"""任课: who teaches which subject in which class this term, as a grid; a 任课表 workbook in and out.

Edits are pending until 保存, which hands the whole set to app.services.assignments.set_assignments
(all or nothing, audited). The import reads a 任课表 (app.importing.assignments), previews every
change and problem, and writes only a file without problems.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDoubleSpinBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QStyledItemDelegate, QStyleOptionViewItem, QTableView, QVBoxLayout,
                               QWidget)

from app.errors import PermissionDenied, ValidationError
from app.importing.assignments import AssignmentPlan, read_assignments, write_template
from app.queries.gui import list_terms
from app.queries.roster import list_schools
from app.services.assignments import Wanted, assignment_grid, set_assignments
from app.services.permissions import may_write_roster
from app.services.schools import current_term
from ui.dialogs.import_preview_dialog import problem_columns
from ui.dialogs.messages import confirm, errors_shown, inform, show_error
from ui.models.assignment_grid_model import AssignmentGridModel
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.tasks import run_shown
from ui.widgets.choosers import SchoolCombo, refill
from ui.widgets.form import ERROR_STYLE
from ui.widgets.scaffold import NOTE_STYLE, button_row, choose_file, data_table, page_heading, push_button

ModelIndex = QModelIndex | QPersistentModelIndex


class CellEditor(QWidget):
    """A teacher chooser and a weekly-periods box side by side."""

    def __init__(self, teachers: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        self.teacher = QComboBox()
        self.teacher.addItem(self.tr("(无)"), None)
        for teacher in teachers:
            label = teacher["name"] if teacher["home"] else self.tr("{name}(走教)").format(name=teacher["name"])
            self.teacher.addItem(f"{label} {teacher['staff_no']}", teacher["id"])
        self.periods = QDoubleSpinBox()
        self.periods.setRange(0, 40)
        self.periods.setDecimals(1)
        self.periods.setSingleStep(1)
        self.periods.setSuffix(self.tr("节"))
        row.addWidget(self.teacher, 3)
        row.addWidget(self.periods, 2)
        self.setAutoFillBackground(True)

    def value(self) -> Wanted:
        """Return the chosen teacher and periods."""
        teacher = self.teacher.currentData()
        return Wanted(teacher, self.periods.value() if teacher else None)


class CellDelegate(QStyledItemDelegate):
    """Edits a grid cell with CellEditor."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex) -> QWidget:  # noqa: N802
        """Return a CellEditor over the model's teachers."""
        return CellEditor(index.model().grid["teachers"], parent)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem,  # noqa: N802 - Qt API
                             index: ModelIndex) -> None:
        """Give the editor room for a name and the periods, wider than the cell when needed."""
        rect = option.rect
        editor.setGeometry(rect.x(), rect.y(), max(rect.width(), editor.sizeHint().width()), rect.height())

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:  # noqa: N802 - Qt API
        """Show the cell's teacher and periods."""
        cell = index.data(Qt.ItemDataRole.EditRole)
        editor.teacher.setCurrentIndex(max(editor.teacher.findData(cell.teacher_id), 0))
        editor.periods.setValue(cell.periods or 0)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex) -> None:  # noqa: N802
        """Put the edit into the model as pending."""
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)


class AssignmentPreviewDialog(QDialog):
    """What importing a 任课表 would change, and every problem with sheet, row and column."""

    def __init__(self, plan: AssignmentPlan, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("导入预览:任课表"))
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("文件:{name}").format(name=file_name)))
        if plan.problems:
            text = self.tr("发现 {n} 个问题,没有导入任何任课。请在表格中改正后重新导入。").format(n=len(plan.problems))
        elif plan.changes:
            text = self.tr("没有发现问题。将改动 {n} 处任课:").format(n=len(plan.changes))
        else:
            text = self.tr("表中的任课与现在的完全相同,没有需要改动的。")
        self.summary = QLabel(text)
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(ERROR_STYLE if plan.problems else "color: #1b5e20;")
        layout.addWidget(self.summary)
        if plan.problems:
            rows = [{"order": i, "sheet": p.sheet or "", "row": p.row, "column": p.column or "", "message": p.message}
                    for i, p in enumerate(plan.problems)]
            columns = problem_columns()
        else:
            rows = [dict(c, old_text=c["old"] or "—", new_text=c["new"] or self.tr("(无)"),
                         periods_text="" if c["periods"] is None else f"{c['periods']:g}") for c in plan.changes]
            columns = [Column("class", self.tr("班级"), field_text("class")),
                       Column("subject", self.tr("学科"), field_text("subject")),
                       Column("old_text", self.tr("原任课教师"), field_text("old_text")),
                       Column("new_text", self.tr("新任课教师"), field_text("new_text")),
                       Column("periods_text", self.tr("周课时"), field_text("periods_text"), centered=True)]
        self.model = SnapshotTableModel(columns, self)
        self.model.set_snapshot(TableSnapshot.build(rows, columns, ()))
        table = data_table(self.model, select="cells", resize=QHeaderView.ResizeMode.ResizeToContents, stretch_last=True)
        layout.addWidget(table, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton(self.tr("导入"))
        self.import_button.setEnabled(not plan.problems and bool(plan.changes))
        self.import_button.clicked.connect(self.accept)
        cancel = push_button(self.tr("取消"), self.reject)
        buttons.addWidget(self.import_button)
        buttons.addWidget(cancel)
        layout.addLayout(buttons)


class AssignmentsPage(Page):
    """The 任课 page."""

    depends_on = Changed.ROSTER | Changed.ASSIGNMENTS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("任课安排")))
        choose = QHBoxLayout()
        self.school_combo = SchoolCombo()
        self.school_combo.currentIndexChanged.connect(self.load_grid)
        if session.is_township:
            choose.addWidget(QLabel(self.tr("学校")))
            choose.addWidget(self.school_combo)
        choose.addWidget(QLabel(self.tr("学期")))
        self.term_combo = QComboBox()
        self.term_combo.currentIndexChanged.connect(self.load_grid)
        choose.addWidget(self.term_combo)
        choose.addWidget(QLabel(self.tr("添加学科列")))
        self.extra_combo = QComboBox()
        self.extra_combo.setMinimumContentsLength(6)
        self.extra_combo.activated.connect(self.add_subject)
        choose.addWidget(self.extra_combo)
        choose.addStretch(1)
        layout.addLayout(choose)
        self.save_button = push_button(self.tr("保存"), self.save)
        self.discard_button = push_button(self.tr("放弃改动"), self.load_grid)
        self.import_button = push_button(self.tr("导入任课表…"), self.import_file)
        self.export_button = push_button(self.tr("导出任课表(模板)…"), self.export_file)
        layout.addLayout(button_row(self.save_button, self.discard_button, self.import_button, self.export_button,
                                    stretch="end"))
        self.model = AssignmentGridModel(self)
        self.model.dataChanged.connect(self._show_pending)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(CellDelegate(self.table))
        self.table.setEditTriggers(QTableView.EditTrigger.DoubleClicked | QTableView.EditTrigger.EditKeyPressed
                                   | QTableView.EditTrigger.AnyKeyPressed)
        self.table.horizontalHeader().setDefaultSectionSize(120)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self.table, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.extra_subjects: list[str] = []

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("任课")

    def may_assign(self) -> bool:
        """Return True when the user may change assignments of the chosen school."""
        return may_write_roster(self.session.actor, self.school_combo.school())

    def refresh(self) -> None:
        """Refill schools and terms (keeping the choice) and reload the grid."""
        self.school_combo.fill_visible(list_schools(self.session.db), self.session.actor.school_id)
        try:
            now = current_term(self.session.db)["id"]
        except Exception:  # noqa: BLE001 - a database without a current term: the newest
            now = None
        refill(self.term_combo, [(t["name"], t["id"]) for t in list_terms(self.session.db)], preferred=now)
        self.load_grid()

    def load_grid(self) -> None:
        """Show the chosen school's grid for the chosen term (pending edits are dropped)."""
        school_id, term_id = self.school_combo.school(), self.term_combo.currentData()
        if school_id is None or term_id is None:
            self.model.set_grid({"classes": [], "subjects": [], "teachers": [], "cells": {}, "default_periods": {}},
                                False)
            self.say(self.tr("还没有学校或学期。"))
            return
        grid = assignment_grid(self.session.db, school_id, term_id, tuple(self.extra_subjects))
        editable = self.may_assign()
        self.model.set_grid(grid, editable)
        shown = {s["id"] for s in grid["subjects"]}
        refill(self.extra_combo, [(s["name"], s["id"]) for s in grid["catalogue"] if s["id"] not in shown])
        self.extra_combo.setCurrentIndex(-1)
        for widget in (self.save_button, self.discard_button, self.import_button, self.extra_combo):
            widget.setEnabled(editable)
        if not grid["classes"]:
            self.say(self.tr("本学年还没有班级:请先在“班级”页新建班级。"))
        elif not grid["teachers"]:
            self.say(self.tr("还没有教师:请先在“教师”页添加教师。"))
        elif editable:
            self.say(self.tr("双击格子选任课教师和周课时;改动以黄色标出,点“保存”后生效。教师只能录入自己任课班级、科目的成绩。"))
        else:
            self.say(self.tr("任课由学校管理员或教务安排;您可以查看。"))

    def say(self, text: str, error: bool = False) -> None:
        """Show a line under the grid (red for problems)."""
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)

    def _show_pending(self) -> None:
        if self.model.pending:
            self.say(self.tr("有 {n} 处改动未保存。").format(n=len(self.model.pending)))

    def add_subject(self) -> None:
        """Add the chosen subject as a column (美术 beside 音乐, 书法 …)."""
        subject_id = self.extra_combo.currentData()
        if subject_id and subject_id not in self.extra_subjects:
            if self.model.pending and not confirm(self, self.tr("添加学科列"), self.tr("未保存的改动会被放弃,继续吗?")):
                return
            self.extra_subjects.append(subject_id)
            self.load_grid()

    def save(self) -> None:
        """Write every pending edit through set_assignments (all or nothing)."""
        if not self.model.pending:
            self.say(self.tr("没有改动。"))
            return
        try:
            counts = self.session.write(set_assignments, self.school_combo.school(), self.term_combo.currentData(),
                                        dict(self.model.pending))
        except ValidationError as exc:
            self.say(self.tr("没有保存:") + ";".join(p.message for p in exc.problems), error=True)
            return
        except PermissionDenied as exc:
            show_error(self, exc)
            return
        self.session.notify_changed(Changed.ASSIGNMENTS)
        self.load_grid()
        self.say(self.tr("已保存:新增 {a} 处,修改 {c} 处,取消 {r} 处任课。").format(
            a=counts["added"], c=counts["changed"], r=counts["removed"]))

    def export_file(self) -> None:
        """Write the 任课表 (current assignments, the template for the import) to a chosen .xlsx."""
        school_id, term_id = self.school_combo.school(), self.term_combo.currentData()
        if school_id is None or term_id is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, self.tr("导出任课表"), str(Path.home() / "任课表.xlsx"),
                                              self.tr("Excel 工作簿 (*.xlsx)"))
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        """Write the 任课表 to `path` and say where it went."""
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        with errors_shown(self) as attempt:
            session, school_id, term_id = self.session, self.school_combo.school(), self.term_combo.currentData()
            session.tasks.run_modal(lambda _c: write_template(session.worker_db(), school_id, term_id, path))
        if attempt.failed:
            return
        inform(self, self.tr("已导出"), self.tr("任课表已保存到:\n{path}\n填好后用“导入任课表…”导入。").format(path=path))

    def import_file(self) -> None:
        """Pick a 任课表 workbook and import it after the preview."""
        choose_file(self, self.tr("选择任课表"), self.tr("表格文件 (*.xlsx *.xls *.csv)"), then=self.import_path)

    def import_path(self, path: Path) -> None:
        """Read `path` in the background, preview, and write the assignments when the user confirms."""
        session = self.session
        school_id, term_id = self.school_combo.school(), self.term_combo.currentData()
        if school_id is None or term_id is None:
            return
        plan = run_shown(
            session.tasks, self,
            lambda control: read_assignments(session.worker_db(), path, school_id, term_id,
                                             progress=control.progress, cancelled=control.cancelled),
            label=self.tr("正在读取“{name}”…").format(name=path.name), cancellable=True)
        if plan is None:
            return
        self.preview = AssignmentPreviewDialog(plan, path.name, self)
        if not self.preview.exec():
            return
        with errors_shown(self) as attempt:
            counts = session.write(set_assignments, school_id, term_id, plan.wanted)
        if attempt.failed:
            return
        session.notify_changed(Changed.ASSIGNMENTS)
        self.load_grid()
        self.say(self.tr("已导入:新增 {a} 处,修改 {c} 处,取消 {r} 处任课。").format(
            a=counts["added"], c=counts["changed"], r=counts["removed"]))
