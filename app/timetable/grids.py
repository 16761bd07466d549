"""Timetables as grids to look at: per class, per teacher and per room. The GUI pages and the
printed timetables both show these."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.timetable.model import Period, SchoolInfo, Slot, TimetableData, clock


@dataclass
class GridCell:
    """What one cell shows (one line per entry, and a note such as the school of a 走教 lesson)
    and the lessons behind it."""

    lines: list[str] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    note: str = ""


@dataclass
class GridRow:
    """One slot of the day: label, kind, time, and a cell per day."""

    slot: int
    label: str
    kind: str
    time: str
    cells: dict[int, GridCell] = field(default_factory=dict)


@dataclass
class Grid:
    """A week: title lines, the days shown, one row per slot, and the number of lessons."""

    title: str
    subtitle: str
    days: list[int]
    rows: list[GridRow]
    lessons: int = 0


def _days(slots: list[Slot]) -> list[int]:
    return sorted({1, 2, 3, 4, 5} | {s.day for s in slots})


def _rows(school: SchoolInfo, slots: list[Slot]) -> list[GridRow]:
    periods: dict[int, Period] = dict(school.periods)
    for slot in slots:
        periods.setdefault(slot.slot, Period(slot.slot, school.label(slot.slot), "lesson", None, 0))
    rows = []
    for number in sorted(periods):
        period = periods[number]
        time = f"{clock(period.start)}-{clock(period.end)}" if period.start is not None else ""
        rows.append(GridRow(number, period.label, period.kind, time))
    return rows


def _teacher_name(data: TimetableData, teacher_id: str | None) -> str:
    teacher = data.teachers.get(teacher_id) if teacher_id else None
    return teacher.name if teacher else "(未定)"


def class_grid(data: TimetableData, class_id: str) -> Grid:
    """Return the week of one class: subject and teacher in each cell."""
    cls = data.classes[class_id]
    school = data.schools[cls.school_id]
    slots = [s for s in data.slots if s.class_id == class_id]
    rows = _rows(school, slots)
    by_slot = {row.slot: row for row in rows}
    for slot in slots:
        cell = by_slot[slot.slot].cells.setdefault(slot.day, GridCell())
        cell.lines = [data.subject_name(slot.subject), _teacher_name(data, slot.teacher_id)]
        cell.slots.append(slot)
    head = data.teachers.get(cls.head_teacher_id) if cls.head_teacher_id else None
    subtitle = f"{data.term['name']}" + (f"  班主任:{head.name}" if head else "")
    return Grid(f"{school.name} {cls.name} 课程表", subtitle, _days(slots), rows,
                lessons=sum(1 for s in slots if school.kind_of(s.slot) == "lesson" and s.subject))


def teacher_grid(data: TimetableData, teacher_id: str) -> Grid:
    """Return the week of one teacher: class and subject in each cell; lessons at another school
    (走教) name that school and sit in the row of the home school's slot starting at the same time
    (or with the same number)."""
    teacher = data.teachers[teacher_id]
    home = data.schools[teacher.school_id]
    slots = sorted((s for s in data.slots if s.teacher_id == teacher_id), key=lambda s: (s.day, s.slot))
    rows = _rows(home, [s for s in slots if s.school_id == home.id])
    by_slot = {row.slot: row for row in rows}
    by_start = {home.periods[n].start: n for n in home.periods if home.periods[n].start is not None}
    for slot in slots:
        school = data.schools[slot.school_id]
        number = slot.slot
        if school.id != home.id:
            period = school.periods.get(slot.slot)
            number = by_start.get(period.start, slot.slot) if period and period.start is not None else slot.slot
        if number not in by_slot:
            row = GridRow(number, school.label(slot.slot), "lesson", "")
            rows.append(row)
            by_slot[number] = row
        cls = data.classes.get(slot.class_id)
        cell = by_slot[number].cells.setdefault(slot.day, GridCell())
        cell.lines += [cls.name if cls else "", data.subject_name(slot.subject)]
        if school.id != home.id:
            cell.note = school.name
        cell.slots.append(slot)
    rows.sort(key=lambda r: r.slot)
    lessons = sum(1 for s in slots if data.schools[s.school_id].kind_of(s.slot) == "lesson" and s.subject)
    return Grid(f"{home.name} {teacher.name}(工号 {teacher.staff_no})课程表",
                f"{data.term['name']}  每周 {lessons} 节", _days(slots), rows, lessons=lessons)


def rooms(data: TimetableData, school_id: str) -> list[str]:
    """Return the rooms named in a school's timetable, sorted."""
    return sorted({s.room for s in data.slots if s.school_id == school_id and s.room})


def room_grid(data: TimetableData, school_id: str, room: str) -> Grid:
    """Return the week of one room: class, subject and teacher in each cell."""
    school = data.schools[school_id]
    slots = [s for s in data.slots if s.school_id == school_id and s.room == room]
    rows = _rows(school, slots)
    by_slot = {row.slot: row for row in rows}
    for slot in slots:
        cls = data.classes.get(slot.class_id)
        cell = by_slot[slot.slot].cells.setdefault(slot.day, GridCell())
        cell.lines += [cls.name if cls else "", data.subject_name(slot.subject), _teacher_name(data, slot.teacher_id)]
        cell.slots.append(slot)
    return Grid(f"{school.name} {room} 教室安排", data.term["name"], _days(slots), rows,
                lessons=len(slots))

