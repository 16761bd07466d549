"""考试成绩 grid: a pasted block lands on the pupils it names, clearing asks first and undoes (also
after switching class), 总分 and the 不及格 / 优秀 colours by hand, Enter at the end of a column, the
年级 column of a 复式 class and the frozen pupil columns.

What the grid saved is read back from the database file with plain SQL.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.services.exams import create_exam
from test_marks_page import class_id, number, open_page, refocus, stored, type_keys
from ui_helpers import when_modal


@pytest.fixture
def setup(demo_path):
    """The demo township with a new, empty exam for grade 3: 语文 (100) and 数学 (120)."""
    db = open_database(demo_path)
    exam_id = create_exam(db, SYSTEM, name="三年级单元测试", type="单元", grades="3", subjects="语文:100,数学:120")
    ids = {"exam": exam_id, "class": class_id(db, "QSZ01", "三(1)班"),
           "school": db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]}
    db.close()
    return ids


@pytest.fixture
def page(demo_path, tasks, make_window, setup, boxes):
    return open_page(demo_path, tasks, make_window, "admin", setup)


def accept_preview(seen: dict) -> list[BaseException]:
    def preview(dialog) -> None:
        seen["summary"] = dialog.summary_label.text()
        seen["problems"] = dialog.problem_label.text()
        seen["changes"] = dialog.change_texts()
        dialog.ok_button.click()
    return when_modal(preview)


def test_a_block_sorted_differently_lands_on_the_pupils_it_names(page, demo_path, setup):
    pupils = page.model.pupils
    # As copied from a sheet sorted by total: a heading, the grid's pupils in another order, and a
    # name that is not in this class.
    chosen = [pupils[4], pupils[0], pupils[2]]
    lines = ["姓名\t语文\t数学", *(f"{p['name']}\t{70 + i}\t{100 + i}" for i, p in enumerate(chosen)), "查无此人\t99\t99"]
    QApplication.clipboard().setText("\r\n".join(lines) + "\r\n")
    page.select_cell(0, 2)
    seen: dict = {}
    errors = accept_preview(seen)
    QTest.keyClick(page.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert errors == []
    assert seen["summary"].startswith("按姓名对应:3 行找到了学生,1 行未能对应(不粘贴)。将改动 6 格")
    assert seen["problems"] == "第 5 行“查无此人”:本班没有这名学生"
    assert stored(demo_path, setup["exam"]) == {
        (pupils[4]["student_no"], "语文"): (70.0, "正常"), (pupils[4]["student_no"], "数学"): (100.0, "正常"),
        (pupils[0]["student_no"], "语文"): (71.0, "正常"), (pupils[0]["student_no"], "数学"): (101.0, "正常"),
        (pupils[2]["student_no"], "语文"): (72.0, "正常"), (pupils[2]["student_no"], "数学"): (102.0, "正常")}
    assert "1 行未能对应" in page.message.text() and "查无此人" in page.message.text()


def test_a_block_with_student_numbers_and_no_heading_is_matched_by_them(page, demo_path, setup):
    pupils = page.model.pupils
    # 学籍号, 姓名, 语文, 数学 without a heading, in reverse order; one line names a pupil of
    # another class (nothing is pasted for it).
    lines = [f"{pupils[r]['student_no']}\t{pupils[r]['name']}\t{60 + r}\t缺考" for r in (3, 1)]
    lines.insert(1, "G999999999999999999\t某某\t88\t88")
    QApplication.clipboard().setText("\n".join(lines))
    page.select_cell(0, 2)
    seen: dict = {}
    errors = accept_preview(seen)
    page.paste()
    assert errors == []
    assert seen["summary"].startswith("按学籍号对应:2 行找到了学生,1 行未能对应")
    assert [row[1:] for row in seen["changes"]] == [
        [pupils[3]["student_no"], pupils[3]["name"], "语文", "", "63"],
        [pupils[3]["student_no"], pupils[3]["name"], "数学", "", "缺考"],
        [pupils[1]["student_no"], pupils[1]["name"], "语文", "", "61"],
        [pupils[1]["student_no"], pupils[1]["name"], "数学", "", "缺考"]]
    assert stored(demo_path, setup["exam"]) == {
        (pupils[3]["student_no"], "语文"): (63.0, "正常"), (pupils[3]["student_no"], "数学"): (None, "缺考"),
        (pupils[1]["student_no"], "语文"): (61.0, "正常"), (pupils[1]["student_no"], "数学"): (None, "缺考")}


def test_a_cancelled_preview_writes_nothing(page, demo_path, setup):
    QApplication.clipboard().setText("80\n81\n82\n")
    page.select_cell(0, 2)
    when_modal(lambda dialog: dialog.cancel_button.click())
    page.paste()
    assert stored(demo_path, setup["exam"]) == {}


def test_clearing_many_cells_asks_first_and_undo_survives_switching_class(page, demo_path, setup, boxes):
    page.select_cell(0, 2)
    type_keys(page, "55")
    type_keys(page, "66")
    both = {(number(page, 0), "语文"): (55.0, "正常"), (number(page, 1), "语文"): (66.0, "正常")}
    assert stored(demo_path, setup["exam"]) == both
    QTest.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select everything
    boxes.answer_yes = False
    QTest.keyClick(page.table, Qt.Key.Key_Delete)
    assert boxes.texts("question") == ["要清除选中的 2 格成绩吗?清除后可以按 Ctrl+Z 撤销。"]
    assert stored(demo_path, setup["exam"]) == both  # "no" keeps them
    boxes.answer_yes = True
    QTest.keyClick(page.table, Qt.Key.Key_Delete)
    assert stored(demo_path, setup["exam"]) == {}
    # Another class, then Ctrl+Z: the marks of the first class come back.
    db = open_database(demo_path)
    other = class_id(db, "QSZ01", "三(2)班")
    db.close()
    page.select(setup["exam"], other, setup["school"])
    assert page.model.pupils[0]["student_no"] not in {k[0] for k in both}
    refocus(page)
    QTest.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(demo_path, setup["exam"]) == both
    assert page.message.text().startswith("已撤销:")
    QTest.keyClick(page.table, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Y redoes
    assert stored(demo_path, setup["exam"]) == {}


def test_one_cell_is_cleared_without_asking(page, demo_path, setup, boxes):
    page.select_cell(0, 2)
    type_keys(page, "55")
    page.select_cell(0, 2)
    QTest.keyClick(page.table, Qt.Key.Key_Delete)
    assert boxes.texts("question") == [] and stored(demo_path, setup["exam"]) == {}


def test_total_and_colours_follow_the_exams_cut_offs(page, demo_path, setup):
    # 语文 out of 100, 数学 out of 120; default lines: 及格 60 %, 优秀 85 % (102 of 120).
    page.select_cell(0, 2)
    type_keys(page, "59", end=Qt.Key.Key_Tab)
    type_keys(page, "102")
    page.select_cell(1, 2)
    type_keys(page, "60", end=Qt.Key.Key_Tab)
    type_keys(page, "缺考")
    model = page.model
    assert model.headerData(model.total_column, Qt.Orientation.Horizontal) == "总分"
    assert model.index(0, 4).data() == "161"          # 59 + 102
    assert model.index(1, 4).data() == "60"           # 缺考 adds nothing
    assert model.index(2, 4).data() == ""             # no mark yet
    fail = model.index(0, 2)
    assert fail.data(Qt.ItemDataRole.ForegroundRole).color() == QColor("#c62828")
    assert fail.data(Qt.ItemDataRole.ToolTipRole) == "不及格"
    excellent = model.index(0, 3)
    assert excellent.data(Qt.ItemDataRole.BackgroundRole).color() == QColor("#e3f1e4")
    assert model.index(1, 2).data(Qt.ItemDataRole.ToolTipRole) is None  # exactly 60: 及格, not coloured
    assert model.index(1, 2).data(Qt.ItemDataRole.ForegroundRole) is None
    # The total stays right when only one subject is shown.
    page.subject_combo.setCurrentIndex(page.subject_combo.findText("语文"))
    assert model.headerData(3, Qt.Orientation.Horizontal) == "总分" and model.index(0, 3).data() == "161"
    assert model.index(0, 2).data() == "59"


def test_enter_after_the_last_pupil_goes_on_to_the_next_subject(page, demo_path, setup):
    last = page.model.rowCount() - 1
    page.select_cell(last, 2)
    type_keys(page, "70")
    current = page.table.currentIndex()
    assert (current.row(), current.column()) == (0, 3)
    assert page.message.text() == "已到本列最后一名学生,转到下一科:数学"
    assert stored(demo_path, setup["exam"]) == {(number(page, last), "语文"): (70.0, "正常")}


def test_a_fushi_class_shows_each_pupils_grade_and_the_pupil_columns_stay_in_view(demo_path, tasks, make_window,
                                                                                  boxes):
    db = open_database(demo_path)
    exam_id = create_exam(db, SYSTEM, name="三四年级测验", type="单元", grades="3,4", subjects="语文:100,数学:100")
    ids = {"exam": exam_id, "class": class_id(db, "QSZ04", "三四年级复式班"),
           "school": db.execute("SELECT id FROM school WHERE code = 'QSZ04'").fetchone()[0]}
    grades = {r[0]: r[1] for r in db.execute("SELECT student_no, grade FROM pupil WHERE class_id = ?"
                                             " AND status IN ('在读', '转入')", [ids["class"]])}
    db.close()
    page = open_page(demo_path, tasks, make_window, "admin", ids)
    model = page.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == \
        ["学籍号", "姓名", "年级", "语文", "数学", "总分"]
    assert {model.index(r, 0).data(): model.index(r, 2).data() for r in range(model.rowCount())} == \
        {no: f"{g}年级" for no, g in grades.items()}
    assert set(grades.values()) == {3, 4}
    frozen = page.table.frozen
    assert frozen.isVisible() or not page.isVisible()
    assert [frozen.isColumnHidden(c) for c in range(model.columnCount())] == [False] * 3 + [True] * 3
    assert frozen.width() == sum(page.table.columnWidth(c) for c in range(3))


def test_an_import_shows_which_stored_marks_change_from_what_to_what(page, demo_path, setup, tmp_path):
    from openpyxl import Workbook

    pupils = page.model.pupils
    page.select_cell(0, 2)
    type_keys(page, "72")  # stored before the import: 72, to become 91
    book = Workbook()
    sheet = book.active
    sheet.title = "三(1)班"
    sheet.append(["学籍号", "姓名", "语文", "数学"])
    sheet.append([pupils[0]["student_no"], pupils[0]["name"], 91, 100])
    sheet.append([pupils[1]["student_no"], pupils[1]["name"], 80, 90])
    path = tmp_path / "成绩.xlsx"
    book.save(path)
    seen = {}

    def preview(dialog) -> None:
        model = dialog.changes_model
        seen["changes"] = [[model.index(r, c).data() for c in range(model.columnCount())]
                           for r in range(model.rowCount())]
        seen["summary"] = dialog.summary_label.text()
        dialog.import_button.click()

    errors = when_modal(preview)
    page.import_path(path)
    assert errors == []
    assert seen["summary"] == "将新增 3 条成绩,更新 1 条,未变 0 条(共 2 名学生)。"
    assert seen["changes"] == [["三(1)班 第 2 行", pupils[0]["student_no"], pupils[0]["name"], "语文", "72", "91"]]
    assert stored(demo_path, setup["exam"])[(pupils[0]["student_no"], "语文")] == (91.0, "正常")
