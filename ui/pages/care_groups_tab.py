"""群体成绩 tab of 学生帮扶: the results of the pupils 002 asks to be guarded (留守儿童, 寄宿, 随迁子女,
残疾) beside the other pupils, for the 统测 chosen — the whole township (every school of the
database) or the school chosen — with the small-group rule (app.stats.care_groups): a group below
the quality preset's minimum shows its n only, greyed, with no figures and no difference."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.stats.vocabulary import SMALL_SAMPLE, format_value
from ui.models.stats_table_model import StatsTableModel
from ui.models.table_model import Column, TableSnapshot, field_text
from ui.widgets.scaffold import data_table


def _number(key: str, title: str, text) -> Column:
    return Column(key, title, lambda r: text(r.get(key)), lambda r: (r.get(key) is None, r.get(key) or 0),
                  centered=True, sample=title if len(title) > 4 else "100.00")


def _shown(kind: str):
    """Return a function showing a figure in the report format `kind` (app.stats.vocabulary), '' for none."""
    return lambda value: "" if value is None else format_value(value, kind)


def care_columns() -> list[Column]:
    """Columns of the table: one row per subject and group, the group's figures, the others' and the
    differences (group − others)."""
    mean, rate = _shown("num2"), _shown("pct")
    return [Column("subject", "学科", field_text("subject"), sample="道德与法治"),
            Column("label", "群体", field_text("label"), sample="随迁子女"),
            _number("n", "人数", lambda v: "" if v is None else str(v)),
            _number("mean", "平均分", mean), _number("pass_rate", "及格率", rate),
            _number("excellent_rate", "优秀率", rate), _number("low_rate", "低分率", rate),
            _number("others_n", "其他学生人数", lambda v: "" if v is None else str(v)),
            _number("others_mean", "其他平均分", mean), _number("others_pass_rate", "其他及格率", rate),
            _number("mean_gap", "平均分差", _shown("signed2")), _number("pass_gap", "及格率差", _shown("signed_pct")),
            Column("note", "说明", field_text("note"), sample=SMALL_SAMPLE)]


def care_rows(records: list[dict]) -> list[dict]:
    """Return the table's rows of app.stats.care_groups records (small_sample when either side is
    below the minimum, so the row is greyed)."""
    rows = []
    for r in records:
        mine, rest = r["flagged"], r["others"]
        small = r["mean_gap"] is None
        rows.append({"subject": r["subject"], "label": r["label"], "n": mine["n"], "mean": mine["mean"],
                     "pass_rate": mine["pass_rate"], "excellent_rate": mine["excellent_rate"],
                     "low_rate": mine["low_rate"], "others_n": rest["n"], "others_mean": rest["mean"],
                     "others_pass_rate": rest["pass_rate"], "mean_gap": r["mean_gap"], "pass_gap": r["pass_gap"],
                     "note": SMALL_SAMPLE if small else "", "small_sample": small})
    return rows


class CareGroupsTab(QWidget):
    """The table of group results and the line saying whose papers they are."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        column = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        column.addWidget(self.heading)
        self.model = StatsTableModel(care_columns())
        self.table = data_table(self.model, sortable=True, stretch_last=True)
        metrics = self.table.fontMetrics()
        for i, col in enumerate(care_columns()):
            self.table.setColumnWidth(i, max(metrics.horizontalAdvance(col.sample),
                                             metrics.horizontalAdvance(col.title)) + 24)
        column.addWidget(self.table, 1)

    def show_results(self, records: list[dict] | None, min_size: int, exam: str, scope: str) -> None:
        """Show the records of the exam named `exam` for `scope` (全乡 or a school's name); None: no exam."""
        if records is None:
            self.heading.setText(self.tr("还没有有成绩的统测。"))
            records = []
        else:
            self.heading.setText(self.tr(
                "{exam} · {scope}:留守儿童、寄宿生、随迁子女、残疾学生的主科成绩与其他学生对比(实考学生;学生情况以学籍登记为准)。"
                "人数少于 {n} 的群体只列人数、不列成绩,以免认出个人,也不作比较。").format(exam=exam, scope=scope, n=min_size)
                if records else self.tr("{exam} · {scope}:没有可比较的学科。").format(exam=exam, scope=scope))
        self.model.set_snapshot(TableSnapshot.build(care_rows(records), care_columns(), ()))
