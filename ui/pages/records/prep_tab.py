"""集体备课 tab: each 教研组's sessions per month against the number asked (twice a month), each
teacher's attendance (what the 研 item of the routine check is scored on), the sessions, and the
new teachers who write 详案."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.records.prep import attendance, delete_session, group_cadence, list_sessions, new_teachers, record_sessions
from app.records.records_import import read_sessions
from ui.models.table_model import Column, TableSnapshot, field_text, school_column
from ui.pages.records.common import WARNING_STYLE, RecordsTab
from ui.pages.records.dialogs import ProblemListDialog, SessionDialog
from ui.session import Changed, Session
from ui.widgets.scaffold import RecordTabActions, sorted_table


def cadence_columns(months: list[str]) -> list[Column]:
    """Columns of the per-group table: one per month of the term so far."""
    return [
        school_column(),
        Column("group_name", "教研组", field_text("group_name")),
        Column("per_month", "每月要求", lambda r: f"{r['per_month']} 次", lambda r: r["per_month"], centered=True),
        *[Column(m, f"{int(m[5:])}月", lambda r, k=m: str(r["months"].get(k, 0)), lambda r, k=m: r["months"].get(k, 0),
                 centered=True, sample="12月") for m in months],
        Column("short", "未达要求的月份", lambda r: "、".join(f"{int(m[5:])}月" for m in r["short_months"]),
               sample="10月、11月"),
    ]


def session_columns() -> list[Column]:
    """Columns of the sessions recorded."""
    return [
        Column("date", "日期", field_text("date"), sample="2026-10-15"),
        school_column(),
        Column("group_name", "教研组", field_text("group_name")),
        Column("lead_name", "主备人", field_text("lead_name")),
        Column("topic", "主题", field_text("topic"), sample="中" * 14),
        Column("count", "人数", lambda r: str(len(r["attendees"])), lambda r: len(r["attendees"]), centered=True),
        Column("attendees", "参加教师", lambda r: "、".join(r["attendees"]), sample="中" * 16),
    ]


def attendance_columns() -> list[Column]:
    """Columns of the per-teacher attendance table."""
    return [
        school_column(),
        Column("name", "教师", field_text("name")),
        Column("attended", "已参加", field_text("attended"), lambda r: r["attended"], centered=True),
        Column("expected", "按进度应参加", field_text("expected"), lambda r: r["expected"], centered=True,
               sample="按进度应参加"),
        Column("state", "状态", lambda r: "不足" if r["attended"] < r["expected"] else "正常",
               lambda r: r["attended"] - r["expected"], centered=True),
    ]


class PrepTab(RecordsTab):
    """The 集体备课 tab."""

    title = "集体备课"

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        column = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.new_label = QLabel()
        self.new_label.setWordWrap(True)
        bar.addWidget(self.new_label, 1)
        self.actions = RecordTabActions(
            self, session, noun=self.tr("集体备课记录"), add_text=self.tr("登记集体备课…"), form=SessionDialog,
            delete=delete_session, question=lambda row: self.tr("删除 {d} {g}“{t}”的记录吗?").format(
                d=row["date"], g=row["group_name"], t=row["topic"]),
            read=read_sessions, write=record_sessions, ask=self.tr("将登记 {n} 次集体备课。继续吗?"),
            show_problems=lambda title, problems: ProblemListDialog(title, problems, self).exec(),
            changed=Changed.RECORDS)
        for button in self.actions.buttons():
            bar.addWidget(button)
        column.addLayout(bar)
        self.short_label = QLabel()
        self.short_label.setStyleSheet(WARNING_STYLE)
        self.short_label.setWordWrap(True)
        column.addWidget(self.short_label)
        self.cadence_table, self.cadence_model = sorted_table(cadence_columns([]))
        column.addWidget(self.cadence_table, 1)
        row = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(QLabel(self.tr("本学期集体备课记录")))
        self.session_table, self.session_model = sorted_table(session_columns())
        self.actions.table, self.actions.model = self.session_table, self.session_model
        left.addWidget(self.session_table)
        right.addWidget(QLabel(self.tr("教师参加情况(教学常规“研”的评分依据)")))
        self.attendance_table, self.attendance_model = sorted_table(attendance_columns())
        right.addWidget(self.attendance_table)
        row.addLayout(left, 3)
        row.addLayout(right, 2)
        column.addLayout(row, 2)

    def load(self, db, school_id: str | None) -> tuple[list[dict], TableSnapshot, TableSnapshot, TableSnapshot,
                                                       list[dict]]:
        """Return (the groups' months, the tables of the groups' months, of the sessions and of the
        teachers' attendance, built here on the worker, the new teachers); a teacher account sees
        only its own attendance (the 研 item of its routine check)."""
        people = attendance(db, school_id=school_id)
        mine = self.session.actor.teacher_id if self.session.actor.role == "teacher" else None
        if mine:
            people = [r for r in people if r["teacher_id"] == mine]
        cadence = group_cadence(db, school_id=school_id)
        months = sorted({m for r in cadence for m in r["months"]})
        # the model takes its columns from the snapshot: one per month of the term so far
        return (cadence, TableSnapshot.build(cadence, cadence_columns(months), ("group_name",)),
                TableSnapshot.build(list_sessions(db, school_id=school_id), session_columns(), ("topic", "lead_name")),
                TableSnapshot.build(people, attendance_columns(), ("name",)), new_teachers(db, school_id=school_id))

    def show_data(self, data: tuple[list[dict], TableSnapshot, TableSnapshot, TableSnapshot, list[dict]]) -> None:
        """Fill the lines and tables."""
        cadence, months, sessions, people, new = data
        self.cadence_model.set_snapshot(months)
        self.cadence_table.resizeColumnsToContents()
        short = [f"{r['school_name']}{r['group_name']}" for r in cadence if r["short_months"]]
        self.short_label.setText(self.tr("有月份少于每月要求次数的教研组:{list}").format(list="、".join(short))
                                 if short else "")
        self.session_model.set_snapshot(sessions)
        self.attendance_model.set_snapshot(people)
        known = [f"{t['name']}(至 {t['until']})" for t in new if not t["unknown"]]
        unknown = [t["name"] for t in new if t["unknown"]]
        text = self.tr("须写详案的新教师(参加工作三年内):{list}").format(list="、".join(known) or self.tr("无"))
        if unknown:
            text += self.tr(";未填参加工作时间:{list}").format(list="、".join(unknown))
        self.new_label.setText(text)
