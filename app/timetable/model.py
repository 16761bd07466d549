"""The timetable of one term read into memory: schools with their daily slot plans, classes,
teachers and every placed lesson. The checker, the workload figures, the grids and the printed
timetables all start from here, so a township database with ~200 schools is read in a few queries.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlite_utils import Database

from app.errors import NotFound
from app.services.schools import current_term

DAY_NAMES = {1: "星期一", 2: "星期二", 3: "星期三", 4: "星期四", 5: "星期五", 6: "星期六", 7: "星期日"}
KIND_NAMES = {"lesson": "上课", "早读": "早读", "大课间": "大课间", "午休": "午休", "自习": "自习", "课外活动": "课外活动"}
PERIOD_KINDS = tuple(KIND_NAMES)


def parse_clock(text: object) -> int | None:
    """Return minutes since midnight for '8:20', '08:20' or '8:20:00'; None when empty or unreadable."""
    match = re.fullmatch(r"\s*(\d{1,2})[:：](\d{2})(?::\d{2})?\s*", str(text or ""))
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None


def clock(minutes: int | None) -> str:
    """Return minutes since midnight as 'HH:MM' ('' for None)."""
    return "" if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(slots=True)
class Period:
    """One slot of a school's day: number, label, kind, start (minutes since midnight) and length."""

    slot: int
    label: str
    kind: str
    start: int | None
    minutes: int

    @property
    def end(self) -> int | None:
        """Return the end time in minutes since midnight, or None when the start is unknown."""
        return None if self.start is None else self.start + self.minutes


@dataclass(slots=True)
class SchoolInfo:
    """A school and its daily slot plan for the term (empty when none is set)."""

    id: str
    code: str
    name: str
    type: str
    daily_max: int
    periods: dict[int, Period] = field(default_factory=dict)

    def kind_of(self, slot: int) -> str:
        """Return the kind of `slot`; a slot the plan does not list counts as a lesson."""
        period = self.periods.get(slot)
        return period.kind if period else "lesson"

    def label(self, slot: int) -> str:
        """Return the slot's label (第3节), or '第N个时段' when the plan does not list it."""
        period = self.periods.get(slot)
        return period.label if period else f"第{slot}个时段"

    def lesson_slots(self) -> list[int]:
        """Return the slot numbers of kind lesson, in order."""
        return sorted(s for s, p in self.periods.items() if p.kind == "lesson")


@dataclass(slots=True)
class ClassInfo:
    """A class of the term's academic year: its grades (two or three for 复式) and pupils on roll."""

    id: str
    school_id: str
    name: str
    number: int
    grades: tuple[int, ...]
    pupils: int
    head_teacher_id: str | None


@dataclass(slots=True)
class TeacherInfo:
    """A teacher with subject codes, roles and the other schools served (走教)."""

    id: str
    school_id: str
    staff_no: str
    name: str
    active: bool
    subjects: frozenset[str]
    roles: frozenset[str]
    sites: frozenset[str]


class Slot(NamedTuple):
    """One cell of a class timetable: day, slot, subject code, teacher id, room."""

    id: str
    school_id: str
    class_id: str
    day: int
    slot: int
    subject: str | None
    teacher_id: str | None
    room: str | None


@dataclass
class TimetableData:
    """Everything one term's timetable checks need, read at once."""

    term: dict
    schools: dict[str, SchoolInfo]
    classes: dict[str, ClassInfo]
    teachers: dict[str, TeacherInfo]
    slots: list[Slot]
    subject_names: dict[str, str]
    subject_ids: dict[str, str]
    travel: dict[frozenset, int]
    focus: set[str] | None = None

    def subject_name(self, code: str | None) -> str:
        """Return the subject's name for a code ('' for None)."""
        return self.subject_names.get(code, code) if code else ""

    def in_focus(self, school_id: str) -> bool:
        """Return True when findings about `school_id` are wanted."""
        return self.focus is None or school_id in self.focus


def term_by_code(db: Database, code: str | None) -> dict:
    """Return the term with `code`, or the database's current term when None. Raises NotFound."""
    if not code:
        return current_term(db)
    rows = list(db.query("SELECT * FROM term WHERE code = ?", [code]))
    if not rows:
        raise NotFound(f"数据库中没有学期“{code}”(学期代码形如 2026-2027-1)。")
    return rows[0]


def load_timetable(db: Database, term: dict | None = None, school_id: str | None = None,
                   extra_teachers: set[str] | None = None) -> TimetableData:
    """Read the timetable of `term` (default: the current term).

    With `school_id`, reads that school's lessons plus every lesson elsewhere of the teachers who
    teach there, belong to it or come to it (走教), and of `extra_teachers`, so clashes and travel
    between sites can still be seen; `focus` is then that school. Returns TimetableData. Raises
    NotFound when no current term is set.
    """
    term = term or current_term(db)
    subjects = {r["id"]: (r["code"], r["name"]) for r in db.query("SELECT id, code, name FROM subject")}
    columns = ("SELECT t.id, t.school_id, t.class_id, t.day, t.slot, s.code, t.teacher_id, t.room"
               " FROM timetable_slot t LEFT JOIN subject s ON s.id = t.subject_id")
    if school_id is None:
        cursor = db.execute(f"{columns} WHERE t.term_id = ?", [term["id"]])
    else:
        cursor = db.execute(
            f"{columns} WHERE t.term_id = ?1 AND (t.school_id = ?2 OR t.teacher_id IN"
            " (SELECT teacher_id FROM timetable_slot WHERE term_id = ?1 AND school_id = ?2 AND teacher_id IS NOT NULL)"
            " OR t.teacher_id IN (SELECT id FROM teacher WHERE school_id = ?2)"
            " OR t.teacher_id IN (SELECT teacher_id FROM teacher_site WHERE school_id = ?2)"
            " OR t.teacher_id IN (SELECT value FROM json_each(?3)))",
            [term["id"], school_id, json.dumps(sorted(extra_teachers or ()))])
    slots = list(map(Slot._make, cursor))
    teachers = _teachers(db, school_id, {s.teacher_id for s in slots if s.teacher_id} | set(extra_teachers or ()))
    wanted_schools = {s.school_id for s in slots} | {t.school_id for t in teachers.values()}
    if school_id:
        wanted_schools.add(school_id)
    schools = _schools(db, term["id"], None if school_id is None else wanted_schools)
    classes = _classes(db, term["academic_year_id"], None if school_id is None else wanted_schools)
    travel = {frozenset((r[0], r[1])): r[2] for r in db.execute("SELECT school_a, school_b, minutes FROM site_travel")}
    return TimetableData(term=dict(term), schools=schools, classes=classes, teachers=teachers, slots=slots,
                         subject_names={code: name for code, name in subjects.values()},
                         subject_ids={code: sid for sid, (code, _) in subjects.items()},
                         travel=travel, focus=None if school_id is None else {school_id})


def _schools(db: Database, term_id: str, only: set[str] | None) -> dict[str, SchoolInfo]:
    schools = {}
    for row in db.query("SELECT id, code, name, type, daily_max_periods FROM school"):
        if only is None or row["id"] in only:
            schools[row["id"]] = SchoolInfo(row["id"], row["code"], row["name"], row["type"], row["daily_max_periods"])
    for row in db.execute("SELECT school_id, slot, label, kind, start_time, minutes FROM timetable_period"
                          " WHERE term_id = ?", [term_id]):
        school = schools.get(row[0])
        if school is not None:
            school.periods[row[1]] = Period(row[1], row[2], row[3], parse_clock(row[4]), row[5])
    return schools


def _classes(db: Database, year_id: str, only: set[str] | None) -> dict[str, ClassInfo]:
    grades: dict[str, list[int]] = {}
    for class_id, grade in db.execute("SELECT cg.class_id, cg.grade FROM class_grade cg JOIN class c"
                                      " ON c.id = cg.class_id WHERE c.academic_year_id = ? ORDER BY cg.grade",
                                      [year_id]):
        grades.setdefault(class_id, []).append(grade)
    pupils = dict(db.execute("SELECT class_id, COUNT(*) FROM pupil WHERE class_id IS NOT NULL"
                             " AND status IN ('在读', '转入') GROUP BY class_id").fetchall())
    classes = {}
    for row in db.execute("SELECT id, school_id, name, number, head_teacher_id FROM class WHERE academic_year_id = ?",
                          [year_id]):
        if only is None or row[1] in only:
            classes[row[0]] = ClassInfo(row[0], row[1], row[2], row[3], tuple(grades.get(row[0], ())),
                                        pupils.get(row[0], 0), row[4])
    return classes


def _teachers(db: Database, school_id: str | None, extra: set[str]) -> dict[str, TeacherInfo]:
    subjects: dict[str, set[str]] = {}
    for teacher_id, code in db.execute("SELECT ts.teacher_id, s.code FROM teacher_subject ts"
                                       " JOIN subject s ON s.id = ts.subject_id"):
        subjects.setdefault(teacher_id, set()).add(code)
    roles: dict[str, set[str]] = {}
    for teacher_id, role in db.execute("SELECT teacher_id, role FROM teacher_role"):
        roles.setdefault(teacher_id, set()).add(role)
    sites: dict[str, set[str]] = {}
    for teacher_id, site in db.execute("SELECT teacher_id, school_id FROM teacher_site"):
        sites.setdefault(teacher_id, set()).add(site)
    teachers = {}
    for row in db.execute("SELECT id, school_id, staff_no, name, active FROM teacher"):
        if school_id is None or row[1] == school_id or row[0] in extra or school_id in sites.get(row[0], ()):
            teachers[row[0]] = TeacherInfo(row[0], row[1], row[2], row[3], bool(row[4]),
                                           frozenset(subjects.get(row[0], ())), frozenset(roles.get(row[0], ())),
                                           frozenset(sites.get(row[0], ())))
    return teachers
