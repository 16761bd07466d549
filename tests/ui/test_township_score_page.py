"""The 乡镇考核 page on the demo township: the 篇7 school totals as the library computes them, the
teaching points outside 学校总评, the flags with their rules, and the report kind in 报表."""
from __future__ import annotations

import os

import shiboken6

from app.db.database import open_database
from app.services.users import login
from app.stats.township_scheme import township_subject_scores
from ui.pages.reports_page import ReportsPage
from ui.pages.township_score_page import TownshipScorePage
from ui.session import Session
from ui_helpers import column_texts


def test_school_totals_flags_and_rules(demo_path, tasks, boxes, qapp, qtbot, tmp_path):
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    page = TownshipScorePage(session)
    page.resize(1024, 700)
    page.show()
    qtbot.waitExposed(page)
    try:
        page.exam_combo.setCurrentIndex(page.exam_combo.findText("2026—2027学年第一学期期中统考(2026-2027-1)"))
        expected = township_subject_scores(db, page.exam_combo.currentData())["schools"]
        assert column_texts(page.school_table, "学校") == [s["school_name"] for s in expected]
        assert column_texts(page.school_table, "学校总评") == [f"{s['total']:.1f}" for s in expected]
        ranks = dict(zip(column_texts(page.school_table, "学校"), column_texts(page.school_table, "组内名次")))
        assert ranks["黄土岭教学点"] == "不参与" and ranks["青山镇中心小学"] == "1/1"
        rules = page.rules.toPlainText()
        assert "镇质量检测总评第一名的奖励学校1000元" in rules and "篇7" not in rules
        assert "秋季入学名册" in page.basis.text() and "township-000-7" not in page.basis.text()
        assert len(column_texts(page.item_table, "学校")) == 92
        if os.environ.get("SCHOOLQ_SCREENSHOTS"):
            page.grab().save(str(tmp_path / "township_score_page.png"))
        reports = ReportsPage(session)
        assert reports.kind_combo.findData("township-score") >= 0
        shiboken6.delete(reports)
    finally:
        page.close()
        shiboken6.delete(page)
        db.close()
