"""Write a report model as an .xlsx workbook that opens cleanly in WPS, Excel and LibreOffice.

Sheet 说明 holds the title, the basis of the report (exam, baseline, policy, presets with their
hashes, the data hash, time made), the findings and the tables' notes (so that each table sheet
holds nothing but its table). Every table gets its own sheet: the heading in
row 1, frozen and repeated on every printed page, numbers stored as numbers with a number format
(rates as fractions shown as percentages), column widths measured on the Chinese text, A4, fitted to
the page width, landscape when the table is wide, and the school, exam and page numbers in the
printed header and footer. Slips go on one sheet, one block per pupil with a page break after
each (or every second) pupil, so each printed page holds only that pupil's 等级.
"""
from __future__ import annotations

import math
import os
import re
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from app import __version__
from app.progress import CancelCheck, Progress, check
from app.reports.model import KINDS, Findings, Report, Table, Text
from app.stats.vocabulary import CONFIDENTIAL, format_value

FONT_NAME = "宋体"
HEAD_FILL = PatternFill("solid", fgColor="1F4E79")
SLIP_HEAD_FILL = PatternFill("solid", fgColor="DDE7F2")
THIN = Side(style="thin", color="9AA7B4")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
MAX_WIDTH = 48


def display_width(text: str) -> int:
    """Return the width of `text` in Excel character units (a Chinese character counts 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def _sheet_name(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", title).strip() or "表"
    base = base[:31]
    name, n = base, 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _page_setup(ws: Worksheet, report: Report, title: str, wide: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.oddHeader.left.text = report.header
    # the mark goes with the title on the right: a long school and exam on the left would run
    # into a centred one
    ws.oddHeader.right.text = f"【{CONFIDENTIAL}】{title}" if report.confidential else title
    footer = report.stamp.footer()
    if len(footer) > 100:  # several presets: leave the page number its room
        footer = report.stamp.footer(presets_elsewhere=True)
    ws.oddFooter.left.text = footer
    ws.oddFooter.left.size = 7
    ws.oddFooter.right.text = "第 &P 页 共 &N 页"
    if report.confidential:
        ws.oddFooter.center.text = f"【{CONFIDENTIAL}】"


def _table_sheet(ws: Worksheet, report: Report, table: Table) -> None:
    font = Font(name=FONT_NAME, size=10)
    head_font = Font(name=FONT_NAME, size=10, bold=True, color="FFFFFF")
    muted_font = Font(name=FONT_NAME, size=10, color="8A8A8A")
    widths = [display_width(c.label) for c in table.columns]
    for j, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=1, column=j, value=column.label)
        cell.font, cell.fill, cell.border = head_font, HEAD_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for i, row in enumerate(table.rows):
        row_font = muted_font if i in table.muted else font
        for j, (value, column) in enumerate(zip(row, table.columns), start=1):
            cell = ws.cell(row=i + 2, column=j, value=value if value != "" else None)
            cell.font, cell.border = row_font, BORDER
            if KINDS[column.kind]:
                cell.number_format = KINDS[column.kind]
            elif column.kind == "para":
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            widths[j - 1] = max(widths[j - 1], display_width(format_value(value, column.kind)))
    total = 0
    for j, width in enumerate(widths, start=1):
        width = min(MAX_WIDTH if table.columns[j - 1].kind != "para" else 40, width + 2)
        ws.column_dimensions[get_column_letter(j)].width = width
        total += width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _page_setup(ws, report, table.title, wide=total > 95)


ABOUT_WIDTHS = (20, 72)  # columns A and B of 说明: together they fit A4 portrait without shrinking


def _put(ws: Worksheet, row: int, column: int, text: str, *, size: float = 10, bold: bool = False,
         colour: str | None = None) -> int:
    """Write wrapped `text` in a cell of 说明 and return how many lines it takes in that column
    (Excel and LibreOffice do not grow a row for wrapped text written by a program)."""
    cell = ws.cell(row=row, column=column, value=text)
    cell.font = Font(name=FONT_NAME, size=size, bold=bold, color=colour)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    # measured in LibreOffice: at 10 pt a Chinese character (or full-width punctuation) prints about
    # 1.4 units wide and a digit 0.75; a little more is allowed for the fonts of WPS and Excel
    units = sum(1.5 if unicodedata.east_asian_width(ch) in "WFA" else 0.8 for ch in text) * size / 10
    return max(1, math.ceil(units / (ABOUT_WIDTHS[column - 1] - 1)))


def _line(ws: Worksheet, row: int, label: str | None, text: str | None, **style) -> int:
    """Write one row of 说明 (a label in A, text in B) with its height set; return the next row."""
    lines = 1
    if label:
        lines = max(lines, _put(ws, row, 1, label, bold=True, **style))
    if text:
        lines = max(lines, _put(ws, row, 2, text))
    ws.row_dimensions[row].height = 15 * lines + 2
    return row + 1


def _about_sheet(ws: Worksheet, report: Report) -> None:
    for letter, width in zip("AB", ABOUT_WIDTHS):
        ws.column_dimensions[letter].width = width
    ws.cell(row=1, column=1, value=report.title).font = Font(name=FONT_NAME, size=16, bold=True)
    ws.row_dimensions[1].height = 24
    ws.cell(row=2, column=1, value=report.subtitle).font = Font(name=FONT_NAME, size=10, color="666666")
    row = 4
    stamp = [("程序版本", f"SchoolQ {__version__}"),
             ("方案校验", ";".join(f"{i}:{h}" for i, h in report.stamp.presets)),
             ("数据校验", report.stamp.data_hash), ("生成时间", report.stamp.made)]
    named = {label for label, _ in report.basis}
    basis = list(report.basis) + [(label, value) for label, value in stamp if label not in named]
    if report.confidential:
        basis.insert(0, ("密级", CONFIDENTIAL))
    for label, value in basis:
        row = _line(ws, row, label, value)
    for section in report.sections:
        texts: list[tuple[str | None, str | None]] = []
        for block in section.blocks:
            if isinstance(block, Text):
                texts.append((None, block.text))
            elif isinstance(block, Findings):
                texts += [(None, "• " + item) for item in block.items]
        if not texts:
            continue
        row += 1
        if section.title:
            row = _line(ws, row, section.title, None, size=12)
        for label, text in texts:
            row = _line(ws, row, label, text)
    notes = [t for t in report.tables() if t.note]
    if notes:
        row = _line(ws, row + 1, "表格说明", None, size=12)
        for table in notes:
            row = _line(ws, row, table.title, table.note)
    _page_setup(ws, report, "说明", wide=False)


def _slips_sheet(ws: Worksheet, report: Report) -> None:
    for letter, width in zip("ABCD", (24, 16, 24, 16)):
        ws.column_dimensions[letter].width = width
    school, _, exam = report.header.partition(" · ")
    font = Font(name=FONT_NAME, size=11)
    row = 1
    for number, slip in enumerate(report.slips(), start=1):
        ws.cell(row=row, column=1, value="成绩通知单").font = Font(name=FONT_NAME, size=16, bold=True)
        ws.cell(row=row + 1, column=1, value=f"{school} · {exam}").font = Font(name=FONT_NAME, size=10, color="666666")
        ws.cell(row=row + 2, column=1, value=f"姓名:{slip.name}").font = font
        ws.cell(row=row + 2, column=3, value=f"班级:{slip.class_name}").font = font
        row += 5
        for j, label in enumerate(("学科", "等级", "学科", "等级"), start=1):
            cell = ws.cell(row=row, column=j, value=label)
            cell.font, cell.fill, cell.border = Font(name=FONT_NAME, size=11, bold=True), SLIP_HEAD_FILL, BORDER
        half = (len(slip.levels) + 1) // 2
        for i in range(half):
            pairs = [slip.levels[i]] + ([slip.levels[half + i]] if half + i < len(slip.levels) else [])
            for k, (subject, level) in enumerate(pairs):
                for j, value in ((1 + 2 * k, subject), (2 + 2 * k, level)):
                    cell = ws.cell(row=row + 1 + i, column=j, value=value)
                    cell.font, cell.border = font, BORDER
        row += half + 2
        ws.cell(row=row, column=1, value="班主任寄语:").font = font
        row += 3
        ws.cell(row=row, column=1, value="班主任签名:").font = font
        ws.cell(row=row, column=3, value="家长签名:").font = font
        row += 2
        if number % report.slips_per_page == 0:
            ws.row_breaks.append(Break(id=row - 1))
        else:
            ws.cell(row=row, column=1, value="- - - - - - - - 沿此线剪开 - - - - - - - -").font = Font(
                name=FONT_NAME, size=8, color="666666")
            row += 2
    _page_setup(ws, report, "成绩通知单", wide=False)


def _text_stays_text(ws: Worksheet) -> None:
    """Store every text as text: openpyxl turns a string starting with “=” into a live formula, and a
    pupil named =HYPERLINK(…) from an old database must stay a name in the report."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def write_xlsx(report: Report, path: str | Path, *, progress: Progress | None = None,
               cancelled: CancelCheck | None = None) -> Path:
    """Write `report` as a workbook at `path` (written whole or not at all) and return the path.

    Raises Cancelled when `cancelled()` turns true, OSError when the file cannot be written.
    """
    path = Path(path)
    wb = Workbook()
    wb.properties.creator = f"SchoolQ {__version__}"
    wb.properties.title = report.file_title or report.title
    about = wb.active
    taken = {"说明"}
    about.title = "说明"
    _about_sheet(about, report)
    if report.slips():
        _slips_sheet(wb.create_sheet(_sheet_name("成绩通知单", taken)), report)
    tables = report.tables()
    for i, table in enumerate(tables):
        check(cancelled)
        _table_sheet(wb.create_sheet(_sheet_name(table.sheet or table.title, taken)), report, table)
        if progress is not None:
            progress(0.5 + 0.45 * (i + 1) / len(tables), f"正在写入“{table.title}”")
    check(cancelled)
    for sheet in wb.worksheets:
        _text_stays_text(sheet)
    partial = path.with_name(path.name + ".part")
    try:
        wb.save(partial)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path
