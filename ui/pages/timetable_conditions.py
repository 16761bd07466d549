"""排课条件 of the 课表 page: what 自动排课 must respect at one school besides the curriculum plan
and the teaching assignments — the times its teachers (走教 ones included) cannot teach, the
school's fixed events (升旗, 班会 …) and the lessons locked where they are. Reading and every
change run on the worker thread through app.timetable.edit (role-checked, audited)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableView, QTabWidget, QVBoxLayout, QWidget)

from app.errors import ValidationError
from app.services.subjects import list_subjects
from app.timetable.check import rules_lookup
from app.timetable.edit import (day_plan, fixed_events, locked_lessons, set_fixed_event, set_locked, set_unavailable,
                                teachers_for_school, unavailable_times)
from app.timetable.model import DAY_NAMES
from ui.dialogs.messages import errors_shown, show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.session import Session
from ui.widgets.form import ERROR_STYLE
from ui.widgets.scaffold import data_table, push_button

EVENT_LABELS = ("升旗", "班会", "集会", "自习", "大扫除")


@dataclass
class Conditions:
    """What the dialog shows, read on the worker: the three lists and what the choosers offer."""

    unavailable: list[dict]
    events: list[dict]
    locked: list[dict]
    teachers: list[dict]
    plans: dict[str, list[dict]]  # school id → its lesson slots (slot, label)
    subjects: list[dict]
    days: list[int]


def read_conditions(db, school_id: str) -> Conditions:
    """Return the school's 排课条件 and the choices for adding to them."""
    teachers = teachers_for_school(db, school_id)
    plans = {sid: [p for p in day_plan(db, sid) if p["kind"] == "lesson"]
             for sid in {school_id} | {t["school_id"] for t in teachers}}
    days = [int(d) for d in rules_lookup(db, [school_id])(school_id).content["school_days"]]
    return Conditions(unavailable_times(db, school_id), fixed_events(db, school_id), locked_lessons(db, school_id),
                      teachers, plans, list_subjects(db), days)


def _slot_text(row: dict) -> str:
    if row.get("slot") is None:
        return "全天"
    return row.get("slot_label") or f"第 {row['slot']} 个时段"


def _day_text(row: dict) -> str:
    return DAY_NAMES.get(row["day"], str(row["day"]))


def unavailable_columns() -> list[Column]:
    """Columns of the teachers' unavailable times."""
    return [Column("teacher", "教师", lambda r: f"{r['teacher']}({r['staff_no']})"),
            Column("day", "星期", _day_text, sort_key=lambda r: r["day"], centered=True),
            Column("slot", "时段", _slot_text, sort_key=lambda r: r["slot"] or 0, centered=True),
            Column("reason", "原因", field_text("reason"), sample="中中中中中中中中")]


def event_columns() -> list[Column]:
    """Columns of the school's fixed events."""
    return [Column("day", "星期", _day_text, sort_key=lambda r: r["day"], centered=True),
            Column("slot", "时段", _slot_text, sort_key=lambda r: r["slot"], centered=True),
            Column("label", "活动", field_text("label")),
            Column("subject", "每班上的学科", lambda r: r["subject"] or "(这一节不排课)")]


def locked_columns() -> list[Column]:
    """Columns of the locked lessons."""
    return [Column("class", "班级", field_text("class")),
            Column("day", "星期", _day_text, sort_key=lambda r: r["day"], centered=True),
            Column("slot", "时段", _slot_text, sort_key=lambda r: r["slot"], centered=True),
            Column("subject", "学科", field_text("subject")), Column("teacher", "教师", field_text("teacher"))]


class ConditionsDialog(QDialog):
    """Three tabs: 教师不能上课, 固定活动, 锁定的课; each a list with what adds to it or removes
    from it. `changed` tells the page to reload after the dialog closes."""

    def __init__(self, session: Session, school_id: str, school_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id = school_id
        self.changed = False
        self.conditions: Conditions | None = None
        self.setWindowTitle(self.tr("排课条件 · {school}").format(school=school_name))
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("自动排课会遵守这里的条件。")))
        self.tabs = QTabWidget()
        self.tabs.addTab(self._unavailable_tab(), self.tr("教师不能上课的时间"))
        self.tabs.addTab(self._events_tab(), self.tr("固定活动"))
        self.tabs.addTab(self._locked_tab(), self.tr("锁定的课"))
        layout.addWidget(self.tabs, 1)
        self.message = QLabel()
        self.message.setObjectName("conditions_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.load()

    # --- the three tabs -------------------------------------------------------------------------

    def _list(self, columns: list[Column]) -> tuple[SnapshotTableModel, QTableView]:
        model = SnapshotTableModel(columns, self)
        return model, data_table(model, resize=QHeaderView.ResizeMode.Stretch)

    def _unavailable_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(QLabel(self.tr("自动排课不在这些时间给该教师排课;走教教师的时段按其本校的作息时间。")))
        self.unavailable_model, self.unavailable_table = self._list(unavailable_columns())
        column.addWidget(self.unavailable_table, 1)
        row = QHBoxLayout()
        self.teacher_combo = QComboBox()
        self.teacher_combo.setMinimumContentsLength(14)
        self.teacher_combo.currentIndexChanged.connect(self._fill_teacher_slots)
        self.unavailable_day = QComboBox()
        self.unavailable_slot = QComboBox()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("原因(可不填),如 中心校教研"))
        add = push_button(self.tr("登记"), self.add_unavailable)
        row.addWidget(QLabel(self.tr("登记:")))
        for widget in (self.teacher_combo, self.unavailable_day, self.unavailable_slot):
            row.addWidget(widget)
        row.addWidget(self.reason, 1)
        row.addWidget(add)
        column.addLayout(row)
        remove = push_button(self.tr("取消所选登记"), self.remove_unavailable)
        column.addLayout(self._right(remove))
        return tab

    def _events_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(QLabel(self.tr("全校每个班这一节都不排课(升旗、集会),或都上同一学科(班会可记入综合实践活动)。")))
        self.events_model, self.events_table = self._list(event_columns())
        column.addWidget(self.events_table, 1)
        row = QHBoxLayout()
        self.event_day = QComboBox()
        self.event_slot = QComboBox()
        self.event_label = QComboBox()
        self.event_label.setEditable(True)
        self.event_label.addItems(list(EVENT_LABELS))
        self.event_label.lineEdit().setPlaceholderText(self.tr("活动名称"))
        self.event_subject = QComboBox()
        add = push_button(self.tr("设置"), self.add_event)
        row.addWidget(QLabel(self.tr("设置:")))
        for widget in (self.event_day, self.event_slot, self.event_label, self.event_subject):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(add)
        column.addLayout(row)
        remove = push_button(self.tr("取消所选活动"), self.remove_event)
        column.addLayout(self._right(remove))
        return tab

    def _locked_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(QLabel(self.tr("锁定的课在自动排课时保持不动。在班级课表上右键一节课即可锁定。")))
        self.locked_model, self.locked_table = self._list(locked_columns())
        column.addWidget(self.locked_table, 1)
        unlock = push_button(self.tr("解锁所选的课"), self.unlock)
        column.addLayout(self._right(unlock))
        return tab

    @staticmethod
    def _right(button: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(button)
        return row

    # --- reading and writing --------------------------------------------------------------------

    def load(self) -> None:
        """Read the school's conditions on the worker and show them."""
        session = self.session
        with errors_shown(self) as attempt:
            found = session.tasks.run_modal(lambda _c: read_conditions(session.worker_db(), self.school_id),
                                            parent=self)
        if attempt.failed:
            return
        first_load = self.conditions is None
        self.conditions = found
        self.unavailable_model.set_snapshot(TableSnapshot.build(found.unavailable, unavailable_columns(), ()))
        self.events_model.set_snapshot(TableSnapshot.build(found.events, event_columns(), ()))
        self.locked_model.set_snapshot(TableSnapshot.build(found.locked, locked_columns(), ()))
        if first_load:
            for day in found.days:
                self.unavailable_day.addItem(DAY_NAMES[day], day)
                self.event_day.addItem(DAY_NAMES[day], day)
            for teacher in found.teachers:
                text = f"{teacher['name']}({teacher['staff_no']})"
                if teacher["visiting"]:
                    text += self.tr(" · 走教")
                self.teacher_combo.addItem(text, teacher["id"])
            for period in found.plans.get(self.school_id, []):
                self.event_slot.addItem(period["label"], period["slot"])
            self.event_subject.addItem(self.tr("(这一节不排课)"), None)
            for subject in found.subjects:
                self.event_subject.addItem(subject["name"], subject["id"])
            self._fill_teacher_slots()
        self.tabs.setTabText(2, self.tr("锁定的课({n})").format(n=len(found.locked)))

    def _fill_teacher_slots(self) -> None:
        self.unavailable_slot.clear()
        self.unavailable_slot.addItem(self.tr("全天"), None)
        if self.conditions is None or self.teacher_combo.currentIndex() < 0:
            return
        teacher = self.conditions.teachers[self.teacher_combo.currentIndex()]
        for period in self.conditions.plans.get(teacher["school_id"], []):
            self.unavailable_slot.addItem(period["label"], period["slot"])

    def _write(self, change: Callable[[Any], object], done: str) -> bool:
        """Run a change on the worker; show `done` (or that nothing changed) or the refusal.
        Returns whether it was accepted."""
        session = self.session
        try:
            result = session.tasks.run_modal(lambda _c: change(session.worker_db()), parent=self)
        except ValidationError as exc:
            self._say("\n".join(p.message for p in exc.problems), error=True)
            return False
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
            return False
        if result is False:
            self._say(self.tr("没有变化:这一条本来就是这样。"))
            return True
        self.changed = True
        self._say(done)
        self.load()
        return True

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else "color: #1b5e20;")
        self.message.setText(text)

    @staticmethod
    def _chosen(table: QTableView, model: SnapshotTableModel) -> dict | None:
        rows = table.selectionModel().selectedRows()
        return model.row_data(rows[0].row()) if rows else None

    def add_unavailable(self) -> None:
        """Record the chosen teacher's unavailable time."""
        teacher_id = self.teacher_combo.currentData()
        if teacher_id is None:
            self._say(self.tr("这所学校还没有教师。"), error=True)
            return
        actor, day, slot = self.session.actor, self.unavailable_day.currentData(), self.unavailable_slot.currentData()
        reason = self.reason.text()
        when = f"{self.unavailable_day.currentText()}{self.unavailable_slot.currentText()}"
        if self._write(lambda db: set_unavailable(db, actor, teacher_id=teacher_id, day=day, slot=slot, reason=reason),
                       self.tr("已登记:{teacher} {when}不能上课。").format(teacher=self.teacher_combo.currentText(),
                                                                     when=when)):
            self.reason.clear()

    def remove_unavailable(self) -> None:
        """Clear the chosen unavailable time."""
        row = self._chosen(self.unavailable_table, self.unavailable_model)
        if row is None:
            self._say(self.tr("请先在列表中选中一条登记。"), error=True)
            return
        actor = self.session.actor
        self._write(lambda db: set_unavailable(db, actor, teacher_id=row["teacher_id"], day=row["day"], slot=row["slot"],
                                               unavailable=False),
                    self.tr("已取消:{teacher} {day}{slot}的登记。").format(teacher=row["teacher"], day=_day_text(row),
                                                                     slot=_slot_text(row)))

    def add_event(self) -> None:
        """Fix the chosen event (a new one, or a change of the event already at that time)."""
        label = self.event_label.currentText().strip()
        if not label:
            self._say(self.tr("请写出活动名称,如 升旗、班会。"), error=True)
            return
        if self.event_slot.currentData() is None:
            self._say(self.tr("这所学校的作息时间里还没有上课时段。"), error=True)
            return
        actor, school_id = self.session.actor, self.school_id
        day, slot, subject_id = self.event_day.currentData(), self.event_slot.currentData(), \
            self.event_subject.currentData()
        self._write(lambda db: set_fixed_event(db, actor, school_id=school_id, day=day, slot=slot, label=label,
                                               subject_id=subject_id),
                    self.tr("已设置:{day}{slot} {label}。").format(day=self.event_day.currentText(),
                                                              slot=self.event_slot.currentText(), label=label))

    def remove_event(self) -> None:
        """Clear the chosen fixed event."""
        row = self._chosen(self.events_table, self.events_model)
        if row is None:
            self._say(self.tr("请先在列表中选中一项活动。"), error=True)
            return
        actor, school_id = self.session.actor, self.school_id
        self._write(lambda db: set_fixed_event(db, actor, school_id=school_id, day=row["day"], slot=row["slot"],
                                               label=None),
                    self.tr("已取消:{day}{slot} {label}。").format(day=_day_text(row), slot=_slot_text(row),
                                                              label=row["label"]))

    def unlock(self) -> None:
        """Unlock the chosen lesson."""
        row = self._chosen(self.locked_table, self.locked_model)
        if row is None:
            self._say(self.tr("请先在列表中选中一节课。"), error=True)
            return
        actor = self.session.actor
        self._write(lambda db: set_locked(db, actor, class_id=row["class_id"], day=row["day"], slot=row["slot"],
                                          locked=False),
                    self.tr("已解锁:{cls} {day}{slot}。").format(cls=row["class"], day=_day_text(row),
                                                            slot=_slot_text(row)))
