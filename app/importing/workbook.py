"""Reading tables out of the workbooks people really have: .xlsx/.xls/.ods from Excel or WPS, and CSV.

Real files put a merged title and blank rows above the header, decorate header cells with
“(必填)”, “*” or line breaks, add notes under the data, and let Excel turn long numbers into
floats. `read_tables` finds the header row on every sheet, maps its columns through a synonym
table given by the caller and returns the data rows with their real sheet name and 1-based row
number, so each problem can say where it is. The roster, marks and timetable imports all use it.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from app.errors import Problem
from app.importing.early_sheet import early_sheets
from app.importing.limits import MAX_COLUMNS, MAX_CSV_FIELD, MAX_FILE_BYTES, MAX_ROWS, FileTooLarge, NotAWorkbook
from app.importing.sheets import OLE_MAGIC, ZIP_MAGIC, RawSheet, not_a_workbook, workbook_sheets
from app.progress import CancelCheck, Cancelled, Progress, scaled
from app.validation.text import clean, clean_code, text_problem

SCAN_ROWS = 20
# The longest text any imported cell may hold; each field has a tighter limit of its own.
TEXT_LIMIT = 500
_PROGRESS_EVERY = 2000
T = TypeVar("T")
U = TypeVar("U")


class CellError(ValueError):
    """A cell value cannot be trusted (e.g. a long number Excel stored as a float); str() says why."""


@dataclass
class DataRow:
    """One data row: where it is and the raw cell value of every mapped field (None when empty);
    `bad_text` maps a field to why its text cannot be stored (too long, invisible characters)."""

    sheet: str
    row: int
    values: dict[str, object]
    bad_text: dict[str, str] | None = None


@dataclass
class Table:
    """The data of one sheet under its header row."""

    sheet: str
    header_row: int
    headers: dict[str, str]
    ignored_headers: list[str] = field(default_factory=list)
    rows: list[DataRow] = field(default_factory=list)
    # Within streamed_tables: the rows the sheet claims below the header (None: unknown), the
    # reader of its data rows (given a progress callback) and how many it has yielded so far.
    size: int | None = None
    stream: Callable[[Progress | None], Iterator[DataRow]] | None = field(default=None, repr=False, compare=False)
    streamed: int = 0

    def column(self, field_name: str) -> str | None:
        """Return the header text of the column mapped to `field_name` as written, or None."""
        return self.headers.get(field_name)

    def has(self, field_name: str) -> bool:
        """Return True when the sheet has a column for `field_name`."""
        return field_name in self.headers


@dataclass
class WorkbookTables:
    """Every sheet that has a header, plus problems found while looking for headers."""

    path: Path
    tables: list[Table] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        """Return the number of data rows over all sheets (read so far, when streamed)."""
        return sum(max(len(t.rows), t.streamed) for t in self.tables)

    def check_rows(self) -> None:
        """Once every row is read: a problem when the tables found hold no data row at all."""
        if self.tables and self.row_count == 0 and not self.problems:
            self.problems.append(Problem("表头下面没有数据行。", sheet=self.tables[0].sheet,
                                         row=self.tables[0].header_row, code="no_rows"))


# --- opening files -------------------------------------------------------------------------------

_TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _not_a_workbook(path: Path) -> NotAWorkbook:
    return not_a_workbook(path.name)


@contextmanager
def open_sheets(path: str | Path, *, early_rows: bool = False):
    """Open a workbook or CSV file and yield its sheets as a list of RawSheet.

    .xlsx/.xlsm, old .xls and .ods are read with calamine, whatever their name says (see
    sheet_rows for the cell values); .csv/.txt/.tsv are decoded as UTF-8 (with or without BOM),
    UTF-16 with a BOM (Excel's “Unicode 文本”), else GB18030 (a superset of GBK). Nothing beyond
    the limits of app.importing.limits is loaded. Raises FileTooLarge (also while the rows are
    read) for a file, sheet or field beyond them; NotAWorkbook for a password-protected or damaged
    workbook, an HTML page saved as .xls, or any file that is neither; FileNotFoundError when the
    file is missing. With `early_rows` a large .xlsx of one sheet yields its first rows before
    calamine has loaded all of it (app.importing.early_sheet): iterating its rows may then also
    raise EarlyRowsDiffer, after which the caller reads the file again without early_rows.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(4096)
        size = handle.seek(0, 2)
    if size > MAX_FILE_BYTES:
        raise FileTooLarge(f"“{path.name}”有 {size / 1024 / 1024:.0f} MB,超过了可导入的 {MAX_FILE_BYTES // 1024 // 1024} MB。"
                           "名单、成绩表和课表远没有这么大:请只保留要导入的工作表,删除图片后另存,再导入。")
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        with open(path, "rb") as handle:
            if early_rows:
                with early_sheets(handle, path.name, head) as sheets:
                    yield sheets
            else:
                yield workbook_sheets(handle, path.name, head)
        return
    if re.match(rb"\s*<(!doctype\s+html|html|table|\?xml)", head, re.IGNORECASE):
        raise NotAWorkbook(
            f"“{path.name}”实际上是网页(HTML/XML)格式,不是真正的 Excel 工作簿。"
            "请在 WPS/Excel 中打开它,另存为 .xlsx 后再导入。")
    if path.suffix.lower() in _TEXT_SUFFIXES and (head.startswith(_UTF16_BOMS) or b"\x00" not in head):
        yield [_csv_sheet(path)]
        return
    raise _not_a_workbook(path)


def decode_text(data: bytes, name: str) -> str:
    """Return the text of a CSV file: UTF-16 when it starts with a UTF-16 BOM, UTF-8 (BOM or not)
    when it decodes strictly, else GB18030.

    Raises NotAWorkbook when no encoding fits.
    """
    encodings = ("utf-16",) if data.startswith(_UTF16_BOMS) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotAWorkbook(f"“{name}”的文字编码无法识别。请在 WPS/Excel 中打开它,另存为 .xlsx 后再导入。")


def _csv_sheet(path: Path) -> RawSheet:
    text = decode_text(path.read_bytes(), path.name)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    return RawSheet(path.stem, text.count("\n") + 1, _csv_rows(text, delimiter, path.name))


def _csv_rows(text: str, delimiter: str, name: str) -> Iterator[tuple]:
    """Yield the records of CSV text as tuples (None for an empty field). Raises FileTooLarge naming
    the record (its row number as read_tables counts it) for a field over MAX_CSV_FIELD characters,
    a record of more than MAX_COLUMNS fields or more than MAX_ROWS records."""
    csv.field_size_limit(MAX_CSV_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileTooLarge(
                f"“{name}”第 {number} 行无法按 CSV 读取:有一格超过 {MAX_CSV_FIELD // 1024} KB,或引号没有配对。"
                "请在 WPS/Excel 中打开检查这一行,另存为 .xlsx 后再导入。") from exc
        if len(row) > MAX_COLUMNS or number > MAX_ROWS:
            raise FileTooLarge(
                f"“{name}”第 {number} 行超出了本程序能读的范围(最多 {MAX_ROWS} 行、每行 {MAX_COLUMNS} 列)。"
                "请只保留要导入的数据后再导入。")
        yield tuple(cell if cell != "" else None for cell in row)


# --- headers ---------------------------------------------------------------------------------------

_BRACKETED = re.compile(r"[(\[<{【〔《][^()\[\]<>{}【】〔〕《》]*[)\]>}】〕》]")
_DECORATION = re.compile(r"[*※★☆#:]")


def normalize_header(value: object) -> str:
    """Return the comparable form of a header cell: full-width folded, spaces and line breaks
    removed, bracketed notes such as “(必填)” or “(格式:2015-01-01)” and marks like “*” dropped,
    lower-cased. 身份证件号（必填）* and “身份证件号” give the same key."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(text.split())
    previous = None
    while previous != text:
        previous = text
        text = _BRACKETED.sub("", text)
    return _DECORATION.sub("", text).lower()


def header_text(value: object) -> str:
    """Return a header cell as the user wrote it, with line breaks and spaces removed."""
    return "".join(str(value).split()) if value is not None else ""


class HeaderIndex:
    """Maps header keys to fields; a synonym listed earlier wins when two columns mean one field."""

    def __init__(self, synonyms: Mapping[str, Sequence[str]]):
        self._by_key: dict[str, tuple[str, int]] = {}
        for field_name, words in synonyms.items():
            for rank, word in enumerate(words):
                self._by_key.setdefault(normalize_header(word), (field_name, rank))
        self.first_word = {f: words[0] for f, words in synonyms.items() if words}

    def match(self, row: tuple) -> dict[str, tuple[int, str]]:
        """Return {field: (column index, header text)} for the header cells of `row`."""
        best: dict[str, tuple[int, int, str]] = {}
        for index, value in enumerate(row):
            hit = self._by_key.get(normalize_header(value))
            if hit is None:
                continue
            field_name, rank = hit
            if field_name not in best or rank < best[field_name][1]:
                best[field_name] = (index, rank, header_text(value))
        return {f: (index, text) for f, (index, _, text) in best.items()}


_NOTE_PREFIXES = ("注", "说明", "备注", "填表", "制表", "审核", "合计", "总计", "共计", "小计", "签字", "签名",
                  "负责人", "填报", "联系人", "盖章")


def _is_note(row: tuple) -> bool:
    """A note under the data: one or two filled cells, the first starting like 注: or 合计."""
    if len(row) - row.count(None) > 2:  # a data row: stop at its third filled cell
        count = 0
        for v in row:
            if v is not None and (v.__class__ is not str or v.strip()):
                count += 1
                if count > 2:
                    return False
    filled = [v for v in row if v is not None and str(v).strip()]
    if not filled or len(filled) > 2:
        return False
    first = clean(filled[0])
    return first.startswith(_NOTE_PREFIXES) or (len(filled) == 1 and len(first) > 30)


def read_tables(path: str | Path, synonyms: Mapping[str, Sequence[str]], *, required: Sequence[str] = (),
                min_matches: int = 2, scan_rows: int = SCAN_ROWS, ignore_headers: Sequence[str] = ("序号",),
                progress: Progress | None = None, cancelled: CancelCheck | None = None) -> WorkbookTables:
    """Read every sheet of `path`, find its header row and return its data rows by field.

    The header row is the row among the first `scan_rows` that names the most fields of
    `synonyms` ({field: [header words]}), at least `min_matches`. Data rows whose mapped cells are
    all empty, note rows (注:…, 合计…) and repeated header rows are skipped. A sheet whose header
    lacks a `required` field, or no sheet with a header at all, is a problem; a sheet without a
    header when other sheets have one (an instructions sheet) is only a warning.
    Returns WorkbookTables. Raises NotAWorkbook, Cancelled, FileNotFoundError.
    """
    with streamed_tables(path, synonyms, required=required, min_matches=min_matches, scan_rows=scan_rows,
                         ignore_headers=ignore_headers, cancelled=cancelled) as result:
        for number, table in enumerate(result.tables):
            part = scaled(progress, number / len(result.tables), (number + 1) / len(result.tables))
            if table.stream is not None:
                table.rows, table.stream = list(table.stream(part)), None
            if part is not None:
                part(1.0, f"已读取工作表“{table.sheet}”")
        result.check_rows()
    return result


@contextmanager
def streamed_tables(path: str | Path, synonyms: Mapping[str, Sequence[str]], *, required: Sequence[str] = (),
                    min_matches: int = 2, scan_rows: int = SCAN_ROWS, ignore_headers: Sequence[str] = ("序号",),
                    cancelled: CancelCheck | None = None, early_rows: bool = False) -> Iterator[WorkbookTables]:
    """Open `path` and yield its tables as read_tables finds them, before their rows are read.

    Within the block each table's rows are read while `table.stream()` is iterated (table.rows
    stays empty): a large file's first rows can be checked, and written, while the rest is still
    being read. Call `check_rows()` on the result once every stream is consumed (a file of
    headers and no data rows is a problem). Problems and warnings about headers are there from
    the start. Raises what read_tables raises (Cancelled, FileTooLarge also while streaming), and
    with `early_rows` (see open_sheets) EarlyRowsDiffer while streaming.
    """
    path = Path(path)
    index = HeaderIndex(synonyms)
    result = WorkbookTables(path)
    headerless: list[str] = []
    with open_sheets(path, early_rows=early_rows) as sheets:
        for sheet in sheets:
            if sheet.hidden:
                # Templates hide their drop-down lists (and sometimes old copies) in hidden sheets.
                if _find_header(sheet, index, min_matches, scan_rows)[0] is not None:
                    result.warnings.append(Problem(
                        "这是隐藏的工作表,没有导入。如需导入,请在 WPS/Excel 中取消隐藏后再导入。",
                        sheet=sheet.name, severity="warning", code="hidden_sheet"))
                continue
            table, had_data = _sheet_table(sheet, index, min_matches, scan_rows, ignore_headers, cancelled)
            if table is None:
                if had_data:
                    headerless.append(sheet.name)
                continue
            missing = [f for f in required if not table.has(f)]
            if missing:
                names = "、".join(f"“{index.first_word.get(f, f)}”" for f in missing)
                result.problems.append(Problem(
                    f"表头缺少{names}列。请补上这一列后再导入。",
                    sheet=table.sheet, row=table.header_row, code="missing_column"))
                continue
            result.tables.append(table)
        need = "和".join(f"“{index.first_word.get(f, f)}”" for f in required) or "足够的"
        for name in headerless:
            message = f"找不到表头:至少需要{need}{'两' if len(required) == 2 else ''}列"
            if result.tables:
                result.warnings.append(Problem(message + ",这个工作表已跳过。", sheet=name, severity="warning",
                                               code="no_header"))
            else:
                result.problems.append(Problem(message + "。请检查列名是否写对。", sheet=name, code="no_header"))
        if not result.problems and not result.tables and not headerless:
            result.problems.append(Problem(f"“{path.name}”中没有任何数据。", code="empty_file"))
        yield result


@contextmanager
def opened_beside(opening: AbstractContextManager[T], work: Callable[[], U]) -> Iterator[tuple[T, U]]:
    """Enter `opening` (streamed_tables(…)) on a worker thread while `work()` runs on this one, and
    yield (what `opening` gives, what `work` returned); `opening` is left when the block ends.

    calamine lets go of Python while it loads a sheet (0.45 s for the county midterm), so loading
    what the rows will be checked against (a county's pupils: 0.3-0.4 s) goes on meanwhile on the
    other core. Raises what entering `opening` raised (a file that cannot be read is reported before
    anything else, as when the two ran one after the other), else what `work` raised.
    """
    entered: list[T] = []
    errors: list[BaseException] = []

    def enter() -> None:
        try:
            entered.append(opening.__enter__())
        except BaseException as exc:  # noqa: BLE001 - raised on the caller's thread below
            errors.append(exc)

    worker = threading.Thread(target=enter, name="open-workbook", daemon=True)
    worker.start()
    with ExitStack() as stack:
        try:
            done = work()
        finally:
            worker.join()
            if entered:
                stack.push(opening)
            elif errors:
                raise errors[0]
        yield entered[0], done


def _sheet_table(sheet: RawSheet, index: HeaderIndex, min_matches: int, scan_rows: int,
                 ignore_headers: Sequence[str], cancelled: CancelCheck | None) -> tuple[Table | None, bool]:
    """Return (the sheet's table, its rows to be read by table.stream(), or None when no header was
    found; whether the sheet had any data)."""
    best, scanned, had_data = _find_header(sheet, index, min_matches, scan_rows)
    if best is None:
        return None, had_data
    header_row, found = best
    header_cells = scanned[header_row - 1]
    mapped = {index for index, _ in found.values()}
    ignored_words = {normalize_header(w) for w in ignore_headers}
    table = Table(
        sheet=sheet.name, header_row=header_row, headers={f: text for f, (_, text) in found.items()},
        ignored_headers=[header_text(v) for i, v in enumerate(header_cells)
                         if i not in mapped and v is not None and str(v).strip()
                         and normalize_header(v) not in ignored_words],
        size=max(sheet.size - header_row, 0) if sheet.size is not None else None)
    columns = sorted(((f, i) for f, (i, _) in found.items()), key=lambda c: c[1])
    header_keys = {f: normalize_header(text) for f, (_, text) in found.items()}
    # A header repeated for printing is recognised by its first two mapped columns.
    repeat_check = [(f, header_keys[f]) for f, _ in columns[:2]]
    normalized: dict[str, str] = {}  # a column's texts repeat (学校, 班级): each is normalized once
    width = max(i for _, i in columns) + 1

    def data_rows(progress: Progress | None) -> Iterator[DataRow]:
        rows = itertools.chain(enumerate(scanned[header_row:], start=header_row + 1),
                               enumerate(sheet.rows, start=len(scanned) + 1))
        for number, row in rows:
            if number % _PROGRESS_EVERY == 0:
                if cancelled is not None and cancelled():
                    raise Cancelled()
                if progress is not None:
                    fraction = min(number / sheet.size, 0.99) if sheet.size else 0.5
                    progress(fraction, f"正在读取工作表“{sheet.name}”第 {number} 行")
            if len(row) < width:
                row = row + (None,) * (width - len(row))
            # Blank text counts as empty; everything else is kept as the file holds it.
            values = {f: row[i] if row[i].__class__ is not str or row[i].strip() else None for f, i in columns}
            if all(v is None for v in values.values()):
                continue
            if _is_note(row):
                continue
            repeated = True
            for f, key in repeat_check:
                value = values[f]
                if value.__class__ is not str:
                    repeated = False
                    break
                text = normalized.get(value)  # type: ignore[call-overload]
                if text is None:
                    text = normalize_header(value)
                    if len(normalized) < 4096:
                        normalized[value] = text  # type: ignore[index]
                if text != key:
                    repeated = False
                    break
            if repeated:
                continue
            data = DataRow(sheet.name, number, values)
            for key, value in values.items():
                if value.__class__ is str and (len(value) > TEXT_LIMIT or not value.isprintable()):
                    problem = text_problem(value, TEXT_LIMIT)
                    if problem is not None:
                        data.bad_text = {**(data.bad_text or {}), key: problem}
            table.streamed += 1
            yield data

    table.stream = data_rows
    return table, True


def _find_header(sheet: RawSheet, index: HeaderIndex, min_matches: int, scan_rows: int
                 ) -> tuple[tuple[int, dict[str, tuple[int, str]]] | None, list[tuple], bool]:
    """Return (best header (1-based row, matches) or None, the rows scanned, whether any had data)."""
    scanned: list[tuple] = []
    best: tuple[int, dict[str, tuple[int, str]]] | None = None
    had_data = False
    for row in sheet.rows:
        scanned.append(row)
        if any(v is not None and str(v).strip() for v in row):
            had_data = True
            found = index.match(row)
            if len(found) >= min_matches and (best is None or len(found) > len(best[1])):
                best = (len(scanned), found)
        if len(scanned) >= scan_rows:
            break
    return best, scanned, had_data


# --- cell values ---------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?E[+-]?\d+$")
# Excel keeps 15 significant digits: a float at or above this has lost the digits after them.
_FLOAT_DIGITS_LIMIT = 10 ** 15


def _lost_digits(shown: str) -> CellError:
    return CellError(
        f"“{shown}”是被 Excel 转成科学计数法的数字,后面几位已经丢失。请在 WPS/Excel 中把这一列设置为"
        "“文本”格式,重新录入或从原系统重新导出后再导入")


def code_text(value: object) -> str:
    """Return an identifier cell (学籍号, 身份证件号, 工号) as clean upper-case text, "" when empty.

    123456.0 becomes "123456". Raises CellError when Excel stored a long number as a float
    (4.30121201501012E+17), since its last digits are gone and cannot be recovered.
    """
    if value is None or isinstance(value, bool):
        return clean_code(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= _FLOAT_DIGITS_LIMIT:
            raise _lost_digits(f"{value:.15G}")
        return clean_code(value)
    if isinstance(value, int):
        return str(value)
    text = clean_code(value)
    if _SCIENTIFIC.match(text):
        raise _lost_digits(text)
    return text


# Excel serial numbers of 1950-01-01 and 2100-12-31: a number outside is not a date someone meant.
_SERIAL_RANGE = (18264, 73415)


_TIME_SUFFIX = re.compile(r"^\s*(\S+)\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*$")


def date_value(value: object) -> object:
    """Return a date cell ready for parse_date: a datetime becomes a date, an Excel serial number
    in a column not formatted as a date (42370) becomes that date, text with a midnight time
    (2016-03-08 00:00:00, as CSV exports write it) loses the time; anything else is returned as is."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        match = _TIME_SUFFIX.match(value)
        return match.group(1) if match else value
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
        # Imported here: openpyxl is needed only for this rare case, and importing it costs the GUI's start.
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    return value


_YEAR_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")


def year_month(value: object) -> tuple[int, tuple[int, ...]] | None:
    """Return (year, possible months) when a cell holds only a year and a month (2015.03, 2015-3,
    2015年3月), else None. A number 2015.1 gives months (1, 10): Excel stores 2015.10 as 2015.1."""
    if isinstance(value, (dt.date, bool)):
        return None
    match = _YEAR_MONTH.match(clean(value))
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    written = (month, month * 10) if isinstance(value, float) and month == 1 else (month,)
    months = tuple(m for m in written if 1 <= m <= 12)
    return (year, months) if months else None



def month_or_date(cell: object,
                  known: Callable[[], dt.date | None]) -> tuple[object, tuple[int, tuple[int, ...]] | None]:
    """Return a date cell as date_value reads it and None; for a cell holding only a year and a month
    (year_month), the date `known()` gives (one known otherwise, as from the ID number) and None when
    it falls in them, else the cell and (year, possible months) for the caller to decide."""
    value = date_value(cell)
    month_only = year_month(value)
    if month_only is None:
        return value, None
    year, months = month_only
    day = known()
    if day is not None and day.year == year and day.month in months:
        return day, None
    return value, month_only

class RowCheck:
    """Collects the problems of one data row, each naming its sheet, row and column as written."""

    def __init__(self, table: Table, row: DataRow):
        self.table, self.row = table, row
        self.problems: list[Problem] = []
        self.failed: set[str] = set()
        for file_field, message in (row.bad_text or {}).items():
            self.add(file_field, message)

    def add(self, file_field: str | None, message: str, field_name: str | None = None) -> None:
        """Record a problem in the column of `file_field`; `field_name` (default the same) is what
        it is about, so a later check of that field can be skipped (see `failed`)."""
        field_name = field_name or file_field
        self.failed.add(field_name or "")
        self.problems.append(Problem(message, sheet=self.row.sheet, row=self.row.row,
                                     column=self.table.column(file_field) if file_field else None,
                                     field=field_name))

    def warning(self, file_field: str | None, message: str) -> Problem:
        """Return a warning (not a problem: the row is still imported) about this row."""
        return Problem(message, sheet=self.row.sheet, row=self.row.row,
                       column=self.table.column(file_field) if file_field else None, field=file_field,
                       severity="warning")


def sort_problems(problems: list[Problem], sheets: Sequence[str]) -> None:
    """Sort problems in place by sheet (in file order, file-wide ones first) and row."""
    order = {name: i for i, name in enumerate(dict.fromkeys(sheets))}
    problems.sort(key=lambda p: (order.get(p.sheet, -1), p.row or 0))
