"""Importing exam marks from the workbooks teachers keep and townships send round.

Layouts: one row per pupil with a column per subject (one sheet, one sheet per class, or one
sheet per school), or one row per pupil and subject (科目 and 成绩 columns). Pupils are found by
学籍号, else by name within their class (class written 三(2)班, 3.2, 302 …, in a 班级 column or
as the sheet's name). Columns that are not marks (总分, 平均分, 名次, 备注, 序号 …) are ignored;
a 总分 that disagrees with the row's marks is reported as a warning.

`check_marks` reads and checks the whole file and writes nothing (`read_marks`: the same, to the
end); app.marks.writing writes what it found. Marks the file repeats unchanged are not written at all, so importing the
same file twice changes nothing. A new mark stores the pupil's class and grade at the time of the
exam.
"""
from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from pathlib import Path

from sqlite_utils import Database

from app.db.keys import number_of
from app.db.writes import derived_id
from app.errors import Problem, ValidationError
from app.importing.plan import each_row
from app.importing.target_school import SchoolResolver
from app.importing.workbook import (CellError, DataRow, RowCheck, Table, code_text, opened_beside, sort_problems,
                                    streamed_tables)
from app.marks.entry import parse_mark
from app.marks.plan import MarksPlan, mark_text
from app.marks.pupils import ExamClasses, ExamPupils
from app.progress import CancelCheck, Progress
from app.services.exams import find_exam
from app.services.subjects import SubjectIndex, list_subjects
from app.stats.frame import paused_collector
from app.stats.roster import missing_marks
from app.validation.classnames import parse_class, parse_grade
from app.validation.text import clean


BASE_HEADERS: dict[str, list[str]] = {
    "student_no": ["学籍号", "全国学籍号", "学生学籍号", "学籍编号", "学号", "考号", "准考证号", "考生号"],
    "name": ["姓名", "学生姓名", "考生姓名"],
    "class": ["班级", "班别", "班级名称", "所在班级", "班"],
    "grade": ["年级", "年级名称", "所在年级"],
    "school": ["学校", "学校名称", "学校代码", "学校标识码", "所在学校"],
    "subject": ["科目", "学科", "考试科目", "科目名称"],
    "score": ["成绩", "分数", "得分", "考试成绩", "卷面成绩"],
    "total": ["总分", "总成绩"],
}
# Columns found in mark books that are not marks: read past without a warning.
IGNORED_HEADERS = ("序号", "编号", "平均分", "平均", "均分", "名次", "班级名次", "班名次", "年级名次", "级名次",
                   "校名次", "乡镇名次", "排名", "班级排名", "年级排名", "总名次", "备注", "性别", "等级",
                   "考场", "考场号", "座位号", "座号", "综合分", "综合得分")
_SUFFIXES = ("成绩", "分数", "得分", "分", "科", "等级")
# 综合分 is a composite score, not the subject 综合实践活动 (alias 综合): no suffixed forms for it.
_NO_SUFFIX = {"综合"}
# A row whose name cell says one of these holds figures for the whole sheet, not a pupil.
_SUMMARY_WORDS = {"平均分", "平均", "均分", "合计", "总计", "小计", "最高分", "最低分", "及格率", "优秀率", "低分率",
                  "及格人数", "优秀人数", "参考人数", "实考人数", "应考人数", "班级平均", "年级平均", "总分"}
# What people write in a cell for a subject the pupil's grade does not sit.
_NOT_APPLICABLE = {"/", "-", "—", "——", "无", "\\"}
_LEFT = ("转出", "流失")
# check_marks yields the new marks of every this many rows, and of the first FIRST_BATCH_ROWS on
# their own: the writer starts on them 0.04 s sooner (a county's 2,000 rows take that to check).
BATCH_ROWS = 2000
FIRST_BATCH_ROWS = 250


def mark_synonyms(subjects: Iterable[dict]) -> dict[str, list[str]]:
    """Return the header synonyms of a marks file: the base columns plus one field per catalogue
    subject, 'subject:<id>', written as its name, an alias, or either with 成绩/分数/得分/分/科."""
    synonyms = {key: list(words) for key, words in BASE_HEADERS.items()}
    for subject in subjects:
        words = [subject["name"], *filter(None, subject["aliases"].split(","))]
        suffixed = [w + s for w in words if w not in _NO_SUFFIX for s in _SUFFIXES]
        synonyms[f"subject:{subject['id']}"] = [*words, *suffixed]
    return synonyms


def read_marks(db: Database, path, exam_id: str, *, school_id: str | None = None,
               progress: Progress | None = None, cancelled: CancelCheck | None = None) -> MarksPlan:
    """Read and check a marks file (.xlsx, .xlsm or .csv) for one exam; write nothing.

    `exam_id` is the exam's id (or its exact name, or the start of its id). `school_id` names the
    school every row belongs to; without it, a township database takes a row's school from a 学校
    column or the sheet's name, or finds the pupil by 学籍号 in any school. Returns a MarksPlan
    whose problems are empty when the whole file can be imported. Raises NotAWorkbook for a file
    that is not a workbook, NotFound for an unknown exam or school, ValidationError when the exam
    reference matches several exams, Cancelled when `cancelled()` turns true,
    FileNotFoundError.
    """
    plan, batches = check_marks(db, path, exam_id, school_id=school_id, progress=progress, cancelled=cancelled)
    # The plan's rows and marks (a county's file: half a million tuples) hold no cycles: the
    # collector would only walk them again and again (a second of the county midterm's check).
    with paused_collector():
        for _ in batches:
            pass
    return plan


def check_marks(db: Database, path, exam_id: str, *, school_id: str | None = None,
                progress: Progress | None = None, cancelled: CancelCheck | None = None,
                early_rows: bool = False) -> tuple[MarksPlan, Iterator[list[tuple]]]:
    """Start reading and checking a marks file: the first step of every marks import.

    Returns (plan, batches). Iterating `batches` reads and checks the file; it yields the new marks
    (as in MarksPlan.inserts) of the first FIRST_BATCH_ROWS rows, then of every BATCH_ROWS rows, as
    soon as they are checked, for as long as no problem has turned up, so a writer can store them
    while the rest is read (see app.marks.writing.import_marks). Once the iteration ends, `plan` is
    complete. With `early_rows` a large one-sheet .xlsx yields its first batches before calamine has
    loaded the whole sheet (app.importing.workbook.open_sheets). Raises (here: an unknown exam; while iterating: the rest)
    what read_marks raises, and with `early_rows` EarlyRowsDiffer while iterating.
    """
    exam = find_exam(db, exam_id)
    plan = MarksPlan(exam_id=exam["id"], exam_name=exam["name"], file_name=Path(path).name)
    return plan, _checked_batches(db, path, exam, plan, SchoolResolver(db, school_id), progress, cancelled,
                                  early_rows)


def _checked_batches(db: Database, path, exam: dict, plan: MarksPlan, resolver: SchoolResolver,
                     progress: Progress | None, cancelled: CancelCheck | None,
                     early_rows: bool) -> Iterator[list[tuple]]:
    """The body of check_marks: read the tables, plan every row, yield the new marks in batches."""
    catalogue = list_subjects(db)
    if progress is not None:
        progress(0.0, "正在打开文件")
    # The rows are read as they are checked (streamed_tables): the first batch of a county's file
    # reaches the writer once its first BATCH_ROWS rows are read, not once the whole file is. The
    # file is opened while the pupils are loaded (opened_beside).
    opening = streamed_tables(path, mark_synonyms(catalogue), min_matches=2, ignore_headers=IGNORED_HEADERS,
                              cancelled=cancelled, early_rows=early_rows)
    with opened_beside(opening, lambda: _Planner(db, plan, exam, resolver, SubjectIndex(catalogue))) as (
            tables, planner):
        plan.problems.extend(_header_problem(p) for p in tables.problems)
        plan.warnings.extend(tables.warnings)
        done = sent = 0
        for table, row in each_row(planner.usable_tables(tables.tables), plan.warnings,
                                   start_table=planner.start_table, progress=progress, cancelled=cancelled, start=0.05):
            planner.plan_row(table, row)
            done += 1
            if (done % BATCH_ROWS == 0 or done == FIRST_BATCH_ROWS) and not plan.problems:
                yield plan.inserts[sent:]
                sent = len(plan.inserts)
        tables.check_rows()
        plan.problems.extend(p for p in tables.problems if p.code == "no_rows")
    if not plan.problems and sent < len(plan.inserts):
        yield plan.inserts[sent:]
    planner.finish()
    if progress is not None:
        progress(1.0, "检查完毕")


def _header_problem(problem: Problem) -> Problem:
    """Say what a marks file needs where the generic reader found no header."""
    if problem.code == "no_header":
        return Problem("找不到表头:需要“学籍号”或“姓名”列,以及各科成绩列(如“语文”“数学”)或“科目”“成绩”两列。"
                       "请检查列名是否写对。", sheet=problem.sheet, row=problem.row, code="no_header")
    return problem


class _Planner:
    """Turns data rows into planned marks, keeping what is needed across rows (duplicates)."""

    def __init__(self, db: Database, plan: MarksPlan, exam: dict, resolver: SchoolResolver,
                 subjects: SubjectIndex):
        self.db, self.plan, self.exam, self.resolver, self.subjects = db, plan, exam, resolver, subjects
        self.exam_subjects = {s["subject_id"]: s for s in exam["subjects"]}
        self.exam_grades = set(exam["grades"])
        self.classes = ExamClasses(db, exam["academic_year_id"])
        self.pupils = ExamPupils(db, exam, self.classes)
        # The exam's stored marks, {pupil: {subject: (score, status, school, class)}}, with the ids
        # and words shared (one string each): a county's half a million marks then take ~60 MB, not 300.
        shared = {pid: pid for pid in self.pupils.info} | {sid: sid for sid in self.exam_subjects} | \
            {w: w for w in ("正常", "缺考", "免考", "作弊")}
        self.existing: dict[str, dict[str, tuple[float | None, str, str, str | None]]] = {}
        for pupil_id, subject_id, score, status, school_id, class_id in db.execute(
                "SELECT pupil_id, subject_id, score, status, school_id, class_id FROM mark"
                f" WHERE exam_no = {number_of('exam')}", [exam["id"]]):
            self.existing.setdefault(shared.get(pupil_id, pupil_id), {})[shared.get(subject_id, subject_id)] = \
                (score, shared.get(status, status), shared.setdefault(school_id, school_id),
                 shared.setdefault(class_id, class_id))
        # Where each pupil's marks were seen in the file: [(sheet, row, subject ids)].
        self.seen: dict[str, list[tuple[str, int, tuple[str, ...]]]] = {}
        self.matched: set[str] = set()
        self.summary_rows: dict[str, list[int]] = {}
        self.mismatched_classes: dict[str, list[int]] = {}
        self.sheets: list[str] = []
        # per table, set by start_table
        self.subject_columns: list[tuple[str, dict | None]] = []
        # (field, subject, grades, full marks, subject id) of the subject columns in the exam
        self.mark_columns: list[tuple[str, dict, Container[int], float, str]] = []
        self.sheet_schools: tuple[str, ...] | None = None
        self._school_keys: dict[str, tuple[str, ...]] = {}
        for school_id, school in resolver.schools.items():
            for key in {clean(school["code"]).upper(), clean(school["name"]).upper()}:
                self._school_keys[key] = (*self._school_keys.get(key, ()), school_id)
        self.sheet_classes: list[dict] | None = None
        # What a row's 学校 / 班级 cell was found to mean: a county file repeats each a thousand times.
        self._schools_by_cell: dict[object, tuple[str, ...]] = {}
        self._classes_by_cell: dict[tuple, list[dict]] = {}

    # --- tables --------------------------------------------------------------------------------
    def usable_tables(self, tables: list[Table]) -> list[Table]:
        """Return the tables that hold pupils' marks; report the others (problem or warning)."""
        usable, skipped = [], []
        for table in tables:
            self.sheets.append(table.sheet)
            has_pupil = table.has("student_no") or table.has("name")
            has_subjects = any(f.startswith("subject:") for f in table.headers)
            long_form = table.has("subject") and table.has("score")
            if has_pupil and (has_subjects or long_form):
                usable.append(table)
                continue
            if not has_pupil:
                message = "表头中没有“学籍号”或“姓名”列,不是学生成绩表。"
            else:
                message = "表头中没有成绩列:应有各科成绩列(如“语文”“数学”),或“科目”和“成绩”两列。"
            skipped.append(Problem(message, sheet=table.sheet, row=table.header_row, code="not_data_sheet"))
        for problem in skipped:
            if usable:
                self.plan.warnings.append(Problem(problem.message + "这个工作表已跳过。", sheet=problem.sheet,
                                                  row=problem.row, severity="warning", code=problem.code))
            else:
                self.plan.problems.append(Problem(problem.message + "请检查列名是否写对。", sheet=problem.sheet,
                                                  row=problem.row, code=problem.code))
        return usable

    def start_table(self, table: Table) -> bool:
        """Work out what holds for every row of `table`: subject columns, school, class. Returns True
        (every usable table's rows are planned)."""
        self.subject_columns = []
        for field_name in table.headers:
            if not field_name.startswith("subject:"):
                continue
            subject_id = field_name.split(":", 1)[1]
            found = self.exam_subjects.get(subject_id)
            if found is None:
                self.plan.problems.append(Problem(
                    f"科目“{table.column(field_name)}”不在考试“{self.exam['name']}”中(本次考试科目:"
                    f"{'、'.join(s['name'] for s in self.exam['subjects'])})。请删去这一列,或先把该科目加入考试。",
                    sheet=table.sheet, row=table.header_row, column=table.column(field_name), field="subject"))
            self.subject_columns.append((field_name, found))
        # A graded (等级) subject's full marks is its number of levels: no number passes the fast path of _marks.
        self.mark_columns = [(field_name, subject, subject["grades"],
                              -1.0 if subject.get("levels") else subject["full_marks"], subject["subject_id"])
                             for field_name, subject in self.subject_columns if subject is not None]
        if table.has("subject") and table.has("score") and self.subject_columns:
            self.plan.problems.append(Problem(
                "这个工作表既有“科目”“成绩”两列,又有各科成绩列,无法判断按哪种格式读取。请只保留一种。",
                sheet=table.sheet, row=table.header_row))
        if self.resolver.fixed or len(self.resolver.schools) == 1:
            self.sheet_schools = (self.resolver.for_sheet(table.sheet),)
        else:
            self.sheet_schools = self._schools_named(table.sheet) or None
        self.sheet_classes = None
        if not table.has("class"):
            self.sheet_classes = self._find_classes(table.sheet, self.sheet_schools, None) or None
        return True

    # --- rows ----------------------------------------------------------------------------------
    def plan_row(self, table: Table, row: DataRow) -> None:
        raw = row.values
        self.plan.rows += 1
        if self._summary_row(table, raw, row):
            return
        check = RowCheck(table, row)
        schools = self._row_schools(check, table, raw, row)
        classes = self._row_classes(check, table, raw, schools)
        pid = self._pupil(check, table, raw, schools, classes)
        marks: list[tuple] = []
        if pid is not None:
            marks = self._marks(check, table, raw, row, pid)
        if check.problems:
            self.plan.problems.extend(check.problems)
            self.plan.rows_with_problems += 1
            return
        if pid not in self.existing:  # nothing stored yet for this pupil: every mark is new
            school_id = self.pupils.info[pid][0]
            class_id, grade = self.pupils.at_exam[pid]
            self.plan.inserts.extend([(school_id, pid, subject_id, class_id, grade, score, status)
                                      for subject_id, score, status in marks])
            return
        for subject_id, score, status in marks:
            self._plan_mark(pid, subject_id, score, status, row)

    def _summary_row(self, table: Table, raw: dict, row: DataRow) -> bool:
        if raw.get("student_no") is not None:
            return False
        word = clean(raw.get("name"))
        if word not in _SUMMARY_WORDS:
            return False
        self.summary_rows.setdefault(table.sheet, []).append(row.row)
        return True

    def _schools_named(self, text: object) -> tuple[str, ...]:
        """Return the schools whose code or name is `text` (a county has schools of one name in
        several townships), else the one whose name contains it, else none."""
        found = self._school_keys.get(clean(text).upper())
        if found:
            return found
        near = self.resolver.find(text)
        return (near,) if near else ()

    def _row_schools(self, check: RowCheck, table: Table, raw: dict, row: DataRow) -> tuple[str, ...] | None:
        """Return the schools the row may belong to (None: any school of the database)."""
        cell = raw.get("school")
        known = self._schools_by_cell.get(cell)  # only cells naming a school, of a database of several
        if known is not None:
            return known
        if cell is None or not clean(cell):
            return self.sheet_schools
        if len(self.resolver.schools) == 1:
            self.resolver.for_row(table, row)  # a name that is not this school's: one warning per sheet
            return self.sheet_schools
        named = self._schools_named(cell)
        if not named:
            check.add("school", f"学校“{clean(cell)}”不在这个数据库中。请核对学校名称或代码。")
            return None
        if self.resolver.fixed and self.resolver.fixed not in named:
            check.add("school", f"这一行属于“{clean(cell)}”,但导入时选择的学校是“{self.resolver.name(self.resolver.fixed)}”。"
                      "请只导入本校的行,或导入时不选学校。")
            return None
        self._schools_by_cell[cell] = named
        return named

    def _find_classes(self, text: object, schools: tuple[str, ...] | None, grade_hint: int | None) -> list[dict]:
        if schools is None:
            return self.classes.find(text, None, grade_hint)
        return [c for school_id in schools for c in self.classes.find(text, school_id, grade_hint)]

    def _where(self, schools: tuple[str, ...] | None, default: str) -> str:
        if schools and len(self.resolver.schools) > 1:
            return f"“{self.resolver.name(schools[0])}”"
        return default

    def _row_classes(self, check: RowCheck, table: Table, raw: dict,
                     schools: tuple[str, ...] | None) -> list[dict] | None:
        """Return the classes the row's 班级 cell (or the sheet's name) may mean; None when not given."""
        cell = raw.get("class")
        if cell is None:
            return self.sheet_classes
        memo = (cell, schools, raw.get("grade"))
        known = self._classes_by_cell.get(memo)
        if known is not None:
            return known
        grade_hint = parse_grade(raw.get("grade")) if raw.get("grade") is not None else None
        found = self._find_classes(cell, schools, grade_hint)
        if found:
            self._classes_by_cell[memo] = found
        else:
            where = self._where(schools, "")
            if parse_class(cell, grade_hint) is None and not self.classes.find(cell, None, grade_hint):
                check.add("class", f"班级“{clean(cell)}”无法识别。请写成“三(2)班”“3.2”或“302”的形式;"
                          "复式班请写系统中的班级名称。", "class")
            else:
                check.add("class", f"{where}没有“{clean(cell)}”这个班({self.exam['term_name']})。"
                          "请核对班级,或先在“学生”页导入名册。", "class")
        return found

    def _pupil(self, check: RowCheck, table: Table, raw: dict, schools: tuple[str, ...] | None,
               classes: list[dict] | None) -> str | None:
        """Return the pupil the row is about, or None after recording why it is not known."""
        try:
            no = code_text(raw.get("student_no"))
        except CellError as exc:
            check.add("student_no", f"{exc}。")
            return None
        name = clean(raw.get("name"))
        pupils = self.pupils
        if no:
            candidates = pupils.by_no.get(no, [])
            if schools is not None:
                candidates = [p for p in candidates if pupils.info[p][0] in schools]
            if len(candidates) > 1:
                staying = [p for p in candidates if pupils.info[p][3] not in _LEFT]
                candidates = staying if len(staying) == 1 else candidates
            if not candidates:
                where = self._where(schools, "数据库")
                check.add("student_no", f"学籍号“{no}”不在{where}中。请核对学籍号,或先在“学生”页导入名册。")
                return None
            if len(candidates) > 1:
                names = "、".join(self.resolver.name(pupils.info[p][0]) for p in candidates)
                check.add("student_no", f"学籍号“{no}”在多所学校都有({names})。请在表中增加“学校”列。")
                return None
            pid = candidates[0]
            if name and not pupils.named(pid, name):
                check.add("name", f"学籍号“{no}”在数据库中是“{pupils.name(pid)}”,表中姓名为“{name}”。"
                          "请核对学籍号或姓名。")
                return None
            if classes and pupils.at_exam[pid][0] not in {c["id"] for c in classes}:
                self.mismatched_classes.setdefault(table.sheet, []).append(check.row.row)
            return pid
        if not name:
            check.add("name" if table.has("name") else "student_no", "学籍号和姓名都为空,无法确定是哪位学生。")
            return None
        if classes is not None:
            if not classes:
                return None  # the class problem is already recorded
            pool = [p for c in classes for p in pupils.in_class(c["id"], name)]
            where = "、".join(self._class_label(c) for c in classes)
        elif schools is not None:
            pool = [p for school_id in schools for p in pupils.in_school(school_id, name)]
            where = self._where(schools, "本校")
        else:
            pool = pupils.anywhere(name)
            where = "数据库"
        if not pool:
            check.add("name", f"{where}中没有名为“{name}”的学生。请核对姓名和班级,或填写学籍号。")
            return None
        if len(pool) > 1:
            numbers = "、".join(pupils.info[p][1] for p in pool)
            check.add("name", f"{where}中有 {len(pool)} 名学生叫“{name}”(学籍号 {numbers}),无法区分。"
                      "请在表中填写学籍号。")
            return None
        return pool[0]

    def _class_label(self, item: dict) -> str:
        if len(self.resolver.schools) > 1:
            return f"{self.resolver.name(item['school_id'])}{item['name']}"
        return item["name"]

    def _marks(self, check: RowCheck, table: Table, raw: dict, row: DataRow, pid: str) -> list[tuple]:
        """Return (subject_id, score, status) of every mark in the row; record each bad cell."""
        grade = self.pupils.at_exam[pid][1]
        if grade not in self.exam_grades:
            check.add("student_no" if table.has("student_no") else "name",
                      f"“{self.pupils.name(pid)}”是{grade}年级学生,考试“{self.exam['name']}”不考{grade}年级。")
            return []
        out: list[tuple] = []
        if self.subject_columns:
            examined = 0
            for field_name, subject, grades, full, subject_id in self.mark_columns:
                value = raw.get(field_name)
                if grade in grades:
                    examined += 1
                    # The common case, a number in range in half points, without a call.
                    if value.__class__ in (int, float) and 0 <= value <= full \
                            and (value.__class__ is int or float(value * 2).is_integer()):
                        out.append((subject_id, float(value), "正常"))
                        continue
                mark = self._cell(check, field_name, value, subject, grade)
                if mark is not None:
                    out.append((subject_id, *mark))
            if len(out) == examined:
                self._check_total(check, raw, out)
        else:
            written = raw.get("subject")
            found = self.subjects.find(written) if written is not None else None
            subject = self.exam_subjects.get(found["id"]) if found else None
            if written is None:
                check.add("subject", "科目为空。")
            elif found is None:
                check.add("subject", f"“{clean(written)}”不是科目名称。")
            elif subject is None:
                check.add("subject", f"科目“{found['name']}”不在考试“{self.exam['name']}”中。")
            else:
                mark = self._cell(check, "score", raw.get("score"), subject, grade)
                if mark is not None:
                    out.append((subject["subject_id"], *mark))
        subjects = tuple(subject_id for subject_id, _, _ in out)
        earlier = self.seen.setdefault(pid, [])
        first = next((e for e in earlier if set(e[2]) & set(subjects)), None)
        if first is not None:
            what = "这名学生" if self.subject_columns else f"这名学生的{self.exam_subjects[subjects[0]]['name']}成绩"
            check.add("student_no" if table.has("student_no") else "name",
                      f"{what}在表中出现了两次(另见工作表“{first[0]}”第 {first[1]} 行)。请删去重复的一行。", "pupil")
        elif subjects:
            earlier.append((row.sheet, row.row, subjects))
        self.matched.add(pid)
        return out

    def _cell(self, check: RowCheck, field_name: str, value: object, subject: dict,
              grade: int) -> tuple[float | None, str] | None:
        """Return (score, status) of one cell, or None when it is to be skipped or is wrong."""
        if grade not in subject["grades"]:
            if value is None or clean(value) in _NOT_APPLICABLE:
                return None
            check.add(field_name, f"{grade}年级不考{subject['name']},这一格应为空。")
            return None
        full = subject["full_marks"]
        levels = subject.get("levels")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not levels:
            score = float(value)
            if 0 <= score <= full and (score * 2).is_integer():
                return score, "正常"
        try:
            return parse_mark(value, full, levels)
        except ValidationError as exc:
            check.add(field_name, exc.problems[0].message)
            return None

    def _check_total(self, check: RowCheck, raw: dict, marks: list[tuple]) -> None:
        cell = raw.get("total")
        if cell is None or not marks:
            return
        try:
            total = float(cell) if cell.__class__ in (int, float) else float(clean(cell))
        except ValueError:
            return
        added = sum(score for _, score, _ in marks if score is not None)
        if abs(total - added) > 0.01:
            self.plan.warnings.append(check.warning(
                "total", f"总分 {total:g} 与各科成绩之和 {added:g} 不一致。总分列不会导入,请核对各科成绩。"))

    def _plan_mark(self, pid: str, subject_id: str, score: float | None, status: str, row: DataRow) -> None:
        stored = self.existing.get(pid, {}).get(subject_id)
        if stored is None:
            class_id, grade = self.pupils.at_exam[pid]
            self.plan.inserts.append((self.pupils.info[pid][0], pid, subject_id, class_id, grade, score, status))
            return
        old_score, old_status, mark_school, mark_class = stored
        if old_status == status and old_score == score:
            self.plan.unchanged += 1
            return
        school_id, no, name, _ = self.pupils.info[pid]
        self.plan.updates.append({
            "mark_id": derived_id("mark", {"exam_id": self.exam["id"], "pupil_id": pid, "subject_id": subject_id}),
            "school_id": school_id, "student_no": no, "name": name,
            "subject": self.exam_subjects[subject_id]["name"], "sheet": row.sheet, "row": row.row,
            "old": mark_text(old_score, old_status), "new": mark_text(score, status),
            "score": score, "status": status, "group": (mark_school, mark_class, subject_id),
            "key": (pid, subject_id), "stored": (old_score, old_status)})

    # --- end -----------------------------------------------------------------------------------
    def finish(self) -> None:
        """Add the sheet-wide warnings, count the pupils and sort problems by place."""
        plan = self.plan
        for sheet, rows in self.summary_rows.items():
            plan.warnings.append(Problem(f"第 {'、'.join(map(str, rows[:10]))} 行是统计行(平均分、合计等),没有导入。",
                                         sheet=sheet, severity="warning"))
        for sheet, rows in self.mismatched_classes.items():
            shown = "、".join(map(str, rows[:10])) + (" 等" if len(rows) > 10 else "")
            plan.warnings.append(Problem(
                f"第 {shown} 行的班级与数据库中该生当时所在的班级不同;成绩按数据库中的班级记录。",
                sheet=sheet, severity="warning"))
        plan.warnings.extend(self.resolver.warnings())
        if not plan.problems:
            plan.warnings.extend(self._missing_pupils())
        plan.pupils = len(self.matched)
        sort_problems(plan.problems, self.sheets)
        sort_problems(plan.warnings, self.sheets)

    def _missing_pupils(self) -> list[Problem]:
        """One warning per class in the file listing the pupils on its roster on the exam date (not
        免考) who still have no mark once the file is in: under the roster basis they count as 缺考 = 0."""
        # Every mark the file holds (new, changed or unchanged) is there once it is in: the subjects
        # seen per pupil (one row each in a file of a row per pupil).
        planned = {pid: places[0][2] if len(places) == 1 else {s for _, _, subjects in places for s in subjects}
                   for pid, places in self.seen.items()}
        at_exam = self.pupils.at_exam
        touched = {at_exam[p][0] for p in self.matched} - {None}
        names = {s["subject_id"]: s["name"] for s in self.exam["subjects"]}
        by_class: dict[str, dict[str, list]] = {}
        schools = {row[0] for row in self.plan.inserts} | {u["school_id"] for u in self.plan.updates}
        for item in missing_marks(self.db, self.exam, reporting=schools, also_marked=planned):
            if item.exempt or item.class_id not in touched:
                continue
            pupil = by_class.setdefault(item.class_id, {}).setdefault(item.pupil_id, [item, []])
            pupil[1].append(names[item.subject_id])
        out = []
        for class_id, pupils in by_class.items():
            if class_id not in self.classes.by_id:
                continue
            shown = "、".join(f"{item.name}({item.student_no}" + ("" if len(subjects) == len(names) else
                                                                   f",缺{'、'.join(subjects)}") + ")"
                             for item, subjects in list(pupils.values())[:20])
            more = f" 等 {len(pupils)} 人" if len(pupils) > 20 else ""
            out.append(Problem(f"{self._class_label(self.classes.by_id[class_id])}:名册上有 {len(pupils)} 名学生没有成绩"
                               f"(考试当天在班、未免考;按应考人数统计时计为缺考 0 分):{shown}{more}。",
                               severity="warning"))
        return out
