"""Starting a new term and, at the start of a school year, moving every class up a grade (升年级).

Promotion makes the new year's classes (三(1)班 becomes 四(1)班, 一二年级复式班 becomes 二三年级复式班),
moves each pupil in school up a grade into them, and marks those who finished grade 6 as having
left (status 转出, noted 小学毕业, in the status history). Last year's classes and marks stay as
they were, so last year's results keep their classes.
"""
from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from app.db.writes import Actor, get_row, insert_row, set_links, update_row
from app.errors import PermissionDenied, invalid
from app.services.classes import default_name
from app.services.schools import current_term, ensure_term, set_current_term, term_code, term_name

LAST_GRADE = 6  # primary schools: pupils leave after grade 6
IN_SCHOOL = ("在读", "转入")
GRADUATED_NOTE = "小学毕业"


def next_term(db: Database) -> dict:
    """Return the term after the current one: {year_start, seq, code, name, new_year (bool)}.

    Raises NotFound when the database has no current term.
    """
    term = current_term(db)
    year_start = int(term["code"][:4])
    year_start, seq = (year_start, 2) if term["seq"] == 1 else (year_start + 1, 1)
    return {"year_start": year_start, "seq": seq, "code": term_code(year_start, seq), "name": term_name(year_start, seq),
            "new_year": seq == 1}


def _new_name(name: str, grades: list[int], number: int) -> str:
    """Return the class's name a year later: the usual names move up, a name of the school's own stays."""
    if name == default_name(grades, number):
        return default_name([g + 1 for g in grades if g < LAST_GRADE], number)
    return name


def promotion_plan(db: Database, school_id: str) -> list[dict]:
    """Return what 升年级 would do to a school's classes of the current year, one dict per class:
    {class_id, name, grades, new_name (None when every grade leaves), new_grades, pupils (moving up),
    graduates (leaving after grade 6)}, in grade order."""
    term = current_term(db)
    out = []
    for row in db.query("SELECT id, name, number, head_teacher_id FROM class WHERE school_id = ? AND academic_year_id = ?",
                        [school_id, term["academic_year_id"]]):
        grades = [r[0] for r in db.execute("SELECT grade FROM class_grade WHERE class_id = ? ORDER BY grade",
                                           [row["id"]])]
        counts = dict(db.execute(
            f"SELECT grade >= {LAST_GRADE}, COUNT(*) FROM pupil WHERE class_id = ? AND status IN (?, ?) GROUP BY 1",
            [row["id"], *IN_SCHOOL]).fetchall())
        new_grades = [g + 1 for g in grades if g < LAST_GRADE]
        out.append({"class_id": row["id"], "name": row["name"], "number": row["number"], "grades": grades,
                    "head_teacher_id": row["head_teacher_id"],
                    "new_name": _new_name(row["name"], grades, row["number"]) if new_grades else None,
                    "new_grades": new_grades, "pupils": counts.get(0, 0), "graduates": counts.get(1, 0)})
    out.sort(key=lambda c: (c["grades"][:1] or [0], c["name"]))
    return out


def _require_term_admin(actor: Actor) -> None:
    if actor.role not in ("township_admin", "school_admin"):
        raise PermissionDenied("只有管理员可以开始新学期。")


def start_term(db: Database, actor: Actor, *, promote_school: str | None = None, today: dt.date | None = None) -> dict:
    """Make the term after the current one current; when it starts a school year and
    `promote_school` (a school id) is given, move that school's classes and pupils up a grade.

    Returns {"term": code, "classes": new classes made, "pupils": pupils moved up, "graduates": pupils
    who left}. Raises PermissionDenied (administrators only; a school administrator only for their
    school), ValidationError (the new year already has classes for the school).
    """
    _require_term_admin(actor)
    if promote_school and actor.role == "school_admin" and actor.school_id != promote_school:
        raise PermissionDenied("只能为本校升年级。")
    after = next_term(db)
    plan = promotion_plan(db, promote_school) if promote_school and after["new_year"] else []
    counts = {"term": after["code"], "classes": 0, "pupils": 0, "graduates": 0}
    day = (today or dt.date.today()).isoformat()
    with db.atomic():
        term_id = ensure_term(db, actor, after["year_start"], after["seq"])
        year_id = get_row(db, "term", term_id)["academic_year_id"]
        if plan and db.execute("SELECT 1 FROM class WHERE school_id = ? AND academic_year_id = ?",
                               [promote_school, year_id]).fetchone():
            raise invalid("新学年已经有本校的班级,不能再升年级。")
        for cls in plan:
            new_id = None
            if cls["new_grades"]:
                new_id = insert_row(db, actor, "class", {
                    "school_id": promote_school, "academic_year_id": year_id, "name": cls["new_name"],
                    "number": cls["number"], "head_teacher_id": cls["head_teacher_id"]})
                set_links(db, actor, "class_grade", "class_id", new_id, "grade", cls["new_grades"], promote_school)
                counts["classes"] += 1
            for pupil in db.query("SELECT id, grade FROM pupil WHERE class_id = ? AND status IN (?, ?)",
                                  [cls["class_id"], *IN_SCHOOL]):
                if pupil["grade"] >= LAST_GRADE:
                    update_row(db, actor, "pupil", pupil["id"], {"status": "转出", "status_date": day})
                    insert_row(db, actor, "pupil_status_change", {
                        "school_id": promote_school, "pupil_id": pupil["id"], "status": "转出", "date": day,
                        "note": GRADUATED_NOTE})
                    counts["graduates"] += 1
                else:
                    update_row(db, actor, "pupil", pupil["id"], {"grade": pupil["grade"] + 1, "class_id": new_id})
                    counts["pupils"] += 1
        set_current_term(db, actor, term_id)
    return counts
