"""Importing the pupil roster from the Excel/CSV lists schools really keep.

`read_roster` reads and checks the whole file and writes nothing: every row becomes a planned
add, update or unchanged pupil, and every problem names its sheet, row and column.
`apply_roster` then writes the plan in one transaction, each pupil audited, and only when the
whole file is valid or the user explicitly chose to import the rows without problems.

For a pupil already in the database (same school and 学籍号) an empty cell keeps what is stored,
so a list with fewer columns never erases data; a filled cell replaces it.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from functools import partial
from dataclasses import dataclass, field
from typing import ClassVar

from sqlite_utils import Database

from app.db.writes import Actor, insert_row, update_row
from app.errors import Problem, invalid
from app.importing.plan import ImportPlan, PlannedRow, column_of, each_row, school_known, start_row
from app.importing.target_school import SchoolResolver
from app.importing.workbook import (CellError, DataRow, RowCheck, Table, code_text, date_value, read_tables,
                                    month_or_date, sort_problems)
from app.progress import CancelCheck, Progress, scaled
from app.services.classes import create_class
from app.services.permissions import require_roster_write
from app.services.pupils import EDITABLE, check_pupil, g_number_birth_warning
from app.services.schools import current_term
from app.validation.classnames import class_name, name_key, parse_class, parse_grade
from app.validation.idcard import birth_date_of, id_problem
from app.validation.text import clean

ROSTER_HEADERS: dict[str, list[str]] = {
    "student_no": ["学籍号", "全国学籍号", "学生学籍号", "学籍编号", "学号"],
    "name": ["姓名", "学生姓名"],
    "gender": ["性别", "学生性别"],
    "birth_date": ["出生日期", "出生年月", "出生年月日", "生日"],
    "id_number": ["身份证件号", "身份证号", "身份证号码", "证件号码", "身份证件号码", "公民身份号码", "证件号"],
    "grade": ["年级", "年级名称", "所在年级"],
    "class": ["班级", "班别", "班级名称", "所在班级", "班"],
    "boarding": ["是否寄宿生", "寄宿", "是否寄宿", "寄宿生"],
    "left_behind": ["是否留守儿童", "留守", "留守儿童", "是否留守"],
    "migrant": ["是否随迁子女", "随迁", "随迁子女", "是否进城务工人员随迁子女"],
    "disabled": ["是否残疾", "残疾", "是否残疾人", "残疾人", "是否残疾儿童"],
    "pe_exempt": ["体育免修", "是否体育免修", "免修体育"],
    "status": ["学籍状态", "状态", "在校状态"],
    "status_date": ["状态日期", "变动日期", "异动日期"],
    "enrol_date": ["入学日期", "入学年月", "入学时间"],
    "school": ["学校", "学校名称", "学校代码", "学校标识码", "所在学校"],
}
REQUIRED = ("student_no", "name")
_FLAGS = ("boarding", "left_behind", "migrant", "disabled", "pe_exempt")
_GENDERS = {"男性": "男", "女性": "女"}
_STATUSES = {"在校": "在读", "在籍": "在读", "正常": "在读", "辍学": "流失"}


@dataclass
class PlannedPupil(PlannedRow):
    """One data row and what importing it would do (see PlannedRow); `values` also hold
    `class_name` for display, `changes` name the class, and `new_class` is the (grade, number)
    of a class importing creates for the pupil."""

    ID_FIELD: ClassVar[str] = "pupil_id"
    pupil_id: str | None = None
    new_class: tuple[int, int] | None = None


@dataclass
class RosterPlan(ImportPlan):
    """What importing a roster file would do, and every problem that stops it."""

    new_classes: list[str] = field(default_factory=list)
    academic_year_id: str = ""
    class_specs: dict[tuple[str, int, int], str] = field(default_factory=dict, repr=False)

    def extra_summary(self) -> dict:
        """Adds how many classes importing creates."""
        return {"new_classes": len(self.new_classes)}

    def extra_dict(self) -> dict:
        """Adds the names of the classes importing creates."""
        return {"new_classes": list(self.new_classes)}


class _Classes:
    """The classes of the current academic year of each school, looked up as people write them."""

    def __init__(self, db: Database, year_id: str):
        self.by_school: dict[str, list[dict]] = {}
        self._by_name: dict[tuple[str, str], dict] = {}
        self._by_number: dict[tuple[str, int, int], dict] = {}
        for row in db.query(
                "SELECT c.id, c.school_id, c.name, c.number,"
                " (SELECT group_concat(grade) FROM class_grade g WHERE g.class_id = c.id) AS grades"
                " FROM class c WHERE c.academic_year_id = ?", [year_id]):
            item = {**dict(row), "grades": sorted(int(g) for g in (row["grades"] or "").split(",") if g)}
            self.by_school.setdefault(row["school_id"], []).append(item)
            self._by_name[(row["school_id"], name_key(row["name"]))] = item
            if len(item["grades"]) == 1:
                self._by_number.setdefault((row["school_id"], item["grades"][0], row["number"]), item)
        self.names = {c["id"]: c["name"] for items in self.by_school.values() for c in items}

    def by_name(self, school_id: str, text: object) -> dict | None:
        return self._by_name.get((school_id, name_key(text)))

    def by_grade_number(self, school_id: str, grade: int, number: int) -> dict | None:
        found = self._by_number.get((school_id, grade, number))
        return found or self.by_name(school_id, class_name(grade, number))

    def multigrade(self, school_id: str, grade: int | None) -> dict | None:
        found = [c for c in self.by_school.get(school_id, [])
                 if len(c["grades"]) > 1 and (grade is None or grade in c["grades"])]
        return found[0] if len(found) == 1 else None


class _Pupils:
    """Every pupil of the database, by school and 学籍号, and by ID number."""

    def __init__(self, db: Database):
        columns = ", ".join(f"p.[{c}]" for c in EDITABLE)
        self.by_key: dict[tuple[str, str], dict] = {}
        self.by_no: dict[str, list[dict]] = {}
        self.by_id_number: dict[tuple[str, str], dict] = {}
        for row in db.query(f"SELECT p.id, p.school_id, {columns}, s.name AS school_name"
                            " FROM pupil p JOIN school s ON s.id = p.school_id"):
            row = dict(row)
            self.by_key[(row["school_id"], row["student_no"])] = row
            self.by_no.setdefault(row["student_no"], []).append(row)
            if row["id_number"]:
                self.by_id_number[(row["school_id"], row["id_number"])] = row


def read_roster(db: Database, path, *, school_id: str | None = None, progress: Progress | None = None,
                cancelled: CancelCheck | None = None) -> RosterPlan:
    """Read and check a roster file (.xlsx, .xlsm or .csv); write nothing.

    `school_id` names the school every row belongs to; without it, a township database takes
    each row's school from a 学校 column or from the sheet's name. Returns a RosterPlan whose
    problems are empty when the whole file can be imported. Raises NotAWorkbook for a file that
    is not a workbook, NotFound when `school_id` is unknown or no current term is set,
    Cancelled when `cancelled()` turns true, FileNotFoundError.
    """
    resolver = SchoolResolver(db, school_id)
    year_id = current_term(db)["academic_year_id"]
    read_progress = scaled(progress, 0, 0.6)
    tables = read_tables(path, ROSTER_HEADERS, required=REQUIRED, progress=read_progress, cancelled=cancelled)
    plan = RosterPlan(rows=[], problems=list(tables.problems), warnings=list(tables.warnings), new_classes=[],
                      academic_year_id=year_id)
    planner = _Planner(db, plan, resolver, year_id)
    for table, row in each_row(tables.tables, plan.warnings, start_table=partial(school_known, resolver, plan),
                               progress=progress, cancelled=cancelled, start=0.6):
        planner.plan_row(table, row)
    planner.finish()
    if progress is not None:
        progress(1.0, "检查完毕")
    return plan


class _Planner:
    """Turns data rows into planned pupils, keeping what is needed across rows (duplicates)."""

    def __init__(self, db: Database, plan: RosterPlan, resolver: SchoolResolver, year_id: str):
        self.db, self.plan, self.resolver = db, plan, resolver
        self.classes = _Classes(db, year_id)
        self.pupils = _Pupils(db)
        self.seen_no: dict[str, PlannedPupil] = {}
        self.seen_id: dict[str, PlannedPupil] = {}
        self.today = dt.date.today()

    def plan_row(self, table: Table, row: DataRow) -> None:
        raw = row.values
        planned = PlannedPupil(sheet=row.sheet, row=row.row, action="add", values={})
        check = start_row(self.resolver, table, row, planned)
        school_id = planned.school_id

        try:
            student_no = code_text(raw.get("student_no"))
        except CellError as exc:
            check.add("student_no", f"{exc}。")
            student_no = ""
        try:
            id_number = code_text(raw.get("id_number")) or None
        except CellError as exc:
            check.add("id_number", f"{exc}。")
            id_number = None

        existing = self.pupils.by_key.get((school_id, student_no)) if school_id and student_no else None
        if student_no and school_id:
            self._elsewhere(check, student_no, school_id)
        given = self._given(check, raw, student_no, id_number, existing)
        if school_id is not None:
            self._class(check, raw, school_id, given, planned, existing)
            merged = {k: existing[k] for k in EDITABLE} if existing else {}
            if existing and "status" in given and given["status"] != existing["status"] \
                    and "status_date" not in given:
                merged["status_date"] = None
            merged |= given
            values, problems = check_pupil(self.db, school_id, merged, existing["id"] if existing else None,
                                           today=self.today)
            for p in problems:
                if p.field not in check.failed:
                    check.add(_column_of(p.field, table), p.message, p.field)
            birth_warning = g_number_birth_warning(values) if "birth_date" in given else None
            if birth_warning and not check.problems:
                self.plan.warnings.append(check.warning("birth_date", birth_warning))
        else:
            values = {"student_no": student_no, "name": clean(raw.get("name"))}
        values["class_name"] = self._class_label(values.get("class_id"), planned)
        planned.values = values
        if existing:
            planned.pupil_id = existing["id"]
            planned.changes = self._changes(existing, values, planned)
            planned.action = "update" if planned.changes else "unchanged"
            if values.get("name") and values["name"] != existing["name"]:
                self.plan.warnings.append(check.warning(
                    "name", f"学籍号“{student_no}”在数据库中是“{existing['name']}”,表中姓名为“{values['name']}”,"
                    "导入后将改名。如果学籍号填错了,请改正后再导入。"))
        self._duplicates(check, table, planned, student_no, values.get("id_number"), school_id)
        planned.ok = not check.problems
        self.plan.problems.extend(check.problems)
        self.plan.rows.append(planned)

    def _elsewhere(self, check: RowCheck, student_no: str, school_id: str) -> None:
        """A 学籍号 of a pupil still at another school of the database is a problem."""
        for other in self.pupils.by_no.get(student_no, []):
            if other["school_id"] != school_id and other["status"] not in ("转出", "流失"):
                check.add("student_no", f"学籍号“{student_no}”已属于“{other['school_name']}”的学生“{other['name']}”。"
                          "学籍号全国唯一;如果该生已转学,请先在原学校办理转出,或核对学籍号是否填错。")
                return

    def _given(self, check: RowCheck, raw: dict, student_no: str, id_number: str | None,
               existing: dict | None) -> dict:
        """Return the pupil fields whose cells are filled, ready for check_pupil."""
        given: dict = {"student_no": student_no}
        for key in ("name", "gender", *_FLAGS, "status", "status_date", "enrol_date"):
            value = raw.get(key)
            if value is None:
                continue
            if key == "gender":
                value = _GENDERS.get(clean(value), value)
            elif key == "status":
                value = _STATUSES.get(clean(value), value)
            elif key.endswith("_date"):
                value = date_value(value)
            given[key] = value
        if id_number is not None:
            given["id_number"] = id_number
        birth = self._birth(check, raw.get("birth_date"), id_number, existing)
        if birth is not None:
            given["birth_date"] = birth
        return given

    def _birth(self, check: RowCheck, cell: object, id_number: str | None, existing: dict | None) -> object:
        """Return the birth date to check: a month-only 出生年月 takes the day from the ID number
        (or the stored date) when they agree; otherwise it is a problem."""
        if cell is None:
            return None

        def known() -> dt.date | None:
            if id_number and id_problem(id_number) is None:
                return birth_date_of(id_number)
            if existing and existing["birth_date"]:
                return dt.date.fromisoformat(existing["birth_date"])
            return None

        value, month_only = month_or_date(cell, known)
        if month_only is None:
            return value
        check.add("birth_date", f"出生日期“{clean(value)}”只有年和月,请写完整的日期(如 2015-03-08)。")
        return None

    def _class(self, check: RowCheck, raw: dict, school_id: str, given: dict, planned: PlannedPupil,
               existing: dict | None) -> None:
        """Resolve the 年级 and 班级 cells into given['grade'] and given['class_id'] (or a class to create)."""
        grade = None
        grade_cell = raw.get("grade")
        if grade_cell is not None:
            grade = parse_grade(grade_cell)
            if grade is None:
                check.add("grade", f"年级“{clean(grade_cell)}”无法识别,应为一年级到九年级(或 1 到 9)。")
            else:
                given["grade"] = grade
        class_cell = raw.get("class")
        if class_cell is None:
            return
        text = clean(class_cell)
        found = self.classes.by_name(school_id, class_cell)
        parsed = None if found else parse_class(class_cell, grade)
        if found is None and parsed is None and "复式" in text:
            found = self.classes.multigrade(school_id, grade)
        if found is None and parsed is None:
            check.add("class", f"班级“{text}”无法识别。请写成“三(2)班”“3.2”或“302”的形式;"
                      "复式班请写系统中的班级名称。", "class_id")
            return
        if found is None:
            class_grade, number = parsed
            if grade is not None and class_grade != grade:
                check.add("class", f"班级“{text}”是{class_grade}年级的班,与年级“{clean(grade_cell)}”不一致。",
                          "class_id")
                return
            given["grade"] = class_grade
            found = self.classes.by_grade_number(school_id, class_grade, number)
            if found is None:
                planned.new_class = (class_grade, number)
                given["class_id"] = None
                self.plan.class_specs.setdefault((school_id, class_grade, number), class_name(class_grade, number))
                return
        given["class_id"] = found["id"]
        if grade is None and len(found["grades"]) == 1:
            given["grade"] = found["grades"][0]
        elif grade is None and not (existing and existing["grade"] in found["grades"]):
            check.add("class", f"“{found['name']}”是复式班,请增加“年级”列写明这名学生的年级。", "grade")

    def _class_label(self, class_id: str | None, planned: PlannedPupil) -> str | None:
        if planned.new_class is not None:
            return class_name(*planned.new_class)
        return self.classes.names.get(class_id) if class_id else None

    def _changes(self, existing: dict, values: dict, planned: PlannedPupil) -> dict:
        changes = {}
        for key in EDITABLE:
            if key == "class_id":
                continue
            if key in values and existing[key] != values[key]:
                changes[key] = [existing[key], values[key]]
        old_class = existing["class_id"]
        if planned.new_class is not None or old_class != values.get("class_id"):
            changes["class"] = [self.classes.names.get(old_class) if old_class else None, values["class_name"]]
        return changes

    def _duplicates(self, check: RowCheck, table: Table, planned: PlannedPupil, student_no: str,
                    id_number: str | None, school_id: str | None) -> None:
        """A 学籍号 or ID number twice in the file is a problem on both rows."""
        for key, value, seen, label, file_field in (
                ("student_no", student_no, self.seen_no, "学籍号", "student_no"),
                ("id_number", id_number, self.seen_id, "身份证件号", "id_number")):
            if not value:
                continue
            first = seen.get(value)
            if first is None:
                seen[value] = planned
                continue
            check.add(file_field, f"{label}“{value}”与{_where(first)}重复。", key)
            first.ok = False
            self.plan.problems.append(Problem(f"{label}“{value}”与{_where(planned)}重复。", sheet=first.sheet,
                                              row=first.row, column=table.column(file_field), field=key))
        if id_number and school_id:
            other = self.pupils.by_id_number.get((school_id, id_number))
            if other and other["student_no"] != student_no:
                self.plan.warnings.append(check.warning(
                    "id_number", f"身份证件号与本校学生“{other['name']}”(学籍号 {other['student_no']})相同,"
                    "请核对是否重复建档。"))

    def finish(self) -> None:
        """Sort the problems by place and list the classes the valid rows need created."""
        self.plan.warnings.extend(self.resolver.warnings())
        sheets = [row.sheet for row in self.plan.rows]
        sort_problems(self.plan.problems, sheets)
        sort_problems(self.plan.warnings, sheets)
        needed = {(r.school_id, *r.new_class) for r in self.plan.rows if r.ok and r.new_class is not None}
        specs = {key: name for key, name in self.plan.class_specs.items() if key in needed}
        self.plan.class_specs = specs
        several = len({key[0] for key in specs}) > 1 or (self.resolver.fixed is None and len(self.resolver.schools) > 1)
        self.plan.new_classes = [f"{self.resolver.name(sid)} {name}" if several else name
                                 for (sid, _, _), name in sorted(specs.items(), key=lambda kv: kv[0])]


def _where(planned: PlannedPupil) -> str:
    return f"工作表“{planned.sheet}”第 {planned.row} 行"


_COLUMN_OF_FIELD = {"class_id": ("class",), "grade": ("grade", "class"), "birth_date": ("birth_date", "id_number"),
                    "gender": ("gender", "id_number")}


def _column_of(field_name: str | None, table: Table) -> str | None:
    """Return the file field whose column a check_pupil problem about `field_name` points at."""
    return column_of(field_name, table, _COLUMN_OF_FIELD)


def apply_roster(db: Database, actor: Actor, plan: RosterPlan, *, accept_valid_rows: bool = False,
                 progress: Progress | None = None) -> dict:
    """Write a checked roster plan in one transaction, every added or changed pupil audited.

    Writes only when the plan has no problem, or with accept_valid_rows=True (the user's explicit
    choice) only the rows without problems. Classes the rows need are created first.
    Returns {"add", "update", "unchanged", "skipped", "new_classes"}: what was written.
    Raises ValidationError (nothing written) when the plan has problems and accept_valid_rows is
    False, or when the database changed since the file was read; PermissionDenied.
    """
    rows, todo = plan.rows_to_write(accept_valid_rows)
    for school_id in sorted({r.school_id for r in todo}):
        require_roster_write(actor, school_id)
    created: list[str] = []
    with db.atomic():
        class_ids: dict[tuple[str, int, int], str] = {}
        for (school_id, grade, number), name in plan.class_specs.items():
            existing = db.execute("SELECT id FROM class WHERE school_id = ? AND academic_year_id = ? AND name = ?",
                                  [school_id, plan.academic_year_id, name]).fetchone()
            if existing:
                class_ids[(school_id, grade, number)] = existing[0]
                continue
            class_ids[(school_id, grade, number)] = create_class(
                db, actor, school_id=school_id, academic_year_id=plan.academic_year_id, grades=[grade],
                number=number, name=name)
            created.append(name)
        for done, planned in enumerate(todo, start=1):
            values = {k: planned.values[k] for k in EDITABLE}
            if planned.new_class is not None:
                values["class_id"] = class_ids[(planned.school_id, *planned.new_class)]
            if planned.action == "add":
                _insert(db, actor, planned, values)
            else:
                _update(db, actor, planned, values)
            if progress is not None and done % 1000 == 0:
                progress(done / len(todo), f"已写入 {done} 名学生")
    return {**plan.written(rows, todo), "new_classes": created}


def _insert(db: Database, actor: Actor, planned: PlannedPupil, values: dict) -> None:
    try:
        insert_row(db, actor, "pupil", {"school_id": planned.school_id, **values})
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" not in str(exc):
            raise
        # The UNIQUE (school_id, student_no) constraint: someone added the pupil after the file was read.
        raise invalid(f"读取文件之后,学籍号“{values['student_no']}”的学生已被其他人添加到数据库。"
                      "请重新读取文件后再导入(本次未写入任何数据)。") from exc


def _update(db: Database, actor: Actor, planned: PlannedPupil, values: dict) -> None:
    diff = update_row(db, actor, "pupil", planned.pupil_id, values)
    if "status" in diff:
        _status_change(db, actor, planned.school_id, planned.pupil_id, values)


def _status_change(db: Database, actor: Actor, school_id: str, pupil_id: str, values: dict) -> None:
    insert_row(db, actor, "pupil_status_change", {
        "school_id": school_id, "pupil_id": pupil_id, "status": values["status"],
        "date": values.get("status_date") or dt.date.today().isoformat(), "note": "名册导入"})
