"""Reading an .xlsx worksheet cell by cell, without a grid: for sheets whose used range is too large
for calamine's rows × columns allocation (a stray value in ZZ1 and A200000 of a 12 KB file).

The sheet's XML is parsed as it is inflated; only cells that hold a value are kept, rows come out
one at a time as tuples as wide as their last value (as app.importing.workbook.sheet_rows gives
them), and a value beyond the limits of app.importing.limits is refused naming the sheet and the
cell, before anything large is built.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from xml.parsers import expat

from app.importing.limits import (MAX_CELLS, MAX_COLUMNS, MAX_ROW_SLOTS, MAX_ROWS, NotAWorkbook, cell_name,
                                  too_far, too_many_cells)
from app.importing.xlsx_scan import Archive, damaged, xml_parser

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
# Built-in number formats that show a date or time (ECMA-376 18.8.30, with the CJK date ids).
_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_EXACT_INT = 10 ** 15


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _unescape(text: str) -> str:
    """Excel writes characters XML cannot hold as _xHHHH_ escapes."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _parse(archive: Archive, part: str, parser: expat.XMLParserType) -> None:
    try:
        for data in archive.chunks(part):
            parser.Parse(data, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise damaged(archive.file_name) from exc


def shared_strings(archive: Archive) -> list[str]:
    """Return the workbook's shared strings (phonetic guides left out), [] when it has none."""
    part = next((name for name in archive.infos if name.lower() == "xl/sharedstrings.xml"), None)
    strings: list[str] = []
    if part is None:
        return strings
    pieces: list[str] = []
    state = {"in_t": False, "phonetic": 0}

    def start(name: str, attributes: dict) -> None:
        tag = _local(name)
        if tag == "si":
            pieces.clear()
        elif tag == "rPh":
            state["phonetic"] += 1
        elif tag == "t" and not state["phonetic"]:
            state["in_t"] = True

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "si":
            strings.append(_unescape("".join(pieces)))
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "t":
            state["in_t"] = False

    def text(data: str) -> None:
        if state["in_t"]:
            pieces.append(data)

    parser = xml_parser()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    _parse(archive, part, parser)
    return strings


def _is_date_format(code: str) -> bool:
    """True when a custom number format shows a date or time (y, m, d, h, s outside quotes)."""
    bare = _QUOTED.sub("", code.split(";")[0]).lower()
    return any(c in bare for c in "ymdhs") and "general" not in bare


def date_styles(archive: Archive) -> set[int]:
    """Return the indexes of the cell styles (cellXfs) whose number format shows a date or time."""
    if "xl/styles.xml" not in archive.infos:
        return set()
    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = {"cellXfs": False}

    def start(name: str, attributes: dict) -> None:
        tag = _local(name)
        if tag == "numFmt":
            try:
                custom[int(attributes.get("numFmtId", -1))] = attributes.get("formatCode", "")
            except ValueError:
                pass
        elif tag == "cellXfs":
            inside["cellXfs"] = True
        elif tag == "xf" and inside["cellXfs"]:
            try:
                formats.append(int(attributes.get("numFmtId", 0)))
            except ValueError:
                formats.append(0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            inside["cellXfs"] = False

    parser = xml_parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    _parse(archive, "xl/styles.xml", parser)
    return {index for index, number in enumerate(formats)
            if number in _DATE_FORMATS or (number in custom and _is_date_format(custom[number]))}


def _date(serial: float, epoch: dt.datetime) -> object:
    """Return an Excel serial number as calamine does: a date, a time of day or a datetime."""
    if not -1e6 < serial < 3e6:
        return serial
    when = epoch + dt.timedelta(milliseconds=round(serial * 86_400_000))  # calamine rounds to the ms
    if serial < 1 and epoch is _EPOCH:
        return when.time()
    return when.date() if serial == int(serial) else when


class _SheetParser:
    """Collects the value cells of one sheet row by row as expat reports them."""

    def __init__(self, file_name: str, sheet: str, strings: list[str], dates: set[int], epoch: dt.datetime):
        self.file_name, self.sheet = file_name, sheet
        self.strings, self.dates, self.epoch = strings, dates, epoch
        self.done: list[tuple[int, dict[int, object]]] = []
        self.row = -1
        self.cells: dict[int, object] = {}
        self.column = -1
        self.cell: tuple[int, str, int] | None = None
        self.text: list[str] = []
        self.collect = 0
        self.count = self.slots = 0

    def start(self, name: str, attributes: dict) -> None:
        tag = _local(name)
        if tag == "row":
            number = attributes.get("r")
            self.row = int(number) - 1 if number and number.isdigit() else self.row + 1
            self.cells, self.column = {}, -1
        elif tag == "c":
            ref = _REF.match(attributes.get("r", ""))
            if ref:
                letters, number = ref.groups()
                row = int(number) - 1
                if self.cells and row != self.row:
                    raise NotAWorkbook(f"“{self.file_name}”的工作表“{self.sheet}”中单元格 {letters}{number} "
                                       f"不在它所在的第 {self.row + 1} 行,文件已损坏。请在 WPS/Excel 中另存后再导入。")
                self.row, self.column = row, _column_index(letters)
            else:
                self.column += 1
            style = attributes.get("s", "0")
            self.cell = (self.column, attributes.get("t", "n"), int(style) if style.isdigit() else 0)
            self.text = []
        elif tag in ("v", "t", "is") and self.cell is not None:
            self.collect += tag != "is"

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag in ("v", "t"):
            self.collect = max(self.collect - 1, 0)
        elif tag == "c" and self.cell is not None:
            value = self._value()
            if value is not None:
                self._keep(self.cell[0], value)
            self.cell = None
        elif tag == "row":
            self._finish_row()
        elif tag == "sheetData":
            self._finish_row()

    def data(self, text: str) -> None:
        if self.collect:
            self.text.append(text)

    def _value(self) -> object:
        column, kind, style = self.cell  # type: ignore[misc]
        text = "".join(self.text)
        if text == "":
            return None
        if kind in ("inlineStr", "str"):
            return _unescape(text)
        if kind == "s":
            try:
                return self.strings[int(text)] or None
            except (ValueError, IndexError):
                return None
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "e":
            return text
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(text.strip())
            except ValueError:
                return text
        try:
            number = float(text)
        except ValueError:
            return text
        if style in self.dates:
            return _date(number, self.epoch)
        if number.is_integer() and -_EXACT_INT < number < _EXACT_INT:
            return int(number)
        return number

    def _keep(self, column: int, value: object) -> None:
        if self.row >= MAX_ROWS or column >= MAX_COLUMNS:
            raise too_far(self.file_name, self.sheet, self.row, column)
        self.count += 1
        if self.count > MAX_CELLS:
            raise too_many_cells(self.file_name, self.sheet, self.row, column)
        self.cells[column] = value

    def _finish_row(self) -> None:
        if self.cells:
            width = max(self.cells) + 1
            self.slots += width
            if self.slots > MAX_ROW_SLOTS:
                raise too_many_cells(self.file_name, self.sheet, self.row, width - 1)
            if self.done and self.done[-1][0] >= self.row:
                raise NotAWorkbook(f"“{self.file_name}”的工作表“{self.sheet}”中第 {self.row + 1} 行出现在第 "
                                   f"{self.done[-1][0] + 1} 行之后(单元格 {cell_name(self.row, 0)}),文件已损坏。"
                                   "请在 WPS/Excel 中另存后再导入。")
            self.done.append((self.row, self.cells))
        self.cells = {}


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


class CarefulBook:
    """The parts of an .xlsx that reading sheets cell by cell needs, loaded once per file."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.strings = shared_strings(archive)
        self.dates = date_styles(archive)
        book = archive.read("xl/workbook.xml") if "xl/workbook.xml" in archive.infos else b""
        self.epoch = _EPOCH_1904 if re.search(rb'date1904="(1|true)"', book) else _EPOCH

    def rows(self, sheet: str, part: str) -> Iterator[tuple]:
        """Yield every row of the sheet in part `part` from row 1 and column A, as sheet_rows does.

        Raises FileTooLarge when a value lies beyond MAX_ROWS × MAX_COLUMNS or the sheet holds
        too many cells; NotAWorkbook when its XML is damaged.
        """
        reader = _SheetParser(self.archive.file_name, sheet, self.strings, self.dates, self.epoch)
        parser = xml_parser()
        parser.StartElementHandler, parser.EndElementHandler = reader.start, reader.end
        parser.CharacterDataHandler = reader.data
        next_row = 0
        try:
            for data in self.archive.chunks(part):
                parser.Parse(data, False)
                for row, cells in reader.done:
                    yield from ((),) * (row - next_row)
                    yield tuple(cells.get(i) for i in range(max(cells) + 1))
                    next_row = row + 1
                reader.done.clear()
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise damaged(self.archive.file_name) from exc
        for row, cells in reader.done:
            yield from ((),) * (row - next_row)
            yield tuple(cells.get(i) for i in range(max(cells) + 1))
            next_row = row + 1
