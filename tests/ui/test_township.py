"""A township database: the 学校 column and the school filter, on the demo township."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.database import open_database
from app.services.users import login
from ui.pages.pupils_page import PupilsPage
from ui.pages.teachers_page import TeachersPage
from ui.session import Session
from ui_helpers import column_texts, header_titles


def test_township_pupils_have_a_school_column_and_filter(demo_path, make_window, tasks):
    check = Database(demo_path)
    per_school = {r["name"]: r["n"] for r in check.query(
        "SELECT s.name, COUNT(p.id) AS n FROM school s JOIN pupil p ON p.school_id = s.id GROUP BY s.id")}
    total = check.execute("SELECT COUNT(*) FROM pupil").fetchone()[0]
    check.close()
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    window = make_window(session)
    assert window.status_labels["kind"].text() == "乡镇数据库"
    page = window.show_page(PupilsPage)
    assert header_titles(page.table)[0] == "学校"
    assert page.count_label.text() == f"显示 {total} / 共 {total} 人"
    assert not page.class_combo.isEnabled()  # classes are chosen within one school
    page.school_combo.setCurrentIndex(page.school_combo.findText("竹林教学点"))
    assert set(column_texts(page.table, "学校")) == {"竹林教学点"}
    assert len(column_texts(page.table, "学校")) == per_school["竹林教学点"]
    assert page.class_combo.isEnabled() and page.class_combo.count() > 1
    teachers = window.show_page(TeachersPage)
    assert header_titles(teachers.table)[0] == "学校"
    itinerant = [s for s in column_texts(teachers.table, "走教学校") if s]
    assert len(itinerant) == 3  # the demo has three 走教 teachers
