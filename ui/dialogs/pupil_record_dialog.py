"""学业档案: one pupil's record on one page — flags, status history, every exam's marks and 等级 with
z and T against the grade, the trend chart, tutoring and 双困生 — and the printable copy for a
parents' meeting (no ranks, nothing of other pupils; the records preset in force chooses what else
it shows, and the dialog says which parts and which preset)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton, QTabWidget,
                               QVBoxLayout, QWidget)

from app.reports.pdf import write_pdf
from app.preset_names import display_name
from app.support.pupil_record import SHOWN, parent_report, pupil_record, shown_parts, trend
from app.validation.mask import mask_student_no
from ui.dialogs.messages import show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.support_dialogs import tutoring_columns
from ui.session import Session
from ui.widgets.chart import ChartData, ChartWidget
from ui.widgets.scaffold import data_table


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def mark_columns() -> list[Column]:
    """Columns of the marks table: one row per exam and subject."""
    return [Column("exam", "考试", field_text("exam"), sample="2026—2027学年第一学期期中统考"),
            Column("subject", "学科", field_text("subject"), sample="道德与法治"),
            Column("score", "成绩", lambda r: r["score_text"], lambda r: r["score"] or -1, centered=True, sample="成绩"),
            Column("level", "等级", field_text("level"), centered=True, sample="待提高"),
            Column("z", "z 分", lambda r: _number(r["z"], 2), lambda r: r["z"] or 0, centered=True, sample="-0.00"),
            Column("t", "T 分", lambda r: _number(r["t"]), lambda r: r["t"] or 0, centered=True, sample="T 分")]


def status_columns() -> list[Column]:
    """Columns of the status history."""
    return [Column("date", "日期", field_text("date"), sample="2026-10-15"),
            Column("status", "学籍状态", field_text("status"), sample="学籍状态"),
            Column("note", "备注", field_text("note"), sample="中" * 12)]


def visit_columns() -> list[Column]:
    """Columns of the pupil's home visits."""
    return [Column("date", "日期", field_text("date"), sample="2026-10-15"),
            Column("way", "方式", field_text("way"), sample="到校面谈"),
            Column("teacher_name", "教师", field_text("teacher_name"), sample="欧阳老师"),
            Column("notes", "记录", field_text("notes"), sample="中" * 16)]


def _table(columns: list[Column], rows: list[dict]):
    model = SnapshotTableModel(columns)
    model.set_snapshot(TableSnapshot.build(rows, columns, ()))
    view = data_table(model)
    model.setParent(view)
    view.horizontalHeader().setStretchLastSection(True)
    metrics = view.fontMetrics()
    for i, column in enumerate(columns):
        view.setColumnWidth(i, max(metrics.horizontalAdvance(column.sample), metrics.horizontalAdvance(column.title))
                            + 24)
    return view


class PupilRecordDialog(QDialog):
    """One pupil's 学业档案."""

    def __init__(self, session: Session, pupil_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.pupil_id = session, pupil_id
        self.record = pupil_record(session.db, pupil_id)
        pupil = self.record["pupil"]
        self.setWindowTitle(self.tr("{name}的学业档案").format(name=pupil["name"]))
        self.resize(1000, 680)
        layout = QVBoxLayout(self)
        flags = "、".join(self.record["flags"]) or self.tr("无")
        difficulty = ""
        if self.record["difficulties"]:
            latest = self.record["difficulties"][-1]
            difficulty = self.tr(";双困生({term}):学习+{kind},{reason}").format(
                term=latest["term_code"], kind=latest["kind"], reason=latest["reason"])
        self.heading = QLabel(self.tr("<b>{name}</b> {gender} · {school} {cls} · 学籍号 {no} · {status} · 情况:{flags}{d}")
                              .format(name=pupil["name"], gender=pupil["gender"], school=pupil["school_name"],
                                      cls=pupil["class_name"] or "", no=mask_student_no(pupil["student_no"]),
                                      status=pupil["status"], flags=flags, d=difficulty))
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        rows = [{"exam": e["name"], "subject": s["subject"], "score": s["score"] if not s["graded"] else None,
                 "score_text": (f"{s['score']:g}" if s["status"] == "正常" and not s["graded"] else
                                "" if s["status"] == "正常" else s["status"]),
                 "level": s["level"] or "", "z": s["z"], "t": s["t"]}
                for e in self.record["exams"] for s in e["subjects"]]
        self.marks_table = _table(mark_columns(), rows)
        self.tabs.addTab(self.marks_table, self.tr("各次考试"))
        self.chart = ChartWidget()
        names, series = trend(self.record)
        self.chart.show_chart(ChartData(self.tr("各科得分率(占满分的百分比)"), names, series, kind="lines", unit="%")
                              if names else None, self.tr("还没有考试成绩。"))
        self.tabs.addTab(self.chart, self.tr("成绩走势"))
        self.tutoring_table = _table(tutoring_columns(), self.record["tutoring"])
        self.tabs.addTab(self.tutoring_table, self.tr("辅导记录({n})").format(n=len(self.record["tutoring"])))
        self.status_table = _table(status_columns(), self.record["status"])
        self.tabs.addTab(self.status_table, self.tr("学籍变动"))
        self.visits_table = _table(visit_columns(), self.record["visits"])
        self.tabs.addTab(self.visits_table, self.tr("家访记录({n})").format(n=len(self.record["visits"])))
        bar = QHBoxLayout()
        shown, preset = shown_parts(session.db, pupil["school_id"])
        where = (self.tr("可在“评分方案”页更换或修改。") if session.is_admin
                 else self.tr("如需更换或修改,请联系学校管理员。"))
        self.print_note = QLabel(self.tr("家长会用档案印出等级及:{parts}(不含排名、不含其他学生)。"
                                         "按方案“{preset}”,{where}")
                                 .format(parts="、".join(SHOWN[k] for k in shown) or self.tr("无其他内容"),
                                         preset=display_name(preset.name), where=where))
        self.print_note.setWordWrap(True)
        bar.addWidget(self.print_note, 1)
        self.print_button = QPushButton(self.tr("保存 PDF…"))
        self.print_button.clicked.connect(self.save_pdf)
        close = QPushButton(self.tr("关闭"))
        close.clicked.connect(self.accept)
        bar.addWidget(self.print_button)
        bar.addWidget(close)
        layout.addLayout(bar)

    def write(self, path: str | Path) -> Path:
        """Write the parents' copy to `path` and return it."""
        return write_pdf(parent_report(self.session.db, self.pupil_id), path)

    def save_pdf(self) -> None:
        """Ask where, then write the parents' copy."""
        name = self.record["pupil"]["name"]
        path, _ = QFileDialog.getSaveFileName(self, self.tr("保存学业档案"), str(Path.home() / f"{name}学业档案.pdf"),
                                              self.tr("PDF 文件 (*.pdf)"))
        if not path:
            return
        try:
            self.write(path)
        except Exception as exc:  # noqa: BLE001 - a full disk or a file in use is explained in Chinese
            show_error(self, exc)
