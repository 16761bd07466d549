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
    if value.__class__ is str:
        # Nothing to fold (ASCII, or already in NFKC form as most Chinese text is): only the
        # spaces go; str.split() and the pattern's \s know the same whitespace (U+3000 too).
        if value.isascii() or unicodedata.is_normalized("NFKC", value):  # type: ignore[attr-defined]
            return "".join(value.split())  # type: ignore[attr-defined]
    elif isinstance(value, float) and value.is_integer():
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


# --- what a stored text may hold ------------------------------------------------------------------
# One set of rules for every imported cell, form field and package row: the importers, the
# services' check_* functions and the package import all call these.

TEXT_LIMIT = 500
NAME_LIMIT = 20
CODE_LIMIT = 30
PHONE_LIMIT = 40
FORMULA_STARTS = ("=", "+", "-", "@")
_ALLOWED_SPACES = "\t\n\r"
_NAME_INNER = "·-'()"
_CODE_INNER = "-_./"
_PHONE_CHARS = frozenset("0123456789+-()#,;/、转")
_NO_PHONE = {"-", "/", "无", "暂无", "没有"}
_INVISIBLE = {"\x00": "空字符(NUL)", "\x1b": "转义符(ESC,常见于 ANSI 颜色代码)", "\x7f": "删除符(DEL)",
              "\u00ad": "软连字符", "\u200b": "零宽空格", "\u200c": "零宽不连字", "\u200d": "零宽连字",
              "\u200e": "从左到右标记", "\u200f": "从右到左标记", "\u202a": "从左到右嵌入", "\u202b": "从右到左嵌入",
              "\u202c": "方向格式结束", "\u202d": "从左到右覆盖", "\u202e": "从右到左覆盖",
              "\u2066": "从左到右隔离", "\u2067": "从右到左隔离", "\u2068": "方向隔离", "\u2069": "方向隔离结束",
              "\ufeff": "字节顺序标记(BOM)", "\u2028": "行分隔符", "\u2029": "段分隔符"}


def _forbidden(char: str) -> bool:
    """True for a character no stored text may hold: controls (NUL, ESC, DEL, C1), format characters
    (bidi overrides such as U+202E, zero-width characters, BOM), surrogates, line/paragraph separators
    and the non-characters U+FFFE/U+FFFF. Private-use and not-yet-assigned code points are allowed:
    older systems put rare characters of people's names there."""
    if char in _ALLOWED_SPACES:
        return False
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Cs", "Zl", "Zp") or char in ("\ufffe", "\uffff")


def forbidden_char(text: str) -> tuple[int, str] | None:
    """Return (0-based position, character) of the first character `text` may not hold, or None."""
    if text.isprintable():  # the common case, in C: no control, format or separator character at all
        return None
    for position, char in enumerate(text):
        if _forbidden(char):
            return position, char
    return None


def describe_char(char: str) -> str:
    """Return a Chinese description of an invisible character, with its code point (U+202E)."""
    name = _INVISIBLE.get(char)
    if name is None:
        name = "控制字符" if unicodedata.category(char) == "Cc" else "不可见的格式字符"
    return f"{name} U+{ord(char):04X}"


def printable(text: str) -> str:
    """Return `text` with every character a stored text may not hold (see forbidden_char) shown as �:
    a message quoting a cell can then never move the cursor or recolour a terminal (ANSI escapes) nor
    reverse the words around it (U+202E)."""
    if forbidden_char(text) is None:
        return text
    return "".join("\ufffd" if _forbidden(c) else c for c in text)


def shown(value: object, limit: int = 30) -> str:
    """Return a cell value as it may appear inside a message: invisible characters as �, at most
    `limit` characters (then “…”)."""
    text = "".join("\ufffd" if _forbidden(c) else c for c in str(value)[:limit + 1])
    return text[:limit] + "…" if len(text) > limit else text


def text_problem(text: str, limit: int = TEXT_LIMIT) -> str | None:
    """Return None when `text` may be stored, else the reason in Chinese (a full sentence, without
    the field's name: the caller's Problem names sheet, row and column). Checks the length
    (at most `limit` characters) and forbidden characters (see forbidden_char)."""
    if len(text) > limit:
        return f"内容过长:有 {len(text)} 个字符,最多 {limit} 个。请检查是否把整段文字粘贴进了这一格。"
    found = forbidden_char(text)
    if found is not None:
        position, char = found
        return (f"第 {position + 1} 个字符是看不见的{describe_char(char)},不能保存。"
                "请在 WPS/Excel 中重新输入这一格(不要从网页或聊天软件粘贴)。")
    return None


def formula_problem(text: str, label: str) -> str | None:
    """Return the reason when `text` starts like a spreadsheet formula (= + - @), else None."""
    if text.startswith(FORMULA_STARTS):
        return (f"{label}“{shown(text)}”以“{text[0]}”开头,电子表格会把它当作公式执行。"
                f"{label}不能以 = + - @ 开头,请删除开头的符号。")
    return None


def person_name_problem(name: str, label: str = "姓名") -> str | None:
    """Return None when a cleaned `name` (see clean) looks like a person's name, else the reason.

    A name is 1–20 characters, starts with a letter (汉字 or Latin), holds only letters and the
    marks · - ' ( ) inside, no digits, controls or formula starts: “-”, “-inf”, “=HYPERLINK(…)”
    and “\\x7f” are refused.
    """
    problem = text_problem(name, NAME_LIMIT) or formula_problem(name, label)
    if problem is not None:
        return problem if problem.startswith(label) else f"{label}{problem}"
    if any(c.isdigit() for c in name):
        return f"{label}“{name}”不像人名:不能含数字。"
    if not unicodedata.category(name[0]).startswith("L"):
        return f"{label}“{name}”不像人名:应以汉字或字母开头。"
    odd = next((c for c in name if not unicodedata.category(c).startswith(("L", "M")) and c not in _NAME_INNER),
               None)
    if odd is not None:
        return f"{label}“{name}”不像人名:不能含“{odd}”。"
    return None


def code_problem(code: str, label: str, limit: int = CODE_LIMIT) -> str | None:
    """Return None when a cleaned identifier (工号, 编号) is 1–`limit` letters or digits, with
    - _ . / allowed inside; else the reason in Chinese naming `label`."""
    problem = text_problem(code, limit)
    if problem is not None:
        return f"{label}{problem}"
    if not code[0].isalnum():
        return f"{label}“{code}”应以字母或数字开头。"
    odd = next((c for c in code if not c.isalnum() and c not in _CODE_INNER), None)
    if odd is not None:
        return f"{label}“{code}”只能由字母、数字和 - _ . / 组成,不能含“{odd}”。"
    return None


def phone_text(value: object) -> tuple[str | None, str | None]:
    """Return (the phone number to store or None when empty, the reason it is refused or None).

    A number holds digits and + - ( ) # , ; / 、 转 (an extension: 0731-1234567转801), at most
    PHONE_LIMIT characters; “无”, “-” or “/” mean no number.
    """
    text = clean(value)
    if not text or text in _NO_PHONE:
        return None, None
    problem = text_problem(text, PHONE_LIMIT)
    if problem is not None:
        return None, f"电话{problem}"
    odd = next((c for c in text if c not in _PHONE_CHARS), None)
    if odd is not None or not any(c.isdigit() for c in text):
        return None, f"电话“{shown(text)}”不是电话号码:只能写数字和 + - ( ) 转 等符号。"
    return text, None
