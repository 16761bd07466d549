"""Class names as people write them: 三(2)班, 3.2, 302, 三年级2班, 3年级二班 …"""
from __future__ import annotations

import re

from app.validation.text import clean

CN_DIGITS = "零一二三四五六七八九"
GRADE_NAMES = {g: f"{CN_DIGITS[g]}年级" for g in range(1, 10)}


def cn_number(text: str) -> int | None:
    """Return the value of a small number written in Arabic or Chinese digits (一 … 十九), else None."""
    if text.isdigit():
        return int(text)
    if text and all(ch in CN_DIGITS + "十两" for ch in text):
        text = text.replace("两", "二")
        if "十" in text:
            tens, _, ones = text.partition("十")
            value = (CN_DIGITS.index(tens) if tens else 1) * 10
            return value + (CN_DIGITS.index(ones) if ones else 0)
        if len(text) == 1:
            return CN_DIGITS.index(text)
    return None


def class_name(grade: int, number: int) -> str:
    """Return the canonical name of class `number` of `grade`, e.g. 三(2)班."""
    return f"{CN_DIGITS[grade]}({number})班"


_NUM = r"(\d{1,2}|[一二三四五六七八九十两]{1,3})"
_PATTERNS = [
    # 三(2)班, 三年级(2)班, 3年级2班, 三年级二班, 3年2班, 三2班
    re.compile(rf"^{_NUM}(?:年级|年)?[(]?{_NUM}[)]?班?$"),
    # 3.2, 3-2, 3_2, 3/2
    re.compile(r"^(\d)[.\-_/](\d{1,2})班?$"),
]


def parse_class(text: object, grade_hint: int | None = None) -> tuple[int, int] | None:
    """Return (grade, class number) for a class as written, or None when it cannot be read.

    `grade_hint` (from a separate 年级 column) lets a bare `2班` or `2` resolve, and a bare
    `三年级` means that grade's only class (1).
    """
    value = clean(text)
    if not value:
        return None
    if re.fullmatch(r"\d{3}", value):  # 302
        grade, number = int(value[0]), int(value[1:])
        return (grade, number) if 1 <= grade <= 9 and number >= 1 else None
    for pattern in _PATTERNS:
        match = pattern.match(value)
        if match:
            grade, number = cn_number(match.group(1)), cn_number(match.group(2))
            if grade and number and 1 <= grade <= 9:
                return grade, number
    only_grade = re.fullmatch(rf"{_NUM}(?:年级|年)", value)
    if only_grade:
        grade = cn_number(only_grade.group(1))
        return (grade, 1) if grade and 1 <= grade <= 9 else None
    bare = re.fullmatch(rf"{_NUM}班?", value)
    if bare and grade_hint:
        number = cn_number(bare.group(1))
        return (grade_hint, number) if number else None
    return None


def parse_grade(text: object) -> int | None:
    """Return the grade 1-9 in `三年级`, `3`, `三`, `初一` (7), or None."""
    value = clean(text)
    junior = {"初一": 7, "初二": 8, "初三": 9, "七年级": 7, "八年级": 8, "九年级": 9}
    if value in junior:
        return junior[value]
    match = re.fullmatch(rf"{_NUM}(?:年级|年)?", value)
    if match:
        grade = cn_number(match.group(1))
        if grade and 1 <= grade <= 9:
            return grade
    return None


def name_key(text: object) -> str:
    """Return the form of a class name used to compare two spellings of the same name."""
    return clean(text).replace("（", "(").replace("）", ")")
