"""Before marks are written in bulk (a pasted block, an imported file): which pupils' marks change,
from what to what, and which lines could not be placed. The user confirms or cancels."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout,
                               QWidget)

from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.widgets.scaffold import data_table, push_button


def change_columns(line_title: str = "行") -> list[Column]:
    """Return the columns of the changes table: 行 (or `line_title`), 学籍号, 姓名, 科目, 原成绩, 新成绩."""
    return [
        Column("line", line_title, field_text("line"), lambda r: r["order"], centered=True, sample="Sheet1 第 1000 行"),
        Column("student_no", "学籍号", field_text("student_no"), sample="G000000000000000000"),
        Column("name", "姓名", field_text("name")),
        Column("subject", "科目", field_text("subject")),
        Column("old", "原成绩", field_text("old"), lambda r: r["order"], centered=True, sample="原成绩"),
        Column("new", "新成绩", field_text("new"), lambda r: r["order"], centered=True, sample="新成绩"),
    ]


def changes_table(changes: list[dict], line_title: str = "行") -> tuple[QTableView, SnapshotTableModel]:
    """Return a read-only table of `changes` (dicts with line, student_no, name, subject, old, new)
    in the order given, and its model (a child of the table)."""
    columns = change_columns(line_title)
    model = SnapshotTableModel(columns)
    model.set_snapshot(TableSnapshot.build([{**c, "order": i} for i, c in enumerate(changes)], columns, ()))
    return data_table(model, select="rows", resize=QHeaderView.ResizeMode.ResizeToContents, stretch_last=True), model


class MarkChangesDialog(QDialog):
    """Shows `changes` (dicts with line, student_no, name, subject, old, new) under a summary line,
    and `problems` (lines that will not be written) in red; accepted means: write them."""

    def __init__(self, title: str, summary: str, changes: list[dict], problems: list[str],
                 ok_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 540)
        layout = QVBoxLayout(self)
        self.summary_label = QLabel(summary)
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("font-size: 14px; font-weight: bold;")
        layout.addWidget(self.summary_label)
        self.problem_label = QLabel("\n".join(problems[:12]) + (
            self.tr("\n……另有 {n} 行").format(n=len(problems) - 12) if len(problems) > 12 else ""))
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b3261e;")
        self.problem_label.setVisible(bool(problems))
        layout.addWidget(self.problem_label)
        self.problems = problems
        self.table, self.model = changes_table(changes)
        self.table.setVisible(bool(changes))
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.ok_button = QPushButton(ok_text)
        self.ok_button.setEnabled(bool(changes))
        self.ok_button.clicked.connect(self.accept)
        self.cancel_button = push_button(self.tr("取消"), self.reject)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        (self.ok_button if changes else self.cancel_button).setDefault(True)

    def change_texts(self) -> list[list[str]]:
        """Return the changes table as shown, one list of cell texts per line."""
        return [[self.model.data(self.model.index(r, c)) for c in range(self.model.columnCount())]
                for r in range(self.model.rowCount())]
