"""自动排课: generate a timetable for a school or a whole township, check it with SchoolQ's own
checker, and write it in one audited transaction.

A generated timetable is offered only when the checker finds no error in it; when no timetable
exists the result carries a Chinese explanation of which rules conflict instead.
"""
from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, insert_row
from app.errors import Problem as InputProblem
from app.errors import ValidationError
from app.timetable.fet import export_fet, load_fet_scope, read_fet_timetable
from app.timetable.check import Finding, rules_lookup, run_checks
from app.timetable.model import Slot, TimetableData
from app.timetable.permissions import require_timetable_write
from app.timetable.solver.cpsat import Model
from app.timetable.solver.search import Outcome, solve
from app.timetable.solver.explain import capacity_problems, explain, plan_problems
from app.timetable.solver.metrics import measure
from app.timetable.solver.problem import Problem, load_problem


@dataclass
class Generated:
    """One generation: the timetable found (lessons None when none), the checker's findings about
    it, its soft-constraint counts, and the explanation when there is no timetable."""

    problem: Problem
    outcome: Outcome
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, int] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    timetable: TimetableData | None = None

    @property
    def lessons(self) -> list[Slot] | None:
        """Return the generated lessons (locked ones included), or None."""
        return self.outcome.lessons

    def errors(self) -> list[Finding]:
        """Return the checker's errors about the generated timetable."""
        return [f for f in self.findings if f.severity == "error"]

    def ok(self) -> bool:
        """Return True when there is a timetable and the checker finds no error in it."""
        return self.lessons is not None and not self.errors()

    def classes(self) -> set[str]:
        """Return the ids of the classes whose timetable is generated (those with assignments)."""
        return {c for a in self.problem.activities for c in a.classes}

    def to_dict(self) -> dict:
        """Return the result as JSON-able data (the lessons with school, class, subject, teacher)."""
        p = self.problem
        lessons = [{"school_code": p.schools[s.school_id].code, "class": p.classes[s.class_id].name, "day": s.day,
                    "slot": s.slot, "subject": p.subject_name(s.subject or ""),
                    "teacher": p.teachers[s.teacher_id].name if s.teacher_id in p.teachers else None}
                   for s in sorted(self.lessons or [], key=lambda s: (s.school_id, s.class_id, s.day, s.slot))]
        return {"status": self.outcome.status, "ok": self.ok(), "hard_violations": len(self.errors()),
                "first_seconds": self.outcome.first_seconds, "seconds": self.outcome.seconds,
                "stopped": self.outcome.stopped, "metrics": self.metrics, "explanation": self.explanation,
                "findings": [f.to_dict() for f in self.findings], "lessons": lessons,
                "schools": sorted(p.schools[s].code for s in p.scope)}


def check_lessons(problem: Problem, data: TimetableData, plans: dict, rules, lessons: list[Slot],
                  classes: set[str]) -> tuple[list[Finding], TimetableData]:
    """Return the checker's findings about the scope's schools when `classes` have `lessons`
    instead of their stored timetable, and that timetable (to show it before it is saved)."""
    slots = [s for s in data.slots if s.class_id not in classes] + [s for s in lessons if s.class_id in classes]
    checked = dataclasses.replace(data, slots=slots, focus=set(problem.scope))
    return [f for f in run_checks(checked, plans, rules) if any(f.touches(s) for s in problem.scope)], checked


def generate(db: Database, school_ids: list[str], term: dict, *, time_limit: float = 30.0, seed: int = 0,
             stop: threading.Event | None = None, report: Callable[[float, int], None] | None = None,
             improve: bool = True) -> Generated:
    """Generate the timetable of `school_ids` (one school, or a township's schools solved
    together) for `term` within `time_limit` seconds; `stop` ends the search keeping the best
    timetable found, `report(seconds, score)` hears of each better one; without `improve` the first
    timetable meeting every hard rule is returned at once. Writes nothing.
    Returns a Generated (see ok()). Raises NotFound."""
    problem, data, plans = load_problem(db, school_ids, term)
    rules = rules_lookup(db, list(data.schools))
    model = Model(problem)
    counted = plan_problems(problem, plans) or capacity_problems(problem, model)
    if counted:
        return Generated(problem, Outcome(None, "INFEASIBLE", None, 0.0), explanation=counted)
    outcome = solve(problem, time_limit=time_limit, seed=seed, stop=stop, report=report, model=model,
                    first_only=not improve)
    result = Generated(problem, outcome)
    if outcome.lessons is None:
        if outcome.stopped:
            result.explanation = ["已停止:停止之前还没有找到满足全部硬性要求的课表。"]
        else:
            result.explanation = explain(problem, plans, seconds=min(20.0, max(5.0, time_limit)), seed=seed) or [
                f"在 {time_limit:g} 秒内没有找到满足全部硬性要求的课表,也没能找出相互冲突的要求。请延长排课时间再试。"]
        return result
    result.findings, result.timetable = check_lessons(problem, data, plans, rules, outcome.lessons, result.classes())
    result.metrics = measure(problem, outcome.lessons)
    return result


def save_generated(db: Database, actor: Actor, result: Generated) -> dict:
    """Write a generated timetable: the generated classes' unlocked lessons of the term are
    replaced, each row audited, all in one transaction. Returns {"classes", "lessons",
    "replaced"}. Raises ValidationError (nothing written) when there is no timetable or the
    checker found an error in it, PermissionDenied."""
    if not result.ok():
        reasons = result.explanation or [f.message for f in result.errors()] or ["没有可保存的课表。"]
        raise ValidationError([InputProblem(reason) for reason in reasons])
    problem = result.problem
    for school_id in sorted(problem.scope):
        require_timetable_write(actor, school_id)
    classes = result.classes()
    term_id = problem.term["id"]
    replaced = 0
    fixed = {s.id for s in problem.fixed}
    new = [s for s in result.lessons or [] if s.class_id in classes and s.id not in fixed]
    with db.atomic():
        for class_id in sorted(classes):
            for row in db.query("SELECT id FROM timetable_slot WHERE term_id = ? AND class_id = ? AND locked = 0",
                                [term_id, class_id]):
                delete_row(db, actor, "timetable_slot", row["id"])
                replaced += 1
        subject_ids = {code: sid for sid, code in db.execute("SELECT id, code FROM subject")}
        for slot in sorted(new, key=lambda s: (s.class_id, s.day, s.slot)):
            insert_row(db, actor, "timetable_slot", {
                "school_id": slot.school_id, "term_id": term_id, "class_id": slot.class_id, "day": slot.day,
                "slot": slot.slot, "subject_id": subject_ids[slot.subject], "teacher_id": slot.teacher_id,
                "room": slot.room})
    return {"classes": len(classes), "lessons": len(new), "replaced": replaced}


def export_fet_file(db: Database, school_ids: list[str], term: dict, path: str | Path) -> dict:
    """Write the generation problem of `school_ids` in `term` as a FET file; return the counts
    of app.timetable.fet.export_fet. Raises NotFound."""
    problem, _, _ = load_problem(db, school_ids, term)
    return export_fet(problem, path)


def import_fet_file(db: Database, path: str | Path) -> Generated:
    """Read a timetable FET solved (fet-cl's *_data_and_timetable.fet for a file SchoolQ
    exported) and judge it like a generated one: the checker's findings and the soft counts.
    Writes nothing (see save_generated). Raises ValidationError (not such a file, assignments
    changed since the export)."""
    term, school_ids = load_fet_scope(db, path)
    problem, data, plans = load_problem(db, school_ids, term)
    lessons = read_fet_timetable(problem, path)
    result = Generated(problem, Outcome(lessons, "FET", None, 0.0))
    result.findings, result.timetable = check_lessons(problem, data, plans, rules_lookup(db, list(data.schools)),
                                                      lessons, result.classes())
    result.metrics = measure(problem, lessons)
    return result
