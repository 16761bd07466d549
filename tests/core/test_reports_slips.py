"""成绩通知单: one slip per pupil with the 等级 worked out here from the marks, and nothing else — no
score, no rank, no other pupil's name — one or two to an A4 page."""
from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from openpyxl import load_workbook

from app.reports import build_report, write_report
from report_helpers import copy_demo, exam_ids, ink_share, pages_text, render_page

MADE = dt.datetime(2026, 11, 20, 9, 30)


@pytest.fixture(scope="module")
def slips(demo_template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("slips")
    db = copy_demo(demo_template, folder / "db")
    exams = exam_ids(db)
    class_id = db.execute("SELECT c.id FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                          " ON y.id = c.academic_year_id WHERE s.code = 'QSZ01' AND c.name = '三(1)班'"
                          " AND y.code = '2026-2027'").fetchone()[0]
    one = build_report(db, "slips", exams["统考"], school="QSZ01", class_name="三(1)班", slips_per_page=1, made=MADE)
    two = build_report(db, "slips", exams["统考"], school="QSZ01", class_name="3.1", slips_per_page=2, made=MADE)
    yield {"db": db, "exams": exams, "class_id": class_id, "folder": folder,
           "one": write_report(one, folder / "one.pdf"), "two": write_report(two, folder / "two.pdf"),
           "xlsx": write_report(two, folder / "slips.xlsx")}
    db.close()


def _pupils(db, exam_id, class_id):
    return db.execute("SELECT DISTINCT p.id, p.name, p.student_no FROM mark m JOIN pupil p ON p.id = m.pupil_id"
                      " WHERE m.exam_id = ? AND m.class_id = ? ORDER BY p.student_no", [exam_id, class_id]).fetchall()


def _level(status, score, levels=None):
    if status != "正常":
        return status
    if levels:  # a 等级 subject stores its level's position, 1 = best
        return levels.split("/")[int(score) - 1]
    return "优秀" if score >= 85 else "良好" if score >= 75 else "合格" if score >= 60 else "待提高"


def test_one_slip_per_page_with_own_levels_only(slips):
    db, exam = slips["db"], slips["exams"]["统考"]
    pupils = _pupils(db, exam, slips["class_id"])
    everyone = [r[0] for r in db.execute("SELECT name FROM pupil WHERE school_id = (SELECT school_id FROM class"
                                         " WHERE id = ?)", [slips["class_id"]])]
    pages = pages_text(slips["one"])
    assert len(pages) == len(pupils) > 30
    for (pupil_id, name, student_no), text in zip(pupils, pages):
        body = "\n".join(line for line in text.splitlines()[1:]
                         if "SchoolQ" not in line and "第 " not in line and not line.startswith("数据校验"))
        assert "成绩通知单" in body and name in body
        assert student_no not in text and "学籍号" not in text, "a slip for parents carries no 学籍号"
        assert "含学生个人信息,请妥善保管,勿外传" in text
        others = [n for n in everyone if n in body and n not in name and n != name]
        assert not others, f"{name} 的通知单上出现了 {others}"
        for subject, status, score, levels in db.execute(
                "SELECT s.name, m.status, m.score, es.levels FROM mark m JOIN subject s ON s.id = m.subject_id"
                " JOIN exam_subject es ON es.exam_id = m.exam_id AND es.subject_id = m.subject_id"
                " WHERE m.exam_id = ? AND m.pupil_id = ?", [exam, pupil_id]):
            assert re.search(rf"{subject}\s+{_level(status, score, levels)}(\s|$)", body, re.M), (name, subject)
        # no score and no rank: the only numbers are the class, the exam's years and the legend's lines
        rest = body.replace("2026—2027", "").replace("三(1)班", "")
        assert sorted(set(re.findall(r"\d+(?:\.\d+)?", rest))) == ["60", "75", "85"]
        assert "名次" not in body and "分数" not in body


def test_two_slips_to_a_page(slips):
    pupils = _pupils(slips["db"], slips["exams"]["统考"], slips["class_id"])
    pages = pages_text(slips["two"])
    assert len(pages) == math.ceil(len(pupils) / 2)
    names = [p[1] for p in pupils]
    for i, text in enumerate(pages):
        assert [n for n in names[2 * i:2 * i + 2] if n in text] == names[2 * i:2 * i + 2]
        assert "沿此线剪开" in text or i == len(pages) - 1


def test_slips_workbook_has_each_pupil_once_and_no_numbers(slips):
    ws = load_workbook(slips["xlsx"])["成绩通知单"]
    values = [v for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert not [v for v in values if isinstance(v, (int, float))]
    for _, name, _ in _pupils(slips["db"], slips["exams"]["统考"], slips["class_id"]):
        assert values.count(f"姓名:{name}") == 1
    assert len(ws.row_breaks.brk) == len(_pupils(slips["db"], slips["exams"]["统考"], slips["class_id"])) // 2


def test_slip_page_renders(slips):
    png = render_page(slips["two"], 1, slips["folder"] / "slips-p1.png")
    if png is None:
        pytest.skip("pdftoppm is not installed")
    assert ink_share(png) > 0.02
