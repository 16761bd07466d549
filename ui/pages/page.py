"""The base of every page of the main window: reloads itself when data changed and it is shown."""
from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.services.exams import list_exams
from ui.session import Changed, Session
from ui.widgets.choosers import refill


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


class ExamFiguresPage(Page):
    """A page of one exam's figures read in the background (考试概览, 质量分析). Subclasses have an
    `exam_combo`, a `status` line, the `data` read and `show_data()`; while no exam has marks the
    page shows itself empty and says what to do."""

    exam_combo: QComboBox
    status: QLabel
    data: object

    def fill_exams(self) -> None:
        """List the exams with marks in `exam_combo`, keeping the one chosen."""
        refill(self.exam_combo, [(e["name"], e["id"], e["term_name"]) for e in list_exams(self.session.db)
                                 if e["n_marks"]])

    def chosen_exam(self) -> str | None:
        """Return the id of the exam chosen; without one (no exam has marks yet) stop the page's
        reading, show it empty with what to do, and return None."""
        exam_id = self.exam_combo.currentData()
        if exam_id is None:
            self.session.tasks.cancel(self)
            self.data = None
            self.status.setText(self.tr("还没有录入成绩的考试。请先在“考试成绩”页录入或导入成绩。"))
            self.show_data()
        return exam_id
