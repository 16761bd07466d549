"""家访 tab: each teacher's visits this term against the quota, the visits recorded, and the entry
form, the sheet import and deleting a record entered by mistake."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.records.records_import import read_visits
from app.records.visits import delete_visit, list_visits, record_visits, visit_quota, visit_summary
from ui.dialogs.messages import confirm, inform, show_error, warn
from ui.models.table_model import Column, TableSnapshot, field_text, school_column
from ui.pages.records.common import RecordsTab, sorted_table
from ui.pages.records.dialogs import ProblemListDialog, VisitDialog
from ui.session import Changed, Session


def quota_columns() -> list[Column]:
    """Columns of the per-teacher quota table."""
    def number(key: str, title: str) -> Column:
        return Column(key, title, field_text(key), lambda r: r[key], centered=True, sample="已家访户数")
    return [
        school_column(),
        Column("name", "教师", field_text("name")),
        Column("role", "身份", field_text("role"), centered=True, sample="任课教师"),
        number("quota", "任务"), number("done", "已家访"), number("families", "家访户数"), number("short", "尚差"),
        Column("state", "状态", lambda r: "已完成" if not r["short"] else "未完成", lambda r: (not r["short"], r["short"]),
               centered=True, sample="未完成"),
    ]


def visit_columns() -> list[Column]:
    """Columns of the visits recorded."""
    return [
        Column("date", "日期", field_text("date"), sample="2026-10-15"),
        school_column(),
        Column("teacher_name", "家访教师", field_text("teacher_name")),
        Column("class_name", "班级", field_text("class_name")),
        Column("pupil_name", "学生", field_text("pupil_name")),
        Column("left_behind", "留守", lambda r: "是" if r["left_behind"] else "", centered=True, sample="留守"),
        Column("way", "方式", field_text("way"), centered=True, sample="到校面谈"),
        Column("notes", "情况记录", field_text("notes"), sample="中" * 20),
    ]


class VisitsTab(RecordsTab):
    """The 家访 tab."""

    title = "家访"

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        column = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        bar.addWidget(self.summary, 1)
        self.add_button = QPushButton(self.tr("登记家访…"))
        self.add_button.clicked.connect(self.add_visit)
        self.import_button = QPushButton(self.tr("导入家访记录…"))
        self.import_button.clicked.connect(self.import_sheet)
        self.remove_button = QPushButton(self.tr("删除所选记录"))
        self.remove_button.clicked.connect(self.remove_visit)
        for button in (self.add_button, self.import_button, self.remove_button):
            bar.addWidget(button)
        column.addLayout(bar)
        self.quota_table, self.quota_model = sorted_table(quota_columns())
        column.addWidget(self.quota_table, 1)
        column.addWidget(QLabel(self.tr("本学期家访记录")))
        self.visit_table, self.visit_model = sorted_table(visit_columns())
        column.addWidget(self.visit_table, 1)

    def load(self, db, school_id: str | None) -> tuple[list[dict], list[dict], list[dict]]:
        """Return (the quota per teacher, the visits, the per-school summary) of the current term."""
        return (visit_quota(db, school_id=school_id), list_visits(db, school_id=school_id),
                visit_summary(db, school_id=school_id))

    def show_data(self, data: tuple[list[dict], list[dict], list[dict]]) -> None:
        """Fill the summary line and both tables."""
        quota, visits, summary = data
        self.summary.setText(";".join(self.tr("{school}:家访 {n} 次({f} 户),{done}/{all} 位教师完成任务").format(
            school=s["school_name"], n=s["visits"], f=s["families"], done=s["teachers_done"], all=s["teachers"])
            for s in summary[:6]) + ("…" if len(summary) > 6 else ""))
        self.quota_model.set_snapshot(TableSnapshot.build(quota, quota_columns(), ("name", "staff_no")))
        self.visit_model.set_snapshot(TableSnapshot.build(visits, visit_columns(), ("pupil_name", "teacher_name")))

    def _school(self) -> str | None:
        school_id = self.school_id or self.session.actor.school_id
        if school_id is None:
            warn(self, self.tr("请选择学校"), self.tr("请先在上方选择一所学校。"))
        return school_id

    def add_visit(self) -> None:
        """Open the visit form for the school chosen."""
        school_id = self._school()
        if school_id and VisitDialog(self.session, school_id, self).exec():
            self.session.notify_changed(Changed.RECORDS)

    def remove_visit(self) -> None:
        """Delete the selected visit after asking (on the worker)."""
        rows = self.visit_table.selectionModel().selectedRows()
        if not rows:
            return
        row = self.visit_model.row_data(rows[0].row())
        if not confirm(self, self.tr("删除家访记录"), self.tr("删除 {d} {t} 对 {p} 的家访记录吗?").format(
                d=row["date"], t=row["teacher_name"], p=row["pupil_name"])):
            return
        session = self.session
        session.tasks.run(lambda _c: delete_visit(session.worker_db(), session.actor, row["id"]),
                          on_done=lambda _r: session.notify_changed(Changed.RECORDS),
                          on_error=lambda exc: show_error(self, exc))

    def import_sheet(self) -> None:
        """Choose a 家访记录 sheet and import it."""
        school_id = self._school()
        if school_id is None:
            return
        name, _ = QFileDialog.getOpenFileName(self, self.tr("选择家访记录表"), str(Path.home()),
                                              self.tr("表格文件 (*.xlsx *.xls *.csv)"))
        if name:
            self.import_file(name, school_id)

    def import_file(self, name: str, school_id: str) -> None:
        """Read the sheet on the worker; show its problems, or ask and write every visit."""
        session = self.session

        def write(plan) -> None:
            if plan.problems:
                ProblemListDialog(self.tr("导入家访记录"), plan.problems, self).exec()
                return
            if not confirm(self, self.tr("导入家访记录"), self.tr("将登记 {n} 条家访记录。继续吗?").format(n=len(plan.rows))):
                return
            session.tasks.run(lambda _c: record_visits(session.worker_db(), session.actor, plan.rows),
                              on_done=lambda n: (inform(self, self.tr("导入家访记录"), self.tr("已导入 {n} 条。").format(n=n)),
                                                 session.notify_changed(Changed.RECORDS)),
                              on_error=lambda exc: show_error(self, exc))

        session.tasks.run(lambda _c: read_visits(session.worker_db(), name, school_id), on_done=write,
                          on_error=lambda exc: show_error(self, exc), label=self.tr("正在读取家访记录…"), parent=self)
