"""The pages of the main window. A new page is one line in PAGES (a Page subclass); a page whose class
sets `township_only = True` is shown only for a township (or county) database."""
from __future__ import annotations

from ui.pages.assignments_page import AssignmentsPage
from ui.pages.classes_page import ClassesPage
from ui.pages.exam_overview_page import ExamOverviewPage
from ui.pages.exams_page import ExamsPage
from ui.pages.exchange_page import ExchangePage
from ui.pages.item_sheets_page import ItemSheetsPage
from ui.pages.marks_page import MarksPage
from ui.pages.overview_page import OverviewPage
from ui.pages.page import Page
from ui.pages.presets_page import PresetsPage
from ui.pages.pupils_page import PupilsPage
from ui.pages.quality_page import QualityPage
from ui.pages.records_page import RecordsPage
from ui.pages.reports_page import ReportsPage
from ui.pages.settings_page import SettingsPage
from ui.pages.support_page import SupportPage
from ui.pages.targets_page import TargetsPage
from ui.pages.teachers_page import TeachersPage
from ui.pages.timetable_page import TimetablePage
from ui.pages.township_score_page import TownshipScorePage
from ui.pages.workload_page import WorkloadPage

PAGES: list[type[Page]] = [
    OverviewPage,
    ClassesPage,
    PupilsPage,
    TeachersPage,
    AssignmentsPage,
    ExamsPage,
    MarksPage,
    ExamOverviewPage,
    QualityPage,
    TownshipScorePage,
    TargetsPage,
    ItemSheetsPage,
    ReportsPage,
    TimetablePage,
    WorkloadPage,
    RecordsPage,
    SupportPage,
    ExchangePage,
    PresetsPage,
    SettingsPage,
]
