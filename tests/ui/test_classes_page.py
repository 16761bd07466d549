"""班级 and 开始新学期: create a 复式 class, rename, merge and promote a year in the window."""
from __future__ import annotations

from ui.dialogs.class_dialog import ClassDialog
from ui.dialogs.start_term_dialog import StartTermDialog
from ui.pages.classes_page import ClassesPage
from ui.pages.settings_page import SettingsPage
from ui.session import Changed
from ui_helpers import column_texts, when_modal


def test_classes_listed_with_grades_and_pupils(window):
    page = window.show_page(ClassesPage)
    assert column_texts(page.table, "班级") == ["三(1)班", "三(2)班", "四(1)班"]
    assert column_texts(page.table, "在校学生") == ["2", "2", "1"]
    assert page.new_button.isEnabled()


def test_new_multi_grade_class_gets_its_usual_name(window, school_session, owned):
    page = window.show_page(ClassesPage)
    dialog = owned(ClassDialog(school_session, page.school_combo.school(), page.year_id))
    dialog.set_grades([1, 2])
    assert dialog.name.text() == "一二年级复式班"
    dialog.accept()
    assert dialog.result() == 1
    school_session.notify_changed(Changed.ALL)
    assert column_texts(page.table, "班级")[0] == "一二年级复式班"
    assert column_texts(page.table, "年级")[0] == "1年级、2年级"


def test_rename_refuses_a_taken_name_under_the_field(window, school_session, owned):
    page = window.show_page(ClassesPage)
    row = page.model.row_data(0)
    dialog = owned(ClassDialog(school_session, row["school_id"], row["academic_year_id"], row))
    dialog.name.setText("三(2)班")
    dialog.accept()
    assert dialog.result() == 0 and "已有名为“三(2)班”" in dialog.form.error_text("name")
    dialog.name.setText("三(1)班 向日葵班")
    dialog.accept()
    assert dialog.result() == 1


def test_merge_moves_pupils(window, boxes):
    page = window.show_page(ClassesPage)
    rows = {page.model.row_data(i)["name"]: page.model.row_data(i) for i in range(page.model.rowCount())}
    page.merge_into(rows["三(2)班"], rows["三(1)班"])
    assert "2 名学生" in boxes.texts("information")[-1]
    assert column_texts(page.table, "班级") == ["三(1)班", "四(1)班"]
    assert column_texts(page.table, "在校学生") == ["4", "1"]


def test_start_term_from_settings_previews_the_promotion(window, school_session, boxes):
    # The small school is in 2025—2026 第一学期: the next term is the second, with no promotion.
    page = window.show_page(SettingsPage)
    seen = {}

    def look(dialog):
        assert isinstance(dialog, StartTermDialog)
        seen["promote"] = dialog.promote.isVisible()
        dialog.accept()

    errors = when_modal(look)
    page.start_new_term()
    assert not errors and seen == {"promote": False}
    assert school_session.term_name() == "2025—2026 学年第二学期"
    # Now the next term starts a school year: the preview lists every class moving up.
    dialog = StartTermDialog(school_session, window)
    try:
        assert column_texts_model(dialog) == [["三(1)班", "四(1)班", "2", "0"], ["三(2)班", "四(2)班", "2", "0"],
                                              ["四(1)班", "五(1)班", "1", "0"]]
        dialog.accept()
        assert dialog.result_ == {"term": "2026-2027-1", "classes": 3, "pupils": 5, "graduates": 0}
    finally:
        dialog.deleteLater()
    grades = dict(school_session.db.execute("SELECT name, grade FROM pupil").fetchall())
    assert grades["张伟"] == 4 and grades["王芳"] == 5


def column_texts_model(dialog):
    model = dialog.model
    return [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
