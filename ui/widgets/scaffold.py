"""The pieces pages and dialogs are built from, made one way everywhere: a page heading, a grey
note, a button wired to what it does, a row of buttons, a read-only table of records, the school
chooser bar above a page's tabs, and what every tab of records does with them — delete the record
chosen, import a sheet of records (read on the worker, its problems shown, or asked and written on
the worker)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QTabWidget,
                               QVBoxLayout, QWidget)

from ui.dialogs.messages import confirm, inform, show_error, warn
from ui.models.table_model import Column, SnapshotTableModel
from ui.widgets.choosers import SchoolCombo

HEADING_STYLE = "font-size: 18px; font-weight: bold;"
NOTE_STYLE = "color: #555;"


def page_heading(text: str) -> QLabel:
    """Return the bold heading shown at the top of a page."""
    label = QLabel(text)
    label.setStyleSheet(HEADING_STYLE)
    return label


def dialog_layout(dialog: QWidget, title: str, min_width: int | None = None) -> QVBoxLayout:
    """Give `dialog` its title (and at least `min_width` pixels of width); return its vertical layout,
    the one every dialog lays its parts out in."""
    dialog.setWindowTitle(title)
    if min_width is not None:
        dialog.setMinimumWidth(min_width)
    return QVBoxLayout(dialog)


def note_label(text: str = "", *, wrap: bool = True) -> QLabel:
    """Return a grey note — a hint, a status line, what a figure is based on — wrapped to its width
    unless `wrap` is False."""
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setStyleSheet(NOTE_STYLE)
    return label


def push_button(text: str, slot: Callable[[], object], *, tip: str | None = None) -> QPushButton:
    """Return a push button labelled `text` that calls `slot()` when clicked (with the tooltip `tip`)."""
    push = QPushButton(text)
    push.clicked.connect(lambda _checked=False: slot())
    if tip:
        push.setToolTip(tip)
    return push


def button_row(*widgets: QWidget, stretch: str = "", fill: QWidget | None = None) -> QHBoxLayout:
    """Return a row holding `widgets` left to right, with the free space after them (`stretch`
    "end"), before them ("start", buttons kept right) or nowhere (""); a `fill` widget (a note)
    comes last and takes the free width."""
    row = QHBoxLayout()
    if stretch == "start":
        row.addStretch(1)
    for widget in widgets:
        row.addWidget(widget)
    if stretch == "end":
        row.addStretch(1)
    if fill is not None:
        row.addWidget(fill, 1)
    return row


def choose_file(parent: QWidget, title: str, kinds: str, folder: Path | None = None,
                then: Callable[[Path], object] | None = None) -> Path | None:
    """Ask for one file to open (starting in `folder`, the home folder by default, offering the
    file `kinds`, e.g. "表格文件 (*.xlsx *.csv)"); hand it to `then` when given (an import reading
    it); return it, or None when the user cancels."""
    name, _ = QFileDialog.getOpenFileName(parent, title, str(folder or Path.home()), kinds)
    path = Path(name) if name else None
    if path is not None and then is not None:
        then(path)
    return path


def data_table(model: QAbstractItemModel, *, select: str = "row", sortable: bool = False,
               alternating: bool = False, resize: QHeaderView.ResizeMode | None = None,
               stretch_column: int | None = None, stretch_last: bool = False,
               row_numbers: bool = False) -> QTableView:
    """Return a read-only table over `model` (a model without a parent becomes the table's child,
    so it goes with it).

    `select`: "row" chooses one whole row (a record) at a time, "rows" several, "cells" leaves Qt's
    cell selection. `sortable`: a click on a header sorts, and the rows first stand in the model's
    own order. `resize` sizes every column (e.g. to its contents), `stretch_column` gives one
    column the free width, `stretch_last` lets the last column fill the table. Rows carry no
    numbers unless `row_numbers`.
    """
    table = QTableView()
    if model.parent() is None:
        model.setParent(table)
    table.setModel(model)
    if sortable:
        table.setSortingEnabled(True)
        table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    if select != "cells":
        table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    if select == "row":
        table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(alternating)
    table.verticalHeader().setVisible(row_numbers)
    header = table.horizontalHeader()
    if resize is not None:
        header.setSectionResizeMode(resize)
    if stretch_column is not None:
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(stretch_last)
    return table


def sorted_table(columns: list[Column]) -> tuple[QTableView, SnapshotTableModel]:
    """Return a read-only, sortable table over a new model of `columns`, columns as wide as their
    samples and the last one filling the rest."""
    model = SnapshotTableModel(columns)
    view = data_table(model, sortable=True, alternating=True, resize=QHeaderView.ResizeMode.Interactive,
                      stretch_last=True)
    size_by_samples(view, columns)
    return view, model


def size_by_samples(view: QTableView, columns: list[Column]) -> None:
    """Make each column of `view` as wide as its sample text or its title, whichever is wider (no
    pass over the rows, as resizeColumnsToContents makes: a county's thousands of rows)."""
    metrics = view.fontMetrics()
    for i, column in enumerate(columns):
        view.setColumnWidth(i, max(metrics.horizontalAdvance(column.sample),
                                   metrics.horizontalAdvance(column.title)) + 24)


def school_bar(page: QWidget, reload: Callable[[], object], *extra: QWidget) -> tuple[SchoolCombo, QLabel,
                                                                                    QTabWidget]:
    """Lay `page` out as a bar (the school chooser, which calls `reload()` when changed, then
    `extra` widgets, then a status line kept right) above a tab widget; return (chooser, status,
    tabs)."""
    layout = QVBoxLayout(page)
    bar = QHBoxLayout()
    combo = SchoolCombo(min_chars=10)
    combo.currentIndexChanged.connect(lambda _i: reload())
    bar.addWidget(combo)
    for widget in extra:
        bar.addWidget(widget)
    status = QLabel()
    status.setWordWrap(True)
    status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    bar.addWidget(status, 1)
    layout.addLayout(bar)
    tabs = QTabWidget()
    layout.addWidget(tabs, 1)
    return combo, status, tabs


def school_or_warn(parent: QWidget, school_id: str | None) -> str | None:
    """Return `school_id`; when it is None, say a school must be chosen first and return None."""
    if school_id is None:
        warn(parent, parent.tr("请选择学校"), parent.tr("请先在上方选择一所学校。"))
    return school_id


def write_or_explain(parent: QWidget, session: Any, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Run the service `fn(db, actor, *args)` on the worker (session.write); return (True, its
    result), or show why it refused (in Chinese) and return (False, None)."""
    try:
        return True, session.write(fn, *args)
    except Exception as exc:  # noqa: BLE001 - refusals and validation are shown in Chinese
        show_error(parent, exc)
        return False, None


def delete_chosen(parent: QWidget, session: Any, table: QTableView, model: SnapshotTableModel, *, title: str,
                  question: Callable[[dict], str], delete: Callable[..., Any], changed: Any) -> bool:
    """Ask `question(row)` about the record chosen in `table` and delete it with the service
    `delete(db, actor, id)` on the worker, telling the pages `changed`. Return True when deleted."""
    rows = table.selectionModel().selectedRows()
    if not rows:
        return False
    row = model.row_data(rows[0].row())
    if not confirm(parent, title, question(row)):
        return False
    done, _ = write_or_explain(parent, session, delete, row["id"])
    if done:
        session.notify_changed(changed)
    return done


def import_records(parent: QWidget, session: Any, *, title: str, reading: str, read: Callable[[Any], Any],
                   records: Callable[[Any], list], question: str, write: Callable[..., int], done: str,
                   changed: Any, show_problems: Callable[[str, list], object]) -> None:
    """Import a sheet of records: `read(db)` on the worker returns a plan (with `problems`) while
    `reading` shows; problems are shown with `show_problems(title, problems)` and nothing is
    written; else `question` (with {n}, the number of `records(plan)`) is asked and the service
    `write(db, actor, records)` writes them on the worker, `done` (with {n}, what it returned) is
    shown and the pages are told `changed`."""
    def ask_and_write(plan) -> None:
        if plan.problems:
            show_problems(title, plan.problems)
            return
        rows = records(plan)
        if not confirm(parent, title, question.format(n=len(rows))):
            return
        written, count = write_or_explain(parent, session, write, rows)
        if written:
            inform(parent, title, done.format(n=count))
            session.notify_changed(changed)

    session.tasks.run(lambda _c: read(session.worker_db()), on_done=ask_and_write,
                      on_error=lambda exc: show_error(parent, exc), label=reading, parent=parent)


class RecordTabActions:
    """The three buttons of a tab of records — 登记… (the entry form for the school chosen), 导入…
    (a sheet, see import_records) and 删除所选记录 (the record chosen in the tab's table, after asking)
    — made and wired one way. `noun` names the record in titles ("家访记录"); `form(session,
    school_id, parent)` is the entry dialog; `delete` the service deleting one by id and `question(row)`
    what to ask first; `read(db, path, school_id)` reads a sheet into a plan with `rows` and
    `problems`, `write(db, actor, rows)` writes them and `ask` (with {n}) is asked first;
    `show_problems(title, problems)` shows a refused sheet; `changed` is what the pages are told."""

    def __init__(self, tab: QWidget, session: Any, *, noun: str, add_text: str, form: Callable[..., Any],
                 delete: Callable[..., Any], question: Callable[[dict], str], read: Callable[..., Any],
                 write: Callable[..., int], ask: str, show_problems: Callable[[str, list], object], changed: Any):
        self.tab, self.session, self.noun, self.changed = tab, session, noun, changed
        self.form, self.delete, self.question = form, delete, question
        self.read, self.write, self.ask, self.show_problems = read, write, ask, show_problems
        self.table: QTableView | None = None
        self.model: SnapshotTableModel | None = None
        self.add_button = push_button(add_text, self.add)
        self.import_button = push_button(tab.tr("导入{noun}…").format(noun=noun), self.choose_sheet)
        self.remove_button = push_button(tab.tr("删除所选记录"), self.remove)

    def buttons(self) -> list[QPushButton]:
        """Return the three buttons, in the order they stand."""
        return [self.add_button, self.import_button, self.remove_button]

    def school(self) -> str | None:
        """Return the school chosen above the tabs (the account's own when none), warning when neither."""
        return school_or_warn(self.tab, getattr(self.tab, "school_id", None) or self.session.actor.school_id)

    def add(self) -> None:
        """Open the entry form for the school chosen; tell the pages when it saved."""
        school_id = self.school()
        if school_id and self.form(self.session, school_id, self.tab).exec():
            self.session.notify_changed(self.changed)

    def remove(self) -> None:
        """Delete the record chosen in the table after asking (on the worker)."""
        if self.table is not None and self.model is not None:
            delete_chosen(self.tab, self.session, self.table, self.model,
                          title=self.tab.tr("删除{noun}").format(noun=self.noun), question=self.question,
                          delete=self.delete, changed=self.changed)

    def choose_sheet(self) -> None:
        """Ask for a sheet of records and import it for the school chosen."""
        school_id = self.school()
        path = school_id and choose_file(self.tab, self.tab.tr("选择{noun}表").format(noun=self.noun),
                                         self.tab.tr("表格文件 (*.xlsx *.xls *.csv)"))
        if path:
            self.import_file(str(path), school_id)

    def import_file(self, name: str, school_id: str) -> None:
        """Read the sheet `name` on the worker; show its problems, or ask and write every record."""
        title = self.tab.tr("导入{noun}").format(noun=self.noun)
        import_records(self.tab, self.session, title=title, reading=self.tab.tr("正在读取{noun}…").format(noun=self.noun),
                       read=lambda db: self.read(db, name, school_id), records=lambda plan: plan.rows,
                       question=self.ask, write=self.write, done=self.tab.tr("已导入 {n} 条。"), changed=self.changed,
                       show_problems=self.show_problems)
