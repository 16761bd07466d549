"""家访记录 and 集体备课记录 from a workbook, as schools keep them in WPS/Excel.

家访: 学籍号 (or 学生姓名, with 班级 when two pupils share a name), 家访教师 (name or 工号), 日期, 方式
(上门 / 电话 / 视频 / 到校面谈), 情况记录. 集体备课: 教研组, 日期, 主备人, 主题, 参加教师 (names or 工号
separated by 、 , ; or spaces), 备注. Every row is checked as the form checks it; the import writes
all rows or none, and every problem names its sheet, row and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from app.errors import Problem, ValidationError
from app.importing.workbook import Table, code_text, date_value, read_tables
from app.progress import CancelCheck, Progress
from app.queries.roster import list_pupils, list_teachers
from app.records.prep import session_row
from app.records.visits import visit_row
from app.validation.text import clean, clean_code

VISIT_SYNONYMS = {"student_no": ["学籍号", "全国学籍号", "学号"], "pupil": ["学生姓名", "学生", "姓名"],
                  "class": ["班级", "班别"], "teacher": ["家访教师", "教师", "家访人"], "date": ["日期", "家访日期", "时间"],
                  "way": ["方式", "家访方式", "形式"], "notes": ["情况记录", "家访情况", "内容", "备注"]}
SESSION_SYNONYMS = {"group_name": ["教研组", "备课组", "学科组"], "date": ["日期", "备课日期", "时间"],
                    "lead": ["主备人", "主备教师", "中心发言人"], "topic": ["主题", "备课主题", "内容", "课题"],
                    "attendees": ["参加教师", "参加人员", "参与教师"], "notes": ["备注", "说明"]}
_SEPARATORS = re.compile(r"[、,,;;\s]+")


@dataclass
class RecordsPlan:
    """What an import would write: the checked rows, and every problem and warning."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _teacher_finder(db: Database, school_id: str):
    teachers = [t for t in list_teachers(db, school_id) if t["active"]]
    by_no = {clean_code(t["staff_no"]): t["id"] for t in teachers}
    by_name: dict[str, list[str]] = {}
    for teacher in teachers:
        by_name.setdefault(clean(teacher["name"]), []).append(teacher["id"])

    def find(text: str) -> tuple[str | None, str | None]:
        if clean_code(text) in by_no:
            return by_no[clean_code(text)], None
        found = by_name.get(text, [])
        if len(found) == 1:
            return found[0], None
        if found:
            return None, f"本校有 {len(found)} 位在岗教师叫“{text}”,请改写工号。"
        return None, f"本校在岗教师中没有“{text}”(也不是工号)。"

    return find


def _locate(plan: RecordsPlan, table: Table, row: int, problems: list[Problem], fields: dict[str, str]) -> None:
    """Add `problems` of one row to the plan, each in the column of the field it is about."""
    for problem in problems:
        key = fields.get(problem.field or "", problem.field or "")
        plan.problems.append(Problem(problem.message, sheet=table.sheet, row=row, column=table.column(key)))


def _checked(check, db: Database, values: dict, local: list[Problem], fields: dict[str, str]) -> dict | None:
    """Return check(db, values) when the row has no problem at all, else None; the check's problems
    about fields not already found wrong while reading the row are added to `local`."""
    try:
        row = check(db, values)
    except ValidationError as exc:
        seen = {p.field for p in local}
        local += [p for p in exc.problems if fields.get(p.field or "", p.field) not in seen]
        return None
    return None if local else row


def read_visits(db: Database, path: str | Path, school_id: str, progress: Progress | None = None,
                cancelled: CancelCheck | None = None) -> RecordsPlan:
    """Read a 家访记录 workbook for `school_id` and return the plan (nothing is written).
    Raises NotAWorkbook, FileNotFoundError, Cancelled."""
    tables = read_tables(path, VISIT_SYNONYMS, required=("teacher", "date", "way"), progress=progress,
                         cancelled=cancelled)
    plan = RecordsPlan(problems=list(tables.problems), warnings=list(tables.warnings))
    pupils = list_pupils(db, school_id)
    by_no = {p["student_no"]: p for p in pupils}
    by_name: dict[str, list[dict]] = {}
    for pupil in pupils:
        by_name.setdefault(pupil["name"], []).append(pupil)
    find_teacher = _teacher_finder(db, school_id)
    for table in tables.tables:
        if not table.has("student_no") and not table.has("pupil"):
            plan.problems.append(Problem("表头缺少“学籍号”或“学生姓名”列。", sheet=table.sheet, row=table.header_row))
            continue
        for data in table.rows:
            v = data.values
            local: list[Problem] = [Problem(m, field=f) for f, m in (data.bad_text or {}).items()]
            pupil = None
            number = code_text(v.get("student_no")) if v.get("student_no") is not None else ""
            name = clean(v.get("pupil"))
            if number:
                pupil = by_no.get(number)
                if pupil is None:
                    local.append(Problem(f"本校没有学籍号为“{number}”的学生。", field="student_no"))
            elif name:
                found = [p for p in by_name.get(name, []) if not v.get("class") or p["class_name"] == clean(v["class"])]
                if len(found) == 1:
                    pupil = found[0]
                else:
                    local.append(Problem(f"本校有 {len(found)} 名学生叫“{name}”,请写学籍号或班级。" if found
                                         else f"本校没有叫“{name}”的学生。", field="pupil"))
            else:
                local.append(Problem("请写学生的学籍号或姓名。", field="student_no" if table.has("student_no") else "pupil"))
            teacher_id, reason = find_teacher(clean(v.get("teacher"))) if clean(v.get("teacher")) else (None, "请写家访教师。")
            if reason:
                local.append(Problem(reason, field="teacher"))
            fields = {"pupil_id": "student_no" if table.has("student_no") else "pupil", "teacher_id": "teacher"}
            row = _checked(visit_row, db, {"pupil_id": pupil["id"] if pupil else None, "teacher_id": teacher_id,
                                           "date": date_value(v.get("date")), "way": v.get("way"),
                                           "notes": v.get("notes")}, local, fields)
            if row is not None:
                plan.rows.append(row)
            _locate(plan, table, data.row, local, fields)
    return plan


def read_sessions(db: Database, path: str | Path, school_id: str, progress: Progress | None = None,
                  cancelled: CancelCheck | None = None) -> RecordsPlan:
    """Read a 集体备课记录 workbook for `school_id` and return the plan (nothing is written).
    Raises NotAWorkbook, FileNotFoundError, Cancelled."""
    tables = read_tables(path, SESSION_SYNONYMS, required=("group_name", "date", "lead", "topic"),
                         progress=progress, cancelled=cancelled)
    plan = RecordsPlan(problems=list(tables.problems), warnings=list(tables.warnings))
    find_teacher = _teacher_finder(db, school_id)
    for table in tables.tables:
        for data in table.rows:
            v = data.values
            local: list[Problem] = [Problem(m, field=f) for f, m in (data.bad_text or {}).items()]
            lead_id, reason = find_teacher(clean(v.get("lead"))) if clean(v.get("lead")) else (None, "请写主备人。")
            if reason:
                local.append(Problem(reason, field="lead"))
            attendees = []
            for part in filter(None, _SEPARATORS.split(clean(v.get("attendees")))):
                teacher_id, reason = find_teacher(part)
                if reason:
                    local.append(Problem(reason, field="attendees"))
                attendees.append(teacher_id)
            fields = {"lead_id": "lead", "attendee_ids": "attendees"}
            row = _checked(session_row, db, {"group_name": v.get("group_name"), "date": date_value(v.get("date")),
                                             "lead_id": lead_id, "topic": v.get("topic"),
                                             "attendee_ids": [a for a in attendees if a], "notes": v.get("notes")},
                           local, fields)
            if row is not None:
                plan.rows.append(row)
            _locate(plan, table, data.row, local, fields)
    return plan
