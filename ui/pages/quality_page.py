"""质量分析: the figures of an exam by class, grade, school or township (n always shown, 样本过小 in
grey, rates as percentages), charts (score bands, class comparison, the cohort's trend over the
exams), pupil lists (临界生, 学困生, 进步/退步最大), value-added per class and teacher with its 95 %
interval, and the 平行编班 check per grade.

One exam is read in the background (app.queries.quality.load_quality); changing the level or a
filter only re-shows what was read. Ranks and pupil lists are for staff (管理员, 教务) only: a
teacher's account gets neither (the loader removes them, and the page hides their column and tab).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QScrollArea, QTableView,
                               QTabWidget, QVBoxLayout, QWidget)

from app.progress import Cancelled
from app.queries.overview import MANY_SCHOOLS, TOP_BOTTOM
from app.queries.quality import QualityData, cohort_trend, load_part, load_quality, may_see_pupils
from app.queries.roster import list_schools
from app.reports.chart_data import BAND_LABELS, band_shares, rate_series, trend_floor
from app.services.exams import POLICY_NAMES
from app.stats.lists import baseline_choices
from app.stats.ranking import exam_may_rank, rank_refusal
from ui.dialogs.messages import show_error
from ui.models.stats_table_model import (StatsTableModel, balance_columns, grade_text, list_columns, stats_columns,
                                         value_added_columns)
from ui.models.table_model import Column, TableSnapshot
from ui.pages.page import ExamFiguresPage
from ui.session import Changed, Session
from ui.tasks import SyncTaskRunner, TaskManager
from ui.widgets.chart import ChartData, ChartWidget
from ui.widgets.choosers import SchoolCombo, chosen, refill
from ui.widgets.scaffold import data_table

LEVELS = (("class", "班级"), ("grade", "年级"), ("school", "学校"), ("township", "乡镇"))
LISTS = (("borderline", "临界生"), ("struggling", "学困生"), ("risers", "进步最大"), ("fallers", "退步最大"))
# The part of the figures (app.queries.quality.PARTS) each tab needs besides the group figures.
_TAB_PARTS = {"charts": "history", "lists": "lists", "value_added": "value_added", "balance": "balance"}


def _table() -> tuple[QTableView, StatsTableModel]:
    model = StatsTableModel([])
    return data_table(model, sortable=True, stretch_last=True, resize=QHeaderView.ResizeMode.Interactive), model


# Tables with more rows than this are built on the worker (100,000 pupils on a county database
# took seconds of the GUI thread; a county's 1,400 school rows a third of a second).
BIG_TABLE = 200


def _show(view: QTableView, model: StatsTableModel, rows: list[dict], columns: list[Column],
          tasks: TaskManager | SyncTaskRunner | None = None) -> None:
    """Show `rows` under `columns`; when the columns changed, size them and forget the sort. With
    `tasks` (the session's TaskManager) a big table is built in the background and shown when ready."""
    def put(snap: TableSnapshot) -> None:
        changed = [c.key for c in model.snapshot.columns] != [c.key for c in columns]
        if changed:
            model.sort(-1)
            view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        model.set_snapshot(snap)
        if changed:
            metrics = view.fontMetrics()
            for i, column in enumerate(columns):
                view.setColumnWidth(i, max(metrics.horizontalAdvance(column.sample),
                                           metrics.horizontalAdvance(column.title)) + 14)

    key = ("table", id(model))
    if tasks is None or len(rows) <= BIG_TABLE:
        if tasks is not None:
            tasks.cancel(key)  # a bigger table still being built must not replace this one
        put(TableSnapshot.build(rows, columns, ()))
        return
    tasks.run(lambda _control: TableSnapshot.build(rows, columns, ()), on_done=put, key=key)


class QualityPage(ExamFiguresPage):
    """The 质量分析 page."""

    depends_on = Changed.ROSTER | Changed.EXAMS | Changed.MARKS | Changed.ASSIGNMENTS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.staff = may_see_pupils(session.actor)
        self.data: QualityData | None = None
        self._schools = list_schools(session.db)
        if session.actor.school_id:
            self._schools = [s for s in self._schools if s["id"] == session.actor.school_id] or self._schools
        # A county's pupil lists are read for the school chosen, not for every pupil at once (60,000
        # pupils took about a minute).
        self.lists_by_school = len(self._schools) > MANY_SCHOOLS
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.exam_combo = QComboBox()
        self.exam_combo.setMinimumContentsLength(30)
        self.exam_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.exam_combo.currentIndexChanged.connect(lambda _i: self.load_exam())
        self.level_combo = QComboBox()
        for key, name in LEVELS:
            if key != "township" or session.is_township:
                self.level_combo.addItem(self.tr(name), key)
        if len(self._schools) > MANY_SCHOOLS:  # a county opens on its schools, not 100,000 class rows
            self.level_combo.setCurrentIndex(self.level_combo.findData("school"))
        self.school_combo = SchoolCombo()
        self.school_combo.fill(self._schools, everyone=len(self._schools) > 1, key="code")
        self.school_combo.setEnabled(self.school_combo.count() > 1)
        self.grade_combo = QComboBox()
        self.subject_combo = QComboBox()
        self.subject_combo.setMinimumContentsLength(6)
        for label, widget in ((self.tr("考试"), self.exam_combo), (self.tr("层级"), self.level_combo),
                              (self.tr("学校"), self.school_combo), (self.tr("年级"), self.grade_combo),
                              (self.tr("学科"), self.subject_combo)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        self.level_combo.currentIndexChanged.connect(lambda _i: self._level_changed())
        for combo in (self.level_combo, self.school_combo, self.grade_combo, self.subject_combo):
            combo.currentIndexChanged.connect(lambda _i: self.show_data())
        bar.addStretch(1)
        layout.addLayout(bar)
        # The baseline of 进步/增值 and the pupil lists: the previous exam of the same kind by default.
        second = QHBoxLayout()
        self.baseline_combo = QComboBox()
        self.baseline_combo.setMinimumContentsLength(24)
        self.baseline_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.baseline_combo.setToolTip(self.tr("进步、增值和学困生名单与哪次考试比较;默认为同一批学生上一次同类、同范围的考试"))
        self.baseline_combo.activated.connect(lambda _i: self.load_exam(keep_baseline=True))
        second.addWidget(QLabel(self.tr("基线考试")))
        second.addWidget(self.baseline_combo)
        second.addStretch(1)
        layout.addLayout(second)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.tabs = QTabWidget()
        self._tab_widgets: dict[str, QWidget] = {}
        self._fresh: set[int] = set()
        self._loading: set[str] = set()
        self.tabs.currentChanged.connect(self._show_tab)
        layout.addWidget(self.tabs, 1)
        self._stats_tab()
        self._chart_tab()
        self.list_combo: QComboBox | None = None
        if self.staff:
            self._list_tab()
        self._value_added_tab()
        self._balance_tab()

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("质量分析")

    # --- building ------------------------------------------------------------------------------

    def _stats_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        self.stats_note = QLabel()
        self.stats_note.setWordWrap(True)
        column.addWidget(self.stats_note)
        self.stats_table, self.stats_model = _table()
        column.addWidget(self.stats_table, 1)
        self._tab_widgets["stats"] = tab
        self.tabs.addTab(tab, self.tr("统计表"))

    def _chart_tab(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        grid = QGridLayout(inner)
        self.chart_note = QLabel()
        self.chart_note.setWordWrap(True)
        grid.addWidget(self.chart_note, 0, 0, 1, 2)
        self.band_chart = ChartWidget()
        self.compare_chart = ChartWidget()
        self.trend_chart = ChartWidget()
        for chart in (self.band_chart, self.compare_chart, self.trend_chart):
            chart.setToolTip(self.tr("右键:复制图表或另存为 PNG 图片"))
            chart.setVisible(False)
        grid.addWidget(self.band_chart, 1, 0)
        grid.addWidget(self.compare_chart, 1, 1)
        grid.addWidget(self.trend_chart, 2, 0)
        self.trend_note = QLabel()
        self.trend_note.setWordWrap(True)
        self.trend_note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.trend_note, 2, 1)
        grid.setRowStretch(3, 1)
        scroll.setWidget(inner)
        self._tab_widgets["charts"] = scroll
        self.tabs.addTab(scroll, self.tr("图表"))

    def _list_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.list_combo = QComboBox()
        for key, name in LISTS:
            self.list_combo.addItem(self.tr(name), key)
        self.list_combo.currentIndexChanged.connect(lambda _i: self.show_data())
        bar.addWidget(self.list_combo)
        self.list_note = QLabel()
        self.list_note.setWordWrap(True)
        bar.addWidget(self.list_note, 1)
        column.addLayout(bar)
        self.list_table, self.list_model = _table()
        column.addWidget(self.list_table, 1)
        self._tab_widgets["lists"] = tab
        self.tabs.addTab(tab, self.tr("学生名单"))

    def _value_added_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.va_combo = QComboBox()
        self.va_combo.addItem(self.tr("按班级"), "class")
        self.va_combo.addItem(self.tr("按教师") if self.staff else self.tr("本人任教"), "teacher")
        self.va_combo.currentIndexChanged.connect(lambda _i: self.show_data())
        bar.addWidget(self.va_combo)
        self.va_note = QLabel()
        self.va_note.setWordWrap(True)
        bar.addWidget(self.va_note, 1)
        column.addLayout(bar)
        self.va_table, self.va_model = _table()
        column.addWidget(self.va_table, 1)
        self._tab_widgets["value_added"] = tab
        self.tabs.addTab(tab, self.tr("增值评价"))

    def _balance_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        self.balance_note = QLabel()
        self.balance_note.setWordWrap(True)
        column.addWidget(self.balance_note)
        self.balance_table, self.balance_model = _table()
        column.addWidget(self.balance_table, 1)
        self._tab_widgets["balance"] = tab
        self.tabs.addTab(tab, self.tr("平行编班"))

    # --- choices -------------------------------------------------------------------------------

    def school_code(self) -> str | None:
        """Return the school chosen (None: every school)."""
        value = chosen(self.school_combo)
        return None if value is None else str(value)

    def grade(self) -> int | None:
        """Return the grade chosen (None: every grade)."""
        value = chosen(self.grade_combo)
        return None if value is None else int(value)

    def subject_code(self) -> str | None:
        """Return the subject chosen (None: every subject)."""
        value = chosen(self.subject_combo)
        return None if value is None else str(value)

    def level(self) -> str:
        """Return the level shown: class, grade, school or township."""
        return str(self.level_combo.currentData())

    # --- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """List the exams with marks (keeping the one chosen) and read the chosen exam again."""
        self.fill_exams()
        self.load_exam()

    def load_exam(self, keep_baseline: bool = False) -> None:
        """Read the chosen exam's figures in the background, then show them; the baseline is the one
        chosen (`keep_baseline`) or, for a newly chosen exam, the default one."""
        exam_id = self.chosen_exam()
        if exam_id is None:
            return
        session = self.session
        if not keep_baseline:
            choices = baseline_choices(session.db, exam_id)
            self.baseline_combo.clear()
            refill(self.baseline_combo, [(c["name"] + ("" if c["same_kind"] else self.tr("(非同类考试)")), c["id"])
                                         for c in choices], all_text=self.tr("默认:上一次同类考试"))
        baseline_id = chosen(self.baseline_combo)
        self.status.setText(self.tr("正在统计…"))

        def work(control) -> QualityData:
            # The group figures only: each other tab reads its part when it is first opened.
            data = load_quality(session.worker_db(), exam_id, session.actor, parts=(), baseline_id=baseline_id,
                                progress=control.progress, cancelled=control.cancelled)
            # The subjects' order for sorting, set here once rather than on the GUI thread at every
            # filter change (a county's class level holds tens of thousands of records).
            order = {s["code"]: i for i, s in enumerate(data.exam["subjects"])}
            for records in data.levels.values():
                for record in records:
                    record["subject_order"] = order.get(record["subject_code"], 0)
            return data

        def failed(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                self.status.setText(self.tr("已取消统计。重新选择考试即可再次统计。"))
                return
            self.status.setText("")
            show_error(self, exc)

        session.tasks.run(work, on_done=self._loaded, on_error=failed, label=self.tr("正在统计考试成绩…"),
                          parent=self, cancellable=True, key=self)

    def _loaded(self, data: QualityData) -> None:
        self.data = data
        exam = data.exam
        refill(self.grade_combo, [(grade_text(g), g) for g in exam["grades"]], all_text=self.tr("全部年级"))
        refill(self.subject_combo, [(s["name"], s["code"]) for s in exam["subjects"]], all_text=self.tr("全部学科"))
        self._loaded_note(data)
        self.show_data()

    def _loaded_note(self, data: QualityData) -> None:
        exam = data.exam
        self.status.setText(self.tr("{name}:{policy};分数线按满分的百分比(优秀、及格、低分),"
                                    "人数少于 {n} 的组为“样本过小”(灰色),不参加排名。基线考试:{baseline}。").format(
            name=exam["name"], policy=POLICY_NAMES.get(exam["policy"], exam["policy"]), n=data.min_group_size,
            baseline=data.baseline["name"] if data.baseline else self.tr("无")))

    # --- showing -------------------------------------------------------------------------------

    def _named(self, rows: list[dict]) -> list[dict]:
        """Return `rows` with school_name filled from their school_code (pupil lists and value-added
        rows carry only the code)."""
        names = {s["code"]: s["name"] for s in self._schools}
        return [r if r.get("school_name") else dict(r, school_name=names.get(r.get("school_code"), "")) for r in rows]

    def _level_changed(self) -> None:
        """At 层级 = 学校 the figures cover every grade: the 年级 filter is off (and says so)."""
        whole_school = self.level() == "school"
        if whole_school and self.grade_combo.currentIndex() != 0:
            self.grade_combo.blockSignals(True)
            self.grade_combo.setCurrentIndex(0)
            self.grade_combo.blockSignals(False)
        self.grade_combo.setEnabled(not whole_school)
        self.grade_combo.setToolTip(self.tr("层级为“学校”时统计全校各年级合计,不按年级筛选") if whole_school else "")

    def _keep(self, rows: list[dict], *, school: bool = True, grade: bool = True, subject: bool = True) -> list[dict]:
        school_code, grade_value, subject_code = self.school_code(), self.grade(), self.subject_code()
        return [r for r in rows
                if (not school or school_code is None or r.get("school_code") == school_code)
                and (not grade or grade_value is None or r.get("grade") == grade_value)
                and (not subject or subject_code is None or r.get("subject_code") == subject_code)]

    def show_data(self) -> None:
        """Show the loaded exam under the chosen level and filters (nothing is read again)."""
        data = self.data
        if data is None:
            for view, model in self._tables():
                _show(view, model, [], [])
            for chart in (self.band_chart, self.compare_chart, self.trend_chart):
                _chart(chart, None)
            return
        # Only the tab in view is built now; the others when they are opened (building a hidden
        # 100,000-row pupil list on every filter change froze a county database for seconds).
        self._fresh = set()
        self._show_tab(self.tabs.currentIndex())

    def _show_tab(self, index: int) -> None:
        """Build the tab at `index` for the loaded exam and filters, unless it already shows them."""
        data = self.data
        if data is None or index in self._fresh or index < 0:
            return
        tab = self.tabs.widget(index)
        part = next((p for key, p in _TAB_PARTS.items() if self._tab_widgets.get(key) is tab), None)
        school_code = self.school_code() if part == "lists" and self.lists_by_school else None
        if part == "lists" and self.lists_by_school and school_code is None:
            self._fresh.add(index)
            self._ask_for_school()
            return
        loaded = part if school_code is None else f"lists:{school_code}"
        if part is not None and loaded not in data.loaded:
            self._load_part(data, part, school_code)
            return
        self._fresh.add(index)
        several = self.school_code() is None and len(self._schools) > 1
        if tab is self._tab_widgets["stats"]:
            level = self.level()
            records = self._keep(data.levels[level], school=level != "township", grade=level != "school")
            _show(self.stats_table, self.stats_model, records,
                  stats_columns(level, ranks=self.staff and exam_may_rank(data.exam), schools=several,
                                graded=any(r.get("grades") for r in records)),
                  self.session.tasks)
            small = sum(1 for r in records if r["small_sample"])
            refusal = rank_refusal(data.exam)
            self.stats_note.setText(self.tr("共 {n} 行,其中样本过小 {s} 行。").format(n=len(records), s=small)
                                    + (f"{refusal}。" if refusal else ""))
        elif tab is self._tab_widgets["charts"]:
            self._show_charts(data)
        elif tab is self._tab_widgets.get("lists"):
            self._show_list(data, several)
        elif tab is self._tab_widgets["value_added"]:
            self._show_value_added(data, several)
        elif tab is self._tab_widgets["balance"]:
            self._show_balance(data, several)

    def _load_part(self, data: QualityData, part: str, school_code: str | None = None) -> None:
        """Read one part of the exam's figures in the background (the pupil lists of `school_code`
        only, when given), then show the tab in view."""
        loaded = part if school_code is None else f"{part}:{school_code}"
        if loaded in self._loading:
            return
        if school_code is not None:  # the lists of a school chosen before are not waited for any more
            self._loading = {key for key in self._loading if not key.startswith(f"{part}:")}
        self._loading.add(loaded)
        session = self.session
        school_id = next((s["id"] for s in self._schools if s["code"] == school_code), None)
        self.status.setText(self.tr("正在统计…"))
        if part == "lists":
            self.list_note.setText(self.tr("正在整理名单…"))
            _show(self.list_table, self.list_model, [], [])

        def done(fields: dict) -> None:
            self._loading.discard(loaded)
            if self.data is not data:
                return
            for name, value in fields.items():
                setattr(data, name, value)
            data.loaded -= {key for key in data.loaded if key.startswith(f"{part}:")}  # one school's at a time
            data.loaded.add(loaded)
            self._loaded_note(data)
            self._show_tab(self.tabs.currentIndex())

        def failed(exc: BaseException) -> None:
            self._loading.discard(loaded)
            if not isinstance(exc, Cancelled):
                show_error(self, exc)

        session.tasks.run(lambda control: load_part(session.worker_db(), data, part, session.actor,
                                                    progress=control.progress, cancelled=control.cancelled,
                                                    school_id=school_id),
                          on_done=done, on_error=failed, label=self.tr("正在统计…"), parent=self, cancellable=True,
                          key=(self, part))

    def _ask_for_school(self) -> None:
        """Show, instead of pupil lists, that they are listed per school: choose one above."""
        _show(self.list_table, self.list_model, [], [])
        self.list_note.setText(self.tr("本{kind}共 {n} 所学校,学生名单按学校列出:请在上方“学校”中选择一所学校。").format(
            kind=self.session.kind_name, n=len(self._schools)))

    def focus_on(self, exam_id: str, school_code: str | None, grade: int | None, subject_code: str | None,
                 tab: str = "统计表", list_kind: str | None = None) -> None:
        """Show one exam with the school, grade and subject chosen and the tab titled `tab` open
        (the 考试概览 page opens its details here); `list_kind` picks the 学生名单 list."""
        if self.exam_combo.findData(exam_id) < 0:
            self.reload()
        self.exam_combo.setCurrentIndex(self.exam_combo.findData(exam_id))
        for combo, value in ((self.school_combo, school_code), (self.grade_combo, grade),
                             (self.subject_combo, subject_code)):
            found = combo.findData(value) if value is not None else 0
            combo.setCurrentIndex(max(found, 0))
        if school_code is not None and self.level_combo.findData("class") >= 0:
            self.level_combo.setCurrentIndex(self.level_combo.findData("class"))
        if list_kind is not None and self.list_combo is not None:
            self.list_combo.setCurrentIndex(self.list_combo.findData(list_kind))
        titles = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        if tab in titles:
            self.tabs.setCurrentIndex(titles.index(tab))

    def _tables(self) -> list[tuple[QTableView, StatsTableModel]]:
        tables = [(self.stats_table, self.stats_model), (self.va_table, self.va_model),
                  (self.balance_table, self.balance_model)]
        if self.list_combo is not None:
            tables.append((self.list_table, self.list_model))
        return tables

    def _show_list(self, data: QualityData, several: bool) -> None:
        kind = str(self.list_combo.currentData())
        rows = self._named(self._keep(data.lists.get(kind, []), subject=kind == "borderline"))
        _show(self.list_table, self.list_model, rows, list_columns(kind, schools=several), self.session.tasks)
        preset = data.preset.content
        explain = {
            "borderline": self.tr("成绩在及格线或优秀线以下、差距不超过满分 {m}% 的学生(每科每条线一行)。").format(
                m=preset.get("borderline_margin_pct")),
            "struggling": self.tr("本次和上次考试都有至少 {k} 门主科不及格的学生(缺考不算)。").format(
                k=preset.get("struggling_min_subjects")),
            "risers": self.tr("与上次考试相比,成绩(相对同年级、扣除回归效应后)进步最大的学生,每个年级 {c} 名。").format(
                c=preset.get("movers_count")),
            "fallers": self.tr("与上次考试相比,成绩(相对同年级、扣除回归效应后)退步最大的学生,每个年级 {c} 名。").format(
                c=preset.get("movers_count")),
        }[kind]
        note = data.lists_note if kind in ("risers", "fallers", "struggling") and data.lists_note else ""
        self.list_note.setText(self.tr("{n} 人次。").format(n=len(rows)) + explain + (" " + note if note else "")
                               + self.tr(" 名单仅供培优补差,不得公布。"))

    def _show_value_added(self, data: QualityData, several: bool) -> None:
        by = str(self.va_combo.currentData())
        rows = data.va_classes if by == "class" else data.va_teachers
        rows = self._named(self._keep(rows, grade=by == "class"))
        _show(self.va_table, self.va_model, rows, value_added_columns(by, schools=several), self.session.tasks)
        if data.value_added_note:
            self.va_note.setText(data.value_added_note)
            return
        self.va_note.setText(self.tr(
            "与“{base}”相比,只算两次都有成绩的学生。增值 = 学生本次成绩比按上次成绩预期的高出多少(以同年级标准差计);"
            "95% 区间不含 0 才说明高于或低于预期。").format(base=data.baseline["name"]))

    def _show_balance(self, data: QualityData, several: bool) -> None:
        rows = []
        for check in self._keep(data.balance, subject=False):
            verdict = ";".join(check["reasons"]) if check["flagged"] else self.tr("均衡")
            for cls in check["classes"]:
                rows.append({**cls, "school_code": check["school_code"], "school_name": check["school_name"],
                             "grade": check["grade"], "mean_spread": check["mean_spread"],
                             "sd_spread": check["sd_spread"], "flagged": check["flagged"], "verdict": verdict})
        _show(self.balance_table, self.balance_model, rows, balance_columns(schools=several), self.session.tasks)
        flagged = [c for c in self._keep(data.balance, subject=False) if c["flagged"]]
        spec = data.preset.content.get("balance", {})
        self.balance_note.setText(self.tr(
            "按本次考试各科平均成绩(占满分%)比较同校同年级各班;班级均分差或标准差之差超过 {m} 个百分点即提示不均衡(红色)。"
            "需要关注的年级:{n} 个。").format(m=spec.get("mean_spread_pct"), n=len(flagged)))

    # --- charts --------------------------------------------------------------------------------

    def chart_choice(self) -> tuple[int, dict] | None:
        """Return the (grade, subject) the charts show: the chosen ones, else the first of the exam
        that has figures; None when the exam has none."""
        data = self.data
        if data is None:
            return None
        grades = [self.grade()] if self.grade() is not None else data.exam["grades"]
        subjects = [s for s in data.exam["subjects"] if self.subject_code() in (None, s["code"])]
        have = {(r["grade"], r["subject_code"]) for r in data.levels["township"]}
        for grade in grades:
            for subject in subjects:
                if (grade, subject["code"]) in have:
                    return grade, subject
        return None

    def _show_charts(self, data: QualityData) -> None:
        choice = self.chart_choice()
        if choice is None:
            for chart in (self.band_chart, self.compare_chart, self.trend_chart):
                _chart(chart, None)
            self.chart_note.setText(self.tr("所选年级和学科没有成绩。"))
            self.trend_note.setText("")
            return
        grade, subject = choice
        school_code = self.school_code()
        school = next((s for s in self._schools if s["code"] == school_code), None)
        what = f"{grade_text(grade)}{subject['name']}"
        township = data.levels["township"]
        town_code = school["township_code"] if school else (township[0]["township_code"] if township else None)
        town = [r for r in township if r["grade"] == grade and r["subject_code"] == subject["code"]
                and r["township_code"] == town_code]
        grades = [r for r in data.levels["grade"] if r["grade"] == grade and r["subject_code"] == subject["code"]]
        bands: dict[str, list[int]] = {}
        mine = [r for r in grades if r["school_code"] == school_code]
        if mine and mine[0]["bands"] is not None:  # a graded subject has levels, not score bands
            bands[f"{mine[0]['school_name']}(n={mine[0]['n']})"] = mine[0]["bands"]
        if town and town[0]["bands"] is not None and self.session.is_township:
            # A school's own database holds only that school: its "township" is the school again.
            bands[f"{town[0]['township_name']}(n={town[0]['n']})"] = town[0]["bands"]
        shares, top = band_shares(bands)
        _chart(self.band_chart, ChartData(f"{what}分数段分布(占计分人数 %)", BAND_LABELS, shares, top=top, unit="%")
               if bands else None)
        if school_code:
            groups = [r for r in data.levels["class"] if r["grade"] == grade and r["subject_code"] == subject["code"]
                      and r["school_code"] == school_code]
            names = [r["class_name"] for r in groups]
            title = f"{what}各班对比"
        else:
            groups = grades
            if len(groups) > MANY_SCHOOLS:  # never 200 bars: the first and last by mean
                groups = sorted(groups, key=lambda r: -(r["mean_pct"] or 0))
                groups = groups[:TOP_BOTTOM] + groups[-TOP_BOTTOM:]
            names = [r["school_name"] for r in groups]
            title = f"{what}各校对比" if len(grades) <= MANY_SCHOOLS else \
                f"{what}平均分最高和最低的各 {TOP_BOTTOM} 所学校(共 {len(grades)} 所)"
        labels = [f"{name}{'*' if r['small_sample'] else ''}(n={r['n']})" for name, r in zip(names, groups)]
        _chart(self.compare_chart, ChartData(title, labels, rate_series(groups), unit="%") if len(groups) > 1 else None)
        exams, lines = cohort_trend(data, grade, subject["code"], school_code=school_code, township_code=town_code)
        _chart(self.trend_chart, ChartData(f"{what}:这批学生历次考试", exams, lines, kind="lines", unit="%",
                                           bottom=trend_floor(lines)) if len(exams) > 1 else None)
        where = school["name"] if school else (town[0]["township_name"] if town else "")
        self.chart_note.setText(self.tr("{where} {what}(在上方选择年级、学科和学校即可切换)。"
                                        "带 * 的组样本过小,仅供参考。").format(where=where, what=what))
        self.trend_note.setText(self.tr(
            "走势图跟踪的是同一批学生:往年的考试取他们当年所在的年级。只比较大势,各次试卷难度不同。")
            if len(exams) > 1 else self.tr("这批学生只有本次考试有{s}成绩,暂无走势。").format(s=subject["name"]))
        if len(groups) <= 1:
            self.trend_note.setText(self.trend_note.text() + self.tr(" 本年级只有一个班,不作班级对比。"))


def _chart(chart: ChartWidget, data: ChartData | None) -> None:
    """Show `data` in `chart`, or hide the chart when there is nothing to show."""
    chart.show_chart(data)
    chart.setVisible(data is not None)

