"""A plausible weekly timetable for the demo, built greedily from the teaching assignments."""
from __future__ import annotations

import random

# (slot, label, kind, start, minutes): the daily plan every demo school uses.
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
    (10, "课外活动", "课外活动", "15:40", 40),
]
LESSON_SLOTS = [slot for slot, _, kind, _, _ in DAY_PLAN if kind == "lesson"]
MORNING = set(LESSON_SLOTS[:4])
MAIN = ("yw", "sx", "yy")


def build_timetable(rng: random.Random, assignments, busy: dict) -> list[tuple]:
    """Return (class, day, slot, subject code, teacher) tuples for the classes in `assignments`.

    `busy` maps teacher id → set of (day, slot) already taken (shared across schools, so a
    走教 teacher is not booked at two sites at once). Main subjects go to morning slots and a
    subject is spread over different days.
    """
    by_class: dict = {}
    for cls, code, teacher, periods in assignments:
        by_class.setdefault(cls.id, (cls, []))[1].append((code, teacher, periods))
    placed = []
    for cls, items in by_class.values():
        free = {(day, slot) for day in range(1, 6) for slot in LESSON_SLOTS}
        items.sort(key=lambda item: (item[0] not in MAIN, -item[2]))
        for code, teacher, periods in items:
            taken = busy.setdefault(teacher.id, set())
            days_used: dict[int, int] = {}
            for _ in range(periods):
                candidates = [c for c in free if c not in taken]
                if not candidates:
                    candidates = list(free)
                best = min(candidates, key=lambda c: (
                    days_used.get(c[0], 0),
                    (c[1] not in MORNING) if code in MAIN else (c[1] in MORNING),
                    rng.random()))
                free.discard(best)
                taken.add(best)
                days_used[best[0]] = days_used.get(best[0], 0) + 1
                placed.append((cls, best[0], best[1], code, teacher))
    return placed
