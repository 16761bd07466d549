"""Changing and deleting an exam that is already set up (app.services.exams creates them).

A change never strands marks: a grade or subject that already has marks cannot be taken out of the
exam, and full marks cannot drop below a score already entered. Deleting an exam deletes its marks
too, after the caller asked the user; the audit log keeps the exam and the number of marks.
"""
from __future__ import annotations

from sqlite_utils import Database

from app.db.keys import number_of
from app.db.writes import Actor, audit, delete_row, get_row, insert_row, set_links, update_row
from app.errors import Problem, ValidationError
from app.services.exams import (DEFAULT_CUTOFFS, check_exam_header, check_subjects, get_exam,
                                require_exam_admin)


def _marks_by(db: Database, exam_id: str) -> dict[tuple[str, int], tuple[int, float | None]]:
    """Return {(subject_id, grade): (number of marks, highest score)} of the exam's marks."""
    return {(r[0], r[1]): (r[2], r[3]) for r in db.execute(
        "SELECT subject_id, grade, COUNT(*), MAX(score) FROM mark"
        f" WHERE exam_no = {number_of('exam')} GROUP BY subject_id, grade", [exam_id])}


def count_marks(db: Database, exam_id: str) -> int:
    """Return how many mark rows (scores, 缺考 …) the exam holds."""
    return db.execute(f"SELECT COUNT(*) FROM mark WHERE exam_no = {number_of('exam')}", [exam_id]).fetchone()[0]


def update_exam(db: Database, actor: Actor, exam_id: str, *, name: str, type: str, grades: list[int] | str,
                subjects: list[dict] | str, date: object = None, policy: str = "sat") -> dict:
    """Change an exam's name, type, date, policy, grades and subjects (full marks, the grades that
    sit each, cut-offs; see create_exam for the form of `subjects`). The term and scope stay.

    Returns {"changed": bool}. Raises NotFound, PermissionDenied (only who may set it up may change
    it), ValidationError listing every problem, including grades or subjects that already have marks
    and full marks below a score already entered.
    """
    exam = get_row(db, "exam", exam_id)
    require_exam_admin(actor, exam)
    term_row = dict(zip(("code", "start_date", "end_date"), db.execute(
        "SELECT code, start_date, end_date FROM term WHERE id = ?", [exam["term_id"]]).fetchone()))
    name, new_grades, day, problems = check_exam_header(name=name, type=type, policy=policy, grades=grades, date=date,
                                                        term_row=term_row)
    rows = check_subjects(db, subjects, new_grades, dict(DEFAULT_CUTOFFS), problems)
    clash = db.execute("SELECT 1 FROM exam WHERE name = ? AND term_id = ? AND IFNULL(school_id, '') = IFNULL(?, '')"
                       " AND id != ?", [name, exam["term_id"], exam["school_id"], exam_id]).fetchone()
    if clash:
        problems.append(Problem(f"学期 {term_row['code']} 已有名为“{name}”的考试。", field="name"))
    names = {r["subject_id"]: r["name"] for r in get_exam(db, exam_id)["subjects"]}
    for (subject_id, grade), (count, top) in sorted(_marks_by(db, exam_id).items(), key=lambda item: item[0][1]):
        row = next((r for r in rows if r["subject_id"] == subject_id), None)
        subject = names.get(subject_id, "")
        sits = [int(g) for g in row["grades"].split(",")] if row and row["grades"] else new_grades
        if row is None and not _already_named(problems, subject):
            problems.append(Problem(f"{subject}已录入 {count} 条成绩,不能从考试中去掉;如确实不考,请先在成绩页清除这些成绩。",
                                    field="subjects"))
        elif row is not None and grade not in sits:
            problems.append(Problem(f"{grade} 年级{subject}已录入 {count} 条成绩,不能去掉这个年级。",
                                    field="grades" if grade not in new_grades else "subjects"))
        elif row is not None and top is not None and top > row["full_marks"]:
            problems.append(Problem(f"{subject}已有 {top:g} 分的成绩,满分不能低于它。", field="subjects"))
    if problems:
        raise ValidationError(problems)
    changed = False
    with db.atomic():
        changed |= bool(update_row(db, actor, "exam", exam_id, {
            "name": name, "type": type, "policy": policy, "date": day.isoformat() if day else None}))
        changed |= set_links(db, actor, "exam_grade", "exam_id", exam_id, "grade", new_grades, exam["school_id"])
        current = {r["subject_id"]: r["id"] for r in db.query(
            "SELECT id, subject_id FROM exam_subject WHERE exam_id = ?", [exam_id])}
        wanted = {r["subject_id"]: r for r in rows}
        for subject_id, row_id in current.items():
            if subject_id not in wanted:
                _drop_cutoffs(db, actor, exam_id, subject_id, [])
                delete_row(db, actor, "exam_subject", row_id)
                changed = True
        for subject_id, row in wanted.items():
            if subject_id in current:
                values = {k: v for k, v in row.items() if k != "subject_id"}
                changed |= bool(update_row(db, actor, "exam_subject", current[subject_id], values))
            else:
                insert_row(db, actor, "exam_subject", {"exam_id": exam_id, **row})
                changed = True
            sits = [int(g) for g in row["grades"].split(",")] if row["grades"] else new_grades
            changed |= _drop_cutoffs(db, actor, exam_id, subject_id, sits)
    return {"changed": changed}


def _already_named(problems: list[Problem], subject: str) -> bool:
    """Return True when one of `problems` already names `subject` (one message per subject is enough)."""
    return any(subject and subject in p.message for p in problems)


def _drop_cutoffs(db: Database, actor: Actor, exam_id: str, subject_id: str, keep: list[int]) -> bool:
    """Delete the per-grade cut-offs of a subject for grades not in `keep`; return True if any went."""
    gone = False
    for row in db.query("SELECT id, grade FROM exam_cutoff WHERE exam_id = ? AND subject_id = ?",
                        [exam_id, subject_id]):
        if row["grade"] not in keep:
            delete_row(db, actor, "exam_cutoff", row["id"])
            gone = True
    return gone


def delete_exam(db: Database, actor: Actor, exam_id: str) -> int:
    """Delete an exam with its grades, subjects, cut-offs and marks; return how many marks went.

    Raises NotFound, PermissionDenied (only who may set it up may delete it).
    """
    exam = get_row(db, "exam", exam_id)
    require_exam_admin(actor, exam)
    marks = count_marks(db, exam_id)
    with db.atomic():
        if marks:
            audit(db, actor, "bulk", "mark", None, {"rows": marks}, None, exam["school_id"],
                  f"随考试“{exam['name']}”一并删除的成绩")
        for row in db.query("SELECT subject_id FROM exam_subject WHERE exam_id = ?", [exam_id]):
            _drop_cutoffs(db, actor, exam_id, row["subject_id"], [])
        for row in db.query("SELECT id FROM exam_subject WHERE exam_id = ?", [exam_id]):
            delete_row(db, actor, "exam_subject", row["id"])
        set_links(db, actor, "exam_grade", "exam_id", exam_id, "grade", [], exam["school_id"])
        delete_row(db, actor, "exam", exam_id)
    return marks
