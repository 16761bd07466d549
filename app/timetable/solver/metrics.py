"""The soft-constraint score of a timetable, counted directly from its lessons: pupil and teacher
gaps, late starts, a subject twice a day, 语数 in the afternoon, 走教 days per site and a teacher's
day more than one lesson above an even share of the week. The solver minimises the same weighted sum; this separate count is what is shown and
what the benchmark compares with FET's timetables.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from app.timetable.model import Slot
from app.timetable.solver.problem import Problem

COMPONENTS = ("pupil_gap", "late_start", "teacher_gap", "subject_twice", "main_afternoon", "itinerant_day",
              "daily_spread")
COMPONENT_NAMES = {"pupil_gap": "学生空节", "late_start": "班级晚开课", "teacher_gap": "教师空节",
                   "subject_twice": "同科一天两节", "main_afternoon": "语数排在下午", "itinerant_day": "走教到校天数",
                   "daily_spread": "教师某天课过多"}


def afternoon(problem: Problem, school_id: str, slot: int) -> bool:
    """Return True when a school's slot is in the afternoon (starts at 12:00 or later; without
    times, in the later half of the day's lessons)."""
    times = problem.times(school_id, slot)
    if times is not None:
        return times[0] >= 12 * 60
    slots = problem.schools[school_id].lesson_slots()
    return slot in slots[(len(slots) + 1) // 2:]


def teacher_places(problem: Problem, teacher_id: str, lessons: Iterable[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Return a teacher's day as positions in time order: each a list of (school, slot) starting
    together, over every lesson slot of the schools where the teacher has activities or lessons."""
    schools = {a.school_id for a in problem.activities if teacher_id in a.teachers} | {s for s, _ in lessons}
    by_start: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for school_id in schools:
        for slot in problem.schools[school_id].lesson_slots():
            times = problem.times(school_id, slot)
            by_start[times[0] if times else slot * 1000].append((school_id, slot))
    return [by_start[start] for start in sorted(by_start)]


def itinerant_sites(problem: Problem, teacher_id: str) -> set[str]:
    """Return the schools where a teacher has activities or lessons that stay (more than one: 走教)."""
    return ({a.school_id for a in problem.activities if teacher_id in a.teachers}
            | {s.school_id for s in problem.fixed if s.teacher_id == teacher_id})


def _gaps(occupied: list[bool]) -> int:
    if True not in occupied:
        return 0
    first = occupied.index(True)
    last = len(occupied) - 1 - occupied[::-1].index(True)
    return sum(1 for value in occupied[first:last + 1] if not value)


def measure(problem: Problem, lessons: list[Slot]) -> dict[str, int]:
    """Return each soft component's count for the lessons of the problem's scope (and the
    teachers' fixed lessons elsewhere), plus 'score', their weighted sum."""
    mine = [s for s in lessons if s.subject and s.school_id in problem.scope and s.class_id in problem.classes]
    counts = dict.fromkeys(COMPONENTS, 0)
    class_cells: dict[tuple[str, int], set[int]] = defaultdict(set)
    subject_days: dict[tuple[str, str, int], int] = defaultdict(int)
    for slot in mine:
        class_cells[(slot.class_id, slot.day)].add(slot.slot)
        subject_days[(slot.class_id, slot.subject, slot.day)] += 1
        rules = problem.rules[slot.school_id]
        if slot.subject in rules.morning_subjects and afternoon(problem, slot.school_id, slot.slot):
            counts["main_afternoon"] += 1
    for class_id, cls in problem.classes.items():
        cells = problem.class_cells(class_id)
        for day in problem.days:
            order = [slot for d, slot in cells if d == day]
            taken = class_cells.get((class_id, day), set())
            occupied = [slot in taken for slot in order]
            counts["pupil_gap"] += _gaps(occupied)
            counts["late_start"] += int(bool(taken) and bool(order) and not occupied[0])
    counts["subject_twice"] = sum(n - 1 for n in subject_days.values() if n > 1)
    by_teacher: dict[str, set[tuple[int, str, int]]] = defaultdict(set)
    for slot in mine + [s for s in problem.fixed if s.school_id not in problem.scope]:
        if slot.teacher_id and slot.subject:
            by_teacher[slot.teacher_id].add((slot.day, slot.school_id, slot.slot))
    for teacher_id in {t for a in problem.activities for t in a.teachers}:
        held = by_teacher.get(teacher_id, set())
        positions = teacher_places(problem, teacher_id, [(s, p) for _, s, p in held])
        loads = []
        for day in problem.days:
            occupied = [any((day, s, p) in held for s, p in position) for position in positions]
            counts["teacher_gap"] += _gaps(occupied)
            loads.append(sum(1 for d, _, _ in held if d == day))
        cap = -(-len(held) // len(problem.days)) + 1
        counts["daily_spread"] += sum(max(0, load - cap) for load in loads)
        if len(itinerant_sites(problem, teacher_id)) > 1:
            counts["itinerant_day"] += len({(d, s) for d, s, _ in held})
    weights = problem.weights()
    counts["score"] = sum(weights.get(name, 0) * counts[name] for name in COMPONENTS)
    return counts
