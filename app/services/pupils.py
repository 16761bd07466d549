"""Pupils: validation shared by the forms and the roster import, and the audited writes."""
from __future__ import annotations

import datetime as dt
import re

from sqlite_utils import Database

from app.db.keys import number_of
from app.db.writes import Actor, delete_row, get_row, holder, insert_row, update_row
from app.errors import Problem, ValidationError, invalid
from app.services.permissions import require_roster_write
from app.validation.idcard import birth_date_of, gender_of, id_problem
from app.validation.text import clean, clean_code, parse_date, parse_flag, person_name_problem, shown

STATUSES = ("在读", "转入", "转出", "休学", "流失")
FLAGS = {"boarding": "寄宿", "left_behind": "留守", "migrant": "随迁", "disabled": "残疾", "pe_exempt": "体育免修"}
FIELD_NAMES = {
    "student_no": "学籍号", "name": "姓名", "gender": "性别", "birth_date": "出生日期", "id_number": "身份证件号",
    "class_id": "班级", "grade": "年级", "status": "状态", "status_date": "状态日期", "enrol_date": "入学日期",
    **FLAGS,
}
EDITABLE = tuple(FIELD_NAMES)


_G_NUMBER = re.compile(r"G\d{17}[\dX]")


def g_number_problem(student_no: str) -> str | None:
    """Return why a 全国学籍号 of the form G + 18 characters is wrong, or None.

    Such a number is G followed by the pupil's ID number, so its last character is a GB 11643
    check digit and its digits 7–14 a real birth date; other 学籍号 forms are not checked here.
    """
    if not _G_NUMBER.fullmatch(student_no):
        return None
    reason = id_problem(student_no[1:])
    return f"全国学籍号“{student_no}”是 G 加身份证件号,其中的{reason}。" if reason else None


def g_number_birth_warning(values: dict) -> str | None:
    """Return a warning when the birth date inside a G-form 全国学籍号 differs from 出生日期, else None.

    `values` are check_pupil's clean values (student_no, birth_date as ISO text or None).
    """
    student_no, birth = values.get("student_no") or "", values.get("birth_date")
    if not birth or not _G_NUMBER.fullmatch(student_no) or id_problem(student_no[1:]):
        return None
    inside = birth_date_of(student_no[1:]).isoformat()
    if inside == birth:
        return None
    return (f"全国学籍号“{student_no}”中的出生日期是 {inside},与出生日期 {birth} 不一致。"
            "请核对出生日期;如学籍号有误,请到学籍系统更正。")


def check_pupil(db: Database, school_id: str, values: dict, pupil_id: str | None = None,
                today: dt.date | None = None) -> tuple[dict, list[Problem]]:
    """Clean and validate one pupil's fields.

    Returns (clean values ready to store, problems). Each problem names its field. Checks the
    学籍号 is unique in the school, the ID number's GB 11643 check digit and that it agrees with
    birth date and gender, and that the class holds the pupil's grade.
    """
    today = today or dt.date.today()
    out: dict = {}
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(message, field=field))

    student_no = clean_code(values.get("student_no"))
    if not student_no:
        bad("student_no", "学籍号不能为空。")
    elif not re.fullmatch(r"[A-Z0-9]{4,30}", student_no):
        bad("student_no", f"学籍号“{shown(student_no)}”只能由字母和数字组成(4-30 位)。")
    elif g_number_problem(student_no):
        bad("student_no", g_number_problem(student_no))
    elif other := holder(db, "pupil", "student_no", school_id, student_no, pupil_id):
        bad("student_no", f"学籍号“{student_no}”已属于本校学生“{other}”。")
    out["student_no"] = student_no

    name = clean(values.get("name")).replace(".", "·").replace("•", "·")
    if not name:
        bad("name", "姓名不能为空。")
    elif person_name_problem(name):
        bad("name", person_name_problem(name))
    out["name"] = name

    id_number = clean_code(values.get("id_number")) or None
    if id_number:
        reason = id_problem(id_number)
        if reason:
            bad("id_number", reason + "。")
            id_number_ok = False
        else:
            id_number_ok = True
    else:
        id_number_ok = False
    out["id_number"] = id_number

    gender = clean(values.get("gender"))
    gender = {"男": "男", "女": "女", "M": "男", "F": "女", "1": "男", "2": "女"}.get(gender.upper(), gender)
    if not gender and id_number_ok:
        gender = gender_of(id_number)
    if gender not in ("男", "女"):
        bad("gender", "性别应填“男”或“女”。" if gender else "性别不能为空。")
    elif id_number_ok and gender != gender_of(id_number):
        bad("gender", f"性别“{gender}”与身份证件号不符。")
    out["gender"] = gender

    try:
        birth = parse_date(values.get("birth_date"))
    except ValueError as exc:
        bad("birth_date", f"出生日期“{exc}”无法识别,请写成 2015-03-08 的形式。")
        birth = None
    if birth is None and id_number_ok:
        birth = birth_date_of(id_number)
    if birth is not None:
        age = (today - birth).days / 365.25
        if not 3 <= age <= 20:
            bad("birth_date", f"出生日期 {birth.isoformat()} 与义务教育学生年龄不符。")
        elif id_number_ok and birth != birth_date_of(id_number):
            bad("birth_date", f"出生日期 {birth.isoformat()} 与身份证件号中的 {birth_date_of(id_number).isoformat()} 不一致。")
    out["birth_date"] = birth.isoformat() if birth else None

    try:
        grade = int(values.get("grade")) if values.get("grade") not in (None, "") else None
    except (TypeError, ValueError):
        grade = None
    class_id = values.get("class_id")
    class_grades = []
    if class_id:
        row = db.execute("SELECT school_id FROM class WHERE id = ?", [class_id]).fetchone()
        if not row or row[0] != school_id:
            bad("class_id", "所选班级不属于本校。")
        else:
            class_grades = [r[0] for r in db.execute("SELECT grade FROM class_grade WHERE class_id = ?", [class_id])]
            if grade is None and len(class_grades) == 1:
                grade = class_grades[0]
    if grade is None or not 1 <= grade <= 9:
        bad("grade", "年级应为 1 到 9。" if values.get("grade") not in (None, "") else "年级不能为空。")
    elif class_grades and grade not in class_grades:
        bad("grade", f"{grade} 年级的学生不能编入只含 {'、'.join(map(str, class_grades))} 年级的班级。")
    out["grade"] = grade
    out["class_id"] = class_id

    for field, label in FLAGS.items():
        try:
            out[field] = int(parse_flag(values.get(field)))
        except ValueError as exc:
            bad(field, f"“{label}”应填“是”或“否”,这里是“{exc}”。")
            out[field] = 0

    status = clean(values.get("status")) or "在读"
    if status not in STATUSES:
        bad("status", f"学籍状态只能是 {' / '.join(STATUSES)}。")
    out["status"] = status
    for field in ("status_date", "enrol_date"):
        try:
            day = parse_date(values.get(field))
            out[field] = day.isoformat() if day else None
        except ValueError as exc:
            bad(field, f"{FIELD_NAMES[field]}“{exc}”无法识别。")
            out[field] = None
    if status != "在读" and not out["status_date"]:
        out["status_date"] = today.isoformat()
    return out, problems


def add_pupil(db: Database, actor: Actor, school_id: str, values: dict) -> str:
    """Validate and add a pupil; return the new id. Raises ValidationError, PermissionDenied."""
    require_roster_write(actor, school_id)
    row, problems = check_pupil(db, school_id, values)
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        return insert_row(db, actor, "pupil", {"school_id": school_id, **row})


def update_pupil(db: Database, actor: Actor, pupil_id: str, changes: dict) -> dict:
    """Validate and apply changes to a pupil; return the fields that changed (old values gone).

    A change of status also appends to the pupil's status history, with `changes["status_note"]`
    (the reason: 转学去向, 流失原因) as its note. Raises ValidationError.
    """
    old = get_row(db, "pupil", pupil_id)
    require_roster_write(actor, old["school_id"])
    changes = dict(changes)
    note = clean(changes.pop("status_note", None)) or None
    if note and len(note) > 200:
        raise invalid("异动原因不能超过 200 个字。", "status_note")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise invalid(f"不能修改学生的这些字段:{', '.join(sorted(unknown))}。")
    merged = {k: old[k] for k in EDITABLE} | changes
    row, problems = check_pupil(db, old["school_id"], merged, pupil_id)
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        diff = update_row(db, actor, "pupil", pupil_id, row)
        if "status" in diff:
            insert_row(db, actor, "pupil_status_change", {
                "school_id": old["school_id"], "pupil_id": pupil_id, "status": row["status"],
                "date": row["status_date"] or dt.date.today().isoformat(), "note": note})
        return diff


def delete_pupil(db: Database, actor: Actor, pupil_id: str) -> None:
    """Delete a pupil entered by mistake, with their status history and home visits (each audited). A
    pupil with marks cannot be deleted: mark them 转出 instead."""
    old = get_row(db, "pupil", pupil_id)
    require_roster_write(actor, old["school_id"])
    marks = db.execute(f"SELECT COUNT(*) FROM mark WHERE pupil_no = {number_of('pupil')}",
                       [pupil_id]).fetchone()[0]
    if marks:
        raise invalid(f"学生“{old['name']}”已有 {marks} 条成绩,不能删除;如已离校,请把学籍状态改为“转出”或“流失”。")
    with db.atomic():
        for table in ("pupil_status_change", "home_visit"):
            for row in db.query(f"SELECT id FROM {table} WHERE pupil_id = ?", [pupil_id]):
                delete_row(db, actor, table, row["id"])
        delete_row(db, actor, "pupil", pupil_id)
