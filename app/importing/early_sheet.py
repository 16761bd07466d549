"""The first rows of a large one-sheet .xlsx before calamine has loaded the whole sheet.

calamine yields no row of a sheet before it has loaded all of it (the county midterm: 0.45 s),
so a marks import could write nothing meanwhile. Here the sheet's XML is cut after its first
EARLY_BYTES, at the end of a row, and put with the workbook's other parts into a small copy of the
archive that calamine loads in a few hundredths of a second, while it loads the whole sheet on a
worker thread. The first rows are read from the copy by the same reader as the rest, then the rest
from the whole sheet once it is loaded, after its first rows have been compared with the copy's:
should they differ in any cell, EarlyRowsDiffer is raised, and the caller reads the file again the
usual way (the marks import rolls back what it wrote and starts over). Nothing beyond what
app.importing.xlsx_scan measured is unpacked: the copy holds the parts calamine reads anyway, and
the way is taken only when they are small.
"""
from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from app.importing.sheets import RawSheet, not_a_workbook, sheet_rows, workbook_sheets
from app.importing.xlsx_scan import XlsxPlan, inspect_xlsx

# How much of the sheet's XML the copy holds: 3,700 rows of the county midterm (inline strings).
EARLY_BYTES = 2 << 20
# The other parts the copy repeats (shared strings, styles …) may unpack to this much at most.
_OTHER_PARTS_BYTES = 8 << 20
_READ_SUFFIXES = (".xml", ".rels")


class EarlyRowsDiffer(Exception):
    """The rows read from the copy are not the whole sheet's first rows: read the file again the
    usual way (workbook_sheets). Never seen by a user."""


@contextmanager
def early_sheets(handle, file_name: str, head: bytes) -> Iterator[list[RawSheet]]:
    """Yield the worksheets of the workbook open in `handle` as workbook_sheets gives them, except
    that a large .xlsx of one visible worksheet yields its first rows before calamine has loaded the
    whole sheet (its size is then None). The sheet is loaded on a worker thread, which has ended
    when the block does. Raises what workbook_sheets raises (the whole sheet's load failing: while
    its rows are iterated), and EarlyRowsDiffer while they are when the copy's rows differ."""
    plan = inspect_xlsx(handle, file_name) if head.startswith(b"PK\x03\x04") else None
    found = _single_sheet(handle, file_name, plan) if plan is not None else None
    if found is None:
        yield workbook_sheets(handle, file_name, head, plan=plan)
        return
    book, name, part = found
    try:
        copy = _copy(plan, part)  # type: ignore[arg-type]
    except BaseException:
        book.close()
        raise
    if copy is None:
        book.close()
        yield workbook_sheets(handle, file_name, head, plan=plan)
        return
    loader = _SheetLoader(book, name, file_name)
    try:
        yield [RawSheet(name, None, loader.rows(_copy_rows(copy, name)))]
    finally:
        loader.join()


def _single_sheet(handle, file_name: str, plan: XlsxPlan) -> tuple[CalamineWorkbook, str, str] | None:
    """Return (calamine's book, the sheet's name, its archive part) when the workbook has one visible
    worksheet, read by calamine, whose XML is more than twice EARLY_BYTES; else None."""
    if plan.any_careful or len(plan.sheets) != 1:
        return None
    (name, sheet_plan), = plan.sheets.items()
    info = plan.archive.infos[sheet_plan.part]
    if sheet_plan.careful or info.file_size <= 2 * EARLY_BYTES:
        return None
    try:
        handle.seek(0)
        book = CalamineWorkbook.from_filelike(handle)
    except CalamineError as exc:
        raise not_a_workbook(file_name) from exc
    sheets = [meta for meta in book.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
    if len(sheets) != 1 or sheets[0].name != name or sheets[0].visible != SheetVisibleEnum.Visible:
        book.close()
        return None
    return book, name, sheet_plan.part


def _copy(plan: XlsxPlan, part: str) -> bytes | None:
    """Return a copy of the archive (parts stored, not compressed) whose sheet `part` holds its rows
    up to the last whole one within EARLY_BYTES; None when the other parts are too large or the cut
    finds no row end (a sheet written in a way the copy does not follow)."""
    archive = plan.archive
    others = [name for name in archive.infos if name != part and name.endswith(_READ_SUFFIXES)]
    if sum(archive.infos[name].file_size for name in others) > _OTHER_PARTS_BYTES:
        return None
    head = bytearray()
    for chunk in archive.chunks(part):
        head += chunk
        if len(head) >= EARLY_BYTES:
            break
    end = head.rfind(b"</row>", 0, EARLY_BYTES)
    if end < 0 or head.find(b"<sheetData", 0, end) < 0:
        return None
    sheet = bytes(head[:end + len(b"</row>")]) + b"</sheetData></worksheet>"
    out = io.BytesIO()
    unpacked = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for name in others:
            data = archive.read(name)
            unpacked += len(data)
            if unpacked > _OTHER_PARTS_BYTES:  # a declared size that lied
                return None
            copy.writestr(name, data)
        copy.writestr(part, sheet)
    return out.getvalue()


def _copy_rows(copy: bytes, name: str) -> list[tuple]:
    """Return the rows of sheet `name` in the copy as sheet_rows gives them ([] when calamine cannot
    read the copy: the whole sheet's rows are then all read from it)."""
    try:
        with io.BytesIO(copy) as handle:
            book = CalamineWorkbook.from_filelike(handle)
            try:
                return list(sheet_rows(book.get_sheet_by_name(name)))
            finally:
                book.close()
    except CalamineError:
        return []


class _SheetLoader:
    """Loads one sheet of a calamine book on a worker thread (calamine lets go of Python meanwhile)."""

    def __init__(self, book: CalamineWorkbook, name: str, file_name: str):
        self.book, self.name, self.file_name = book, name, file_name
        self.sheet: CalamineSheet | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._load, name="load-sheet", daemon=True)
        self.thread.start()

    def _load(self) -> None:
        try:
            self.sheet = self.book.get_sheet_by_name(self.name)
        except BaseException as exc:  # noqa: BLE001 - raised on the reading thread by rows()
            self.error = exc

    def join(self) -> None:
        """Wait for the load to end and close the book. Ctrl+C meanwhile does not cut the wait short:
        KeyboardInterrupt is raised once the load has ended."""
        interrupted = False
        while True:
            try:
                self.thread.join()
                break
            except KeyboardInterrupt:
                interrupted = True
        self.book.close()
        if interrupted:
            raise KeyboardInterrupt

    def rows(self, early: list[tuple]) -> Iterator[tuple]:
        """Yield the rows of `early`, then, once the whole sheet is loaded and its first rows are
        found to be them, the rest of its rows. Raises NotAWorkbook when calamine cannot load the
        sheet, EarlyRowsDiffer when its first rows are not `early`."""
        yield from early
        self.thread.join()
        if self.error is not None:
            if isinstance(self.error, CalamineError):
                raise not_a_workbook(self.file_name) from self.error
            raise self.error
        rows = sheet_rows(self.sheet)  # type: ignore[arg-type]
        for mine in early:
            theirs = next(rows, None)
            # The copy's used range may end left of the whole sheet's: its rows are then shorter.
            if theirs is None or theirs[:len(mine)] != mine or any(v is not None for v in theirs[len(mine):]):
                raise EarlyRowsDiffer()
        yield from rows
