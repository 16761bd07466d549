"""The compliance checker: a timetable against its curriculum plan and the rules of the seeds.

Rules (ids are stable; severities come from the timetable rules preset):
subject_missing, subject_under_plan, subject_over_plan, tested_subject_over_plan,
untested_subject_under_plan, pe_daily_hour, labour_weekly, teacher_clash, travel_gap,
teacher_daily_max, selfstudy_teaching, class_without_teacher, teacher_not_qualified.

A plan line is compared with the lessons (slots of kind lesson) of a class. Each deviation is
reported once: no periods at all is subject_missing; fewer than planned is
untested_subject_under_plan for an untested line and subject_under_plan for a 统考 one; more than
planned is tested_subject_over_plan for a 统考 line and subject_over_plan otherwise. A 复式 class
is held to the range spanned by the plans of its grades (it shares one grid).

At a township database the teacher rules look across every school: a 走教 teacher's lessons at
two sites that overlap in time clash, and two lessons at different sites on one day need the
travel time between them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

from sqlite_utils import Database

from app.presets import Preset, content_hash, effective, effective_many
from app.timetable.model import DAY_NAMES, ClassInfo, SchoolInfo, Slot, TimetableData, clock, load_timetable
from app.timetable.plans import Plan, format_band, school_plans

RULES = {
    "subject_missing": "科目未开设",
    "subject_under_plan": "课时少于计划",
    "subject_over_plan": "课时多于计划",
    "tested_subject_over_plan": "统考学科超课时",
    "untested_subject_under_plan": "非统考学科减课时",
    "pe_daily_hour": "每天体育活动不足一小时",
    "labour_weekly": "劳动课不足",
    "teacher_clash": "教师时间冲突",
    "travel_gap": "走教路程时间不足",
    "teacher_daily_max": "教师单日节数超限",
    "selfstudy_teaching": "自习时间授课",
    "class_without_teacher": "课程无任课教师",
    "teacher_not_qualified": "非任教学科授课",
}
SEVERITY_NAMES = {"error": "错误", "warning": "提醒"}


@dataclass
class Finding:
    """One thing the checker found, where it is (school, class, teacher, day, slot) and why."""

    rule: str
    severity: str
    school_code: str
    class_name: str | None
    teacher: str | None
    day: int | None
    period: int | None
    message: str
    school_id: str = ""
    school_name: str = ""
    class_id: str | None = None
    teacher_id: str | None = None
    teacher_staff_no: str | None = None
    subject: str | None = None
    period_label: str | None = None
    related: list[dict] = field(default_factory=list)
    basis: str = ""

    def to_dict(self) -> dict:
        """Return the finding as JSON-able data (rule name and day name included)."""
        return {**asdict(self), "rule_name": RULES[self.rule], "day_name": DAY_NAMES.get(self.day or 0)}

    def touches(self, school_id: str) -> bool:
        """Return True when the finding is at `school_id` or names a lesson there."""
        return self.school_id == school_id or any(r.get("school_id") == school_id for r in self.related)


@dataclass
class CheckResult:
    """The findings of one run, with a per-school summary and the presets used."""

    term: dict
    findings: list[Finding]
    schools: list[dict]
    rules_basis: str
    plan_basis: dict[str, str]

    def errors(self) -> list[Finding]:
        """Return the findings of severity error."""
        return [f for f in self.findings if f.severity == "error"]

    def to_dict(self) -> dict:
        """Return the whole result as JSON-able data."""
        return {"term": self.term["code"], "rules_basis": self.rules_basis, "plan_basis": self.plan_basis,
                "schools": self.schools, "findings": [f.to_dict() for f in self.findings]}


class _Checker:
    def __init__(self, data: TimetableData, plans: dict[str, Plan], rules: Callable[[str], Preset]):
        self.data = data
        self.plans = plans
        self.rules = rules
        self.findings: list[Finding] = []

    # --- helpers ------------------------------------------------------------------------------

    def add(self, rule: str, school: SchoolInfo, message: str, *, cls: ClassInfo | None = None,
            teacher_id: str | None = None, day: int | None = None, slot: int | None = None,
            related: list[dict] | None = None, basis: str | None = None, subject: str | None = None) -> None:
        preset = self.rules(school.id)
        teacher = self.data.teachers.get(teacher_id) if teacher_id else None
        self.findings.append(Finding(
            rule=rule, severity=preset.content["severity"].get(rule, "error"), school_code=school.code,
            class_name=cls.name if cls else None, teacher=teacher.name if teacher else None, day=day, period=slot,
            message=message, school_id=school.id, school_name=school.name, class_id=cls.id if cls else None,
            teacher_id=teacher_id, teacher_staff_no=teacher.staff_no if teacher else None, subject=subject,
            period_label=school.label(slot) if slot is not None else None, related=related or [],
            basis=basis or preset.basis()))

    def where(self, slot: Slot) -> dict:
        school = self.data.schools[slot.school_id]
        cls = self.data.classes.get(slot.class_id)
        return {"school_id": school.id, "school_code": school.code, "school_name": school.name,
                "class_id": slot.class_id, "class_name": cls.name if cls else "", "day": slot.day,
                "period": slot.slot, "period_label": school.label(slot.slot)}

    def is_lesson(self, slot: Slot) -> bool:
        return self.data.schools[slot.school_id].kind_of(slot.slot) == "lesson"

    # --- per class ----------------------------------------------------------------------------

    def check_classes(self) -> None:
        by_class: dict[str, list[Slot]] = defaultdict(list)
        for slot in self.data.slots:
            by_class[slot.class_id].append(slot)
        for class_id, slots in by_class.items():
            cls = self.data.classes.get(class_id)
            if cls is None or not self.data.in_focus(cls.school_id):
                continue
            school = self.data.schools[cls.school_id]
            lessons = [s for s in slots if school.kind_of(s.slot) == "lesson" and s.subject]
            self.check_plan(school, cls, lessons)
            self.check_pe(school, cls, lessons)
            self.check_labour(school, cls, lessons)
            for slot in sorted(slots, key=lambda s: (s.day, s.slot)):
                kind = school.kind_of(slot.slot)
                if kind == "自习" and slot.subject:
                    self.add("selfstudy_teaching", school,
                             f"{cls.name} {DAY_NAMES[slot.day]}{school.label(slot.slot)}是自习时间,却排了"
                             f"“{self.data.subject_name(slot.subject)}”课。自习时间教师不得授课,请改为自习或调到上课时段。",
                             cls=cls, teacher_id=slot.teacher_id, day=slot.day, slot=slot.slot,
                             subject=self.data.subject_name(slot.subject))
                if kind == "lesson" and slot.subject and not slot.teacher_id:
                    self.add("class_without_teacher", school,
                             f"{cls.name} {DAY_NAMES[slot.day]}{school.label(slot.slot)}的"
                             f"“{self.data.subject_name(slot.subject)}”没有任课教师,请指定教师。",
                             cls=cls, day=slot.day, slot=slot.slot, subject=self.data.subject_name(slot.subject))

    def check_plan(self, school: SchoolInfo, cls: ClassInfo, lessons: list[Slot]) -> None:
        plan = self.plans[school.id]
        counts: dict[str, int] = defaultdict(int)
        for slot in lessons:
            counts[slot.subject] += 1  # type: ignore[index]
        grades_text = "、".join(f"{g}" for g in cls.grades)
        for line in plan.lines:
            count = sum(counts.get(code, 0) for code in line.subjects)
            bands = [line.hours[g] for g in cls.grades if g in line.hours]
            if bands:
                low, high = min(b[0] for b in bands), max(b[1] for b in bands)
                planned = f"每周 {format_band((low, high))} 节"
            else:
                low = high = 0.0
                planned = f"{grades_text} 年级不开设"
            basis = plan.basis()
            if count == 0 and low > 0:
                self.add("subject_missing", school,
                         f"{cls.name} 没有排“{line.name}”课,课程计划要求{planned}。请补排,做到开齐开足。",
                         cls=cls, basis=basis, subject=line.name)
            elif count < low:
                rule = "subject_under_plan" if line.tested else "untested_subject_under_plan"
                extra = "" if line.tested else "不得减少非统考学科课时,"
                self.add(rule, school,
                         f"{cls.name}“{line.name}”每周 {count} 节,少于课程计划的{planned[2:]}(少 {low - count:g} 节)。"
                         f"{extra}请补足。", cls=cls, basis=basis, subject=line.name)
            elif count > high:
                rule = "tested_subject_over_plan" if line.tested else "subject_over_plan"
                extra = "统考学科不得增加课时," if line.tested else ""
                self.add(rule, school,
                         f"{cls.name}“{line.name}”每周 {count} 节,超过课程计划({planned})"
                         f"{f'多 {count - high:g} 节' if bands else ''}。{extra}请调整。", cls=cls, basis=basis,
                         subject=line.name)

    def check_pe(self, school: SchoolInfo, cls: ClassInfo, lessons: list[Slot]) -> None:
        rules = self.rules(school.id).content
        need = rules["pe_daily_minutes"]
        if not school.periods:
            self.add("pe_daily_hour", school,
                     f"{school.name}还没有设置作息时间(大课间时长未知),无法核实{cls.name}每天 {need} 分钟的体育活动。"
                     "请在课表中设置作息时间。", cls=cls)
            return
        activity = sum(p.minutes for p in school.periods.values() if p.kind in rules["pe_activity_kinds"])
        pe_codes = set(rules["pe_subjects"])
        lesson_minutes = rules["lesson_minutes"]
        per_day: dict[int, int] = defaultdict(int)
        for slot in lessons:
            if slot.subject in pe_codes:
                period = school.periods.get(slot.slot)
                per_day[slot.day] += period.minutes if period else lesson_minutes
        for day in rules["school_days"]:
            total = activity + per_day.get(day, 0)
            if total < need:
                self.add("pe_daily_hour", school,
                         f"{cls.name} {DAY_NAMES[day]}体育课与大课间共 {total} 分钟,不足每天 {need} 分钟的校内体育活动"
                         "时间。请在这一天增排体育课或延长大课间。", cls=cls, day=day)

    def check_labour(self, school: SchoolInfo, cls: ClassInfo, lessons: list[Slot]) -> None:
        rules = self.rules(school.id).content
        labour_codes, practice_codes = set(rules["labour_subjects"]), set(rules["practice_subjects"])
        labour = sum(1 for s in lessons if s.subject in labour_codes)
        practice = sum(1 for s in lessons if s.subject in practice_codes)
        minimum, share = rules["labour_min_weekly"], rules["labour_share_of_practice"]
        reasons = []
        if labour < minimum:
            reasons.append(f"少于每周 {minimum:g} 节")
        if labour < share * practice:
            reasons.append(f"少于综合实践活动({practice} 节)的一半")
        if reasons:
            self.add("labour_weekly", school,
                     f"{cls.name} 劳动课每周 {labour} 节,{'且'.join(reasons)}。请增排劳动课。", cls=cls)

    # --- per teacher --------------------------------------------------------------------------

    def check_teachers(self) -> None:
        by_teacher: dict[str, list[Slot]] = defaultdict(list)
        for slot in self.data.slots:
            if slot.teacher_id and slot.subject and self.is_lesson(slot):
                by_teacher[slot.teacher_id].append(slot)
        for teacher_id, slots in by_teacher.items():
            teacher = self.data.teachers.get(teacher_id)
            if teacher is None:
                continue
            by_day: dict[int, list[Slot]] = defaultdict(list)
            for slot in slots:
                by_day[slot.day].append(slot)
            for day, day_slots in sorted(by_day.items()):
                self.check_day(teacher_id, day, day_slots)
            self.check_qualified(teacher_id, slots)

    def _times(self, slot: Slot) -> tuple[int | None, int | None]:
        period = self.data.schools[slot.school_id].periods.get(slot.slot)
        return (period.start, period.end) if period else (None, None)

    @staticmethod
    def _combined(slots: list[Slot]) -> list[Slot]:
        """Drop the second and later lessons at the same school, slot and (named) room: one combined
        lesson (合班/复式) taught to several classes at once."""
        distinct: list[Slot] = []
        seen: set[tuple] = set()
        for slot in slots:
            if slot.room:
                key = (slot.school_id, slot.slot, slot.room)
                if key in seen:
                    continue
                seen.add(key)
            distinct.append(slot)
        return distinct

    def check_day(self, teacher_id: str, day: int, slots: list[Slot]) -> None:
        teacher = self.data.teachers[teacher_id]
        schools = self.data.schools
        if len({s.school_id for s in slots}) == 1:  # the usual case: one school, slot numbers suffice
            distinct = self._combined(sorted(slots, key=lambda s: (s.slot, s.class_id)))
            by_slot: dict[int, list[Slot]] = defaultdict(list)
            for slot in distinct:
                by_slot[slot.slot].append(slot)
            for same in by_slot.values():
                for index, first in enumerate(same):
                    for second in same[index + 1:]:
                        self.report_clash(teacher_id, first, second)
        else:
            times = {id(s): self._times(s) for s in slots}
            distinct = self._combined(sorted(slots, key=lambda s: (
                times[id(s)][0] if times[id(s)][0] is not None else s.slot * 60, schools[s.school_id].code,
                s.slot, s.class_id)))
            for first_index, first in enumerate(distinct):
                for second in distinct[first_index + 1:]:
                    if self.overlap(first, second):
                        self.report_clash(teacher_id, first, second)
            timed = [s for s in distinct if times[id(s)][0] is not None]
            for before, after in zip(timed, timed[1:]):
                if before.school_id == after.school_id or self.overlap(before, after):
                    continue
                gap = times[id(after)][0] - times[id(before)][1]  # type: ignore[operator]
                need = self.travel_minutes(before.school_id, after.school_id)
                if gap < need and (self.data.in_focus(after.school_id) or self.data.in_focus(before.school_id)):
                    a, b = schools[before.school_id], schools[after.school_id]
                    self.add("travel_gap", b,
                             f"走教教师 {teacher.name} {DAY_NAMES[day]}在{a.name}上完{a.label(before.slot)}"
                             f"({clock(times[id(before)][1])}下课)后,{clock(times[id(after)][0])}要在{b.name}上"
                             f"{b.label(after.slot)},中间只有 {gap} 分钟,两地路程需要 {need} 分钟。请调开这两节课。",
                             cls=self.data.classes.get(after.class_id), teacher_id=teacher_id, day=day,
                             slot=after.slot, related=[self.where(before)],
                             subject=self.data.subject_name(after.subject))
        home = self.data.schools.get(teacher.school_id)
        if home is not None and len(distinct) > home.daily_max and self.data.in_focus(home.id):
            self.add("teacher_daily_max", home,
                     f"{teacher.name} {DAY_NAMES[day]}共 {len(distinct)} 节课,超过学校规定的每天最多 {home.daily_max} 节。"
                     "请把部分课调到其他日子。", teacher_id=teacher_id, day=day,
                     related=[self.where(s) for s in distinct])

    def overlap(self, first: Slot, second: Slot) -> bool:
        if first.school_id == second.school_id:
            return first.slot == second.slot
        (a_start, a_end), (b_start, b_end) = self._times(first), self._times(second)
        if a_start is None or b_start is None:
            return first.slot == second.slot
        return a_start < b_end and b_start < a_end  # type: ignore[operator]

    def travel_minutes(self, school_a: str, school_b: str) -> int:
        key = frozenset((school_a, school_b))
        if key in self.data.travel:
            return self.data.travel[key]
        return int(self.rules(school_b).content["travel_minutes"])

    def report_clash(self, teacher_id: str, first: Slot, second: Slot) -> None:
        if not (self.data.in_focus(first.school_id) or self.data.in_focus(second.school_id)):
            return
        teacher = self.data.teachers[teacher_id]
        a, b = self.where(first), self.where(second)
        place = lambda w: (w["class_name"] if w["school_id"] == a["school_id"] == b["school_id"]  # noqa: E731
                           else f"{w['school_name']}{w['class_name']}")
        when = (f"{DAY_NAMES[first.day]}{a['period_label']}" if first.school_id == second.school_id
                else f"{DAY_NAMES[first.day]}{a['school_name']}{a['period_label']}"
                     f"与{b['school_name']}{b['period_label']}")
        self.add("teacher_clash", self.data.schools[first.school_id],
                 f"{teacher.name} {when}同时安排在{place(a)}和{place(b)}上课。一位教师同一时间只能上一节课,请调开。",
                 cls=self.data.classes.get(first.class_id), teacher_id=teacher_id, day=first.day, slot=first.slot,
                 related=[b], subject=self.data.subject_name(first.subject))

    def check_qualified(self, teacher_id: str, slots: list[Slot]) -> None:
        teacher = self.data.teachers[teacher_id]
        home = self.data.schools.get(teacher.school_id)
        rules = self.rules(teacher.school_id).content
        if not teacher.subjects:
            focus = [s for s in slots if self.data.in_focus(s.school_id)]
            if focus and home is not None:
                self.add("teacher_not_qualified", home,
                         f"教师名册中没有登记 {teacher.name} 的任教学科,无法核对其所上的课是否对口。请在教师名册中补填任教学科。",
                         teacher_id=teacher_id)
            return
        allowed = set(teacher.subjects) | set(rules["any_teacher_subjects"])
        for code in teacher.subjects:
            allowed |= set(rules["implied_subjects"].get(code, ()))
        odd: dict[tuple[str, str], list[Slot]] = defaultdict(list)
        for slot in slots:
            if slot.subject not in allowed and self.data.in_focus(slot.school_id):
                odd[(slot.class_id, slot.subject)].append(slot)  # type: ignore[index]
        mine = "、".join(self.data.subject_name(c) for c in sorted(teacher.subjects))
        for (class_id, code), found in sorted(odd.items(), key=lambda kv: (kv[1][0].school_id, kv[0])):
            first = min(found, key=lambda s: (s.day, s.slot))
            cls = self.data.classes.get(class_id)
            self.add("teacher_not_qualified", self.data.schools[first.school_id],
                     f"{teacher.name} 在{cls.name if cls else ''}任教“{self.data.subject_name(code)}”(每周 {len(found)} 节),"
                     f"但教师名册中其任教学科为{mine}。如确由其兼任,请在教师名册中补登该学科。",
                     cls=cls, teacher_id=teacher_id, day=first.day, slot=first.slot,
                     subject=self.data.subject_name(code))


def run_checks(data: TimetableData, plans: dict[str, Plan], rules: Callable[[str], Preset]) -> list[Finding]:
    """Return the findings for `data` (sorted by school, class, day, slot, rule) — the pure part of
    the checker, used by check_timetable and by the editor's live clash display."""
    checker = _Checker(data, plans, rules)
    checker.check_classes()
    checker.check_teachers()
    order = {rule: i for i, rule in enumerate(RULES)}
    checker.findings.sort(key=lambda f: (f.school_code, f.class_name or "", f.day or 0, f.period or 0,
                                         order[f.rule], f.teacher or ""))
    return checker.findings


def rules_lookup(db: Database, school_ids: Sequence[str] = ()) -> Callable[[str], Preset]:
    """Return a function giving the timetable rules preset in force for a school id (those of
    `school_ids` read at once, any other on first use)."""
    cache: dict[str, Preset] = effective_many(db, "timetable", list(school_ids))

    def rules(school_id: str) -> Preset:
        if school_id not in cache:
            cache[school_id] = effective(db, "timetable", school_id)
        return cache[school_id]
    return rules


def check_timetable(db: Database, *, school_id: str | None = None, term: dict | None = None,
                    travel_minutes: int | None = None) -> CheckResult:
    """Check the timetable of `term` (default current) of every school, or of `school_id` (its
    lessons and its teachers' lessons elsewhere). `travel_minutes` overrides the default travel
    time between sites for this run. Returns a CheckResult. Raises NotFound (no current term)."""
    data = load_timetable(db, term, school_id)
    plans = school_plans(db, list(data.schools))
    base = rules_lookup(db, list(data.schools))
    if travel_minutes is None:
        rules = base
    else:
        def rules(sid: str) -> Preset:
            preset = base(sid)
            content = {**preset.content, "travel_minutes": travel_minutes}
            return replace(preset, content=content, hash=content_hash(content))  # names the numbers used
    findings = run_checks(data, plans, rules)
    if school_id is not None:
        findings = [f for f in findings if f.touches(school_id)]
    return CheckResult(term=data.term, findings=findings, schools=_summaries(data, findings),
                       rules_basis=rules(school_id or "").basis(),
                       plan_basis={data.schools[sid].code: plan.basis() for sid, plan in plans.items()
                                   if data.in_focus(sid)})


def _summaries(data: TimetableData, findings: list[Finding]) -> list[dict]:
    with_slots: dict[str, set[str]] = defaultdict(set)
    for slot in data.slots:
        with_slots[slot.school_id].add(slot.class_id)
    classes: dict[str, set[str]] = defaultdict(set)
    for cls in data.classes.values():
        classes[cls.school_id].add(cls.id)
    mine: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        mine[finding.school_id].append(finding)
    out = []
    for school in sorted(data.schools.values(), key=lambda s: s.code):
        if not data.in_focus(school.id):
            continue
        found = mine[school.id]
        by_rule: dict[str, int] = defaultdict(int)
        for finding in found:
            by_rule[finding.rule] += 1
        out.append({"school_id": school.id, "school_code": school.code, "school_name": school.name,
                    "classes": len(classes[school.id]),
                    "classes_with_timetable": len(with_slots[school.id] & classes[school.id]),
                    "errors": sum(f.severity == "error" for f in found),
                    "warnings": sum(f.severity == "warning" for f in found), "by_rule": dict(by_rule)})
    return out
