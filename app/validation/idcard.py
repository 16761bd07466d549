"""Chinese resident ID numbers (GB 11643-1999): structure, birth date and check digit."""
from __future__ import annotations

import datetime as dt

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """Return the check character (0-9 or X) for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def id_problem(number: str) -> str | None:
    """Return None when `number` is a valid 18-character ID number, else the reason in Chinese."""
    if len(number) != 18:
        return f"身份证件号应为 18 位,这里是 {len(number)} 位"
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "身份证件号只能由数字组成,最后一位可以是 X"
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "身份证件号中的出生日期不存在"
    if check_digit(number[:17]) != number[17]:
        return "身份证件号校验位不正确,请核对是否抄错"
    return None


def birth_date_of(number: str) -> dt.date:
    """Return the birth date encoded in a valid ID number."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender_of(number: str) -> str:
    """Return 男 or 女 from the sequence digit of a valid ID number."""
    return "男" if int(number[16]) % 2 else "女"
