"""控辍与记录: 控辍保学 (巩固率, 流失率, who left), homework load (作业公示), 家访 and 集体备课, for one
school or every school of the database (the township's summary)."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.queries.roster import list_schools
from ui.dialogs.messages import show_error
from ui.pages.page import Page
from ui.pages.records.common import RecordsTab
from ui.pages.records.homework_tab import HomeworkTab
from ui.pages.records.prep_tab import PrepTab
from ui.pages.records.retention_tab import RetentionTab
from ui.pages.records.visits_tab import VisitsTab
from ui.session import Changed, Session
from ui.widgets.scaffold import school_bar


class RecordsPage(Page):
    """The 控辍与记录 page: a school chooser above one tab per kind of record."""

    depends_on = Changed.ROSTER | Changed.RECORDS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.school_combo, self.status, self.tabs = school_bar(self, self.reload)
        self.record_tabs: list[RecordsTab] = [RetentionTab(session), HomeworkTab(session), VisitsTab(session),
                                             PrepTab(session)]
        for tab in self.record_tabs:
            self.tabs.addTab(tab, self.tr(tab.title))
        schools = list_schools(session.db)
        self.school_combo.fill(schools, everyone=len(schools) > 1, preferred=session.actor.school_id)
        self.school_combo.setVisible(len(schools) > 1)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("控辍与记录")

    def school_id(self) -> str | None:
        """Return the school chosen (None: every school)."""
        return self.school_combo.school()

    def refresh(self) -> None:
        """Load every tab's data on the worker, then show it."""
        school_id = self.school_id()
        session = self.session
        tabs = list(self.record_tabs)
        for tab in tabs:
            tab.school_id = school_id
        self.status.setText(self.tr("正在统计…"))

        def work(_control) -> list:
            db = session.worker_db()
            return [tab.load(db, school_id) for tab in tabs]

        def done(results: list) -> None:
            for tab, data in zip(tabs, results):
                tab.show_data(data)
            self.status.setText(session.term_name())

        session.tasks.run(work, on_done=done, on_error=lambda exc: show_error(self, exc), key=self)
