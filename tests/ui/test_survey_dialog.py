"""The 多方评价得分 dialog of the 年度考核 tab (000 篇11): the township types a teacher's five survey
scores, a word in a score cell is refused in Chinese with nothing saved, and with the 360° preset in
force the tab shows the five sides and the weighted total."""
from __future__ import annotations

import os

import shiboken6

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.preset_store import activate
from app.services.appraisal_surveys import survey_scores
from app.services.users import login
from ui.dialogs.survey_dialog import SurveyDialog
from ui.pages.workload_page import WorkloadPage
from ui.session import Session
from ui_helpers import column_texts, header_titles

YEAR = "2026-2027"


def test_the_township_types_survey_scores_and_the_appraisal_weighs_them(demo_path, tasks, boxes, qapp, qtbot):
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    page = WorkloadPage(session)
    page.resize(1024, 700)
    page.show()
    qtbot.waitExposed(page)
    try:
        tab = page.appraisal_tab
        page.tabs.setCurrentWidget(tab)
        tab.year_combo.setCurrentIndex(tab.year_combo.findData(YEAR))
        teachers = [r for r in tab.rows if r["staff_no"] == "QSZ01009"]
        dialog = SurveyDialog(session, YEAR, teachers, page)
        for column, value in enumerate(("90", "80", "八十五", "70", "100"), start=2):
            dialog.table.item(0, column).setText(value)
        dialog.accept()
        assert "邓梓的领导评价“八十五”不是数字" in boxes.texts()[-1] and survey_scores(db, YEAR) == {}
        dialog.table.item(0, 4).setText("85")
        folder = os.environ.get("SCHOOLQ_SCREENSHOTS")
        if folder:
            dialog.show()
            qtbot.wait(20)
            dialog.grab().save(os.path.join(folder, "survey_dialog.png"))
        dialog.accept()
        assert dialog.result() == SurveyDialog.DialogCode.Accepted
        activate(db, SYSTEM, "appraisal-000-11")
        tab.refresh()
        assert header_titles(tab.table)[4:9] == ["教师自评", "同事互评", "领导评价", "学生评价", "家长评价"]
        row = column_texts(tab.table, "工号").index("QSZ01009")
        # 90 × 40 % + 80 × 10 % + 85 × 10 % + 70 × 30 % + 100 × 10 % = 83.5
        assert column_texts(tab.table, "总分")[row] == "83.50"
        if folder:
            page.grab().save(os.path.join(folder, "appraisal_360.png"))
    finally:
        page.close()
        shiboken6.delete(page)
        session.close()
        db.close()
