"""The timetable as an OR-Tools CP-SAT model (app.timetable.solver.search solves it).

One boolean per activity and lesson cell says "a lesson of this activity is here". Hard: the
hours of each activity exactly; a class, teacher or shared room in one place at a time; a
teacher's lessons at two sites on one day far enough apart in time to travel; at most N lessons a
day per teacher; a subject at most once a day (twice for 语文/数学) per class; the PE lessons a day
the preset asks for; no gaps for primary classes; fixed events; unavailability; locked lessons;
for the classes given them, a day begun at the first lesson and a least number of lessons a day.
The soft rules' terms are added on demand (add_gaps, add_soft): the first timetable is searched
for on the hard rules alone. With `explain`, the groups of rules that may conflict are each
switched by an assumption literal, so CP-SAT can name a set of them that cannot hold together
(see app.timetable.solver.explain).
"""
from __future__ import annotations

import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any
from collections import defaultdict
from collections.abc import Callable

from app.timetable.model import Slot
from app.timetable.solver.metrics import afternoon, itinerant_sites, teacher_places
from app.timetable.solver.problem import Problem

Cell = tuple[int, int]


def _import_cp_model() -> types.ModuleType:
    """Return ortools' cp_model module.

    cp_model imports pandas only for its pandas helpers (new_*_series, values() of a Series), which
    SchoolQ never calls; the frozen bundle leaves pandas out (installer/schoolq.spec, about 60 MB).
    Without pandas, a stand-in holding the two names cp_model's annotations read (Index, Series)
    is registered for the import and removed afterwards, so nothing else sees a pandas module.
    """
    if importlib.util.find_spec("pandas") is not None:
        from ortools.sat.python import cp_model as module
        return module
    stand_in = types.ModuleType("pandas")
    stand_in.Index = type("Index", (), {})  # type: ignore[attr-defined]
    stand_in.Series = type("Series", (), {})  # type: ignore[attr-defined]
    sys.modules["pandas"] = stand_in
    try:
        from ortools.sat.python import cp_model as module
    finally:
        del sys.modules["pandas"]
    return module


if TYPE_CHECKING:
    from ortools.sat.python import cp_model
else:
    cp_model = _import_cp_model()


class Model:
    """The CP-SAT model of a Problem; `groups` maps each assumption literal to what it switches
    (only with explain=True). It holds the hard rules only until add_soft() adds the soft rules'
    terms (`penalties`): the first timetable is searched for on the smaller model."""

    def __init__(self, problem: Problem, explain: bool = False):
        self.problem = problem
        self.model = cp_model.CpModel()
        self.explain = explain
        self.groups: dict[int, tuple] = {}
        self.x: dict[int, dict[Cell, cp_model.IntVar]] = {}
        self.remaining: dict[int, int] = {}
        self.penalties: list[tuple[int, Any]] = []
        self.gap_terms: list[Any] = []
        self._days: dict[tuple[str, int], list[Any]] = {}
        self._soft_added = False
        self._gaps_added = False
        self._fixed_index()
        self._variables()
        self._hard()

    # --- helpers --------------------------------------------------------------------------

    def switch(self, *what: object) -> list:
        """Return [literal] enforcing a group of constraints (a new assumption with explain), else []."""
        if not self.explain:
            return []
        if what not in self._switches:
            literal = self.model.new_bool_var(str(what))
            self._switches[what] = literal
            self.groups[literal.index] = what
        return [self._switches[what]]

    def assumptions(self) -> list:
        """Return the assumption literals of every switched group (explain=True)."""
        return list(self._switches.values())

    def _fixed_index(self) -> None:
        p = self.problem
        self._switches: dict[tuple, cp_model.IntVar] = {}
        self.class_fixed: dict[tuple[str, int, int], Slot] = {}
        self.teacher_fixed: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
        self.room_fixed: set[tuple[str, str, int, int]] = set()
        for slot in p.fixed:
            if slot.school_id in p.scope:
                self.class_fixed[(slot.class_id, slot.day, slot.slot)] = slot
                if slot.room:
                    self.room_fixed.add((slot.school_id, slot.room, slot.day, slot.slot))
            if slot.teacher_id and slot.subject:
                places = self.teacher_fixed[(slot.teacher_id, slot.day)]
                if (slot.school_id, slot.slot) not in places:
                    places.append((slot.school_id, slot.slot))
        self.remaining = dict(enumerate(p.remaining()))

    def _variables(self) -> None:
        p = self.problem
        cells_of = {sid: p.cells(sid) for sid in p.scope}
        for index, activity in enumerate(p.activities):
            cells = {}
            for day, slot in cells_of[activity.school_id]:
                if any((c, day, slot) in self.class_fixed or (day, slot) in p.class_blocked.get(c, ())
                       for c in activity.classes):
                    continue
                if activity.room and (activity.school_id, activity.room, day, slot) in self.room_fixed:
                    continue
                if any(p.conflict(place, (activity.school_id, slot)) for t in activity.teachers
                       for place in self.teacher_fixed.get((t, day), ())):
                    continue
                cells[(day, slot)] = self.model.new_bool_var(f"x{index}_{day}_{slot}")
            self.x[index] = cells
            for teacher_id in activity.teachers:
                self._unavailable(index, teacher_id)

    def _unavailable(self, index: int, teacher_id: str) -> None:
        p = self.problem
        away = p.unavailable.get(teacher_id)
        if not away:
            return
        teacher = p.teachers.get(teacher_id)
        home = teacher.school_id if teacher and teacher.school_id in p.schools else None
        school_id = p.activities[index].school_id
        for (day, slot), var in self.x[index].items():
            hit = False
            for away_day, away_slot in away:
                if away_day != day:
                    continue
                if away_slot is None or home is None:
                    hit = hit or away_slot is None or away_slot == slot
                else:
                    hit = hit or (home == school_id and away_slot == slot) or (
                        home != school_id and p.conflict((home, away_slot), (school_id, slot))
                        and p.times(home, away_slot) is not None)
            if hit:
                self.model.add(var == 0).only_enforce_if(self.switch("unavailable", teacher_id))

    # --- hard rules -----------------------------------------------------------------------

    def _hard(self) -> None:
        p, m = self.problem, self.model
        for index, activity in enumerate(p.activities):
            m.add(sum(self.x[index].values()) == max(0, self.remaining[index]))
        by_class: dict[str, list[int]] = defaultdict(list)
        by_teacher: dict[str, list[int]] = defaultdict(list)
        by_room: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, activity in enumerate(p.activities):
            for class_id in activity.classes:
                by_class[class_id].append(index)
            for teacher_id in activity.teachers:
                by_teacher[teacher_id].append(index)
            if activity.room:
                by_room[(activity.school_id, activity.room)].append(index)
        self.by_class, self.by_teacher = by_class, by_teacher
        for indexes in list(by_class.values()) + list(by_room.values()):
            self._at_most_one_per_cell(indexes)
        for class_id, indexes in by_class.items():
            self._class_rules(class_id, indexes)
            for day in p.days:
                self._day_shape(class_id, day)
        for teacher_id, indexes in by_teacher.items():
            self._teacher_rules(teacher_id, indexes)
        for school_id, day, slot, code in p.required:
            for class_id, cls in p.classes.items():
                if cls.school_id != school_id or (class_id, day, slot) in self.class_fixed:
                    continue
                here = [self.x[i][(day, slot)] for i in by_class.get(class_id, ())
                        if p.activities[i].subject == code and (day, slot) in self.x[i]]
                m.add(sum(here) == 1).only_enforce_if(self.switch("required", class_id, code))

    def _day_shape(self, class_id: str, day: int) -> None:
        """Constrain the shape of a class's day: no gaps (gapless), begun at the first lesson cell
        (early_start), at least N lessons (class_daily_min). A gapless class that begins early has its
        lessons in the day's first cells, one after another: each cell taken only after the one before."""
        p, m = self.problem, self.model
        gapless, early, least = class_id in p.gapless, class_id in p.early_start, p.class_daily_min.get(class_id, 0)
        if not (gapless or early or least):
            return
        items = self._class_day(class_id, day)
        if least:
            m.add(sum(items) >= least).only_enforce_if(self.switch("class_daily_min", class_id))
        if gapless and early:
            switch = self.switch("gapless", class_id) + self.switch("early_start", class_id)
            for before, after in zip(items, items[1:]):
                if not isinstance(after, int) or after:
                    m.add(after <= before).only_enforce_if(switch)
            for item in items[:least]:  # implied by the two and the minimum; said outright, it propagates at once
                m.add(item == 1).only_enforce_if(switch + self.switch("class_daily_min", class_id))
            return
        if gapless:
            self._gaps(items, True, self.switch("gapless", class_id))
        if early and items:
            for item in items[1:]:
                if not isinstance(item, int) or item:
                    m.add(item <= items[0]).only_enforce_if(self.switch("early_start", class_id))

    def _at_most_one_per_cell(self, indexes: list[int]) -> None:
        cells: dict[Cell, list] = defaultdict(list)
        for index in indexes:
            for cell, var in self.x[index].items():
                cells[cell].append(var)
        for variables in cells.values():
            if len(variables) > 1:
                self.model.add_at_most_one(variables)

    def _class_rules(self, class_id: str, indexes: list[int]) -> None:
        p, m = self.problem, self.model
        cls = p.classes[class_id]
        rules = p.rules[cls.school_id]
        fixed_day: dict[tuple[str, int], int] = defaultdict(int)
        for (c, day, _), slot in self.class_fixed.items():
            if c == class_id and slot.subject:
                fixed_day[(slot.subject, day)] += 1
        subjects = {p.activities[i].subject for i in indexes}
        for day in p.days:
            for code in subjects:
                here = [v for i in indexes if p.activities[i].subject == code
                        for (d, _), v in self.x[i].items() if d == day]
                limit = rules.subject_daily.get(code, 1) - fixed_day[(code, day)]
                if len(here) > limit:
                    m.add(sum(here) <= limit).only_enforce_if(self.switch("subject_daily", class_id, code))
            if rules.pe_lessons_per_day:
                pe = [v for i in indexes if p.activities[i].subject in rules.pe_subjects
                      for (d, _), v in self.x[i].items() if d == day]
                need = rules.pe_lessons_per_day - sum(n for (c, d), n in fixed_day.items()
                                                      if d == day and c in rules.pe_subjects)
                if need > 0:
                    m.add(sum(pe) >= need).only_enforce_if(self.switch("pe", class_id))
            limit = p.class_daily_max.get(class_id)
            if limit is not None:
                here = [v for i in indexes for (d, _), v in self.x[i].items() if d == day]
                m.add(sum(here) <= limit).only_enforce_if(self.switch("class_daily", class_id))

    def _teacher_rules(self, teacher_id: str, indexes: list[int]) -> None:
        p, m = self.problem, self.model
        daily_max = p.daily_max(teacher_id)
        for day in p.days:
            places: dict[tuple[str, int], list] = defaultdict(list)
            for index in indexes:
                school_id = p.activities[index].school_id
                for (d, slot), var in self.x[index].items():
                    if d == day:
                        places[(school_id, slot)].append(var)
            for variables in places.values():
                if len(variables) > 1:
                    m.add_at_most_one(variables)
            keys = sorted(places)
            if len({s for s, _ in keys}) > 1:
                switch = self.switch("travel", teacher_id)
                for a_index, first in enumerate(keys):
                    for second in keys[a_index + 1:]:
                        if first[0] != second[0] and p.conflict(first, second):
                            m.add(sum(places[first]) + sum(places[second]) <= 1).only_enforce_if(switch)
            fixed = len(self.teacher_fixed.get((teacher_id, day), ()))
            total = [v for variables in places.values() for v in variables]
            if len(total) + fixed > daily_max:
                m.add(sum(total) <= daily_max - fixed).only_enforce_if(self.switch("teacher_daily", teacher_id))

    # --- occupancy, gaps and the soft rules -------------------------------------------------

    def _occupancy(self, terms: list, constant: int) -> object:
        """Return a 0/1 value for a position: a constant, a variable, or a new variable equal to a sum."""
        if constant:
            return 1
        if not terms:
            return 0
        if len(terms) == 1:
            return terms[0]
        var = self.model.new_bool_var("")
        self.model.add(sum(terms) == var)
        return var

    def _class_day(self, class_id: str, day: int) -> list[Any]:
        """Return a class's day as 0/1 values, one per lesson cell in order (made once)."""
        key = (class_id, day)
        if key not in self._days:
            indexes = self.by_class[class_id]
            items = []
            for d, slot in self.problem.class_cells(class_id):
                if d == day:
                    terms = [self.x[i][(d, slot)] for i in indexes if (d, slot) in self.x[i]]
                    items.append(self._occupancy(terms, int((class_id, d, slot) in self.class_fixed)))
            self._days[key] = items
        return self._days[key]

    def _either(self, first: Any, second: Any) -> Any:
        """Return a 0/1 value that is 1 when either is: a constant when one is a constant."""
        if isinstance(first, int) and isinstance(second, int):
            return max(first, second)
        if isinstance(first, int):
            return 1 if first else second
        if isinstance(second, int):
            return 1 if second else first
        var = self.model.new_bool_var("")
        self.model.add_max_equality(var, [first, second])
        return var

    def _gaps(self, items: list, hard: bool, switch: list) -> list:
        """Constrain or count the empty positions between the first and last taken one of a day.
        Returns the 0/1 gap terms (empty when hard)."""
        m = self.model
        if sum(1 for i in items if not isinstance(i, int) or i) < 2:
            return []
        before: list[Any] = []
        running: Any = 0
        for item in items:
            before.append(running)
            running = self._either(running, item)
        after: list[Any] = [0] * len(items)
        running = 0
        for position in range(len(items) - 1, -1, -1):
            after[position] = running
            running = self._either(running, items[position])
        gaps = []
        for position in range(1, len(items) - 1):
            b, a, o = before[position], after[position], items[position]
            if any(isinstance(v, int) and v == k for v, k in ((o, 1), (b, 0), (a, 0))):
                continue
            if hard:
                m.add(b + a - o <= 1).only_enforce_if(switch)
            else:
                gap = m.new_bool_var("")
                m.add(gap >= b + a - o - 1)
                gaps.append(gap)
        return gaps

    def add_soft(self) -> None:
        """Add the soft rules' terms (`penalties`, see objective()) to the model, once."""
        if self._soft_added:
            return
        self._soft_added = True
        self.add_gaps()
        p, m = self.problem, self.model
        w = p.weights()
        for class_id, indexes in self.by_class.items():
            cls = p.classes[class_id]
            for day in p.days:
                items = self._class_day(class_id, day)
                if class_id not in p.gapless:
                    for gap in self._gaps(items, False, []):
                        self.penalties.append((w.get("pupil_gap", 0), gap))
                if items and not isinstance(items[0], int):
                    self.penalties.append((w.get("late_start", 0), 1 - items[0]))
            for code in {p.activities[i].subject for i in indexes}:
                if p.rules[cls.school_id].subject_daily.get(code, 1) < 2:
                    continue
                for day in p.days:
                    here = [v for i in indexes if p.activities[i].subject == code
                            for (d, _), v in self.x[i].items() if d == day]
                    if len(here) > 1:
                        twice = m.new_int_var(0, len(here), "")
                        m.add(twice >= sum(here) - 1)
                        self.penalties.append((w.get("subject_twice", 0), twice))
        for index, activity in enumerate(p.activities):
            if activity.subject in p.rules[activity.school_id].morning_subjects:
                for (_, slot), var in self.x[index].items():
                    if afternoon(p, activity.school_id, slot):
                        self.penalties.append((w.get("main_afternoon", 0), var))
        for teacher_id, indexes in self.by_teacher.items():
            self._teacher_soft(teacher_id, indexes, w)

    def _teacher_day(self, teacher_id: str, indexes: list[int], day: int) -> tuple[dict[tuple[str, int], list], set]:
        """Return a teacher's lesson variables of a day by (school, slot), and the day's fixed places."""
        p = self.problem
        fixed = set(self.teacher_fixed.get((teacher_id, day), ()))
        at: dict[tuple[str, int], list] = defaultdict(list)
        for index in indexes:
            school_id = p.activities[index].school_id
            for (d, slot), var in self.x[index].items():
                if d == day:
                    at[(school_id, slot)].append(var)
        return at, fixed

    def add_gaps(self) -> None:
        """Add the teachers' gap terms (`gap_terms`, also weighted in `penalties`) to the model, once."""
        if self._gaps_added:
            return
        self._gaps_added = True
        p = self.problem
        weight = p.weights().get("teacher_gap", 0)
        for teacher_id, indexes in self.by_teacher.items():
            positions = teacher_places(p, teacher_id, [pl for (t, _), pls in self.teacher_fixed.items()
                                                       if t == teacher_id for pl in pls])
            for day in p.days:
                at, fixed = self._teacher_day(teacher_id, indexes, day)
                items = [self._occupancy([v for place in position for v in at.get(place, ())],
                                         int(any(place in fixed for place in position))) for position in positions]
                for gap in self._gaps(items, False, []):
                    self.penalties.append((weight, gap))
                    self.gap_terms.append(gap)

    def _teacher_soft(self, teacher_id: str, indexes: list[int], w: dict[str, int]) -> None:
        p, m = self.problem, self.model
        sites = itinerant_sites(p, teacher_id)
        loads = []
        for day in p.days:
            at, fixed = self._teacher_day(teacher_id, indexes, day)
            loads.append(sum(v for variables in at.values() for v in variables) + len(fixed))
            if len(sites) > 1:
                for school_id in sites:
                    here = [v for (s, _), variables in at.items() if s == school_id for v in variables]
                    if any(s == school_id for s, _ in fixed):
                        self.penalties.append((w.get("itinerant_day", 0), 1))
                    elif here:
                        used = m.new_bool_var("")
                        m.add_max_equality(used, here)
                        self.penalties.append((w.get("itinerant_day", 0), used))
        if w.get("daily_spread"):
            total = sum(self.remaining[i] for i in indexes) + sum(len(v) for (t, _), v in self.teacher_fixed.items()
                                                                 if t == teacher_id)
            cap = -(-total // len(p.days)) + 1  # more than one above the even share is a heavy day
            for load in loads:
                over = m.new_int_var(0, 20, "")
                m.add(over >= load - cap)
                self.penalties.append((w["daily_spread"], over))

    def objective(self) -> Any:
        """Return the weighted sum of the soft rules."""
        return sum(weight * term for weight, term in self.penalties if weight)

    def lessons(self, value: Callable[[Any], Any]) -> list[Slot]:
        """Return the placed lessons (the fixed ones of the scope included) given a value reader."""
        p = self.problem
        out = [s for s in p.fixed if s.school_id in p.scope]
        for index, activity in enumerate(p.activities):
            for (day, slot), var in self.x[index].items():
                if value(var):
                    # Several classes taught together share a room name, which the checker reads as one lesson.
                    room = activity.room or (f"合班 {activity.id}" if len(activity.classes) > 1 else None)
                    for number, class_id in enumerate(activity.classes):
                        teacher = activity.teachers[min(number, len(activity.teachers) - 1)]
                        out.append(Slot(f"{activity.id}:{day}:{slot}:{number}", activity.school_id, class_id, day,
                                        slot, activity.subject, teacher, room))
        return out
