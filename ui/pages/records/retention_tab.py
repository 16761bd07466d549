"""控辍保学 tab: 巩固率 and 流失率 per school and grade, the pupils who left, and the day's warning."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.records.retention import Retention, marked_left_on, retention
from ui.models.table_model import Column, TableSnapshot, field_text, school_column
from ui.pages.records.common import WARNING_STYLE, RecordsTab, percent
from ui.session import Session
from ui.widgets.scaffold import sorted_table


def rate_columns() -> list[Column]:
    """Columns of the 巩固率 table (one row per school, then per grade)."""
    def number(key: str, title: str) -> Column:
        return Column(key, title, field_text(key), lambda r: r[key], centered=True, sample="开学在籍")
    return [
        school_column(),
        Column("grade", "年级", lambda r: "全校" if r["grade"] is None else f"{r['grade']}年级",
               lambda r: (r["school_code"], r["grade"] or 0), centered=True, sample="全校合计"),
        number("intake", "开学在籍"), number("transferred_out", "转出"), number("base", "基数"),
        number("left", "流失"),
        Column("retention_rate", "巩固率", lambda r: percent(r["retention_rate"]),
               lambda r: r["retention_rate"] if r["retention_rate"] is not None else 2, centered=True,
               sample="100.00%"),
        Column("loss_rate", "流失率", lambda r: percent(r["loss_rate"]),
               lambda r: r["loss_rate"] if r["loss_rate"] is not None else -1, centered=True, sample="100.00%"),
    ]


def left_columns() -> list[Column]:
    """Columns of the list of pupils who left."""
    return [
        school_column(),
        Column("student_no", "学籍号", field_text("student_no"), sample="G110101201501011234"),
        Column("name", "姓名", field_text("name")),
        Column("grade", "年级", lambda r: f"{r['grade']}年级", lambda r: r["grade"], centered=True),
        Column("class_name", "班级", field_text("class_name")),
        Column("date", "流失日期", field_text("date"), sample="2026-10-15"),
        Column("reason", "原因", field_text("reason"), sample="中" * 16),
    ]


@dataclass
class RetentionData:
    """What the tab loads: the figures and the pupils marked 流失 today."""

    figures: Retention
    today: list[dict]
    rates: TableSnapshot  # the tables, built on the worker
    left: TableSnapshot


class RetentionTab(RecordsTab):
    """The 控辍保学 tab."""

    title = "控辍保学"

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        column = QVBoxLayout(self)
        self.warning = QLabel()
        self.warning.setObjectName("dropout_warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.hide()
        column.addWidget(self.warning)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        column.addWidget(self.summary)
        self.rate_table, self.rate_model = sorted_table(rate_columns())
        column.addWidget(self.rate_table, 3)
        column.addWidget(QLabel(self.tr("本学年流失学生(学籍状态改为“流失”且至今未返校)")))
        self.left_table, self.left_model = sorted_table(left_columns())
        column.addWidget(self.left_table, 2)

    def load(self, db, school_id: str | None) -> RetentionData:
        """Return this academic year's figures to today and today's new 流失 pupils."""
        today = dt.date.today()
        figures = retention(db, school_id=school_id, as_of=today)
        rows = [r.to_dict() for r in [*figures.schools, *figures.grades]]
        rows.sort(key=lambda r: (r["school_code"], r["grade"] or 0))
        return RetentionData(figures, marked_left_on(db, today, school_id), TableSnapshot.build(rows, rate_columns(), ()),
                             TableSnapshot.build(figures.left, left_columns(), ("name", "student_no")))

    def show_data(self, data: RetentionData) -> None:
        """Fill the warning, the summary and both tables."""
        figures = data.figures
        if data.today:
            names = "、".join(f"{p['school_name']} {p['name']}({p['grade']}年级)" for p in data.today[:8])
            more = self.tr(" 等 {n} 人").format(n=len(data.today)) if len(data.today) > 8 else ""
            self.warning.setText(self.tr("控辍保学预警:今天有学生被标记为流失:{names}{more}。请落实“一人一案”,"
                                         "及时家访劝返,并报乡镇中心校。").format(names=names, more=more))
            self.warning.show()
        else:
            self.warning.hide()
        total = figures.total()
        self.summary.setText(self.tr(
            "{year} 学年:以秋季开学({day})在籍学生为基数,扣除正常转出,统计至 {as_of}。"
            "合计基数 {base} 人,流失 {left} 人,巩固率 {rate},流失率 {loss}。").format(
            year=figures.year_code, day=figures.intake_day, as_of=figures.as_of, base=total.base, left=total.left,
            rate=percent(total.retention_rate), loss=percent(total.loss_rate)))
        self.rate_model.set_snapshot(data.rates)
        self.left_model.set_snapshot(data.left)
