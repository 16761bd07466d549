"""Opening a workbook (.xlsx/.xlsm, .xls, .ods) as plain rows, within the limits of app.importing.limits.

An .xlsx is inspected first (app.importing.xlsx_scan): bombs are refused, a sheet with a sane used
range is loaded by calamine, any other is read cell by cell (app.importing.xlsx_cells). An .ods
archive is measured the same way and its content checked for how far its cells reach (ods_scan);
an old .xls has its records checked the same way (xls_scan).
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from app.importing.limits import NotAWorkbook
from app.importing.ods_scan import check_ods
from app.importing.xls_scan import check_xls, damaged as xls_damaged
from app.importing.xlsx_cells import CarefulBook
from app.importing.xlsx_scan import XlsxPlan, damaged, inspect_xlsx

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class RawSheet:
    """A sheet as rows of plain cell values; `size` is the row count the file claims (may be None)."""

    name: str
    size: int | None
    rows: Iterator[tuple]
    hidden: bool = False


def not_a_workbook(file_name: str) -> NotAWorkbook:
    """Return the refusal of a file that is neither a workbook nor a CSV file."""
    return NotAWorkbook(f"“{file_name}”不是 Excel 工作簿或 CSV 文件,请在 WPS/Excel 中另存为 .xlsx 后再导入。")


def workbook_sheets(handle: BinaryIO, file_name: str, head: bytes, *, plan: XlsxPlan | None = None) -> list[RawSheet]:
    """Return every worksheet of the workbook open in `handle` (chart sheets have no cells).

    Sheets read cell by cell read `handle` while their rows are iterated: keep it open until then.
    The content, not the name, tells the format: a real .xlsx misnamed .xls is still read.
    `plan` is what inspect_xlsx found in an .xlsx, when the caller has looked already.
    Raises FileTooLarge for an archive, sheet or cell beyond the limits, NotAWorkbook for a
    damaged or password-protected workbook.
    """
    if head.startswith(OLE_MAGIC):
        check_xls(handle, file_name)
    if head.startswith(ZIP_MAGIC) and plan is None:
        plan = inspect_xlsx(handle, file_name)
    if plan is not None:
        if "content.xml" in plan.archive.infos and "xl/workbook.xml" not in plan.archive.infos:
            check_ods(plan.archive)
    careful_book: CarefulBook | None = None
    try:
        handle.seek(0)
        book = CalamineWorkbook.from_filelike(handle)
        try:
            sheets = []
            for meta in book.sheets_metadata:
                if meta.typ != SheetTypeEnum.WorkSheet:
                    continue
                hidden = meta.visible != SheetVisibleEnum.Visible
                sheet_plan = plan.sheets.get(meta.name) if plan is not None else None
                if plan is not None and plan.any_careful and sheet_plan is None:
                    raise damaged(file_name)
                if sheet_plan is not None and sheet_plan.careful:
                    careful_book = careful_book or CarefulBook(plan.archive)
                    sheets.append(RawSheet(meta.name, None, careful_book.rows(meta.name, sheet_plan.part), hidden))
                    continue
                sheet = book.get_sheet_by_name(meta.name)
                size = sheet.end[0] + 1 if sheet.end else 0
                sheets.append(RawSheet(meta.name, size, sheet_rows(sheet), hidden))
            return sheets
        finally:
            book.close()
    except CalamineError as exc:
        if head.startswith(OLE_MAGIC):
            raise xls_damaged(file_name) from exc
        raise not_a_workbook(file_name) from exc


@contextmanager
def open_workbook_bytes(data: bytes, file_name: str):
    """Yield the worksheets (a list of RawSheet) of a workbook held in memory, as workbook_sheets
    reads them. Raises FileTooLarge, NotAWorkbook."""
    with io.BytesIO(data) as handle:
        yield workbook_sheets(handle, file_name, data[:8])


# Excel keeps 15 significant digits; an integral number below this is exact as an int.
_EXACT_INT = 10 ** 15


def sheet_rows(sheet: CalamineSheet) -> Iterator[tuple]:
    """Yield every row of a calamine sheet from row 1 and column A, as a tuple of cell values.

    Values are as a spreadsheet shows them: str, bool, int for a whole number (92, as openpyxl
    gives it; a float at or above 10^15 stays a float so code_text can see its lost digits), float,
    date/datetime/time for a date- or time-formatted cell, None for an empty cell. A merged range
    holds its value in its top-left cell only. Formula cells give their last computed result.
    """
    if sheet.start is None:
        return
    # iter_rows starts at row 1 but at the first column that has a value.
    left = (None,) * sheet.start[1]
    for cells in sheet.iter_rows():
        # A whole float below 10^15 becomes an int, empty text None (one comprehension: a county's file
        # has 800,000 cells).
        yield left + tuple([(int(v) if v.is_integer() and -_EXACT_INT < v < _EXACT_INT else v) if v.__class__ is float
                            else None if v == "" else v for v in cells])
