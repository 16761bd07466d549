"""Importing the teacher list (教职工名册) from Excel/CSV: same shape as the roster import.

`read_teachers` reads and checks the file and writes nothing; `apply_teachers` writes the plan in
one transaction, every teacher and every changed list (subjects, roles, titles, sites) audited.
Only the categories the database records are imported: roles 校长 … 班主任, titles 骨干 and
学科带头人. Professional ranks (一级教师, 高级教师 …) are left out silently because they are not
titles; other words the program does not know are left out with a warning.
For a teacher already in the database (same school and 工号) an empty cell keeps what is stored.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import partial
from dataclasses import dataclass, field
from typing import ClassVar

from sqlite_utils import Database

from app.db.writes import Actor, insert_row, set_links, update_row
from app.errors import Problem, invalid
from app.importing.plan import ImportPlan, PlannedRow, column_of, each_row, school_known, start_row
from app.importing.target_school import SchoolResolver
from app.importing.workbook import (CellError, DataRow, RowCheck, Table, code_text, read_tables,
                                    month_or_date, sort_problems)
from app.progress import CancelCheck, Progress, scaled
from app.services.permissions import require_roster_write
from app.services.subjects import SubjectIndex
from app.services.teachers import ROLES, check_teacher, split_list, teacher_links
from app.validation.classnames import parse_class
from app.validation.idcard import birth_date_of, gender_of, id_problem
from app.validation.text import clean, parse_flag

TEACHER_HEADERS: dict[str, list[str]] = {
    "staff_no": ["工号", "教师编号", "编号", "职工号", "教职工号", "教工号", "人员编号"],
    "name": ["姓名", "教师姓名"],
    "gender": ["性别"],
    "birth_date": ["出生日期", "出生年月"],
    "hire_date": ["参加工作时间", "入职日期", "参加工作日期", "参加工作年月", "工作时间"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码", "联系方式"],
    "subjects": ["任教学科", "学科", "任教科目", "所教学科", "任课学科", "科目"],
    "roles": ["职务", "行政职务", "担任职务"],
    "titles": ["称号", "荣誉称号", "骨干类别"],
    "rank": ["职称", "专业技术职务", "职称等级"],
    "head_teacher": ["是否班主任", "班主任"],
    "sites": ["走教学校", "走教", "走教学点"],
    "id_number": ["身份证件号", "身份证号", "身份证号码", "证件号码"],
    "school": ["学校", "学校名称", "学校代码", "所在学校"],
}
REQUIRED = ("staff_no", "name")
FIELDS = ("staff_no", "name", "gender", "birth_date", "hire_date", "phone", "active")
_LISTS = ("subjects", "roles", "titles", "sites")
_ROLE_WORDS = {"教务主任": "教导主任", "教导处主任": "教导主任", "教务处主任": "教导主任",
               # 000 篇1 gives 教导处正副主任 one observation quota: a deputy counts as 教导主任.
               "副教导主任": "教导主任", "教导处副主任": "教导主任", "教务处副主任": "教导主任",
               "执行校长": "副校长", "中层干部": "中层", "主任": "中层",
               "教研组组长": "教研组长", "年级组组长": "年级组长"}
_RANK = re.compile(r"^(小学|中学|中小学)?(正高级|高级|一级|二级|三级|中级|初级)(教师)?$|未定|见习|试用")
_SUBJECT_PREFIX = re.compile(r"^(小学|初中|中学)")
_SUBJECT_SUFFIX = re.compile(r"(教师|老师)$")


@dataclass
class PlannedTeacher(PlannedRow):
    """One data row and what importing it would do (see PlannedRow); `values` hold the lists as
    names (subjects, roles, titles, sites), `links` the ids to store."""

    ID_FIELD: ClassVar[str] = "teacher_id"
    teacher_id: str | None = None
    links: dict = field(default_factory=dict)


@dataclass
class TeacherPlan(ImportPlan):
    """What importing a teacher file would do, and every problem that stops it."""


def read_teachers(db: Database, path, *, school_id: str | None = None, progress: Progress | None = None,
                  cancelled: CancelCheck | None = None) -> TeacherPlan:
    """Read and check a teacher list (.xlsx, .xlsm or .csv); write nothing.

    The school of each row comes from `school_id`, a 学校 column, the sheet's name, or the
    database's only school. Returns a TeacherPlan whose problems are empty when everything can be
    imported. Raises NotAWorkbook, NotFound (unknown `school_id`), Cancelled, FileNotFoundError.
    """
    resolver = SchoolResolver(db, school_id)
    read_progress = scaled(progress, 0, 0.8)
    tables = read_tables(path, TEACHER_HEADERS, required=REQUIRED, progress=read_progress, cancelled=cancelled)
    plan = TeacherPlan(rows=[], problems=list(tables.problems), warnings=list(tables.warnings))
    planner = _Planner(db, plan, resolver)
    for table, row in each_row(tables.tables, plan.warnings, start_table=partial(school_known, resolver, plan),
                               progress=progress, cancelled=cancelled, start=0.8):
        planner.plan_row(table, row)
    plan.warnings.extend(resolver.warnings())
    sheets = [r.sheet for r in plan.rows]
    sort_problems(plan.problems, sheets)
    sort_problems(plan.warnings, sheets)
    if progress is not None:
        progress(1.0, "检查完毕")
    return plan


class _Planner:
    def __init__(self, db: Database, plan: TeacherPlan, resolver: SchoolResolver):
        self.db, self.plan, self.resolver = db, plan, resolver
        self.subjects = SubjectIndex.load(db)
        self.subject_names = {s["id"]: s["name"] for s in db.query("SELECT id, name FROM subject")}
        self.existing = {(r["school_id"], r["staff_no"]): dict(r) for r in db.query("SELECT * FROM teacher")}
        self.seen: dict[tuple[str | None, str], PlannedTeacher] = {}
        self.links: dict[str, dict] = {}
        self.notes: list[tuple[str, str]] = []

    def plan_row(self, table: Table, row: DataRow) -> None:
        self.notes = []
        planned = PlannedTeacher(sheet=row.sheet, row=row.row, action="add", values={})
        check = start_row(self.resolver, table, row, planned)
        school_id = planned.school_id
        try:
            staff_no = code_text(row.values.get("staff_no"))
        except CellError as exc:
            check.add("staff_no", f"{exc}。")
            staff_no = ""
        existing = self.existing.get((school_id, staff_no)) if school_id and staff_no else None
        merged = self._current(existing) if existing else {}
        merged |= self._given(check, row.values, staff_no, merged)
        if school_id is not None:
            values, links, problems = check_teacher(self.db, school_id, merged, existing["id"] if existing else None,
                                                    subjects=self.subjects)
            for p in problems:
                if p.field not in check.failed:
                    check.add(_column_of(p.field, table), p.message, p.field)
        else:
            values, links = {"staff_no": staff_no, "name": clean(row.values.get("name"))}, {}
        planned.links = links
        planned.values = {**values, **self._names(links)}
        if existing:
            planned.teacher_id = existing["id"]
            planned.changes = self._changes(existing, values, links)
            planned.action = "update" if planned.changes else "unchanged"
        if staff_no:
            first = self.seen.get((school_id, staff_no))
            if first is None:
                self.seen[(school_id, staff_no)] = planned
            else:
                check.add("staff_no", f"工号“{staff_no}”与工作表“{first.sheet}”第 {first.row} 行重复。")
                first.ok = False
                self.plan.problems.append(Problem(
                    f"工号“{staff_no}”与工作表“{planned.sheet}”第 {planned.row} 行重复。", sheet=first.sheet,
                    row=first.row, column=table.column("staff_no"), field="staff_no"))
        self.plan.warnings.extend(check.warning(*note) for note in self.notes)
        planned.ok = not check.problems
        self.plan.problems.extend(check.problems)
        self.plan.rows.append(planned)

    def _current(self, existing: dict) -> dict:
        """Return a stored teacher as check_teacher input (lists by name)."""
        links = self.links[existing["id"]] = teacher_links(self.db, existing["id"])
        return {**{k: existing[k] for k in FIELDS}, "subjects": links["subjects"], "roles": links["roles"],
                "titles": links["titles"], "sites": links["site_ids"]}

    def _given(self, check: RowCheck, raw: dict, staff_no: str, current: dict) -> dict:
        """Return the teacher fields whose cells are filled, ready for check_teacher."""
        given: dict = {"staff_no": staff_no}
        for key in ("name", "gender", "phone"):
            if raw.get(key) is not None:
                given[key] = raw[key]
        if isinstance(given.get("gender"), str):
            given["gender"] = {"男性": "男", "女性": "女"}.get(clean(given["gender"]), given["gender"])
        id_number = None
        if raw.get("id_number") is not None:
            try:
                id_number = code_text(raw["id_number"])
            except CellError as exc:
                check.add("id_number", f"{exc}。")
            else:
                reason = id_problem(id_number)
                if reason:
                    check.add("id_number", reason + "。")
                    id_number = None
        if id_number and "gender" not in given and not current.get("gender"):
            given["gender"] = gender_of(id_number)
        for key, label in (("birth_date", "出生日期"), ("hire_date", "参加工作时间")):
            value = self._date(check, key, label, raw.get(key), id_number)
            if value is not None:
                given[key] = value
        if id_number and "birth_date" not in given and not current.get("birth_date"):
            given["birth_date"] = birth_date_of(id_number)
        if raw.get("subjects") is not None:
            given["subjects"] = [_SUBJECT_SUFFIX.sub("", _SUBJECT_PREFIX.sub("", s)) or s
                                 for s in split_list(raw["subjects"])]
        roles = self._roles(check, raw.get("roles"), raw.get("head_teacher"), current.get("roles") or [])
        if roles is not None:
            given["roles"] = roles
        titles = self._titles(check, raw.get("titles"), raw.get("rank"), current.get("titles") or [])
        if titles is not None:
            given["titles"] = titles
        sites = self._sites(check, raw.get("sites"))
        if sites is not None:
            given["sites"] = sites
        return given

    def _date(self, check: RowCheck, key: str, label: str, cell: object, id_number: str | None) -> object:
        """Return a date cell for check_teacher; a month-only date (常见于 参加工作时间) means its 1st."""
        if cell is None:
            return None
        value, month_only = month_or_date(
            cell, lambda: birth_date_of(id_number) if key == "birth_date" and id_number else None)
        if month_only is None:
            return value
        year, months = month_only
        if len(months) > 1:
            check.add(key, f"{label}“{clean(value)}”可能是 {year} 年 1 月,也可能是 10 月(Excel 会把 {year}.10 存成 "
                      f"{year}.1)。请把这一列设为文本格式,写成 {year}-10 这样的形式。")
            return None
        day = dt.date(year, months[0], 1)
        if key == "birth_date":
            self.notes.append((key, f"出生日期“{clean(value)}”只有年和月,已记为 {day.isoformat()}。"))
        return day

    def _roles(self, check: RowCheck, cell: object, head_cell: object, current: list[str]) -> list[str] | None:
        """Return the roles from 职务 and 是否班主任, or None when both cells are empty."""
        if cell is None and head_cell is None:
            return None
        roles = [r for r in current if r != "班主任"] if cell is None else []
        for item in split_list(cell) if cell is not None else []:
            role = _ROLE_WORDS.get(item, item)
            if role not in ROLES and role.endswith("主任"):
                role = "中层"
            if role in ROLES:
                roles.append(role)
            else:
                self.notes.append(("roles", f"职务“{item}”不在系统记录的职务({' / '.join(ROLES)})之中,已略去。"))
        head = "班主任" in current if head_cell is None else self._flag(check, head_cell)
        if head or "班主任" in roles:
            roles.append("班主任")
        return sorted(set(roles), key=ROLES.index)

    def _flag(self, check: RowCheck, cell: object) -> bool:
        try:
            return parse_flag(cell)
        except ValueError:
            if parse_class(cell) is not None:
                return True
            check.add("head_teacher", f"“{check.table.column('head_teacher')}”应填“是”或“否”,这里是“{clean(cell)}”。",
                      "roles")
            return False

    def _titles(self, check: RowCheck, cell: object, rank_cell: object, current: list[str]) -> list[str] | None:
        """Return 骨干 / 学科带头人 found in the 称号 and 职称 cells, or None when both are empty."""
        if cell is None and rank_cell is None:
            return None
        titles: list[str] = []
        for file_field, value in (("titles", cell), ("rank", rank_cell)):
            for item in split_list(value) if value is not None else []:
                if "学科带头人" in item:
                    titles.append("学科带头人")
                elif "骨干" in item:
                    titles.append("骨干")
                elif not _RANK.search(item):
                    self.notes.append((file_field, f"“{item}”不是系统记录的称号(骨干 / 学科带头人),已略去。"))
        return sorted(set(titles))

    def _sites(self, check: RowCheck, cell: object) -> list[str] | None:
        """Return the 走教 schools named in the cell, [] for 否, None when the cell is empty."""
        if cell is None:
            return None
        try:
            if not parse_flag(cell):
                return []
            self.notes.append(("sites", "“走教”只写了“是”,没有写走教哪所学校,未记录走教学校。请写学校名称。"))
            return None
        except ValueError:
            return [self.resolver.find(item) or item for item in split_list(cell)]

    def _names(self, links: dict) -> dict:
        schools = self.resolver.schools
        return {"subjects": [self.subject_names.get(s, s) for s in links.get("subjects", [])],
                "roles": list(links.get("roles", [])), "titles": list(links.get("titles", [])),
                "sites": [schools[s]["name"] if s in schools else s for s in links.get("sites", [])]}

    def _changes(self, existing: dict, values: dict, links: dict) -> dict:
        changes = {k: [existing[k], values[k]] for k in FIELDS if k in values and existing[k] != values[k]}
        current = self.links[existing["id"]]
        old = {"subjects": current["subject_ids"], "roles": current["roles"], "titles": current["titles"],
               "sites": current["site_ids"]}
        for key in _LISTS:
            if sorted(old[key]) != sorted(set(links.get(key, []))):
                changes[key] = [self._names({key: old[key]})[key], self._names({key: links.get(key, [])})[key]]
        return changes


_COLUMN_OF_FIELD = {"roles": ("roles", "head_teacher"), "titles": ("titles", "rank"),
                    "gender": ("gender", "id_number"), "birth_date": ("birth_date", "id_number")}


def _column_of(field_name: str | None, table: Table) -> str | None:
    return column_of(field_name, table, _COLUMN_OF_FIELD)


def apply_teachers(db: Database, actor: Actor, plan: TeacherPlan, *, accept_valid_rows: bool = False,
                   progress: Progress | None = None) -> dict:
    """Write a checked teacher plan in one transaction, every added or changed teacher audited.

    Writes only when the plan has no problem, or with accept_valid_rows=True only the rows
    without problems. Returns {"add", "update", "unchanged", "skipped"}: what was written.
    Raises ValidationError (nothing written) when refused or when the database changed since the
    file was read; PermissionDenied.
    """
    rows, todo = plan.rows_to_write(accept_valid_rows)
    for school_id in sorted({r.school_id for r in todo}):
        require_roster_write(actor, school_id)
    with db.atomic():
        for done, planned in enumerate(todo, start=1):
            values = {k: v for k, v in planned.values.items() if k in FIELDS}
            if planned.action == "add":
                if db.execute("SELECT 1 FROM teacher WHERE school_id = ? AND staff_no = ?",
                              [planned.school_id, values["staff_no"]]).fetchone():
                    raise invalid(f"读取文件之后,工号“{values['staff_no']}”的教师已被其他人添加到数据库。"
                                  "请重新读取文件后再导入(本次未写入任何数据)。")
                teacher_id = insert_row(db, actor, "teacher", {"school_id": planned.school_id, **values})
            else:
                teacher_id = planned.teacher_id
                update_row(db, actor, "teacher", teacher_id, values)
            for table, column, key in (("teacher_subject", "subject_id", "subjects"), ("teacher_role", "role", "roles"),
                                       ("teacher_title", "title", "titles"), ("teacher_site", "school_id", "sites")):
                set_links(db, actor, table, "teacher_id", teacher_id, column, planned.links.get(key, []),
                          planned.school_id)
            if progress is not None:
                progress(done / len(todo), f"已写入 {done} 名教师")
    return plan.written(rows, todo)
