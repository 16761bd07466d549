"""作业 tab: each class's written homework per week against the limit for its grade, the day's entry by
the 班主任, the sheet import, and the printable 作业公示 per class."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from app.queries.roster import list_classes
from app.records.homework import homework_summary, limits_text, record_homework_days, weekly_check
from app.records.homework_import import read_homework, write_homework_template
from app.records.homework_notice import write_notice
from ui.dialogs.messages import inform, show_error, warn
from ui.models.table_model import Column, TableSnapshot, field_text, school_column
from ui.pages.records.common import WARNING_STYLE, RecordsTab
from ui.pages.records.dialogs import HomeworkDialog, ProblemListDialog
from ui.session import Changed, Session
from ui.widgets.scaffold import choose_file, import_records, school_or_warn, sorted_table


def week_columns() -> list[Column]:
    """Columns of the weekly check (one row per class and week)."""
    return [
        school_column(),
        Column("class_name", "班级", field_text("class_name"), lambda r: (r["school_code"], r["order"])),
        Column("week", "周(周一)", field_text("week"), sample="2026-10-15"),
        Column("limit", "每天限额", lambda r: "不留书面作业" if r["limit"] == 0 else f"{r['limit']} 分钟",
               lambda r: r["limit"], centered=True, sample="不留书面作业"),
        Column("days", "登记天数", field_text("days"), lambda r: r["days"], centered=True),
        Column("mean", "日均分钟", lambda r: f"{r['mean']:g}", lambda r: r["mean"], centered=True),
        Column("max", "最多一天", field_text("max"), lambda r: r["max"], centered=True),
        Column("over", "结论", lambda r: "超时" if r["over"] else "符合要求", lambda r: not r["over"], centered=True),
        Column("over_days", "超时的日子", lambda r: "、".join(d[5:] for d in r["over_days"]), sample="中" * 12),
    ]


class HomeworkTab(RecordsTab):
    """The 作业 tab."""

    title = "作业"

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        column = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("班级")))
        self.class_combo = QComboBox()
        self.class_combo.setMinimumContentsLength(10)
        bar.addWidget(self.class_combo)
        bar.addWidget(QLabel(self.tr("日期")))
        self.day = QDateEdit(QDate.currentDate())
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        bar.addWidget(self.day)
        self.enter_button = QPushButton(self.tr("登记当天作业…"))
        self.enter_button.clicked.connect(self.enter_day)
        self.notice_button = QPushButton(self.tr("打印本周作业公示…"))
        self.notice_button.clicked.connect(self.print_notice)
        self.import_button = QPushButton(self.tr("导入作业表…"))
        self.import_button.clicked.connect(self.import_sheet)
        self.template_button = QPushButton(self.tr("导出登记模板…"))
        self.template_button.clicked.connect(self.export_template)
        for button in (self.enter_button, self.notice_button, self.import_button, self.template_button):
            bar.addWidget(button)
        bar.addStretch(1)
        column.addLayout(bar)
        line = QHBoxLayout()
        self.over_label = QLabel()
        self.over_label.setStyleSheet(WARNING_STYLE)
        self.over_label.setWordWrap(True)
        line.addWidget(self.over_label, 1)
        self.only_over = QCheckBox(self.tr("只看超时"))
        self.only_over.toggled.connect(lambda _on: self._show_rows())
        line.addWidget(self.only_over)
        column.addLayout(line)
        self.week_table, self.week_model = sorted_table(week_columns())
        column.addWidget(self.week_table, 1)
        self.rule_label = QLabel()
        self.rule_label.setWordWrap(True)
        column.addWidget(self.rule_label)
        self.rows: list[dict] = []
        self.summary: list[dict] = []
        self.weeks: dict[bool, TableSnapshot] = {}

    def load(self, db, school_id: str | None) -> tuple[list[dict], dict[bool, TableSnapshot], list[dict],
                                                       list[dict], str]:
        """Return (the term's weekly check rows, the weekly table of every row and of the rows over
        the limit, by 只看超时, built here on the worker, the per-school summary, the classes of
        this year, the homework rule in force as a sentence)."""
        rows = weekly_check(db, school_id=school_id)
        order = {cid: i for i, cid in enumerate(dict.fromkeys(r["class_id"] for r in rows))}
        weeks = {only_over: TableSnapshot.build([{**r, "order": order[r["class_id"]]} for r in rows
                                                 if r["over"] or not only_over], week_columns(), ("class_name",))
                 for only_over in (False, True)}
        return rows, weeks, homework_summary(db, school_id=school_id), list_classes(db, school_id), \
            limits_text(db, school_id)

    def show_data(self, data: tuple[list[dict], dict[bool, TableSnapshot], list[dict], list[dict], str]) -> None:
        """Fill the class chooser, the line on classes over the limit, the weekly table and the rule."""
        self.rows, self.weeks, self.summary, classes, rule = data
        self.rule_label.setText(rule)
        current = self.class_combo.currentData()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        many = len({c["school_id"] for c in classes}) > 1
        for cls in classes:
            self.class_combo.addItem(f"{cls['school_name']} {cls['name']}" if many else cls["name"], cls["id"])
        if current is not None and self.class_combo.findData(current) >= 0:
            self.class_combo.setCurrentIndex(self.class_combo.findData(current))
        self.class_combo.blockSignals(False)
        over = [f"{s['school_name']}:{'、'.join(s['classes_over'])}" for s in self.summary if s["classes_over"]]
        self.over_label.setText(self.tr("本学期有超时记录的班级 — {list}").format(list=";".join(over)) if over
                                else self.tr("本学期登记的作业均在规定时间之内。") if self.rows else
                                self.tr("本学期还没有登记作业时间。"))
        self._show_rows()

    def _show_rows(self) -> None:
        if self.weeks:
            self.week_model.set_snapshot(self.weeks[self.only_over.isChecked()])

    def _class(self) -> tuple[str, str] | None:
        if self.class_combo.currentData() is None:
            warn(self, self.tr("请选择班级"), self.tr("请先选择一个班级。"))
            return None
        return self.class_combo.currentData(), self.class_combo.currentText()

    def _day(self) -> dt.date:
        return self.day.date().toPython()

    def enter_day(self) -> None:
        """Open the form for the chosen class and date."""
        chosen = self._class()
        if chosen and HomeworkDialog(self.session, chosen[0], chosen[1], self._day(), self).exec():
            self.session.notify_changed(Changed.RECORDS)

    def print_notice(self) -> None:
        """Write the chosen class's 作业公示 for the week of the chosen date as a PDF (on the worker)."""
        chosen = self._class()
        if not chosen:
            return
        monday = self._day() - dt.timedelta(days=self._day().weekday())
        default = Path.home() / f"{chosen[1].replace(' ', '')}作业公示_{monday.isoformat()}.pdf"
        name, _ = QFileDialog.getSaveFileName(self, self.tr("保存作业公示"), str(default), self.tr("PDF 文件 (*.pdf)"))
        if not name:
            return
        session, class_id, day = self.session, chosen[0], self._day()
        session.tasks.run(lambda _c: write_notice(session.worker_db(), class_id, day, name),
                          on_done=lambda path: inform(self, self.tr("作业公示"), self.tr("已保存到 {path}").format(path=path)),
                          on_error=lambda exc: show_error(self, exc), label=self.tr("正在生成作业公示…"), parent=self)

    def export_template(self) -> None:
        """Write the school's empty 作业时间 sheet."""
        school_id = school_or_warn(self, self.school_id or self.session.actor.school_id)
        if school_id is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, self.tr("导出作业登记模板"), str(Path.home() / "作业时间登记表.xlsx"),
                                              self.tr("Excel 工作簿 (*.xlsx)"))
        if not name:
            return
        session = self.session
        session.tasks.run(lambda _c: write_homework_template(session.worker_db(), school_id, name),
                          on_done=lambda path: inform(self, self.tr("导出模板"), self.tr("已保存到 {path}").format(path=path)),
                          on_error=lambda exc: show_error(self, exc))

    def import_sheet(self) -> None:
        """Choose a 作业时间 sheet and import it."""
        school_id = school_or_warn(self, self.school_id or self.session.actor.school_id)
        path = school_id and choose_file(self, self.tr("选择作业时间表"), self.tr("表格文件 (*.xlsx *.xls *.csv)"))
        if path:
            self.import_file(str(path), school_id)

    def import_file(self, name: str, school_id: str) -> None:
        """Read the sheet on the worker; show its problems, or ask and write every class day."""
        import_records(self, self.session, title=self.tr("导入作业表"), reading=self.tr("正在读取作业表…"),
                       read=lambda db: read_homework(db, name, school_id), records=lambda plan: plan.days,
                       question=self.tr("将登记 {n} 个班级日的作业时间(已登记的同一天会被替换)。继续吗?"),
                       write=record_homework_days, done=self.tr("已导入,改动 {n} 条记录。"), changed=Changed.RECORDS,
                       show_problems=lambda title, problems: ProblemListDialog(title, problems, self).exec())
