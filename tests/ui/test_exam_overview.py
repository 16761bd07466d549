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


def _page(school_session, make_window):
    db = school_session.db
    exam_id = create_exam(db, SYSTEM, name="三年级语文测验", type="单元", grades="3", subjects="语文:100",
                          policy="sat")
    subject_id = db.execute("SELECT subject_id FROM exam_subject WHERE exam_id = ?", [exam_id]).fetchone()[0]
    for number, value in MARKS.items():
        pupil_id = db.execute("SELECT id FROM pupil WHERE student_no = ?", [number]).fetchone()[0]
        set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value=value)
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
