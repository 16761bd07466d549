"""The 学生 page: what a user sees, filters, pinyin order, and add / edit / remove through dialogs."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialogButtonBox
from sqlite_utils import Database

from conftest import SMALL_PUPILS, audit_rows
from ui.dialogs.pupil_dialog import PupilDialog
from ui.pages.pupils_page import PupilsPage
from ui_helpers import column_texts, header_titles, when_modal

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_with_check(first17: str) -> str:
    """Return an ID number with its GB 11643 check character (worked out here, independently)."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def pupils_page(window) -> PupilsPage:
    return window.show_page(PupilsPage)


def select(page: PupilsPage, name: str) -> None:
    names = column_texts(page.table, "姓名")
    index = page.proxy.index(names.index(name), 0)
    page.table.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                       | QItemSelectionModel.SelectionFlag.Rows)


def db_rows(path, sql, args=()):
    db = Database(path)
    try:
        return [dict(r) for r in db.query(sql, args)]
    finally:
        db.close()


def test_table_shows_every_pupil_of_the_school(window):
    page = pupils_page(window)
    assert header_titles(page.table) == ["学籍号", "姓名", "性别", "年级", "班级", "出生日期", "寄宿", "留守", "随迁",
                                         "残疾", "体育免修", "状态"]
    assert sorted(column_texts(page.table, "姓名")) == sorted(p[1] for p in SMALL_PUPILS)
    assert page.count_label.text() == "显示 5 / 共 5 人"
    rows = dict(zip(column_texts(page.table, "姓名"), range(5)))
    assert column_texts(page.table, "班级")[rows["陈晨"]] == "三(2)班"
    assert column_texts(page.table, "年级")[rows["王芳"]] == "四年级"
    assert column_texts(page.table, "寄宿")[rows["张伟"]] == "是"
    assert column_texts(page.table, "寄宿")[rows["白雪"]] == ""
    assert column_texts(page.table, "随迁")[rows["陈晨"]] == "是"
    assert set(column_texts(page.table, "状态")) == {"在读"}
    assert not page.school_combo.isVisible()  # one school: no 学校 column, no school filter


def test_filter_box_narrows_by_name_and_student_number(window, qtbot):
    page = pupils_page(window)
    page.search.insert("陈")  # typed through an input method: QTest cannot type Chinese keys
    assert column_texts(page.table, "姓名") == ["陈晨"]
    assert page.count_label.text() == "显示 1 / 共 5 人"
    page.search.clear()
    qtbot.keyClicks(page.search, "g1003")
    assert column_texts(page.table, "姓名") == ["白雪"]
    page.search.clear()
    assert len(column_texts(page.table, "姓名")) == 5


def test_class_and_status_filters(window):
    page = pupils_page(window)
    page.class_combo.setCurrentIndex(page.class_combo.findText("三(2)班"))
    assert sorted(column_texts(page.table, "姓名")) == sorted(["白雪", "陈晨"])
    page.class_combo.setCurrentIndex(0)
    page.status_combo.setCurrentIndex(page.status_combo.findText("流失"))
    assert column_texts(page.table, "姓名") == []
    page.status_combo.setCurrentIndex(page.status_combo.findText("在籍(在读、转入)"))
    assert len(column_texts(page.table, "姓名")) == 5


def test_names_sort_in_pinyin_order(window):
    page = pupils_page(window)
    column = header_titles(page.table).index("姓名")
    page.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    # ā (阿), bái (白), chén (陈), wáng (王), zhāng (张)
    assert column_texts(page.table, "姓名") == ["阿依古丽", "白雪", "陈晨", "王芳", "张伟"]
    page.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    assert column_texts(page.table, "姓名") == ["张伟", "王芳", "陈晨", "白雪", "阿依古丽"]


def test_sort_keeps_the_selected_pupil_selected(window):
    page = pupils_page(window)
    select(page, "王芳")
    page.table.sortByColumn(header_titles(page.table).index("姓名"), Qt.SortOrder.AscendingOrder)
    assert page.selected_row()["name"] == "王芳"


def test_adding_a_pupil_writes_it_with_an_audit_entry(window, small_school, qtbot):
    page = pupils_page(window)

    def fill(dialog: PupilDialog) -> None:
        dialog.student_no.setText("G2001")
        dialog.name.setText("欧阳娜娜")
        dialog.gender.setCurrentIndex(dialog.gender.findData("女"))
        dialog.birth_date.setText("2016-09-01")
        dialog.klass.setCurrentIndex(dialog.klass.findText("四(1)班"))
        dialog.flags["left_behind"].setChecked(True)
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)

    errors = when_modal(fill)
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert errors == []
    rows = db_rows(small_school, "SELECT * FROM pupil WHERE student_no = 'G2001'")
    assert len(rows) == 1
    assert (rows[0]["name"], rows[0]["gender"], rows[0]["grade"], rows[0]["left_behind"]) == ("欧阳娜娜", "女", 4, 1)
    inserts = [a for a in audit_rows(small_school, "pupil") if a["action"] == "insert"]
    assert inserts[-1]["row_id"] == rows[0]["id"] and inserts[-1]["username"] == "admin"
    assert "欧阳娜娜" in column_texts(page.table, "姓名")
    assert page.count_label.text() == "显示 6 / 共 6 人"


def test_an_invalid_id_number_shows_the_chinese_problem_and_writes_nothing(window, small_school, school_session):
    before = len(audit_rows(small_school, "pupil"))
    good = id_with_check("43012220160901002")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    dialog = PupilDialog(school_session, None, school_session.actor.school_id, window)
    dialog.student_no.setText("G2002")
    dialog.name.setText("林小雨")
    dialog.id_number.setText(bad)
    dialog.klass.setCurrentIndex(dialog.klass.findText("三(1)班"))
    dialog.accept()
    assert dialog.result() == 0
    assert "校验位不正确" in dialog.form.error_text("id_number")
    assert db_rows(small_school, "SELECT * FROM pupil WHERE student_no = 'G2002'") == []
    assert len(audit_rows(small_school, "pupil")) == before
    # the same form with the right check digit is accepted; gender and birth date come from the ID
    dialog.id_number.setText(good)
    dialog.accept()
    assert dialog.result() == 1
    row = db_rows(small_school, "SELECT * FROM pupil WHERE student_no = 'G2002'")[0]
    assert (row["birth_date"], row["gender"]) == ("2016-09-01", "女")


def test_a_pupil_without_name_shows_the_problem_under_the_name(window, school_session):
    dialog = PupilDialog(school_session, None, school_session.actor.school_id, window)
    dialog.student_no.setText("G3001")
    dialog.accept()
    assert dialog.form.error_text("name") == "姓名不能为空。"
    assert dialog.result() == 0


def test_editing_a_pupil_changes_the_row_and_audits_old_and_new(window, small_school, qtbot):
    page = pupils_page(window)
    select(page, "白雪")

    def edit(dialog: PupilDialog) -> None:
        assert dialog.name.text() == "白雪" and dialog.klass.currentText() == "三(2)班"
        dialog.name.setText("白雪莲")
        dialog.flags["boarding"].setChecked(True)
        dialog.accept()

    errors = when_modal(edit)
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert errors == []
    names = column_texts(page.table, "姓名")
    assert "白雪莲" in names and "白雪" not in names
    assert column_texts(page.table, "寄宿")[names.index("白雪莲")] == "是"
    update = [a for a in audit_rows(small_school, "pupil") if a["action"] == "update"][-1]
    assert '"白雪"' in update["old_value"] and '"白雪莲"' in update["new_value"]


def test_removing_a_pupil_asks_then_deletes(window, small_school, boxes, qtbot):
    page = pupils_page(window)
    select(page, "陈晨")
    boxes.answer_yes = False
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert "陈晨" in column_texts(page.table, "姓名")
    boxes.answer_yes = True
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert "确定删除学生“陈晨”" in boxes.texts("question")[-1]
    assert "陈晨" not in column_texts(page.table, "姓名")
    assert db_rows(small_school, "SELECT * FROM pupil WHERE student_no = 'G1004'") == []
    assert [a["action"] for a in audit_rows(small_school, "pupil")][-1] == "delete"


@pytest.fixture
def teacher_session(school_session, small_school):
    """The same school, logged in as a teacher account (may not change the roster)."""
    from app.services.users import create_user, login
    from app.queries.roster import list_teachers

    teacher = list_teachers(school_session.db)[0]
    create_user(school_session.db, school_session.actor, username="li", display_name="李老师", role="teacher",
                school_id=teacher["school_id"], teacher_id=teacher["id"], passphrase="pass1word")
    school_session.actor = login(school_session.db, "li", "pass1word")
    return school_session


def test_a_teacher_account_is_told_it_may_not_change_the_roster(teacher_session, make_window, qtbot, boxes,
                                                                  small_school):
    window = make_window(teacher_session)
    page = pupils_page(window)
    select(page, "王芳")
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    kind, title, text = boxes.shown[-1]
    assert (kind, title) == ("warning", "没有权限")
    assert "教师账号不能修改" in text
    assert len(db_rows(small_school, "SELECT * FROM pupil")) == 5
