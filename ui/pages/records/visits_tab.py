"""家访 tab: each teacher's visits this term against the quota, the visits recorded, and the entry
form, the sheet import and deleting a record entered by mistake."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.records.records_import import read_visits
from app.records.visits import delete_visit, list_visits, record_visits, visit_quota, visit_summary
from ui.models.table_model import Column, TableSnapshot, field_text, school_column
from ui.pages.records.common import RecordsTab
from ui.pages.records.dialogs import ProblemListDialog, VisitDialog
from ui.session import Changed, Session
from ui.widgets.scaffold import choose_file, delete_chosen, import_records, school_or_warn, sorted_table


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
        """Return (the quota per teacher, the visits, the per-school summary) of the current term; a
        teacher account gets only its own quota and visits (what families told a colleague stays
        with that colleague and the school's leaders)."""
        quota, visits = visit_quota(db, school_id=school_id), list_visits(db, school_id=school_id)
        mine = self.session.actor.teacher_id if self.session.actor.role == "teacher" else None
        if mine:
            quota = [r for r in quota if r["teacher_id"] == mine]
            visits = [r for r in visits if r["teacher_id"] == mine]
        return quota, visits, visit_summary(db, school_id=school_id)

    def show_data(self, data: tuple[list[dict], list[dict], list[dict]]) -> None:
        """Fill the summary line and both tables."""
        quota, visits, summary = data
        self.summary.setText(";".join(self.tr("{school}:家访 {n} 次({f} 户),{done}/{all} 位教师完成任务").format(
            school=s["school_name"], n=s["visits"], f=s["families"], done=s["teachers_done"], all=s["teachers"])
            for s in summary[:6]) + ("…" if len(summary) > 6 else ""))
        self.quota_model.set_snapshot(TableSnapshot.build(quota, quota_columns(), ("name", "staff_no")))
        self.visit_model.set_snapshot(TableSnapshot.build(visits, visit_columns(), ("pupil_name", "teacher_name")))

    def add_visit(self) -> None:
        """Open the visit form for the school chosen."""
        school_id = school_or_warn(self, self.school_id or self.session.actor.school_id)
        if school_id and VisitDialog(self.session, school_id, self).exec():
            self.session.notify_changed(Changed.RECORDS)

    def remove_visit(self) -> None:
        """Delete the selected visit after asking (on the worker)."""
        delete_chosen(self, self.session, self.visit_table, self.visit_model, title=self.tr("删除家访记录"),
                      question=lambda row: self.tr("删除 {d} {t} 对 {p} 的家访记录吗?").format(
                          d=row["date"], t=row["teacher_name"], p=row["pupil_name"]),
                      delete=delete_visit, changed=Changed.RECORDS)

    def import_sheet(self) -> None:
        """Choose a 家访记录 sheet and import it."""
        school_id = school_or_warn(self, self.school_id or self.session.actor.school_id)
        path = school_id and choose_file(self, self.tr("选择家访记录表"), self.tr("表格文件 (*.xlsx *.xls *.csv)"))
        if path:
            self.import_file(str(path), school_id)

    def import_file(self, name: str, school_id: str) -> None:
        """Read the sheet on the worker; show its problems, or ask and write every visit."""
        import_records(self, self.session, title=self.tr("导入家访记录"), reading=self.tr("正在读取家访记录…"),
                       read=lambda db: read_visits(db, name, school_id), records=lambda plan: plan.rows,
                       question=self.tr("将登记 {n} 条家访记录。继续吗?"), write=record_visits,
                       done=self.tr("已导入 {n} 条。"), changed=Changed.RECORDS,
                       show_problems=lambda title, problems: ProblemListDialog(title, problems, self).exec())
