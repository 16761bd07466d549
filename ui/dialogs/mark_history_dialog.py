"""修改记录: who changed one mark, when, and from what to what (app.marks.history)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, \
    QVBoxLayout, QWidget

from app.db.database import Database
from app.marks.history import mark_history
from ui.widgets.scaffold import data_table


class MarkHistoryDialog(QDialog):
    """Lists every recorded change of one mark, oldest first."""

    def __init__(self, db: Database, exam_id: str, pupil_id: str, subject_id: str, title: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("修改记录"))
        self.resize(640, 360)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title))
        rows = mark_history(db, exam_id, pupil_id, subject_id)
        self.model = QStandardItemModel(0, 5, self)
        self.model.setHorizontalHeaderLabels([self.tr("时间"), self.tr("操作人"), self.tr("操作"), self.tr("原值"),
                                              self.tr("新值")])
        for row in rows:
            when = dt.datetime.fromisoformat(row["at"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
            self.model.appendRow([QStandardItem(text) for text in
                                  (when, row["who"], self.tr(row["action"]), row["old"], row["new"])])
        self.table = data_table(self.model, select="cells", resize=QHeaderView.ResizeMode.ResizeToContents,
                                stretch_last=True)
        layout.addWidget(self.table, 1)
        if not rows:
            layout.addWidget(QLabel(self.tr("这一格还没有修改记录。")))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
