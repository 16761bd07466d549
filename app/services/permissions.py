"""Who may change what. Every service function calls one of these before writing."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.writes import Actor
from app.errors import PermissionDenied


def require_township_admin(actor: Actor) -> None:
    """Raise PermissionDenied unless the actor is a township administrator."""
    if actor.role != "township_admin":
        raise PermissionDenied("只有乡镇管理员可以进行此操作。")


def require_database_admin(db: Database, actor: Actor) -> None:
    """Raise PermissionDenied unless the actor administers this database: a township (or county)
    administrator, or in a school's own database that school's administrator."""
    if actor.role == "township_admin":
        return
    if actor.role == "school_admin":
        row = db.execute("SELECT s.id FROM meta m JOIN school s ON s.code = m.value WHERE m.key = 'school_code'"
                         " AND EXISTS (SELECT 1 FROM meta WHERE key = 'kind' AND value = 'school')").fetchone()
        if row and row[0] == actor.school_id:
            return
    raise PermissionDenied("只有本数据库的管理员可以进行此操作。")


def require_term_write(db: Database, actor: Actor) -> None:
    """Raise PermissionDenied unless the actor may add terms (those who set up exams: the
    database's administrators and 教务)."""
    if actor.role == "academic":
        return
    require_database_admin(db, actor)


def require_school_admin(actor: Actor, school_id: str) -> None:
    """Raise PermissionDenied unless the actor administers `school_id` (or the township)."""
    if actor.role == "township_admin":
        return
    if actor.role == "school_admin" and actor.school_id == school_id:
        return
    raise PermissionDenied("只有本校管理员可以进行此操作。")


def may_write_roster(actor: Actor, school_id: str | None) -> bool:
    """Return True when the actor may edit pupils, teachers, classes and assignments of
    `school_id`: a township administrator any school's, a school's administrator or 教务 their own."""
    return actor.role == "township_admin" or (actor.role in ("school_admin", "academic")
                                              and actor.school_id == school_id)


def require_roster_write(actor: Actor, school_id: str) -> None:
    """Raise PermissionDenied unless the actor may edit pupils, teachers and classes of `school_id`."""
    if may_write_roster(actor, school_id):
        return
    if actor.role == "teacher":
        raise PermissionDenied("教师账号不能修改学生、教师或班级名册,请联系教务处。")
    raise PermissionDenied("您只能修改本校的名册。")


def require_mark_write(db: Database, actor: Actor, school_id: str, class_id: str | None, subject_id: str,
                       term_id: str) -> None:
    """Raise PermissionDenied unless the actor may change marks of this class and subject in an exam
    of the term `term_id`.

    Administrators and 教务 of the school may; a teacher only for a class and subject they teach in
    that term (a teaching assignment of theirs for the term: last term's does not count).
    """
    if actor.role == "township_admin":
        return
    if actor.school_id != school_id:
        raise PermissionDenied("您只能修改本校学生的成绩。")
    if actor.role in ("school_admin", "academic"):
        return
    if actor.teacher_id and class_id and db.execute(
        "SELECT 1 FROM teaching_assignment WHERE teacher_id = ? AND class_id = ? AND subject_id = ? AND term_id = ?",
        [actor.teacher_id, class_id, subject_id, term_id],
    ).fetchone():
        return
    raise PermissionDenied("教师只能修改自己本学期任教班级、任教学科的成绩(以前学期的任课不算)。")


def mark_write_subjects(db: Database, actor: Actor, school_id: str, class_id: str) -> set[str] | None:
    """Return the ids of the subjects whose marks the actor may change in `class_id` (of
    `school_id`): None when every subject (administrators, 教务 of the school), else the subjects of
    the actor's teaching assignments in that class (empty for another school's class). The same rule
    as require_mark_write, asked before typing so the grid can show the other cells read-only."""
    if actor.role == "township_admin":
        return None
    if actor.school_id != school_id:
        return set()
    if actor.role in ("school_admin", "academic"):
        return None
    if not actor.teacher_id:
        return set()
    return {r[0] for r in db.execute(
        "SELECT subject_id FROM teaching_assignment WHERE teacher_id = ? AND class_id = ?",
        [actor.teacher_id, class_id])}
