"""Teacher workload: weekly lessons from the timetable (or from teaching assignments where a school
has no timetable yet), weighted by the coefficients of the workload preset, against the standard
of the school type; balance across grades, subjects and schools; leaders who do not 带足节次.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from app.presets import Preset, effective_many
from app.services.schools import current_term
from app.timetable.model import ClassInfo, TimetableData, load_timetable

STATUS_NAMES = {"over": "超标准", "under": "低于标准", "ok": "正常"}


@dataclass
class TeacherLoad:
    """One teacher's week: lessons, the weighted figure, the standard and the verdict."""

    teacher_id: str
    staff_no: str
    name: str
    school_code: str
    school_name: str
    school_type: str
    periods: float
    weighted: float
    standard: float
    status: str
    source: str
    lesson_weight: float = 0.0
    homeroom: float = 0.0
    travel: float = 0.0
    duties: float = 0.0
    roles: list[str] = field(default_factory=list)
    subjects: dict[str, float] = field(default_factory=dict)
    grades: dict[int, float] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    trips: int = 0
    main_subject: str = ""
    main_grade: int | None = None
    leader_min: float | None = None
    leader_short: bool = False
    basis: str = ""

    def to_dict(self) -> dict:
        """Return the row as JSON-able data (status name included)."""
        return {**asdict(self), "status_name": STATUS_NAMES[self.status],
                "grades": {str(g): v for g, v in sorted(self.grades.items())}}


@dataclass
class WorkloadResult:
    """Every teacher's load plus the balance figures."""

    term: dict
    teachers: list[TeacherLoad]
    basis: dict[str, str]

    def balance(self) -> dict:
        """Return mean, sd, max, min of the weighted load by subject, by grade and by school; the
        teachers over and under the standard; and the leaders below their minimum lessons."""
        def stats(loads: list[TeacherLoad]) -> dict:
            values = [t.weighted for t in loads]
            return {"n": len(values), "mean": round(statistics.fmean(values), 2) if values else None,
                    "sd": round(statistics.pstdev(values), 2) if len(values) > 1 else 0.0,
                    "max": max(values) if values else None, "min": min(values) if values else None,
                    "over": sum(t.status == "over" for t in loads), "under": sum(t.status == "under" for t in loads)}

        def grouped(key) -> dict:
            groups: dict = defaultdict(list)
            for teacher in self.teachers:
                if key(teacher) not in (None, ""):
                    groups[key(teacher)].append(teacher)
            return {str(k): stats(v) for k, v in sorted(groups.items(), key=lambda kv: str(kv[0]))}

        teaching = [t for t in self.teachers if t.periods > 0]
        return {
            "term": self.term["code"], "basis": self.basis, "all": stats(teaching),
            "by_subject": grouped(lambda t: t.main_subject if t.periods else None),
            "by_grade": grouped(lambda t: t.main_grade if t.periods else None),
            "by_school": grouped(lambda t: t.school_code),
            "over": [_brief(t) for t in self.teachers if t.status == "over"],
            "under": [_brief(t) for t in self.teachers if t.status == "under"],
            "leaders_short": [_brief(t) | {"leader_min": t.leader_min, "roles": t.roles}
                              for t in self.teachers if t.leader_short],
        }


def _brief(teacher: TeacherLoad) -> dict:
    return {"staff_no": teacher.staff_no, "name": teacher.name, "school_code": teacher.school_code,
            "periods": teacher.periods, "weighted": teacher.weighted, "standard": teacher.standard}


def lesson_factor(content: dict, subject: str | None, cls: ClassInfo | None) -> float:
    """Return the weight of one lesson: subject coefficient × class-size factor × 复式 factor."""
    factor = content["subject_coefficients"].get(subject or "", content["default_subject_coefficient"])
    if cls is not None:
        size_add = 0.0
        for step in content["class_size_steps"]:
            if cls.pupils > step["above"]:
                size_add = max(size_add, step["add"])
        factor *= 1 + size_add
        factor *= 1 + content["multigrade_add_per_extra_grade"] * max(len(cls.grades) - 1, 0)
    return factor


class _Week:
    """Accumulates one teacher's lessons."""

    def __init__(self) -> None:
        self.periods = 0.0
        self.weight = 0.0
        self.subjects: dict[str, float] = defaultdict(float)
        self.grades: dict[int, float] = defaultdict(float)
        self.classes: dict[str, None] = {}
        self.trips: set = set()
        self.sources: set[str] = set()

    def add(self, amount: float, factor: float, subject: str | None, cls: ClassInfo | None) -> None:
        self.periods += amount
        self.weight += amount * factor
        if subject:
            self.subjects[subject] += amount
        if cls is not None:
            self.classes[cls.name] = None
            if cls.grades:
                self.grades[min(cls.grades)] += amount


def teacher_workloads(db: Database, *, school_id: str | None = None, term: dict | None = None,
                      data: TimetableData | None = None) -> WorkloadResult:
    """Return the workload of every active teacher (of `school_id`, or of every school) for `term`
    (default current). Lessons come from the timetable of each school that has one this term,
    else from its teaching assignments. Raises NotFound when no current term is set."""
    term = term or current_term(db)
    data = data or load_timetable(db, term, school_id)
    presets = effective_many(db, "workload", list(data.schools))

    weeks: dict[str, _Week] = defaultdict(_Week)
    with_timetable = {s.school_id for s in data.slots}
    not_lessons = {sid: {n for n, p in school.periods.items() if p.kind != "lesson"}
                   for sid, school in data.schools.items()}
    factors: dict[tuple, float] = {}
    seen: set[tuple] = set()
    for slot in data.slots:
        teacher = data.teachers.get(slot.teacher_id) if slot.teacher_id else None
        if teacher is None or not slot.subject or slot.slot in not_lessons[slot.school_id]:
            continue
        key = (slot.teacher_id, slot.school_id, slot.day, slot.slot)
        if key in seen:  # a combined lesson (合班) counts once
            continue
        seen.add(key)
        cls = data.classes.get(slot.class_id)
        factor_key = (teacher.school_id, slot.subject, slot.class_id)
        if factor_key not in factors:
            factors[factor_key] = lesson_factor(presets[teacher.school_id].content, slot.subject, cls)
        week = weeks[slot.teacher_id]
        week.add(1, factors[factor_key], slot.subject, cls)
        week.sources.add("timetable")
        if slot.school_id != teacher.school_id:
            week.trips.add((slot.day, slot.school_id))
    code_of = {sid: code for code, sid in data.subject_ids.items()}
    args: list = [term["id"]]
    where = ""
    if school_id is not None:
        where = " AND (ta.school_id = ? OR t.school_id = ?)"
        args += [school_id, school_id]
    for row in db.execute("SELECT ta.teacher_id, ta.school_id, ta.class_id, ta.subject_id, ta.weekly_periods"
                          " FROM teaching_assignment ta JOIN teacher t ON t.id = ta.teacher_id"
                          f" WHERE ta.term_id = ?{where}", args):
        teacher_id, lesson_school, class_id, subject_id, periods = row
        if lesson_school in with_timetable or teacher_id not in data.teachers:
            continue
        teacher = data.teachers[teacher_id]
        code = code_of.get(subject_id)
        cls = data.classes.get(class_id)
        week = weeks[teacher_id]
        week.add(periods, lesson_factor(presets[teacher.school_id].content, code, cls), code, cls)
        week.sources.add("assignments")
        if lesson_school != teacher.school_id:
            week.trips.add((None, lesson_school))
    heads: dict[str, int] = defaultdict(int)
    for cls in data.classes.values():
        if cls.head_teacher_id:
            heads[cls.head_teacher_id] += 1
    loads = []
    for teacher in data.teachers.values():
        if not teacher.active or (school_id is not None and teacher.school_id != school_id):
            continue
        loads.append(_load(teacher, data, weeks.get(teacher.id) or _Week(), heads.get(teacher.id, 0),
                           presets[teacher.school_id]))
    loads.sort(key=lambda t: (t.school_code, t.staff_no))
    basis = {data.schools[sid].code: p.basis() for sid, p in presets.items() if sid in data.schools}
    return WorkloadResult(term=dict(term), teachers=loads, basis=basis)


def _load(teacher, data: TimetableData, week: _Week, heads: int, preset: Preset) -> TeacherLoad:
    content = preset.content
    school = data.schools[teacher.school_id]
    homeroom = content["homeroom_allowance"] * heads
    travel = content["itinerant_trip_allowance"] * len(week.trips)
    duties = sum(content["role_allowance"].get(role, 0) for role in teacher.roles)
    weighted = round(week.weight + homeroom + travel + duties, 2)
    standard = float(content["standard"].get(school.type, 0))
    tolerance = content["tolerance"]
    status = "ok"
    if standard and weighted > standard * (1 + tolerance):
        status = "over"
    elif standard and weighted < standard * (1 - tolerance):
        status = "under"
    minimums = [content["leader_min_periods"][r] for r in teacher.roles if r in content["leader_min_periods"]]
    leader_min = float(min(minimums)) if minimums else None
    subjects = {data.subject_name(code): round(n, 2) for code, n in
                sorted(week.subjects.items(), key=lambda kv: -kv[1])}
    return TeacherLoad(
        teacher_id=teacher.id, staff_no=teacher.staff_no, name=teacher.name, school_code=school.code,
        school_name=school.name, school_type=school.type, periods=round(week.periods, 2), weighted=weighted,
        standard=standard, status=status, source="+".join(sorted(week.sources)) or "none",
        lesson_weight=round(week.weight, 2), homeroom=homeroom, travel=travel, duties=duties,
        roles=sorted(teacher.roles), subjects=subjects, grades=dict(week.grades), classes=list(week.classes),
        trips=len(week.trips), main_subject=next(iter(subjects), ""),
        main_grade=max(week.grades, key=lambda g: (week.grades[g], -g)) if week.grades else None,
        leader_min=leader_min, leader_short=leader_min is not None and week.periods < leader_min,
        basis=preset.basis())
