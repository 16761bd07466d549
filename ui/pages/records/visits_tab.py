"""家访 tab: each teacher's visits this term against the quota, the visits recorded, and the entry
form, the sheet import and deleting a record entered by mistake."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.records.records_import import read_visits
from app.records.visits import delete_visit, list_visits, record_visits, visit_quota, visit_summary
from ui.models.table_model import Column, TableSnapshot, field_text, school_column
from ui.pages.records.common import RecordsTab
from ui.pages.records.dialogs import ProblemListDialog, VisitDialog
from ui.session import Changed, Session
from ui.widgets.scaffold import RecordTabActions, sorted_table


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
        self.actions = RecordTabActions(
            self, session, noun=self.tr("家访记录"), add_text=self.tr("登记家访…"), form=VisitDialog,
            delete=delete_visit, question=lambda row: self.tr("删除 {d} {t} 对 {p} 的家访记录吗?").format(
                d=row["date"], t=row["teacher_name"], p=row["pupil_name"]),
            read=read_visits, write=record_visits, ask=self.tr("将登记 {n} 条家访记录。继续吗?"),
            show_problems=lambda title, problems: ProblemListDialog(title, problems, self).exec(),
            changed=Changed.RECORDS)
        for button in self.actions.buttons():
            bar.addWidget(button)
        column.addLayout(bar)
        self.quota_table, self.quota_model = sorted_table(quota_columns())
        column.addWidget(self.quota_table, 1)
        column.addWidget(QLabel(self.tr("本学期家访记录")))
        self.visit_table, self.visit_model = sorted_table(visit_columns())
        self.actions.table, self.actions.model = self.visit_table, self.visit_model
        column.addWidget(self.visit_table, 1)

    def load(self, db, school_id: str | None) -> tuple[TableSnapshot, TableSnapshot, list[dict]]:
        """Return (the tables of the quota per teacher and of the visits, built here on the worker,
        the per-school summary) of the current term; a teacher account gets only its own quota and
        visits (what families told a colleague stays with that colleague and the school's leaders)."""
        quota, visits = visit_quota(db, school_id=school_id), list_visits(db, school_id=school_id)
        mine = self.session.actor.teacher_id if self.session.actor.role == "teacher" else None
        if mine:
            quota = [r for r in quota if r["teacher_id"] == mine]
            visits = [r for r in visits if r["teacher_id"] == mine]
        return (TableSnapshot.build(quota, quota_columns(), ("name", "staff_no")),
                TableSnapshot.build(visits, visit_columns(), ("pupil_name", "teacher_name")),
                visit_summary(db, school_id=school_id))

    def show_data(self, data: tuple[TableSnapshot, TableSnapshot, list[dict]]) -> None:
        """Fill the summary line and both tables."""
        quota, visits, summary = data
        self.summary.setText(";".join(self.tr("{school}:家访 {n} 次({f} 户),{done}/{all} 位教师完成任务").format(
            school=s["school_name"], n=s["visits"], f=s["families"], done=s["teachers_done"], all=s["teachers"])
            for s in summary[:6]) + ("…" if len(summary) > 6 else ""))
        self.quota_model.set_snapshot(quota)
        self.visit_model.set_snapshot(visits)
