"""The main window as a user first sees it on a small school database."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from ui_helpers import column_texts, header_titles
from ui.pages.overview_page import OverviewPage


def test_pages_in_chinese_and_no_others(window):
    assert window.page_titles() == ["学校概况", "班级", "学生", "教师", "任课", "考试设置", "考试成绩", "考试概览", "质量分析",
                                    "质量目标", "考核评估表", "报表", "课表", "工作量与常规", "控辍与记录", "学生帮扶", "数据交换", "评分方案",
                                    "设置"]
    assert window.stack.count() == 19


def test_a_page_is_built_when_first_chosen(window):
    # Opening the window builds the first page only; the navigation still names every page.
    from ui.pages.page import Page
    from ui.pages.teachers_page import TeachersPage

    built = [i for i in range(window.stack.count()) if isinstance(window.stack.widget(i), Page)]
    assert built == [0] and isinstance(window.stack.currentWidget(), OverviewPage)
    row = window.page_titles().index("教师")
    window.nav.setCurrentRow(row)
    page = window.stack.currentWidget()
    assert isinstance(page, TeachersPage) and page.page_title() == "教师" and page.isVisible()
    assert page.model.rowCount() == 2  # the small school's two teachers, loaded when shown
    assert window.show_page(TeachersPage) is page and window.stack.count() == len(window.page_titles())


def test_status_bar_names_file_kind_term_and_user(window, school_session):
    texts = [label.text() for label in window.statusBar().findChildren(QLabel)]
    assert "数据库:school.sqlite" in texts
    assert "学校数据库" in texts
    assert "2025—2026 学年第一学期" in texts  # the school was created on 2025-10-15
    assert any("学校管理员" in text for text in texts)


def test_menus_offer_open_new_demo_quit_and_about(window):
    menus = {action.text(): [a.text() for a in action.menu().actions() if a.text()]
             for action in window.menuBar().actions()}
    assert menus["文件(&F)"] == ["打开数据库…", "新建学校数据库…", "打开演示乡镇", "退出"]
    assert menus["帮助(&H)"] == ["使用说明", "关于"]


def test_manual_opens_in_the_program_with_the_four_roles(window):
    manual = window.show_manual()
    text = manual.browser.toPlainText()
    for role in ("教学点负责人", "教务", "乡镇管理员", "教师"):
        assert role in text
    assert "命令行" in text and "schoolq " not in text  # it says no command line is needed, and names none
    # The support and records tasks, for the office, the township and the teacher.
    for task in ("生成帮扶名单", "登记辅导", "认定双困生", "转化统计", "留守等群体成绩", "学业档案", "保存 PDF",
                 "控辍保学", "打印本周作业公示", "家访任务", "集体备课", "作业、家访、集体备课与学业档案要求"):
        assert task in text, task
    assert text.count("学生帮扶") >= 3
    assert manual.isVisible() and manual.width() <= 1024 and manual.height() <= 768


def test_about_names_version_schema_and_data_folder(window, boxes, tmp_path):
    window.about()
    kind, title, text = boxes.shown[-1]
    assert (kind, title) == ("about", "关于")
    assert "0.1.0" in text and "数据结构版本" in text
    assert "数据文件夹" in text


def test_overview_counts_and_school_table(window):
    page = window.show_page(OverviewPage)
    assert page.card_values["schools"].text() == "1"
    assert page.card_values["classes"].text() == "3"
    assert page.card_values["pupils"].text() == "5"
    assert page.card_values["teachers"].text() == "2"
    assert header_titles(page.table) == ["学校", "类型", "班级", "学生", "寄宿", "留守", "流失", "教师"]
    assert column_texts(page.table, "学校") == ["溪水完全小学"]
    # boarding: 张伟 and 王芳; left-behind: 阿依古丽 and 王芳
    assert [column_texts(page.table, t)[0] for t in ("类型", "班级", "学生", "寄宿", "留守", "流失", "教师")] == [
        "完小", "3", "5", "2", "2", "0", "2"]


def test_a_write_reloads_only_the_pages_that_show_what_it_changed(window, school_session):
    # Recording a lesson observation touches 工作量与常规 only; entering marks touches the pages
    # that show marks (成绩, 质量分析, 报表, 概况) but not the timetable or the workload page.
    from ui.pages.marks_page import MarksPage
    from ui.pages.overview_page import OverviewPage
    from ui.pages.quality_page import QualityPage
    from ui.pages.timetable_page import TimetablePage
    from ui.pages.workload_page import WorkloadPage
    from ui.session import Changed

    window.show_page(OverviewPage)
    reloaded = []
    for page in window.pages:
        page._stale = False
        page.refresh = lambda page=page: reloaded.append(type(page).__name__)
    school_session.notify_changed(Changed.ROUTINE)
    stale = {type(p).__name__ for p in window.pages if p._stale}
    assert stale == {"WorkloadPage", "SupportPage"} and reloaded == []  # tutoring is part of the routine
    for page in window.pages:
        page._stale = False
    school_session.notify_changed(Changed.MARKS)
    stale = {type(p).__name__ for p in window.pages if p._stale}
    assert {MarksPage.__name__, QualityPage.__name__} <= stale
    assert not stale & {TimetablePage.__name__, WorkloadPage.__name__}
    assert reloaded == ["OverviewPage"]  # the page on screen reloads at once


def test_every_write_in_the_gui_says_what_it_changed():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "ui"
    bare = [f"{path.relative_to(root)}:{n}" for path in root.rglob("*.py")
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(r"notify_changed\(\s*\)", line)]
    assert bare == []


def test_building_a_page_opens_no_window_of_its_own(window):
    # Pages are built while the window is on screen: a widget shown before it has a parent would
    # flash up as a window of its own and take the focus (and the keyboard shortcuts) away.
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QWidget

    opened = []

    class Watch(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if event.type() == QEvent.Type.Show and isinstance(obj, QWidget) and obj.isWindow() and obj is not window:
                opened.append(type(obj).__name__)
            return False

    watch = Watch()
    QApplication.instance().installEventFilter(watch)
    try:
        for row in range(window.nav.count()):
            window.nav.setCurrentRow(row)
        QApplication.processEvents()
    finally:
        QApplication.instance().removeEventFilter(watch)
    assert opened == [] and QApplication.activeWindow() is window
