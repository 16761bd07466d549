"""Writing one mark (a score, or 缺考 / 免考 / 作弊) with the permission and range checks."""
from __future__ import annotations

import re

from sqlite_utils import Database

from app.db.keys import number_of
from app.db.writes import Actor, delete_row, derived_id, get_row, insert_row, row_exists, update_row
from app.errors import invalid
from app.services.permissions import require_mark_write
from app.services.schools import current_term
from app.stats.graded import GRADED, level_position, scale_levels
from app.validation.text import clean

STATUS_WORDS = {"缺考": "缺考", "缺": "缺考", "免考": "免考", "免": "免考", "作弊": "作弊"}


def parse_mark(value: object, full_marks: float, levels: tuple[str, ...] | None = None) -> tuple[float | None, str]:
    """Return (score, status) for a typed cell: 87.5, ８７, '87 ', 缺考, 缺, 免考, 作弊; for a graded
    subject (`levels`, best first: app.stats.graded) a level such as A, ｂ, 优秀 or ★★, stored as its
    position (1 = best).

    Raises ValidationError with a Chinese reason for an empty cell, text that is not a mark,
    a score below 0 or above full marks, finer than half a point, or a level not on the scale.
    """
    text = clean(value)
    if text in STATUS_WORDS:
        return None, STATUS_WORDS[text]
    if not text:
        what = f"等级({' / '.join(levels)})" if levels else "分数"
        raise invalid(f"成绩为空:请填写{what},或填写“缺考”“免考”。")
    if levels:
        return float(level_position(text, levels)), "正常"
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise invalid(f"“{text}”不是分数,也不是“缺考”“免考”“作弊”。")
    score = float(text)
    if score < 0:
        raise invalid(f"分数 {text} 小于 0。")
    if score > full_marks:
        raise invalid(f"分数 {text} 超过满分 {full_marks:g}。")
    if abs(score * 2 - round(score * 2)) > 1e-9:
        raise invalid(f"分数 {text} 只能精确到 0.5 分。")
    return score, "正常"


def placement_at_exam(db: Database, pupil: dict, exam_id: str) -> tuple[str | None, int]:
    """Return (class id, grade) the pupil had when the exam was sat.

    Taken from the pupil's other marks in that exam when there are any; otherwise the current class and
    grade, moved back one grade per school year for an exam of an earlier year (class then unknown).
    """
    row = db.execute(f"SELECT class_id, grade FROM mark WHERE exam_no = {number_of('exam')}"
                     f" AND pupil_no = {number_of('pupil')} LIMIT 1",
                     [exam_id, pupil["id"]]).fetchone()
    if row:
        return row[0], row[1]
    exam_year = db.execute("SELECT t.code FROM exam e JOIN term t ON t.id = e.term_id WHERE e.id = ?",
                           [exam_id]).fetchone()
    years_back = int(current_term(db)["code"][:4]) - int(exam_year[0][:4]) if exam_year else 0
    if years_back <= 0:
        return pupil["class_id"], pupil["grade"]
    return None, pupil["grade"] - years_back


def set_mark(db: Database, actor: Actor, *, exam_id: str, pupil_id: str, subject_id: str,
             value: object) -> dict | None:
    """Record one pupil's mark in one exam subject; `value` as typed (None or '' clears it), or for a
    graded subject the position of its level as a number (1 = best).

    Returns the stored mark row, or None when cleared. Raises ValidationError (bad value, subject not
    in the exam, pupil's grade not examined) or PermissionDenied (teachers: only classes they teach).
    """
    pupil = get_row(db, "pupil", pupil_id)
    subject = db.execute("SELECT full_marks, grades, assessment, levels FROM exam_subject WHERE exam_id = ?"
                         " AND subject_id = ?", [exam_id, subject_id]).fetchone()
    if subject is None:
        raise invalid("该考试没有这个科目。")
    full_marks, grades, assessment, levels = subject
    class_id, grade = placement_at_exam(db, pupil, exam_id)
    if grades and str(grade) not in grades.split(","):
        raise invalid(f"该考试的这一科目不考 {grade} 年级。")
    if not db.execute("SELECT 1 FROM exam_grade WHERE exam_id = ? AND grade = ?", [exam_id, grade]).fetchone():
        raise invalid(f"该考试不含 {grade} 年级。")
    term_id = db.execute("SELECT term_id FROM exam WHERE id = ?", [exam_id]).fetchone()[0]
    require_mark_write(db, actor, pupil["school_id"], class_id or pupil["class_id"], subject_id, term_id)
    mark_id = derived_id("mark", {"exam_id": exam_id, "pupil_id": pupil_id, "subject_id": subject_id})
    existing = row_exists(db, "mark", mark_id)
    if value is None or clean(value) == "":
        if existing:
            with db.atomic():
                delete_row(db, actor, "mark", mark_id)
        return None
    levels_of = scale_levels(levels) if assessment == GRADED else None
    if levels_of and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and float(value).is_integer() and 1 <= value <= len(levels_of):
        # A level already read (the grid and undo hand back the stored position, 1 = best).
        score, status = float(value), "正常"
    else:
        score, status = parse_mark(value, full_marks, levels_of)
    with db.atomic():
        if existing:
            update_row(db, actor, "mark", mark_id, {"score": score, "status": status})
        else:
            insert_row(db, actor, "mark", {
                "school_id": pupil["school_id"], "exam_id": exam_id, "pupil_id": pupil_id, "subject_id": subject_id,
                "class_id": class_id, "grade": grade, "score": score, "status": status})
    return get_row(db, "mark", mark_id)
