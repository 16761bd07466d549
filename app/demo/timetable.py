"""A plausible weekly timetable for the demo, built greedily from the teaching assignments."""
from __future__ import annotations

import random

# (slot, label, kind, start, minutes): the daily plan every demo school uses. Two 大课间 of 30
# minutes give every pupil the hour of physical activity a day even without a PE lesson.
DAY_PLAN = [
    (1, "早读", "早读", "07:50", 20),
    (2, "第1节", "lesson", "08:20", 40),
    (3, "第2节", "lesson", "09:10", 40),
    (4, "大课间", "大课间", "09:50", 30),
    (5, "第3节", "lesson", "10:30", 40),
    (6, "第4节", "lesson", "11:20", 40),
    (7, "午休", "午休", "12:00", 120),
    (8, "第5节", "lesson", "14:00", 40),
    (9, "第6节", "lesson", "14:50", 40),
    (10, "下午大课间", "大课间", "15:40", 30),
]
LESSON_SLOTS = [slot for slot, _, kind, _, _ in DAY_PLAN if kind == "lesson"]
MORNING = set(LESSON_SLOTS[:4])
MAIN = ("yw", "sx", "yy")
TRAVEL_MINUTES = 30


def _blocks(travel: int) -> dict[int, int]:
    """Return slot → block: lessons less than `travel` minutes apart share a block, so a 走教
    teacher stays at one site for a whole block."""
    def minutes(text: str) -> int:
        hours, mins = text.split(":")
        return int(hours) * 60 + int(mins)
    blocks, block, previous_end = {}, 0, None
    for slot, _, kind, start, length in DAY_PLAN:
        if kind != "lesson":
            continue
        if previous_end is not None and minutes(start) - previous_end >= travel:
            block += 1
        blocks[slot] = block
        previous_end = minutes(start) + length
    return blocks


BLOCKS = _blocks(TRAVEL_MINUTES)


def build_timetable(rng: random.Random, assignments, busy: dict) -> list[tuple]:
    """Return (class, day, slot, subject code, teacher) tuples for the classes in `assignments`.

    `busy` maps teacher id → set of (day, slot) already taken (shared across schools, so a
    走教 teacher is not booked at two sites at once). A teacher teaches at one site per block of
    slots, leaving the travel time between sites. Main subjects go to morning slots and a subject
    is spread over different days. When a teacher has no free cell left in a class, another
    lesson of the class moves to a free cell to make room. Takes one number from `rng` and draws
    the rest from its own generator, so the timetable does not shift the data generated after it.
    """
    rng = random.Random(rng.getrandbits(64))
    by_class: dict = {}
    for cls, code, teacher, periods in assignments:
        by_class.setdefault(cls.id, (cls, []))[1].append((code, teacher, periods))
    sites: dict[tuple, list] = {}  # (teacher id, day, block) → [school id, lessons there]
    grids = []

    def site_ok(teacher, school_id, cell) -> bool:
        held = sites.get((teacher.id, cell[0], BLOCKS[cell[1]]))
        return held is None or held[0] == school_id

    def take(teacher, school_id, cell) -> None:
        busy.setdefault(teacher.id, set()).add(cell)
        held = sites.setdefault((teacher.id, cell[0], BLOCKS[cell[1]]), [school_id, 0])
        held[1] += 1

    def release(teacher, cell) -> None:
        busy[teacher.id].discard(cell)
        key = (teacher.id, cell[0], BLOCKS[cell[1]])
        sites[key][1] -= 1
        if sites[key][1] == 0:
            del sites[key]

    for cls, items in by_class.values():
        school_id = cls.school.id
        free = {(day, slot) for day in range(1, 6) for slot in LESSON_SLOTS}
        grid: dict = {}
        # 走教 teachers are the hardest to place: their lessons go in first.
        items.sort(key=lambda item: (not item[1].sites, item[0] not in MAIN, -item[2]))
        for code, teacher, periods in items:
            days_used: dict[int, int] = {}
            for _ in range(periods):
                taken = busy.setdefault(teacher.id, set())
                candidates = [c for c in free if c not in taken and site_ok(teacher, school_id, c)]
                if not candidates:
                    candidates = _make_room(grid, free, teacher, school_id, busy, site_ok, take, release)
                if not candidates:
                    candidates = sorted(free)
                best = min(candidates, key=lambda c: (
                    days_used.get(c[0], 0),
                    # a 走教 teacher's lessons at one site fill the blocks already spent there
                    bool(teacher.sites) and (teacher.id, c[0], BLOCKS[c[1]]) not in sites,
                    (c[1] not in MORNING) if code in MAIN else (c[1] in MORNING),
                    rng.random()))
                free.discard(best)
                take(teacher, school_id, best)
                grid[best] = (code, teacher)
                days_used[best[0]] = days_used.get(best[0], 0) + 1
        grids.append((cls, grid))
    return [(cls, day, slot, code, teacher) for cls, grid in grids
            for (day, slot), (code, teacher) in sorted(grid.items())]


def _make_room(grid: dict, free: set, teacher, school_id: str, busy: dict, site_ok, take, release,
               depth: int = 2) -> list:
    """Open a cell of the class that `teacher` can use by moving the lesson in it to a free cell
    (or, up to `depth` moves, to a cell opened the same way); return [the opened cell] or []."""
    for cell in sorted(grid):
        if cell in busy.get(teacher.id, ()) or not site_ok(teacher, school_id, cell):
            continue
        code, other = grid[cell]
        release(other, cell)
        targets = [t for t in sorted(free) if t not in busy.get(other.id, ()) and site_ok(other, school_id, t)]
        if not targets and depth > 1:
            del grid[cell]
            targets = _make_room(grid, free, other, school_id, busy, site_ok, take, release, depth - 1)
            grid[cell] = (code, other)
        if targets:
            target = targets[0]
            take(other, school_id, target)
            del grid[cell]
            grid[target] = (code, other)
            free.discard(target)
            free.add(cell)
            return [cell]
        take(other, school_id, cell)
    return []
