"""Importing tutoring records and 双困生 flags from the sheets teachers keep (.xlsx/.xls/.ods/.csv).

A sheet of tutoring records has the columns 日期, 教师 (name or 工号), 学生 (names or 学籍号, several
separated by 、 , ; or spaces), 学科 (optional), 时长(分钟), 辅导内容 and 效果 (optional); a 班级 column
tells pupils of one name apart. A sheet of 双困生 has 学生, 类型 (行为 / 家庭 / 行为和家庭), 原因 and 日期.
Both may be sheets of one workbook. Every row is checked as the window checks it, including whether
the account may record it; nothing is written unless every row is accepted, and every problem names
its sheet, row and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from app.db.writes import Actor, insert_row
from app.errors import PermissionDenied, Problem
from app.importing.workbook import DataRow, RowCheck, Table, read_tables, sort_problems
from app.services.schools import current_term
from app.support.records import (difficulty_values, require_support_write, require_tutoring_permission,
                                 tutoring_values, write_tutoring)
from app.validation.text import clean, clean_code

SYNONYMS = {
    "date": ("日期", "辅导日期", "认定日期", "时间"),
    "teacher": ("教师", "辅导教师", "老师", "教师姓名", "工号"),
    "pupils": ("学生", "辅导学生", "学生姓名", "姓名", "学籍号"),
    "class": ("班级", "班别"),
    "subject": ("学科", "科目", "辅导学科"),
    "minutes": ("时长(分钟)", "时长", "分钟", "辅导时长", "用时"),
    "content": ("辅导内容", "内容", "做了什么"),
    "outcome": ("效果", "辅导效果", "效果说明", "结果"),
    "kind": ("类型", "困难类型", "双困类型"),
    "reason": ("原因", "认定原因", "情况说明"),
}
_SPLIT = re.compile(r"[、,，;；/\s]+")
# The field of a checked value → the file's field its problem belongs to.
_TUTORING_FIELDS = {"teacher_id": "teacher", "pupil_ids": "pupils", "date": "date", "subject_id": "subject",
                    "minutes": "minutes", "content": "content", "outcome": "outcome"}
_DIFFICULTY_FIELDS = {"pupil_id": "pupils", "kind": "kind", "reason": "reason", "date": "date"}


@dataclass
class SupportImport:
    """What an import would write (tutoring sessions, 双困生 flags) and every problem found."""

    tutoring: list[tuple[dict, list[str]]] = field(default_factory=list)
    difficulties: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    written: bool = False

    def summary(self) -> dict:
        """Return the counts: tutoring sessions, pupils in them, minutes, 双困生 flags."""
        return {"tutoring": len(self.tutoring), "tutoring_pupils": sum(len(p) for _, p in self.tutoring),
                "minutes": sum(r["minutes"] for r, _ in self.tutoring), "difficulties": len(self.difficulties)}

    def to_dict(self) -> dict:
        """Return the import as plain data (for --json): the counts (summary), whether it was written,
        the problems and the warnings."""
        return {**self.summary(), "written": self.written, "problems": [p.to_dict() for p in self.problems],
                "warnings": [p.to_dict() for p in self.warnings]}


class _Finder:
    """Teachers, subjects and pupils of one school, found by what people write."""

    def __init__(self, db: Database, school_id: str):
        self.teachers = [dict(r) for r in db.query("SELECT id, staff_no, name FROM teacher WHERE school_id = ?",
                                                   [school_id])]
        self.subjects: dict[str, str] = {}
        for r in db.query("SELECT id, name, aliases FROM subject ORDER BY sort_order"):
            for word in [r["name"], *(r["aliases"] or "").split(",")]:
                if word:
                    self.subjects.setdefault(clean(word), r["id"])
        self.pupils = [dict(r) for r in db.query(
            "SELECT p.id, p.student_no, p.name, c.name AS class_name FROM pupil p LEFT JOIN class c"
            " ON c.id = p.class_id WHERE p.school_id = ? AND p.status IN ('在读', '转入')", [school_id])]

    def teacher(self, text: str) -> tuple[str | None, str | None]:
        found = [t for t in self.teachers if clean_code(t["staff_no"]) == text.upper()] or \
            [t for t in self.teachers if clean(t["name"]) == text]
        if len(found) == 1:
            return found[0]["id"], None
        if found:
            return None, f"本校有 {len(found)} 位教师叫“{text}”,请改写工号。"
        return None, f"本校没有叫“{text}”的教师(也不是工号)。"

    def pupil(self, text: str, class_name: str) -> tuple[str | None, str | None]:
        found = [p for p in self.pupils if clean_code(p["student_no"]) == text.upper()] or \
            [p for p in self.pupils if clean(p["name"]) == text]
        if len(found) > 1 and class_name:
            found = [p for p in found if clean(p["class_name"]) == class_name]
        if len(found) == 1:
            return found[0]["id"], None
        if found:
            return None, f"本校在读学生中有 {len(found)} 人叫“{text}”,请写学籍号或填写班级。"
        return None, f"本校在读学生中没有“{text}”(姓名或学籍号)。"


def _value(row: DataRow, key: str) -> object:
    value = row.values.get(key)
    return value.strip() if isinstance(value, str) else value


def _locate(check: RowCheck, problems: list[Problem], fields: dict[str, str]) -> None:
    for problem in problems:
        check.add(fields.get(problem.field or "", None), problem.message, problem.field)


def _tutoring_row(db: Database, actor: Actor, finder: _Finder, table: Table, row: DataRow,
                  plan: SupportImport) -> None:
    check = RowCheck(table, row)
    teacher_id, why = finder.teacher(clean(_value(row, "teacher")))
    if why:
        check.add("teacher", why)
    pupil_ids = []
    for name in filter(None, _SPLIT.split(str(_value(row, "pupils") or ""))):
        pupil_id, why = finder.pupil(clean(name), clean(_value(row, "class")))
        if why:
            check.add("pupils", why)
        pupil_ids.append(pupil_id)
    subject_id = None
    if subject := clean(_value(row, "subject")):
        subject_id = finder.subjects.get(subject)
        if subject_id is None:
            check.add("subject", f"没有“{subject}”这个学科。")
    if check.problems:
        plan.problems += check.problems
        return
    values, ids, problems = tutoring_values(db, {
        "teacher_id": teacher_id, "pupil_ids": pupil_ids, "date": _value(row, "date"), "subject_id": subject_id,
        "minutes": _value(row, "minutes"), "content": _value(row, "content"), "outcome": _value(row, "outcome")})
    _locate(check, problems, _TUTORING_FIELDS)
    if not problems:
        try:
            require_tutoring_permission(db, actor, values, ids)
        except PermissionDenied as exc:
            check.add("teacher", str(exc))
    plan.problems += check.problems
    if not check.problems:
        plan.tutoring.append((values, ids))


def _difficulty_row(db: Database, actor: Actor, finder: _Finder, table: Table, row: DataRow,
                    plan: SupportImport, seen: set[tuple[str, str]]) -> None:
    check = RowCheck(table, row)
    pupil_id, why = finder.pupil(clean(_value(row, "pupils")), clean(_value(row, "class")))
    if why:
        check.add("pupils", why)
        plan.problems += check.problems
        return
    values, problems = difficulty_values(db, {"pupil_id": pupil_id, "kind": _value(row, "kind"),
                                              "reason": _value(row, "reason"), "date": _value(row, "date")})
    _locate(check, problems, _DIFFICULTY_FIELDS)
    if not problems:
        key = (values["pupil_id"], values["term_id"])
        if key in seen:
            check.add("pupils", "同一学生同一学期在表中出现了两次。")
        seen.add(key)
        class_id = db.execute("SELECT class_id FROM pupil WHERE id = ?", [pupil_id]).fetchone()[0]
        try:
            require_support_write(db, actor, values["school_id"], values["term_id"], class_ids=[class_id],
                                  head_too=True)
        except PermissionDenied as exc:
            check.add("pupils", str(exc))
    plan.problems += check.problems
    if not check.problems:
        plan.difficulties.append(values)


def import_support(db: Database, actor: Actor, path: str | Path, school_id: str, *,
                   dry_run: bool = False) -> SupportImport:
    """Read tutoring records and 双困生 flags of `school_id` from `path` and, unless `dry_run` or
    anything is refused, write them all in one transaction (audited). Returns the SupportImport
    (written tells whether anything was written). Raises PermissionDenied (an account of another
    school, or one that records no support), NotAWorkbook, FileTooLarge, FileNotFoundError."""
    require_support_write(db, actor, school_id, current_term(db)["id"])
    tables = read_tables(path, SYNONYMS, min_matches=3)
    plan = SupportImport(problems=list(tables.problems), warnings=list(tables.warnings))
    finder = _Finder(db, school_id)
    seen: set[tuple[str, str]] = set()
    for table in tables.tables:
        needed: tuple[str, ...]
        if table.has("content"):
            handler, needed = "tutoring", ("date", "teacher", "pupils", "minutes", "content")
        elif table.has("reason"):
            handler, needed = "difficulty", ("pupils", "kind", "reason", "date")
        else:
            plan.problems.append(Problem("看不出这是辅导记录(需要“辅导内容”列)还是双困生名单(需要“原因”列)。",
                                         sheet=table.sheet, row=table.header_row))
            continue
        missing = [SYNONYMS[f][0] for f in needed if not table.has(f)]
        if missing:
            plan.problems.append(Problem(f"表头缺少“{'”“'.join(missing)}”列。", sheet=table.sheet,
                                         row=table.header_row, code="missing_column"))
            continue
        for row in table.rows:
            if handler == "tutoring":
                _tutoring_row(db, actor, finder, table, row, plan)
            else:
                _difficulty_row(db, actor, finder, table, row, plan, seen)
    sort_problems(plan.problems, [t.sheet for t in tables.tables])
    if plan.problems or dry_run or not (plan.tutoring or plan.difficulties):
        return plan
    with db.atomic():
        for values, ids in plan.tutoring:
            write_tutoring(db, actor, values, ids)
        for values in plan.difficulties:
            insert_row(db, actor, "pupil_difficulty", values)
    plan.written = True
    return plan
