"""Masking identifiers in outputs that do not need them in full."""
from __future__ import annotations

PERSONAL_NOTE = "含学生个人信息,请妥善保管,勿外传"
# The footer of an output naming teachers with their results (the teacher report).
STAFF_NOTE = "含教师个人信息,仅限内部使用,勿外传"


def mask_student_no(number: str | None) -> str:
    """Return a 学籍号 with its middle hidden for internal lists: the first five and the last four
    characters stay (G433101201503150218X → G4331****218X), enough to tell pupils apart and to
    find them, not enough to read the ID number inside. Short numbers keep two at each end."""
    text = (number or "").strip()
    if len(text) >= 12:
        return f"{text[:5]}****{text[-4:]}"
    if len(text) > 4:
        return f"{text[:2]}****{text[-2:]}"
    return text
