"""What a timetable generation has to place, read from the database (or built by hand for tests
and benchmarks): activities (a class, or classes together, a subject, a teacher, periods a week),
each school's lesson cells, the lessons that stay (locked by the user, or at schools outside the
run), fixed school events, teacher unavailability, travel minutes between sites and the rules.

The solver (app.timetable.solver.cpsat and .search) only sees a Problem; the checker sees the result as a
TimetableData, so what is generated is judged by the same 13 rules as a hand-made timetable.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from sqlite_utils import Database

from app.errors import NotFound
from app.presets import Preset, shipped
from app.timetable.check import rules_lookup
from app.timetable.model import ClassInfo, SchoolInfo, Slot, TeacherInfo, TimetableData, load_timetable
from app.timetable.plans import Plan, school_plans


@dataclass(frozen=True)
class Activity:
    """Lessons to place: `count` periods a week of `subject` for `classes` (one, or several taught
    together) by `teachers` at `school_id`; `room` when the lessons need a shared room."""

    id: str
    school_id: str
    classes: tuple[str, ...]
    teachers: tuple[str, ...]
    subject: str
    count: int
    room: str | None = None


@dataclass
class Rules:
    """The generation rules of one school (from the timetable rules preset)."""

    teacher_daily_max: int
    subject_daily: dict[str, int]
    pe_subjects: frozenset[str]
    pe_lessons_per_day: int
    weights: dict[str, int]
    morning_subjects: frozenset[str]


@dataclass
class Problem:
    """One generation run: the scope's schools, classes and activities and everything that
    constrains them. `fixed` lessons stay as they are; `blocked` cells of a school take no lesson;
    `required` (school, day, slot, subject) cells take that subject in every class. A class in
    `early_start` begins every day that has lessons at its first lesson cell; `class_daily_min` gives
    a class at least that many lessons every day."""

    term: dict
    days: list[int]
    schools: dict[str, SchoolInfo]
    scope: set[str]
    classes: dict[str, ClassInfo]
    teachers: dict[str, TeacherInfo]
    activities: list[Activity]
    fixed: list[Slot]
    rules: dict[str, Rules]
    travel: dict[frozenset, int]
    default_travel: int
    subject_names: dict[str, str]
    gapless: set[str] = field(default_factory=set)
    blocked: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    required: list[tuple[str, int, int, str]] = field(default_factory=list)
    unavailable: dict[str, set[tuple[int, int | None]]] = field(default_factory=dict)
    class_daily_max: dict[str, int] = field(default_factory=dict)
    class_daily_min: dict[str, int] = field(default_factory=dict)
    early_start: set[str] = field(default_factory=set)
    class_blocked: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    teacher_max: dict[str, int] = field(default_factory=dict)

    def remaining(self) -> list[int]:
        """Return, per activity, the lessons left to place once the locked lessons of the scope
        that match it (same class, subject and teacher) are counted."""
        left = [a.count for a in self.activities]
        for slot in self.fixed:
            if slot.school_id not in self.scope:
                continue
            for index, activity in enumerate(self.activities):
                if (left[index] > 0 and slot.class_id in activity.classes and slot.subject == activity.subject
                        and slot.teacher_id in activity.teachers):
                    left[index] -= 1
                    break
        return left

    def travel_minutes(self, school_a: str, school_b: str) -> int:
        """Return the travel time between two sites (the preset's default when not set)."""
        return self.travel.get(frozenset((school_a, school_b)), self.default_travel)

    def weights(self) -> dict[str, int]:
        """Return the soft-constraint weights of the run (those of its first school)."""
        return self.rules[min(self.scope)].weights

    def subject_name(self, code: str) -> str:
        """Return the subject's name for a code."""
        return self.subject_names.get(code, code)

    def cells(self, school_id: str) -> list[tuple[int, int]]:
        """Return the (day, slot) cells of a school that can take a lesson, in order."""
        school = self.schools[school_id]
        blocked = self.blocked.get(school_id, set())
        return [(day, slot) for day in self.days for slot in school.lesson_slots() if (day, slot) not in blocked]

    def class_cells(self, class_id: str) -> list[tuple[int, int]]:
        """Return the cells of a class's school that the class can have a lesson in."""
        closed = self.class_blocked.get(class_id, set())
        return [cell for cell in self.cells(self.classes[class_id].school_id) if cell not in closed]

    def daily_max(self, teacher_id: str) -> int:
        """Return the most lessons a teacher may give a day (the rule of the teacher's own school)."""
        if teacher_id in self.teacher_max:
            return self.teacher_max[teacher_id]
        teacher = self.teachers.get(teacher_id)
        home = teacher.school_id if teacher and teacher.school_id in self.rules else min(self.scope)
        return self.rules[home].teacher_daily_max

    def times(self, school_id: str, slot: int) -> tuple[int, int] | None:
        """Return (start, end) minutes of a school's slot, or None when its time is not set."""
        period = self.schools[school_id].periods.get(slot)
        if period is None or period.start is None:
            return None
        return period.start, period.start + period.minutes

    def conflict(self, first: tuple[str, int], second: tuple[str, int]) -> bool:
        """Return True when one teacher cannot teach both (school, slot) on the same day: the
        same slot, overlapping times, or too little time to travel between two sites."""
        if first[0] == second[0]:
            return first[1] == second[1]
        a, b = self.times(*first), self.times(*second)
        if a is None or b is None:
            return first[1] == second[1]
        if a[0] < b[1] and b[0] < a[1]:
            return True
        gap = b[0] - a[1] if a[0] <= b[0] else a[0] - b[1]
        return gap < self.travel_minutes(first[0], second[0])


def _rules(preset: Preset, school: SchoolInfo) -> Rules:
    content = preset.content
    solver = {**shipped("timetable")["solver"], **content.get("solver", {})}
    activity = sum(p.minutes for p in school.periods.values() if p.kind in content["pe_activity_kinds"])
    lesson = content["lesson_minutes"]
    missing = max(0, content["pe_daily_minutes"] - activity)
    return Rules(teacher_daily_max=int(solver.get("teacher_daily_max") or school.daily_max),
                 subject_daily={code: int(n) for code, n in solver["subject_daily"].items()},
                 pe_subjects=frozenset(content["pe_subjects"]),
                 pe_lessons_per_day=math.ceil(missing / lesson) if missing else 0,
                 weights={k: int(v) for k, v in solver["weights"].items()},
                 morning_subjects=frozenset(solver["morning_subjects"]))


def scope_schools(db: Database, school_code: str | None, township_code: str | None) -> list[dict]:
    """Return the schools a run covers: one school by code, a township's (code, or '' for the
    only township of the database), or, with neither, every school of a database holding one
    township or one school. Raises NotFound."""
    schools = [dict(r) for r in db.query("SELECT id, code, name, type, township_id FROM school ORDER BY code")]
    if school_code:
        found = [s for s in schools if s["code"] == school_code.strip().upper()]
        if not found:
            raise NotFound(f"数据库中没有代码为“{school_code}”的学校。")
        return found
    townships = [dict(r) for r in db.query("SELECT id, code, name FROM township ORDER BY code")]
    if township_code:
        wanted = [t for t in townships if t["code"] == township_code.strip().upper()]
        if not wanted:
            raise NotFound(f"数据库中没有代码为“{township_code}”的乡镇(有:{'、'.join(t['code'] for t in townships)})。")
        return [s for s in schools if s["township_id"] == wanted[0]["id"]]
    used = {s["township_id"] for s in schools}
    if len(used) > 1:
        raise NotFound("这个数据库有多个乡镇,请用 --township 乡镇代码 或 --school 学校代码 指明排哪里的课表。")
    if not schools:
        raise NotFound("数据库中还没有学校。")
    return schools


def load_problem(db: Database, school_ids: list[str], term: dict) -> tuple[Problem, TimetableData, dict[str, Plan]]:
    """Read a generation run for `school_ids` in `term`: the activities from the teaching
    assignments, the lessons that stay (locked ones, and the scope's teachers' lessons at other
    schools), events, unavailability, rules. Returns (problem, the timetable as stored, plans)."""
    scope = set(school_ids)
    assigned = {r["teacher_id"] for r in db.query(
        "SELECT DISTINCT teacher_id FROM teaching_assignment WHERE term_id = ? AND school_id IN"
        " (SELECT value FROM json_each(?))", [term["id"], _json(school_ids)])}
    data = load_timetable(db, term, school_ids[0] if len(school_ids) == 1 else None, extra_teachers=assigned)
    plans = school_plans(db, list(data.schools))
    lookup = rules_lookup(db, list(data.schools))
    codes = {sid: code for code, sid in data.subject_ids.items()}
    locked = {r[0] for r in db.execute("SELECT id FROM timetable_slot WHERE term_id = ? AND locked = 1",
                                       [term["id"]])}
    classes = {cid: c for cid, c in data.classes.items() if c.school_id in scope}
    rooms = _rooms(data, scope)
    activities = []
    for row in db.query("SELECT id, school_id, class_id, teacher_id, subject_id, weekly_periods FROM"
                        " teaching_assignment WHERE term_id = ? AND school_id IN (SELECT value FROM json_each(?))"
                        " ORDER BY school_id, class_id, subject_id", [term["id"], _json(school_ids)]):
        if row["class_id"] not in classes or row["weekly_periods"] <= 0:
            continue
        code = codes[row["subject_id"]]
        activities.append(Activity(row["id"], row["school_id"], (row["class_id"],), (row["teacher_id"],), code,
                                   int(round(row["weekly_periods"])), rooms.get((row["class_id"], code))))
    teachers_in = {t for a in activities for t in a.teachers}
    fixed = [s for s in data.slots if (s.id in locked and s.school_id in scope)
             or (s.school_id not in scope and s.teacher_id in teachers_in)]
    blocked: dict[str, set[tuple[int, int]]] = defaultdict(set)
    required = []
    for row in db.query("SELECT f.school_id, f.day, f.slot, s.code FROM timetable_fixed f LEFT JOIN subject s"
                        " ON s.id = f.subject_id WHERE f.term_id = ?", [term["id"]]):
        if row["school_id"] in scope:
            if row["code"]:
                required.append((row["school_id"], row["day"], row["slot"], row["code"]))
            else:
                blocked[row["school_id"]].add((row["day"], row["slot"]))
    unavailable: dict[str, set[tuple[int, int | None]]] = defaultdict(set)
    for row in db.query("SELECT teacher_id, day, slot FROM teacher_unavailable WHERE term_id = ?", [term["id"]]):
        unavailable[row["teacher_id"]].add((row["day"], row["slot"]))
    base = lookup(school_ids[0])
    rules = {sid: _rules(lookup(sid), data.schools[sid]) for sid in data.schools}
    gapless = {cid for cid, c in classes.items() if c.grades and max(c.grades) <= 6}
    problem = Problem(term=data.term, days=list(base.content["school_days"]), schools=data.schools, scope=scope,
                      classes=classes, teachers=data.teachers, activities=activities, fixed=fixed, rules=rules,
                      travel=data.travel, default_travel=int(base.content["travel_minutes"]),
                      subject_names=data.subject_names, gapless=gapless, blocked=dict(blocked), required=required,
                      unavailable=dict(unavailable))
    return problem, data, plans


def _json(values: list[str]) -> str:
    return json.dumps(values)


def _rooms(data: TimetableData, scope: set[str]) -> dict[tuple[str, str], str]:
    """Return (class, subject) → room for lessons whose stored room is shared by several classes
    (a music room, a lab): a generated timetable keeps them there and keeps the room free of clashes."""
    seen: dict[tuple[str, str], set[str | None]] = defaultdict(set)
    for slot in data.slots:
        if slot.school_id in scope and slot.subject:
            seen[(slot.class_id, slot.subject)].add(slot.room)
    single = {key: next(iter(rooms)) for key, rooms in seen.items() if len(rooms) == 1 and None not in rooms}
    users: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (class_id, _), room in single.items():
        users[(data.classes[class_id].school_id if class_id in data.classes else "", room)].add(class_id)
    return {key: room for key, room in single.items()
            if key[0] in data.classes and len(users[(data.classes[key[0]].school_id, room)]) > 1}


def township_schools(db: Database, school_id: str) -> list[str]:
    """Return the ids of the schools in the same township as `school_id` (itself included), by code."""
    return [r[0] for r in db.execute(
        "SELECT id FROM school WHERE township_id = (SELECT township_id FROM school WHERE id = ?) ORDER BY code",
        [school_id])] or [school_id]
