"""Teachers: subjects, roles, titles and the other sites a 走教 teacher serves."""
from __future__ import annotations

import datetime as dt
import re

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, holder, insert_row, set_links, update_row
from app.errors import Problem, ValidationError, invalid
from app.services.permissions import require_roster_write
from app.services.subjects import SubjectIndex
from app.validation.text import clean, clean_code, code_problem, parse_date, person_name_problem, phone_text

ROLES = ("校长", "副校长", "教导主任", "中层", "教研组长", "年级组长", "班主任")
TITLES = ("骨干", "学科带头人")
LEADER_ROLES = ("校长", "副校长", "教导主任", "中层")
FIELD_NAMES = {"staff_no": "工号", "name": "姓名", "gender": "性别", "birth_date": "出生日期", "hire_date": "参加工作时间",
               "phone": "电话", "subjects": "任教学科", "roles": "职务", "titles": "称号", "sites": "走教学校"}
_LIST_SPLIT = re.compile(r"[,,、;;/\s]+")


def split_list(value: object) -> list[str]:
    """Return the items of a list typed in one cell: 语文、数学 / 语文,数学 / 语文 数学."""
    if isinstance(value, (list, tuple, set)):
        return [clean(v) for v in value if clean(v)]
    return [item for item in _LIST_SPLIT.split(str(value or "").strip()) if item]


def check_teacher(db: Database, school_id: str, values: dict, teacher_id: str | None = None,
                  subjects: SubjectIndex | None = None) -> tuple[dict, dict, list[Problem]]:
    """Clean and validate one teacher. Returns (row values, link lists, problems naming their field)."""
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(message, field=field))

    row: dict = {}
    staff_no = clean_code(values.get("staff_no"))
    if not staff_no:
        bad("staff_no", "工号不能为空。")
    elif code_problem(staff_no, "工号"):
        bad("staff_no", code_problem(staff_no, "工号"))
    elif other := holder(db, "teacher", "staff_no", school_id, staff_no, teacher_id):
        bad("staff_no", f"工号“{staff_no}”已属于本校教师“{other}”。")
    row["staff_no"] = staff_no
    name = clean(values.get("name"))
    if not name:
        bad("name", "姓名不能为空。")
    elif person_name_problem(name):
        bad("name", person_name_problem(name))
    row["name"] = name
    gender = clean(values.get("gender"))
    if gender not in ("男", "女"):
        bad("gender", "性别应填“男”或“女”。" if gender else "性别不能为空。")
    row["gender"] = gender
    for field in ("birth_date", "hire_date"):
        try:
            day = parse_date(values.get(field))
        except ValueError as exc:
            bad(field, f"{FIELD_NAMES[field]}“{exc}”无法识别,请写成 2010-09-01 的形式。")
            day = None
        if day and day > dt.date.today():
            bad(field, f"{FIELD_NAMES[field]}不能晚于今天。")
        row[field] = day.isoformat() if day else None
    row["phone"], phone_problem = phone_text(values.get("phone"))
    if phone_problem:
        bad("phone", phone_problem)
    row["active"] = int(values.get("active", 1) not in (0, False, "0"))

    subjects = subjects or SubjectIndex.load(db)
    links: dict[str, list] = {"subjects": [], "roles": [], "titles": [], "sites": []}
    for item in split_list(values.get("subjects")):
        subject = subjects.find(item)
        if subject is None:
            bad("subjects", f"任教学科“{item}”不在学科目录中。")
        else:
            links["subjects"].append(subject["id"])
    for item in split_list(values.get("roles")):
        item = {"教务主任": "教导主任", "主任": "中层", "中层干部": "中层"}.get(item, item)
        if item not in ROLES:
            bad("roles", f"职务“{item}”不在 {' / '.join(ROLES)} 之中。")
        else:
            links["roles"].append(item)
    for item in split_list(values.get("titles")):
        item = {"骨干教师": "骨干"}.get(item, item)
        if item not in TITLES:
            bad("titles", f"称号“{item}”不在 {' / '.join(TITLES)} 之中。")
        else:
            links["titles"].append(item)
    for item in split_list(values.get("sites")):
        site = db.execute("SELECT id FROM school WHERE id = ? OR code = ? OR name = ?", [item, item, item]).fetchone()
        if site is None:
            bad("sites", f"走教学校“{item}”不在数据库中。")
        elif site[0] != school_id:
            links["sites"].append(site[0])
    return row, links, problems


def _write_links(db: Database, actor: Actor, teacher_id: str, school_id: str, links: dict) -> None:
    set_links(db, actor, "teacher_subject", "teacher_id", teacher_id, "subject_id", links["subjects"], school_id)
    set_links(db, actor, "teacher_role", "teacher_id", teacher_id, "role", links["roles"], school_id)
    set_links(db, actor, "teacher_title", "teacher_id", teacher_id, "title", links["titles"], school_id)
    set_links(db, actor, "teacher_site", "teacher_id", teacher_id, "school_id", links["sites"], school_id)


def add_teacher(db: Database, actor: Actor, school_id: str, values: dict) -> str:
    """Validate and add a teacher with their subjects, roles, titles and sites; return the id."""
    require_roster_write(actor, school_id)
    row, links, problems = check_teacher(db, school_id, values)
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        teacher_id = insert_row(db, actor, "teacher", {"school_id": school_id, **row})
        _write_links(db, actor, teacher_id, school_id, links)
        return teacher_id


def update_teacher(db: Database, actor: Actor, teacher_id: str, changes: dict) -> None:
    """Validate and apply changes to a teacher (fields and lists). Raises ValidationError."""
    old = get_row(db, "teacher", teacher_id)
    require_roster_write(actor, old["school_id"])
    current = teacher_links(db, teacher_id)
    merged = {k: old[k] for k in ("staff_no", "name", "gender", "birth_date", "hire_date", "phone", "active")}
    merged |= {"subjects": current["subject_ids"], "roles": current["roles"], "titles": current["titles"],
               "sites": current["site_ids"]}
    merged |= changes
    row, links, problems = check_teacher(db, old["school_id"], merged, teacher_id)
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        update_row(db, actor, "teacher", teacher_id, row)
        _write_links(db, actor, teacher_id, old["school_id"], links)


def delete_teacher(db: Database, actor: Actor, teacher_id: str) -> None:
    """Delete a teacher entered by mistake; one with teaching records must be set inactive instead."""
    old = get_row(db, "teacher", teacher_id)
    require_roster_write(actor, old["school_id"])
    used = sum(db.execute(sql, [teacher_id]).fetchone()[0] for sql in (
        "SELECT COUNT(*) FROM teaching_assignment WHERE teacher_id = ?",
        "SELECT COUNT(*) FROM timetable_slot WHERE teacher_id = ?",
        "SELECT COUNT(*) FROM lesson_observation WHERE teacher_id = ? OR observer_id = ?1",
        "SELECT COUNT(*) FROM routine_check WHERE teacher_id = ?",
        "SELECT COUNT(*) FROM tutoring WHERE teacher_id = ?",
        "SELECT COUNT(*) FROM tutoring_plan WHERE teacher_id = ?",
        "SELECT COUNT(*) FROM app_user WHERE teacher_id = ?",
        "SELECT COUNT(*) FROM home_visit WHERE teacher_id = ?",
        "SELECT COUNT(*) FROM prep_session WHERE lead_id = ? OR EXISTS (SELECT 1 FROM json_each(attendee_ids)"
        " WHERE value = ?1)",
    ))
    if used:
        raise invalid(f"教师“{old['name']}”已有任课、课表或听课记录,不能删除;如已调离,请设为“不在岗”。")
    with db.atomic():
        for row in db.query("SELECT id FROM class WHERE head_teacher_id = ?", [teacher_id]):
            update_row(db, actor, "class", row["id"], {"head_teacher_id": None})
        _write_links(db, actor, teacher_id, old["school_id"], {"subjects": [], "roles": [], "titles": [], "sites": []})
        delete_row(db, actor, "teacher", teacher_id)


def teacher_links(db: Database, teacher_id: str) -> dict:
    """Return a teacher's subject ids and names, roles, titles and site ids."""
    subjects = list(db.query(
        "SELECT s.id, s.name FROM teacher_subject ts JOIN subject s ON s.id = ts.subject_id"
        " WHERE ts.teacher_id = ? ORDER BY s.sort_order", [teacher_id]))
    return {
        "subject_ids": [s["id"] for s in subjects],
        "subjects": [s["name"] for s in subjects],
        "roles": [r[0] for r in db.execute("SELECT role FROM teacher_role WHERE teacher_id = ?", [teacher_id])],
        "titles": [r[0] for r in db.execute("SELECT title FROM teacher_title WHERE teacher_id = ?", [teacher_id])],
        "site_ids": [r[0] for r in db.execute("SELECT school_id FROM teacher_site WHERE teacher_id = ?", [teacher_id])],
    }
