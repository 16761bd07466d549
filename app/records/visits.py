"""家访 (home visits): who visited which pupil's family, when and how, and each teacher's count this
term against the quota of the records preset (班主任 and other teachers have their own quota).

A teacher records their own visits, to pupils of a class they are 班主任 of or teach this term; the
school's administrator or 教务 records any teacher's. A 流失 pupil's visits after the day they left
are the school's 劝返 effort, listed with the 控辍保学 figures.
"""
from __future__ import annotations

from collections import defaultdict

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row
from app.errors import PermissionDenied, Problem, ValidationError
from app.queries.roster import active_teachers
from app.records.common import may_manage, record_date, records_rules, require_school_staff
from app.services.schools import current_term
from app.validation.text import clean, text_problem

WAYS = ("上门", "电话", "视频", "到校面谈")
NOTES_LIMIT = 500
HEAD_ROLE, OTHER_ROLE = "班主任", "任课教师"


def _teaches(db: Database, teacher_id: str, class_id: str | None, term_id: str) -> bool:
    """Return True when the teacher is 班主任 of the class or teaches it in the term."""
    if not class_id:
        return False
    return db.execute(
        "SELECT 1 FROM class WHERE id = ?1 AND head_teacher_id = ?2 UNION SELECT 1 FROM teaching_assignment"
        " WHERE class_id = ?1 AND teacher_id = ?2 AND term_id = ?3", [class_id, teacher_id, term_id]).fetchone() \
        is not None


def visit_row(db: Database, values: dict) -> dict:
    """Return the row record_visit writes for `values` (pupil_id, teacher_id, date, way, notes) after
    every check but permissions. Raises ValidationError listing every problem."""
    problems: list[Problem] = []
    pupil = db.execute("SELECT id, school_id, class_id FROM pupil WHERE id = ?", [values.get("pupil_id")]).fetchone()
    if pupil is None:
        problems.append(Problem("请选择学生。", field="pupil_id"))
    teacher = db.execute("SELECT id, school_id FROM teacher WHERE id = ?", [values.get("teacher_id")]).fetchone()
    if teacher is None:
        problems.append(Problem("请选择家访教师。", field="teacher_id"))
    elif pupil is not None and teacher[1] != pupil[1] and not db.execute(
            "SELECT 1 FROM teacher_site WHERE teacher_id = ? AND school_id = ?", [teacher[0], pupil[1]]).fetchone():
        problems.append(Problem("家访教师不在学生所在学校任教。", field="teacher_id"))
    day, term, more = record_date(db, values.get("date"), "家访日期")
    problems += more
    way = clean(values.get("way"))
    if way not in WAYS:
        problems.append(Problem(f"家访方式应为 {'、'.join(WAYS)} 之一。", field="way"))
    notes = clean(values.get("notes")) or None
    if notes and text_problem(notes, NOTES_LIMIT):
        problems.append(Problem(text_problem(notes, NOTES_LIMIT), field="notes"))
    if problems:
        raise ValidationError(problems)
    return {"school_id": pupil[1], "term_id": term["id"], "pupil_id": pupil[0], "teacher_id": teacher[0],
            "date": day.isoformat(), "way": way, "notes": notes, "_class_id": pupil[2]}


def require_visit_write(db: Database, actor: Actor, row: dict) -> None:
    """Raise PermissionDenied unless the actor may record this visit: the school's administrator or
    教务, a township administrator, or the visiting teacher for a pupil of a class they head or teach."""
    require_school_staff(actor, row["school_id"])
    if may_manage(actor, row["school_id"]):
        return
    if actor.teacher_id != row["teacher_id"]:
        raise PermissionDenied("教师只能登记自己的家访。")
    if not _teaches(db, row["teacher_id"], row.get("_class_id"), row["term_id"]):
        raise PermissionDenied("教师只能登记自己任教或担任班主任的班级学生的家访。")


def record_visit(db: Database, actor: Actor, values: dict) -> str:
    """Validate and record one home visit; return its id. Raises ValidationError, PermissionDenied."""
    row = visit_row(db, values)
    require_visit_write(db, actor, row)
    with db.atomic():
        return insert_row(db, actor, "home_visit", {k: v for k, v in row.items() if not k.startswith("_")})


def record_visits(db: Database, actor: Actor, rows: list[dict]) -> int:
    """Write visits already checked by visit_row (an import), all or nothing; return how many.
    Raises PermissionDenied (nothing written)."""
    for row in rows:
        require_visit_write(db, actor, row)
    with db.atomic():
        for row in rows:
            insert_row(db, actor, "home_visit", {k: v for k, v in row.items() if not k.startswith("_")})
    return len(rows)


def delete_visit(db: Database, actor: Actor, visit_id: str) -> None:
    """Delete a visit entered by mistake (audited): its teacher or the school's office.
    Raises NotFound, PermissionDenied."""
    old = get_row(db, "home_visit", visit_id)
    require_school_staff(actor, old["school_id"])
    if not may_manage(actor, old["school_id"]) and actor.teacher_id != old["teacher_id"]:
        raise PermissionDenied("只能删除自己登记的家访记录。")
    with db.atomic():
        delete_row(db, actor, "home_visit", visit_id)


def list_visits(db: Database, *, school_id: str | None = None, term: dict | None = None) -> list[dict]:
    """Return the term's visits (default current), newest first, with the pupil's 学籍号, name and class,
    the teacher's name and the school's code and name."""
    term = term or current_term(db)
    where, args = ["v.term_id = ?"], [term["id"]]
    if school_id:
        where.append("v.school_id = ?")
        args.append(school_id)
    return [dict(r) for r in db.query(
        "SELECT v.*, p.student_no, p.name AS pupil_name, p.left_behind, c.name AS class_name,"
        " t.name AS teacher_name, s.code AS school_code, s.name AS school_name FROM home_visit v"
        " JOIN pupil p ON p.id = v.pupil_id JOIN teacher t ON t.id = v.teacher_id JOIN school s ON s.id = v.school_id"
        f" LEFT JOIN class c ON c.id = p.class_id WHERE {' AND '.join(where)} ORDER BY v.date DESC, v.created_at DESC",
        args)]


def pupil_visits(db: Database, pupil_id: str) -> list[dict]:
    """Return every visit to the pupil's family, every term, newest first: [{date, way, notes,
    teacher_name, term_code}]."""
    return [dict(r) for r in db.query(
        "SELECT v.date, v.way, v.notes, t.name AS teacher_name, tm.code AS term_code FROM home_visit v"
        " JOIN teacher t ON t.id = v.teacher_id JOIN term tm ON tm.id = v.term_id WHERE v.pupil_id = ?"
        " ORDER BY v.date DESC, v.created_at DESC", [pupil_id])]


def visit_quota(db: Database, *, school_id: str | None = None, term: dict | None = None) -> list[dict]:
    """Return every active teacher's visits this term against the quota: [{school_code, school_name,
    teacher_id, staff_no, name, role (班主任 / 任课教师), quota, done, families (pupils visited),
    short (quota − done, at least 0)}], by school and 工号. A teacher is 班主任 when they head a class
    of this academic year."""
    term = term or current_term(db)
    done: dict[str, list[str]] = defaultdict(list)
    for teacher_id, pupil_id in db.execute("SELECT teacher_id, pupil_id FROM home_visit WHERE term_id = ?",
                                           [term["id"]]):
        done[teacher_id].append(pupil_id)
    heads = {r[0] for r in db.execute("SELECT head_teacher_id FROM class WHERE academic_year_id = ?"
                                      " AND head_teacher_id IS NOT NULL", [term["academic_year_id"]])}
    quotas: dict[str, dict] = {}
    out = []
    for t in active_teachers(db, school_id):
        if t["school_id"] not in quotas:
            quotas[t["school_id"]] = records_rules(db, t["school_id"]).content["home_visits"]["quota"]
        role = HEAD_ROLE if t["id"] in heads else OTHER_ROLE
        quota = int(quotas[t["school_id"]].get(role, 0))
        mine = done.get(t["id"], [])
        out.append({"school_code": t["code"], "school_name": t["school_name"], "teacher_id": t["id"],
                    "staff_no": t["staff_no"], "name": t["name"], "role": role, "quota": quota, "done": len(mine),
                    "families": len(set(mine)), "short": max(0, quota - len(mine))})
    return out


def visit_summary(db: Database, *, school_id: str | None = None, term: dict | None = None) -> list[dict]:
    """Return per school: teachers, visits, families visited, teachers who reached their quota:
    [{school_code, school_name, teachers, visits, families, teachers_done}], by school code."""
    term = term or current_term(db)
    families: dict[str, set] = defaultdict(set)
    for code, pupil_id in db.execute("SELECT s.code, v.pupil_id FROM home_visit v JOIN school s ON s.id = v.school_id"
                                     " WHERE v.term_id = ?", [term["id"]]):
        families[code].add(pupil_id)
    out: dict[str, dict] = {}
    for row in visit_quota(db, school_id=school_id, term=term):
        entry = out.setdefault(row["school_code"], {"school_code": row["school_code"],
                                                    "school_name": row["school_name"], "teachers": 0, "visits": 0,
                                                    "families": len(families.get(row["school_code"], ())),
                                                    "teachers_done": 0})
        entry["teachers"] += 1
        entry["visits"] += row["done"]
        entry["teachers_done"] += row["done"] >= row["quota"]
    return [out[k] for k in sorted(out)]
