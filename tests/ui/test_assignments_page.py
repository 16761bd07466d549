"""任课: the grid class × subject → teacher, saved all at once, and the 任课表 import with its preview."""
from __future__ import annotations

import openpyxl
from PySide6.QtCore import Qt

from conftest import audit_rows
from app.services.assignments import Wanted
from ui.pages.assignments_page import AssignmentPreviewDialog, AssignmentsPage, CellEditor
from ui_helpers import when_modal


def _index(page, class_name, subject):
    model = page.model
    row = [model.headerData(r, Qt.Orientation.Vertical) for r in range(model.rowCount())].index(class_name)
    column = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index(subject)
    return model.index(row, column)


def _teacher(session, name):
    return session.db.execute("SELECT id FROM teacher WHERE name = ?", [name]).fetchone()[0]


def test_grid_edit_is_pending_until_saved(window, school_session, small_school):
    page = window.show_page(AssignmentsPage)
    assert page.save_button.isEnabled()
    cell = _index(page, "三(1)班", "数学")
    assert cell.data() == ""
    page.model.setData(cell, Wanted(_teacher(school_session, "赵丽"), 5.0))
    assert cell.data() == "赵丽 5节"
    assert "1 处改动未保存" in page.message.text()
    assert audit_rows(small_school, "teaching_assignment") == []
    page.save()
    assert "新增 1 处" in page.message.text()
    assert _index(page, "三(1)班", "数学").data() == "赵丽 5节"
    rows = school_session.db.execute("SELECT weekly_periods FROM teaching_assignment").fetchall()
    assert rows == [(5.0,)]


def test_editor_offers_the_schools_teachers(window, school_session):
    page = window.show_page(AssignmentsPage)
    cell = _index(page, "三(2)班", "语文")
    page.table.setCurrentIndex(cell)
    page.table.edit(cell)
    editor = page.table.viewport().findChild(CellEditor)
    texts = [editor.teacher.itemText(i) for i in range(editor.teacher.count())]
    assert texts == ["(无)", "李明 T01", "赵丽 T02"]
    assert editor.periods.value() == 7  # 浙江 2023 plan: 语文 7 periods in grade 3


def test_import_previews_problems_with_sheet_row_and_column(window, school_session, tmp_path, small_school):
    page = window.show_page(AssignmentsPage)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "任课"
    sheet.append(["班级", "语文", "数学"])
    sheet.append(["三(1)班", "李明", "赵老师"])
    path = tmp_path / "任课表.xlsx"
    book.save(path)
    seen = {}

    def look(dialog):
        assert isinstance(dialog, AssignmentPreviewDialog)
        seen["summary"] = dialog.summary.text()
        seen["rows"] = [[dialog.model.index(r, c).data() for c in range(4)] for r in range(dialog.model.rowCount())]
        seen["import"] = dialog.import_button.isEnabled()
        dialog.reject()

    errors = when_modal(look)
    page.import_path(path)
    assert not errors
    assert "1 个问题" in seen["summary"] and not seen["import"]
    assert seen["rows"][0][:3] == ["任课", "2", "数学"] and "赵老师" in seen["rows"][0][3]
    assert audit_rows(small_school, "teaching_assignment") == []


def test_template_export_then_import_round_trip(window, school_session, tmp_path, boxes):
    page = window.show_page(AssignmentsPage)
    path = tmp_path / "任课表.xlsx"
    page.export_to(path)
    book = openpyxl.load_workbook(path)
    sheet = book["任课表"]
    assert [c.value for c in sheet[1]][:3] == ["班级", "语文", "数学"]
    sheet["B2"] = "李明 6"
    book.save(path)
    errors = when_modal(lambda dialog: dialog.accept())
    page.import_path(path)
    assert not errors
    assert "新增 1 处" in page.message.text()
    first = page.model.headerData(0, Qt.Orientation.Vertical)
    assert _index(page, first, "语文").data() == "李明 6节"
