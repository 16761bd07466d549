"""The 年度考核 tab of the 工作量与常规 page: the teacher appraisal of a school year (000 篇16) —
items, total, rank and band per active teacher (a teacher sees only their own row, a school's staff
their school) — and each teacher's appraisal sheet (内部资料) as a PDF."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from app.reports import write_report
from app.reports.appraisal_sheet import build as build_sheet
from app.stats.appraisal import ITEMS, appraisal, school_years, visible_to
from ui.dialogs.messages import show_error, warn
from ui.dialogs.survey_dialog import SurveyDialog
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text, school_column
from ui.session import Session


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def appraisal_columns(keys: tuple[str, ...] = ("routine", "observation", "quality", "workload")) -> list[Column]:
    """Columns of the appraisal table, with one per item of `keys` (those the preset weighs)."""
    items = [Column(key, ITEMS[key], lambda r, k=key: _score(r["items"][k]), lambda r, k=key: r["items"][k] or -1,
                    centered=True, sample="教学常规") for key in keys]
    return [school_column(), Column("staff_no", "工号", field_text("staff_no")),
            Column("name", "姓名", field_text("name"), sample="欧阳中中"),
            Column("group", "教研组", field_text("group"), sample="综合组"), *items,
            Column("total", "总分", lambda r: _score(r["total"]), lambda r: r["total"] or -1, centered=True),
            Column("rank_in_school", "校内名次", field_text("rank_in_school"), lambda r: r["rank_in_school"] or 9999,
                   centered=True),
            Column("band", "等次", field_text("band"), sample="优秀候选(并列待评议)")]


class AppraisalTab(QWidget):
    """The year's appraisal list with a 打印考核表 button."""

    def __init__(self, session: Session, table: QTableView, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id: str | None = None
        self.rows: list[dict] = []
        self.stale = True
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("学年")))
        self.year_combo = QComboBox()
        for year in school_years(session.db):
            self.year_combo.addItem(self.tr("{y} 学年").format(y=year), year)
        self.year_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.year_combo)
        self.status = QLabel()
        self.status.setWordWrap(True)
        bar.addWidget(self.status, 1)
        self.survey_button = QPushButton(self.tr("多方评价得分…"))
        self.survey_button.setToolTip(self.tr("录入或导入篇11 的教师自评、同事互评、领导评价、学生评价、家长评价得分"))
        self.survey_button.clicked.connect(self.edit_surveys)
        if session.actor.role not in ("township_admin", "school_admin", "academic"):
            self.survey_button.hide()  # hide only: showing a widget without a parent opens it as a window
        bar.addWidget(self.survey_button)
        self.print_button = QPushButton(self.tr("打印考核表…"))
        self.print_button.clicked.connect(self.print_sheet)
        bar.addWidget(self.print_button)
        layout.addLayout(bar)
        self.table = table
        self.model = table.model()
        layout.addWidget(table, 1)
        note = QLabel(self.tr("各项按 0-100 计;没有分数的项目不计入总分。优秀名额为全校在职教师的 12%(以方案为准,向下取整),"
                              "平均分到语文组、数学组、综合组;组内分数并列跨过名额线的列为“优秀候选(并列待评议)”,"
                              "由全体教师评议。"))
        note.setWordWrap(True)  # the page fits 1024 px
        layout.addWidget(note)

    def year(self) -> str | None:
        """Return the school year chosen."""
        return self.year_combo.currentData()

    def refresh_if_stale(self) -> None:
        """Compute the appraisal again if the data or the school changed since it was last shown."""
        if self.stale:
            self.refresh()

    def refresh(self, school_id: str | None = None) -> None:
        """Compute the year's appraisal in the background (for `school_id`, or the last one)."""
        if school_id is not None:
            self.school_id = school_id
        self.stale = False
        year, chosen, session = self.year(), self.school_id, self.session
        if year is None:
            self.status.setText(self.tr("数据库中还没有学年。"))
            return
        self.status.setText(self.tr("正在计算…"))

        def work(_control) -> list[dict]:
            return visible_to(appraisal(session.worker_db(), year, school_id=chosen), session.actor)

        session.tasks.run(work, on_done=self._loaded, on_error=lambda exc: show_error(self, exc), key=self)

    def _loaded(self, rows: list[dict]) -> None:
        assert isinstance(self.model, SnapshotTableModel)
        self.rows = rows
        keys = tuple(rows[0]["items"]) if rows else ("routine", "observation", "quality", "workload")
        self.model.set_snapshot(TableSnapshot.build(rows, appraisal_columns(keys), ()))
        if rows:
            self.status.setText(self.tr("{n} 位教师 · 方案:{name}").format(
                n=len(rows), name=rows[0]["preset_name"]))
        else:
            self.status.setText(self.tr("没有可显示的教师。"))

    def edit_surveys(self) -> None:
        """Open the 篇11 survey scores of the teachers listed; recompute when they were saved."""
        year = self.year()
        if year is None or not self.rows:
            warn(self, self.tr("没有教师"), self.tr("请先选择有在职教师的学年和学校。"))
            return
        mine = [r for r in self.rows if self.session.actor.role == "township_admin"
                or r["school_id"] == self.session.actor.school_id]
        if SurveyDialog(self.session, year, mine, self).exec():
            self.refresh()

    def print_sheet(self) -> None:
        """Write the selected teacher's appraisal sheet (the only row, for a teacher) as a PDF."""
        assert isinstance(self.model, SnapshotTableModel)
        selected = self.table.selectionModel().selectedRows()
        if selected:
            row = self.model.row_data(selected[0].row())
        elif self.model.rowCount() == 1:
            row = self.model.row_data(0)
        else:
            warn(self, self.tr("请选择教师"), self.tr("请先在表中选中一位教师。"))
            return
        name = f"{row['name']}{self.year()}教师年度考核表.pdf"
        chosen, _ = QFileDialog.getSaveFileName(self, self.tr("保存考核表"), str(Path.home() / name),
                                                self.tr("PDF 文件 (*.pdf)"))
        if not chosen:
            return
        year, staff_no, session = self.year(), row["staff_no"], self.session

        def work(_control) -> Path:
            return write_report(build_sheet(session.worker_db(), year, staff_no, session.actor), chosen)

        session.tasks.run(work, on_done=lambda path: self.status.setText(self.tr("已保存:{p}").format(p=path)),
                          on_error=lambda exc: show_error(self, exc), label=self.tr("正在生成考核表…"), parent=self)
