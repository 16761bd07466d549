"""The 质量目标 page: the township adds a target in its form (a bad value shown in the form), sees it
beside the exam's result and lists the missed ones; a school's teacher account sees its school's only,
with nothing to change."""
from __future__ import annotations

import os

import shiboken6

from app.db.database import open_database
from app.services.users import login
from app.stats.target_results import target_results
from ui.pages.targets_page import TargetDialog, TargetsPage
from ui.session import Session
from ui_helpers import column_texts


def _page(path, user, tasks, qtbot):
    db = open_database(path)
    page = TargetsPage(Session(path, db, login(db, user, "demo"), tasks))
    page.resize(1024, 700)
    page.show()
    qtbot.waitExposed(page)
    return page, db


def test_township_adds_a_target_and_sees_it_missed(demo_path, tasks, boxes, qapp, qtbot, tmp_path):
    page, db = _page(demo_path, "admin", tasks, qtbot)
    try:
        dialog = TargetDialog(page.session, page)
        dialog.school_box.setCurrentIndex(dialog.school_box.findText("油溪完全小学"))
        dialog.grade_box.setCurrentIndex(dialog.grade_box.findData(3))
        dialog.subject_box.setCurrentIndex(dialog.subject_box.findText("数学"))
        dialog.metric_box.setCurrentIndex(dialog.metric_box.findText("平均分"))
        dialog.target_edit.setText("很多")
        dialog.accept()
        assert "平均分的目标值“很多”不对" in dialog.form.general_text()
        dialog.target_edit.setText("99")
        dialog.accept()
        assert dialog.result() == TargetDialog.DialogCode.Accepted
        page.reload()
        exam = page.exam_combo.currentData()
        expected = target_results(db, exam)[0]
        assert column_texts(page.table, "学校") == ["油溪完全小学"]
        assert column_texts(page.table, "实际") == [f"{expected['result']:.1f}"]
        assert column_texts(page.table, "完成情况") == ["未完成"]
        page.missed_only.setChecked(True)
        assert column_texts(page.table, "完成情况") == ["未完成"]
        if os.environ.get("SCHOOLQ_SCREENSHOTS"):
            page.grab().save(str(tmp_path / "targets_page.png"))
    finally:
        page.close()
        shiboken6.delete(page)
        db.close()


def test_a_teacher_sees_their_schools_targets_only(demo_path, tasks, boxes, qapp, qtbot):
    db = open_database(demo_path)
    from app.db.writes import SYSTEM
    from app.services.targets import set_targets
    set_targets(db, SYSTEM, [{"school": "QSZ01", "metric": "及格率", "target": "80%"},
                             {"school": "QSZ02", "metric": "及格率", "target": "80%"}])
    db.close()
    page, db = _page(demo_path, "laoshi", tasks, qtbot)
    try:
        own = page.session.actor.school_id
        name = db.execute("SELECT name FROM school WHERE id = ?", [own]).fetchone()[0]
        assert set(column_texts(page.table, "学校")) == {name}
        assert page.add_button.isHidden() and page.delete_button.isHidden() and page.import_button.isHidden()
    finally:
        page.close()
        shiboken6.delete(page)
        db.close()


def test_township_sets_a_teachers_target_in_the_form(demo_path, tasks, boxes, qapp, qtbot):
    page, db = _page(demo_path, "admin", tasks, qtbot)
    try:
        dialog = TargetDialog(page.session, page)
        dialog.school_box.setCurrentIndex(dialog.school_box.findText("青山镇中心小学"))
        assert dialog.teacher_box.itemText(0) == "学校的目标(不分解到教师)"
        dialog.teacher_box.setCurrentIndex(dialog.teacher_box.findData("QSZ01009"))
        dialog.subject_box.setCurrentIndex(dialog.subject_box.findText("语文"))
        dialog.metric_box.setCurrentIndex(dialog.metric_box.findText("平均分"))
        dialog.target_edit.setText("82")
        if os.environ.get("SCHOOLQ_SCREENSHOTS"):
            dialog.show()
            qtbot.wait(20)
            dialog.grab().save(os.path.join(os.environ["SCHOOLQ_SCREENSHOTS"], "target_dialog.png"))
        dialog.accept()
        assert dialog.result() == TargetDialog.DialogCode.Accepted
        page.reload()
        assert "邓梓" in column_texts(page.table, "教师")
    finally:
        page.close()
        shiboken6.delete(page)
        db.close()
