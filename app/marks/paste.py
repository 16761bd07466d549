"""Match a block of cells pasted into the marks grid to the grid's pupils and subjects.

A block copied from a sheet that was sorted differently (by total, by 学号) must not land on the
pupils who happen to stand in those rows of the grid. When a column of the block holds the grid's
学籍号 or names, every line goes to the pupil it names, and the lines that name nobody (or a name
two pupils share) are reported, not guessed. Only a block without such a column is pasted by
position, and the page previews it first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.validation.text import clean

STUDENT_NO_WORDS = {"学籍号", "学号", "全国学籍号", "学生学籍号", "考号"}
NAME_WORDS = {"姓名", "学生姓名", "名字"}


@dataclass
class PasteMatch:
    """How a pasted block maps onto the grid.

    `by` is "学籍号", "姓名" or "" (no identifier column: the caller pastes by position).
    `cells` are (pupil index, subject index, text) to enter; `matched` the block lines (1-based)
    that found a pupil, with the pupil index; `unmatched` (line, what the line says, reason);
    `ignored_columns` the headings of columns that are neither an identifier nor a subject.
    """

    by: str = ""
    cells: list[tuple[int, int, str]] = field(default_factory=list)
    matched: list[tuple[int, int]] = field(default_factory=list)
    unmatched: list[tuple[int, str, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _column_hits(block: list[list[str]], column: int, values: set[str]) -> int:
    return sum(1 for line in block if column < len(line) and clean(line[column]) in values)


def match_block(block: list[list[str]], pupils: list[dict], subjects: list[dict], start_subject: int) -> PasteMatch:
    """Return how `block` (lines of cells) maps onto the grid's `pupils` (dicts with student_no and
    name) and `subjects` (dicts with name), the scores without a heading going to the subjects from
    index `start_subject` on.

    A first line naming 学籍号 / 姓名 or subjects is a heading: its subject names place the score
    columns (other headed columns are left out and listed). Without a heading, a column is an
    identifier when at least half of its filled cells are the grid's 学籍号 (or names), and the
    score columns are those to the right of the identifiers. Returns a PasteMatch whose `by` is ""
    when the block has no identifier column.
    """
    numbers = {clean(p["student_no"]): i for i, p in enumerate(pupils) if p.get("student_no")}
    names: dict[str, list[int]] = {}
    for i, p in enumerate(pupils):
        names.setdefault(clean(p["name"]), []).append(i)
    subject_index = {clean(s["name"]): i for i, s in enumerate(subjects)}
    width = max((len(line) for line in block), default=0)
    head = [clean(v) for v in block[0]] if block else []
    headed = any(v in STUDENT_NO_WORDS | NAME_WORDS or _subject_of(v, subject_index) is not None for v in head)
    body = block[1:] if headed else block
    first_line = 2 if headed else 1

    no_column = name_column = None
    if headed:
        no_column = next((j for j, v in enumerate(head) if v in STUDENT_NO_WORDS), None)
        name_column = next((j for j, v in enumerate(head) if v in NAME_WORDS), None)
    else:
        for j in range(width):
            filled = sum(1 for line in body if j < len(line) and clean(line[j]))
            if not filled:
                continue
            if no_column is None and _column_hits(body, j, set(numbers)) * 2 >= filled:
                no_column = j
            elif name_column is None and _column_hits(body, j, set(names)) * 2 >= filled:
                name_column = j
    result = PasteMatch(by="学籍号" if no_column is not None else "姓名" if name_column is not None else "")
    if not result.by:
        return result

    ids = {j for j in (no_column, name_column) if j is not None}
    targets: dict[int, int] = {}
    if headed:
        for j, v in enumerate(head):
            if j in ids:
                continue
            subject = _subject_of(v, subject_index)
            if subject is not None:
                targets[j] = subject
            elif v:
                result.ignored_columns.append(v)
    else:
        next_subject = start_subject
        for j in range(max(ids) + 1, width):
            if next_subject < len(subjects):
                targets[j] = next_subject
                next_subject += 1

    taken: dict[int, int] = {}
    for offset, line in enumerate(body):
        line_no = first_line + offset
        if not any(clean(v) for v in line):
            continue
        number = clean(line[no_column]) if no_column is not None and no_column < len(line) else ""
        name = clean(line[name_column]) if name_column is not None and name_column < len(line) else ""
        said = " ".join(v for v in (number, name) if v)
        pupil, reason = _find(number, name, numbers, names)
        if pupil is not None and pupil in taken:
            pupil, reason = None, f"与第 {taken[pupil]} 行是同一名学生"
        if pupil is None:
            result.unmatched.append((line_no, said, reason))
            continue
        taken[pupil] = line_no
        result.matched.append((line_no, pupil))
        for j, subject in targets.items():
            if j < len(line):
                result.cells.append((pupil, subject, line[j]))
    return result


def _subject_of(heading: str, subject_index: dict[str, int]) -> int | None:
    """Return the subject a heading names ("数学" or "数学(120)"), or None."""
    base = heading.split("(")[0].split("(")[0].strip()
    return subject_index.get(heading, subject_index.get(base))


def _find(number: str, name: str, numbers: dict[str, int], names: dict[str, list[int]]) -> tuple[int | None, str]:
    """Return (pupil index, "") for a line's 学籍号 / name, or (None, why it names nobody)."""
    if number:
        pupil = numbers.get(number)
        if pupil is None:
            return None, "本班没有这个学籍号"
        if name and name in names and pupil not in names[name]:
            return None, "学籍号与姓名不是同一名学生"
        return pupil, ""
    if not name:
        return None, "这一行没有学籍号或姓名"
    found = names.get(name, [])
    if not found:
        return None, "本班没有这名学生"
    if len(found) > 1:
        return None, "本班有同名学生,请连同学籍号一起复制"
    return found[0], ""
