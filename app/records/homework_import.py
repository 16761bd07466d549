"""作业时间登记表 as a workbook: one row per class and school day, one column per subject (minutes).

Columns: 班级 (as named on the 班级 page), 日期, then a column per subject (name or alias: 语文, 数学 …)
holding the minutes of written homework, and optionally 备注. An empty cell means no written homework
in that subject. The import replaces the days it names (all or nothing); every problem names its
sheet, row and column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from sqlite_utils import Database

from app.errors import Problem
from app.importing.assignments import CLASS_WORDS
from app.importing.workbook import date_value, read_tables
from app.progress import CancelCheck, Progress
from app.queries.roster import list_classes
from app.records.homework import check_day
from app.services.schools import current_term
from app.validation.text import clean

DATE_WORDS = ("日期", "作业日期", "时间")
NOTE_WORDS = ("备注", "说明", "作业内容")
SHEET_NAME = "作业时间"


@dataclass
class HomeworkPlan:
    """What an import would write: the checked class-days, and every problem and warning."""

    days: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def read_homework(db: Database, path: str | Path, school_id: str, progress: Progress | None = None,
                  cancelled: CancelCheck | None = None) -> HomeworkPlan:
    """Read a 作业时间 workbook for `school_id` (classes of the current school year) and return the plan
    (nothing is written). Raises NotAWorkbook, FileNotFoundError, Cancelled."""
    year_id = current_term(db)["academic_year_id"]
    classes = {clean(c["name"]): c for c in list_classes(db, school_id, year_id)}
    catalogue = [dict(r) for r in db.query("SELECT id, name, aliases FROM subject")]
    synonyms: dict[str, list[str]] = {"class": list(CLASS_WORDS), "date": list(DATE_WORDS), "note": list(NOTE_WORDS)}
    for subject in catalogue:
        synonyms[subject["id"]] = [subject["name"], *filter(None, subject["aliases"].split(","))]
    tables = read_tables(path, synonyms, required=("class", "date"), progress=progress, cancelled=cancelled)
    plan = HomeworkPlan(problems=list(tables.problems), warnings=list(tables.warnings))
    seen: dict[tuple[str, str], int] = {}
    for table in tables.tables:
        subjects = [f for f in table.headers if f not in ("class", "date", "note")]
        if not subjects:
            plan.problems.append(Problem("表头没有学科列(如 语文、数学),不知道作业时间属于哪一科。", sheet=table.sheet,
                                         row=table.header_row))
            continue
        for extra in table.ignored_headers:
            plan.warnings.append(Problem(f"“{extra}”不是学科名称,这一列没有导入。", sheet=table.sheet,
                                         row=table.header_row, column=extra, severity="warning"))
        for data in table.rows:
            for field_name, message in (data.bad_text or {}).items():
                plan.problems.append(Problem(message, column=table.column(field_name), sheet=table.sheet, row=data.row))
            if data.bad_text:
                continue
            name = clean(data.values.get("class"))
            cls = classes.get(name)
            if cls is None:
                plan.problems.append(Problem(
                    f"本学年没有名为“{name}”的班级。请写班级页上的名称,如 三(1)班。" if name else "班级不能为空。",
                    column=table.column("class"), sheet=table.sheet, row=data.row))
                continue
            minutes = {s: data.values.get(s) for s in subjects}
            day, problems = check_day(db, cls["id"], date_value(data.values.get("date")), minutes)
            for problem in problems:
                column = table.column(problem.field if problem.field in table.headers else "class")
                plan.problems.append(Problem(problem.message, column=column, sheet=table.sheet, row=data.row))
            if problems:
                continue
            key = (cls["id"], day["date"])
            if key in seen:
                plan.problems.append(Problem(f"{name} {day['date']} 已在第 {seen[key]} 行登记过。",
                                             column=table.column("date"), sheet=table.sheet, row=data.row))
                continue
            seen[key] = data.row
            plan.days.append({**day, "note": clean(data.values.get("note")) or None})
    return plan


def write_homework_template(db: Database, school_id: str, path: str | Path) -> Path:
    """Write an empty 作业时间 workbook for the school (班级, 日期, 语文 数学 英语 …, 备注; one line per
    class as an example of the layout) and a 说明 sheet; return the path. Raises OSError."""
    year_id = current_term(db)["academic_year_id"]
    subjects = [r["name"] for r in db.query("SELECT name FROM subject WHERE is_main = 1 OR tested = 1"
                                            " ORDER BY sort_order")]
    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "font_name": "宋体", "bg_color": "#EEEEEE", "border": 1})
    text = book.add_format({"font_name": "宋体", "border": 1, "num_format": "@"})
    sheet = book.add_worksheet(SHEET_NAME)
    for column, title in enumerate(["班级", "日期", *subjects, "备注"]):
        sheet.write_string(0, column, title, head)
        sheet.set_column(column, column, 12 if column < 2 else 8)
    for row, cls in enumerate(list_classes(db, school_id, year_id), start=1):
        sheet.write_string(row, 0, cls["name"], text)
    notes = book.add_worksheet("说明")
    notes.set_column(0, 0, 100)
    for row, line in enumerate((
            "每行填写一个班一个上学日的书面作业时间(分钟),每科一列;没有书面作业的科目空着。",
            "日期写成 2026-10-15 的形式;同一班同一天只写一行。再次导入同一天会覆盖原来的登记。",
            "一、二年级不布置书面家庭作业;三至六年级每天平均不超过 60 分钟;初中不超过 90 分钟。")):
        notes.write_string(row, 0, line)
    book.close()
    return path
