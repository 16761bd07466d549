"""How much a workbook or CSV file may hold before reading it: the limits every import obeys.

A list of pupils, teachers, marks or lessons of a whole county fits well inside them (60,000
pupils × 15 columns is a 5 MB .xlsx); what lies beyond is a damaged file, a stray cell typed
far away, or an attack, and is refused with a message naming the sheet and the far cell before
anything large is allocated. Every importer reads through app.importing.workbook, which applies
them (app.importing.xlsx_scan checks .xlsx archives and sheets).
"""
from __future__ import annotations

from app.errors import SchoolQError


class NotAWorkbook(SchoolQError):
    """The file is not a workbook (.xlsx, .xls, .ods) or a CSV text file the program can read."""


class FileTooLarge(NotAWorkbook):
    """The file is beyond the limits below; str() names the sheet and the far cell or row."""

MAX_FILE_BYTES = 50 * 1024 * 1024
# Rows and columns a sheet may use (Excel allows 1,048,576 × 16,384).
MAX_ROWS = 300_000
MAX_COLUMNS = 1_000
# Cells with a value in one file.
MAX_CELLS = 10_000_000
# Cells a dense grid of one sheet may span (rows × columns of its used range) before the sheet
# is read cell by cell instead: calamine allocates 32 bytes for each.
MAX_DENSE_CELLS = 10_000_000
# Cells, empty ones included, the rows of one sheet may hold as tuples when read cell by cell.
MAX_ROW_SLOTS = 20_000_000
# Bytes the parts of an .xlsx/.ods archive may unpack to, in all and one part alone.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_PART_BYTES = 250 * 1024 * 1024
MAX_PARTS = 10_000
# Characters of one CSV field (a whole address fits; a pasted book does not).
MAX_CSV_FIELD = 128 * 1024


def column_letters(index: int) -> str:
    """Return the spreadsheet letters of a 0-based column index: 0 → A, 701 → ZZ, 16383 → XFD."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    """Return the A1-style name of a 0-based (row, column) cell."""
    return f"{column_letters(column)}{row + 1}"


def too_far(file_name: str, sheet: str, row: int, column: int) -> FileTooLarge:
    """Return the refusal of a sheet whose used range reaches the 0-based cell (row, column)."""
    return FileTooLarge(
        f"“{file_name}”的工作表“{sheet}”在单元格 {cell_name(row, column)} 处还有内容,超出了本程序能读的范围"
        f"(最多 {MAX_ROWS} 行、{MAX_COLUMNS} 列)。这通常是不小心输入在远处的字符或格式:请在 WPS/Excel 中"
        f"按 Ctrl+End 找到它,删除多余的行和列后保存,再导入。")


def too_many_cells(file_name: str, sheet: str, row: int, column: int) -> FileTooLarge:
    """Return the refusal of a file holding more than MAX_CELLS cells (counted up to one cell)."""
    return FileTooLarge(
        f"“{file_name}”的单元格太多(到工作表“{sheet}”的单元格 {cell_name(row, column)} 已超过 {MAX_CELLS} 个),"
        "不像名单或成绩表。请只保留要导入的工作表和数据后再导入。")


def range_too_large(file_name: str, sheet: str, row: int, column: int) -> FileTooLarge:
    """Return the refusal of a sheet whose used range, A1 to the 0-based cell (row, column), spans
    more than MAX_DENSE_CELLS cells in a format read only as a whole grid (.ods)."""
    return FileTooLarge(
        f"“{file_name}”的工作表“{sheet}”从 A1 一直用到单元格 {cell_name(row, column)},范围太大"
        f"(超过 {MAX_DENSE_CELLS} 个单元格)。请在 WPS/Excel 中删除远处多余的内容,另存为 .xlsx 后再导入。")
