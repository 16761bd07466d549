"""Why no timetable exists, in Chinese: first by counting (a class's lessons against its cells,
a teacher's week against days × lessons a day less travel, the plan against the assignments),
then by relaxing: every group of rules that may conflict is switched by an assumption literal and
CP-SAT names a set of groups that cannot all hold (sufficient_assumptions_for_infeasibility).
"""
from __future__ import annotations

from collections import defaultdict

from app.timetable.plans import Plan, format_band
from app.timetable.solver.cpsat import Model, cp_model
from app.timetable.solver.problem import Problem

NUMBERS = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九"}


def _class_name(problem: Problem, class_id: str) -> str:
    cls = problem.classes[class_id]
    return f"{problem.schools[cls.school_id].name}{cls.name}"


def _teacher_name(problem: Problem, teacher_id: str) -> str:
    teacher = problem.teachers.get(teacher_id)
    return teacher.name if teacher else "(未登记的教师)"


def plan_problems(problem: Problem, plans: dict[str, Plan]) -> list[str]:
    """Return where the teaching assignments break the curriculum plan: a 统考 line over the plan,
    a non-统考 line under it, a planned line with no assignment."""
    periods: dict[tuple[str, str], int] = defaultdict(int)
    for activity in problem.activities:
        for class_id in activity.classes:
            periods[(class_id, activity.subject)] += activity.count
    out = []
    for class_id, cls in sorted(problem.classes.items(), key=lambda kv: (kv[1].school_id, kv[1].grades, kv[1].number)):
        if not any(c == class_id for c, _ in periods):
            continue
        plan = plans.get(cls.school_id)
        if plan is None:
            continue
        for line in plan.lines:
            bands = [line.hours[g] for g in cls.grades if g in line.hours]
            if not bands:
                continue
            low, high = min(b[0] for b in bands), max(b[1] for b in bands)
            count = sum(periods.get((class_id, code), 0) for code in line.subjects)
            planned = format_band((low, high))
            if count == 0 and low > 0:
                out.append(f"{_class_name(problem, class_id)}没有“{line.name}”的任课安排,课程计划要求每周 {planned} 节。")
            elif line.tested and count > high:
                out.append(f"{_class_name(problem, class_id)}“{line.name}”任课安排每周 {count} 节,多于课程计划的 {planned} 节"
                           "(统考学科不得增加课时)。")
            elif not line.tested and count < low:
                out.append(f"{_class_name(problem, class_id)}“{line.name}”任课安排每周 {count} 节,少于课程计划的 {planned} 节"
                           "(非统考学科不得减少课时)。")
    return out


def _day_capacity(problem: Problem, places: list[tuple[str, int]]) -> int:
    """Return the most lessons one teacher can give in a day over these (school, slot) places:
    the longest chain in time order with no overlap and enough travel time between sites."""
    ordered = sorted(places, key=lambda p: (problem.times(*p) or (p[1] * 1000, 0))[0])
    best = [1] * len(ordered)
    for i, place in enumerate(ordered):
        for j in range(i):
            if not problem.conflict(ordered[j], place):
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)


def capacity_problems(problem: Problem, model: Model) -> list[str]:
    """Return what cannot fit by counting alone: classes, teachers, a subject's days, PE, and
    activities with fewer free cells than lessons."""
    out = []
    days = len(problem.days)
    for class_id, indexes in model.by_class.items():
        cls = problem.classes[class_id]
        cells = problem.class_cells(class_id)
        fixed = sum(1 for (c, _, _), s in model.class_fixed.items() if c == class_id)
        need = sum(model.remaining[i] for i in indexes) + fixed
        if need > len(cells):
            per_day = len(problem.schools[cls.school_id].lesson_slots())
            out.append(f"{_class_name(problem, class_id)}按课程计划和任课安排每周要上 {need} 节课,但作息时间每周只有"
                       f" {len(cells)} 个上课时段({days} 天 × {per_day} 节),多出 {need - len(cells)} 节。"
                       "请核对课程计划或任课安排的周课时。")
        rules = problem.rules[cls.school_id]
        by_subject: dict[str, int] = defaultdict(int)
        for i in indexes:
            by_subject[problem.activities[i].subject] += model.remaining[i]
        for code, count in by_subject.items():
            limit = rules.subject_daily.get(code, 1)
            if count > limit * days:
                out.append(f"{_class_name(problem, class_id)}“{problem.subject_name(code)}”每周 {count} 节,但同一学科每天最多"
                           f" {limit} 节,{days} 天最多 {limit * days} 节。")
        if rules.pe_lessons_per_day:
            pe = sum(n for code, n in by_subject.items() if code in rules.pe_subjects)
            if pe < rules.pe_lessons_per_day * days:
                out.append(f"{_class_name(problem, class_id)}每天需要 {rules.pe_lessons_per_day} 节体育课才够一小时体育活动,"
                           f"每周应有 {rules.pe_lessons_per_day * days} 节,任课安排只有 {pe} 节。")
    for index, activity in enumerate(problem.activities):
        free = len(model.x[index])
        if model.remaining[index] > free:
            names = "、".join(_class_name(problem, c) for c in activity.classes)
            out.append(f"{names}“{problem.subject_name(activity.subject)}”({'、'.join(_teacher_name(problem, t) for t in activity.teachers)})"
                       f"每周 {model.remaining[index]} 节,但只有 {free} 个时段可排:其余时段被教师不能上课的时间、"
                       "锁定的课、固定活动或该教师在别校的课占用。")
    for teacher_id, indexes in model.by_teacher.items():
        out += _teacher_capacity(problem, model, teacher_id, indexes)
    return out


def _teacher_capacity(problem: Problem, model: Model, teacher_id: str, indexes: list[int]) -> list[str]:
    daily_max = problem.daily_max(teacher_id)
    need = sum(model.remaining[i] for i in indexes) + sum(len(v) for (t, _), v in model.teacher_fixed.items()
                                                           if t == teacher_id)
    sites = sorted({problem.activities[i].school_id for i in indexes}
                   | {s for (t, _), places in model.teacher_fixed.items() if t == teacher_id for s, _ in places})
    capacities = []
    for day in problem.days:
        places = {(s, slot) for s in sites if s in problem.scope for d, slot in problem.cells(s) if d == day}
        places |= set(model.teacher_fixed.get((teacher_id, day), ()))
        capacities.append(min(daily_max, _day_capacity(problem, sorted(places))))
    if need <= sum(capacities):
        return []
    name = _teacher_name(problem, teacher_id)
    days = len(problem.days)
    if len(sites) > 1:
        each = capacities[0] if len(set(capacities)) == 1 else None
        week = f"{days} 天 × {each} 节" if each is not None else f"一周最多 {sum(capacities)} 节"
        return [f"走教教师 {name} 在{NUMBERS.get(len(sites), str(len(sites)))}个校区每周需 {need} 节,超过 {week}"
                f"(每天最多 {daily_max} 节,已减去校区之间的路程时间)。请减少其任课或调整路程、作息时间。"]
    return [f"{name} 每周需上 {need} 节,超过 {days} 天 × 每天最多 {daily_max} 节(共 {sum(capacities)} 节)。"
            "请减少其任课或提高每天最多节数。"]


def _describe(problem: Problem, group: tuple) -> str:
    kind, *rest = group
    if kind == "travel":
        return f"走教教师 {_teacher_name(problem, rest[0])} 在校区之间往返所需的路程时间"
    if kind == "teacher_daily":
        return f"{_teacher_name(problem, rest[0])} 每天最多 {problem.daily_max(rest[0])} 节"
    if kind == "unavailable":
        return f"{_teacher_name(problem, rest[0])} 登记的不能上课时间"
    if kind == "subject_daily":
        cls = problem.classes[rest[0]]
        limit = problem.rules[cls.school_id].subject_daily.get(rest[1], 1)
        return f"{_class_name(problem, rest[0])}“{problem.subject_name(rest[1])}”每天最多 {limit} 节"
    if kind == "pe":
        cls = problem.classes[rest[0]]
        return f"{_class_name(problem, rest[0])}每天 {problem.rules[cls.school_id].pe_lessons_per_day} 节体育课"
    if kind == "gapless":
        return f"{_class_name(problem, rest[0])}(小学)一天之内不留空节"
    if kind == "early_start":
        return f"{_class_name(problem, rest[0])}每天从第一节开始上课"
    if kind == "class_daily_min":
        return f"{_class_name(problem, rest[0])}每天至少 {problem.class_daily_min.get(rest[0])} 节"
    if kind == "required":
        return f"{_class_name(problem, rest[0])}固定时段的“{problem.subject_name(rest[1])}”"
    return f"{_class_name(problem, rest[0])}每天最多 {problem.class_daily_max.get(rest[0])} 节"


def explain(problem: Problem, plans: dict[str, Plan] | None = None, seconds: float = 20.0,
            seed: int = 0) -> list[str]:
    """Return Chinese sentences saying which rules conflict (empty when none is found in time)."""
    found = plan_problems(problem, plans or {})
    model = Model(problem, explain=True)
    found += capacity_problems(problem, model)
    if found:
        return found
    model.model.add_assumptions(model.assumptions())
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    status = solver.solve(model.model)
    if status != cp_model.INFEASIBLE:
        return []
    core = [model.groups[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in model.groups]
    if not core:
        return ["即使放宽全部可放宽的要求也排不出:同一班级、同一教师或同一教室在同一时间只能上一节课,锁定的课和固定活动"
                "之间已经冲突。请检查锁定的课。"]
    parts = "；".join(_describe(problem, group) for group in sorted(core, key=str))
    return [f"以下要求不能同时满足:{parts}。至少要放宽其中一项(或减少相关的课)才可能排出课表。"]
