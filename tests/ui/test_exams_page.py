"""考试设置: a new school sets up, changes and deletes an exam in the window, never on the command line."""
from __future__ import annotations

from PySide6.QtCore import QDate

from conftest import audit_rows
from ui_helpers import column_texts
from app.services.exams import list_exams
from ui.dialogs.exam_dialog import ExamDialog
from ui.pages.exams_page import ExamsPage
from ui.pages.marks_page import MarksPage
from ui.session import Changed


def _new_exam(session, owned, **kwargs):
    dialog = owned(ExamDialog(session))
    dialog.name.setText(kwargs.get("name", "期中考试"))
    dialog.type.setCurrentText("期中")
    dialog.date.setDate(QDate(2025, 11, 12))
    dialog.set_grades(kwargs.get("grades", [3, 4]))
    dialog.set_subject("英语", checked=False)
    dialog.set_subject("数学", full_marks=120)
    return dialog


def test_new_school_is_sent_to_the_exam_page_not_the_command_line(window):
    marks = window.show_page(MarksPage)
    assert "命令行" not in marks.message.text() and "schoolq" not in marks.message.text()
    assert "考试设置" in marks.message.text()


def test_create_exam_in_the_dialog(window, school_session, owned, small_school):
    page = window.show_page(ExamsPage)
    assert page.new_button.isEnabled()
    dialog = _new_exam(school_session, owned)
    dialog.accept()
    assert dialog.result() == 1
    exams = list_exams(school_session.db)
    assert [(e["name"], e["type"], e["date"], e["grades"], e["subjects"]) for e in exams] == [
        ("期中考试", "期中", "2025-11-12", [3, 4], ["语文", "数学"])]
    school_session.notify_changed(Changed.ALL)
    assert column_texts(page.table, "考试名称") == ["期中考试"]
    assert column_texts(page.table, "科目") == ["语文、数学"]
    assert [r["action"] for r in audit_rows(small_school, "exam")] == ["insert"]


def test_basis_follows_the_exam_type(school_session, owned):
    dialog = owned(ExamDialog(school_session))
    dialog.type.setCurrentText("单元")
    assert dialog.policy.currentData() == "sat"
    dialog.type.setCurrentText("期末")
    assert dialog.policy.currentData() == "roster"  # 000 篇9: absent = 0 in unified and term exams


def test_problems_show_under_their_fields_and_nothing_is_written(school_session, owned):
    dialog = _new_exam(school_session, owned, name="", grades=[])
    dialog.date.setDate(QDate(2026, 5, 1))  # outside 2025—2026 第一学期
    dialog.set_subject("科学", grades="3-x")
    dialog.accept()
    assert "科学" in dialog.form.error_text("subjects")
    dialog.set_subject("科学", checked=False)
    dialog.accept()
    assert dialog.result() == 0
    assert "不能为空" in dialog.form.error_text("name")
    assert "年级" in dialog.form.error_text("grades")
    assert "不在学期" in dialog.form.error_text("date")
    assert list_exams(school_session.db) == []


def test_edit_then_delete_exam(window, school_session, owned, boxes, small_school):
    _new_exam(school_session, owned).accept()
    exam_id = list_exams(school_session.db)[0]["id"]
    dialog = owned(ExamDialog(school_session, exam_id))
    assert dialog.name.text() == "期中考试" and not dialog.term.isEnabled()
    assert dialog.subjects.cellWidget(1, 2).value() == 120  # 数学, as saved
    dialog.name.setText("期中质量检测")
    dialog.set_subject("英语", grades="4")
    dialog.accept()
    exam = list_exams(school_session.db)[0]
    assert exam["name"] == "期中质量检测" and exam["subjects"] == ["语文", "数学", "英语"]
    page = window.show_page(ExamsPage)
    assert not page.delete_button.isEnabled()  # nothing chosen yet
    page.table.selectRow(0)
    assert page.delete_button.isEnabled() and page.edit_button.isEnabled()
    page.delete_exam()
    assert "期中质量检测" in boxes.texts("question")[-1]
    assert list_exams(school_session.db) == []
    assert [r["action"] for r in audit_rows(small_school, "exam")] == ["insert", "update", "delete"]


def test_a_teacher_sees_exams_but_cannot_set_them_up(school_session, make_window):
    from dataclasses import replace

    school_session.actor = replace(school_session.actor, role="teacher")
    page = make_window(school_session).show_page(ExamsPage)
    assert not page.new_button.isEnabled() and not page.delete_button.isEnabled()
    assert "教务" in page.hint.text()


def test_a_school_cannot_change_the_townships_unified_exam(make_window, demo_dir, tasks, boxes):
    from app.db.database import open_database
    from app.services.users import login
    from ui.session import Session

    path = demo_dir / "schools" / "QSZ01.sqlite"
    db = open_database(path)
    session = Session(path, db, login(db, "admin", "demo"), tasks)
    try:
        page = make_window(session).show_page(ExamsPage)
        scopes = column_texts(page.table, "范围")
        row = scopes.index("乡镇统考")
        page.table.selectRow(row)
        assert not page.edit_button.isEnabled() and not page.delete_button.isEnabled()
        assert page.new_button.isEnabled()
    finally:
        db.close()


def test_music_is_graded_by_default_and_saved_as_levels(school_session, owned):
    from app.services.exams import get_exam

    dialog = owned(ExamDialog(school_session))
    dialog.name.setText("期末考查")
    dialog.type.setCurrentText("期末")
    dialog.date.setDate(QDate(2026, 1, 10))
    dialog.set_grades([3])
    dialog.set_subject("音乐")
    row = next(i for i, s in enumerate(dialog._catalogue) if s["name"] == "音乐")
    assert dialog.subjects.cellWidget(row, 1).currentText().startswith("等级")
    assert not dialog.subjects.cellWidget(row, 2).isEnabled()  # no full marks for a graded subject
    dialog.accept()
    assert dialog.result() == 1
    subjects = {s["name"]: s for s in get_exam(school_session.db, dialog.exam_id)["subjects"]}
    assert subjects["音乐"]["assessment"] == "等级" and subjects["数学"]["assessment"] == "分数"
    again = owned(ExamDialog(school_session, dialog.exam_id))
    assert again.subjects.cellWidget(row, 1).currentText().startswith("等级")
    again.accept()
    assert again.result() == 1


def test_a_second_unified_exam_for_grade_one_warns_with_the_rule(school_session, owned, boxes):
    """篇13: grades 1–2 sit at most one unified exam a term. The first 期中 for grade 1 saves quietly;
    a 期末 in the same term saves too, then says the rule and the grade (the township sees the count)."""
    first = _new_exam(school_session, owned, name="一年级期中", grades=[1])
    first.accept()
    assert first.result() == 1 and first.limit_warnings == [] and boxes.shown == []
    second = _new_exam(school_session, owned, name="一年级期末", grades=[1])
    second.type.setCurrentText("期末")
    second.date.setDate(QDate(2026, 1, 10))
    second.accept()
    assert second.result() == 1
    [(kind, title, text)] = boxes.shown
    assert kind == "warning" and title == "统一考试次数提醒"
    assert "1年级本学期已有 1 次统一考试" in text and "一二年级每学期至多 1 次统一考试" in text
    assert len(list_exams(school_session.db)) == 2
