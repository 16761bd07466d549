"""The shape every report takes before it is drawn: sections of headings, text, findings, tables,
charts and slips. One model feeds both the PDF (app.reports.pdf) and the workbook (app.reports.xlsx),
so the two always carry the same figures.

Table cells hold raw values (counts as int, means as float, rates as fractions 0-1, None for "no
figure"); each column says how its values are shown. The PDF prints them formatted, the workbook
stores the numbers themselves with a matching number format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.stats.vocabulary import FIGURES, format_value

# How a column's values are shown: (PDF text, Excel number format).
KINDS = {
    "text": None,
    "para": None,            # text that may wrap onto several lines
    "int": "0",
    "score": "General",      # a pupil's score as written (67.5, 80); a status word stays text
    "num": "0.0",            # means, scores: one decimal
    "num2": "0.00",          # standard deviations, value-added
    "pct": "0.0%",           # a fraction shown as a percentage
    "signed": "+0.0;-0.0;0.0",
    "signed2": "+0.00;-0.00;0.00",
    "signed_pct": "+0.0%;-0.0%;0.0%",   # a difference of two rates
}


def pct(value: float | None) -> str:
    """Return a fraction as text with one decimal and a percent sign ('72.5%'), — for None."""
    return format_value(value, "pct")


@dataclass
class Column:
    """One table column: its heading and how its values are shown (a key of KINDS)."""

    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(self.kind)


def figure_column(key: str, title: str | None = None) -> Column:
    """Return the column of figure `key` with the label and format of the one figure table
    (app.stats.vocabulary); `title` replaces the label (e.g. 全乡平均分). Raises KeyError."""
    figure = FIGURES[key]
    return Column(title or figure.label, figure.format if figure.format in KINDS else "text")


@dataclass
class Text:
    """A paragraph; style body, note (small grey) or warning (framed)."""

    text: str
    style: str = "body"


@dataclass
class Findings:
    """Written findings, one sentence per item (printed as a bulleted list)."""

    items: list[str]


@dataclass
class Table:
    """A table with a title; `sheet` names its worksheet in the workbook. Rows listed in `muted`
    (small samples) print in grey, and a rule is drawn above the rows in `breaks` (where a new
    grade starts)."""

    title: str
    columns: list[Column]
    rows: list[list[Any]]
    sheet: str | None = None
    muted: set[int] = field(default_factory=set)
    note: str | None = None
    breaks: set[int] = field(default_factory=set)


@dataclass
class Chart:
    """One or two vector charts (reportlab Drawings) side by side with a caption; the workbook
    leaves charts out (their figures are in the tables)."""

    drawings: list[Any]
    caption: str


@dataclass
class Slip:
    """One pupil's 成绩通知单: who, and each subject's 等级 (or status word). Nothing else."""

    name: str
    class_name: str
    grade: int
    student_no: str
    levels: list[tuple[str, str]]
    legend: str = ""


@dataclass
class Section:
    """A run of blocks; `landscape` sections start a landscape page, `new_page` forces a new page."""

    title: str | None
    blocks: list[Any]
    landscape: bool = False
    new_page: bool = False


@dataclass
class Stamp:
    """What every page names so the report can be reproduced: program version, scoring presets
    (name, content hash), the hash of the data read and the time made."""

    version: str
    presets: list[tuple[str, str]]
    data_hash: str
    made: str
    personal: str = ""

    def footer(self, presets_elsewhere: bool = False) -> str:
        """Return the one-line footer text; with `presets_elsewhere` the presets are only referred
        to the workbook's 说明 sheet (where they are named with their full hashes). A report with
        personal data says so first (`personal`: the note, e.g. app.validation.mask.PERSONAL_NOTE)."""
        presets = ("见“说明”表" if presets_elsewhere else " ".join(phash[:8] for _, phash in self.presets))
        note = f"{self.personal} · " if self.personal else ""
        return f"{note}SchoolQ {self.version} · 方案校验 {presets} · 数据校验 {self.data_hash[:12]} · {self.made} 生成"


@dataclass
class Report:
    """A whole report: title lines (printed first unless `cover` is False), the header text
    ('school · exam', on every page), basis facts (what it was made from), sections."""

    kind: str
    title: str
    subtitle: str
    header: str
    stamp: Stamp
    sections: list[Section]
    basis: list[tuple[str, str]] = field(default_factory=list)
    confidential: bool = False
    slips_per_page: int = 2
    file_title: str = ""
    cover: bool = True

    def tables(self) -> list[Table]:
        """Return every table of the report in order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def slips(self) -> list[Slip]:
        """Return every slip of the report in order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, Slip)]
