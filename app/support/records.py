"""Tutoring records (辅导记录) and the 双困生 flag: checked, permitted, written and audited here.

A tutoring record is one session of one teacher with one or more pupils of one school (the teacher's
own, or one the teacher travels to as 走教); it belongs to the pupils' school:
date (inside a term, not in the future), subject, minutes (1-600), what was done and an outcome
note. A 双困生 flag marks a pupil for the term of its date: a learning difficulty together with a
behaviour or family one (kind 行为 / 家庭 / 行为和家庭), with its reason. A teacher records tutoring
only as themselves, only for pupils of classes they teach that term and in a subject they teach
there (without a subject: any class they teach); they flag 双困生 only in classes they teach or head.
The school's administrators and 教务 record for any teacher and pupil of their school.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row
from app.errors import PermissionDenied, Problem, ValidationError
from app.routine.observations import dated_in_term
from app.services.schools import current_term
from app.validation.text import clean, text_problem

DIFFICULTY_KINDS = ("行为", "家庭", "行为和家庭")
MAX_MINUTES = 600
CONTENT_LIMIT = 500


def _free_text(value: object) -> str:
    """Return free text as typed, trimmed (inner spaces kept, unlike clean)."""
    return "" if value is None else str(value).strip()


def _pupils(db: Database, pupil_ids: list[str]) -> dict[str, dict]:
    marks = ",".join("?" for _ in pupil_ids) or "NULL"
    return {r["id"]: dict(r) for r in db.query(
        f"SELECT id, school_id, class_id, name, status FROM pupil WHERE id IN ({marks})", pupil_ids)}


def _serves(db: Database, teacher_id: str, home_id: str, school_id: str) -> bool:
    """Return True when the teacher belongs to `school_id` or travels there (走教)."""
    return home_id == school_id or db.execute("SELECT 1 FROM teacher_site WHERE teacher_id = ? AND school_id = ?",
                                              [teacher_id, school_id]).fetchone() is not None


def _teaches(db: Database, teacher_id: str | None, class_id: str | None, term_id: str,
             subject_id: str | None = None, head_too: bool = False) -> bool:
    """Return True when `teacher_id` teaches `class_id` in the term (the subject, when given), or
    heads it when `head_too`."""
    if not teacher_id or not class_id:
        return False
    sql = "SELECT 1 FROM teaching_assignment WHERE teacher_id = ? AND class_id = ? AND term_id = ?"
    args = [teacher_id, class_id, term_id]
    if subject_id:
        sql += " AND subject_id = ?"
        args.append(subject_id)
    if db.execute(sql, args).fetchone():
        return True
    return head_too and db.execute("SELECT 1 FROM class WHERE id = ? AND head_teacher_id = ?",
                                   [class_id, teacher_id]).fetchone() is not None


def require_support_write(db: Database, actor: Actor, school_id: str, term_id: str, *,
                          teacher_id: str | None = None, class_ids: Sequence[str | None] = (),
                          subject_id: str | None = None, head_too: bool = False) -> None:
    """Raise PermissionDenied unless the actor may record support for pupils of `class_ids` at
    `school_id` in the term: the township's or the school's administrators and 教务 always; a
    teacher only as `teacher_id` (themselves) and only for classes they teach that term (the
    subject, when given), or head when `head_too`."""
    if actor.role == "township_admin":
        return
    if actor.school_id != school_id:
        raise PermissionDenied("您只能登记本校学生的帮扶记录。")
    if actor.role in ("school_admin", "academic"):
        return
    if actor.role != "teacher" or not actor.teacher_id:
        raise PermissionDenied("您的账号不能登记帮扶记录。")
    if teacher_id is not None and teacher_id != actor.teacher_id:
        raise PermissionDenied("教师只能登记自己的辅导记录。")
    for class_id in class_ids:
        if not _teaches(db, actor.teacher_id, class_id, term_id, subject_id, head_too):
            raise PermissionDenied("教师只能为自己本学期任教班级(任教学科)的学生登记帮扶记录。")


def tutoring_values(db: Database, values: dict) -> tuple[dict, list[str], list[Problem]]:
    """Check one tutoring record; return (the row to write without id, its pupil ids, problems).

    `values`: teacher_id, pupil_ids (one or more), date, subject_id (optional), minutes, content
    (what was done), outcome (optional). Problems carry the field they are about."""
    problems: list[Problem] = []
    teacher = db.execute("SELECT id, school_id FROM teacher WHERE id = ?", [values.get("teacher_id")]).fetchone()
    if teacher is None:
        problems.append(Problem("请选择辅导教师。", field="teacher_id"))
    pupil_ids = list(dict.fromkeys(p for p in values.get("pupil_ids") or [] if p))
    pupils = _pupils(db, pupil_ids)
    if not pupil_ids:
        problems.append(Problem("请至少选择一名学生。", field="pupil_ids"))
    elif len(pupils) != len(pupil_ids):
        problems.append(Problem("所选学生不在学生名册中。", field="pupil_ids"))
    elif len({p["school_id"] for p in pupils.values()}) > 1:
        problems.append(Problem("一条辅导记录中的学生应属于同一所学校。", field="pupil_ids"))
    elif teacher is not None and not _serves(db, teacher[0], teacher[1], next(iter(pupils.values()))["school_id"]):
        problems.append(Problem("辅导教师既不是学生所在学校的教师,也不到该校走教。", field="teacher_id"))
    day, term, more = dated_in_term(db, values.get("date"), "辅导日期")
    problems += more
    subject_id = values.get("subject_id") or None
    if subject_id and not db.execute("SELECT 1 FROM subject WHERE id = ?", [subject_id]).fetchone():
        problems.append(Problem("所选学科不存在。", field="subject_id"))
    try:
        minutes = float(values.get("minutes"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        minutes = 0.0
    if not minutes.is_integer() or not 1 <= minutes <= MAX_MINUTES:
        problems.append(Problem(f"辅导时长应为 1-{MAX_MINUTES} 之间的整数分钟。", field="minutes"))
    content = _free_text(values.get("content"))
    outcome = _free_text(values.get("outcome"))
    if not content:
        problems.append(Problem("请填写辅导内容(做了什么)。", field="content"))
    for key, text in (("content", content), ("outcome", outcome)):
        reason = text_problem(text, CONTENT_LIMIT) if text else None
        if reason:
            problems.append(Problem(reason, field=key))
    if problems:
        return {}, pupil_ids, problems
    return ({"school_id": pupils[pupil_ids[0]]["school_id"], "term_id": term["id"], "teacher_id": teacher[0], "subject_id": subject_id,
             "date": day.isoformat(), "minutes": int(minutes), "content": content, "outcome": outcome or None},
            pupil_ids, [])


def write_tutoring(db: Database, actor: Actor, row: dict, pupil_ids: list[str]) -> str:
    """Insert a tutoring row checked by tutoring_values and its pupils (inside the caller's
    transaction); return its id. Raises PermissionDenied unless the actor may record it."""
    require_tutoring_permission(db, actor, row, pupil_ids)
    session_id = insert_row(db, actor, "tutoring", row)
    for pupil_id in pupil_ids:
        insert_row(db, actor, "tutoring_pupil", {"school_id": row["school_id"], "term_id": row["term_id"],
                                                 "tutoring_id": session_id, "pupil_id": pupil_id})
    return session_id


def require_tutoring_permission(db: Database, actor: Actor, row: dict, pupil_ids: list[str]) -> None:
    """Raise PermissionDenied unless the actor may record `row` for `pupil_ids` (see the module)."""
    pupils = _pupils(db, pupil_ids)
    require_support_write(db, actor, row["school_id"], row["term_id"], teacher_id=row["teacher_id"],
                          class_ids=sorted({p["class_id"] for p in pupils.values()}, key=str),
                          subject_id=row["subject_id"])


def record_tutoring(db: Database, actor: Actor, values: dict) -> str:
    """Validate and record one tutoring session (see tutoring_values for `values`); return its id.
    Raises ValidationError listing every problem, PermissionDenied."""
    row, pupil_ids, problems = tutoring_values(db, values)
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        return write_tutoring(db, actor, row, pupil_ids)


def delete_tutoring(db: Database, actor: Actor, tutoring_id: str) -> None:
    """Delete a tutoring record and its pupils (audited). A teacher deletes only their own.
    Raises NotFound, PermissionDenied."""
    old = get_row(db, "tutoring", tutoring_id)
    require_support_write(db, actor, old["school_id"], old["term_id"], teacher_id=old["teacher_id"])
    with db.atomic():
        for (link_id,) in db.execute("SELECT id FROM tutoring_pupil WHERE tutoring_id = ?", [tutoring_id]).fetchall():
            delete_row(db, actor, "tutoring_pupil", link_id)
        delete_row(db, actor, "tutoring", tutoring_id)


def difficulty_values(db: Database, values: dict) -> tuple[dict, list[Problem]]:
    """Check one 双困生 flag; return (the row to write without id, problems).

    `values`: pupil_id, kind (行为 / 家庭 / 行为和家庭: the difficulty besides learning), reason, date.
    A pupil has at most one flag a term."""
    problems: list[Problem] = []
    pupil = _pupils(db, [values.get("pupil_id") or ""]).get(values.get("pupil_id") or "")
    if pupil is None:
        problems.append(Problem("请选择学生。", field="pupil_id"))
    kind = clean(values.get("kind"))
    if kind not in DIFFICULTY_KINDS:
        problems.append(Problem(f"困难类型应为 {' / '.join(DIFFICULTY_KINDS)} 之一(学习困难之外的另一项)。",
                                field="kind"))
    reason = _free_text(values.get("reason"))
    if not reason:
        problems.append(Problem("请填写认定原因。", field="reason"))
    elif (why := text_problem(reason, CONTENT_LIMIT)) is not None:
        problems.append(Problem(why, field="reason"))
    day, term, more = dated_in_term(db, values.get("date"), "认定日期")
    problems += more
    if pupil is not None and term is not None and db.execute(
            "SELECT 1 FROM pupil_difficulty WHERE pupil_id = ? AND term_id = ?", [pupil["id"], term["id"]]).fetchone():
        problems.append(Problem(f"{pupil['name']} 本学期已认定为双困生。", field="pupil_id"))
    if problems:
        return {}, problems
    return {"school_id": pupil["school_id"], "term_id": term["id"], "pupil_id": pupil["id"], "kind": kind,
            "reason": reason, "date": day.isoformat()}, []


def flag_difficulty(db: Database, actor: Actor, values: dict) -> str:
    """Validate and record a 双困生 flag (see difficulty_values); return its id.
    Raises ValidationError listing every problem, PermissionDenied."""
    row, problems = difficulty_values(db, values)
    if problems:
        raise ValidationError(problems)
    pupil = _pupils(db, [row["pupil_id"]])[row["pupil_id"]]
    require_support_write(db, actor, row["school_id"], row["term_id"], class_ids=[pupil["class_id"]], head_too=True)
    with db.atomic():
        return insert_row(db, actor, "pupil_difficulty", row)


def clear_difficulty(db: Database, actor: Actor, difficulty_id: str) -> None:
    """Remove a 双困生 flag (audited). Raises NotFound, PermissionDenied."""
    old = get_row(db, "pupil_difficulty", difficulty_id)
    pupil = _pupils(db, [old["pupil_id"]]).get(old["pupil_id"], {})
    require_support_write(db, actor, old["school_id"], old["term_id"], class_ids=[pupil.get("class_id")],
                          head_too=True)
    with db.atomic():
        delete_row(db, actor, "pupil_difficulty", difficulty_id)


def list_tutoring(db: Database, *, school_id: str | None = None, teacher_id: str | None = None,
                  pupil_id: str | None = None, term: dict | None = None, all_terms: bool = False) -> list[dict]:
    """Return tutoring records (of the term, default current; every term when `all_terms`), newest
    first: the row with teacher_name, staff_no, subject_name, school_code, school_name, term_code,
    pupils [{pupil_id, name, class_name}] and pupil_names (joined with 、)."""
    where, args = [], []
    if not all_terms:
        where.append("x.term_id = ?")
        args.append((term or current_term(db))["id"])
    for column, value in (("x.school_id", school_id), ("x.teacher_id", teacher_id)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    if pupil_id:
        where.append("x.id IN (SELECT tutoring_id FROM tutoring_pupil WHERE pupil_id = ?)")
        args.append(pupil_id)
    rows = [dict(r) for r in db.query(
        "SELECT x.*, t.name AS teacher_name, t.staff_no, sj.name AS subject_name, s.code AS school_code,"
        " s.name AS school_name, tm.code AS term_code FROM tutoring x JOIN teacher t ON t.id = x.teacher_id"
        " JOIN school s ON s.id = x.school_id JOIN term tm ON tm.id = x.term_id"
        " LEFT JOIN subject sj ON sj.id = x.subject_id"
        f" WHERE {' AND '.join(where) or '1'} ORDER BY x.date DESC, x.created_at DESC", args)]
    if not rows:
        return rows
    pupils: dict[str, list[dict]] = {}
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for r in db.query("SELECT tp.tutoring_id, p.id AS pupil_id, p.name, c.name AS class_name FROM tutoring_pupil tp"
                          " JOIN pupil p ON p.id = tp.pupil_id LEFT JOIN class c ON c.id = p.class_id"
                          f" WHERE tp.tutoring_id IN ({','.join('?' for _ in chunk)}) ORDER BY p.student_no", chunk):
            pupils.setdefault(r["tutoring_id"], []).append(
                {"pupil_id": r["pupil_id"], "name": r["name"], "class_name": r["class_name"]})
    for row in rows:
        row["pupils"] = pupils.get(row["id"], [])
        row["pupil_names"] = "、".join(p["name"] for p in row["pupils"])
    return rows


def list_difficulties(db: Database, *, school_id: str | None = None, pupil_id: str | None = None,
                      term: dict | None = None, all_terms: bool = False) -> list[dict]:
    """Return 双困生 flags (of the term, default current; every term when `all_terms`), by school,
    class and 学籍号: the row with student_no, pupil_name, class_name, school_code, school_name,
    term_code."""
    where, args = [], []
    if not all_terms:
        where.append("x.term_id = ?")
        args.append((term or current_term(db))["id"])
    for column, value in (("x.school_id", school_id), ("x.pupil_id", pupil_id)):
        if value:
            where.append(f"{column} = ?")
            args.append(value)
    return [dict(r) for r in db.query(
        "SELECT x.*, p.student_no, p.name AS pupil_name, p.class_id, c.name AS class_name, s.code AS school_code,"
        " s.name AS school_name, tm.code AS term_code FROM pupil_difficulty x JOIN pupil p ON p.id = x.pupil_id"
        " JOIN school s ON s.id = x.school_id JOIN term tm ON tm.id = x.term_id"
        f" LEFT JOIN class c ON c.id = p.class_id WHERE {' AND '.join(where) or '1'}"
        " ORDER BY s.code, c.number, c.name, p.student_no, tm.code", args)]
