"""Printable timetables: one A4 page per class or per teacher, in the CJK font the reports use
(app.reports.common), with a footer stamp naming the program version, the term and when the page
was made."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlite_utils import Database

from app import __version__
from app.errors import invalid
from app.progress import Progress
from app.reports.common import made_text, register_font
from app.timetable.grids import Grid, class_grid, teacher_grid
from app.timetable.model import DAY_NAMES, load_timetable



def _styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=17, leading=22, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", fontName=font, fontSize=10.5, leading=14, alignment=TA_CENTER,
                                   textColor=colors.HexColor("#444444")),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=10.5, leading=13, alignment=TA_CENTER),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=10, alignment=TA_CENTER,
                                textColor=colors.HexColor("#555555")),
        "head": ParagraphStyle("head", fontName=font, fontSize=11, leading=14, alignment=TA_CENTER,
                               textColor=colors.white),
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _grid_table(grid: Grid, styles: dict[str, ParagraphStyle], width: float, height: float) -> Table:
    """Return the week as a table filling `width`; lesson rows share what `height` leaves after the
    header and the activity rows (at most 24 mm each)."""
    label_width = 30 * mm
    spans = [row for row in grid.rows if row.kind != "lesson" and not row.cells]
    lesson_rows = len(grid.rows) - len(spans)
    lesson_height = min(24 * mm, (height - 9 * mm - 10 * mm * len(spans)) / max(lesson_rows, 1))
    day_width = (width - label_width) / len(grid.days)
    data = [[Paragraph("节次", styles["head"])] + [Paragraph(DAY_NAMES[d], styles["head"]) for d in grid.days]]
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.HexColor("#7a8797")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f4e79")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    heights = [9 * mm]
    for row in grid.rows:
        label = _escape(row.label) + (f"<br/><font size=7.5 color='#666666'>{row.time}</font>" if row.time else "")
        line = [Paragraph(label, styles["cell"])]
        index = len(data)
        if row.kind != "lesson" and not row.cells:
            line += [Paragraph(_escape(row.label), styles["small"])] + [""] * (len(grid.days) - 1)
            commands += [("SPAN", (1, index), (-1, index)),
                         ("BACKGROUND", (0, index), (-1, index), colors.HexColor("#eef2f6"))]
            heights.append(10 * mm)
        else:
            for day in grid.days:
                cell = row.cells.get(day)
                text = "<br/>".join(_escape(t) for t in cell.lines if t) if cell else ""
                if cell and cell.note:
                    text = f"<font size=7.5 color='#555555'>{_escape(cell.note)}</font><br/>{text}"
                line.append(Paragraph(text, styles["cell"]))
            if row.kind != "lesson":
                commands.append(("BACKGROUND", (0, index), (0, index), colors.HexColor("#eef2f6")))
            heights.append(lesson_height)
        data.append(line)
    table = Table(data, colWidths=[label_width] + [day_width] * len(grid.days), rowHeights=heights)
    table.setStyle(TableStyle(commands))
    return table


def _stamp(made: str, basis: str) -> Callable:
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(register_font(), 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        text = f"SchoolQ {__version__} · " + (f"{basis} · " if basis else "") + f"{made} 生成"
        canvas.drawString(doc.leftMargin, 10 * mm, text)
        canvas.drawRightString(A4[0] - doc.rightMargin, 10 * mm, f"第 {doc.page} 页")
        canvas.restoreState()
    return draw


def timetables_pdf(db: Database, path: str | Path, *, class_ids: Sequence[str] = (), teacher_ids: Sequence[str] = (),
                   term: dict | None = None, school_id: str | None = None, progress: Progress | None = None) -> Path:
    """Write an A4 PDF with one page per class in `class_ids` and per teacher in `teacher_ids`
    (term default current; `school_id` limits what is read) and return its path. Raises
    ValidationError when nothing is chosen or an id is not in the term's timetable data."""
    class_ids, teacher_ids = list(class_ids), list(teacher_ids)
    if not class_ids and not teacher_ids:
        raise invalid("请至少选择一个班级或一位教师。")
    data = load_timetable(db, term, school_id)
    missing = [c for c in class_ids if c not in data.classes] + [t for t in teacher_ids if t not in data.teachers]
    if missing:
        raise invalid("所选的班级或教师不在这个学期的数据中。")
    grids = [class_grid(data, c) for c in class_ids] + [teacher_grid(data, t) for t in teacher_ids]
    path = Path(path)
    styles = _styles()
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title="课程表", author=f"SchoolQ {__version__}")
    story: list = []
    for number, grid in enumerate(grids):
        if number:
            story.append(PageBreak())
        story += [Paragraph(_escape(grid.title), styles["title"]), Spacer(1, 2 * mm),
                  Paragraph(_escape(grid.subtitle), styles["subtitle"]), Spacer(1, 6 * mm),
                  _grid_table(grid, styles, doc.width, doc.height - 32 * mm)]
        if progress is not None:
            progress((number + 1) / len(grids), f"正在排版 {grid.title}")
    made = made_text(None)
    stamp = _stamp(made, data.term["name"])
    doc.build(story, onFirstPage=stamp, onLaterPages=stamp)
    return path
