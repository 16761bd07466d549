"""考试质量分析报告 of the demo central school: the PDF's text and the workbook's cells hold the figures
worked out here from the marks with plain SQL; every page carries the header and the stamp; the
font is embedded; the same data gives the same file and a changed mark a different data hash."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from openpyxl import load_workbook

from app import __version__
from app.db.writes import SYSTEM
from app.reports import build_report, write_report
from app.marks.entry import set_mark
from app.stats.presets import active_preset
from app.stats.progress import progress_values, value_added
from report_helpers import (copy_demo, exam_ids, fonts, ink_share, line_with, pages_text, render_page,
                            roster_figures)

MADE = dt.datetime(2026, 11, 20, 9, 30)
SCHOOL = "青山镇中心小学"


@pytest.fixture(scope="module")
def made(demo_template, tmp_path_factory):
    """The school report of QSZ01 against last year's final, as PDF and xlsx."""
    folder = tmp_path_factory.mktemp("school-report")
    db = copy_demo(demo_template, folder / "db")
    exams = exam_ids(db)
    report = build_report(db, "exam-school", exams["统考"], school="QSZ01", baseline=exams["期末"], made=MADE)
    pdf = write_report(report, folder / "school.pdf")
    xlsx = write_report(report, folder / "school.xlsx")
    yield {"db": db, "exams": exams, "report": report, "pdf": pdf, "xlsx": xlsx, "pages": pages_text(pdf),
           "folder": folder}
    db.close()


def test_grade_figures_in_the_pdf_are_those_of_the_marks(made):
    db, exams = made["db"], made["exams"]
    text = "\n".join(made["pages"])
    for grade, grade_word, subject in ((3, "三年级", "数学"), (5, "五年级", "英语")):
        f = roster_figures(db, exams["统考"], subject, school="QSZ01", grade=grade)
        row = line_with(text, grade_word, subject, f" {f['n']} ", f"{f['mean']:.1f}", f"{100 * f['pass_rate']:.1f}%",
                        f"{100 * f['excellent_rate']:.1f}%")
        assert row, f"{grade_word}{subject}: n={f['n']} mean={f['mean']:.1f} not found"
    whole = roster_figures(db, exams["统考"], "语文", school="QSZ01")
    assert line_with(text, "语文", f"{whole['mean']:.1f}", f"{100 * whole['pass_rate']:.1f}%")
    township = roster_figures(db, exams["统考"], "语文")  # 全乡平均分 beside the school's own
    assert line_with(text, "语文", f"{whole['mean']:.1f}", f"{township['mean']:.1f}")


def test_progress_value_in_the_pdf_is_recomputed_from_both_exams(made):
    db, exams = made["db"], made["exams"]
    rows = db.execute(
        "SELECT a.status, a.score, b.status, b.score FROM mark a JOIN mark b ON b.pupil_id = a.pupil_id"
        " AND b.subject_id = a.subject_id JOIN subject s ON s.id = a.subject_id JOIN school sc ON sc.id = a.school_id"
        " WHERE a.exam_id = ? AND b.exam_id = ? AND s.name = '语文' AND sc.code = 'QSZ01' AND a.grade = 4",
        [exams["统考"], exams["期末"]]).fetchall()
    value = lambda status, score: score if status == "正常" else 0.0  # noqa: E731 - both exams: roster policy
    pairs = [(value(s1, x1), value(s2, x2)) for s1, x1, s2, x2 in rows if "免考" not in (s1, s2)]

    def figures(values):
        return (sum(values) / len(values), sum(v >= 85 for v in values) / len(values),
                sum(v >= 60 for v in values) / len(values))

    (m1, e1, p1), (m0, e0, p0) = figures([p[0] for p in pairs]), figures([p[1] for p in pairs])
    progress = ((m1 - m0) + 100 * (e1 - e0) + 100 * (p1 - p0)) / 3
    text = "\n".join(made["pages"])
    assert line_with(text, "四年级", "语文", f" {len(pairs)} ", f"{m1:.1f}", f"{m0:.1f}", f"{progress:+.1f}")


def test_progress_and_value_added_are_those_of_the_whole_database(made):
    # The report reads only its school's groups; the figures are those computed over every school.
    db, exams = made["db"], made["exams"]
    tables = {t.title: t for t in made["report"].tables()}
    gains = [r for r in progress_values(db, exams["统考"], exams["期末"], "grade") if r["school_code"] == "QSZ01"]
    assert [(row[1], row[2], row[3], row[4], row[9]) for row in tables["进步值(同一批学生与基线考试相比)"].rows] == \
        [(g["subject"], None, None, None, "无基线") if g["no_baseline"] else
         (g["subject"], g["n"], g["current"]["mean"], g["baseline"]["mean"], g["progress"]) for g in gains]
    added = [r for r in value_added(db, exams["统考"], exams["期末"], "class") if r["school_code"] == "QSZ01"]
    assert [tuple(row[:6]) for row in tables["增值评价(95% 置信区间)"].rows] == \
        [(r["class_name"], r["subject"], r["n"], r["value_added"], r["ci_low"], r["ci_high"]) for r in added]
    assert gains and added


def test_every_page_has_header_and_stamp(made):
    pages, stamp = made["pages"], made["report"].stamp
    preset = active_preset(made["db"], "quality")
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        flat = re.sub(r"\s+", " ", text)
        assert f"{SCHOOL} · 2026—2027学年第一学期期中统考" in flat
        assert f"第 {number} 页 共 {len(pages)} 页" in flat
        # The preset is named by its content hash, never by its internal id.
        assert f"SchoolQ {__version__}" in flat and f"方案校验 {preset.hash[:8]}" in flat and preset.id not in flat
        assert stamp.data_hash[:12] in flat and "2026-11-20 09:30" in flat
    first = re.sub(r"\s+", " ", pages[0])
    assert "考试质量分析报告" in first and "基线考试" in first and stamp.data_hash in first


def test_the_cjk_font_is_embedded_as_a_subset(made):
    found = fonts(made["pdf"])
    assert found and all(embedded for _, embedded in found)
    assert all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei.*", name) for name, _ in found)


def test_findings_and_lists_are_written(made):
    text = re.sub(r"\s+", "", "\n".join(made["pages"]))
    assert "主要发现" in text and "较上次" in text and "全乡" in text
    assert "临界生名单" in text and "学困生名单" in text and "增值评价" in text
    assert "不得公开" in text


def test_same_data_same_file_changed_mark_changes_the_hash(made, demo_db):
    exams = exam_ids(demo_db)
    again = build_report(demo_db, "exam-school", exams["统考"], school="QSZ01", baseline=exams["期末"], made=MADE)
    assert again.stamp.data_hash == made["report"].stamp.data_hash
    copy = write_report(again, made["folder"] / "again.pdf")
    assert copy.read_bytes() == made["pdf"].read_bytes()
    hashes = [again.stamp.data_hash]
    # a mark of the school itself, then one of another school of the township (the report compares
    # with the township): each changes the hash
    for school in ("QSZ01", "QSZ03"):
        pupil, subject, score = demo_db.execute(
            "SELECT m.pupil_id, m.subject_id, m.score FROM mark m JOIN school s ON s.id = m.school_id"
            " WHERE m.exam_id = ? AND s.code = ? AND m.status = '正常' AND m.score < 99 LIMIT 1",
            [exams["统考"], school]).fetchone()
        set_mark(demo_db, SYSTEM, exam_id=exams["统考"], pupil_id=pupil, subject_id=subject, value=score + 1)
        changed = build_report(demo_db, "exam-school", exams["统考"], school="QSZ01", baseline=exams["期末"],
                               made=MADE)
        assert changed.stamp.data_hash not in hashes
        hashes.append(changed.stamp.data_hash)


def test_workbook_numbers_equal_the_marks(made):
    db, exams = made["db"], made["exams"]
    wb = load_workbook(made["xlsx"])
    assert wb.sheetnames[0] == "说明" and {"各年级三率一分", "分数段", "班级对比", "进步值", "增值评价"} <= set(wb.sheetnames)
    ws = wb["各年级三率一分"]
    header = [c.value for c in ws[1]]
    rows = {(r[0], r[1]): dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    f = roster_figures(db, exams["统考"], "数学", school="QSZ01", grade=3)
    row = rows[("三年级", "数学")]
    assert row["统计人数"] == f["n"] and isinstance(row["统计人数"], int)
    assert row["平均分"] == pytest.approx(f["mean"]) and row["及格率"] == pytest.approx(f["pass_rate"])
    assert row["优秀率"] == pytest.approx(f["excellent_rate"])
    assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.cell(row=2, column=6).number_format == "0.0%"
    # a column holding 道德与法治 (5 characters) is at least 10 units wide
    assert ws.column_dimensions["B"].width >= 10
    about = [r for r in wb["说明"].iter_rows(values_only=True)]
    assert ("数据校验", made["report"].stamp.data_hash) in about


def test_first_page_renders(made):
    png = render_page(made["pdf"], 1, made["folder"] / "school-p1.png")
    if png is None:
        pytest.skip("pdftoppm is not installed")
    assert png.stat().st_size > 10_000 and ink_share(png) > 0.02
