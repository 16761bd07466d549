"""The 课表 page on the demo township: the week of a class, the findings and where they point,
editing a cell with the clash shown before saving, the daily slot plan, importing and printing."""
from __future__ import annotations

import pytest
from openpyxl import Workbook
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QInputDialog, QLabel

from app.timetable.check import check_timetable
from ui.pages.timetable_dialogs import CellDialog, DayPlanDialog, PlanDialog, TimetableImportDialog
from ui.pages.timetable_page import TimetablePage
from ui_helpers import column_texts, when_modal


@pytest.fixture
def page(demo_session, show_page):
    return show_page(TimetablePage(demo_session))


def _choose(combo: QComboBox, text: str) -> None:
    combo.setCurrentIndex(combo.findText(text))


def _cells(page) -> dict[tuple[str, str], str]:
    model = page.grid_model
    down, across = Qt.Orientation.Vertical, Qt.Orientation.Horizontal
    return {(model.headerData(r, down).split("\n")[0], model.headerData(c, across)): model.index(r, c).data()
            for r in range(model.rowCount()) for c in range(model.columnCount())}


def test_class_week_and_school_summary(page, demo_session):
    assert page.page_title() == "课表"
    db = demo_session.db
    expected = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT s.name, COUNT(DISTINCT c.id), 0 FROM school s JOIN class c ON c.school_id = s.id"
        " JOIN academic_year y ON y.id = c.academic_year_id WHERE y.code = '2026-2027' GROUP BY s.id")}
    result = check_timetable(db)
    shown = dict(zip(column_texts(page.summary_table, "学校"), column_texts(page.summary_table, "有课表的班")))
    assert shown == {name: f"{n}/{n}" for name, (n, _) in expected.items()}
    warnings = {s["school_name"]: str(s["warnings"]) for s in result.schools}
    assert dict(zip(column_texts(page.summary_table, "学校"), column_texts(page.summary_table, "提醒"))) == warnings
    assert page.findings_title.text() == "本校检查结果:错误 0 条,提醒 0 条"
    _choose(page.item_combo, "三(1)班")
    lesson = db.execute(
        "SELECT t.day, p.label, s.name, x.name FROM timetable_slot t JOIN class c ON c.id = t.class_id"
        " JOIN school sc ON sc.id = c.school_id JOIN subject s ON s.id = t.subject_id JOIN teacher x ON x.id = t.teacher_id"
        " JOIN timetable_period p ON p.school_id = t.school_id AND p.slot = t.slot"
        " WHERE sc.code = 'QSZ01' AND c.name = '三(1)班' ORDER BY t.day, t.slot LIMIT 1").fetchone()
    days = {1: "星期一", 2: "星期二", 3: "星期三", 4: "星期四", 5: "星期五"}
    assert _cells(page)[(lesson[1], days[lesson[0]])] == f"{lesson[2]}\n{lesson[3]}"


def test_findings_of_a_village_school_lead_to_their_cell(page, demo_session):
    _choose(page.school_combo, "油溪完全小学")
    school = demo_session.db.execute("SELECT id FROM school WHERE name = '油溪完全小学'").fetchone()[0]
    expected = check_timetable(demo_session.db, school_id=school).findings
    assert page.findings_proxy.rowCount() == len(expected) > 0
    assert page.findings_title.text() == f"本校检查结果:错误 0 条,提醒 {len(expected)} 条"
    first = page.findings_proxy.row_data(0)["finding"]
    page.findings_table.clicked.emit(page.findings_proxy.index(0, 0))
    assert page.item_combo.currentText() == first.class_name
    current = page.grid_view.currentIndex()
    assert page.grid_model.grid.rows[current.row()].slot == first.period
    assert page.grid_model.grid.days[current.column()] == first.day
    assert "非任教学科授课" in page.detail.text()
    assert current.data(Qt.ItemDataRole.ToolTipRole)  # the marked cell explains itself


def test_edit_cell_shows_the_clash_while_choosing_then_saves(page, demo_session):
    db = demo_session.db
    # 三(1)班's Monday first lesson gets the teacher of 三(2)班's Monday first lesson: a clash.
    row = db.execute(
        "SELECT a.class_id, a.day, a.slot, b.teacher_id, x.name, x.staff_no FROM timetable_slot a"
        " JOIN class ca ON ca.id = a.class_id JOIN timetable_slot b ON b.day = a.day AND b.slot = a.slot"
        " JOIN class cb ON cb.id = b.class_id JOIN teacher x ON x.id = b.teacher_id JOIN school s ON s.id = ca.school_id"
        " WHERE s.code = 'QSZ01' AND ca.name = '三(1)班' AND cb.name = '三(2)班' AND cb.school_id = ca.school_id"
        " AND a.teacher_id != b.teacher_id ORDER BY a.day, a.slot LIMIT 1").fetchone()
    class_id, day, slot, teacher_id, teacher_name, staff_no = row
    _choose(page.item_combo, "三(1)班")
    grid = page.grid_model.grid
    index = page.grid_model.index(next(i for i, r in enumerate(grid.rows) if r.slot == slot), grid.days.index(day))
    seen: dict[str, str] = {}

    def pick(dialog):
        assert isinstance(dialog, CellDialog)
        assert dialog.hint.text() == "这一格没有冲突。"
        dialog.teacher.setCurrentIndex(dialog.teacher.findData(teacher_id))
        seen["hint"] = dialog.hint.text()
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    errors = when_modal(pick)
    page.edit_cell(index)
    assert not errors
    assert "教师时间冲突" in seen["hint"] and teacher_name in seen["hint"]
    assert db.execute("SELECT teacher_id FROM timetable_slot WHERE class_id = ? AND day = ? AND slot = ?",
                      [class_id, day, slot]).fetchone()[0] == teacher_id
    assert page.findings_title.text().startswith("本校检查结果:错误 1 条")
    assert page.grid_model.index(index.row(), index.column()).data(Qt.ItemDataRole.ToolTipRole)


def test_day_plan_dialog_changes_the_pe_hour(page, demo_session):
    def shorten(dialog):
        assert isinstance(dialog, DayPlanDialog)
        for r in range(dialog.model.rowCount()):
            if dialog.model.item(r, 1).text() == "下午大课间":
                dialog.model.item(r, 4).setText("20")
        dialog.save()

    errors = when_modal(shorten)
    page.edit_day_plan()
    assert not errors
    assert "每天体育活动不足一小时" in column_texts(page.findings_table, "规则")


def test_day_plan_dialog_keeps_problems_on_screen(page):
    def break_it(dialog):
        dialog.model.item(0, 3).setText("7点50")
        dialog.save()
        assert dialog.isVisible() and "无法识别" in dialog.findChild(QLabel, "day_plan_errors").text()
        dialog.reject()

    errors = when_modal(break_it)
    page.edit_day_plan()
    assert not errors


def test_plan_dialog_copies_then_edits(page, demo_session, boxes, monkeypatch):
    answers = iter([("地方课程", True), ("地方课程", True)])
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *args, **kwargs: next(answers)))

    def edit(dialog):
        assert isinstance(dialog, PlanDialog)
        assert dialog.copy_button.isVisible() and not dialog.model.item(0, 3).isEditable()
        dialog.copy()
        rows = {dialog.model.item(r, 0).text(): r for r in range(dialog.model.rowCount())}
        dialog.model.item(rows["数学"], 1).setText("数学、语文")   # 语文 already counts in its own line
        QApplication.processEvents()
        dialog.model.item(rows["数学"], 3).setText("5")           # grade 1 maths: 5 a week
        QApplication.processEvents()
        dialog.add()          # 地方课程 leaves the combined line only if taken out of it first: refused
        dialog.accept()

    errors = when_modal(edit)
    page.edit_plan()
    assert not errors
    refusals = boxes.texts("warning")
    assert any("已计入“语文”一行" in text for text in refusals)
    assert any("已计入“劳动、综合实践活动、地方课程、校本课程”一行" in text for text in refusals)
    rules = set(column_texts(page.findings_table, "规则"))
    assert rules == {"课时少于计划"}   # 数学 is 统考: four periods instead of five is a warning


def test_import_preview_and_write(page, demo_session, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["一(1)班课程表"])
    sheet.append(["节次", "星期一", "星期二", "星期三", "星期四", "星期五"])
    sheet.append(["第1节", "语文", "数学", "语文", "数学", "语文"])
    path = tmp_path / "课表.xlsx"
    book.save(path)
    shown = {}

    def accept(dialog):
        assert isinstance(dialog, TimetableImportDialog)
        shown["summary"] = dialog.findChild(QLabel, "import_summary").text()
        dialog.import_button.click()

    errors = when_modal(accept)
    page.import_path(path)
    assert not errors
    assert "1 个班、5 节课" in shown["summary"]
    db = demo_session.db
    assert db.execute("SELECT COUNT(*) FROM timetable_slot t JOIN class c ON c.id = t.class_id JOIN school s"
                      " ON s.id = c.school_id WHERE s.code = 'QSZ01' AND c.name = '一(1)班'").fetchone()[0] == 5
    assert "科目未开设" in column_texts(page.findings_table, "规则")


def test_print_current_class(page, tmp_path):
    _choose(page.item_combo, "二(1)班")
    out = tmp_path / "二1.pdf"
    page.write_pdf(out, [page.item_combo.currentData()], [])
    assert "二(1)班 课程表" in PdfReader(out).pages[0].extract_text()
