"""Reading the cell values of a large .xlsx quickly, as rows for app.importing.workbook.

openpyxl spends several microseconds of Python on every cell; a county's exam workbook has about
a million cells, which took longer than pandas.read_excel. This reader matches the cell shapes
Excel, WPS and openpyxl write (shared or inline strings, numbers, booleans, formula results,
styled empty cells) with regular expressions over the sheet XML, decoded a few megabytes at a
time. A sheet with any other shape (namespace prefixes, unknown attributes) is read with the XML
parser instead. Number formats are not read, so a date cell comes back as its serial number:
use this only for tables without dates (marks).
"""
from __future__ import annotations

import html
import posixpath
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree.ElementTree import fromstring, iterparse

from app.importing.workbook import RawSheet, open_sheets
from app.packages import xlsx_reader

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CHUNK = 4 << 20

_ROW = re.compile(r'<row\b([^>]*?)(?:/>|>(.*?)</row>)', re.S)
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
_CELL = re.compile(
    r'<c r="([A-Z]{1,3})\d+"(?: s="\d+")?(?: t="(\w+)")?(?: s="\d+")?\s*'
    r'(?:/>|>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>|<v/>)?(?:<is>(.*?)</is>)?</c>)', re.S)
_TEXT = re.compile(r"<t\b[^>]*>([^<]*)</t>|<t\b[^>]*/>")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_DIMENSION = re.compile(r'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')
_COLUMNS: dict[str, int] = {}


class _Unreadable(Exception):
    """The sheet has a shape the regular expressions do not cover; the XML parser reads it."""


def _column(letters: str) -> int:
    found = _COLUMNS.get(letters)
    if found is None:
        found = 0
        for ch in letters:
            found = found * 26 + ord(ch) - 64
        found = _COLUMNS[letters] = found - 1
    return found


def _unescape(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _row_values(inner: str, strings: list[str]) -> tuple:
    cells = _CELL.findall(inner)
    if len(cells) != inner.count("<c "):
        raise _Unreadable()
    if not cells:
        if "<" in inner:
            raise _Unreadable()
        return ()
    values: list = [None] * (_column(cells[-1][0]) + 1)
    for letters, kind, value, inline in cells:
        position = _column(letters)
        if position >= len(values):
            values.extend([None] * (position + 1 - len(values)))
        if kind == "s":
            values[position] = strings[int(value)] if value else None
        elif kind == "inlineStr":
            values[position] = _unescape("".join(t for t in _TEXT.findall(inline)))
        elif value == "":
            continue
        elif kind in ("", "n"):
            values[position] = _number(value)
        elif kind == "b":
            values[position] = value == "1"
        else:  # str (formula text), e (error such as #DIV/0!), d (ISO date)
            values[position] = _unescape(value)
    return tuple(values)


def _regex_rows(book: zipfile.ZipFile, path: str, strings: list[str]) -> Iterator[tuple]:
    """Yield every row of the sheet (empty tuples for rows the file leaves out). Raises
    _Unreadable before yielding anything it cannot read."""
    number = 0
    rest = ""
    with book.open(path) as handle:
        started = False
        while True:
            data = handle.read(_CHUNK)
            text = rest + data.decode("utf-8", errors="strict") if data else rest
            if data:
                cut = text.rfind("</row>")
                if cut < 0:
                    rest = text
                    continue
                cut += len("</row>")
                text, rest = text[:cut], text[cut:]
            else:
                rest = ""
            if not started:
                start = text.find("<sheetData")
                if start < 0:
                    if not data:
                        raise _Unreadable()  # e.g. <x:sheetData>: prefixed markup
                    rest = text + rest
                    continue
                text = text[start:]
                started = True
            for match in _ROW.finditer(text):
                found = _ROW_NUMBER.search(match.group(1))
                target = int(found.group(1)) if found else number + 1
                if target <= number:
                    raise _Unreadable()
                while number < target - 1:
                    number += 1
                    yield ()
                number = target
                yield _row_values(match.group(2) or "", strings)
            if not data:
                return


def _parsed_value(cell, strings: list[str]) -> object:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return _escaped("".join(t.text or "" for t in cell.iter(f"{_MAIN}t")))
    v = cell.find(f"{_MAIN}v")
    if v is None or not v.text:
        return None
    if kind == "s":
        return strings[int(v.text)]
    if kind == "b":
        return v.text == "1"
    if kind in ("n", ""):
        return _number(v.text)
    return _escaped(v.text)


def _escaped(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _parsed_rows(book: zipfile.ZipFile, path: str, strings: list[str]) -> Iterator[tuple]:
    """Yield every row of the sheet with the XML parser (any markup, namespace prefixes included)."""
    number = 0
    row_tag, cell_tag = f"{_MAIN}row", f"{_MAIN}c"
    with book.open(path) as handle:
        for _, element in iterparse(handle, events=("end",)):
            if element.tag != row_tag:
                continue
            target = int(element.get("r") or number + 1)
            while number < target - 1:
                number += 1
                yield ()
            number = target
            values: list = []
            for cell in element.iter(cell_tag):
                ref = cell.get("r")
                position = _column(ref.rstrip("0123456789")) if ref else len(values)
                if position >= len(values):
                    values.extend([None] * (position + 1 - len(values)))
                values[position] = _parsed_value(cell, strings)
            element.clear()
            yield tuple(values)


def _sheet_rows(book: zipfile.ZipFile, path: str, strings: list[str]) -> Iterator[tuple]:
    """Yield the rows of one sheet by regular expressions; from the first row they cannot read
    on, the XML parser takes over (it reads the rows before it the same way, and skips them)."""
    done = 0
    try:
        for row in _regex_rows(book, path, strings):
            yield row
            done += 1
        return
    except (_Unreadable, UnicodeDecodeError, ValueError, IndexError):
        pass
    for number, row in enumerate(_parsed_rows(book, path, strings)):
        if number >= done:
            yield row


def _size(book: zipfile.ZipFile, path: str) -> int | None:
    with book.open(path) as handle:
        head = handle.read(4096).decode("utf-8", errors="ignore")
    found = _DIMENSION.search(head)
    return int(found.group(1)) if found else None


def _sheets(book: zipfile.ZipFile) -> list[tuple[str, str, bool]]:
    """Return (name, XML path, hidden) of every worksheet in workbook order."""
    workbook = fromstring(book.read("xl/workbook.xml"))
    rels = fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{_PKG_REL}Relationship")}
    out = []
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets[sheet.get(f"{_REL}id")]
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if "worksheets/" not in path:
            continue  # a chart sheet has no cells
        out.append((sheet.get("name"), path, sheet.get("state", "visible") != "visible"))
    return out


@contextmanager
def open_sheets_fast(path: str | Path):
    """Open a workbook or CSV file like app.importing.workbook.open_sheets and yield its sheets.

    A genuine .xlsx is read with the fast reader (cell values only: dates come back as serial
    numbers); anything else, or an .xlsx whose parts cannot be found, goes to open_sheets, which
    raises NotAWorkbook for files that are not workbooks and FileNotFoundError when missing.
    """
    path = Path(path)
    book = None
    try:
        with open(path, "rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
        if is_zip:
            book = zipfile.ZipFile(path)
            listing = _sheets(book)
            strings = xlsx_reader.shared_strings(book)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, OSError):
        if book is not None:
            book.close()
        book = None
    if book is None:
        with open_sheets(path) as sheets:
            yield sheets
        return
    try:
        yield [RawSheet(name, _size(book, sheet_path), _sheet_rows(book, sheet_path, strings), hidden=hidden)
               for name, sheet_path, hidden in listing]
    finally:
        book.close()
