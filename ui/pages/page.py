"""The base of every page of the main window: reloads itself when data changed and it is shown."""
from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from ui.session import Changed, Session


class Page(QWidget):
    """A page of the main window. Subclasses give `page_title()`, `refresh()` (which reloads the
    page's data, in the background when it is large) and `depends_on`: what it shows, so that a
    write of anything else leaves it alone."""

    depends_on: Changed = Changed.ALL

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self._stale = True
        session.data_changed.connect(self.mark_stale)

    def mark_stale(self, changed: Changed = Changed.ALL) -> None:
        """Note that `changed` changed: when the page shows any of it, reload now if visible, else
        when next shown."""
        if not changed & self.depends_on:
            return
        self._stale = True
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        """Reload the page's data now."""
        self._stale = False
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        """Reload on show when the data changed meanwhile."""
        super().showEvent(event)
        if self._stale:
            self.reload()
