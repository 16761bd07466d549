"""What the tabs of the 控辍与记录 page share: the warning style, rates as text and the tab interface
(their tables and record actions come from ui.widgets.scaffold)."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ui.session import Session

WARNING_STYLE = "color: #b3261e; font-weight: bold;"


def percent(value: float | None) -> str:
    """Return a rate as 95.24%, '—' for None."""
    return "—" if value is None else f"{value * 100:.2f}%"


class RecordsTab(QWidget):
    """One tab of the page. A subclass gives `title`, `load(db, school_id)` — its data for the
    school (None: every school), read on the worker without touching widgets — and
    `show_data(data)`, called on the GUI thread with what load returned (the tables' snapshots
    are built in load: a county's rows held the GUI thread otherwise)."""

    title = ""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id: str | None = None
