"""Read-only queries behind the marks entry grid: which classes sit an exam, and one class's marks."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import NotFound
from app.queries.roster import list_classes
from app.services.exams import get_exam
from app.services.schools import current_term

_ENROLLED = ("在读", "转入")


def exam_classes(db: Database, exam_id: str, school_id: str | None = None) -> list[dict]:
    """Return the classes that sit `exam_id`: the classes of the exam's academic year (of
    `school_id` only, when given) with at least one examined grade, in school, grade and number
    order, each as list_classes gives it (id, name, school_id, school_code, school_name, grades …).

    Raises NotFound for an unknown exam.
    """
    exam = get_exam(db, exam_id)
    grades = set(exam["grades"])
    return [c for c in list_classes(db, school_id, exam["academic_year_id"]) if grades & set(c["grades"])]


def marks_grid(db: Database, exam_id: str, class_id: str) -> dict:
    """Return what the entry grid shows for one class in one exam.

    {"exam": {id, name, policy, term_id, term_name}, "class": {id, name, school_id, grades},
    "subjects": [the exam's subjects examined in one of the class's grades, catalogue order, as
    app.services.exams.exam_subjects gives them (subject_id, name, full_marks, grades, levels, cut-offs …)], "pupils": [{pupil_id, student_no, name, grade, status,
    marks: {subject_id: (score, status)}}]}. The pupils are those in the class at the time of the
    exam: for a class of the current year its enrolled pupils, for an earlier year's class the
    pupils with marks in it that year; plus anyone with a mark of this exam in the class.
    `grade` is the pupil's grade at the time of the exam. Pupils come in 学籍号 order (the GUI
    sorts by name in pinyin). Raises NotFound for an unknown exam or class.
    """
    exam = get_exam(db, exam_id)
    found = list(db.query(
        "SELECT c.id, c.name, c.school_id, c.academic_year_id,"
        " (SELECT group_concat(grade) FROM class_grade g WHERE g.class_id = c.id) AS grades"
        " FROM class c WHERE c.id = ?", [class_id]))
    if not found:
        raise NotFound("找不到这个班级,它可能已被删除。")
    klass = found[0]
    class_grades = sorted(int(g) for g in (klass["grades"] or "").split(",") if g)
    subjects = [dict(s) for s in exam["subjects"] if set(s["grades"]) & set(class_grades)]
    this_year = klass["academic_year_id"] == current_term(db)["academic_year_id"]
    grade_then: dict[str, int] = {}
    if this_year:
        for pupil_id, grade in db.execute(
                f"SELECT id, grade FROM pupil WHERE class_id = ? AND status IN {_ENROLLED}", [class_id]):
            grade_then[pupil_id] = grade
    else:
        for pupil_id, grade in db.execute(
                "SELECT m.pupil_id, m.grade FROM exam e JOIN term t ON t.id = e.term_id"
                " JOIN exam_number n ON n.id = e.id JOIN mark m ON m.exam_no = n.no"
                " WHERE m.class_id = ? AND t.academic_year_id = ? GROUP BY m.pupil_id",
                [class_id, klass["academic_year_id"]]):
            grade_then[pupil_id] = grade
    marks: dict[str, dict[str, tuple]] = {}
    for pupil_id, subject_id, score, status, grade in db.execute(
            "SELECT pupil_id, subject_id, score, status, grade FROM mark"
            f" WHERE exam_no = {number_of('exam')} AND school_no = {number_of('school')}"  # the class's school:
            f" AND class_no = {number_of('class')}",  # idx_mark_stats, not every mark of a county's exam
            [exam_id, klass["school_id"], class_id]):
        marks.setdefault(pupil_id, {})[subject_id] = (score, status)
        grade_then[pupil_id] = grade
    pupils = []
    ids = list(grade_then)
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for row in db.query(f"SELECT id, student_no, name, status FROM pupil WHERE id IN ({', '.join('?' * len(part))})"
                            " ORDER BY student_no", part):
            pupils.append({"pupil_id": row["id"], "student_no": row["student_no"], "name": row["name"],
                           "grade": grade_then[row["id"]], "status": row["status"],
                           "marks": marks.get(row["id"], {})})
    pupils.sort(key=lambda p: p["student_no"])
    return {"exam": {"id": exam["id"], "name": exam["name"], "policy": exam["policy"], "term_id": exam["term_id"],
                     "term_name": exam["term_name"]},
            "class": {"id": klass["id"], "name": klass["name"], "school_id": klass["school_id"], "grades": class_grades},
            "subjects": subjects, "pupils": pupils}
