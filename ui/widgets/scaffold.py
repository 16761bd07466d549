"""The pieces pages and dialogs are built from, made one way everywhere: a page heading, a grey
note, a button wired to what it does, a row of buttons, and a read-only table of records."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QWidget

HEADING_STYLE = "font-size: 18px; font-weight: bold;"
NOTE_STYLE = "color: #555;"


def page_heading(text: str) -> QLabel:
    """Return the bold heading shown at the top of a page."""
    label = QLabel(text)
    label.setStyleSheet(HEADING_STYLE)
    return label


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


def choose_file(parent: QWidget, title: str, kinds: str, folder: Path | None = None) -> Path | None:
    """Ask for one file to open (starting in `folder`, the home folder by default, offering the
    file `kinds`, e.g. "表格文件 (*.xlsx *.csv)"); return it, or None when the user cancels."""
    name, _ = QFileDialog.getOpenFileName(parent, title, str(folder or Path.home()), kinds)
    return Path(name) if name else None


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
