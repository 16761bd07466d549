"""Looking inside an .xlsx (or .ods) archive before calamine loads it.

calamine allocates one 32-byte slot for every cell of a sheet's used range (rows × columns) and
holds each part it reads in memory: a value in XFD1048576 asks for 549 GB and aborts the
process, stray cells at A200000 and ZZ1 take 4.5 GB, a 4 MB file can inflate to 1 GB. So every
part calamine reads is inflated here first, counting the bytes it really unpacks to (the sizes an
archive declares can lie), and each worksheet's XML is scanned for how far its cells reach.
A sheet whose used range is small enough is then loaded by calamine as before (fast); any other
is read cell by cell without a grid (app.importing.xlsx_cells), which refuses values beyond the
limits naming the sheet and the far cell.
"""
from __future__ import annotations

import html
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from xml.parsers import expat

from app.importing.limits import (MAX_DENSE_CELLS, MAX_PART_BYTES, MAX_PARTS, MAX_UNPACKED_BYTES, FileTooLarge,
                                  NotAWorkbook)

_CHUNK = 1 << 20
# Parts calamine (or this module) reads; pictures and the like are never inflated by anyone.
_READ_SUFFIXES = (".xml", ".rels")
# Any cell tag except the common <c r="B123" …>: a column of two or three letters, a row past
# 99,999, or no reference at all. Only such cells can widen a used range beyond Z99999 (26 × 99,999
# cells, always small enough for a grid), so the common ones are passed over in one regex pass.
_ODD_CELL = re.compile(rb'<c(?=[\s>/])(?!\s+r="[A-Z]\d{1,5}")')
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_ATTRIBUTE = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")


def _no_entities(*_args: object) -> None:
    raise expat.ExpatError("entity declaration")


def xml_parser() -> expat.XMLParserType:
    """Return an expat parser reporting names as “namespace local-name”, that refuses entity
    declarations (a workbook never has them; refusing them keeps entity expansion out of reach)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.EntityDeclHandler = _no_entities
    return parser


def damaged(file_name: str) -> NotAWorkbook:
    """Return the refusal of an archive that cannot be read as a workbook."""
    return NotAWorkbook(f"“{file_name}”已损坏或不是真正的 Excel 工作簿,本程序读不了。"
                        "请在 WPS/Excel 中打开它,另存为 .xlsx 后再导入。")


def _inflated_too_far(file_name: str) -> FileTooLarge:
    return FileTooLarge(
        f"“{file_name}”解压后超过 {MAX_UNPACKED_BYTES // 1024 // 1024} MB(单个部分最多 "
        f"{MAX_PART_BYTES // 1024 // 1024} MB),远大于任何名单或成绩表,疑似被破坏或恶意构造的文件,已拒绝。"
        "请在 WPS/Excel 中打开它,只保留要导入的数据,另存为新文件后再导入。")


class Archive:
    """The parts of a zip archive, each inflated with its real unpacked size counted."""

    def __init__(self, handle: BinaryIO, file_name: str):
        self.handle, self.file_name = handle, file_name
        try:
            self.zip = zipfile.ZipFile(handle)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
            raise damaged(file_name) from exc
        if len(infos) > MAX_PARTS:
            raise damaged(file_name)
        self.infos = {info.filename: info for info in infos}
        self.unpacked = 0
        self.count_total = True  # off once every part has been measured (a second reading is free)

    def chunks(self, name: str) -> Iterator[bytes]:
        """Yield the unpacked bytes of part `name` in pieces of at most 1 MB.

        Raises FileTooLarge when the part (or all parts read so far) unpacks beyond the limits,
        NotAWorkbook when the part is damaged, encrypted or compressed in a way Excel never uses.
        """
        info = self.infos[name]
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged(self.file_name)
        handle = self.handle
        try:
            handle.seek(info.header_offset)
            header = handle.read(30)
            if len(header) != 30 or header[:4] != b"PK\x03\x04":
                raise damaged(self.file_name)
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            position = info.header_offset + 30 + name_length + extra_length
            inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
            left, size = info.compress_size, 0
            while True:
                if inflater is not None and inflater.unconsumed_tail:
                    data = inflater.unconsumed_tail
                elif left > 0:
                    # Seek every time: two parts may be read in turns from the same file.
                    handle.seek(position)
                    data = handle.read(min(left, _CHUNK))
                    if not data:
                        raise damaged(self.file_name)
                    left -= len(data)
                    position += len(data)
                else:
                    data = b""
                out = data if inflater is None else inflater.decompress(data, _CHUNK)
                if not out:
                    if not data or (inflater is not None and inflater.eof):
                        return
                    continue
                size += len(out)
                self.unpacked += len(out) if self.count_total else 0
                if size > MAX_PART_BYTES or self.unpacked > MAX_UNPACKED_BYTES:
                    raise _inflated_too_far(self.file_name)
                yield out
        except zlib.error as exc:
            raise damaged(self.file_name) from exc

    def read(self, name: str) -> bytes:
        """Return the whole unpacked part `name` (see chunks for the limits and errors)."""
        return b"".join(self.chunks(name))


@dataclass
class SheetPlan:
    """How to read one worksheet: its archive part, and whether to read it cell by cell."""

    name: str
    part: str
    careful: bool


class _ExtentScan:
    """Follows a worksheet's XML piece by piece and tells whether its used range may be large.

    Only cells with two- or three-letter columns or rows past 99,999 can make it so; they are rare,
    so the scan costs one regular-expression pass. Cells without an “r” reference and prefixed tags
    (x:c) are not followed here: the sheet is then read carefully.
    """

    def __init__(self) -> None:
        self.tail = b""
        self.far_column = self.far_row = -1
        self.sheet = self.plain_tags = self.odd = False

    def feed(self, data: bytes) -> None:
        data = self.tail + data
        start = data.rfind(b"<")
        if start >= 0 and data.find(b">", start) < 0:  # a tag cut in two: keep its start for later
            piece, self.tail = data[:start], data[start:]
            if len(self.tail) > _CHUNK:  # no tag is a megabyte long: read such a part carefully
                self.sheet = self.odd = True
                self.tail = b""
        else:
            piece, self.tail = data, b""
        if not self.sheet and b"sheetData" in piece:
            self.sheet = True
            self.plain_tags = b"<sheetData" in piece
        for match in _ODD_CELL.finditer(piece):
            end = piece.find(b">", match.end())
            tag = piece[match.start():end + 1]
            ref = _CELL_REF.search(tag)
            if ref is None:
                self.odd = True  # a cell placed after the one before it: follow it cell by cell
            elif not tag.endswith(b"/>"):  # <c r="XFD1" s="3"/> is formatting only: calamine ignores it
                self.far_column = max(self.far_column, _column_index(ref.group(1).decode()))
                self.far_row = max(self.far_row, int(ref.group(2)) - 1)

    def careful(self) -> bool:
        """Return True when the part is a sheet to read cell by cell (its range may be too large for a
        grid, or its cells are written in a way this scan does not follow)."""
        self.feed(b"")
        if not self.sheet:
            return False
        if self.odd or not self.plain_tags:
            return True
        if self.far_column < 0 and self.far_row < 99_999:
            return False  # every value cell lies within A1:Z99999
        columns = max(self.far_column, 25) + 1
        rows = max(self.far_row, 99_998) + 1
        return rows * columns > MAX_DENSE_CELLS


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _attributes(tag: bytes) -> dict[str, str]:
    """Return the attributes of a tag by local name (r:id → id), entities decoded."""
    return {key.decode().rpartition(":")[2]: html.unescape(value.decode("utf-8", "replace"))
            for key, value in _ATTRIBUTE.findall(tag)}


def worksheet_parts(archive: Archive) -> dict[str, str]:
    """Return {sheet name: archive part of its XML} from xl/workbook.xml and its relationships."""
    book = archive.read("xl/workbook.xml") if "xl/workbook.xml" in archive.infos else b""
    rels_name = "xl/_rels/workbook.xml.rels"
    rels = archive.read(rels_name) if rels_name in archive.infos else b""
    targets = {}
    for tag in _RELATIONSHIP.findall(rels):
        attributes = _attributes(tag)
        target = attributes.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[attributes.get("Id")] = path
    parts = {}
    for tag in _SHEET_TAG.findall(book):
        attributes = _attributes(tag)
        part = targets.get(attributes.get("id"))
        if "name" in attributes and part in archive.infos:
            parts[attributes["name"]] = part
    return parts


@dataclass
class XlsxPlan:
    """What inspect_xlsx found: a SheetPlan per worksheet it could place, and whether any sheet
    part of the archive needs careful reading (then a worksheet it could not place is refused)."""

    archive: Archive
    sheets: dict[str, SheetPlan]
    any_careful: bool


def inspect_xlsx(handle: BinaryIO, file_name: str) -> XlsxPlan:
    """Check an .xlsx archive before calamine opens it and tell how to read each worksheet.

    Every XML part is inflated once with its real size counted and scanned for cells. Raises
    FileTooLarge when the parts unpack beyond the limits of app.importing.limits, NotAWorkbook
    when the archive is damaged.
    """
    archive = Archive(handle, file_name)
    if "xl/workbook.bin" in archive.infos:
        # .xlsb: binary sheets this module cannot measure, so calamine is not given them either.
        raise NotAWorkbook(f"“{file_name}”是 Excel 二进制工作簿(.xlsb),本程序不读这种格式。"
                           "请在 Excel 中另存为 .xlsx 后再导入。")
    by_part = {part: name for name, part in worksheet_parts(archive).items()}
    plan = XlsxPlan(archive, {}, any_careful=False)
    for part in archive.infos:
        if not part.endswith(_READ_SUFFIXES):
            continue
        scan = _ExtentScan()
        for data in archive.chunks(part):
            scan.feed(data)
        careful = scan.careful()
        plan.any_careful |= careful
        if part in by_part:
            plan.sheets[by_part[part]] = SheetPlan(by_part[part], part, careful)
    archive.count_total = False
    return plan
