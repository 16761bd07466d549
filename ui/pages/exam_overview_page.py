"""考试概览: the chosen exam on one screen, for one school or the whole township.

The 三率一分 of every grade and subject beside the township's and the school's targets; the score
bands, the comparison of the classes (or schools) and the cohort's trend for the row chosen; the
classes and subjects that need attention; and how many pupils are 临界生 and 学困生. A double
click on a row, an attention line or a count opens its detail on the 质量分析 page. The figures
are read in the background (app.queries.overview.load_overview); the charts are ui.widgets.chart.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from app.progress import Cancelled
from app.queries.overview import MANY_SCHOOLS, TOP_BOTTOM, load_overview
from app.queries.quality import may_see_pupils
from app.queries.roster import list_schools
from app.reports.chart_data import rate_series
from ui.dialogs.messages import show_error
from ui.dialogs.score_table_dialog import ScoreTableDialog
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot
from ui.pages.page import ExamFiguresPage
from ui.session import Changed, Session
from ui.widgets.chart import ChartData, ChartWidget
from ui.widgets.choosers import SchoolCombo, chosen
from ui.widgets.scaffold import data_table, note_label

if TYPE_CHECKING:
    from ui.pages.quality_page import QualityPage

BAND_LABELS = ["<10%", "10-", "20-", "30-", "40-", "50-", "60-", "70-", "80-", "≥90%"]
TOWNSHIP = "township:"  # the school chooser's value for a township's schools together
_METRICS = (("mean", "平均分"), ("pass_rate", "及格率"), ("excellent_rate", "优秀率"), ("low_rate", "低分率"))
# The columns a graded subject's 等级 distribution spans in the figures table: from 平均分 to the
# end (平均分, 及格率, 优秀率, 低分率, 综合分, 提示), the last of which stretches to hold it.
GRADED_SPAN = (3, 6)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _figure(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    return f"{value:.1f}" if key in ("mean", "composite") else _pct(value)


def _shares(grades: dict[str, int]) -> dict[str, float]:
    """Return {level: share of the pupils with a level} (0 when nobody has one)."""
    total = sum(grades.values())
    return {level: count / total if total else 0.0 for level, count in grades.items()}


def grades_text(row: dict) -> str:
    """Return a graded subject's distribution, e.g. "A 2人 50.0% · B 1人 25.0% · C 1人 25.0%",
    with the township's shares after it when there is a reference."""
    shares = _shares(row["grades"])
    shown = " · ".join(f"{level} {count}人 {_pct(shares[level])}" for level, count in row["grades"].items())
    ref = row.get("reference")
    if ref and ref.get("grades"):
        shown += "(乡 " + " · ".join(f"{level} {_pct(v)}" for level, v in _shares(ref["grades"]).items()) + ")"
    return shown


def _with_reference(key: str) -> Callable[[dict], str]:
    """Return the text of a figure with the reference's and the target after it; for a graded
    subject, the 平均分 column holds its 等级 distribution (the table spans it over the figures)."""
    def text(row: dict) -> str:
        if row.get("grades") is not None:
            return grades_text(row) if key == "mean" else ""
        shown = _figure(row, key)
        ref = row.get("reference")
        if ref and ref.get(key) is not None:
            shown += f"(乡 {_figure(ref, key)})"
        target = row.get("targets", {}).get(key)
        if target is not None:
            shown += f" 目标 {target:g}" if key == "mean" else f" 目标 {100 * target:g}%" if target <= 1 else f" 目标 {target:g}%"
        return shown
    return text


def figure_columns() -> list[Column]:
    """Return the columns of the figures table: 年级, 学科, 人数, the 三率一分 with the reference, 综合."""
    columns = [Column("grade", "年级", lambda r: f"{r['grade']}年级", lambda r: r["order"], centered=True, sample="3年级"),
               Column("subject", "学科", lambda r: r["subject"], lambda r: r["order"]),
               Column("n", "人数", lambda r: str(r["n"]), lambda r: r["n"], centered=True, sample="0000")]
    for key, title in _METRICS:
        columns.append(Column(key, title, _with_reference(key), lambda r, k=key: r.get(k) or 0, centered=True,
                              sample="100.0%(乡 100.0%)"))
    columns.append(Column("composite", "综合分", lambda r: "" if r.get("grades") is not None else _figure(r, "composite"),
                          lambda r: r.get("composite") or 0,
                          centered=True, sample="100.0"))
    columns.append(Column("below", "提示", lambda r: "低于乡镇" if r["below"] else "", lambda r: r["below"],
                          sample="低于乡镇"))
    return columns


def attention_columns() -> list[Column]:
    """Return the columns of the attention table."""
    return [Column("name", "班级/学校", lambda r: r["name"] or "", sample="青山镇中心小学"),
            Column("what", "年级学科", lambda r: f"{r['grade']}年级{r['subject']}", sample="3年级道德与法治"),
            Column("pass", "及格率", lambda r: f"{_pct(r['pass_rate'])}({r['against']} {_pct(r['reference_pass_rate'])})",
                   lambda r: r["pass_rate"] - r["reference_pass_rate"], sample="100.0%(乡 100.0%)")]


def _table(columns: list[Column]) -> tuple[QTableView, SnapshotTableModel]:
    model = SnapshotTableModel(columns)
    return data_table(model, resize=QHeaderView.ResizeMode.ResizeToContents, stretch_last=True), model


class ExamOverviewPage(ExamFiguresPage):
    """The 考试概览 page."""

    depends_on = Changed.ROSTER | Changed.EXAMS | Changed.MARKS | Changed.ASSIGNMENTS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.data: dict | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.exam_combo = QComboBox()
        self.exam_combo.setMinimumContentsLength(26)
        self.exam_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.school_combo = SchoolCombo()
        schools = list_schools(session.db)
        if session.actor.school_id:
            schools = [s for s in schools if s["id"] == session.actor.school_id]
        self.school_combo.fill(schools, everyone=session.is_township and not session.actor.school_id)
        if self.school_combo.count() and session.is_township and not session.actor.school_id:
            # One entry per township (all its schools together) before the schools.
            self.school_combo.removeItem(0)
            towns = sorted({(s["township_code"], s["township_name"]) for s in schools if s["township_code"]})
            for i, (code, name) in enumerate(towns):
                self.school_combo.insertItem(i, self.tr("{name}(各校汇总)").format(name=name), f"{TOWNSHIP}{code}")
            self.school_combo.setCurrentIndex(0)
        self.school_combo.setEnabled(self.school_combo.count() > 1)
        self._township_of = {s["id"]: s["township_code"] for s in schools}
        for label, widget in ((self.tr("考试"), self.exam_combo), (self.tr("学校"), self.school_combo)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        self.exam_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.school_combo.currentIndexChanged.connect(lambda _i: self.load())
        bar.addStretch(1)
        self.score_table_button = QPushButton(self.tr("一分一段表…"))
        self.score_table_button.setToolTip(self.tr("所选年级、学科每个分数的人数和此分及以上的人数,可导出 Excel"))
        self.score_table_button.clicked.connect(lambda: self.open_score_table())
        bar.addWidget(self.score_table_button)
        self.count_buttons: dict[str, QPushButton] = {}
        if may_see_pupils(session.actor):
            for name in ("临界生", "学困生"):
                button = QPushButton(self.tr("{name} — 人").format(name=name))
                # Wide enough for a county's count from the start (the text is set after the load).
                button.setMinimumWidth(button.fontMetrics().horizontalAdvance(f"{name} 00000 人") + 24)
                button.setToolTip(self.tr("点击查看名单(质量分析 › 学生名单)"))
                button.clicked.connect(lambda _c=False, n=name: self.open_list(n))
                self.count_buttons[name] = button
                bar.addWidget(button)
        layout.addLayout(bar)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        top = QHBoxLayout()
        self.figures_table, self.figures_model = _table(figure_columns())
        self.figures_table.selectionModel().currentRowChanged.connect(lambda *_: self.show_charts())
        self.figures_table.doubleClicked.connect(lambda index: self.open_detail(self._row_at(index.row())))
        self.figures_table.setToolTip(self.tr("选中一行,下方图表随之切换;双击打开质量分析"))
        top.addWidget(self.figures_table, 3)
        side = QVBoxLayout()
        self.attention_label = QLabel(self.tr("需要关注:"))
        self.attention_label.setWordWrap(True)
        side.addWidget(self.attention_label)
        self.attention_table, self.attention_model = _table(attention_columns())
        self.attention_table.doubleClicked.connect(lambda index: self.open_attention(index.row()))
        self.attention_table.setToolTip(self.tr("双击打开质量分析"))
        side.addWidget(self.attention_table, 1)
        top.addLayout(side, 2)
        layout.addLayout(top, 5)

        charts = QGridLayout()
        self.band_chart = ChartWidget()
        self.compare_chart = ChartWidget()
        self.trend_chart = ChartWidget()
        for column, chart in enumerate((self.band_chart, self.compare_chart, self.trend_chart)):
            chart.setToolTip(self.tr("右键:复制图表或另存为 PNG 图片"))
            charts.addWidget(chart, 0, column)
        self.compare_chart.clicked.connect(self._compare_clicked)
        layout.addLayout(charts, 4)
        self.chart_note = note_label()
        layout.addWidget(self.chart_note)
        self._compared: list[dict] = []

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("考试概览")

    # --- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """List the exams with marks (keeping the choice) and read the chosen one."""
        self.fill_exams()
        self.load()

    def load(self) -> None:
        """Read the overview of the chosen exam and school in the background, then show it."""
        exam_id = self.chosen_exam()
        if exam_id is None:
            return
        session, choice = self.session, chosen(self.school_combo)
        township = str(choice)[len(TOWNSHIP):] if choice and str(choice).startswith(TOWNSHIP) else None
        school_id = None if township or not choice else choice
        self.status.setText(self.tr("正在统计…"))

        def failed(exc: BaseException) -> None:
            self.status.setText(self.tr("已取消统计。") if isinstance(exc, Cancelled) else "")
            if not isinstance(exc, Cancelled):
                show_error(self, exc)

        session.tasks.run(lambda control: load_overview(session.worker_db(), exam_id, session.actor,
                                                        school_id=school_id, township_code=township,
                                                        progress=control.progress,
                                                        cancelled=control.cancelled),
                          on_done=self._loaded, on_error=failed, label=self.tr("正在统计考试概览…"), parent=self,
                          cancellable=True, key=self)

    def _loaded(self, data: dict) -> None:
        self.data = data
        self.show_data()

    # --- showing -------------------------------------------------------------------------------
    def show_data(self) -> None:
        """Show the loaded overview."""
        data = self.data
        rows = [] if data is None else [dict(r, order=i) for i, r in enumerate(data["rows"])]
        self.figures_model.set_snapshot(TableSnapshot.build(rows, figure_columns(), ()))
        # A graded subject's distribution spans the figure columns (平均分 to 综合分): no mean, no rate.
        self.figures_table.clearSpans()
        for i, row in enumerate(rows):
            if row.get("grades") is not None:
                self.figures_table.setSpan(i, GRADED_SPAN[0], 1, GRADED_SPAN[1])
        attention = [] if data is None else data["attention"]
        self.attention_model.set_snapshot(TableSnapshot.build(attention, attention_columns(), ()))
        for name, button in self.count_buttons.items():
            count = None if data is None or data["counts"] is None else data["counts"][name]
            button.setText(self.tr("{name} {n} 人").format(name=name, n="—" if count is None else count))
            button.setEnabled(count is not None)
        if data is not None:
            below = sum(1 for r in rows if r["below"])
            if data["unit"]["kind"] == "school" and any(r["reference"] for r in rows):
                text = self.tr("{unit} · {exam}:{n} 个年级学科,其中 {b} 个平均分和及格率都低于乡镇;"
                               "括号里是乡镇的数。").format(unit=data["unit"]["name"], exam=data["exam"]["name"],
                                                     n=len(rows), b=below)
            elif data["unit"]["kind"] == "school":
                text = self.tr("{unit} · {exam}:{n} 个年级学科。本数据库只有本校,没有乡镇的数可比;"
                               "各班与本校同年级比较。").format(unit=data["unit"]["name"], exam=data["exam"]["name"],
                                                      n=len(rows))
            else:
                text = self.tr("{unit}(各校汇总)· {exam}:{n} 个年级学科。在“学校”中选一所学校,可与乡镇对比。").format(
                    unit=data["unit"]["name"], exam=data["exam"]["name"], n=len(rows))
            self.status.setText(text)
            if data["unit"]["kind"] == "school":
                self.attention_label.setText(self.tr("需要关注的班级(平均分和及格率都低于乡镇或本校同年级):{n} 个").format(
                    n=len(attention)))
            else:
                self.attention_label.setText(self.tr("需要关注的学校(平均分和及格率都低于全乡镇):{n} 个").format(
                    n=len(attention)))
        if rows:
            self.figures_table.selectRow(0)
        self.show_charts()

    def _row_at(self, view_row: int) -> dict | None:
        index = self.figures_model.index(view_row, 0)
        return self.figures_model.row_data(index.row()) if index.isValid() else None

    def chosen_row(self) -> dict | None:
        """Return the figures row the charts show (the selected one)."""
        index = self.figures_table.currentIndex()
        return self._row_at(index.row()) if index.isValid() else None

    def show_charts(self) -> None:
        """Draw the three charts for the chosen grade and subject."""
        data, row = self.data, self.chosen_row()
        if data is None or row is None:
            for chart in (self.band_chart, self.compare_chart, self.trend_chart):
                chart.show_chart(None, self.tr("没有成绩"))
            self.chart_note.setText("")
            return
        what = f"{row['grade']}年级{row['subject']}"
        self.score_table_button.setEnabled(row.get("grades") is None)
        if row.get("grades") is not None:
            self._show_grade_charts(data, row, what)
            return
        unit = data["unit"]["name"]
        bands = {f"{unit}(n={row['n']})": self._band_pct(row)}
        ref = row.get("reference")
        if ref:
            bands[f"{ref['township_name']}(n={ref['n']})"] = self._band_pct(ref)
        self.band_chart.show_chart(ChartData(f"{what}分数段(占人数%)", BAND_LABELS, bands,
                                             top=4 * math.ceil(max([v for s in bands.values() for v in s] + [8]) * 1.1 / 4), unit="%"))
        groups = sorted(data["groups"].get((row["grade"], row["subject_code"]), []),
                        key=lambda g: -(g["mean_pct"] or 0))
        note = ""
        if len(groups) > MANY_SCHOOLS:
            note = self.tr("共 {n} 所学校,图中只列平均分最高的 {k} 所和最低的 {k} 所;全部学校见质量分析。").format(
                n=len(groups), k=TOP_BOTTOM)
            groups = groups[:TOP_BOTTOM] + groups[-TOP_BOTTOM:]
        self._compared = groups
        name_key = "class_name" if data["unit"]["kind"] == "school" else "school_name"
        references = {}
        if ref and ref.get("pass_rate") is not None:
            references[self.tr("乡镇及格率")] = 100 * ref["pass_rate"]
        target = row["targets"].get("pass_rate")
        if target is not None:
            references[self.tr("目标及格率")] = 100 * target if target <= 1 else target
        self.compare_chart.show_chart(ChartData(
            f"{what}各{'班' if name_key == 'class_name' else '校'}对比", [g[name_key] or "" for g in groups],
            rate_series(groups), unit="%", references=references) if len(groups) > 1 else None, self.tr("只有一个班,不作对比"))
        labels, lines = data["trend"].get((row["grade"], row["subject_code"]), ([], {}))
        self.trend_chart.show_chart(ChartData(f"{what}:这批学生历次考试", labels, lines, kind="lines", unit="%")
                                    if len(labels) > 1 else None, self.tr("这批学生只有本次考试的成绩,暂无走势"))
        self.chart_note.setText(note + self.tr("点对比图中的柱子或双击表格行,打开质量分析看明细。"))

    def _show_grade_charts(self, data: dict, row: dict, what: str) -> None:
        """Draw a graded (等级) subject: the share of each level for the unit (and the township),
        each class or school's shares, and no trend (a level has no mean to follow)."""
        levels = list(row["grades"])
        shares = {f"{data['unit']['name']}(n={sum(row['grades'].values())})":
                  [100 * v for v in _shares(row["grades"]).values()]}
        ref = row.get("reference")
        if ref and ref.get("grades"):
            shares[f"{ref['township_name']}(n={sum(ref['grades'].values())})"] = [
                100 * v for v in _shares(ref["grades"]).values()]
        self.band_chart.show_chart(ChartData(f"{what}等级分布(占有等级人数%)", levels, shares, unit="%"))
        groups = sorted((g for g in data["groups"].get((row["grade"], row["subject_code"]), []) if g.get("grades")),
                        key=lambda g: -_shares(g["grades"]).get(levels[0], 0))
        note = ""
        if len(groups) > MANY_SCHOOLS:
            note = self.tr("共 {n} 所学校,图中只列 {top} 等比例最高的 {k} 所和最低的 {k} 所;全部学校见质量分析。").format(
                n=len(groups), top=levels[0], k=TOP_BOTTOM)
            groups = groups[:TOP_BOTTOM] + groups[-TOP_BOTTOM:]
        self._compared = groups
        by_class = data["unit"]["kind"] == "school"
        names = [(g["class_name"] if by_class else g["school_name"]) or "" for g in groups]
        self.compare_chart.show_chart(ChartData(
            f"{what}各{'班' if by_class else '校'}等级分布(%)", names,
            {level: [100 * _shares(g["grades"])[level] for g in groups] for level in levels}, unit="%")
            if len(groups) > 1 else None, self.tr("只有一个班,不作对比"))
        self.trend_chart.show_chart(None, self.tr("等级评价科目只看各等级人数,不画平均分走势"))
        self.chart_note.setText(note + self.tr("等级评价科目不算平均分、及格率,也不排名。点对比图中的柱子或双击表格行,打开质量分析看明细。"))

    @staticmethod
    def _band_pct(record: dict) -> list[float]:
        total = sum(record["bands"]) or 1
        return [100 * b / total for b in record["bands"]]

    # --- going to the detail -------------------------------------------------------------------
    def open_score_table(self) -> ScoreTableDialog | None:
        """Open the 一分一段表 of the chosen grade and subject for the school or township shown."""
        data = self.data
        if data is None:
            return None
        row = self.chosen_row() or {}
        if data["unit"]["kind"] == "school":
            schools = [chosen(self.school_combo)]
        else:
            code = data["unit"]["code"]
            schools = [self.school_combo.itemData(i) for i in range(self.school_combo.count())
                       if self._township_of.get(self.school_combo.itemData(i)) == code] or None
        dialog = ScoreTableDialog(self.session, data["exam"], schools, data["unit"]["name"], row.get("grade"),
                                  row.get("subject_id"), self)
        dialog.open()
        return dialog

    def _quality_page(self) -> QualityPage | None:
        """Return the 质量分析 page shown in the window, or None outside the main window."""
        from ui.pages.quality_page import QualityPage  # imported late: the pages import each other

        window = self.window()
        return window.show_page(QualityPage) if hasattr(window, "show_page") else None

    def open_detail(self, row: dict | None, school_code: str | None = None, tab: str = "统计表") -> None:
        """Open the 质量分析 page on the exam, school, grade and subject of `row`."""
        page = self._quality_page()
        if page is None or row is None or self.data is None:
            return
        page.focus_on(self.data["exam"]["id"], school_code or self._school_code(), row.get("grade"),
                      row.get("subject_code"), tab)

    def open_attention(self, view_row: int) -> None:
        """Open the 质量分析 page on an attention line's class or school."""
        index = self.attention_model.index(view_row, 0)
        if index.isValid():
            item = self.attention_model.row_data(index.row())
            self.open_detail(item, item["school_code"])

    def open_list(self, name: str) -> None:
        """Open the 质量分析 page's 学生名单 on the 临界生 or 学困生 list."""
        page = self._quality_page()
        if page is None or self.data is None:
            return
        page.focus_on(self.data["exam"]["id"], self._school_code(), None, None, "学生名单",
                      "borderline" if name == "临界生" else "struggling")

    def _compare_clicked(self, index: int) -> None:
        if 0 <= index < len(self._compared):
            group = self._compared[index]
            self.open_detail(group, group["school_code"])

    def _school_code(self) -> str | None:
        return None if self.data is None or self.data["unit"]["kind"] != "school" else self.data["unit"]["code"]
