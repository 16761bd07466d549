"""工作量与常规: each teacher's weekly load against the standard with the balance across subjects,
grades and schools; lesson observation against the quotas, with who is behind; routine checks of
the seven links 备讲批辅考思研 per teacher; the year's teacher appraisal (ui.pages.appraisal_tab)."""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableView,
                               QTabWidget, QVBoxLayout, QWidget)

from app.preset_names import basis_name
from app.queries.roster import list_schools
from app.routine.checks import LINKS, delete_check, list_checks, routine_summary
from app.routine.observations import ObserverProgress, delete_observation, list_observations, observation_progress
from app.workload.compute import STATUS_NAMES, WorkloadResult, teacher_workloads
from ui.dialogs.messages import confirm, show_error, warn
from ui.models.table_model import (Column, SnapshotFilterProxy, SnapshotTableModel, TableSnapshot, field_text,
                                    school_column)
from ui.pages.appraisal_tab import AppraisalTab, appraisal_columns
from ui.pages.page import Page
from ui.pages.routine_dialogs import ObservationDialog, RoutineCheckDialog, WorkloadSettingsDialog
from ui.pages.support_dialogs import TeacherTutoringDialog
from ui.session import Changed, Session
from ui.widgets.choosers import SchoolCombo


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def load_columns() -> list[Column]:
    """Columns of the per-teacher workload table."""
    return [
        school_column(),
        Column("staff_no", "工号", field_text("staff_no")),
        Column("name", "姓名", field_text("name"), sample="欧阳中中"),
        Column("roles", "职务", lambda r: "、".join(r["roles"]), sample="教导主任、班主任"),
        Column("periods", "周课时", lambda r: _number(r["periods"]), lambda r: r["periods"], centered=True,
               sample="周课时"),
        Column("weighted", "折算", lambda r: _number(r["weighted"]), lambda r: r["weighted"], centered=True,
               sample="折算工作"),
        Column("standard", "标准", lambda r: _number(r["standard"]), lambda r: r["standard"], centered=True,
               sample="标准"),
        Column("status", "结论", lambda r: STATUS_NAMES[r["status"]], lambda r: (r["status"], -r["weighted"]),
               centered=True, sample="低于标准"),
        Column("main_subject", "主教学科", field_text("main_subject"), sample="体育与健康"),
        Column("note", "说明", field_text("note"), sample="中" * 16),
    ]


def balance_columns() -> list[Column]:
    """Columns of the balance table."""
    return [
        Column("group", "分组", field_text("group"), lambda r: r["order"]),
        Column("n", "人数", lambda r: str(r["n"]), lambda r: r["n"], centered=True, sample="人数"),
        Column("mean", "平均", lambda r: _number(r["mean"]), lambda r: r["mean"] or 0, centered=True),
        Column("sd", "标准差", lambda r: _number(r["sd"]), lambda r: r["sd"] or 0, centered=True),
        Column("max", "最高", lambda r: _number(r["max"]), lambda r: r["max"] or 0, centered=True),
        Column("min", "最低", lambda r: _number(r["min"]), lambda r: r["min"] or 0, centered=True),
        Column("over", "超标准", lambda r: str(r["over"]), lambda r: r["over"], centered=True),
        Column("under", "低于标准", lambda r: str(r["under"]), lambda r: r["under"], centered=True),
    ]


def progress_columns() -> list[Column]:
    """Columns of the observation quota table."""
    return [
        Column("school_code", "学校", field_text("school_code")),
        Column("name", "姓名", field_text("name")),
        Column("role", "职务", field_text("role")),
        Column("quota", "任务", lambda r: str(r["quota"]), lambda r: r["quota"], centered=True, sample="任务"),
        Column("done", "已听", lambda r: str(r["done"]), lambda r: r["done"], centered=True, sample="已听"),
        Column("expected_by_now", "按进度应听", lambda r: str(r["expected_by_now"]), lambda r: r["expected_by_now"],
               centered=True, sample="按进度应听"),
        Column("state", "状态", lambda r: "落后" if r["behind"] else "正常", lambda r: (not r["behind"], r["order"]),
               centered=True, sample="状态"),
    ]


def observation_columns() -> list[Column]:
    """Columns of the observation records table."""
    return [
        Column("date", "日期", field_text("date"), sample="2026-10-15"),
        school_column(),
        Column("observer_name", "听课人", field_text("observer_name")),
        Column("teacher_name", "授课教师", field_text("teacher_name")),
        Column("class_name", "班级", field_text("class_name")),
        Column("subject_name", "学科", field_text("subject_name")),
        Column("score", "得分", lambda r: _number(r["score"]), lambda r: r["score"] or 0, centered=True, sample="得分"),
        Column("band", "等级", field_text("band"), centered=True, sample="待改进"),
        Column("structure", "课堂结构", lambda r: ";".join(r["structure"]) or "讲练时间符合要求", sample="中" * 16),
    ]


def routine_columns() -> list[Column]:
    """Columns of the routine summary per teacher."""
    def link_text(link: str):
        return lambda r: "" if not r["links"][link]["count"] else \
            f"{r['links'][link]['count']}次 {_number(r['links'][link]['mean'])}分"
    return [
        Column("school_code", "学校", field_text("school_code")),
        Column("name", "姓名", field_text("name")),
        Column("checks", "检查次数", lambda r: str(r["checks"]), lambda r: r["checks"], centered=True,
               sample="检查次数"),
        *[Column(link, link, link_text(link), lambda r, k=link: r["links"][k]["count"], centered=True,
                 sample="2次 100分") for link in LINKS],
        Column("mean", "平均", lambda r: _number(r["mean"]), lambda r: r["mean"] or 0, centered=True, sample="平均"),
        Column("band", "等级", field_text("band"), centered=True, sample="待改进"),
        Column("missing", "未达检查次数的环节", lambda r: "、".join(r["missing_links"]), sample="备讲批辅考思研"),
    ]


def check_columns() -> list[Column]:
    """Columns of the routine check records table."""
    return [
        Column("date", "日期", field_text("date"), sample="2026-10-15"),
        school_column(),
        Column("teacher_name", "教师", field_text("teacher_name")),
        Column("link", "环节", field_text("link"), centered=True, sample="环节"),
        Column("total", "得分", lambda r: _number(r["total"]), lambda r: r["total"] or 0, centered=True, sample="得分"),
        Column("checker_name", "检查人", field_text("checker_name")),
        Column("notes", "说明", field_text("notes"), sample="中" * 12),
    ]


@dataclass
class Loaded:
    """What one background load brings back."""

    workload: WorkloadResult
    progress: list[ObserverProgress]
    observations: list[dict]
    routine: dict
    checks: list[dict]
    balance: dict = field(default_factory=dict)
    # The tables' snapshots, built with the figures on the worker (a county's 2,700 teachers took
    # seconds of the GUI thread): load, progress, observations, routine, checks.
    snapshots: dict[str, TableSnapshot] = field(default_factory=dict)


def _tr(text: str) -> str:
    """Return `text` translated in the page's context (callable on the worker: no widget involved)."""
    return QCoreApplication.translate("WorkloadPage", text)


def build_snapshots(loaded: Loaded) -> None:
    """Fill `loaded.balance` and `loaded.snapshots` from its figures (on the worker)."""
    rows = []
    for teacher in loaded.workload.teachers:
        notes = []
        if teacher.leader_short:
            notes.append(_tr("领导应带足 {n} 节").format(n=_number(teacher.leader_min)))
        if teacher.trips:
            notes.append(_tr("每周走教 {n} 次").format(n=teacher.trips))
        if teacher.source == "assignments":
            notes.append(_tr("按任课安排(无课表)"))
        rows.append({**teacher.to_dict(), "note": ";".join(notes)})
    progress = [{**p.to_dict(), "order": i} for i, p in enumerate(loaded.progress)]
    loaded.balance = loaded.workload.balance()
    loaded.snapshots = {
        "load": TableSnapshot.build(rows, load_columns(), ("name", "staff_no", "main_subject")),
        "progress": TableSnapshot.build(progress, progress_columns(), ()),
        "observations": TableSnapshot.build(loaded.observations, observation_columns(), ()),
        "routine": TableSnapshot.build(loaded.routine["teachers"], routine_columns(), ()),
        "checks": TableSnapshot.build(loaded.checks, check_columns(), ())}


def _table(columns: list[Column],
           proxy: bool = False) -> tuple[QTableView, SnapshotTableModel, SnapshotFilterProxy | None]:
    model = SnapshotTableModel(columns)
    view = QTableView()
    model.setParent(view)
    filter_proxy = None
    if proxy:
        filter_proxy = SnapshotFilterProxy(view)
        filter_proxy.setSourceModel(model)
        view.setModel(filter_proxy)
    else:
        view.setModel(model)
    view.setSortingEnabled(True)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    metrics = view.fontMetrics()
    for i, column in enumerate(columns):
        view.setColumnWidth(i, max(metrics.horizontalAdvance(column.sample),
                                   metrics.horizontalAdvance(column.title)) + 24)
    return view, model, filter_proxy


class WorkloadPage(Page):
    """The 工作量与常规 page."""

    depends_on = Changed.ROSTER | Changed.ASSIGNMENTS | Changed.TIMETABLE | Changed.ROUTINE | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.loaded: Loaded | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.school_combo = SchoolCombo(min_chars=10)
        self.school_combo.currentIndexChanged.connect(lambda _i: self.reload())
        bar.addWidget(self.school_combo)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.status, 1)
        layout.addLayout(bar)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._workload_tab()
        self._observation_tab()
        self._routine_tab()
        self.appraisal_tab = AppraisalTab(session, _table(appraisal_columns())[0])
        self.tabs.addTab(self.appraisal_tab, self.tr("年度考核"))
        self.tabs.currentChanged.connect(
            lambda _i: self.tabs.currentWidget() is self.appraisal_tab and self.appraisal_tab.refresh_if_stale())
        self._fill_schools()

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("工作量与常规")

    # --- building ------------------------------------------------------------------------------

    def _workload_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("按姓名、工号或学科筛选"))
        self.search.setMinimumWidth(220)  # the whole hint shows
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.load_proxy.set_filter(text=text))
        bar.addWidget(self.search)
        self.status_combo = QComboBox()
        for text, value in ((self.tr("全部教师"), None), (self.tr("超标准"), "over"), (self.tr("低于标准"), "under"),
                            (self.tr("正常"), "ok")):
            self.status_combo.addItem(text, value)
        self.status_combo.currentIndexChanged.connect(
            lambda _i: self.load_proxy.set_filter(status=self.status_combo.currentData()))
        bar.addWidget(self.status_combo)
        bar.addStretch(1)
        self.settings_button = QPushButton(self.tr("系数与标准…"))
        self.settings_button.clicked.connect(self.edit_settings)
        if not self.session.is_admin:  # hide only: showing a widget without a parent opens it as a window
            self.settings_button.hide()
        bar.addWidget(self.settings_button)
        column.addLayout(bar)
        self.load_table, self.load_model, self.load_proxy = _table(load_columns(), proxy=True)
        column.addWidget(self.load_table, 3)
        head = QHBoxLayout()
        self.balance_title = QLabel(self.tr("工作量均衡情况(折算节数)"))
        self.balance_title.setStyleSheet("font-weight: bold;")
        head.addWidget(self.balance_title)
        self.balance_combo = QComboBox()
        for text, key in ((self.tr("按学科"), "by_subject"), (self.tr("按年级"), "by_grade"),
                          (self.tr("按学校"), "by_school")):
            self.balance_combo.addItem(text, key)
        self.balance_combo.currentIndexChanged.connect(lambda _i: self._show_balance())
        head.addWidget(self.balance_combo)
        head.addStretch(1)
        self.leaders_label = QLabel()
        self.leaders_label.setObjectName("leaders_short")
        self.leaders_label.setStyleSheet("color: #b3261e;")
        head.addWidget(self.leaders_label)
        column.addLayout(head)
        self.balance_table, self.balance_model, _ = _table(balance_columns())
        column.addWidget(self.balance_table, 2)
        self.tabs.addTab(tab, self.tr("教师工作量"))

    def _observation_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.behind_label = QLabel()
        bar.addWidget(self.behind_label)
        bar.addStretch(1)
        self.observe_button = QPushButton(self.tr("登记听课…"))
        self.observe_button.clicked.connect(self.record_observation)
        self.edit_observation_button = QPushButton(self.tr("修改所选记录…"))
        self.edit_observation_button.clicked.connect(self.edit_observation)
        self.remove_observation_button = QPushButton(self.tr("删除所选记录"))
        self.remove_observation_button.clicked.connect(self.remove_observation)
        if self.session.actor.role == "teacher":
            self.edit_observation_button.hide()
            self.remove_observation_button.hide()
        bar.addWidget(self.observe_button)
        bar.addWidget(self.edit_observation_button)
        bar.addWidget(self.remove_observation_button)
        column.addLayout(bar)
        self.progress_table, self.progress_model, _ = _table(progress_columns())
        column.addWidget(self.progress_table, 1)
        column.addWidget(QLabel(self.tr("本学期听课记录")))
        self.observation_table, self.observation_model, _ = _table(observation_columns())
        column.addWidget(self.observation_table, 1)
        self.tabs.addTab(tab, self.tr("听课"))

    def _routine_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.routine_label = QLabel()
        self.routine_label.setWordWrap(True)
        bar.addWidget(self.routine_label, 1)
        self.check_button = QPushButton(self.tr("登记检查…"))
        self.check_button.clicked.connect(self.record_check)
        self.remove_check_button = QPushButton(self.tr("删除所选记录"))
        self.remove_check_button.clicked.connect(self.remove_check)
        for button in (self.check_button, self.remove_check_button):
            if self.session.actor.role == "teacher":
                button.hide()
            bar.addWidget(button)
        self.tutoring_button = QPushButton(self.tr("辅导记录…"))
        self.tutoring_button.setToolTip(self.tr("所选教师本学期的辅导记录(“辅”环节据此检查)"))
        self.tutoring_button.clicked.connect(self.show_tutoring)
        bar.addWidget(self.tutoring_button)
        column.addLayout(bar)
        self.routine_table, self.routine_model, _ = _table(routine_columns())
        column.addWidget(self.routine_table, 2)
        column.addWidget(QLabel(self.tr("本学期检查记录")))
        self.check_table, self.check_model, _ = _table(check_columns())
        column.addWidget(self.check_table, 1)
        self.tabs.addTab(tab, self.tr("教学常规"))

    def _fill_schools(self) -> None:
        schools = list_schools(self.session.db)
        self.school_combo.fill(schools, everyone=len(schools) > 1, preferred=self.session.actor.school_id)
        self.school_combo.setVisible(len(schools) > 1)

    def school_id(self) -> str | None:
        """Return the school chosen (None: every school)."""
        return self.school_combo.school()

    # --- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Compute workload, observation progress and routine summaries in the background."""
        school_id = self.school_id()
        session = self.session
        self.status.setText(self.tr("正在统计…"))

        def work(_control) -> Loaded:
            db = session.worker_db()
            loaded = Loaded(teacher_workloads(db, school_id=school_id),
                            observation_progress(db, school_id=school_id),
                            list_observations(db, school_id=school_id),
                            routine_summary(db, school_id=school_id),
                            list_checks(db, school_id=school_id))
            build_snapshots(loaded)
            return loaded

        session.tasks.run(work, on_done=self._loaded, on_error=lambda exc: show_error(self, exc), key=self)
        self.appraisal_tab.school_id, self.appraisal_tab.stale = school_id, True
        if self.tabs.currentWidget() is self.appraisal_tab:
            self.appraisal_tab.refresh()

    def _loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        result = loaded.workload
        self.load_model.set_snapshot(loaded.snapshots["load"])
        bases = sorted(set(result.basis.values()))
        self.status.setText(self.tr("{term} · 折算依据:{names}").format(
            term=result.term["name"], names="、".join(dict.fromkeys(basis_name(b) for b in bases))))
        self.status.setToolTip(self.tr("计算依据(版本与校验码):{basis}").format(basis="、".join(bases)))
        self._show_balance()
        self.progress_model.set_snapshot(loaded.snapshots["progress"])
        behind = [p for p in loaded.progress if p.behind]
        self.behind_label.setText(self.tr("按学期进度落后:{n} 人").format(n=len(behind)) if behind
                                  else self.tr("听课进度正常。"))
        self.observation_model.set_snapshot(loaded.snapshots["observations"])
        self.routine_model.set_snapshot(loaded.snapshots["routine"])
        parts = [self.tr("{school}:检查 {n} 次,{checked}/{all} 位教师被检查").format(
            school=s["school_name"], n=s["checks"], checked=s["teachers_checked"], all=s["teachers"])
            for s in loaded.routine["schools"]]
        self.routine_label.setText(";".join(parts[:6]) + ("…" if len(parts) > 6 else ""))
        self.check_model.set_snapshot(loaded.snapshots["checks"])

    def _show_balance(self) -> None:
        if self.loaded is None:
            return
        balance = self.loaded.balance
        key = self.balance_combo.currentData()
        rows = []
        for order, (group, figures) in enumerate(balance[key].items()):
            label = self.tr("{g}年级").format(g=group) if key == "by_grade" else group
            rows.append({"group": label, "order": order, **figures})
        rows.append({"group": self.tr("全体"), "order": len(rows), **balance["all"]})
        self.balance_model.set_snapshot(TableSnapshot.build(rows, balance_columns(), ()))
        short = balance["leaders_short"]
        self.leaders_label.setText(self.tr("未带足节次的领导:{names}").format(
            names="、".join(f"{t['name']}({t['periods']:g}/{t['leader_min']:g})" for t in short)) if short else "")

    # --- actions -------------------------------------------------------------------------------

    def _school_for_entry(self) -> str | None:
        school_id = self.school_id() or self.session.actor.school_id
        if school_id is None:
            warn(self, self.tr("请选择学校"), self.tr("请先在上方选择一所学校。"))
        return school_id

    def edit_settings(self) -> None:
        """Open the workload weights and standards."""
        if WorkloadSettingsDialog(self.session, self).exec():
            self.session.notify_changed(Changed.SETTINGS)

    def record_observation(self) -> None:
        """Open the observation form for the school chosen."""
        school_id = self._school_for_entry()
        if school_id and ObservationDialog(self.session, school_id, self).exec():
            self.session.notify_changed(Changed.ROUTINE)

    def record_check(self) -> None:
        """Open the routine check form for the school chosen."""
        school_id = self._school_for_entry()
        if school_id and RoutineCheckDialog(self.session, school_id, self).exec():
            self.session.notify_changed(Changed.ROUTINE)

    def _selected(self, table: QTableView, model: SnapshotTableModel) -> dict | None:
        rows = table.selectionModel().selectedRows()
        return model.row_data(rows[0].row()) if rows else None

    def show_tutoring(self) -> None:
        """Show the tutoring records of the teacher selected in the routine summary (the 辅 link)."""
        row = self._selected(self.routine_table, self.routine_model)
        if row is None:
            warn(self, self.tr("请选择教师"), self.tr("请先在上方的表中选择一位教师。"))
            return
        TeacherTutoringDialog(self.session, row["teacher_id"], row["name"], self).exec()

    def edit_observation(self) -> None:
        """Open the selected observation record to correct it (its date, class, ratings …)."""
        row = self._selected(self.observation_table, self.observation_model)
        if row is None:
            warn(self, self.tr("请选择记录"), self.tr("请先在“本学期听课记录”中选择一条记录。"))
            return
        if ObservationDialog(self.session, row["school_id"], self, record=row).exec():
            self.session.notify_changed(Changed.ROUTINE)

    def remove_observation(self) -> None:
        """Delete the selected observation record (after asking)."""
        row = self._selected(self.observation_table, self.observation_model)
        if row is None or not confirm(self, self.tr("删除听课记录"), self.tr("删除 {d} {o} 听 {t} 的记录吗?").format(
                d=row["date"], o=row["observer_name"], t=row["teacher_name"])):
            return
        try:
            self.session.write(delete_observation, row["id"])
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
            return
        self.session.notify_changed(Changed.ROUTINE)

    def remove_check(self) -> None:
        """Delete the selected routine check (after asking)."""
        row = self._selected(self.check_table, self.check_model)
        if row is None or not confirm(self, self.tr("删除检查记录"), self.tr("删除 {d} 对 {t} 的“{l}”检查记录吗?").format(
                d=row["date"], t=row["teacher_name"], l=row["link"])):
            return
        try:
            self.session.write(delete_check, row["id"])
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
            return
        self.session.notify_changed(Changed.ROUTINE)
