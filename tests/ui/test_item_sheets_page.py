"""The 考核评估表 page: the township types a school's 篇20 items in the form and sees 绩效得分 and 等次
as it types; a school's account fills its 篇10 self-assessment beside the township's score column it
cannot change; a bad cell is refused in Chinese and nothing is written."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt

from app.db.database import open_database
from app.services.scheme_sheets import annual_rows, evaluation_rows
from app.services.users import login
from app.stats.annual import annual_scores
from ui.pages.item_sheets_page import SELF, TOWNSHIP, ItemSheetsPage
from ui.session import Session

YEAR = "2026-2027"


def _page(path, user, tasks, qtbot):
    db = open_database(path)
    page = ItemSheetsPage(Session(path, db, login(db, user, "demo"), tasks))
    page.resize(1024, 700)
    page.show()
    qtbot.waitExposed(page)
    page.year_combo.setCurrentIndex(page.year_combo.findData(YEAR))
    return page, db


def _grab(page, qtbot, name):
    folder = os.environ.get("SCHOOLQ_SCREENSHOTS")
    if folder:
        qtbot.wait(20)  # let the layout follow the combos' contents, as it does for a user
        page.grab().save(os.path.join(folder, name))


def test_the_township_types_the_annual_items_and_sees_the_score(demo_path, tasks, boxes, qapp, qtbot):
    page, db = _page(demo_path, "admin", tasks, qtbot)
    try:
        page.school_combo.setCurrentIndex(page.school_combo.findText("油溪完全小学"))
        page.kind_combo.setCurrentIndex(page.kind_combo.findData("annual"))
        values = {"index": 85, "dynamic": 90, "leaders_1": 10, "leaders_2": 5, "leaders_3": 3, "leaders_votes": 20,
                  "others_1": 120, "others_2": 40, "others_3": 20, "others_votes": 200, "quality": 8}
        for key, value in values.items():
            page.annual.editors[key].setValue(value)
        # (see tests/core/test_scheme_sheets.py) 满意度 81.1, 绩效得分 94.11 → 好
        assert "满意度 81.1;绩效得分 94.1;等次:好" in page.result.text()
        page.annual.editors["criticised"].setChecked(True)
        assert "等次:较好" in page.result.text()
        _grab(page, qtbot, "item_sheet_annual.png")
        page.save()
        school = annual_scores(db, annual_rows(db, YEAR))["schools"][0]
        assert (school["school_name"], round(school["score"], 2), school["band"]) == ("油溪完全小学", 94.11, "较好")
    finally:
        page.session.close()
        db.close()


def test_a_school_fills_its_self_assessment_beside_the_townships_column(demo_path, tasks, boxes, qapp, qtbot):
    page, db = _page(demo_path, "admin", tasks, qtbot)
    head = db.execute("SELECT username FROM app_user WHERE role = 'school_admin' ORDER BY username LIMIT 1").fetchone()
    page.session.close()
    db.close()
    page, db = _page(demo_path, head[0], tasks, qtbot)
    try:
        page.kind_combo.setCurrentIndex(page.kind_combo.findData("evaluation"))
        assert page.school_combo.count() == 1 and page.items.rowCount() == 11
        assert page.items.item(0, 1).text() == "课程实施" and "课时安排" in page.items.item(0, 2).text()
        assert not page.items.item(0, TOWNSHIP).flags() & Qt.ItemFlag.ItemIsEditable
        assert page.items.item(0, SELF).flags() & Qt.ItemFlag.ItemIsEditable
        for row in range(11):
            page.items.item(row, SELF).setText(str(int(float(page.items.item(row, 3).text())) - 1))
        assert "合计 229 分,达标" in page.result.text() and "乡镇尚未评完" in page.result.text()
        page.items.item(0, SELF).setText("二十")
        assert "不是数字" in page.result.text()
        page.save()
        assert "不是数字" in boxes.texts()[-1]
        assert evaluation_rows(db, YEAR) == [], "nothing written"
        page.items.item(0, SELF).setText("19")
        _grab(page, qtbot, "item_sheet_evaluation.png")
        page.save()
        assert sum(r["self"] for r in evaluation_rows(db, YEAR)) == 229
    finally:
        page.session.close()
        db.close()
