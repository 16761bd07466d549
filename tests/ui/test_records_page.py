"""The 控辍与记录 page on the demo township: the 巩固率 table and who left match the demo's status
history; marking a pupil 流失 in the pupil form records the reason and warns the same day."""
from __future__ import annotations

import pytest
import shiboken6

from app.db.database import open_database
from app.queries.roster import list_pupils
from app.services.users import login
from ui.dialogs.pupil_dialog import PupilDialog
from ui.pages.records_page import RecordsPage
from ui.session import Session
from ui_helpers import column_texts

SHOTS = None  # set to a folder path to save screenshots while developing


@pytest.fixture
def page(demo_path, tasks, boxes, qapp, qtbot):
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    page = RecordsPage(session)
    page.resize(1300, 760)
    page.show()
    qtbot.waitExposed(page)
    yield page
    page.close()
    shiboken6.delete(page)
    db.close()


def test_retention_tab_lists_the_demo_dropouts(page):
    tab = page.record_tabs[0]
    names = column_texts(tab.left_table, "姓名")
    db = page.session.db
    expected = [r[0] for r in db.execute("SELECT name FROM pupil WHERE status = '流失' ORDER BY name")]
    assert sorted(names) == expected and len(expected) == 3
    reasons = set(column_texts(tab.left_table, "原因"))
    assert "随父母外出务工,未办转学手续" in reasons
    # one row per school and per grade; the school rows add up to the summary's base
    schools = [g for g in column_texts(tab.rate_table, "年级") if g == "全校"]
    assert len(schools) == db.execute("SELECT COUNT(*) FROM school").fetchone()[0]
    assert "流失 3 人" in tab.summary.text()
    assert tab.warning.isHidden()  # nobody was marked 流失 today


def test_marking_a_pupil_left_warns_and_shows_on_the_page(page, boxes, qtbot):
    session = page.session
    pupil = next(p for p in list_pupils(session.db) if p["status"] == "在读" and p["grade"] == 5)
    dialog = PupilDialog(session, pupil, parent=page)
    dialog.status.setCurrentIndex(dialog.status.findData("流失"))
    dialog.status_date.setText("")
    dialog.status_note.setText("外出打工")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert any("已标记为流失" in text for text in boxes.texts("warning"))
    note = session.db.execute("SELECT note FROM pupil_status_change WHERE pupil_id = ? AND status = '流失'",
                              [pupil["id"]]).fetchone()[0]
    assert note == "外出打工"
    page.reload()
    tab = page.record_tabs[0]
    assert not tab.warning.isHidden() and pupil["name"] in tab.warning.text()
    assert "外出打工" in column_texts(tab.left_table, "原因")
    if SHOTS:
        page.grab().save(f"{SHOTS}/records_retention.png")
