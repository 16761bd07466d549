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
    if _used_by_records(db, class_id):
        raise invalid(f"班级“{row['name']}”已有成绩、课表、听课或作业记录,不能删除(这些记录要保留它的班级)。")
    with db.atomic():
        set_links(db, actor, "class_grade", "class_id", class_id, "grade", [], row["school_id"])
        delete_row(db, actor, "class", class_id)


def _used_by_records(db: Database, class_id: str) -> bool:
    """Return True when marks, timetable slots, lesson observations or homework records name the class."""
    return any(db.execute(sql, [class_id]).fetchone() for sql in (
        "SELECT 1 FROM mark WHERE class_id = ? LIMIT 1", "SELECT 1 FROM timetable_slot WHERE class_id = ? LIMIT 1",
        "SELECT 1 FROM lesson_observation WHERE class_id = ? LIMIT 1",
        "SELECT 1 FROM homework_log WHERE class_id = ? LIMIT 1"))


def merge_classes(db: Database, actor: Actor, source_id: str, target_id: str) -> dict:
    """Move every pupil of class `source_id` into `target_id` (same school and year); the target
    takes the source's grades too (a 复式 class of at most three grades). The source's teaching
    assignments move with it where the target has none for that term and subject. The source is
    deleted when nothing else refers to it; a class with marks or timetable records stays, empty,
    so that old results keep their class.

    Returns {"pupils": moved, "grades": the target's grades, "deleted": bool}. Raises
    ValidationError (different school or year, same class, more than three grades), PermissionDenied.
    """
    source, target = get_row(db, "class", source_id), get_row(db, "class", target_id)
    require_roster_write(actor, target["school_id"])
    if source_id == target_id:
        raise invalid("请选择另一个班级。", "target")
    if (source["school_id"], source["academic_year_id"]) != (target["school_id"], target["academic_year_id"]):
        raise invalid("只能合并同一学校、同一学年的班级。", "target")
    grades = sorted(set(class_grades(db, source_id)) | set(class_grades(db, target_id)))
    if len(grades) > 3:
        raise invalid(f"合并后有 {len(grades)} 个年级,复式班最多三个年级。", "target")
    used = _used_by_records(db, source_id)
    with db.atomic():
        if grades != class_grades(db, target_id):
            set_links(db, actor, "class_grade", "class_id", target_id, "grade", grades, target["school_id"])
        pupils = [r[0] for r in db.execute("SELECT id FROM pupil WHERE class_id = ?", [source_id])]
        for pupil_id in pupils:
            update_row(db, actor, "pupil", pupil_id, {"class_id": target_id})
        for row in db.query("SELECT id, term_id, subject_id FROM teaching_assignment WHERE class_id = ?", [source_id]):
            taken = db.execute("SELECT 1 FROM teaching_assignment WHERE class_id = ? AND term_id = ? AND subject_id = ?",
                               [target_id, row["term_id"], row["subject_id"]]).fetchone()
            if taken:
                delete_row(db, actor, "teaching_assignment", row["id"])
            else:
                update_row(db, actor, "teaching_assignment", row["id"], {"class_id": target_id})
        if not used:
            set_links(db, actor, "class_grade", "class_id", source_id, "grade", [], source["school_id"])
            delete_row(db, actor, "class", source_id)
    return {"pupils": len(pupils), "grades": grades, "deleted": not used}


def class_grades(db: Database, class_id: str) -> list[int]:
    """Return the grades a class holds, ascending."""
    return [r[0] for r in db.execute("SELECT grade FROM class_grade WHERE class_id = ? ORDER BY grade", [class_id])]
