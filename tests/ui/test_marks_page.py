"""考试成绩: typing, Enter / Tab, Q / M, pasting a block, red refusals, undo, permissions and import.

What the grid saved is read back from the database file with plain SQL.
"""
from __future__ import annotations

import json
import sqlite3

import pytest
from PySide6.QtCore import QEvent, QLocale, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlite_utils import Database

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.services.exams import create_exam
from app.marks.entry import set_mark
from app.services.users import login
from ui.dialogs.import_preview_dialog import ImportPreviewDialog
from ui.pages.marks_page import MarksPage
from ui.session import Session
from ui_helpers import when_modal


def class_id(db, school: str, name: str) -> str:
    return db.execute("SELECT c.id FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                      " ON y.id = c.academic_year_id WHERE s.code = ? AND c.name = ? ORDER BY y.start_date DESC",
                      [school, name]).fetchone()[0]


@pytest.fixture
def setup(demo_path):
    """The demo township with a new, empty exam for grade 3: 语文 (100) and 数学 (120)."""
    db = open_database(demo_path)
    exam_id = create_exam(db, SYSTEM, name="三年级单元测试", type="单元", grades="3", subjects="语文:100,数学:120")
    ids = {"exam": exam_id, "class": class_id(db, "QSZ01", "三(1)班"),
           "school": db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]}
    db.close()
    return ids


def open_page(demo_path, tasks, make_window, username: str, ids: dict) -> MarksPage:
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, username, "demo"), tasks)
    window = make_window(session)
    window.activateWindow()
    page = window.show_page(MarksPage)
    page.select(ids["exam"], ids["class"], ids["school"])
    page.table.setFocus()
    return page


@pytest.fixture
def page(demo_path, tasks, make_window, setup, boxes):
    return open_page(demo_path, tasks, make_window, "admin", setup)


def stored(path, exam_id: str) -> dict[tuple[str, str], tuple]:
    """{(学籍号, 科目): (score, status)} as the database file holds them."""
    db = Database(path)
    try:
        return {(r[0], r[1]): (r[2], r[3]) for r in db.execute(
            "SELECT p.student_no, s.name, m.score, m.status FROM mark m JOIN pupil p ON p.id = m.pupil_id"
            " JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ?", [exam_id])}
    finally:
        db.close()


def key_target(page: MarksPage):
    """Return the open cell editor, else the grid: where a user's next key goes."""
    return page.table.indexWidget(page.table.currentIndex()) or page.table


def type_keys(page: MarksPage, text: str, end: Qt.Key | None = Qt.Key.Key_Return) -> None:
    """Type like a user: the first key opens the cell's editor, the rest go into it."""
    for ch in text:
        target = key_target(page)
        if ch.isascii():
            QTest.keyClick(target, ch)
        else:  # full-width digits and Chinese arrive as text (as from an input method)
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(target, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))
    if end is not None:
        QTest.keyClick(key_target(page), end)
    QApplication.processEvents()  # the editor commits Enter through a queued call


def refocus(page: MarksPage) -> None:
    """Give the window back its focus after a dialog closed (the offscreen platform does not)."""
    page.window().activateWindow()
    page.table.setFocus()
    QApplication.processEvents()


def cell(page: MarksPage, row: int, column: int) -> str:
    return page.model.index(row, column).data()


def number(page: MarksPage, row: int) -> str:
    return page.model.pupils[row]["student_no"]


def test_grid_lists_the_class_in_pinyin_order_with_the_exams_subjects(page, demo_path, setup):
    db = Database(demo_path)
    expected = {r[0] for r in db.execute(
        "SELECT student_no FROM pupil WHERE class_id = ? AND status IN ('在读', '转入')", [setup["class"]])}
    db.close()
    model = page.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == \
        ["学籍号", "姓名", "语文", "数学(120)", "总分"]
    assert {number(page, r) for r in range(model.rowCount())} == expected
    names = [cell(page, r, 1) for r in range(model.rowCount())]
    from PySide6.QtCore import QCollator
    collator = QCollator(QLocale("zh_CN"))
    assert all(collator.compare(a, b) <= 0 for a, b in zip(names, names[1:]))
    assert page.count_label.text() == f"{len(expected)} 名学生,已录 0 / {2 * len(expected)} 格"


def test_typing_a_score_and_enter_saves_it_and_moves_down(page, demo_path, setup):
    page.select_cell(0, 2)
    type_keys(page, "87.5")
    assert page.table.currentIndex().row() == 1 and page.table.currentIndex().column() == 2
    type_keys(page, "９０")
    assert page.table.currentIndex().row() == 2
    assert stored(demo_path, setup["exam"]) == {(number(page, 0), "语文"): (87.5, "正常"),
                                                (number(page, 1), "语文"): (90.0, "正常")}
    assert cell(page, 0, 2) == "87.5" and page.message.text().startswith("已保存:")
    db = Database(demo_path)
    entry = db.execute("SELECT username, action, new_value FROM audit_log WHERE table_name = 'mark'"
                       " ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    assert entry[:2] == ("admin", "insert") and json.loads(entry[2])["score"] == 90.0


def test_tab_moves_right_and_q_m_give_absent_and_exempt(page, demo_path, setup):
    page.select_cell(3, 2)
    type_keys(page, "66", end=Qt.Key.Key_Tab)
    assert (page.table.currentIndex().row(), page.table.currentIndex().column()) == (3, 3)
    QTest.keyClick(page.table, Qt.Key.Key_Q)      # 缺考, then down
    QTest.keyClick(page.table, Qt.Key.Key_M)      # 免考, then down
    type_keys(page, "缺考")                        # the word works as well
    assert page.table.currentIndex().row() == 6
    assert stored(demo_path, setup["exam"]) == {
        (number(page, 3), "语文"): (66.0, "正常"), (number(page, 3), "数学"): (None, "缺考"),
        (number(page, 4), "数学"): (None, "免考"), (number(page, 5), "数学"): (None, "缺考")}
    assert [cell(page, r, 3) for r in (3, 4, 5)] == ["缺考", "免考", "缺考"]


def test_an_out_of_range_score_turns_red_with_the_reason_and_is_not_saved(page, demo_path, setup):
    page.select_cell(0, 3)
    type_keys(page, "12", end=None)
    editor = key_target(page)
    assert editor is not page.table and "f8d7da" not in editor.styleSheet()
    type_keys(page, "1", end=None)  # 121 > 120: red while typing, before Enter
    assert "f8d7da" in editor.styleSheet() and "超过满分 120" in page.message.text()
    QTest.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()
    index = page.model.index(0, 3)
    assert index.data() == "121"
    assert index.data(Qt.ItemDataRole.BackgroundRole).color() == QColor("#f8d7da")
    assert "分数 121 超过满分 120" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert "分数 121 超过满分 120" in page.message.text()
    assert "1 格有误未保存" in page.count_label.text()
    assert stored(demo_path, setup["exam"]) == {}
    page.select_cell(0, 3)
    type_keys(page, "119")  # corrected: saved, no longer red (green: at or above the 优秀 line)
    assert index.data(Qt.ItemDataRole.BackgroundRole).color() == QColor("#e3f1e4")
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "优秀"
    assert stored(demo_path, setup["exam"]) == {(number(page, 0), "数学"): (119.0, "正常")}


def test_pasting_a_block_from_excel_saves_every_cell_and_marks_bad_ones_red(page, demo_path, setup):
    QApplication.clipboard().setText("80\t100.5\r\n缺考\t130\r\n 79 \t免考\r\n")
    page.select_cell(1, 2)
    seen = {}

    def preview(dialog) -> None:  # bare scores go by position, after a preview naming the pupils
        seen["summary"] = dialog.summary_label.text()
        seen["changes"] = dialog.change_texts()
        dialog.ok_button.click()

    errors = when_modal(preview)
    QTest.keyClick(page.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert errors == []
    names = [page.model.pupils[r]["name"] for r in (1, 2, 3)]
    assert f"按表格中的行序从“{names[0]}”粘贴到“{names[2]}”" in seen["summary"]
    assert [row[2:] for row in seen["changes"]] == [
        [names[0], "语文", "", "80"], [names[0], "数学", "", "100.5"], [names[1], "语文", "", "缺考"],
        [names[1], "数学", "", "130(有误,不保存)"], [names[2], "语文", "", "79"], [names[2], "数学", "", "免考"]]
    assert stored(demo_path, setup["exam"]) == {
        (number(page, 1), "语文"): (80.0, "正常"), (number(page, 1), "数学"): (100.5, "正常"),
        (number(page, 2), "语文"): (None, "缺考"),
        (number(page, 3), "语文"): (79.0, "正常"), (number(page, 3), "数学"): (None, "免考")}
    assert cell(page, 2, 3) == "130" and "超过满分 120" in page.model.invalid(2, 3)[1]
    # One undo takes the whole paste back.
    refocus(page)
    QTest.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(demo_path, setup["exam"]) == {}


def test_undo_writes_the_stored_value_back_and_redo_again(page, demo_path, setup):
    db = open_database(demo_path)
    pupil_id = page.model.pupils[0]["pupil_id"]
    subject_id = page.model.subject_at(2)["subject_id"]
    set_mark(db, SYSTEM, exam_id=setup["exam"], pupil_id=pupil_id, subject_id=subject_id, value=72)
    db.close()
    page.reload()
    page.select_cell(0, 2)
    assert cell(page, 0, 2) == "72"
    type_keys(page, "27")
    assert stored(demo_path, setup["exam"])[(number(page, 0), "语文")] == (27.0, "正常")
    QTest.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(demo_path, setup["exam"])[(number(page, 0), "语文")] == (72.0, "正常")
    assert cell(page, 0, 2) == "72" and page.message.text().startswith("已撤销:")
    page.redo_button.click()
    assert stored(demo_path, setup["exam"])[(number(page, 0), "语文")] == (27.0, "正常")
    db = Database(demo_path)
    changes = [(json.loads(o)["score"], json.loads(n)["score"]) for o, n in db.execute(
        "SELECT old_value, new_value FROM audit_log WHERE table_name = 'mark' AND action = 'update' ORDER BY id")]
    db.close()
    assert changes == [(72.0, 27.0), (27.0, 72.0), (72.0, 27.0)]


def test_delete_clears_and_undo_brings_the_mark_back(page, demo_path, setup):
    page.select_cell(0, 2)
    type_keys(page, "55")
    page.select_cell(0, 2)
    QTest.keyClick(page.table, Qt.Key.Key_Delete)
    assert stored(demo_path, setup["exam"]) == {} and cell(page, 0, 2) == ""
    QTest.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(demo_path, setup["exam"]) == {(number(page, 0), "语文"): (55.0, "正常")}


def test_a_teacher_sees_the_subjects_they_do_not_teach_read_only(demo_path, tasks, make_window, setup, boxes):
    db = Database(demo_path)
    taught = {r[0] for r in db.execute(
        "SELECT s.name FROM teaching_assignment t JOIN app_user u ON u.teacher_id = t.teacher_id"
        " JOIN subject s ON s.id = t.subject_id WHERE u.username = 'laoshi' AND t.class_id = ?", [setup["class"]])}
    db.close()
    page = open_page(demo_path, tasks, make_window, "laoshi", setup)
    columns = {page.model.subject_at(c)["name"]: c for c in page.model.subject_columns()}
    not_taught = [c for name, c in columns.items() if name not in taught]
    assert not_taught, "the demo teacher does not teach every subject of 三(1)班"
    column = not_taught[0]
    index = page.model.index(0, column)
    # Grey and not editable before anything is typed, with the reason as tooltip and under the grid.
    assert not index.flags() & Qt.ItemFlag.ItemIsEditable
    assert index.data(Qt.ItemDataRole.BackgroundRole).color() == QColor("#e4e4e4")
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "只读:您没有任教这个班的这一科"
    assert "只能查看" in page.message.text()
    page.select_cell(0, column)
    QTest.keyClick(page.table, Qt.Key.Key_8)
    assert key_target(page) is page.table  # no editor opened
    QTest.keyClick(page.table, Qt.Key.Key_Q)  # the 缺考 shorthand is refused too
    assert "只读" in page.message.text()
    assert stored(demo_path, setup["exam"]) == {} and cell(page, 0, column) == ""
    for name, c in columns.items():  # what they teach stays open
        assert bool(page.model.index(0, c).flags() & Qt.ItemFlag.ItemIsEditable) == (name in taught)


def test_a_teacher_of_another_class_sees_it_read_only(demo_path, tasks, make_window, setup, boxes):
    db = Database(demo_path)
    other = db.execute(
        "SELECT c.id FROM class c JOIN class_grade g ON g.class_id = c.id WHERE c.school_id = ? AND g.grade = 3"
        " AND c.academic_year_id = (SELECT academic_year_id FROM class WHERE id = ?)"
        " AND c.id NOT IN (SELECT class_id FROM teaching_assignment t JOIN app_user u ON u.teacher_id = t.teacher_id"
        " WHERE u.username = 'laoshi') LIMIT 1", [setup["school"], setup["class"]]).fetchone()
    db.close()
    if other is None:
        pytest.skip("the demo teacher teaches every grade-3 class")
    page = open_page(demo_path, tasks, make_window, "laoshi", {**setup, "class": other[0]})
    assert not any(page.model.index(0, c).flags() & Qt.ItemFlag.ItemIsEditable for c in page.model.subject_columns())
    assert page.message.text() == "您没有任教这个班,成绩只能查看(灰色)。"


def test_import_button_previews_and_imports_a_workbook(page, demo_path, setup, tmp_path, qtbot):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["学籍号", "姓名", "语文", "数学"])
    pupils = page.model.pupils[:2]
    sheet.append([pupils[0]["student_no"], pupils[0]["name"], 91, "缺考"])
    sheet.append([pupils[1]["student_no"], pupils[1]["name"], "８８", 119.5])
    path = tmp_path / "成绩.xlsx"
    book.save(path)
    seen = {}

    def preview(dialog: ImportPreviewDialog) -> None:
        seen["summary"] = dialog.summary_label.text()
        seen["valid_hidden"] = dialog.valid_button.isHidden()
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    errors = when_modal(preview)
    page.import_path(path)
    assert errors == []
    assert seen == {"summary": "将新增 4 条成绩,更新 0 条,未变 0 条(共 2 名学生)。", "valid_hidden": True}
    assert stored(demo_path, setup["exam"]) == {
        (pupils[0]["student_no"], "语文"): (91.0, "正常"), (pupils[0]["student_no"], "数学"): (None, "缺考"),
        (pupils[1]["student_no"], "语文"): (88.0, "正常"), (pupils[1]["student_no"], "数学"): (119.5, "正常")}
    row = next(r for r in range(page.model.rowCount()) if number(page, r) == pupils[1]["student_no"])
    assert cell(page, row, 3) == "119.5"


def test_a_score_still_being_typed_is_saved_when_the_window_closes(page, demo_path, setup):
    page.select_cell(2, 2)
    type_keys(page, "64", end=None)
    page.window().close()
    assert stored(demo_path, setup["exam"]) == {(number(page, 2), "语文"): (64.0, "正常")}


def test_a_file_with_a_problem_is_previewed_with_where_and_cannot_be_imported(page, demo_path, setup, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "三(1)班"
    sheet.append(["学籍号", "姓名", "语文", "数学"])
    pupil = page.model.pupils[0]
    sheet.append([pupil["student_no"], pupil["name"], 101, 100])
    path = tmp_path / "错.xlsx"
    book.save(path)
    seen = {}

    def preview(dialog: ImportPreviewDialog) -> None:
        seen["problems"] = dialog.problem_texts()
        seen["head"] = dialog.problem_label.text()
        seen["buttons"] = (dialog.import_button.isEnabled(), dialog.valid_button.isHidden())
        dialog.reject()

    errors = when_modal(preview)
    page.import_path(path)
    assert errors == []
    assert seen == {"problems": [["三(1)班", "2", "语文", "分数 101 超过满分 100。"]],
                    "head": "发现 1 个问题(涉及 1 行)。成绩表只能整份导入:请在表格中改正后重新导入。",
                    "buttons": (False, True)}
    assert stored(demo_path, setup["exam"]) == {}


def test_a_cells_history_shows_who_when_and_old_to_new_including_a_change_made_outside(page, demo_path, setup,
                                                                                       tmp_path):
    page.select_cell(0, 2)
    type_keys(page, "70")
    page.select_cell(0, 2)
    type_keys(page, "75")
    pupil = page.model.pupils[0]["pupil_id"]
    subject = page.model.subject_at(2)["subject_id"]
    outside = sqlite3.connect(demo_path)      # someone with the file and the sqlite3 shell
    outside.execute("UPDATE mark SET score = 99 WHERE exam_id = ? AND pupil_id = ? AND subject_id = ?",
                    [setup["exam"], pupil, subject])
    outside.commit()
    outside.close()
    dialog = page.show_history(0, 2)
    shown = [[dialog.model.item(r, c).text() for c in range(1, 5)] for r in range(dialog.model.rowCount())]
    admin = page.session.actor.display_name
    assert shown == [[admin, "录入", "空", "70"], [admin, "修改", "70", "75"],
                     ["(程序之外的修改,不知是谁)", "修改", "75", "99"]]
    dialog.grab().save("/tmp/security-history.png")
    dialog.close()


def test_a_graded_subject_takes_a_level_typed_in_the_grid(demo_path, tasks, make_window, boxes):
    db = open_database(demo_path)
    exam_id = create_exam(db, SYSTEM, name="三年级音乐考查", type="单元", grades="3", subjects="语文:100,音乐:等级,体育与健康:等级")
    ids = {"exam": exam_id, "class": class_id(db, "QSZ01", "三(1)班"),
           "school": db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]}
    db.close()
    page = open_page(demo_path, tasks, make_window, "admin", ids)
    model = page.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    music = headers.index("音乐(等级)")
    # The whole title can be read: the column is at least as wide as its text.
    header = page.table.horizontalHeader()
    pe = headers.index("体育与健康(等级)")
    assert page.table.columnWidth(pe) >= header.fontMetrics().horizontalAdvance("体育与健康(等级)") + 8
    page.select_cell(0, music)
    type_keys(page, "b")
    assert stored(demo_path, exam_id) == {(number(page, 0), "音乐"): (2.0, "正常")}
    assert cell(page, 0, music) == "B"
    page.select_cell(1, music)
    type_keys(page, "95")  # a score is not a level
    assert (number(page, 1), "音乐") not in stored(demo_path, exam_id)
    assert "A / B / C" in model.index(1, music).data(Qt.ItemDataRole.ToolTipRole)


def test_a_teachers_assignment_opens_only_the_exams_of_its_own_term(demo_path, tasks, make_window, setup, boxes):
    # laoshi teaches some subjects of 三(1)班 this term (2026-2027-1); an exam of the next term of the same
    # school year shows every cell grey for them, as saving would refuse it.
    db = open_database(demo_path)
    taught = db.execute(
        "SELECT COUNT(*) FROM teaching_assignment t JOIN app_user u ON u.teacher_id = t.teacher_id"
        " JOIN term m ON m.id = t.term_id WHERE u.username = 'laoshi' AND t.class_id = ? AND m.code = '2026-2027-1'",
        [setup["class"]]).fetchone()[0]
    assert taught > 0
    next_term = create_exam(db, SYSTEM, name="三年级下学期单元测试", type="单元", grades="3",
                            subjects="语文:100,数学:120", term="2026-2027-2")
    db.close()
    page = open_page(demo_path, tasks, make_window, "laoshi", {**setup, "exam": next_term})
    assert page.model.subject_columns()
    assert not any(page.model.index(0, c).flags() & Qt.ItemFlag.ItemIsEditable for c in page.model.subject_columns())
    assert "只能查看" in page.message.text()
    page.select(setup["exam"], setup["class"], setup["school"])  # this term's exam: what they teach is open
    assert any(page.model.index(0, c).flags() & Qt.ItemFlag.ItemIsEditable for c in page.model.subject_columns())
