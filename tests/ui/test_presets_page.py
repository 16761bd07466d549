"""The 评分方案 page: every kind listed by its Chinese name (ids and hashes only in the details box), a
shipped preset copied, edited in its form (a new version, problems shown under the field), put in force."""
from __future__ import annotations

import os

import pytest
import shiboken6

from app.db.database import open_database
from app.presets import effective
from app.services.users import login
from ui.dialogs.preset_dialog import PresetDialog
from ui.pages.presets_page import PresetsPage
from ui.session import Session
from ui_helpers import column_texts


@pytest.fixture
def page(demo_path, tasks, boxes, qapp, qtbot):
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    page = PresetsPage(session)
    page.resize(1024, 700)
    page.show()
    qtbot.waitExposed(page)
    yield page
    page.close()
    shiboken6.delete(page)
    db.close()


def _select(page: PresetsPage, name: str) -> None:
    row = column_texts(page.table, "名称").index(name)
    page.table.selectRow(row)


def test_lists_every_kind_in_chinese_and_keeps_ids_in_the_details(page, tmp_path):
    kinds = set(column_texts(page.table, "类别"))
    assert kinds == {"三率一分与质量分析阈值", "教师教学业绩得分", "乡镇单科成绩", "中心小学得分",
                     "学校教学质量评估(240 分)", "教师年度考核", "课表检查规则",
                     "工作量系数与标准", "听课评价表与听课任务", "教学常规评分表", "作业、家访、集体备课与学业档案要求",
                     "课程计划"}
    shown = " ".join(" ".join(column_texts(page.table, t)) for t in ("类别", "名称", "版本", "来源", "状态"))
    assert "000" not in shown and "篇7" not in shown and "township-000-7" not in shown
    _select(page, "乡镇质量检测单科成绩")
    details = page.details.toPlainText()
    assert "township-000-7" in details and "《提升教育教学质量实施方案》篇7" in details
    assert not page.edit_button.isEnabled() and page.copy_button.isEnabled()
    _select(page, "浙江省义务教育课程设置(2023年版)")  # adjusted per school on the timetable page
    assert "curriculum-zhejiang-2023" in page.details.toPlainText()
    assert not page.copy_button.isEnabled() and not page.activate_button.isEnabled()
    if os.environ.get("SCHOOLQ_SCREENSHOTS"):
        page.grab().save(str(tmp_path / "presets_page.png"))


def test_weights_not_summing_to_one_are_shown_under_the_form(page, monkeypatch):
    _select(page, "乡镇质量检测单科成绩")
    monkeypatch.setattr("ui.pages.presets_page.QInputDialog.getText", lambda *a, **k: ("本镇单科成绩", True))
    page.copy_button.click()
    _select(page, "本镇单科成绩")
    dialog = PresetDialog(page.session, page.selected().preset, page)
    dialog.widgets["weights.mean"].setValue(0.6)
    dialog.accept()
    assert dialog.saved is None and "各项权重之和应为 100%,现在是 110%" in dialog.form.general_text() + \
        dialog.form.error_text("weights")
    dialog.widgets["weights.excellent_rate"].setValue(0.1)
    dialog.accept()
    assert dialog.saved is not None and dialog.saved["weights"]["mean"] == 0.6 and dialog.saved.version == 2


def test_copy_edit_in_the_form_and_activate(page, boxes, qtbot, monkeypatch, tmp_path):
    _select(page, "教师工作量系数与标准(默认)")
    monkeypatch.setattr("ui.pages.presets_page.QInputDialog.getText", lambda *a, **k: ("山区工作量", True))
    page.copy_button.click()
    assert "山区工作量" in column_texts(page.table, "名称")
    _select(page, "山区工作量")
    assert page.edit_button.isEnabled()
    entry = page.selected()
    dialog = PresetDialog(page.session, entry.preset, page)
    dialog.widgets["standard.教学点"].setValue(22)
    dialog.widgets["subject_coefficients.yw"].setValue(1.5)
    dialog.show()
    if os.environ.get("SCHOOLQ_SCREENSHOTS"):
        dialog.grab().save(str(tmp_path / "preset_dialog.png"))
    assert dialog.size().height() <= 768 and dialog.size().width() <= 1024
    dialog.accept()
    assert dialog.saved is not None and dialog.saved.version == 2
    page.reload()
    _select(page, "山区工作量")
    assert column_texts(page.table, "版本")[column_texts(page.table, "名称").index("山区工作量")] == "第 2 版"
    page.activate_button.click()
    in_force = effective(page.session.db, "workload")
    assert (in_force.name, in_force.version, in_force["standard"]["教学点"]) == ("山区工作量", 2, 22)
    assert in_force["subject_coefficients"]["yw"] == 1.5
    assert column_texts(page.table, "状态")[column_texts(page.table, "名称").index("山区工作量")] == "在用"


def test_the_records_preset_is_edited_like_the_others_and_chooses_the_parents_copy(page, boxes, monkeypatch,
                                                                                  tmp_path):
    from app.support.pupil_record import shown_parts

    _select(page, "作业、家访、集体备课与学业档案要求(默认)")
    monkeypatch.setattr("ui.pages.presets_page.QInputDialog.getText", lambda *a, **k: ("本校档案与家访", True))
    page.copy_button.click()
    _select(page, "本校档案与家访")
    dialog = PresetDialog(page.session, page.selected().preset, page)
    combo = dialog.widgets["pupil_record.t_scores"]
    assert [combo.itemText(i) for i in range(combo.count())] == ["印出", "不印"]
    combo.setCurrentIndex(0)
    dialog.widgets["home_visits.quota.班主任"].setValue(12)
    dialog.show()
    if os.environ.get("SCHOOLQ_SCREENSHOTS"):
        dialog.grab().save(str(tmp_path / "records_preset_dialog.png"))
    assert dialog.size().height() <= 768 and dialog.size().width() <= 1024
    dialog.accept()
    assert dialog.saved is not None and dialog.saved.version == 2
    page.reload()
    _select(page, "本校档案与家访")
    page.activate_button.click()
    school_id = page.session.db.execute("SELECT id FROM school ORDER BY code").fetchone()[0]
    shown, preset = shown_parts(page.session.db, school_id)
    assert preset.name == "本校档案与家访" and "t_scores" in shown
    assert effective(page.session.db, "records")["home_visits"]["quota"]["班主任"] == 12
