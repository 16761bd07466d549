"""What the 学生 and 教师 pages share: filter bar, table, add / edit / remove / import buttons."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.queries.roster import list_schools
from ui.dialogs.import_preview_dialog import IMPORT_ALL, IMPORT_VALID, ImportPreviewDialog
from ui.dialogs.messages import confirm, errors_shown, inform, show_error
from ui.models.table_model import Column, SnapshotFilterProxy, SnapshotTableModel, TableSnapshot
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.tasks import run_shown
from ui.widgets.choosers import SchoolCombo
from ui.widgets.scaffold import choose_file, data_table


class RosterPage(Page):
    """A filterable, sortable roster table.

    Subclasses define `load(db) -> TableSnapshot` (runs on the worker), `make_dialog(row|None)`,
    `remove(row)`, `remove_question(row)`, `import_functions() -> (read, apply)` and
    `import_title()`.
    """

    depends_on = Changed.ROSTER | Changed.SETTINGS

    def __init__(self, session: Session, columns: list[Column], parent: QWidget | None = None):
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        self.filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(200)
        self.search.textChanged.connect(lambda text: self.proxy.set_filter(text=text))
        self.filters.addWidget(self.search)
        self.school_combo = SchoolCombo()
        self.school_combo.currentIndexChanged.connect(self._school_changed)
        self.filters.addWidget(self.school_combo)
        if not session.is_township:  # hide only: showing a widget without a parent opens it as a window
            self.school_combo.hide()
        layout.addLayout(self.filters)

        actions = QHBoxLayout()
        self.add_button = QPushButton(self.tr("新增"))
        self.edit_button = QPushButton(self.tr("修改"))
        self.remove_button = QPushButton(self.tr("删除"))
        self.import_button = QPushButton(self.tr("导入…"))
        self.add_button.clicked.connect(self.add_row)
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button.clicked.connect(self.import_file)
        for button in (self.add_button, self.edit_button, self.remove_button, self.import_button):
            actions.addWidget(button)
        actions.addStretch(1)
        self.count_label = QLabel()
        actions.addWidget(self.count_label)
        layout.addLayout(actions)

        self.model = SnapshotTableModel(columns, self)
        self.proxy = SnapshotFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = data_table(self.proxy, sortable=True, alternating=True, resize=QHeaderView.ResizeMode.Interactive,
                                stretch_last=True, row_numbers=True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        metrics = self.table.fontMetrics()
        for i, column in enumerate(columns):
            width = max(metrics.horizontalAdvance(column.sample), metrics.horizontalAdvance(column.title))
            self.table.setColumnWidth(i, width + 24)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged):
            signal.connect(self._update_count)
        self._update_buttons()

    # --- loading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the filter lists now and the table in the background."""
        self._fill_schools()
        self.count_label.setText(self.tr("正在加载…"))
        self.session.tasks.run(lambda _control: self.load(self.session.worker_db()),
                               on_done=self._loaded, on_error=lambda exc: show_error(self, exc), key=self)

    def _loaded(self, snap: TableSnapshot) -> None:
        self.model.set_snapshot(snap)
        self._update_count()
        self._update_buttons()

    def _fill_schools(self) -> None:
        self.school_combo.fill(list_schools(self.session.db), everyone=True)
        self._school_changed()

    def _school_changed(self) -> None:
        school_id = self.selected_school_filter()
        self.proxy.set_filter(school_id=school_id)
        self.school_filter_changed(school_id)

    def school_filter_changed(self, school_id: str | None) -> None:
        """Called after the school filter changed (pages with per-school filters refill them)."""

    def selected_school_filter(self) -> str | None:
        """Return the school chosen in the filter (None for all schools)."""
        return self.school_combo.school()

    def default_school_id(self) -> str | None:
        """Return the school new rows and imports belong to: the filtered school, the actor's
        school, or the only school of the database."""
        chosen = self.selected_school_filter()
        if chosen:
            return chosen
        if self.session.actor.school_id:
            return self.session.actor.school_id
        schools = list_schools(self.session.db)
        return schools[0]["id"] if len(schools) == 1 else None

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), len(self.model.snapshot.rows)
        self.count_label.setText(self.tr("显示 {shown} / 共 {total} 人").format(shown=shown, total=total))

    def _update_buttons(self) -> None:
        has = self.selected_row() is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    def selected_row(self) -> dict | None:
        """Return the row dict of the selected table row, or None."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.proxy.row_data(rows[0].row())


    # --- actions -------------------------------------------------------------------------------
    def add_row(self) -> None:
        """Open the add dialog; the page reloads when something was written."""
        self._open_dialog(None)

    def edit_selected(self) -> None:
        """Open the edit dialog for the selected row."""
        row = self.selected_row()
        if row is not None:
            self._open_dialog(row)

    def _open_dialog(self, row: dict | None) -> None:
        if self.make_dialog(row).exec():
            self.session.notify_changed(Changed.ROSTER)

    def remove_selected(self) -> None:
        """Ask, then delete the selected row through the service; errors are shown in Chinese."""
        row = self.selected_row()
        if row is None:
            return
        if not confirm(self, self.tr("确认删除"), self.remove_question(row)):
            return
        with errors_shown(self) as attempt:
            self.remove(row)
        if attempt.failed:
            return
        self.session.notify_changed(Changed.ROSTER)

    def import_file(self) -> None:
        """Pick a spreadsheet, read it in the background, preview, then apply what the user chose."""
        choose_file(self, self.tr("选择要导入的表格"), self.tr("表格文件 (*.xlsx *.csv)"), then=self.import_path)

    def import_path(self, path: Path) -> None:
        """Read `path`, show the preview and apply the import the user confirms."""
        read, apply = self.import_functions()
        school_id = self.default_school_id()
        session = self.session
        plan = run_shown(
            session.tasks, self,
            lambda control: read(session.worker_db(), path, school_id=school_id, progress=control.progress,
                                 cancelled=control.cancelled),
            label=self.tr("正在读取“{name}”…").format(name=path.name), cancellable=True)
        if plan is None:
            return
        dialog = ImportPreviewDialog(plan, self.import_title(), path.name, self)
        if not dialog.exec() or dialog.choice not in (IMPORT_ALL, IMPORT_VALID):
            return
        valid_only = dialog.choice == IMPORT_VALID
        result = run_shown(
            session.tasks, self,
            lambda control: apply(session.worker_db(), session.actor, plan, accept_valid_rows=valid_only,
                                  progress=control.progress),
            label=self.tr("正在导入…"))
        if result is None:
            return
        session.notify_changed(Changed.ROSTER)
        inform(self, self.tr("导入完成"), self.describe_import(result))

    def describe_import(self, result: dict) -> str:
        """Return the Chinese sentence shown after an import (counts of what was written)."""
        parts = []
        for key, label, unit in (("add", self.tr("新增"), self.tr("人")), ("update", self.tr("更新"), self.tr("人")),
                                 ("unchanged", self.tr("未变"), self.tr("人")),
                                 ("new_classes", self.tr("新建班级"), self.tr("个")),
                                 ("skipped", self.tr("跳过有问题的行"), self.tr("行"))):
            value = result.get(key)
            count = len(value) if isinstance(value, (list, tuple)) else value
            if isinstance(count, int) and (count or key in ("add", "update")):
                parts.append(f"{label} {count} {unit}")
        return self.tr("导入完成:") + ",".join(parts) + "。"
