"""Importing a roster: the preview shows every problem with sheet, row and column, 导入 only when
there is none, 只导入无误的行 as an explicit choice."""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from sqlite_utils import Database

from app.errors import Problem
from ui.dialogs.import_preview_dialog import IMPORT_VALID, ImportPreviewDialog
from ui.pages.pupils_page import PupilsPage
from ui.pages.teachers_page import TeachersPage
from ui_helpers import column_texts, when_modal


@dataclass
class FakePlan:
    """Stands in for RosterPlan: only what the preview reads."""

    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    new_classes: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return self.counts


def test_preview_with_problems_disables_import_and_lists_where(qtbot, owned):
    plan = FakePlan(
        problems=[Problem("身份证件号校验位不正确,请核对是否抄错。", sheet="三年级", row=7, column="身份证号"),
                  Problem("性别应填“男”或“女”。", sheet="三年级", row=9, column="性别")],
        new_classes=["三(3)班"],
        counts={"add": 20, "update": 3, "unchanged": 1, "problems": 2, "rows_with_problems": 2, "new_classes": 1})
    dialog = owned(ImportPreviewDialog(plan, "学生名册", "三年级名册.xlsx"))
    assert not dialog.import_button.isEnabled()
    assert not dialog.valid_button.isHidden()
    assert dialog.summary_label.text() == "新增 20 人,更新 3 人,未变 1 人,新建班级 1 个"
    assert dialog.problem_texts() == [
        ["三年级", "7", "身份证号", "身份证件号校验位不正确,请核对是否抄错。"],
        ["三年级", "9", "性别", "性别应填“男”或“女”。"]]
    qtbot.mouseClick(dialog.valid_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == IMPORT_VALID


def test_preview_without_problems_offers_only_import(owned):
    plan = FakePlan(counts={"add": 5, "update": 0, "unchanged": 0, "problems": 0, "rows_with_problems": 0})
    dialog = owned(ImportPreviewDialog(plan, "学生名册", "名册.csv"))
    assert dialog.import_button.isEnabled()
    assert dialog.valid_button.isHidden()
    assert dialog.problem_texts() == []


ROSTER_CSV = """学籍号,姓名,性别,年级,班级,出生日期,是否留守儿童
G5001,钱多多,男,3,三(1)班,2016-04-02,是
G5002,孙小美,女,3,三(3)班,2016-07-19,否
G5003,李四,未知,3,三(1)班,2016-01-01,否
"""


def test_importing_a_csv_with_a_bad_row_imports_only_the_valid_rows_when_chosen(window, small_school, boxes,
                                                                                   tmp_path, qtbot):
    path = tmp_path / "三年级名册.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8-sig")
    page = window.show_page(PupilsPage)
    seen = {}

    def preview(dialog: ImportPreviewDialog) -> None:
        seen["import_enabled"] = dialog.import_button.isEnabled()
        seen["problems"] = dialog.problem_texts()
        seen["summary"] = dialog.summary_label.text()
        qtbot.mouseClick(dialog.valid_button, Qt.MouseButton.LeftButton)

    errors = when_modal(preview)
    page.import_path(path)
    assert errors == []
    assert seen["import_enabled"] is False
    assert seen["summary"].startswith("新增 2 人")
    assert [row[1] for row in seen["problems"]] == ["4"]  # the header is row 1, 李四 is row 4
    assert "性别" in seen["problems"][0][2] + seen["problems"][0][3]
    names = column_texts(page.table, "姓名")
    assert "钱多多" in names and "孙小美" in names and "李四" not in names
    db = Database(small_school)
    try:
        classes = [r["name"] for r in db.query("SELECT name FROM class ORDER BY name")]
        left_behind = db.execute("SELECT left_behind FROM pupil WHERE student_no = 'G5001'").fetchone()[0]
    finally:
        db.close()
    assert "三(3)班" in classes  # created for 孙小美
    assert left_behind == 1
    assert "新增 2 人" in boxes.texts("information")[-1]


def test_cancelling_the_preview_writes_nothing(window, small_school, tmp_path):
    path = tmp_path / "名册.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8")
    page = window.show_page(PupilsPage)
    errors = when_modal(lambda dialog: dialog.reject())
    page.import_path(path)
    assert errors == []
    assert len(column_texts(page.table, "姓名")) == 5


def test_a_file_that_is_not_a_table_is_refused_in_chinese(window, boxes, tmp_path):
    path = tmp_path / "照片.xlsx"
    path.write_bytes(b"\x89PNG not a workbook")
    window.show_page(PupilsPage).import_path(path)
    kind, title, text = boxes.shown[-1]
    assert kind in ("warning", "critical") and "Traceback" not in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_teacher_import_adds_teachers(window, small_school, boxes, tmp_path, qtbot):
    path = tmp_path / "教师.csv"
    path.write_text("工号,姓名,性别,任教学科\nT09,孔老师,女,英语\n", encoding="utf-8")
    page = window.show_page(TeachersPage)
    errors = when_modal(lambda dialog: qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton))
    page.import_path(path)
    assert errors == []
    assert "孔老师" in column_texts(page.table, "姓名")
