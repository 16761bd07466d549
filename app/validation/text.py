"""Cleaning the text found in real spreadsheets: full-width digits, stray spaces, numbers as text."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def clean(value: object) -> str:
    """Return `value` as text with full-width forms folded (NFKC) and all whitespace removed.

    Chinese cells never need inner spaces (names, 学籍号, class names), and WPS users often type
    a full-width space to align names. None gives "".
    """
    if value is None:
        return ""
    if value.__class__ is str and value.isascii():  # nothing to fold: only the spaces go
        return "".join(value.split())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACES.sub("", text.replace("\u3000", ""))


def clean_code(value: object) -> str:
    """Return an identifier such as a 学籍号 or 工号: cleaned, upper-case, '.0' of a float dropped."""
    text = clean(value)
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    return text.upper()


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value: object) -> dt.date | None:
    """Return the date in `value` (a date, datetime or text like 2015-03-08, 2015/3/8, 2015年3月8日,
    20150308), or None when the cell is empty. Raises ValueError (whose text is the cell's text) when
    it is not a date, also for 2015-13-01 or 2015-02-30."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean(value)
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:  # 2015-13-01: say the text, never Python's "month must be in 1..12"
                raise ValueError(text) from None
    raise ValueError(text)


_YES = {"是", "有", "Y", "YES", "TRUE", "1", "√", "✓", "寄宿", "留守", "随迁", "残疾", "免修"}
_NO = {"", "否", "无", "N", "NO", "FALSE", "0", "×", "走读", "非留守", "-", "/"}


def parse_flag(value: object) -> bool:
    """Return True for 是/有/√/1 and the like, False for 否/无/empty. Raises ValueError otherwise."""
    text = clean(value).upper()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(text)
