"""The preview of a roster import: what would change, and every problem with its sheet, row and column.

导入 is offered only when there is no problem; 只导入无误的行 only when some rows have problems and
others are fine, as an explicit choice of the user.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout,
                               QWidget)

from app.errors import Problem
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot
from ui.widgets.scaffold import data_table, push_button

IMPORT_ALL, IMPORT_VALID = "all", "valid"


def _problem_rows(problems: list[Any]) -> list[dict]:
    rows = []
    for i, problem in enumerate(problems):
        if isinstance(problem, Problem):
            rows.append({"order": i, "sheet": problem.sheet or "", "row": problem.row,
                         "column": problem.column or "", "message": problem.message})
        else:
            rows.append({"order": i, "sheet": "", "row": None, "column": "", "message": str(problem)})
    return rows


def problem_columns() -> list[Column]:
    """Return the columns of the problems table: 工作表, 行, 列, 问题."""
    return [
        Column("sheet", "工作表", lambda r: r["sheet"], lambda r: (r["sheet"], r["row"] or 0, r["order"])),
        Column("row", "行", lambda r: "" if r["row"] is None else str(r["row"]),
               lambda r: (r["row"] or 0, r["order"]), centered=True),
        Column("column", "列", lambda r: r["column"]),
        Column("message", "问题", lambda r: r["message"]),
    ]


class ImportPreviewDialog(QDialog):
    """Shows a RosterPlan (or TeacherPlan); `choice` is IMPORT_ALL, IMPORT_VALID or None."""

    def __init__(self, plan: Any, what: str, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.plan = plan
        self.choice: str | None = None
        summary = plan.summary()
        problems = list(plan.problems)
        warnings = list(getattr(plan, "warnings", []) or [])
        self.setWindowTitle(self.tr("导入预览:{what}").format(what=what))
        self.resize(820, 560)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("文件:{name}").format(name=file_name)))

        parts = [self.tr("新增 {n} 人").format(n=summary.get("add", 0)),
                 self.tr("更新 {n} 人").format(n=summary.get("update", 0)),
                 self.tr("未变 {n} 人").format(n=summary.get("unchanged", 0))]
        if "new_classes" in summary:
            parts.append(self.tr("新建班级 {n} 个").format(n=summary["new_classes"]))
        self.summary_label = QLabel(",".join(parts))
        self.summary_label.setObjectName("import_summary")
        self.summary_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        layout.addWidget(self.summary_label)
        new_classes = list(getattr(plan, "new_classes", []) or [])
        if new_classes:
            names = [str(c.get("name", c)) if isinstance(c, dict) else str(c) for c in new_classes]
            note = QLabel(self.tr("将新建的班级:") + "、".join(names))
            note.setWordWrap(True)
            layout.addWidget(note)

        bad_rows = int(summary.get("rows_with_problems", 0) or 0)
        if problems:
            head = self.tr("发现 {n} 个问题(涉及 {rows} 行)。请在表格中改正后重新导入,或只导入无误的行。").format(
                n=len(problems), rows=bad_rows)
        else:
            head = self.tr("没有发现问题,可以导入。")
        self.problem_label = QLabel(head)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b3261e;" if problems else "color: #1b5e20;")
        layout.addWidget(self.problem_label)
        self.problem_table, self.problem_model = self._table(problems)
        self.problem_table.setVisible(bool(problems))
        layout.addWidget(self.problem_table, 3)
        if warnings:
            layout.addWidget(QLabel(self.tr("提醒(不影响导入):")))
            layout.addWidget(self._table(warnings)[0], 1)
        if not problems:
            layout.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton(self.tr("导入"))
        self.import_button.setEnabled(not problems)
        self.import_button.clicked.connect(lambda: self._choose(IMPORT_ALL))
        self.valid_button = QPushButton(self.tr("只导入无误的行"))
        good_rows = int(summary.get("add", 0) or 0) + int(summary.get("update", 0) or 0)
        self.valid_button.setVisible(bool(problems) and bad_rows > 0 and good_rows > 0)
        self.valid_button.clicked.connect(lambda: self._choose(IMPORT_VALID))
        self.cancel_button = push_button(self.tr("取消"), self.reject)
        for button in (self.import_button, self.valid_button, self.cancel_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        (self.import_button if not problems else self.cancel_button).setDefault(True)

    def _table(self, problems: list[Any]) -> tuple[QTableView, SnapshotTableModel]:
        """Return a table of `problems` and its model (a child of the table, so it dies after it)."""
        model = SnapshotTableModel(problem_columns())
        model.set_snapshot(TableSnapshot.build(_problem_rows(problems), problem_columns(), ()))
        table = data_table(model, select="rows", sortable=True, resize=QHeaderView.ResizeMode.ResizeToContents,
                           stretch_column=3)
        return table, model

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    def problem_texts(self) -> list[list[str]]:
        """Return the problem table as shown: [工作表, 行, 列, 问题] per line."""
        return [[self.problem_model.data(self.problem_model.index(r, c)) for c in range(4)]
                for r in range(self.problem_model.rowCount())]
