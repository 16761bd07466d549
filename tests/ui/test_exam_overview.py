"""考试概览 on the small school: the figures shown against a hand computation, the charts' numbers,
the 临界生 count, a double click opening 质量分析, the chart saved as PNG, and the 一分一段表."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from openpyxl import load_workbook

from app.db.writes import SYSTEM
from app.marks.entry import set_mark
from app.services.exams import create_exam
from ui.pages.exam_overview_page import ExamOverviewPage
from ui.pages.quality_page import QualityPage

# Grade 3 of the small school, 语文 out of 100: 张伟 95 (3(1)), 阿依古丽 59 (3(1)), 白雪 70 (3(2)),
# 陈晨 缺考 (3(2)). Under the 参考人数 (sat) policy n = 3:
#   平均分 (95 + 59 + 70) / 3 = 74.67; 及格 (≥ 60) 2 of 3 = 66.7 %; 优秀 (≥ 85) 1 of 3 = 33.3 %;
#   低分 (< 40) 0; bands: 50- 59, 70- 70, ≥90 95 → 33.3 % each.
#   3(1): mean 77 %, pass 50 %; 3(2): mean 70 %, pass 100 %.
#   临界生 (within 5 % of full marks below a line): 阿依古丽 (59 < 60) only.
MARKS = {"G1001": 95, "G1002": 59, "G1003": 70, "G1004": "缺考"}


# 音乐 is assessed by grade (A/B/C): 张伟 A, 阿依古丽 A (3(1)), 白雪 B, 陈晨 C (3(2)):
#   A 2 of 4 = 50 %, B 25 %, C 25 %; 3(1) A 100 %; 3(2) B 50 %, C 50 %.
MUSIC = {"G1001": "A", "G1002": "A", "G1003": "B", "G1004": "C"}


def _page(school_session, make_window, subjects="语文:100", music=False):
    db = school_session.db
    exam_id = create_exam(db, SYSTEM, name="三年级语文测验", type="单元", grades="3", subjects=subjects,
                          policy="sat")
    ids = dict(db.execute("SELECT s.name, s.id FROM exam_subject e JOIN subject s ON s.id = e.subject_id"
                          " WHERE e.exam_id = ?", [exam_id]).fetchall())
    for subject, marks in (("语文", MARKS), ("音乐", MUSIC if music else {})):
        for number, value in marks.items():
            pupil_id = db.execute("SELECT id FROM pupil WHERE student_no = ?", [number]).fetchone()[0]
            set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil_id, subject_id=ids[subject], value=value)
    window = make_window(school_session)
    window.resize(1366, 768)
    page = window.show_page(ExamOverviewPage)
    page.exam_combo.setCurrentIndex(page.exam_combo.findData(exam_id))
    return window, page, exam_id


def test_the_overview_shows_the_figures_worked_out_by_hand(school_session, make_window, tmp_path):
    window, page, _exam_id = _page(school_session, make_window)
    model = page.figures_model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    row = {t: model.index(0, c).data() for c, t in enumerate(titles)}
    assert model.rowCount() == 1
    assert (row["年级"], row["学科"], row["人数"]) == ("3年级", "语文", "3")
    assert (row["平均分"], row["及格率"], row["优秀率"], row["低分率"]) == ("74.7", "66.7%", "33.3%", "0.0%")
    band = page.band_chart.data
    assert [round(v, 1) for v in next(iter(band.series.values()))] == [0, 0, 0, 0, 0, 33.3, 0, 33.3, 0, 33.3]
    compare = page.compare_chart.data
    assert compare.labels == ["三(1)班", "三(2)班"]
    assert [round(v, 1) for v in compare.series["平均分(占满分%)"]] == [77.0, 70.0]
    assert [round(v, 1) for v in compare.series["及格率"]] == [50.0, 100.0]
    assert page.count_buttons["临界生"].text() == "临界生 1 人"
    # A school's own database has no other school: classes are compared with their grade (74.7 %,
    # 66.7 %). 3(1) is above in mean, below in 及格率; 3(2) the other way round: neither is listed.
    assert page.attention_model.rowCount() == 0
    assert page.width() <= 1366 - 150 and window.width() <= 1366
    # A chart is saved as a PNG as large as shown, twice over.
    path = tmp_path / "图.png"
    assert page.band_chart.save_image(str(path))
    image = QImage(str(path))
    assert image.width() == 2 * page.band_chart.width() and image.height() == 2 * page.band_chart.height()
    window.grab().save(str(tmp_path / "overview.png"))


def test_a_double_click_opens_the_detail_on_the_quality_page(school_session, make_window):
    window, page, exam_id = _page(school_session, make_window)
    page.open_detail(page.chosen_row())
    quality = window.stack.currentWidget()
    assert isinstance(quality, QualityPage)
    assert quality.exam_combo.currentData() == exam_id
    assert quality.grade() == 3 and quality.subject_code() == page.chosen_row()["subject_code"]
    assert quality.tabs.tabText(quality.tabs.currentIndex()) == "统计表"
    page.open_list("临界生")
    assert quality.tabs.tabText(quality.tabs.currentIndex()) == "学生名单"
    assert quality.list_model.rowCount() == 1


def test_the_score_table_counts_by_hand_and_exports(school_session, make_window, tmp_path, boxes):
    _window, page, _exam_id = _page(school_session, make_window)
    dialog = page.open_score_table()
    rows = [[dialog.model.index(r, c).data() for c in range(4)] for r in range(dialog.model.rowCount())]
    assert rows[0] == ["95", "1", "1", "33.3%"]
    assert rows[25] == ["70", "1", "2", "66.7%"]
    assert rows[-1] == ["59", "1", "3", "100.0%"]
    assert len(rows) == 95 - 59 + 1
    path = tmp_path / "一分一段.xlsx"
    assert dialog.export(str(path))
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[3]] == [95, 1, 1, 1 / 3]
    dialog.close()


def test_a_graded_subject_shows_its_levels_not_a_mean(school_session, make_window, tmp_path):
    window, page, _exam_id = _page(school_session, make_window, subjects="语文:100,音乐:等级", music=True)
    model = page.figures_model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert model.rowCount() == 2
    music = {t: model.index(1, c).data() for c, t in enumerate(titles)}
    assert (music["学科"], music["人数"]) == ("音乐", "4")
    assert music["平均分"] == "A 2人 50.0% · B 1人 25.0% · C 1人 25.0%"
    assert music["及格率"] == music["优秀率"] == music["低分率"] == music["综合分"] == music["提示"] == ""
    # The distribution spans the figure columns to the end of the row; the scored row does not.
    mean = titles.index("平均分")
    assert page.figures_table.columnSpan(1, mean) == len(titles) - mean and page.figures_table.columnSpan(0, mean) == 1
    for button in page.count_buttons.values():
        assert button.width() >= button.sizeHint().width()
    page.figures_table.selectRow(1)
    band = page.band_chart.data
    assert band.labels == ["A", "B", "C"] and next(iter(band.series.values())) == [50.0, 25.0, 25.0]
    compare = page.compare_chart.data
    assert compare.labels == ["三(1)班", "三(2)班"]
    assert compare.series == {"A": [100.0, 0.0], "B": [0.0, 50.0], "C": [0.0, 50.0]}
    assert page.trend_chart.data is None and not page.score_table_button.isEnabled()
    window.grab().save(str(tmp_path / "overview_graded.png"))
    page.figures_table.selectRow(0)
    assert page.band_chart.data.labels[0] == "<10%" and page.score_table_button.isEnabled()
