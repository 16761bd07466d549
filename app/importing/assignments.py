"""任课表 as a workbook: the template the 任课 page exports and the import that reads it back.

The sheet is the grid people keep by hand: one row per class (column 班级), one column per subject,
and in each cell the teacher's name or 工号, optionally with weekly periods: 李明, 李明 4, 李明(4节),
T01(4). An empty cell means nobody teaches it. The import replaces the cells of the classes and
subjects the file names, all or nothing; every problem names its sheet, row and column.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from sqlite_utils import Database

from app.errors import Problem
from app.importing.workbook import read_tables
from app.progress import CancelCheck, Progress
from app.services.assignments import Key, Wanted, assignment_grid, plan_assignments
from app.services.subjects import SubjectIndex
from app.validation.text import clean

CLASS_WORDS = ("班级", "班别", "班级名称", "班名")
SHEET_NAME = "任课表"
_CELL = re.compile(r"^(?P<who>.+?)\s*(?:[((]\s*(?P<p1>\d+(?:\.\d+)?)\s*(?:节|课时)?\s*[))]|\s+(?P<p2>\d+(?:\.\d+)?)"
                   r"\s*(?:节|课时)?)?$")


@dataclass
class AssignmentPlan:
    """What an import would do: the cells it sets, the changes from what is stored, and problems."""

    wanted: dict[Key, Wanted] = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _teacher_finder(teachers: list[dict]):
    by_no = {clean(t["staff_no"]).upper(): t for t in teachers}
    by_name: dict[str, list[dict]] = {}
    for teacher in teachers:
        by_name.setdefault(clean(teacher["name"]), []).append(teacher)

    def find(text: str) -> tuple[dict | None, str | None]:
        if text.upper() in by_no:
            return by_no[text.upper()], None
        found = by_name.get(text, [])
        if len(found) == 1:
            return found[0], None
        if found:
            numbers = "、".join(t["staff_no"] for t in found)
            return None, f"本校有 {len(found)} 位教师叫“{text}”(工号 {numbers}),请改写工号。"
        return None, f"本校没有叫“{text}”的教师(也不是工号)。请先在“教师”页添加,或检查是否写错。"

    return find


def read_assignments(db: Database, path: str | Path, school_id: str, term_id: str,
                     progress: Progress | None = None, cancelled: CancelCheck | None = None) -> AssignmentPlan:
    """Read a 任课表 workbook and return the plan of what importing it would change (nothing is written).

    Raises NotAWorkbook, FileNotFoundError, Cancelled.
    """
    grid = assignment_grid(db, school_id, term_id)
    index = SubjectIndex.load(db)
    catalogue = [dict(r) for r in db.query("SELECT id, name, aliases FROM subject")]
    synonyms: dict[str, list[str]] = {"class": list(CLASS_WORDS)}
    for subject in catalogue:
        synonyms[subject["id"]] = [subject["name"], *filter(None, subject["aliases"].split(","))]
    tables = read_tables(path, synonyms, required=("class",), progress=progress, cancelled=cancelled)
    plan = AssignmentPlan(problems=list(tables.problems), warnings=list(tables.warnings))
    classes = {clean(c["name"]): c for c in grid["classes"]}
    find_teacher = _teacher_finder(grid["teachers"])
    for table in tables.tables:
        subject_fields = [f for f in table.headers if f != "class"]
        if not subject_fields:
            plan.problems.append(Problem("表头只有“班级”,没有学科列(如 语文、数学)。", sheet=table.sheet,
                                         row=table.header_row))
            continue
        for extra in table.ignored_headers:
            if index.find(extra) is None:
                plan.warnings.append(Problem(f"“{extra}”不是学科名称,这一列没有导入。", sheet=table.sheet,
                                             row=table.header_row, column=extra, severity="warning"))
        for data in table.rows:
            for field_name, message in (data.bad_text or {}).items():
                plan.problems.append(Problem(message, sheet=table.sheet, row=data.row, column=table.column(field_name)))
            if data.bad_text:
                continue
            class_name = clean(data.values.get("class"))
            column = table.column("class")
            if not class_name:
                plan.problems.append(Problem("班级不能为空。", sheet=table.sheet, row=data.row, column=column))
                continue
            cls = classes.get(class_name)
            if cls is None:
                plan.problems.append(Problem(f"本学年没有名为“{class_name}”的班级。请写班级页上的名称,如 三(1)班。",
                                             sheet=table.sheet, row=data.row, column=column))
                continue
            for subject_id in subject_fields:
                column = table.column(subject_id)
                key = (cls["id"], subject_id)
                if key in plan.wanted:
                    plan.problems.append(Problem(f"{class_name}的这一科在表中出现了两次。", sheet=table.sheet,
                                                 row=data.row, column=column))
                    continue
                cell = _read_cell(data.values.get(subject_id), find_teacher)
                if isinstance(cell, str):
                    plan.problems.append(Problem(cell, sheet=table.sheet, row=data.row, column=column))
                    continue
                plan.wanted[key] = cell
    if not plan.problems:
        plan.changes, problems = plan_assignments(db, school_id, term_id, plan.wanted, grid)
        plan.problems += problems
    return plan


def _read_cell(value: object, find_teacher) -> Wanted | str:
    """Return the Wanted a cell says, or a Chinese problem."""
    text = " ".join(unicodedata.normalize("NFKC", str(value)).split()) if value is not None else ""
    if not text:
        return Wanted(None)
    match = _CELL.match(text)
    who = clean(match.group("who")) if match else clean(text)
    periods = (match.group("p1") or match.group("p2")) if match else None
    teacher, problem = find_teacher(who)
    if teacher is None:
        return problem or f"看不懂“{text}”:应写教师姓名或工号,可在后面加周课时,如 李明 4。"
    if periods is not None and not 0 <= float(periods) <= 40:
        return f"周课时 {periods} 不合理(应为 0-40)。"
    return Wanted(teacher["id"], float(periods) if periods is not None else None)


def write_template(db: Database, school_id: str, term_id: str, path: str | Path) -> Path:
    """Write the school's 任课表 for the term (current assignments filled in, periods after the name)
    as .xlsx at `path`, with a 说明 sheet; return the path. Raises OSError when it cannot be written."""
    grid = assignment_grid(db, school_id, term_id)
    teachers = {t["id"]: t["name"] for t in grid["teachers"]}
    names = [t["name"] for t in grid["teachers"]]
    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "font_name": "宋体", "bg_color": "#EEEEEE", "border": 1})
    text = book.add_format({"font_name": "宋体", "border": 1, "num_format": "@"})
    sheet = book.add_worksheet(SHEET_NAME)
    sheet.write_string(0, 0, "班级", head)
    sheet.set_column(0, 0, 14)
    for column, subject in enumerate(grid["subjects"], start=1):
        sheet.write_string(0, column, subject["name"], head)
        sheet.set_column(column, column, 12, text)
    for row, cls in enumerate(grid["classes"], start=1):
        sheet.write_string(row, 0, cls["name"], text)
        for column, subject in enumerate(grid["subjects"], start=1):
            cell = grid["cells"].get((cls["id"], subject["id"]))
            shown = f"{teachers.get(cell['teacher_id'], '')} {cell['periods']:g}" if cell else ""
            sheet.write_string(row, column, shown, text)
    sheet.freeze_panes(1, 1)
    notes = book.add_worksheet("说明")
    notes.set_column(0, 0, 100)
    for row, line in enumerate([
        "每行一个班级,每列一个学科;格子里写任课教师的姓名或工号,可在后面空一格写周课时,如“李明 4”或“李明(4节)”。",
        "不写周课时时,已有任课保留原课时,新任课按课程方案的课时。格子留空表示这一班这一科没有任课教师。",
        "导入时替换表中列出的班级和学科的任课;有任何错误时一条也不导入,并指出工作表、行和列。",
        "同名教师请写工号。本校教师:" + "、".join(names),
    ]):
        notes.write_string(row, 0, line)
    book.close()
    return path
