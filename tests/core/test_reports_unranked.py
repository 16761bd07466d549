"""A sample test (抽测) carries no rank anywhere: 000 篇9 "抽测…统计结果不进行排队".

The demo's midterm is turned into a 抽测 (the exam row's type; its marks stay), then every report
kind is written as PDF and as workbook, and the PDF text (pypdf) and every workbook cell are
searched for a rank: a 名次 / 排名 column, a '第 N 位' or an A/B/C 档. The same exam as a 统考 does
show ranks, so the search would find them.
"""
from __future__ import annotations

import re

import pypdf
import pytest
from openpyxl import load_workbook

from app.reports import build_report, write_report
from app.stats.groups import group_stats
from app.stats.pupils import pupil_results
from app.stats.scoring import teacher_scores
from report_helpers import copy_demo, exam_ids

RANK_WORDS = re.compile(r"名次|排名|第 ?\d+ ?位|[ABC] ?档|\d+ ?/ ?\d+ 位")
# Sentences that say there is no rank are allowed.
ALLOWED = re.compile(r"抽测不排名|不排名|不参加排名|不列段内名次和档次")


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def _xlsx_text(path) -> str:
    book = load_workbook(path)
    return "\n".join(str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
                     if cell.value is not None)


def _ranks_in(text: str) -> list[str]:
    return [m.group(0) for m in RANK_WORDS.finditer(ALLOWED.sub("", re.sub(r"\s+", " ", text)))]


@pytest.fixture(scope="module")
def sample(demo_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    db = copy_demo(demo_template, folder / "db")
    exams = exam_ids(db)
    staff_no = db.execute(
        "SELECT t.staff_no FROM teacher t JOIN teaching_assignment a ON a.teacher_id = t.id JOIN subject s"
        " ON s.id = a.subject_id JOIN school sc ON sc.id = t.school_id WHERE s.code = 'yw' AND sc.code = 'QSZ01'"
        " ORDER BY t.staff_no LIMIT 1").fetchone()[0]
    kinds = {"township": {}, "teacher": {"teacher": staff_no}, "class": {"school": "QSZ01", "class_name": "三(1)班"},
             "exam-school": {"school": "QSZ01"}}
    yield db, exams, folder, kinds
    db.close()


def _write_all(db, exam_id, baseline, folder, kinds, tag):
    out = {}
    for kind, args in kinds.items():
        report = build_report(db, kind, exam_id, baseline=baseline, **args)
        out[kind] = (write_report(report, folder / f"{tag}-{kind}.pdf"), write_report(report, folder / f"{tag}-{kind}.xlsx"))
    return out


def test_a_sample_test_has_no_rank_in_any_report_or_figure(sample):
    db, exams, folder, kinds = sample
    ranked = _write_all(db, exams["统考"], exams["期末"], folder, kinds, "unified")
    # As a 统考 the township, class and exam-school reports do carry ranks: the search finds them.
    for kind in ("township", "class", "exam-school"):
        pdf, xlsx = ranked[kind]
        assert _ranks_in(_pdf_text(pdf)) and _ranks_in(_xlsx_text(xlsx)), kind

    db.execute("UPDATE exam SET type = '抽测' WHERE id = ?", [exams["统考"]])
    db.conn.commit()
    unranked = _write_all(db, exams["统考"], exams["期末"], folder, kinds, "sample")
    for kind, (pdf, xlsx) in unranked.items():
        assert _ranks_in(_pdf_text(pdf)) == [], kind
        assert _ranks_in(_xlsx_text(xlsx)) == [], kind
        assert "抽测不排名" in _pdf_text(pdf) or "抽测不排名" in _xlsx_text(xlsx), kind
    # The figures themselves carry none either: groups, pupils, teachers.
    for level in ("class", "grade", "school", "township"):
        assert all(r["rank"] is None for r in group_stats(db, exams["统考"], level, min_size=1))
    pupils = pupil_results(db, exams["统考"], school_id=db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0])
    assert pupils and all(p["total_rank_class"] is None and all(s["rank_class"] is None for s in p["subjects"])
                          for p in pupils)
    assert all(t["rank_in_stage"] is None and t["band"] is None for t in teacher_scores(db, exams["统考"], exams["期末"]))


def test_outputs_naming_pupils_are_marked_in_header_and_footer(sample):
    db, exams, folder, kinds = sample
    for kind in ("class", "teacher", "exam-school"):
        report = build_report(db, kind, exams["统考"], **kinds[kind])
        pdf = write_report(report, folder / f"mark-{kind}.pdf")
        for page in pypdf.PdfReader(str(pdf)).pages:
            assert page.extract_text().count("内部资料 · 不得公开") == 2, kind
        sheet = load_workbook(write_report(report, folder / f"mark-{kind}.xlsx")).worksheets[0]
        assert "内部资料 · 不得公开" in sheet.oddHeader.right.text
        assert "内部资料 · 不得公开" in sheet.oddFooter.center.text
    township = build_report(db, "township", exams["统考"])
    for page in pypdf.PdfReader(str(write_report(township, folder / "mark-township.pdf"))).pages:
        assert "内部资料" not in page.extract_text()  # no pupil is named in the township summary
