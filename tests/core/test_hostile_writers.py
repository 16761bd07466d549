"""Formula injection (issue 14): every .xlsx the program writes stores text as text.

A name such as =HYPERLINK("http://…","成绩") can still sit in an old database (imports refuse it
now), so each writer is given such text and its output is opened as a zip: no worksheet may hold
a formula element, and the text must be there as a plain string.
"""
from __future__ import annotations

import io
import re
import sqlite3
import zipfile

from openpyxl import load_workbook

from app.cli import main
from app.importing.assignments import write_template
from app.packages.datasheet import write_workbook
from report_helpers import exam_ids

EVIL = '=HYPERLINK("http://evil.example/x","查看成绩")'
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def formulas_in(data: bytes) -> list[str]:
    """Return the worksheet parts of an .xlsx that hold a formula element."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return [name for name in book.namelist()
                if name.startswith("xl/worksheets/") and _FORMULA.search(book.read(name))]


def text_cells(data: bytes, text: str) -> list[str]:
    """Return the data types of the cells whose value is `text` (s for a string)."""
    book = load_workbook(io.BytesIO(data))
    return [cell.data_type for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value == text]


def test_reports_write_a_formula_like_name_as_text(demo_path, demo_db, tmp_path):
    pupil_id, class_name = demo_db.execute(
        "SELECT p.id, c.name FROM pupil p JOIN class c ON c.id = p.class_id JOIN school s ON s.id = p.school_id"
        " WHERE s.code = 'QSZ01' AND p.status = '在读' ORDER BY c.name, p.student_no LIMIT 1").fetchone()
    exams = exam_ids(demo_db)
    demo_db.close()
    conn = sqlite3.connect(demo_path)
    conn.execute("UPDATE pupil SET name = ? WHERE id = ?", [EVIL, pupil_id])
    conn.commit()
    conn.close()
    found = []
    for kind, extra in (("class", ["--class", class_name]), ("slips", ["--class", class_name]),
                        ("exam-school", [])):
        out = tmp_path / f"{kind}.xlsx"
        assert main(["report", str(demo_path), "--kind", kind, "--exam", exams["统考"], "--school", "QSZ01",
                     *extra, "--out", str(out)]) == 0
        data = out.read_bytes()
        assert formulas_in(data) == [], kind
        found += text_cells(data, EVIL)
    assert found and set(found) == {"s"}


def test_a_package_data_sheet_keeps_formula_like_text_as_text():
    rows = {"学生": [{"student_no": "G1", "name": EVIL, "gender": "男"}, {"student_no": "G2", "name": "+1+2",
                                                                     "gender": "女"}],
            "教师": [{"staff_no": "-1", "name": "@SUM(A1)"}]}
    data = write_workbook(rows, [("发送单位", "=1+1")])
    assert formulas_in(data) == []
    assert text_cells(data, EVIL) == ["s"] and text_cells(data, "=1+1") == ["s"]


def test_the_assignment_template_keeps_a_formula_like_teacher_name_as_text(tmp_path):
    import datetime as dt

    from app.db.writes import SYSTEM
    from app.services import classes, schools, setup, teachers

    db = setup.init_school(tmp_path / "s.sqlite", code="XS01", name="溪水完全小学", type="完小",
                           passphrase="secret-pass", today=dt.date(2025, 10, 15))
    school = schools.school_by_code(db, "XS01")
    term = schools.current_term(db)
    classes.create_class(db, SYSTEM, school_id=school["id"], academic_year_id=term["academic_year_id"], grades=[3],
                         number=1)
    teacher_id = teachers.add_teacher(db, SYSTEM, school["id"], {"staff_no": "T01", "name": "李明", "gender": "男"})
    db.execute("UPDATE teacher SET name = ? WHERE id = ?", ["=cmd|' /C calc'!A0", teacher_id])
    db.conn.commit()
    data = write_template(db, school["id"], term["id"], tmp_path / "任课表.xlsx").read_bytes()
    db.close()
    assert formulas_in(data) == []
