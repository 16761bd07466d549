"""What the tabs of the 控辍与记录 page share: a sortable record table and the tab interface."""
from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from ui.models.table_model import Column, SnapshotTableModel
from ui.session import Session
from ui.widgets.scaffold import data_table

WARNING_STYLE = "color: #b3261e; font-weight: bold;"


def sorted_table(columns: list[Column]) -> tuple[QTableView, SnapshotTableModel]:
    """Return a read-only, sortable table over a new model of `columns`, columns as wide as their samples."""
    model = SnapshotTableModel(columns)
    view = data_table(model, sortable=True, alternating=True, resize=QHeaderView.ResizeMode.Interactive,
                      stretch_last=True)
    metrics = view.fontMetrics()
    for i, column in enumerate(columns):
        view.setColumnWidth(i, max(metrics.horizontalAdvance(column.sample),
                                   metrics.horizontalAdvance(column.title)) + 24)
    return view, model


def percent(value: float | None) -> str:
    """Return a rate as 95.24%, '—' for None."""
    return "—" if value is None else f"{value * 100:.2f}%"


class RecordsTab(QWidget):
    """One tab of the page. A subclass gives `title`, `load(db, school_id)` — its data for the
    school (None: every school), read on the worker without touching widgets — and
    `show_data(data)`, called on the GUI thread with what load returned."""

    title = ""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id: str | None = None
