"""Each teacher's tutoring list (帮扶名单), made from an exam's 临界生 / 学困生 lists with one click.

Every pupil-and-subject of the lists goes to the teacher who teaches that subject in the pupil's
class this term (the current term's 任课): a 学困生 once per main subject below the pass line, a
临界生 once per subject just below a line. An entry already on the list is kept; a pupil-and-subject
nobody teaches is counted as 无任课教师. A teacher making the lists gets only their own entries; the
school's administrators and 教务 make every teacher's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row
from app.errors import PermissionDenied
from app.services.exams import get_exam
from app.services.schools import current_term
from app.stats.lists import borderline, struggling
from app.support.records import require_support_write

LISTS = ("学困生", "临界生")


@dataclass
class PlanResult:
    """What making the tutoring lists did: entries added and already there, pupil-and-subjects
    without a teacher, and the teachers who got entries (name → count added)."""

    added: int = 0
    kept: int = 0
    unassigned: int = 0
    teachers: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the result as JSON-able data."""
        return {"added": self.added, "kept": self.kept, "unassigned": self.unassigned, "teachers": self.teachers}


def _candidates(db: Database, exam_id: str, school_id: str, lists: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Return (list, pupil_id, subject name) of the exam's lists for the school, in list order."""
    out: list[tuple[str, str, str]] = []
    if "学困生" in lists:
        for row in struggling(db, exam_id, school_id=school_id):
            out += [("学困生", row["pupil_id"], name) for name in row["subjects_now"]]
    if "临界生" in lists:
        out += [("临界生", row["pupil_id"], row["subject"]) for row in borderline(db, exam_id, school_id=school_id)]
    return list(dict.fromkeys(out))


def make_plans(db: Database, actor: Actor, exam_id: str, school_id: str,
               lists: tuple[str, ...] = LISTS) -> PlanResult:
    """Put the exam's 临界生 / 学困生 of `school_id` on their teachers' tutoring lists for the current
    term; return the PlanResult. Raises NotFound, PermissionDenied."""
    exam = get_exam(db, exam_id)
    term = current_term(db)
    require_support_write(db, actor, school_id, term["id"])
    mine_only = actor.role == "teacher"
    subjects = {s["name"]: s["subject_id"] for s in exam["subjects"]}
    classes = {r["id"]: r["class_id"] for r in db.query("SELECT id, class_id FROM pupil WHERE school_id = ?",
                                                        [school_id])}
    teachers = {(r["class_id"], r["subject_id"]): (r["teacher_id"], r["name"]) for r in db.query(
        "SELECT a.class_id, a.subject_id, a.teacher_id, t.name FROM teaching_assignment a"
        " JOIN teacher t ON t.id = a.teacher_id WHERE a.school_id = ? AND a.term_id = ?", [school_id, term["id"]])}
    existing = {(r["teacher_id"], r["pupil_id"], r["subject_id"], r["list"]) for r in db.query(
        "SELECT teacher_id, pupil_id, subject_id, list FROM tutoring_plan WHERE term_id = ? AND school_id = ?",
        [term["id"], school_id])}
    result = PlanResult()
    with db.atomic():
        for kind, pupil_id, subject in _candidates(db, exam_id, school_id, lists):
            found = teachers.get((classes.get(pupil_id), subjects.get(subject)))
            if found is None:
                result.unassigned += 1
                continue
            teacher_id, name = found
            if mine_only and teacher_id != actor.teacher_id:
                continue
            key = (teacher_id, pupil_id, subjects[subject], kind)
            if key in existing:
                result.kept += 1
                continue
            existing.add(key)
            insert_row(db, actor, "tutoring_plan", {
                "school_id": school_id, "term_id": term["id"], "teacher_id": teacher_id, "pupil_id": pupil_id,
                "subject_id": subjects[subject], "list": kind, "exam_id": exam_id, "note": None})
            result.added += 1
            result.teachers[name] = result.teachers.get(name, 0) + 1
    return result


def remove_plan(db: Database, actor: Actor, plan_id: str) -> None:
    """Take one entry off a tutoring list (audited). A teacher removes only their own.
    Raises NotFound, PermissionDenied."""
    old = get_row(db, "tutoring_plan", plan_id)
    if actor.role == "teacher" and old["teacher_id"] != actor.teacher_id:
        raise PermissionDenied("教师只能修改自己的帮扶名单。")
    require_support_write(db, actor, old["school_id"], old["term_id"])
    with db.atomic():
        delete_row(db, actor, "tutoring_plan", plan_id)


def list_plans(db: Database, *, school_id: str | None = None, teacher_id: str | None = None,
               term: dict | None = None) -> list[dict]:
    """Return the tutoring lists of the term (default current) by teacher, class and pupil: each entry
    with teacher_name, student_no, pupil_name, class_name, subject_name, exam_name, school_code,
    school_name, and
    sessions / minutes (this teacher's tutoring records of this pupil in the term)."""
    term = term or current_term(db)
    where, args = ["x.term_id = ?"], [term["id"]]
    for column, value in (("x.school_id", school_id), ("x.teacher_id", teacher_id)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    return [dict(r) for r in db.query(
        "SELECT x.*, t.name AS teacher_name, p.student_no, p.name AS pupil_name, c.name AS class_name,"
        " sj.name AS subject_name, e.name AS exam_name, s.code AS school_code, s.name AS school_name,"
        " (SELECT COUNT(*) FROM tutoring g JOIN tutoring_pupil tp ON tp.tutoring_id = g.id"
        "   WHERE g.teacher_id = x.teacher_id AND tp.pupil_id = x.pupil_id AND g.term_id = x.term_id) AS sessions,"
        " (SELECT IFNULL(SUM(g.minutes), 0) FROM tutoring g JOIN tutoring_pupil tp ON tp.tutoring_id = g.id"
        "   WHERE g.teacher_id = x.teacher_id AND tp.pupil_id = x.pupil_id AND g.term_id = x.term_id) AS minutes"
        " FROM tutoring_plan x JOIN teacher t ON t.id = x.teacher_id JOIN pupil p ON p.id = x.pupil_id"
        " JOIN subject sj ON sj.id = x.subject_id JOIN school s ON s.id = x.school_id"
        " LEFT JOIN class c ON c.id = p.class_id LEFT JOIN exam e ON e.id = x.exam_id"
        f" WHERE {' AND '.join(where)} ORDER BY s.code, t.staff_no, x.list, c.number, c.name, p.student_no,"
        " sj.sort_order", args)]
