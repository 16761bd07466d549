"""一分一段表 of one grade and subject of an exam, for a school or every school shown: how many
pupils scored each whole point and how many at or above it (app.stats.score_table), and its export
to .xlsx."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QTableView,
                               QVBoxLayout, QWidget)

from app.stats.score_table import score_table, write_score_table_xlsx
from ui.dialogs.messages import errors_shown, inform, show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot
from ui.session import Session
from ui.widgets.scaffold import button_row, push_button


def score_columns() -> list[Column]:
    """Return the columns: 分数, 人数, 累计人数 (at or above), 累计百分比."""
    return [Column("score", "分数", lambda r: str(r["score"]), lambda r: -r["score"], centered=True, sample="000"),
            Column("count", "人数", lambda r: str(r["count"]), lambda r: r["count"], centered=True, sample="00000"),
            Column("at_or_above", "累计人数(此分及以上)", lambda r: str(r["at_or_above"]), lambda r: r["at_or_above"],
                   centered=True),
            Column("share", "累计百分比", lambda r: f"{100 * r['share']:.1f}%", lambda r: r["share"], centered=True,
                   sample="100.0%")]


class ScoreTableDialog(QDialog):
    """Shows the 一分一段表 of an exam for `school_ids` (None: every school of the database)."""

    def __init__(self, session: Session, exam: dict, school_ids: list[str] | None, scope_name: str,
                 grade: int | None = None, subject_id: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.exam, self.school_ids, self.scope_name = session, exam, school_ids, scope_name
        self.table_data: dict | None = None
        self.setWindowTitle(self.tr("一分一段表"))
        self.resize(560, 620)
        layout = QVBoxLayout(self)
        self.grade_combo = QComboBox()
        for g in exam["grades"]:
            self.grade_combo.addItem(self.tr("{g}年级").format(g=g), g)
        self.subject_combo = QComboBox()
        for s in exam["subjects"]:
            self.subject_combo.addItem(s["name"], s["subject_id"])
        if grade is not None:
            self.grade_combo.setCurrentIndex(max(self.grade_combo.findData(grade), 0))
        if subject_id is not None:
            self.subject_combo.setCurrentIndex(max(self.subject_combo.findData(subject_id), 0))
        for combo in (self.grade_combo, self.subject_combo):
            combo.currentIndexChanged.connect(lambda _i: self.load())
        layout.addLayout(button_row(QLabel(self.tr("年级")), self.grade_combo, QLabel(self.tr("学科")), self.subject_combo,
                                    stretch="end"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableView()
        self.model = SnapshotTableModel(score_columns(), self.table)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.export_button = push_button(self.tr("导出 Excel…"), self.export)
        close = push_button(self.tr("关闭"), self.accept)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.load()

    def load(self) -> None:
        """Compute the table of the chosen grade and subject (in the background) and show it."""
        session, grade, subject_id = self.session, self.grade_combo.currentData(), self.subject_combo.currentData()
        if grade is None or subject_id is None:
            return
        with errors_shown(self) as attempt:
            data = session.tasks.run_modal(lambda _c: score_table(session.worker_db(), self.exam["id"], grade,
                                                                  subject_id, school_ids=self.school_ids))
        if attempt.failed:
            return
        self.table_data = data
        self.model.set_snapshot(TableSnapshot.build(data["rows"], score_columns(), ()))
        self.summary.setText(self.tr("{scope} {g}年级{s}:{n} 人有分数(缺考、免考、作弊不计),满分 {full:g}。"
                                     "“累计人数”是得分在此分及以上的人数。").format(
            scope=self.scope_name, g=grade, s=data["subject"], n=data["n"], full=data["full_marks"]))
        self.export_button.setEnabled(bool(data["rows"]))

    def export(self, path: str | None = None) -> bool:
        """Write the table shown to an .xlsx file (asking where when `path` is None); True when written."""
        data = self.table_data
        if data is None:
            return False
        if path is None:
            default = Path.home() / f"{data['exam']}-{data['grade']}年级{data['subject']}-一分一段表.xlsx"
            path, _ = QFileDialog.getSaveFileName(self, self.tr("导出一分一段表"), str(default),
                                                  self.tr("Excel 工作簿 (*.xlsx)"))
            if not path:
                return False
        try:
            self.session.tasks.run_modal(lambda _c: write_score_table_xlsx(data, path, self.scope_name))
        except OSError as exc:
            show_error(self, exc)
            return False
        inform(self, self.tr("已导出"), self.tr("一分一段表已保存到:{path}").format(path=path))
        return True
