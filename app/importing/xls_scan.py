"""How far the cells of an old Excel file (.xls, BIFF5/BIFF8) reach, before calamine loads it.

calamine sizes a sheet's grid from its DIMENSIONS record and its cells: one cell at row 65,536
and column 1,500 asks for 3 GB and aborts the process. The file is an OLE compound document; its
Workbook stream is followed here (sector chains, mini stream) and every DIMENSIONS and cell record
is checked against the limits of app.importing.limits, naming the sheet and the far cell.
"""
from __future__ import annotations

import struct
from typing import BinaryIO

from app.importing.limits import (MAX_COLUMNS, MAX_DENSE_CELLS, MAX_FILE_BYTES, MAX_ROWS, NotAWorkbook,
                                  range_too_large, too_far)

_END = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
# Records holding one cell (row u16, column u16 first), MULRK (a run of cells) and DIMENSIONS.
_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6, 0x0201}
_MULRK, _DIMENSIONS, _BOF, _BOUNDSHEET, _FILEPASS = 0x00BD, 0x0200, 0x0809, 0x0085, 0x002F


def damaged(file_name: str) -> NotAWorkbook:
    """Return the refusal of an .xls that cannot be read (damaged, or encrypted by a password)."""
    return NotAWorkbook(f"“{file_name}”设置了打开密码或已损坏,本程序读不了。"
                        "请在 WPS/Excel 中打开它,另存为 .xlsx(不设密码)后再导入。")


class _Compound:
    """The streams of an OLE compound document held in memory (at most MAX_FILE_BYTES)."""

    def __init__(self, data: bytes, file_name: str):
        self.data, self.file_name = data, file_name
        if len(data) < 512:
            raise damaged(file_name)
        self.sector = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        self.mini_sector = 1 << struct.unpack_from("<H", data, 0x20)[0]
        if self.sector not in (512, 4096) or self.mini_sector != 64:
            raise damaged(file_name)
        fat_count, directory, _, self.cutoff, mini_fat, mini_count, difat, difat_count = struct.unpack_from(
            "<IIIIIIII", data, 0x2C)
        positions = list(struct.unpack_from("<109I", data, 0x4C))
        per_sector = self.sector // 4
        for _ in range(min(difat_count, len(data) // self.sector)):
            if difat in (_END, _FREE):
                break
            pointers = struct.unpack_from(f"<{per_sector}I", self._sector(difat))
            positions += pointers[:-1]
            difat = pointers[-1]
        self.fat: list[int] = []
        for position in positions[:fat_count]:
            if position not in (_END, _FREE):
                self.fat += struct.unpack_from(f"<{per_sector}I", self._sector(position))
        entries = self._chain(directory)
        self.directory: dict[str, tuple[int, int, int]] = {}
        for offset in range(0, len(entries) - 127, 128):
            length = struct.unpack_from("<H", entries, offset + 64)[0]
            name = entries[offset:offset + max(length - 2, 0)].decode("utf-16-le", "replace")
            kind = entries[offset + 66]
            start, size = struct.unpack_from("<IQ", entries, offset + 116)
            self.directory.setdefault(name, (kind, start, size & 0xFFFFFFFF))
        root = next(iter(self.directory.values()), (0, _END, 0))
        self.mini_stream = self._chain(root[1])[:root[2]]
        mini = self._chain(mini_fat)[:mini_count * self.sector] if mini_count else b""
        self.mini_fat = list(struct.unpack(f"<{len(mini) // 4}I", mini[:len(mini) // 4 * 4]))

    def _sector(self, number: int) -> bytes:
        start = (number + 1) * self.sector
        if start + self.sector > len(self.data):
            raise damaged(self.file_name)
        return self.data[start:start + self.sector]

    def _chain(self, start: int, fat: list[int] | None = None, mini: bool = False) -> bytes:
        fat = self.fat if fat is None else fat
        pieces, number, seen = [], start, 0
        while number not in (_END, _FREE):
            seen += 1
            if number >= len(fat) or seen > len(fat):  # a chain pointing outside or in a loop
                raise damaged(self.file_name)
            if mini:
                offset = number * self.mini_sector
                pieces.append(self.mini_stream[offset:offset + self.mini_sector])
            else:
                pieces.append(self._sector(number))
            number = fat[number]
        return b"".join(pieces)

    def stream(self, *names: str) -> bytes:
        """Return the first stream of `names` the document holds. Raises NotAWorkbook when none."""
        for name in names:
            if name in self.directory and self.directory[name][0] == 2:
                _, start, size = self.directory[name]
                if size < self.cutoff:
                    return self._chain(start, self.mini_fat, mini=True)[:size]
                return self._chain(start)[:size]
        raise damaged(self.file_name)


def _sheet_names(book: bytes) -> dict[int, str]:
    """Return {stream offset of a sheet's BOF: sheet name} from the BOUNDSHEET records."""
    names, offset = {}, 0
    while offset + 4 <= len(book):
        kind, length = struct.unpack_from("<HH", book, offset)
        body = book[offset + 4:offset + 4 + length]
        if kind == _BOUNDSHEET and len(body) >= 8:
            count, wide = body[6], body[7] & 1
            text = body[8:8 + count * (2 if wide else 1)]
            names[struct.unpack_from("<I", body)[0]] = text.decode("utf-16-le" if wide else "latin-1", "replace")
        offset += 4 + length
    return names


def check_xls(handle: BinaryIO, file_name: str) -> None:
    """Refuse an .xls whose DIMENSIONS or cells reach beyond the limits (or whose grid would be too
    large for calamine). Raises FileTooLarge naming the sheet and the far cell, NotAWorkbook when
    the compound document is damaged."""
    handle.seek(0)
    try:
        book = _Compound(handle.read(MAX_FILE_BYTES + 1), file_name).stream("Workbook", "Book", "WORKBOOK")
    except struct.error as exc:
        raise damaged(file_name) from exc
    names = _sheet_names(book)
    sheet, far_row, far_column, offset = "", -1, -1, 0
    while offset + 4 <= len(book):
        kind, length = struct.unpack_from("<HH", book, offset)
        body = book[offset + 4:offset + 4 + length]
        if kind == _FILEPASS:
            return  # encrypted from here on: calamine refuses the password-protected file itself
        if kind == _BOF:
            sheet, far_row, far_column = names.get(offset, sheet), -1, -1
        reach = None
        if kind in _CELLS and len(body) >= 4:
            reach = struct.unpack_from("<HH", body)
        elif kind == _MULRK and len(body) >= 6:
            reach = (struct.unpack_from("<H", body)[0], struct.unpack_from("<H", body, len(body) - 2)[0])
        elif kind == _DIMENSIONS and len(body) >= 10:
            last_row, first_column, last_column = struct.unpack_from("<4xIHH" if len(body) >= 14 else "<2xHHH", body)
            reach = (last_row - 1, last_column - 1) if last_row and last_column > first_column else None
        if reach is not None:
            row, column = reach
            if row >= MAX_ROWS or column >= MAX_COLUMNS:
                raise too_far(file_name, sheet, row, column)
            far_row, far_column = max(far_row, row), max(far_column, column)
            if (far_row + 1) * (far_column + 1) > MAX_DENSE_CELLS:
                raise range_too_large(file_name, sheet, far_row, far_column)
        offset += 4 + length
