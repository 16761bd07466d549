"""Importing timetables from the workbooks schools keep, in either of two shapes.

Long form: one lesson a row, columns 学校, 班级, 星期, 节次, 科目, 教师 (教室 optional).
Printed grid form: one sheet or block per class, a title naming the class above a header row
星期一 … 星期五, one row per 节次 (第1节, 1, 上午 第一节, 早读 …), cells such as `语文 张三`,
`语文(张三)` or `语文` and `张三` on two lines in one cell.

`read_timetable` reads and checks the whole file and writes nothing; `apply_timetable` replaces
the timetables of the classes the file names in one transaction, and only when the file has no
problem at all (a half-imported timetable would be worse than none). Every problem names its
sheet, row and column.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, insert_row
from app.errors import Problem, ValidationError
from app.importing.target_school import SchoolResolver
from app.importing.workbook import RowCheck, open_sheets, read_tables, sort_problems
from app.presets import effective
from app.progress import CancelCheck, Cancelled, Progress
from app.services.schools import current_term
from app.services.subjects import SubjectIndex
from app.timetable.edit import ensure_day_plan
from app.timetable.model import DAY_NAMES, KIND_NAMES
from app.timetable.permissions import require_timetable_write
from app.validation.classnames import cn_number, name_key, parse_class
from app.validation.text import clean, formula_problem, text_problem

LONG_HEADERS: dict[str, list[str]] = {
    "school": ["学校", "学校名称", "学校代码", "校名"],
    "class": ["班级", "班级名称", "班别", "班"],
    "day": ["星期", "星期几", "周几", "日"],
    "period": ["节次", "节", "第几节", "课节", "时段"],
    "subject": ["科目", "学科", "课程", "课程名称"],
    "teacher": ["教师", "任课教师", "授课教师", "老师", "教师姓名"],
    "room": ["教室", "上课地点", "场地", "地点"],
}
# Short forms printed timetables use that the subject catalogue does not list.
CELL_SUBJECTS = {"音": "yl", "美": "ms", "体": "ty", "劳": "ld", "书": "sf", "信": "xx", "道": "df", "班会": "zh",
                 "班队会": "zh", "队会": "zh", "班队活动": "zh", "少先队活动": "zh", "劳技": "ld", "校本": "xbkc",
                 "地方": "dfkc"}
_DAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7, "七": 7}
_DAY_RE = re.compile(r"^(?:星期|周|礼拜)?([一二三四五六日天七1-7])$")
_EN_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_LESSON_RE = re.compile(r"第?([一二三四五六七八九十\d]{1,3})节?(?:课)?$")
_TITLE_WORDS = ("课程表", "课表", "作息时间表", "班级名称", "班级", "名称", ":", ":")
ROOM_LIMIT = 30


def parse_day(text: object) -> int | None:
    """Return 1-7 for 星期一, 周一, 礼拜一, 一, 1, Mon, Monday …; None when it is not a weekday."""
    value = clean(text)
    if not value:
        return None
    match = _DAY_RE.match(value)
    if match:
        key = match.group(1)
        return int(key) if key.isdigit() else _DAYS[key]
    return _EN_DAYS.get(value.lower()[:3]) if value.isascii() and value.isalpha() and len(value) >= 3 else None


@dataclass
class PlannedLesson:
    """One lesson the file puts in a class timetable, and where in the file it came from."""

    sheet: str
    row: int
    column: str | None
    school_id: str
    class_id: str
    class_name: str
    day: int
    slot: int
    subject_id: str
    subject: str
    teacher_id: str | None
    teacher: str | None
    room: str | None = None

    def to_dict(self) -> dict:
        """Return the lesson as JSON-able data."""
        return asdict(self)


@dataclass
class TimetableImportPlan:
    """What importing a timetable file would do, and every problem that stops it."""

    form: str
    term: dict
    lessons: list[PlannedLesson] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)
    replaced: int = 0
    new_day_plans: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Return the counts a user checks first."""
        return {"form": self.form, "classes": len(self.classes), "lessons": len(self.lessons),
                "replaced_lessons": self.replaced, "problems": len(self.problems), "warnings": len(self.warnings),
                "new_day_plans": len(self.new_day_plans)}

    def to_dict(self) -> dict:
        """Return the plan as JSON-able data (for --json and the GUI)."""
        return {"summary": self.summary(), "term": self.term["code"], "classes": sorted(self.classes.values()),
                "problems": [p.to_dict() for p in self.problems], "warnings": [p.to_dict() for p in self.warnings],
                "lessons": [lesson.to_dict() for lesson in self.lessons]}


class _School:
    """What the importer needs to know about one school: classes, teachers, the daily slot plan."""

    def __init__(self, db: Database, school_id: str, term: dict):
        self.id = school_id
        self.name = db.execute("SELECT name FROM school WHERE id = ?", [school_id]).fetchone()[0]
        self.classes = [dict(r) for r in db.query(
            "SELECT c.id, c.name, c.number, (SELECT group_concat(grade) FROM class_grade g WHERE g.class_id = c.id)"
            " AS grades FROM class c WHERE c.school_id = ? AND c.academic_year_id = ?",
            [school_id, term["academic_year_id"]])]
        for cls in self.classes:
            cls["grades"] = sorted(int(g) for g in (cls["grades"] or "").split(",") if g)
        self.teachers = [dict(r) for r in db.query(
            "SELECT id, staff_no, name FROM teacher WHERE active = 1 AND (school_id = :s OR id IN"
            " (SELECT teacher_id FROM teacher_site WHERE school_id = :s))", {"s": school_id})]
        periods = [dict(r) for r in db.query("SELECT slot, label, kind FROM timetable_period WHERE school_id = ?"
                                             " AND term_id = ? ORDER BY slot", [school_id, term["id"]])]
        self.default_plan = not periods
        if not periods:
            periods = [{"slot": p["slot"], "label": p["label"], "kind": p["kind"]}
                       for p in effective(db, "timetable", school_id).content["default_day"]]
        self.periods = periods
        self.lesson_slots = [p["slot"] for p in periods if p["kind"] == "lesson"]
        self.assigned = {(r[0], r[1]): r[2] for r in db.execute(
            "SELECT class_id, subject_id, teacher_id FROM teaching_assignment WHERE school_id = ? AND term_id = ?",
            [school_id, term["id"]])}

    def find_class(self, text: object) -> dict | None:
        """Return the class a cell or title names (三(1)班, 3.1, 三年级一班课程表 …), or None."""
        value = name_key(text)
        if not value:
            return None
        exact = [c for c in self.classes if name_key(c["name"]) == value]
        if exact:
            return exact[0]
        inside = sorted((c for c in self.classes if name_key(c["name"]) in value), key=lambda c: -len(c["name"]))
        if inside:
            return inside[0]
        stripped = value.replace(name_key(self.name), "")
        for word in _TITLE_WORDS:
            stripped = stripped.replace(word, "")
        stripped = re.sub(r"^\d{4}[-—~至]?(\d{4})?(学年)?(第[一二]学期)?", "", stripped)
        found = parse_class(stripped)
        if found is None:
            match = re.search(r"([一二三四五六七八九\d]{1,2}(?:年级|年)?[((]?[一二三四五六七八九十\d]{1,2}[))]?班)", stripped)
            found = parse_class(match.group(1)) if match else None
        if found:
            grade, number = found
            for cls in self.classes:
                if cls["grades"] == [grade] and cls["number"] == number:
                    return cls
        if "复式" in value:
            multi = [c for c in self.classes if len(c["grades"]) > 1]
            if len(multi) == 1:
                return multi[0]
        return None

    def find_teacher(self, text: str) -> tuple[dict | None, str | None]:
        """Return (teacher, None) or (None, why not) for a name or 工号 as written."""
        key = clean(text)
        by_no = [t for t in self.teachers if t["staff_no"].upper() == key.upper()]
        if by_no:
            return by_no[0], None
        by_name = [t for t in self.teachers if t["name"] == key]
        if len(by_name) == 1:
            return by_name[0], None
        if by_name:
            return None, f"本校有 {len(by_name)} 位教师叫“{key}”,请改写为工号以区分。"
        return None, (f"教师“{key}”不是{self.name}的在岗教师,也没有登记到本校走教。"
                      "请检查姓名,或先在教师名册中添加该教师(走教教师请登记走教学校)。")

    def slot_for(self, label: str, lesson_number: int | None) -> tuple[int | None, str | None, str | None]:
        """Return (slot, kind, problem) for a 节次 given as a lesson number or a slot's name."""
        if lesson_number is not None:
            if 1 <= lesson_number <= len(self.lesson_slots):
                return self.lesson_slots[lesson_number - 1], "lesson", None
            return None, None, (f"作息时间中每天只有 {len(self.lesson_slots)} 节课,没有第 {lesson_number} 节。"
                                "请检查节次,或先调整作息时间。")
        for period in self.periods:
            if clean(period["label"]) == label:
                return period["slot"], period["kind"], None
        kinds = [p for p in self.periods if p["kind"] != "lesson" and p["kind"] in label]
        if kinds:
            return kinds[0]["slot"], kinds[0]["kind"], None
        named = "、".join(p["label"] for p in self.periods)
        return None, None, f"节次“{label}”无法识别。请写成“第1节”或“1”,或用作息时间中的名称({named})。"


def lesson_number(text: object) -> int | None:
    """Return N for 第N节, N, 第一节, 上午第1节, 第1节 8:20-9:00 …; None when the text names no
    lesson number."""
    value = clean(text)
    value = re.sub(r"^(上午|下午|晚上|早上)", "", value)
    value = re.sub(r"[((]?\d{1,2}[:：]\d{2}([-—~至]\d{1,2}[:：]\d{2})?[))]?", "", value)
    match = _LESSON_RE.match(value)
    if not match:
        return None
    number = cn_number(match.group(1))
    return number if number and number > 0 else None


class _Reader:
    def __init__(self, db: Database, term: dict, resolver: SchoolResolver, plan: TimetableImportPlan):
        self.db = db
        self.term = term
        self.resolver = resolver
        self.plan = plan
        self.subjects = SubjectIndex.load(db)
        self.by_code = {s["code"]: s for s in db.query("SELECT * FROM subject")}
        self.schools: dict[str, _School] = {}
        self.seen: dict[tuple[str, int, int], tuple[str, int]] = {}

    def school(self, school_id: str) -> _School:
        if school_id not in self.schools:
            self.schools[school_id] = _School(self.db, school_id, self.term)
        return self.schools[school_id]

    def subject(self, text: str) -> dict | None:
        found = self.subjects.find(text)
        if found is None and clean(text) in CELL_SUBJECTS:
            found = self.by_code.get(CELL_SUBJECTS[clean(text)])
        return found

    def split_cell(self, value: object) -> tuple[dict | None, str | None, str]:
        """Return (subject, teacher text, subject text) for a grid cell: 语文 张三 / 语文(张三) / 语文\\n张三."""
        text = str(value).strip()
        match = re.match(r"^(.+?)\s*[((\[【](.+?)[))\]】]\s*$", text)
        if match:
            return self.subject(match.group(1)), clean(match.group(2)) or None, clean(match.group(1))
        parts = [p for p in re.split(r"[\s/|、,,;;-]+", text) if p]
        if len(parts) >= 2:
            return self.subject(parts[0]), clean("".join(parts[1:])) or None, clean(parts[0])
        whole = clean(text)
        found = self.subject(whole)
        if found is not None:
            return found, None, whole
        for size in range(min(len(whole) - 1, 6), 0, -1):  # 语文张三: the longest subject prefix
            found = self.subject(whole[:size])
            if found is not None:
                return found, whole[size:], whole[:size]
        return None, None, whole

    def add(self, sheet: str, row: int, column: str | None, school: _School, cls: dict, day: int, slot: int,
            kind: str, subject: dict, teacher_text: str | None, room: str | None) -> None:
        def problem(message: str) -> None:
            self.plan.problems.append(Problem(message, sheet=sheet, row=row, column=column))
        if kind in ("大课间", "午休"):
            problem(f"{KIND_NAMES[kind]}时间不能排课。")
            return
        room = clean(room) or None
        why = room and (text_problem(room, ROOM_LIMIT) or formula_problem(room, "教室"))
        if why:
            problem(why if why.startswith("教室") else f"教室{why}")
            return
        teacher = None
        if teacher_text:
            teacher, why = school.find_teacher(teacher_text)
            if why:
                problem(why)
                return
        else:
            assigned = school.assigned.get((cls["id"], subject["id"]))
            teacher = next((t for t in school.teachers if t["id"] == assigned), None)
            if teacher is None:
                self.plan.warnings.append(Problem(
                    f"{cls['name']}{DAY_NAMES[day]}的“{subject['name']}”没有写教师,任课安排中也没有,导入后该节没有任课教师。",
                    sheet=sheet, row=row, column=column, severity="warning"))
        key = (cls["id"], day, slot)
        if key in self.seen:
            other_sheet, other_row = self.seen[key]
            problem(f"{cls['name']}{DAY_NAMES[day]}的这一节在工作表“{other_sheet}”第 {other_row} 行已经排了课,"
                    "同一节不能排两门课。")
            return
        self.seen[key] = (sheet, row)
        self.plan.classes[cls["id"]] = cls["name"]
        self.plan.lessons.append(PlannedLesson(
            sheet=sheet, row=row, column=column, school_id=school.id, class_id=cls["id"], class_name=cls["name"],
            day=day, slot=slot, subject_id=subject["id"], subject=subject["name"],
            teacher_id=teacher["id"] if teacher else None, teacher=teacher["name"] if teacher else None,
            room=room))

    # --- long form ------------------------------------------------------------------------------

    def read_long(self, path: Path, progress: Progress | None, cancelled: CancelCheck | None) -> None:
        tables = read_tables(path, LONG_HEADERS, required=("class", "day", "period", "subject"),
                             progress=progress, cancelled=cancelled)
        self.plan.problems += tables.problems
        self.plan.warnings += tables.warnings
        for table in tables.tables:
            problem = self.resolver.sheet_problem(table)
            if problem is not None:
                self.plan.problems.append(problem)
                continue
            for data in table.rows:
                check = RowCheck(table, data)
                self.long_row(check)
                self.plan.problems += check.problems

    def long_row(self, check: RowCheck) -> None:
        values = check.row.values
        school_id, problem = self.resolver.for_row(check.table, check.row)
        if problem is not None:
            check.problems.append(problem)
            return
        school = self.school(school_id)  # type: ignore[arg-type]
        cls = school.find_class(values.get("class"))
        if cls is None:
            check.add("class", f"{school.name}本学年没有班级“{clean(values.get('class'))}”。请写成“三(1)班”的形式。")
        day = parse_day(values.get("day"))
        if day is None:
            check.add("day", f"星期“{clean(values.get('day'))}”无法识别,请写成“星期一”或“1”。")
        label = clean(values.get("period"))
        slot, kind, why = school.slot_for(label, lesson_number(label)) if label else (None, None, "节次不能为空。")
        if why:
            check.add("period", why)
        subject = self.subject(clean(values.get("subject")))
        if subject is None:
            check.add("subject", f"科目“{clean(values.get('subject'))}”不在学科目录中。")
        if check.problems:
            return
        teacher = clean(values.get("teacher")) or None
        self.add(check.row.sheet, check.row.row, check.table.column("teacher" if teacher else "subject"), school,
                 cls, day, slot, kind, subject, teacher, values.get("room"))  # type: ignore[arg-type]

    # --- grid form ------------------------------------------------------------------------------

    def read_grid(self, sheets: list[tuple[str, list[tuple]]]) -> None:
        for name, rows in sheets:
            headers = [i for i, row in enumerate(rows) if _weekday_columns(row)]
            if not headers:
                if any(any(v is not None and str(v).strip() for v in row) for row in rows):
                    self.plan.warnings.append(Problem("没有找到“星期一 … 星期五”表头,这个工作表已跳过。", sheet=name,
                                                      severity="warning"))
                continue
            for number, header in enumerate(headers):
                start = headers[number - 1] + 1 if number else 0
                end = headers[number + 1] if number + 1 < len(headers) else len(rows)
                self.grid_block(name, rows, start, header, end)

    def grid_block(self, sheet: str, rows: list[tuple], start: int, header: int, end: int) -> None:
        days = _weekday_columns(rows[header])
        first_day = min(days)
        titles = _title_texts(rows, start, header)
        corner = [str(v) for v in rows[header][:first_day] if v is not None and str(v).strip()]
        school_id = None if self.resolver.fixed else next(
            (found for found in (self.resolver.find(t) for t in titles) if found), None)
        school_id = school_id or self.resolver.for_sheet(sheet)
        if school_id is None:
            self.plan.problems.append(Problem(
                "这个数据库有多所学校,无法确定这张课表属于哪所学校。请在标题中写上学校名称,或把工作表命名为学校名称,"
                "或在导入时选择学校。", sheet=sheet, row=header + 1))
            return
        school = self.school(school_id)
        cls = next((c for c in (school.find_class(t) for t in [*titles, *corner, sheet]) if c), None)
        if cls is None:
            shown = "、".join(titles[:2] + corner[:1]) or sheet
            self.plan.problems.append(Problem(
                f"找不到这张课表对应的班级(标题:{shown})。请在课表上方写明班级,如“三(1)班课程表”。",
                sheet=sheet, row=header + 1))
            return
        header_texts = {col: clean(rows[header][col]) for col in days}
        last, offset = 0, 0
        for index in range(header + 1, end):
            row = rows[index]
            label = clean("".join(str(v) for v in row[:first_day] if v is not None))
            cells = {col: row[col] for col in days if col < len(row) and row[col] is not None and str(row[col]).strip()}
            if not cells:
                continue
            number = lesson_number(label)
            if number is not None:
                if number <= last:  # 上午 1-4, 下午 1-3: the afternoon goes on counting
                    offset += last
                last = number
                number += offset
            parsed = {col: self.split_cell(value) for col, value in cells.items()}
            if number is None and all(subject is None for subject, _, _ in parsed.values()):
                continue  # an activity row: 大课间, 眼保健操, 午休 written across the days
            if not label:
                self.plan.problems.append(Problem("这一行没有写节次,无法知道是第几节。", sheet=sheet, row=index + 1))
                continue
            slot, kind, why = school.slot_for(label, number)
            if why:
                self.plan.problems.append(Problem(why, sheet=sheet, row=index + 1))
                continue
            for col, (subject, teacher, written) in parsed.items():
                if subject is None:
                    if kind in ("大课间", "午休", "课外活动"):
                        continue
                    self.plan.problems.append(Problem(f"“{written}”中的科目无法识别。请写成“语文 张三”或“语文(张三)”。",
                                                      sheet=sheet, row=index + 1, column=header_texts[col]))
                    continue
                self.add(sheet, index + 1, header_texts[col], school, cls, days[col], slot, kind, subject, teacher,
                         None)


def _title_texts(rows: list[tuple], start: int, header: int) -> list[str]:
    """Return the texts of the title rows just above a header (nearest first): rows with one or
    two filled cells, up to the previous block's body."""
    texts: list[str] = []
    for index in range(header - 1, start - 1, -1):
        filled = [str(v) for v in rows[index] if v is not None and str(v).strip()]
        if len(filled) > 2:
            break
        texts += filled
    return texts


def _weekday_columns(row: tuple) -> dict[int, int]:
    """Return {column index: day} when a row holds at least three weekday names, else {}."""
    found = {i: parse_day(v) for i, v in enumerate(row) if v is not None and isinstance(v, str)}
    days = {i: d for i, d in found.items() if d is not None}
    return days if len(days) >= 3 and len(set(days.values())) == len(days) else {}


def _is_grid(sheets: list[tuple[str, list[tuple]]]) -> bool:
    return any(_weekday_columns(row) for _, rows in sheets for row in rows[:40])


def read_timetable(db: Database, path: str | Path, *, school_id: str | None = None, term: dict | None = None,
                   progress: Progress | None = None, cancelled: CancelCheck | None = None) -> TimetableImportPlan:
    """Read and check a timetable file (.xlsx or .csv, long or grid form); write nothing.

    `school_id` names the school every timetable belongs to; without it a township database takes
    the school from a 学校 column, the sheet's name or a grid's title. Returns a plan whose
    problems are empty when the whole file can be imported. Raises NotAWorkbook, NotFound (unknown
    school, no current term), Cancelled, FileNotFoundError.
    """
    path = Path(path)
    term = term or current_term(db)
    resolver = SchoolResolver(db, school_id)
    with open_sheets(path) as raw:
        sheets = []
        for sheet in raw:
            if cancelled is not None and cancelled():
                raise Cancelled()
            sheets.append((sheet.name, [tuple(r) for r in sheet.rows]))
    grid = _is_grid(sheets)
    plan = TimetableImportPlan(form="grid" if grid else "long", term=dict(term))
    reader = _Reader(db, term, resolver, plan)
    if grid:
        reader.read_grid(sheets)
    else:
        reader.read_long(path, progress, cancelled)
    if not plan.lessons and not plan.problems:
        plan.problems.append(Problem("文件中没有找到任何课。请检查是否选对了文件。"))
    sort_problems(plan.problems, [name for name, _ in sheets])
    sort_problems(plan.warnings, [name for name, _ in sheets])
    plan.new_day_plans = sorted({lesson.school_id for lesson in plan.lessons
                                 if reader.school(lesson.school_id).default_plan})
    if plan.classes:
        marks = ",".join("?" for _ in plan.classes)
        plan.replaced = db.execute(f"SELECT COUNT(*) FROM timetable_slot WHERE term_id = ? AND class_id IN ({marks})",
                                   [term["id"], *plan.classes]).fetchone()[0]
    if progress is not None:
        progress(1.0, "检查完毕")
    return plan


def apply_timetable(db: Database, actor: Actor, plan: TimetableImportPlan, progress: Progress | None = None) -> dict:
    """Write a checked plan: each named class's timetable for the term is replaced by the file's
    lessons, schools without a daily slot plan get the default one; every row audited, all in one
    transaction. Returns {"classes", "lessons", "replaced", "new_day_plans"}. Raises
    ValidationError (nothing written) when the plan has any problem, PermissionDenied."""
    if plan.problems:
        raise ValidationError(list(plan.problems))
    schools = sorted({lesson.school_id for lesson in plan.lessons})
    for school_id in schools:
        require_timetable_write(actor, school_id)
    term_id = plan.term["id"]
    with db.atomic():
        for school_id in plan.new_day_plans:
            ensure_day_plan(db, actor, school_id, term_id)
        replaced = 0
        for class_id in plan.classes:
            for row in db.query("SELECT id FROM timetable_slot WHERE term_id = ? AND class_id = ?",
                                [term_id, class_id]):
                delete_row(db, actor, "timetable_slot", row["id"])
                replaced += 1
        for done, lesson in enumerate(plan.lessons, start=1):
            insert_row(db, actor, "timetable_slot", {
                "school_id": lesson.school_id, "term_id": term_id, "class_id": lesson.class_id, "day": lesson.day,
                "slot": lesson.slot, "subject_id": lesson.subject_id, "teacher_id": lesson.teacher_id,
                "room": lesson.room})
            if progress is not None and done % 200 == 0:
                progress(done / len(plan.lessons), f"已写入 {done} 节课")
    return {"classes": len(plan.classes), "lessons": len(plan.lessons), "replaced": replaced,
            "new_day_plans": len(plan.new_day_plans)}

