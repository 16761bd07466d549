"""Teaching assignments (任课): who teaches which subject in which class, per term.

A teacher may change marks only of the classes and subjects assigned to them, and the workload
counts an assignment's weekly periods when the school has no timetable. The 任课 page and the
xlsx import both end in `set_assignments`, which checks the whole grid and writes it in one
transaction or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row, update_row
from app.errors import Problem, ValidationError
from app.services.permissions import require_roster_write
from app.timetable.plans import school_plan

Key = tuple[str, str]  # (class_id, subject_id)


@dataclass(frozen=True)
class Wanted:
    """What one cell of the grid should hold: a teacher (None: nobody) and weekly periods (None: keep
    the stored number, else the curriculum plan's)."""

    teacher_id: str | None
    periods: float | None = None


def assignment_grid(db: Database, school_id: str, term_id: str, extra_subjects: tuple[str, ...] = ()) -> dict:
    """Return what the 任课 grid shows for a school and term.

    {"classes": [{id, name, grades}] of the term's academic year in grade order, "subjects": [{id,
    code, name}] the curriculum plan names for those grades plus any assigned, "teachers": [{id,
    name, staff_no, active, home}] the school's teachers and the 走教 teachers serving it (home False),
    "cells": {(class_id, subject_id): {id, teacher_id, periods}}, "default_periods": {(class_id,
    subject_id): periods}, "catalogue": every subject}. The subjects are the first of each plan line
    (语文, 数学, 英语, 道德与法治, 科学, 音乐 …); any other appears once it is assigned or asked for in
    `extra_subjects`. Raises NotFound for an unknown term.
    """
    term = get_row(db, "term", term_id)
    classes = [dict(r) for r in db.query(
        "SELECT c.id, c.name, (SELECT group_concat(grade) FROM (SELECT grade FROM class_grade WHERE class_id = c.id"
        " ORDER BY grade)) AS grades_text FROM class c WHERE c.school_id = ? AND c.academic_year_id = ?",
        [school_id, term["academic_year_id"]])]
    for row in classes:
        row["grades"] = [int(g) for g in (row.pop("grades_text") or "").split(",") if g]
    classes.sort(key=lambda c: (c["grades"][:1] or [0], c["name"]))
    cells = {(r["class_id"], r["subject_id"]): {"id": r["id"], "teacher_id": r["teacher_id"],
                                                "periods": r["weekly_periods"]}
             for r in db.query("SELECT id, class_id, subject_id, teacher_id, weekly_periods FROM teaching_assignment"
                               " WHERE school_id = ? AND term_id = ?", [school_id, term_id])}
    plan = school_plan(db, school_id)
    grades = {g for c in classes for g in c["grades"]}
    catalogue = [dict(r) for r in db.query("SELECT id, code, name FROM subject ORDER BY sort_order, name")]
    shown = {subject_id for _, subject_id in cells} | set(extra_subjects)
    subjects = [s for s in catalogue if s["id"] in shown or _planned(plan, s["code"], grades)]
    defaults = {}
    for cls in classes:
        for subject in catalogue:
            defaults[(cls["id"], subject["id"])] = _plan_periods(plan, subject["code"], cls["grades"])
    teachers = [dict(r, home=bool(r["home"])) for r in db.query(
        "SELECT id, name, staff_no, active, school_id = :school AS home FROM teacher WHERE school_id = :school"
        " OR id IN (SELECT teacher_id FROM teacher_site WHERE school_id = :school) ORDER BY home DESC, staff_no",
        {"school": school_id})]
    return {"classes": classes, "subjects": subjects, "teachers": teachers, "cells": cells,
            "default_periods": defaults, "catalogue": catalogue}


def _planned(plan, code: str, grades: set[int]) -> bool:
    """Return True when `code` is the first subject of a plan line with periods in one of `grades`
    (语文 for 语文+书法, 科学 for the 科学 line, 音乐 for 艺术 …)."""
    line = plan.line_of(code)
    return (line is not None and line.subjects[0] == code
            and any(g in line.hours and line.hours[g][1] > 0 for g in grades))


def _plan_periods(plan, code: str, grades: list[int]) -> float:
    """Return the weekly periods the plan gives the first subject of its line in a class of `grades`
    (the lowest grade of a 复式 class); 0 for the other subjects of a shared line (美术 beside 音乐),
    whose periods the school writes itself."""
    line = plan.line_of(code)
    if line is None or line.subjects[0] != code or not grades or grades[0] not in line.hours:
        return 0.0
    return float(line.hours[grades[0]][0])


def plan_assignments(db: Database, school_id: str, term_id: str, wanted: dict[Key, Wanted],
                     grid: dict | None = None) -> tuple[list[dict], list[Problem]]:
    """Compare `wanted` cells with what is stored; return (changes, problems).

    Each change is {"class_id", "subject_id", "class", "subject", "old", "new" (teacher names or ''),
    "old_periods", "periods", "id" (stored row or None), "teacher_id"}; unchanged cells are left out.
    Problems name the class and subject (field "cells").
    """
    grid = grid or assignment_grid(db, school_id, term_id)
    classes = {c["id"]: c for c in grid["classes"]}
    subjects = {s["id"]: s for s in db.query("SELECT id, name FROM subject")}
    teachers = {t["id"]: t for t in grid["teachers"]}
    changes, problems = [], []
    for (class_id, subject_id), cell in wanted.items():
        cls, subject = classes.get(class_id), subjects.get(subject_id)
        if cls is None or subject is None:
            problems.append(Problem("班级或学科不属于本校本学年,请刷新后重试。", field="cells"))
            continue
        where = f"{cls['name']} {subject['name']}"
        if cell.teacher_id is not None and cell.teacher_id not in teachers:
            problems.append(Problem(f"{where}:所选教师不是本校教师,也不在本校走教。", field="cells"))
            continue
        if cell.periods is not None and not 0 <= cell.periods <= 40:
            problems.append(Problem(f"{where}:周课时 {cell.periods:g} 不合理(应为 0-40)。", field="cells"))
            continue
        stored = grid["cells"].get((class_id, subject_id))
        default = grid["default_periods"].get((class_id, subject_id), 0.0)
        periods = cell.periods if cell.periods is not None else (stored["periods"] if stored else default)
        if cell.teacher_id is None and stored is None:
            continue
        if stored and cell.teacher_id == stored["teacher_id"] and periods == stored["periods"]:
            continue
        changes.append({"class_id": class_id, "subject_id": subject_id, "class": cls["name"], "subject": subject["name"],
                        "old": teachers[stored["teacher_id"]]["name"] if stored and stored["teacher_id"] in teachers
                        else "", "new": teachers[cell.teacher_id]["name"] if cell.teacher_id else "",
                        "old_periods": stored["periods"] if stored else None,
                        "periods": periods if cell.teacher_id else None,
                        "id": stored["id"] if stored else None, "teacher_id": cell.teacher_id})
    return changes, problems


def set_assignments(db: Database, actor: Actor, school_id: str, term_id: str, wanted: dict[Key, Wanted]) -> dict:
    """Make the given cells of the school's 任课 grid for the term what `wanted` says (teacher None
    removes the assignment); cells not named stay as they are.

    Returns {"added", "changed", "removed"} counts. Raises PermissionDenied (administrators and 教务
    of the school), ValidationError listing every bad cell; nothing is written then.
    """
    require_roster_write(actor, school_id)
    changes, problems = plan_assignments(db, school_id, term_id, wanted)
    if problems:
        raise ValidationError(problems)
    counts = {"added": 0, "changed": 0, "removed": 0}
    with db.atomic():
        for change in changes:
            if change["teacher_id"] is None:
                delete_row(db, actor, "teaching_assignment", change["id"])
                counts["removed"] += 1
            elif change["id"] is None:
                insert_row(db, actor, "teaching_assignment", {
                    "school_id": school_id, "term_id": term_id, "teacher_id": change["teacher_id"],
                    "class_id": change["class_id"], "subject_id": change["subject_id"],
                    "weekly_periods": change["periods"]})
                counts["added"] += 1
            else:
                update_row(db, actor, "teaching_assignment", change["id"],
                           {"teacher_id": change["teacher_id"], "weekly_periods": change["periods"]})
                counts["changed"] += 1
    return counts
