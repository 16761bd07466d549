"""质量分析 page on the demo township: figures as the marks give them, small groups greyed and
not ranked, no ranks or pupil lists for a teacher, charts drawn."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from sqlite_utils import Database

from app.db.database import open_database
from app.queries.quality import load_part
from app.services.users import login
from ui.pages.quality_page import QualityPage
from ui.session import Session
from ui_helpers import column_texts, header_titles

MIDTERM = "2026—2027学年第一学期期中统考"


@pytest.fixture
def open_page(demo_path, make_window, tasks, boxes):
    """Return a function that logs `user` into the demo township and shows the 质量分析 page."""
    def open_as(user: str = "admin") -> QualityPage:
        db = open_database(demo_path)
        session = Session(demo_path, db, login(db, user, "demo"), tasks)
        window = make_window(session)
        page = window.show_page(QualityPage)
        page.exam_combo.setCurrentIndex(page.exam_combo.findText(MIDTERM, Qt.MatchFlag.MatchStartsWith))
        return page
    return open_as


def _choose(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text} not offered: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def _row(page: QualityPage, **match: str) -> dict[str, str]:
    """Return the displayed texts (by column title) of the one statistics row matching `match`."""
    table = page.stats_table
    titles = header_titles(table)
    rows = [dict(zip(titles, (table.model().index(r, c).data() for c in range(len(titles)))))
            for r in range(table.model().rowCount())]
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def _class_with_absentee(demo_path) -> dict:
    """A QSZ01 class of the midterm with a 缺考 in 语文, and its mean and pass rate worked out
    from the mark rows (roster policy: 缺考 counts 0, 免考 left out)."""
    db = Database(demo_path)
    try:
        exam_id, policy = db.execute("SELECT id, policy FROM exam WHERE name = ?", [MIDTERM]).fetchone()
        assert policy == "roster"
        class_id, class_name, grade = db.execute(
            "SELECT c.id, c.name, m.grade FROM mark m JOIN class c ON c.id = m.class_id"
            " JOIN school s ON s.id = m.school_id JOIN subject sj ON sj.id = m.subject_id"
            " WHERE m.exam_id = ? AND s.code = 'QSZ01' AND sj.name = '语文' AND m.status = '缺考' AND m.grade >= 3"
            " ORDER BY c.name LIMIT 1", [exam_id]).fetchone()
        full, pass_pct = db.execute(
            "SELECT es.full_marks, IFNULL(co.pass_pct, es.pass_pct) FROM exam_subject es"
            " JOIN subject sj ON sj.id = es.subject_id"
            " LEFT JOIN exam_cutoff co ON co.exam_id = es.exam_id AND co.subject_id = es.subject_id AND co.grade = ?"
            " WHERE es.exam_id = ? AND sj.name = '语文'", [grade, exam_id]).fetchone()
        marks = db.execute(
            "SELECT m.status, m.score FROM mark m JOIN subject sj ON sj.id = m.subject_id"
            " WHERE m.exam_id = ? AND m.class_id = ? AND sj.name = '语文'", [exam_id, class_id]).fetchall()
    finally:
        db.close()
    counted = [score or 0.0 for status, score in marks if status != "免考"]
    return {"class_name": class_name, "grade": grade, "n": len(counted),
            "absent": sum(1 for status, _ in marks if status == "缺考"),
            "mean": sum(counted) / len(counted),
            "pass_rate": sum(1 for s in counted if s >= pass_pct / 100 * full) / len(counted)}


def test_class_figures_are_those_of_the_marks(open_page, demo_path):
    expected = _class_with_absentee(demo_path)
    page = open_page("admin")
    _choose(page.level_combo, "班级")
    _choose(page.school_combo, "青山镇中心小学")
    _choose(page.subject_combo, "语文")
    row = _row(page, 班级=expected["class_name"], 学科="语文")
    assert row["平均分"] == f"{expected['mean']:.1f}"
    assert row["及格率"] == f"{100 * expected['pass_rate']:.1f}%"
    assert row["统计人数"] == str(expected["n"])
    assert row["缺考"] == str(expected["absent"])
    assert row["样本过小"] == ""
    assert row["名次"].count("/") == 1  # ranked among the township's classes of that grade
    assert "学生名单" in [page.tabs.tabText(i) for i in range(page.tabs.count())]


def test_teaching_point_classes_are_marked_small_and_not_ranked(open_page):
    page = open_page("admin")
    _choose(page.level_combo, "班级")
    _choose(page.school_combo, "竹林教学点")
    small = column_texts(page.stats_table, "样本过小")
    counted = [int(n) for n in column_texts(page.stats_table, "统计人数")]
    ranks = column_texts(page.stats_table, "名次")
    model = page.stats_table.model()
    assert "是" in small and "" in small  # 二(1)班 has 5 pupils, the other classes 12
    for row, (flag, n, rank) in enumerate(zip(small, counted, ranks)):
        assert (flag == "是") == (n < 10)  # the default preset's smallest ranked group is 10
        background = model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole)
        if flag:
            assert rank == "样本过小"
            assert background is not None and background.color() == QColor("#e6e6e6")
        else:
            assert background is None
    classes = column_texts(page.stats_table, "班级")
    assert {c for c, flag in zip(classes, small) if flag} == {"二(1)班"}
    assert "样本过小" in page.stats_note.text()


def test_teacher_sees_figures_without_ranks_or_pupil_lists(open_page):
    page = open_page("laoshi")
    titles = header_titles(page.stats_table)
    assert "名次" not in titles
    assert "平均分" in titles and "统计人数" in titles
    tabs = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert "学生名单" not in tabs
    assert "统计表" in tabs and "图表" in tabs
    # only the teacher's own school is offered
    assert [page.school_combo.itemText(i) for i in range(page.school_combo.count())] == ["青山镇中心小学"]
    assert page.stats_model.rowCount() > 0
    _choose(page.level_combo, "学校")
    assert set(column_texts(page.stats_table, "学校")) == {"青山镇中心小学"}
    assert "名次" not in header_titles(page.stats_table)


def test_charts_render_for_the_chosen_grade_and_subject(open_page):
    page = open_page("admin")
    _choose(page.school_combo, "青山镇中心小学")
    _choose(page.grade_combo, "三年级")
    _choose(page.subject_combo, "语文")
    page.tabs.setCurrentIndex([page.tabs.tabText(i) for i in range(page.tabs.count())].index("图表"))
    for chart in (page.band_chart, page.compare_chart, page.trend_chart):
        assert chart.isVisible()
    assert "三年级语文分数段分布" in page.band_chart.data.title
    assert page.band_chart.data.labels[0] == "0-" and page.band_chart.data.labels[-1] == "90-100"
    assert any(c.startswith("三(1)班") for c in page.compare_chart.data.labels)
    assert any(c.startswith("三(2)班") for c in page.compare_chart.data.labels)
    assert list(page.compare_chart.data.series) == ["平均分(占满分%)", "及格率", "优秀率"]
    assert "2026-07 期末" in page.trend_chart.data.labels  # the cohort's 二年级 exam of last year
    page.band_chart.resize(560, 260)
    image = page.band_chart.grab().toImage()
    pixels = [image.pixelColor(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)]
    navy = [p for p in pixels if abs(p.red() - 0x1f) + abs(p.green() - 0x4e) + abs(p.blue() - 0x79) < 15]
    black = [p for p in pixels if p.red() + p.green() + p.blue() < 30]
    assert len(navy) > len(pixels) / 100  # the first series' bars are drawn (#1f4e79)
    assert len(black) < len(pixels) / 20  # not painted over in black


def test_a_school_without_marks_says_what_to_do(window):
    page = window.show_page(QualityPage)
    assert page.exam_combo.count() == 0
    assert "考试成绩" in page.status.text()  # points to the page where marks are entered
    assert page.stats_model.rowCount() == 0
    assert not page.band_chart.isVisible()


def test_township_lists_and_value_added_name_the_school(open_page):
    page = open_page("admin")
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    for title in ("学生名单", "增值评价"):  # each tab reads its part when first opened
        page.tabs.setCurrentIndex(titles.index(title))
    assert page.list_model.rowCount() > 0 and page.va_model.rowCount() > 0
    for table in (page.list_table, page.va_table):
        schools = column_texts(table, "学校")
        assert "" not in schools and "青山镇中心小学" in schools


def test_grade_filter_is_off_at_school_level(open_page):
    page = open_page("admin")
    _choose(page.grade_combo, "三年级")
    _choose(page.level_combo, "学校")
    assert not page.grade_combo.isEnabled() and page.grade_combo.currentText() == "全部年级"
    _choose(page.level_combo, "年级")
    assert page.grade_combo.isEnabled()
    _choose(page.grade_combo, "三年级")
    assert set(column_texts(page.stats_table, "年级")) == {"三年级"}


def test_a_school_database_does_not_show_itself_again_as_the_township(demo_dir, make_window, tasks, boxes):
    path = demo_dir / "schools" / "QSZ01.sqlite"
    db = open_database(path)
    session = Session(path, db, login(db, "admin", "demo"), tasks)
    page = make_window(session).show_page(QualityPage)
    page.exam_combo.setCurrentIndex(page.exam_combo.findText(MIDTERM, Qt.MatchFlag.MatchStartsWith))
    _choose(page.grade_combo, "三年级")
    _choose(page.subject_combo, "语文")
    page.tabs.setCurrentIndex([page.tabs.tabText(i) for i in range(page.tabs.count())].index("图表"))
    names = list(page.band_chart.data.series)
    assert len(names) == 1 and names[0].startswith("青山镇中心小学(n=")
    db.close()


def test_the_baseline_is_the_previous_unified_test_and_can_be_changed(open_page):
    page = open_page("admin")
    texts = [page.baseline_combo.itemText(i) for i in range(page.baseline_combo.count())]
    assert texts[0] == "默认:上一次同类考试"
    assert "2025—2026学年第二学期期末统考" in texts and "2026年秋季十月月考(非同类考试)" in texts
    assert "基线考试:2025—2026学年第二学期期末统考" in page.status.text()
    index = page.baseline_combo.findText("2026年秋季十月月考(非同类考试)")
    page.baseline_combo.setCurrentIndex(index)
    page.baseline_combo.activated.emit(index)
    assert "基线考试:2026年秋季十月月考" in page.status.text()
    assert page.data.baseline["type"] == "月考"


def test_with_many_schools_pupil_lists_are_read_for_the_school_chosen(open_page, monkeypatch):
    # A county (more than MANY_SCHOOLS schools) lists pupils per school; the demo township stands in.
    monkeypatch.setattr("ui.pages.quality_page.MANY_SCHOOLS", 1)
    page = open_page("admin")
    session = page.session
    # The lists of every school at once, as a township reads them, to compare one school's against.
    everyone = load_part(session.db, page.data, "lists", session.actor)["lists"]
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    page.tabs.setCurrentIndex(titles.index("学生名单"))
    assert page.list_model.rowCount() == 0
    assert "学生名单按学校列出:请在上方“学校”中选择一所学校" in page.list_note.text()
    assert not any(key.startswith("lists") for key in page.data.loaded)  # nothing read before a school is chosen
    _choose(page.school_combo, "青山镇中心小学")
    expected = {kind: len([r for r in rows if r["school_code"] == "QSZ01"]) for kind, rows in everyone.items()}
    assert expected["borderline"] > 0 and expected["struggling"] > 0
    assert page.list_model.rowCount() == expected["borderline"]
    assert {r["school_code"] for r in page.data.lists["borderline"]} == {"QSZ01"}
    _choose(page.list_combo, "学困生")
    assert page.list_model.rowCount() == expected["struggling"]
    _choose(page.school_combo, "全部学校")
    assert page.list_model.rowCount() == 0 and "请在上方“学校”中选择一所学校" in page.list_note.text()
