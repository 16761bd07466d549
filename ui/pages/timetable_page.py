"""课表: the week of a class, a teacher or a room; the compliance findings of the checker, each
clickable to its cell; a summary per school; editing a cell, the daily slot plan and the
curriculum plan; importing and printing timetables."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMenu, QPushButton,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from app.preset_names import basis_name
from app.queries.roster import list_schools
from app.stats.cache import kept
from app.timetable.check import RULES, SEVERITY_NAMES, CheckResult, Finding, check_timetable
from app.timetable.grids import Grid, class_grid, room_grid, rooms, teacher_grid
from app.timetable.import_xlsx import apply_timetable, read_timetable
from app.timetable.edit import locked_cells
from app.timetable.model import DAY_NAMES, TimetableData, load_timetable
from ui.dialogs.messages import errors_shown, inform, show_error
from ui.models.table_model import Column, SnapshotFilterProxy, SnapshotTableModel, TableSnapshot
from ui.pages.page import Page
from ui.pages.timetable_dialogs import CellDialog, DayPlanDialog, PlanDialog, TimetableImportDialog, finding_lines
from ui.session import Changed, Session
from ui.tasks import run_shown
from ui.widgets.choosers import SchoolCombo
from ui.widgets.scaffold import button_row, choose_file, data_table, note_label, push_button

ModelIndex = QModelIndex | QPersistentModelIndex
VIEWS = (("class", "班级课表"), ("teacher", "教师课表"), ("room", "教室课表"))
SEVERITY_BRUSH = {"error": QColor("#f8d7d3"), "warning": QColor("#fff1c2")}
QUIET_BRUSH = QColor("#eef2f6")


@dataclass
class Loaded:
    """What one background load brings back: the school's timetable and the checker's result."""

    school_id: str
    data: TimetableData
    result: CheckResult
    locked: set[tuple[str, int, int]]


class GridModel(QAbstractTableModel):
    """The week as a table: a row per slot, a column per day; cells coloured by their findings."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.grid: Grid | None = None
        self.marks: dict[tuple[int, int], list[Finding]] = {}
        self.locked: set[tuple[int, int]] = set()

    def set_grid(self, grid: Grid | None, marks: dict[tuple[int, int], list[Finding]],
                 locked: set[tuple[int, int]] | None = None) -> None:
        """Show `grid`, marking cells (day, slot) that have findings and those locked for 自动排课."""
        self.beginResetModel()
        self.grid = grid
        self.marks = marks
        self.locked = locked or set()
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of slots of the day."""
        return 0 if parent.isValid() or self.grid is None else len(self.grid.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of days shown."""
        return 0 if parent.isValid() or self.grid is None else len(self.grid.days)

    def cell(self, index: ModelIndex):
        """Return (row, day, GridCell or None) at `index`."""
        row = self.grid.rows[index.row()]
        day = self.grid.days[index.column()]
        return row, day, row.cells.get(day)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a cell's lines, alignment, colour and the findings as tooltip."""
        if not index.isValid() or self.grid is None:
            return None
        row, day, cell = self.cell(index)
        found = self.marks.get((day, row.slot), [])
        if role == Qt.ItemDataRole.DisplayRole:
            if cell is None:
                return "" if row.kind == "lesson" or index.column() else row.label
            lock = [self.tr("(锁定)")] if (day, row.slot) in self.locked else []
            return "\n".join(([cell.note] if cell.note else []) + [line for line in cell.lines if line] + lock)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if found:
                worst = "error" if any(f.severity == "error" for f in found) else "warning"
                return QBrush(SEVERITY_BRUSH[worst])
            if row.kind != "lesson":
                return QBrush(QUIET_BRUSH)
        if role == Qt.ItemDataRole.ToolTipRole and found:
            return finding_lines(found)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return the day names across and the slot labels (with times) down the side."""
        if role != Qt.ItemDataRole.DisplayRole or self.grid is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return DAY_NAMES[self.grid.days[section]]
        row = self.grid.rows[section]
        return f"{row.label}\n{row.time}" if row.time else row.label


def finding_columns() -> list[Column]:
    """Return the columns of the findings table."""
    order = {rule: i for i, rule in enumerate(RULES)}
    return [
        Column("severity", "严重程度", lambda f: SEVERITY_NAMES[f["severity"]],
               lambda f: (f["severity"] != "error", f["order"]), centered=True, sample="严重程度"),
        Column("rule", "规则", lambda f: RULES[f["rule"]], lambda f: (order[f["rule"]], f["order"]),
               sample="非统考学科减课时"),
        Column("where", "班级/教师", lambda f: f["where"], sample="一二年级复式班"),
        Column("day", "星期", lambda f: DAY_NAMES.get(f["day"] or 0, ""), lambda f: (f["day"] or 0, f["order"]),
               centered=True, sample="星期三"),
        Column("period", "节次", lambda f: f["period_label"] or "", lambda f: (f["period"] or 0, f["order"]),
               centered=True, sample="下午大课间"),
        Column("message", "说明", lambda f: f["message"], lambda f: f["order"], sample="中" * 30),
    ]


def summary_columns() -> list[Column]:
    """Return the columns of the per-school compliance summary."""
    return [
        Column("school_name", "学校", lambda s: s["school_name"], lambda s: s["school_code"]),
        Column("timetables", "有课表的班", lambda s: f"{s['classes_with_timetable']}/{s['classes']}",
               lambda s: s["classes_with_timetable"], centered=True, sample="有课表的班"),
        Column("errors", "错误", lambda s: str(s["errors"]), lambda s: s["errors"], centered=True, sample="错误"),
        Column("warnings", "提醒", lambda s: str(s["warnings"]), lambda s: s["warnings"], centered=True, sample="提醒"),
    ]


def _table(model, *, stretch_last: bool = True) -> QTableView:
    return data_table(model, sortable=True, alternating=True, stretch_last=stretch_last)


class TimetablePage(Page):
    """The 课表 page."""

    depends_on = Changed.ROSTER | Changed.ASSIGNMENTS | Changed.TIMETABLE | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.loaded: Loaded | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        # Counted in "x" widths: 16 hold a school name of eight Chinese characters even when the bar is crowded.
        self.school_combo = SchoolCombo(min_chars=16)
        self.school_combo.currentIndexChanged.connect(lambda _i: self.reload())
        bar.addWidget(self.school_combo)
        self.view_combo = QComboBox()
        for key, title in VIEWS:
            self.view_combo.addItem(self.tr(title), key)
        self.view_combo.currentIndexChanged.connect(self._fill_items)
        bar.addWidget(self.view_combo)
        self.item_combo = QComboBox()
        self.item_combo.setMinimumContentsLength(12)
        self.item_combo.currentIndexChanged.connect(self._show_grid)
        bar.addWidget(self.item_combo)
        self.check_button = push_button(self.tr("重新检查"), self.reload)
        self.print_button = QPushButton(self.tr("打印…"))
        menu = QMenu(self.print_button)
        for text, scope in ((self.tr("当前课表"), "current"), (self.tr("全校各班课表"), "classes"),
                            (self.tr("全校教师课表"), "teachers")):
            action = QAction(text, menu)
            action.triggered.connect(lambda _checked=False, s=scope: self.print_pdf(s))
            menu.addAction(action)
        self.print_button.setMenu(menu)
        self.import_button = push_button(self.tr("导入…"), self.import_file)
        self.day_plan_button = push_button(self.tr("作息时间…"), self.edit_day_plan)
        self.plan_button = push_button(self.tr("课程计划…"), self.edit_plan)
        self.generate_button = push_button(self.tr("自动排课…"), self.auto_schedule)
        self.conditions_button = push_button(self.tr("排课条件…"), self.edit_conditions)
        self.conditions_button.setToolTip(self.tr("教师不能上课的时间、升旗班会等固定活动、锁定的课"))
        self.fet_button = QPushButton(self.tr("FET…"))
        fet_menu = QMenu(self.fet_button)
        for text, slot in ((self.tr("导出 FET 文件…"), self.export_fet), (self.tr("导入 FET 排好的课表…"), self.import_fet)):
            action = QAction(text, fet_menu)
            action.triggered.connect(lambda _checked=False, run=slot: run())
            fet_menu.addAction(action)
        self.fet_button.setMenu(fet_menu)
        self.status = note_label()
        bar.addWidget(self.status, 1)
        layout.addLayout(bar)
        # The buttons get a row of their own: beside the choosers they made the window over 1024 pixels wide.
        layout.addLayout(button_row(self.check_button, self.print_button, self.import_button, self.day_plan_button,
                                    self.plan_button, self.conditions_button, self.generate_button, self.fet_button,
                                    stretch="end"))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.grid_model = GridModel(self)
        self.grid_view = data_table(self.grid_model, select="cells", resize=QHeaderView.ResizeMode.Stretch,
                                    row_numbers=True)
        self.grid_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.grid_view.doubleClicked.connect(self.edit_cell)
        self.grid_view.setToolTip(self.tr("双击一格修改学科和教师;右键可锁定这节课,自动排课时保持不动"))
        self.grid_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid_view.customContextMenuRequested.connect(self._cell_menu)
        splitter.addWidget(self.grid_view)

        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        self.summary_title = QLabel(self.tr("各校课表合规情况"))
        self.summary_title.setStyleSheet("font-weight: bold;")
        column.addWidget(self.summary_title)
        self.summary_model = SnapshotTableModel(summary_columns(), self)
        self.summary_table = _table(self.summary_model, stretch_last=False)
        self.summary_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.summary_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.summary_table.clicked.connect(self._summary_clicked)
        column.addWidget(self.summary_table, 1)
        head = QHBoxLayout()
        self.findings_title = QLabel()
        self.findings_title.setStyleSheet("font-weight: bold;")
        head.addWidget(self.findings_title)
        head.addStretch(1)
        self.severity_combo = QComboBox()
        for text, value in ((self.tr("全部"), None), (self.tr("只看错误"), "error"), (self.tr("只看提醒"), "warning")):
            self.severity_combo.addItem(text, value)
        self.severity_combo.currentIndexChanged.connect(
            lambda _i: self.findings_proxy.set_filter(severity=self.severity_combo.currentData()))
        head.addWidget(self.severity_combo)
        column.addLayout(head)
        self.findings_model = SnapshotTableModel(finding_columns(), self)
        self.findings_proxy = SnapshotFilterProxy(self)
        self.findings_proxy.setSourceModel(self.findings_model)
        self.findings_table = _table(self.findings_proxy)
        self.findings_table.setWordWrap(True)
        self.findings_table.clicked.connect(self._finding_clicked)
        metrics = self.findings_table.fontMetrics()
        for i, col in enumerate(finding_columns()[:-1]):
            self.findings_table.setColumnWidth(i, metrics.horizontalAdvance(col.sample) + 20)
        column.addWidget(self.findings_table, 3)
        self.detail = QLabel()
        self.detail.setObjectName("finding_detail")
        self.detail.setWordWrap(True)
        self.detail.setMinimumHeight(48)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.detail)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)
        self._fill_schools()
        for button in (self.import_button, self.conditions_button, self.generate_button, self.fet_button):
            button.setVisible(session.actor.role != "teacher")

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("课表")

    # --- loading -------------------------------------------------------------------------------

    def _fill_schools(self) -> None:
        schools = list_schools(self.session.db)
        self.school_combo.fill(schools, preferred=self.session.actor.school_id)
        self.school_combo.setVisible(len(schools) > 1)
        self.summary_title.setVisible(len(schools) > 1)
        self.summary_table.setVisible(len(schools) > 1)

    def school_id(self) -> str | None:
        """Return the school shown."""
        return self.school_combo.school()

    def refresh(self) -> None:
        """Read the school's timetable and check every school's, in the background."""
        school_id = self.school_id()
        if school_id is None:
            self.status.setText(self.tr("数据库中还没有学校。"))
            return
        self.status.setText(self.tr("正在检查课表…"))
        session = self.session

        def work(_control) -> Loaded:
            db = session.worker_db()
            scope = None if session.is_township else school_id
            # Every school's check does not change with the school shown: computed once while the
            # data is unchanged (a county's takes 0.4 s, each change of school waited for it).
            result = kept(db, ("timetable check", scope), lambda: check_timetable(db, school_id=scope))
            return Loaded(school_id, load_timetable(db, None, school_id), result, locked_cells(db, school_id))

        session.tasks.run(work, on_done=self._loaded, on_error=lambda exc: show_error(self, exc), key=self)

    def _loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        result = loaded.result
        self.summary_model.set_snapshot(TableSnapshot.build(result.schools, summary_columns(), ("school_name",)))
        mine = [f for f in result.findings if f.touches(loaded.school_id)]
        rows = [{**f.to_dict(), "order": i, "finding": f,
                 "where": f.class_name or f.teacher or ""} for i, f in enumerate(mine)]
        self.findings_model.set_snapshot(TableSnapshot.build(rows, finding_columns(), ("message", "where")))
        self.detail.setText(self.tr("点击一条检查结果,可跳到课表中的位置。") if mine else "")
        errors = sum(f.severity == "error" for f in mine)
        self.findings_title.setText(self.tr("本校检查结果:错误 {e} 条,提醒 {w} 条").format(
            e=errors, w=len(mine) - errors))
        basis = result.plan_basis.get(loaded.data.schools[loaded.school_id].code, "")
        self.status.setText(self.tr("{term} · 课程计划:{name}").format(term=result.term["name"], name=basis_name(basis)))
        self.status.setToolTip(self.tr("计算依据(版本与校验码):{basis}").format(basis=basis))
        self._fill_items()

    def _fill_items(self) -> None:
        if self.loaded is None:
            return
        data, school_id = self.loaded.data, self.loaded.school_id
        view = self.view_combo.currentData()
        current = self.item_combo.currentData()
        self.item_combo.blockSignals(True)
        self.item_combo.clear()
        if view == "class":
            for cls in sorted((c for c in data.classes.values() if c.school_id == school_id),
                              key=lambda c: (c.grades, c.number, c.name)):
                self.item_combo.addItem(cls.name, cls.id)
        elif view == "teacher":
            teaching = {s.teacher_id for s in data.slots if s.school_id == school_id}
            for teacher in sorted((t for t in data.teachers.values()
                                   if t.id in teaching or (t.school_id == school_id and t.active)),
                                  key=lambda t: (t.school_id != school_id, t.staff_no)):
                self.item_combo.addItem(f"{teacher.name}({teacher.staff_no})", teacher.id)
        else:
            for room in rooms(data, school_id):
                self.item_combo.addItem(room, room)
        index = self.item_combo.findData(current)
        self.item_combo.setCurrentIndex(max(index, 0))
        self.item_combo.blockSignals(False)
        self._show_grid()

    def _show_grid(self) -> None:
        if self.loaded is None or self.item_combo.currentData() is None:
            self.grid_model.set_grid(None, {})
            return
        data, school_id = self.loaded.data, self.loaded.school_id
        key, view = self.item_combo.currentData(), self.view_combo.currentData()
        findings = self.loaded.result.findings
        marks: dict[tuple[int, int], list[Finding]] = {}
        if view == "class":
            grid = class_grid(data, key)
            for finding in findings:
                places = [(finding.class_id, finding.day, finding.period)] + [
                    (r["class_id"], r["day"], r["period"]) for r in finding.related]
                for class_id, day, slot in places:
                    if class_id == key and day and slot:
                        marks.setdefault((day, slot), []).append(finding)
        elif view == "teacher":
            grid = teacher_grid(data, key)
            by_cell = {(cell_slot.class_id, cell_slot.day, cell_slot.slot): (row.slot, day)
                       for row in grid.rows for day, cell in row.cells.items() for cell_slot in cell.slots}
            for finding in findings:
                if finding.teacher_id != key:
                    continue
                places = [(finding.class_id, finding.day, finding.period)] + [
                    (r["class_id"], r["day"], r["period"]) for r in finding.related]
                for place in places:
                    if place in by_cell:
                        slot, day = by_cell[place]
                        marks.setdefault((day, slot), []).append(finding)
        else:
            grid = room_grid(data, school_id, key)
        locked = {(d, s) for c, d, s in self.loaded.locked if c == key} if view == "class" else set()
        self.grid_model.set_grid(grid, marks, locked)

    # --- navigation ----------------------------------------------------------------------------

    def _summary_clicked(self, index: QModelIndex) -> None:
        row = self.summary_model.row_data(index.row())
        position = self.school_combo.findData(row["school_id"])
        if position >= 0:
            self.school_combo.setCurrentIndex(position)

    def _finding_clicked(self, index: QModelIndex) -> None:
        finding = self.findings_proxy.row_data(index.row())["finding"]
        self.detail.setText(finding_lines([finding]))
        self.go_to(finding)

    def go_to(self, finding: Finding) -> None:
        """Show the class (or teacher) a finding is about and select its cell."""
        if finding.class_id and finding.school_id == self.school_id():
            self.view_combo.setCurrentIndex(self.view_combo.findData("class"))
            self.item_combo.setCurrentIndex(self.item_combo.findData(finding.class_id))
        elif finding.teacher_id:
            self.view_combo.setCurrentIndex(self.view_combo.findData("teacher"))
            self.item_combo.setCurrentIndex(max(self.item_combo.findData(finding.teacher_id), 0))
        grid = self.grid_model.grid
        if grid is None or not finding.day:
            return
        column = grid.days.index(finding.day) if finding.day in grid.days else 0
        row = next((i for i, r in enumerate(grid.rows) if r.slot == finding.period), 0)
        self.grid_view.setCurrentIndex(self.grid_model.index(row, column))
        self.grid_view.scrollTo(self.grid_model.index(row, column))

    # --- actions -------------------------------------------------------------------------------

    def edit_cell(self, index: QModelIndex) -> None:
        """Open the cell dialog for a lesson cell of a class timetable."""
        if self.loaded is None or self.view_combo.currentData() != "class" or not index.isValid():
            return
        row, day, cell = self.grid_model.cell(index)
        if row.kind in ("大课间", "午休"):
            return
        class_id = self.item_combo.currentData()
        current = cell.slots[0] if cell and cell.slots else None
        cls = self.loaded.data.classes[class_id]
        dialog = CellDialog(self.session, class_id=class_id, class_name=cls.name, school_id=cls.school_id, day=day,
                            slot=row.slot, label=row.label,
                            subject_id=self.loaded.data.subject_ids.get(current.subject) if current else None,
                            teacher_id=current.teacher_id if current else None,
                            room=current.room if current else None, parent=self)
        if dialog.exec():
            self.session.notify_changed(Changed.TIMETABLE)

    def edit_day_plan(self) -> None:
        """Open the daily slot plan of the school shown."""
        if self.school_id() and DayPlanDialog(self.session, self.school_id(), self).exec():
            self.session.notify_changed(Changed.TIMETABLE)

    def edit_plan(self) -> None:
        """Open the curriculum plan of the school shown."""
        if not self.school_id():
            return
        dialog = PlanDialog(self.session, self.school_id(), self)
        dialog.exec()
        if dialog.changed:
            self.session.notify_changed(Changed.TIMETABLE)

    def import_file(self) -> None:
        """Pick a timetable workbook and import it after the preview."""
        choose_file(self, self.tr("选择课表文件"), self.tr("表格文件 (*.xlsx *.xlsm *.csv)"), then=self.import_path)

    def import_path(self, path: Path) -> None:
        """Read `path` in the background, preview it, and write it when the user confirms."""
        session = self.session
        school_id = self.school_id()
        plan = run_shown(
            session.tasks, self,
            lambda control: read_timetable(session.worker_db(), path, school_id=school_id,
                                           progress=control.progress, cancelled=control.cancelled),
            label=self.tr("正在读取“{name}”…").format(name=path.name), cancellable=True)
        if plan is None:
            return
        if not TimetableImportDialog(plan, path.name, self).exec():
            return
        result = run_shown(
            session.tasks, self,
            lambda control: apply_timetable(session.worker_db(), session.actor, plan, progress=control.progress),
            label=self.tr("正在导入课表…"))
        if result is None:
            return
        session.notify_changed(Changed.TIMETABLE)
        inform(self, self.tr("导入完成"), self.tr("已导入 {n} 个班的 {lessons} 节课。").format(
            n=result["classes"], lessons=result["lessons"]))

    def print_pdf(self, scope: str) -> None:
        """Write the current timetable, every class's or every teacher's as an A4 PDF."""
        if self.loaded is None:
            return
        data, school_id = self.loaded.data, self.loaded.school_id
        view, key = self.view_combo.currentData(), self.item_combo.currentData()
        class_ids: list[str] = []
        teacher_ids: list[str] = []
        if scope == "classes":
            class_ids = [c.id for c in sorted((c for c in data.classes.values() if c.school_id == school_id),
                                              key=lambda c: (c.grades, c.number))]
        elif scope == "teachers":
            teaching = {s.teacher_id for s in data.slots if s.school_id == school_id}
            teacher_ids = [t.id for t in sorted(data.teachers.values(), key=lambda t: t.staff_no)
                           if t.school_id == school_id and t.id in teaching]
        elif view == "class" and key:
            class_ids = [key]
        elif view == "teacher" and key:
            teacher_ids = [key]
        else:
            inform(self, self.tr("打印"), self.tr("教室课表不单独打印,请打印班级或教师课表。"))
            return
        name, _ = QFileDialog.getSaveFileName(self, self.tr("保存课表 PDF"), str(Path.home() / "课程表.pdf"),
                                              self.tr("PDF 文件 (*.pdf)"))
        if name:
            self.write_pdf(Path(name), class_ids, teacher_ids)

    def write_pdf(self, path: Path, class_ids: list[str], teacher_ids: list[str]) -> None:
        """Write the chosen timetables to `path` in the background and say where they are."""
        from app.timetable.pdf import timetables_pdf  # reportlab loads only when printing

        session = self.session
        school_id = self.school_id()
        with errors_shown(self) as attempt:
            session.tasks.run_modal(
                lambda control: timetables_pdf(session.worker_db(), path, class_ids=class_ids,
                                               teacher_ids=teacher_ids, school_id=school_id,
                                               progress=control.progress),
                label=self.tr("正在生成课表 PDF…"), parent=self)
        if attempt.failed:
            return
        inform(self, self.tr("已生成"), self.tr("课表已保存到:{path}").format(path=str(path)))

    # --- 自动排课, locking and FET ---------------------------------------------------------------

    def _cell_menu(self, point) -> None:
        index = self.grid_view.indexAt(point)
        if self.loaded is None or self.view_combo.currentData() != "class" or not index.isValid():
            return
        row, day, cell = self.grid_model.cell(index)
        if cell is None or not cell.slots or self.session.actor.role == "teacher":
            return
        class_id = self.item_combo.currentData()
        locked = (class_id, day, row.slot) in self.loaded.locked
        menu = QMenu(self)
        action = menu.addAction(self.tr("取消锁定") if locked else self.tr("锁定这节课(自动排课时不动)"))
        if menu.exec(self.grid_view.viewport().mapToGlobal(point)) is action:
            self.lock_cell(class_id, day, row.slot, not locked)

    def lock_cell(self, class_id: str, day: int, slot: int, locked: bool) -> None:
        """Lock or unlock the lesson in one cell of a class timetable."""
        from app.timetable.edit import set_locked

        session = self.session
        with errors_shown(self) as attempt:
            session.tasks.run_modal(lambda _c: set_locked(session.worker_db(), session.actor, class_id=class_id,
                                                          day=day, slot=slot, locked=locked), parent=self)
        if attempt.failed:
            return
        session.notify_changed(Changed.TIMETABLE)

    def edit_conditions(self) -> None:
        """Open 排课条件 (unavailable times, fixed events, locked lessons) of the school shown."""
        from ui.pages.timetable_conditions import ConditionsDialog

        if not self.school_id():
            return
        dialog = ConditionsDialog(self.session, self.school_id(), self.school_combo.currentText(), self)
        dialog.exec()
        if dialog.changed:
            self.session.notify_changed(Changed.TIMETABLE)

    def auto_schedule(self) -> None:
        """Open 自动排课 for the school shown (or its township)."""
        from ui.pages.timetable_generate import GenerateDialog  # loads ortools only when asked

        if not self.school_id():
            return
        dialog = GenerateDialog(self.session, self.school_id(), self)
        dialog.exec()
        if dialog.saved:
            self.session.notify_changed(Changed.TIMETABLE)

    def export_fet(self) -> None:
        """Write the school's (or township's) generation problem as a .fet file."""
        from ui.pages.timetable_generate import export_fet_dialog

        if self.school_id():
            export_fet_dialog(self, self.session, self.school_id())

    def import_fet(self) -> None:
        """Read a timetable FET made for a file SchoolQ exported; show it with its score, then save."""
        from ui.pages.timetable_generate import import_fet_dialog

        if self.school_id() and import_fet_dialog(self, self.session, self.school_id()):
            self.session.notify_changed(Changed.TIMETABLE)
