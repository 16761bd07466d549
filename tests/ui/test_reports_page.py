"""The 报表 page on the demo township: choosing a report and its scope, making it in the background,
opening it, the recent list across restarts, cancel, printing, and what a teacher may make."""
from __future__ import annotations

import pytest
import shiboken6
from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtGui import QDesktopServices

from app.db.database import open_database
from app.services.users import login
from ui.pages import reports_page
from ui.pages.reports_page import ReportsPage
from ui.session import Session
from ui.tasks import TaskControl
from ui_helpers import column_texts


@pytest.fixture
def opened(monkeypatch):
    """Record what the page asks the system to open instead of opening it."""
    urls = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(url.toLocalFile()) or True)
    return urls


def _session(path, user, tasks):
    db = open_database(path)
    return Session(path, db, login(db, user, "demo"), tasks)


@pytest.fixture
def make_page(demo_path, tasks, boxes, qapp, qtbot):
    made = []

    def make(user="admin"):
        session = _session(demo_path, user, tasks)
        page = ReportsPage(session)
        page.resize(1100, 760)
        page.show()
        qtbot.waitExposed(page)
        made.append(page)
        return page

    yield make
    for page in made:
        page.close()
        db = page.session.db
        shiboken6.delete(page)
        db.close()


def _choose(combo, text):
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def _texts(combo):
    return [combo.itemText(i) for i in range(combo.count())]


def test_class_report_made_opened_and_listed(make_page, tmp_path, opened, demo_path):
    page = make_page()
    assert page.page_title() == "报表"
    assert _texts(page.kind_combo) == ["考试质量分析报告", "班级质量报告(班主任)", "教师教学质量报告(内部资料)", "成绩通知单",
                                       "平行编班分班建议", "乡镇教学质量汇总", "乡镇质量检测评分"]
    assert page.exam_combo.currentText() == "2026—2027学年第一学期期中统考(2026-2027-1)"
    _choose(page.kind_combo, "班级质量报告(班主任)")
    _choose(page.school_combo, "油溪完全小学(QSZ02)")
    assert _texts(page.class_combo) == ["一(1)班", "二(1)班", "三(1)班", "四(1)班", "五(1)班", "六(1)班"]
    assert page.baseline_combo.itemText(0).startswith("自动")
    _choose(page.class_combo, "四(1)班")
    target = tmp_path / "油溪四1.pdf"
    page.generate_to(target)
    assert target.exists() and "油溪完全小学 四(1)班" in PdfReader(str(target)).pages[0].extract_text()
    assert opened == [str(target)]
    assert column_texts(page.recent_table, "内容") == ["油溪完全小学 四(1)班 · 2026—2027学年第一学期期中统考"]
    assert column_texts(page.recent_table, "报表") == ["班级质量报告(班主任)"]
    assert page.open_button.isEnabled()
    page.open_selected_folder()
    assert opened[-1] == str(tmp_path)
    # the list survives a restart
    again = make_page()
    assert column_texts(again.recent_table, "文件") == [str(target.resolve())]


def test_slips_of_a_whole_school_as_excel(make_page, tmp_path, opened):
    page = make_page()
    _choose(page.kind_combo, "成绩通知单")
    _choose(page.school_combo, "竹林教学点(QSZ05)")
    assert _texts(page.class_combo)[0] == "全校各班"
    assert not page.form.isRowVisible(page.baseline_combo) and page.form.isRowVisible(page.per_page_combo)
    _choose(page.format_combo, "Excel 表格(.xlsx)")
    page.open_after.setChecked(False)
    target = tmp_path / "竹林通知单.xlsx"
    page.generate_to(target)
    assert target.exists() and not opened
    assert "已生成" in page.status.text()


def test_a_grade_split_into_parallel_classes_as_excel(make_page, tmp_path, opened):
    page = make_page()
    _choose(page.kind_combo, "平行编班分班建议")
    assert page.form.isRowVisible(page.grade_combo) and not page.form.isRowVisible(page.baseline_combo)
    _choose(page.school_combo, "青山镇中心小学(QSZ01)")
    _choose(page.grade_combo, "一年级")
    assert _texts(page.split_subject_combo) == ["各科成绩的平均", "语文", "数学", "道德与法治", "科学"]  # no 英语 in 一年级
    page.split_count.setValue(3)
    _choose(page.format_combo, "Excel 表格(.xlsx)")
    target = tmp_path / "一年级分班.xlsx"
    page.generate_to(target)
    assert opened == [str(target)]
    assert column_texts(page.recent_table, "内容") == ["青山镇中心小学 一年级 · 2026—2027学年第一学期期中统考"]
    db = page.session.db
    pupils = {r[0]: r[1] for r in db.execute(
        "SELECT DISTINCT m.pupil_id, p.gender FROM mark m JOIN pupil p ON p.id = m.pupil_id JOIN school s ON s.id = m.school_id"
        " WHERE m.exam_id = ? AND s.code = 'QSZ01' AND m.grade = 1", [page.exam_combo.currentData()])}
    book = load_workbook(target, read_only=True)
    classes = [r for r in book["各班情况"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert [r[0] for r in classes] == ["第 1 班", "第 2 班", "第 3 班"]
    sizes, boys = [r[1] for r in classes], [r[2] for r in classes]
    assert sum(sizes) == len(pupils) and max(sizes) - min(sizes) <= 1
    assert sum(boys) == sum(g == "男" for g in pupils.values()) and max(boys) - min(boys) <= 1
    listed = [r for r in book["分班名单"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(listed) == len(pupils) and {r[0] for r in listed} == {"第 1 班", "第 2 班", "第 3 班"}
    assert all("****" in r[1] for r in listed)  # 学籍号 masked, as in every internal list


def test_township_summary_hides_the_school(make_page, tmp_path, opened):
    page = make_page()
    _choose(page.kind_combo, "乡镇教学质量汇总")
    assert not page.form.isRowVisible(page.school_combo) and page.form.isRowVisible(page.baseline_combo)
    assert not page.form.isRowVisible(page.township_combo)  # the demo holds one township
    page.generate_to(tmp_path / "乡镇.pdf")
    assert "教学质量汇总报告" in PdfReader(str(tmp_path / "乡镇.pdf")).pages[0].extract_text()
    assert column_texts(page.recent_table, "内容") == ["青山镇 · 2026—2027学年第一学期期中统考"]


def test_cancel_leaves_no_file(make_page, tmp_path, monkeypatch, boxes):
    page = make_page()
    monkeypatch.setattr(TaskControl, "cancelled", lambda self: True)
    page.generate_to(tmp_path / "取消.pdf")
    assert not list(tmp_path.glob("取消*")) and page.status.text() == "已取消,没有生成文件。"
    assert not boxes.shown and page.generate_button.isEnabled()


def test_print_sends_the_selected_report(make_page, tmp_path, monkeypatch, boxes, opened):
    page = make_page()
    page.generate_to(tmp_path / "学校.pdf")
    sent = []
    monkeypatch.setattr(reports_page, "print_file", lambda path: sent.append(path) or "已把“学校.pdf”交给默认打印机。")
    page.print_selected()
    assert sent == [str((tmp_path / "学校.pdf").resolve())]
    assert boxes.texts("information") == ["已把“学校.pdf”交给默认打印机。"]


def test_a_teacher_makes_only_their_own_report(make_page, tmp_path, opened, boxes):
    page = make_page("laoshi")
    assert _texts(page.kind_combo) == ["教师教学质量报告(内部资料)", "班级质量报告(班主任)", "成绩通知单"]
    assert _texts(page.teacher_combo) == ["姜琪怡(QSZ01005)"]
    assert not page.form.isRowVisible(page.school_combo)
    page.generate_to(tmp_path / "我的.pdf")
    assert "内部资料" in PdfReader(str(tmp_path / "我的.pdf")).pages[0].extract_text()
    _choose(page.kind_combo, "班级质量报告(班主任)")
    assert page.class_combo.count() == 0  # not a 班主任 of any class
    page.generate_to(tmp_path / "班级.pdf")
    assert not (tmp_path / "班级.pdf").exists()
    assert boxes.texts("warning") == ["这所学校没有参加这次考试的班级(或没有您担任班主任的班级)。"]


def test_every_school_at_once_through_the_folder_chooser(make_page, tmp_path, opened, monkeypatch, qtbot):
    page = make_page()
    assert page.form.isRowVisible(page.all_schools) and page.school_combo.isEnabled()
    page.all_schools.setChecked(True)
    assert not page.school_combo.isEnabled()
    _choose(page.format_combo, "Excel 表格(.xlsx)")
    folder = tmp_path / "各校"
    folder.mkdir()
    monkeypatch.setattr(reports_page.QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    page.generate()
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 7 and "报告目录.xlsx" in files and any(f.startswith("QSZ06_观音阁教学点") for f in files)
    assert page.status.text().startswith("已生成 6 所学校的考试质量分析报告") and page.generate_button.isEnabled()
    assert opened == [str(folder / "报告目录.xlsx")]
    assert column_texts(page.recent_table, "内容") == ["全部学校 · 2026—2027学年第一学期期中统考"]
    _choose(page.kind_combo, "班级质量报告(班主任)")
    assert not page.form.isRowVisible(page.all_schools) and not page.batch_chosen()
    assert page.school_combo.isEnabled()


def test_a_school_admin_sees_no_batch(make_page):
    page = make_page("xiaozhang")
    assert not page.form.isRowVisible(page.all_schools) and not page.batch_chosen()
