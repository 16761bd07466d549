"""Classes of a school in an academic year; a 复式 class holds two or three grades."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row, set_links, update_row
from app.errors import Problem, ValidationError, invalid
from app.services.permissions import require_roster_write
from app.validation.classnames import CN_DIGITS, class_name


def default_name(grades: list[int], number: int) -> str:
    """Return the usual name: 三(2)班 for one grade, 一二年级复式班 for several."""
    if len(grades) == 1:
        return class_name(grades[0], number)
    return "".join(CN_DIGITS[g] for g in sorted(grades)) + "年级复式班"


def _check(db: Database, school_id: str, year_id: str, name: str, grades: list[int],
           head_teacher_id: str | None, class_id: str | None = None) -> None:
    problems = []
    if not grades or len(grades) > 3 or any(not 1 <= g <= 9 for g in grades) or len(set(grades)) != len(grades):
        problems.append(Problem("班级的年级应为 1-9 年级中的一个,复式班为两个或三个。", field="grades"))
    if not name.strip():
        problems.append(Problem("班级名称不能为空。", field="name"))
    clash = db.execute("SELECT id FROM class WHERE school_id = ? AND academic_year_id = ? AND name = ?",
                       [school_id, year_id, name.strip()]).fetchone()
    if clash and clash[0] != class_id:
        problems.append(Problem(f"本学年已有名为“{name}”的班级。", field="name"))
    if head_teacher_id:
        teacher = db.execute("SELECT school_id FROM teacher WHERE id = ?", [head_teacher_id]).fetchone()
        if not teacher:
            problems.append(Problem("所选班主任不存在。", field="head_teacher_id"))
    if problems:
        raise ValidationError(problems)


def create_class(db: Database, actor: Actor, *, school_id: str, academic_year_id: str, grades: list[int],
                 number: int = 1, name: str | None = None, head_teacher_id: str | None = None) -> str:
    """Create a class and return its id. Raises ValidationError, PermissionDenied."""
    require_roster_write(actor, school_id)
    grades = sorted(int(g) for g in grades)
    name = (name or default_name(grades, number)).strip()
    _check(db, school_id, academic_year_id, name, grades, head_teacher_id)
    with db.atomic():
        class_id = insert_row(db, actor, "class", {
            "school_id": school_id, "academic_year_id": academic_year_id, "name": name, "number": number,
            "head_teacher_id": head_teacher_id})
        set_links(db, actor, "class_grade", "class_id", class_id, "grade", grades, school_id)
        return class_id


def update_class(db: Database, actor: Actor, class_id: str, *, name: str | None = None,
                 grades: list[int] | None = None, head_teacher_id: str | None = None) -> None:
    """Rename a class, change its grades or its 班主任. Raises ValidationError, PermissionDenied."""
    row = get_row(db, "class", class_id)
    require_roster_write(actor, row["school_id"])
    new_grades = sorted(grades) if grades is not None else class_grades(db, class_id)
    new_name = (name if name is not None else row["name"]).strip()
    _check(db, row["school_id"], row["academic_year_id"], new_name, new_grades, head_teacher_id, class_id)
    stranded = db.execute(
        f"SELECT COUNT(*) FROM pupil WHERE class_id = ? AND grade NOT IN ({','.join('?' * len(new_grades))})",
        [class_id, *new_grades]).fetchone()[0]
    if stranded:
        raise invalid(f"班级中还有 {stranded} 名学生的年级不在新的年级范围内,请先调整这些学生。", "grades")
    with db.atomic():
        update_row(db, actor, "class", class_id, {"name": new_name, "head_teacher_id": head_teacher_id})
        set_links(db, actor, "class_grade", "class_id", class_id, "grade", new_grades, row["school_id"])


def delete_class(db: Database, actor: Actor, class_id: str) -> None:
    """Delete an empty class. Raises ValidationError when pupils are still in it."""
    row = get_row(db, "class", class_id)
    require_roster_write(actor, row["school_id"])
    count = db.execute("SELECT COUNT(*) FROM pupil WHERE class_id = ?", [class_id]).fetchone()[0]
    if count:
        raise invalid(f"班级“{row['name']}”还有 {count} 名学生,不能删除。")
    with db.atomic():
        set_links(db, actor, "class_grade", "class_id", class_id, "grade", [], row["school_id"])
        delete_row(db, actor, "class", class_id)


def class_grades(db: Database, class_id: str) -> list[int]:
    """Return the grades a class holds, ascending."""
    return [r[0] for r in db.execute("SELECT grade FROM class_grade WHERE class_id = ? ORDER BY grade", [class_id])]
