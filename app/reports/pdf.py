"""Draw a report model as an A4 PDF: portrait pages, landscape pages for wide sections, the CJK font
embedded as a subset, a header with school and exam on every page, and a footer stamp with the
program version, scoring presets, data hash, time made and "第 N 页 共 M 页".

The total page count is only known once every page is laid out, so the canvas keeps each finished
page and writes the page numbers when the document is saved.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether, NextPageTemplate,
                                PageBreak, PageTemplate, Paragraph, Spacer)
from reportlab.platypus import Table as RLTable
from reportlab.platypus import TableStyle

from app import __version__
from app.progress import CancelCheck, Cancelled, Progress
from app.reports.common import register_font
from app.reports.layout import MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X
from app.reports.model import Chart, Findings, Report, Slip, Table, Text
from app.stats.vocabulary import CONFIDENTIAL, format_value

NUMERIC = ("int", "score", "num", "num2", "pct", "signed", "signed2", "signed_pct")
INK = colors.HexColor("#1f4e79")
GREY = colors.HexColor("#666666")
STRIPE = colors.HexColor("#f2f5f9")
HEAD_TINT = colors.HexColor("#dde7f2")
RED = colors.HexColor("#b00020")


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def styles() -> dict[str, ParagraphStyle]:
    """Return the paragraph styles of reports, all in the CJK font (wordWrap CJK breaks anywhere)."""
    font = register_font()

    def style(name: str, size: float, leading: float, **extra) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, bulletFontName=font, fontSize=size, leading=leading,
                              wordWrap="CJK", **extra)

    return {
        "title": style("title", 18, 24, alignment=TA_CENTER, spaceAfter=2 * mm),
        "subtitle": style("subtitle", 10.5, 15, alignment=TA_CENTER, textColor=GREY, spaceAfter=4 * mm),
        "h1": style("h1", 14, 19, textColor=INK, spaceBefore=5 * mm, spaceAfter=2.5 * mm, keepWithNext=1),
        "h3": style("h3", 10, 14, spaceBefore=2.5 * mm, spaceAfter=1.2 * mm),
        "body": style("body", 10, 15.5, spaceAfter=1.5 * mm),
        "bullet": style("bullet", 10, 15.5, leftIndent=5 * mm, bulletIndent=1 * mm, spaceAfter=1 * mm),
        "note": style("note", 8.5, 12, textColor=GREY, spaceBefore=1 * mm, spaceAfter=2 * mm),
        "warning": style("warning", 9.5, 14, textColor=RED),
        "caption": style("caption", 8.5, 12, alignment=TA_CENTER, textColor=GREY, spaceAfter=3 * mm),
        "cell": style("cell", 8.5, 10.5, alignment=TA_LEFT),
        "basis": style("basis", 8.5, 12),
    }


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages until save, then writes '第 N 页 共 M 页' on each."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            width = self._pagesize[0]
            self.setFont(register_font(), 7.5)
            self.setFillColor(GREY)
            self.drawRightString(width - MARGIN_X, 8 * mm, f"第 {number} 页 共 {total} 页")
            super().showPage()
        super().save()


class _Document(BaseDocTemplate):
    """Portrait and landscape page templates sharing the header and footer; reports progress and
    honours cancel after each flowable."""

    def __init__(self, path: str, report: Report, flowables: int, progress: Progress | None,
                 cancelled: CancelCheck | None) -> None:
        super().__init__(path, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
                         bottomMargin=MARGIN_BOTTOM, title=report.file_title or report.title,
                         author=f"SchoolQ {__version__}", subject=report.header, creator=f"SchoolQ {__version__}",
                         invariant=1, initialFontName=register_font())
        self.report = report
        self._count, self._done = max(1, flowables), 0
        self._progress, self._cancelled = progress, cancelled
        templates = []
        for name, size in (("portrait", A4), ("landscape", landscape(A4))):
            frame = Frame(MARGIN_X, MARGIN_BOTTOM, size[0] - 2 * MARGIN_X, size[1] - MARGIN_TOP - MARGIN_BOTTOM,
                          id=name, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
            templates.append(PageTemplate(id=name, frames=[frame], pagesize=size, onPage=self._decorate))
        self.addPageTemplates(templates)

    def _decorate(self, canvas: Canvas, doc) -> None:
        width, height = canvas._pagesize  # noqa: SLF001 - the size of this page (portrait or landscape)
        font = register_font()
        canvas.saveState()
        canvas.setFont(font, 8.5)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN_X, height - 11 * mm, self.report.header)
        canvas.drawRightString(width - MARGIN_X, height - 11 * mm, self.report.title)
        if self.report.confidential:
            canvas.setFillColor(RED)
            canvas.setFont(font, 9)
            canvas.drawCentredString(width / 2, height - 6.5 * mm, f"【{CONFIDENTIAL}】")
            canvas.setFont(font, 7.5)
            canvas.drawCentredString(width / 2, 1.8 * mm, f"【{CONFIDENTIAL}】")
        canvas.setStrokeColor(colors.HexColor("#9aa7b4"))
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, height - 12.8 * mm, width - MARGIN_X, height - 12.8 * mm)
        canvas.line(MARGIN_X, 11.5 * mm, width - MARGIN_X, 11.5 * mm)
        canvas.setFont(font, 7)
        canvas.setFillColor(GREY)
        footer = self.report.stamp.footer()
        room = width - 2 * MARGIN_X - 32 * mm  # leave the page number its place
        if stringWidth(footer, font, 7) <= room:
            canvas.drawString(MARGIN_X, 8 * mm, footer)
        else:
            first, _, second = footer.partition(" · 数据校验 ")
            canvas.drawString(MARGIN_X, 8.6 * mm, first)
            canvas.drawString(MARGIN_X, 5.4 * mm, "数据校验 " + second)
        canvas.restoreState()

    def afterFlowable(self, flowable) -> None:  # noqa: N802 - reportlab's name
        self._done += 1
        if self._cancelled is not None and self._cancelled():
            raise Cancelled()
        if self._progress is not None and self._done % 20 == 0:
            self._progress(min(0.99, 0.5 + 0.5 * self._done / self._count), "正在排版")


def _frame_width(is_landscape: bool) -> float:
    return (landscape(A4) if is_landscape else A4)[0] - 2 * MARGIN_X


_WIDTHS: dict[str, float] = {}


def _unit_width(text: str) -> float:
    """Return the width of `text` at font size 1 (widths scale with the size), cached."""
    width = _WIDTHS.get(text)
    if width is None:
        width = _WIDTHS[text] = stringWidth(text, register_font(), 1)
    return width


def _table(block: Table, width: float, st: dict[str, ParagraphStyle], is_landscape: bool) -> list:
    """Return the flowables of a table block: title, table (header repeated on every page), note.

    Column widths are measured on the longest text of each column; when the table is too wide the
    font shrinks (down to 6.5 pt) and then the columns are scaled, text wrapping where needed.
    """
    font = register_font()
    size = 8 if is_landscape else 8.5
    texts = [[format_value(v, c.kind) for v, c in zip(row, block.columns)] for row in block.rows]
    pad = 6
    longest = []
    for i, column in enumerate(block.columns):
        longest.append(max([_unit_width(column.label)] + [_unit_width(t[i]) for t in texts]))

    def natural(size: float) -> list[float]:
        return [min(longest[i] * size + pad, 70 * mm) if column.kind == "para" else longest[i] * size + pad
                for i, column in enumerate(block.columns)]

    widths = natural(size)
    while sum(widths) > width and size > 6.5:
        size -= 0.5
        widths = natural(size)
    if sum(widths) > width:
        scale = width / sum(widths)
        widths = [w * scale for w in widths]
    else:
        spare = width - sum(widths)
        widths = [w + spare * w / sum(widths) for w in widths]
    cell = ParagraphStyle("cellx", parent=st["cell"], fontSize=size, leading=size * 1.25)
    head = ParagraphStyle("headx", parent=cell, alignment=TA_CENTER, textColor=colors.white)
    data: list[list] = [[Paragraph(_escape(c.label), head) if _unit_width(c.label) * size + pad > widths[i]
                         else c.label for i, c in enumerate(block.columns)]]
    for text_row in texts:
        line = []
        for i, text in enumerate(text_row):
            wrap = block.columns[i].kind in ("text", "para") and _unit_width(text) * size + pad > widths[i]
            line.append(Paragraph(_escape(text), cell) if wrap else text)
        data.append(line)
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), size * 1.25),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b4")),
        ("BACKGROUND", (0, 0), (-1, 0), INK), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.6), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
    ]
    for i, column in enumerate(block.columns):
        if column.kind in NUMERIC:
            commands.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
    for r in sorted(block.breaks):
        if r:
            commands.append(("LINEABOVE", (0, r + 1), (-1, r + 1), 1.1, INK))
    for r in sorted(block.muted):
        commands.append(("TEXTCOLOR", (0, r + 1), (-1, r + 1), colors.HexColor("#8a8a8a")))
    table = RLTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    out: list = [CondPageBreak(30 * mm), Paragraph(_escape(block.title), st["h3"]), table]
    if block.note:
        out.append(Paragraph(_escape(block.note), st["note"]))
    else:
        out.append(Spacer(1, 2.5 * mm))
    return out


@lru_cache(maxsize=64)
def _wrap(text: str, size: float, width: float) -> tuple[str, ...]:
    """Return `text` broken into lines no wider than `width` (CJK text breaks between any two
    characters, but a closing punctuation mark stays at the end of its line)."""
    lines, current = [], ""
    for ch in text:
        if current and ch not in "。,、;:)”" and (_unit_width(current) + _unit_width(ch)) * size > width:
            lines.append(current)
            current = ch
        else:
            current += ch
    return tuple(lines + [current] if current else lines)


class _SlipBox(Flowable):
    """One slip drawn straight onto the canvas in a box of fixed height: title, school and exam,
    who, the 等级 grid, the legend, ruled lines for the teacher's comment and the signatures.
    (Drawn directly rather than as nested tables and paragraphs: 500 slips lay out in a few
    seconds.)"""

    PAD = 8 * mm

    def __init__(self, slip: Slip, school: str, exam: str, width: float, height: float) -> None:
        super().__init__()
        self.slip, self.school, self.exam = slip, school, exam
        self.width, self.height = width, height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def _text(self, x: float, y: float, text: str, size: float, colour=colors.black, anchor: str = "left") -> float:
        """Draw `text` and return its width."""
        canvas = self.canv
        canvas.setFont(register_font(), size)
        canvas.setFillColor(colour)
        {"left": canvas.drawString, "centre": canvas.drawCentredString}[anchor](x, y, text)
        return _unit_width(text) * size

    def draw(self) -> None:
        canvas, slip = self.canv, self.slip
        inner = self.width - 2 * self.PAD
        left, top = self.PAD, self.height
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#7a8797"))
        canvas.setLineWidth(0.8)
        canvas.rect(0, 0, self.width, self.height)
        y = top - 5 * mm - 17
        self._text(self.width / 2, y, "成绩通知单", 17, anchor="centre")
        y -= 16
        self._text(self.width / 2, y, f"{self.school} · {self.exam}", 10, GREY, anchor="centre")
        y -= 24
        x = left
        canvas.setLineWidth(0.6)
        canvas.setStrokeColor(colors.black)
        for label, value in (("姓名:", slip.name), ("班级:", slip.class_name)):
            x += self._text(x, y, label, 11)
            width = self._text(x + 4, y, value, 11) + 8
            canvas.line(x, y - 2.5, x + width, y - 2.5)
            x += width + 14
        # the 等级 grid: two subject / level pairs per row
        half = (len(slip.levels) + 1) // 2
        widths = [inner * w for w in (0.3, 0.2, 0.3, 0.2)]
        row_height = 7.5 * mm
        grid_top = y - 3.5 * mm
        rows = [("学科", "等级", "学科", "等级")] + [
            slip.levels[i] + (slip.levels[half + i] if half + i < len(slip.levels) else ("", "")) for i in range(half)]
        canvas.setFillColor(HEAD_TINT)
        canvas.rect(left, grid_top - row_height, inner, row_height, stroke=0, fill=1)
        canvas.setStrokeColor(colors.HexColor("#7a8797"))
        bottom = grid_top - row_height * len(rows)
        for r, cells in enumerate(rows):
            base = grid_top - row_height * (r + 1)
            canvas.line(left, base, left + inner, base)
            x = left
            for cell, width in zip(cells, widths):
                self._text(x + width / 2, base + row_height / 2 - 3.8, cell, 11, anchor="centre")
                x += width
        canvas.line(left, grid_top, left + inner, grid_top)
        x = left
        for width in [0.0] + widths:
            x += width
            canvas.line(x, grid_top, x, bottom)
        y = bottom - 4.5 * mm
        for line in _wrap(slip.legend, 8.5, inner):
            self._text(left, y, line, 8.5, GREY)
            y -= 12
        # the teacher's comment on ruled lines, down to the signatures
        y -= 5 * mm
        self._text(left, y, "班主任寄语:", 11)
        canvas.setStrokeColor(colors.HexColor("#444444"))
        canvas.setLineWidth(0.5)
        signatures = 6 * mm
        line_y = y - 1.5
        canvas.line(left + 58, line_y, left + inner, line_y)
        while line_y - 8.5 * mm > signatures + 8 * mm:
            line_y -= 8.5 * mm
            canvas.line(left, line_y, left + inner, line_y)
        x = left
        for label, width in (("班主任签名:", 40 * mm), ("家长签名:", 40 * mm), ("日期:", 30 * mm)):
            x += self._text(x, signatures, label, 11)
            canvas.line(x, signatures - 2, x + width - 10 * mm, signatures - 2)
            x += width
        canvas.restoreState()


class _CutLine(Flowable):
    """A dashed line across the frame between two slips, with 沿此线剪开 at its right end."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width, self.height = width, 9 * mm

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.6)
        canvas.setDash(4, 3)
        canvas.line(0, self.height / 2, self.width - 18 * mm, self.height / 2)
        canvas.setFont(register_font(), 7)
        canvas.setFillColor(GREY)
        canvas.drawRightString(self.width, self.height / 2 - 2.5, "沿此线剪开")
        canvas.restoreState()


def _story(report: Report, st: dict[str, ParagraphStyle]) -> list:
    story: list = []
    if report.cover:
        story += [Paragraph(_escape(report.title), st["title"]), Paragraph(_escape(report.subtitle), st["subtitle"])]
    if report.basis:
        rows = [[Paragraph(_escape(k), st["basis"]), Paragraph(_escape(v), st["basis"])] for k, v in report.basis]
        box = RLTable(rows, colWidths=[32 * mm, _frame_width(False) - 32 * mm], hAlign="LEFT")
        box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), register_font()),
                                 ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa7b4")),
                                 ("BACKGROUND", (0, 0), (0, -1), STRIPE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
        story += [box, Spacer(1, 3 * mm)]
    is_landscape = False
    slip_height = (A4[1] - MARGIN_TOP - MARGIN_BOTTOM - 9 * mm) / 2
    slips_on_page = 0
    for section in report.sections:
        if section.landscape != is_landscape:
            story += [NextPageTemplate("landscape" if section.landscape else "portrait"), PageBreak()]
            is_landscape = section.landscape
        elif section.new_page and story:
            story.append(PageBreak())
        width = _frame_width(is_landscape)
        if section.title:
            story += [CondPageBreak(45 * mm), Paragraph(_escape(section.title), st["h1"])]
        for block in section.blocks:
            if isinstance(block, Text):
                if block.style == "warning":
                    box = RLTable([[Paragraph(_escape(block.text), st["warning"])]], colWidths=[width])
                    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), register_font()),
                                             ("BOX", (0, 0), (-1, -1), 0.8, RED)]))
                    story += [box, Spacer(1, 2 * mm)]
                else:
                    story.append(Paragraph(_escape(block.text), st[block.style]))
            elif isinstance(block, Findings):
                story += [Paragraph(_escape(item), st["bullet"], bulletText="•") for item in block.items]
            elif isinstance(block, Table):
                story += _table(block, width, st, is_landscape)
            elif isinstance(block, Chart):
                row = RLTable([block.drawings], colWidths=[width / len(block.drawings)] * len(block.drawings))
                row.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), register_font()),
                                         ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                         ("VALIGN", (0, 0), (-1, -1), "TOP")]))
                story.append(KeepTogether([row, Paragraph(_escape(block.caption), st["caption"])]))
            elif isinstance(block, Slip):
                per_page = report.slips_per_page
                if slips_on_page == per_page:
                    story.append(PageBreak())
                    slips_on_page = 0
                if slips_on_page:
                    story.append(_CutLine(width))
                height = slip_height if per_page == 2 else slip_height * 1.4
                school, _, exam = report.header.partition(" · ")
                story.append(_SlipBox(block, school, exam, width, height))
                slips_on_page += 1
            else:
                raise TypeError(type(block).__name__)
    return story


def write_pdf(report: Report, path: str | Path, *, progress: Progress | None = None,
              cancelled: CancelCheck | None = None) -> Path:
    """Draw `report` into the PDF file `path` (written whole or not at all) and return the path.

    Raises Cancelled when `cancelled()` turns true (the partial file is removed), OSError
    when the file cannot be written.
    """
    path = Path(path)
    st = styles()
    story = _story(report, st)
    partial = path.with_name(path.name + ".part")
    doc = _Document(str(partial), report, len(story), progress, cancelled)
    try:
        doc.build(story, canvasmaker=_NumberedCanvas)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path
