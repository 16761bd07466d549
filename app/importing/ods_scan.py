"""How far the cells of an OpenDocument spreadsheet (.ods) reach, before calamine loads it.

An .ods row or cell may say it repeats 1,048,576 times; calamine then builds the whole grid.
LibreOffice writes such repeats for empty rows and columns, which cost nothing; a repeated cell
with a value is counted as the cells it stands for, and a sheet whose values reach beyond the
limits of app.importing.limits is refused naming the far cell.
"""
from __future__ import annotations

from xml.parsers import expat

from app.importing.limits import MAX_CELLS, MAX_COLUMNS, MAX_DENSE_CELLS, MAX_ROWS, range_too_large, too_far, \
    too_many_cells
from app.importing.xlsx_scan import Archive, damaged, xml_parser


def _repeat(attributes: dict, name: str) -> int:
    for key, value in attributes.items():
        if key.rpartition(" ")[2] == name:
            return int(value) if value.isdigit() else 1
    return 1


class _OdsScan:
    """Follows content.xml's tables, rows and cells, counting only cells that hold something."""

    def __init__(self, file_name: str):
        self.file_name = file_name
        self.sheet = ""
        self.row = self.column = 0
        self.rows_repeated = self.columns_repeated = 1
        self.far_row = self.far_column = -1
        self.cells = 0
        self.cell_open = self.filled = False

    def start(self, name: str, attributes: dict) -> None:
        tag = name.rpartition(" ")[2]
        if tag == "table":
            self.sheet = next((v for k, v in attributes.items() if k.endswith(" name")), "")
            self.row, self.far_row, self.far_column = 0, -1, -1
        elif tag == "table-row":
            self.rows_repeated, self.column = _repeat(attributes, "number-rows-repeated"), 0
        elif tag in ("table-cell", "covered-table-cell"):
            self.columns_repeated = _repeat(attributes, "number-columns-repeated")
            self.cell_open = True
            self.filled = any(k.endswith(" value-type") for k in attributes)

    def text(self, data: str) -> None:
        if self.cell_open and data.strip():
            self.filled = True

    def end(self, name: str) -> None:
        tag = name.rpartition(" ")[2]
        if tag in ("table-cell", "covered-table-cell"):
            if self.filled:
                self._filled(self.row + self.rows_repeated - 1, self.column + self.columns_repeated - 1)
            self.column += self.columns_repeated
            self.cell_open = self.filled = False
        elif tag == "table-row":
            self.row += self.rows_repeated

    def _filled(self, row: int, column: int) -> None:
        if row >= MAX_ROWS or column >= MAX_COLUMNS:
            raise too_far(self.file_name, self.sheet, row, column)
        self.cells += self.rows_repeated * self.columns_repeated
        if self.cells > MAX_CELLS:
            raise too_many_cells(self.file_name, self.sheet, row, column)
        self.far_row, self.far_column = max(self.far_row, row), max(self.far_column, column)
        if (self.far_row + 1) * (self.far_column + 1) > MAX_DENSE_CELLS:
            raise range_too_large(self.file_name, self.sheet, self.far_row, self.far_column)


def check_ods(archive: Archive) -> None:
    """Refuse an .ods whose cells reach beyond the limits. Raises FileTooLarge, NotAWorkbook."""
    scan = _OdsScan(archive.file_name)
    parser = xml_parser()
    parser.StartElementHandler, parser.EndElementHandler = scan.start, scan.end
    parser.CharacterDataHandler = scan.text
    try:
        for data in archive.chunks("content.xml"):
            parser.Parse(data, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise damaged(archive.file_name) from exc
