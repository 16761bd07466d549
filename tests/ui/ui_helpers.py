"""Helpers for driving modal dialogs and reading tables as a user sees them."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QTableView, QWidget


def when_modal(action: Callable[[QWidget], None]) -> list[BaseException]:
    """Run `action(dialog)` on the next modal dialog once its exec() loop runs; returns a list
    that receives any exception raised inside (so the test can fail on it)."""
    errors: list[BaseException] = []

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(10, run)
            return
        try:
            action(dialog)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
            dialog.reject()

    QTimer.singleShot(0, run)
    return errors


def column_texts(table: QTableView, title: str) -> list[str]:
    """Return the texts of the column titled `title`, top to bottom, as displayed."""
    model = table.model()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    column = titles.index(title)
    return [model.index(r, column).data() for r in range(model.rowCount())]


def header_titles(table: QTableView) -> list[str]:
    """Return the column titles of a table."""
    model = table.model()
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
