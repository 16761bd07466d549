"""Printed timetables: one A4 page per class or teacher, Chinese text in the embedded CJK font,
the footer stamp with the program version."""
from __future__ import annotations

from pypdf import PdfReader

from app import __version__
from app.cli import main
from app.db.database import open_database
from app.timetable.grids import class_grid, teacher_grid
from app.timetable.model import load_timetable


def test_print_classes_and_an_itinerant_teacher(demo_path, tmp_path, capsys):
    out = tmp_path / "课表.pdf"
    db = open_database(demo_path)
    itinerant = db.execute("SELECT t.name FROM teacher t JOIN teacher_site ts ON ts.teacher_id = t.id"
                           " ORDER BY t.staff_no LIMIT 1").fetchone()[0]
    classes = db.execute("SELECT COUNT(*) FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                         " ON y.id = c.academic_year_id WHERE s.code = 'QSZ01' AND y.code = '2026-2027'").fetchone()[0]
    db.close()
    assert main(["timetable", "print", str(demo_path), "--school", "QSZ01", "--all-classes", "--teacher", itinerant,
                 "--out", str(out)]) == 0
    reader = PdfReader(out)
    assert len(reader.pages) == classes + 1
    first = reader.pages[0]
    assert abs(float(first.mediabox.width) - 595.3) < 1 and abs(float(first.mediabox.height) - 841.9) < 1
    text = first.extract_text()
    assert "一(1)班 课程表" in text and "星期一" in text and "大课间" in text and f"SchoolQ {__version__}" in text
    last = reader.pages[-1].extract_text()
    assert itinerant in last and "教学点" in last
    fonts = {str(f.get_object()["/BaseFont"]) for f in first["/Resources"]["/Font"].values()}
    assert any("WenQuanYiMicroHei" in f for f in fonts)
    assert main(["timetable", "print", str(demo_path), "--school", "QSZ01", "--class", "九(9)班",
                 "--out", str(out)]) == 2


def test_grids_show_every_lesson_once(demo_db):
    data = load_timetable(demo_db)
    cls = next(c for c in data.classes.values() if c.name == "三(1)班" and data.schools[c.school_id].code == "QSZ01")
    grid = class_grid(data, cls.id)
    cells = [(day, row.slot, tuple(cell.lines)) for row in grid.rows for day, cell in row.cells.items()]
    expected = {(d, s) for d, s in demo_db.execute("SELECT day, slot FROM timetable_slot WHERE class_id = ?", [cls.id])}
    assert {(d, s) for d, s, _ in cells} == expected and grid.lessons == len(expected) == 30
    itinerant = demo_db.execute("SELECT t.id FROM teacher t JOIN teacher_site ts ON ts.teacher_id = t.id"
                                " ORDER BY t.staff_no LIMIT 1").fetchone()[0]
    grid = teacher_grid(data, itinerant)
    away = [cell for row in grid.rows for cell in row.cells.values() if cell.note]
    lessons = demo_db.execute("SELECT COUNT(*), SUM(t.school_id != x.school_id) FROM timetable_slot t"
                              " JOIN teacher x ON x.id = t.teacher_id WHERE t.teacher_id = ?", [itinerant]).fetchone()
    assert grid.lessons == lessons[0] and len(away) == lessons[1] > 0
    assert all(cell.note.endswith("教学点") for cell in away)
