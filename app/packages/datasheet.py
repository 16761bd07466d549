"""data.xlsx: the sheets of a data package, written for people (WPS, Excel) and read back exactly.

Every sheet starts with the columns a person reads (names, numbers as numbers, 是/否) and ends
with the stable ids the import matches rows by. Columns marked read=False are for people only
(a class's name beside its id) and are ignored when the file is read.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from typing import Any
from dataclasses import dataclass

import xlsxwriter
from xlsxwriter.worksheet import Worksheet
from app.errors import Problem
from app.importing.limits import FileTooLarge, NotAWorkbook
from app.importing.sheets import RawSheet, open_workbook_bytes
from app.packages.format import MAX_XLSX_UNPACKED, PackageRefused


@dataclass(frozen=True)
class Col:
    """One column: its header, the key of the row dict, how values are written and read."""

    header: str
    key: str
    kind: str = "text"  # id, text, int, real, flag, grades, list, map, cutoffs
    read: bool = True
    values: tuple[tuple[str, str], ...] = ()  # for kind map: (stored, shown)
    width: int = 12
    optional: bool = False  # added after packages were first written: an older package may lack it


@dataclass(frozen=True)
class Sheet:
    """One sheet of data.xlsx and what it holds."""

    name: str
    note: str
    columns: tuple[Col, ...]
    optional: bool = False  # added after packages were first written: an older package may lack it

    def column(self, key: str) -> Col:
        """Return the column of this sheet with key `key`."""
        return next(c for c in self.columns if c.key == key)


def _id(header: str, key: str) -> Col:
    return Col(header, key, "id", width=38)


def _show(header: str, key: str, width: int = 14) -> Col:
    return Col(header, key, "text", read=False, width=width)


_OWN = Col("本包数据", "own", "flag", width=9)
_TERM = Col("学期", "term_code", width=13)
_SUBJECT = Col("科目", "subject", width=10)
POLICIES = (("sat", "实考"), ("roster", "应考"))
ASSESSMENTS = (("分数", "分数"), ("等级", "等级"))
PERIOD_KINDS = (("lesson", "上课"), ("早读", "早读"), ("大课间", "大课间"), ("午休", "午休"), ("自习", "自习"),
                ("课外活动", "课外活动"))
METRICS = (("mean", "平均分"), ("pass_rate", "及格率"), ("excellent_rate", "优秀率"), ("low_rate", "低分率"),
           ("composite", "综合分"), ("progress", "进步值"), ("rank", "名次"))

SHEETS: tuple[Sheet, ...] = (
    Sheet("学校", "本包学校(本包数据=是)及为读懂数据而附带的相关学校(走教教师的学校,本包数据=否)。", (
        Col("学校代码", "code", width=10), Col("学校名称", "name", width=22), Col("类型", "type", width=10),
        Col("所属乡镇代码", "township_code", width=12), Col("地址", "address", width=24),
        Col("每日最多节数", "daily_max_periods", "int"), _OWN, _id("学校ID", "id"))),
    Sheet("班级", "本校所有学年的班级;复式班的年级写作“3,4”。", (
        _show("学校", "school_name", 20), Col("学年", "year_code", width=11), Col("班级名称", "name", width=14),
        Col("班号", "number", "int", width=6), Col("年级", "grades", "grades", width=8),
        _show("班主任", "head_teacher_name", 10), _id("班级ID", "id"), _id("学校ID", "school_id"),
        _id("班主任ID", "head_teacher_id"))),
    Sheet("学生", "本校全部学生(含已转出、休学的学生)。", (
        Col("学籍号", "student_no", width=22), Col("姓名", "name", width=10), Col("性别", "gender", width=6),
        Col("出生日期", "birth_date", width=12),
        Col("年级", "grade", "int", width=6), _show("班级", "class_name", 12),
        Col("寄宿", "boarding", "flag", width=6), Col("留守儿童", "left_behind", "flag", width=8),
        Col("随迁子女", "migrant", "flag", width=8), Col("残疾", "disabled", "flag", width=6),
        Col("体育免修", "pe_exempt", "flag", width=8), Col("学籍状态", "status", width=8),
        Col("状态日期", "status_date", width=12), Col("入学日期", "enrol_date", width=12),
        _id("学生ID", "id"), _id("学校ID", "school_id"), _id("班级ID", "class_id"))),
    Sheet("学籍异动", "学生的学籍状态变动记录(转入、转出、休学等)。", (
        _show("学籍号", "student_no", 22), _show("姓名", "pupil_name", 10), Col("状态", "status", width=8),
        Col("日期", "date", width=12), Col("备注", "note", width=24), _id("记录ID", "id"),
        _id("学校ID", "school_id"), _id("学生ID", "pupil_id"))),
    Sheet("教师", "本校教师(本包数据=是)及到本校走教的外校教师(本包数据=否,仅供参照)。", (
        Col("工号", "staff_no", width=10), Col("姓名", "name", width=10), Col("性别", "gender", width=6),
        Col("出生日期", "birth_date", width=12), Col("参加工作时间", "hire_date", width=12),
        Col("电话", "phone", width=14), Col("在岗", "active", "flag", width=6),
        Col("任教学科", "subjects", "list", width=18), Col("职务", "roles", "list", width=16),
        Col("称号", "titles", "list", width=10), Col("走教学校代码", "sites", "list", width=18),
        _show("学校", "school_name", 20), _OWN, _id("教师ID", "id"), _id("学校ID", "school_id"))),
    Sheet("考试", "本期考试,每个考试科目一行;统考由乡镇统一下发(本包数据=否)。分年级分数线写作“年级:优秀/及格/低分”。"
          "等级评价的科目(评价方式=等级)在“等级”列写出各等级(从高到低,如 A/B/C),其成绩为等级的序号(1 为最高),满分为等级数。", (
        Col("考试名称", "name", width=30), Col("类型", "type", width=8), Col("范围", "scope", width=6), _TERM,
        Col("日期", "date", width=12), Col("统计口径", "policy", "map", values=POLICIES, width=8),
        Col("考试年级", "exam_grades", "grades", width=12), _SUBJECT, Col("满分", "full_marks", "real", width=8),
        Col("考查年级", "subject_grades", "grades", width=12), Col("优秀线(%)", "excellent_pct", "real", width=9),
        Col("及格线(%)", "pass_pct", "real", width=9), Col("低分线(%)", "low_pct", "real", width=9),
        Col("分年级分数线", "cutoffs", "cutoffs", width=20),
        Col("评价方式", "assessment", "map", values=ASSESSMENTS, width=8), Col("等级", "levels", width=16),
        _OWN, _id("考试ID", "id"),
        _id("学校ID", "school_id"), Col("乡镇代码", "township_code", width=10),
        _id("考试科目ID", "exam_subject_id"))),
    Sheet("成绩", "本期各次考试的成绩;缺考、免考、作弊时分数为空。", (
        _show("考试", "exam_name", 30), _show("学籍号", "student_no", 22), _show("姓名", "pupil_name", 10),
        Col("年级", "grade", "int", width=6), _show("班级", "class_name", 12), _SUBJECT,
        Col("分数", "score", "real", width=8), Col("状态", "status", width=8), _id("成绩ID", "id"),
        _id("学校ID", "school_id"), _id("考试ID", "exam_id"), _id("学生ID", "pupil_id"), _id("班级ID", "class_id"))),
    Sheet("任课", "本期任课安排。", (
        _TERM, _show("教师", "teacher_name", 10), _show("班级", "class_name", 12), _SUBJECT,
        Col("周课时", "weekly_periods", "real", width=8), _id("任课ID", "id"), _id("学校ID", "school_id"),
        _id("教师ID", "teacher_id"), _id("班级ID", "class_id"))),
    Sheet("课表", "本期课表:每班每天每节一行。", (
        _TERM, _show("班级", "class_name", 12), Col("星期", "day", "int", width=6), Col("节次", "slot", "int", width=6),
        _SUBJECT, _show("教师", "teacher_name", 10), Col("教室", "room", width=10),
        Col("锁定", "locked", "flag", width=6, optional=True), _id("记录ID", "id"),
        _id("学校ID", "school_id"), _id("班级ID", "class_id"), _id("教师ID", "teacher_id"))),
    Sheet("作息时间", "本期每天的节次安排。", (
        _TERM, Col("节次", "slot", "int", width=6), Col("名称", "label", width=10),
        Col("类型", "kind", "map", values=PERIOD_KINDS, width=8), Col("开始时间", "start_time", width=9),
        Col("时长(分钟)", "minutes", "int", width=10), _id("记录ID", "id"), _id("学校ID", "school_id"))),
    Sheet("固定活动", "本期全校固定活动(升旗、班会等):这一节不排课,或每班都上所写的科目。", (
        _TERM, Col("星期", "day", "int", width=6), Col("节次", "slot", "int", width=6), Col("活动", "label", width=10),
        _SUBJECT, _id("记录ID", "id"), _id("学校ID", "school_id")), optional=True),
    Sheet("教师不能上课", "本期教师不能上课的时间(节次为空表示全天;节次按教师本校的作息时间)。", (
        _TERM, _show("教师", "teacher_name", 10), Col("星期", "day", "int", width=6), Col("节次", "slot", "int", width=6),
        Col("原因", "reason", width=20), _id("记录ID", "id"), _id("学校ID", "school_id"), _id("教师ID", "teacher_id")),
        optional=True),
    Sheet("听课记录", "本期听课记录。", (
        _TERM, Col("日期", "date", width=12), _show("听课人", "observer_name", 10),
        _show("授课教师", "teacher_name", 10), _show("班级", "class_name", 12), _SUBJECT,
        Col("评课表", "form_id", width=14), Col("评分明细", "ratings", width=30), Col("得分", "score", "real", width=8),
        Col("备注", "notes", width=24), _id("记录ID", "id"), _id("学校ID", "school_id"),
        _id("听课人ID", "observer_id"), _id("授课教师ID", "teacher_id"), _id("班级ID", "class_id"))),
    Sheet("教学常规", "本期教学常规检查(备、讲、批、辅、考、思、研)。", (
        _TERM, Col("日期", "date", width=12), _show("教师", "teacher_name", 10), _show("检查人", "checker_name", 10),
        Col("环节", "link", width=6), Col("评分表", "sheet_id", width=14), Col("评分明细", "scores", width=30),
        Col("总分", "total", "real", width=8), Col("备注", "notes", width=24), _id("记录ID", "id"),
        _id("学校ID", "school_id"), _id("教师ID", "teacher_id"), _id("检查人ID", "checker_id"))),
    Sheet("作业时间", "本期各班每个上学日各科书面作业时间(分钟),由班主任登记。", (
        _TERM, _show("班级", "class_name", 12), Col("日期", "date", width=12), _SUBJECT,
        Col("分钟", "minutes", "int", width=8), Col("备注", "note", width=24), _id("记录ID", "id"),
        _id("学校ID", "school_id"), _id("班级ID", "class_id"))),
    Sheet("家访", "本期家访记录。", (
        _TERM, Col("日期", "date", width=12), _show("学籍号", "student_no", 22), _show("学生", "pupil_name", 10),
        _show("家访教师", "teacher_name", 10), Col("方式", "way", width=8), Col("情况记录", "notes", width=30),
        _id("记录ID", "id"), _id("学校ID", "school_id"), _id("学生ID", "pupil_id"), _id("教师ID", "teacher_id"))),
    Sheet("集体备课", "本期集体备课记录;参加教师ID为 JSON 列表。", (
        _TERM, Col("日期", "date", width=12), Col("教研组", "group_name", width=10), _show("主备人", "lead_name", 10),
        Col("主题", "topic", width=24), _show("参加教师", "attendees", 24), Col("备注", "notes", width=20),
        _id("记录ID", "id"), _id("学校ID", "school_id"), _id("主备人ID", "lead_id"),
        Col("参加教师ID", "attendee_ids", width=38))),
    Sheet("质量指标", "本期教学质量目标;写了教师的是该教师的目标(按其任教班级核算)。", (
        _TERM, Col("年级", "grade", "int", width=6), _SUBJECT, _show("教师", "teacher_name", 10),
        Col("指标", "metric", "map", values=METRICS, width=8), Col("目标值", "target", "real", width=8),
        Col("备注", "note", width=24), _id("记录ID", "id"), _id("学校ID", "school_id"),
        Col("教师ID", "teacher_id", "id", width=38, optional=True))),
    Sheet("辅导记录", "本期培优补差辅导记录:每次辅导一行,辅导的学生见“辅导学生”表。", (
        _TERM, Col("日期", "date", width=12), _show("教师", "teacher_name", 10), _SUBJECT,
        Col("时长(分钟)", "minutes", "int", width=10), Col("辅导内容", "content", width=30),
        Col("效果", "outcome", width=24), _id("记录ID", "id"), _id("学校ID", "school_id"),
        _id("教师ID", "teacher_id"))),
    Sheet("辅导学生", "每次辅导的学生(一名学生一行)。", (
        _TERM, _show("日期", "date", 12), _show("学籍号", "student_no", 22), _show("姓名", "pupil_name", 10),
        _id("记录ID", "id"), _id("学校ID", "school_id"), _id("辅导记录ID", "tutoring_id"),
        _id("学生ID", "pupil_id"))),
    Sheet("帮扶名单", "本期各教师的帮扶名单(由考试的临界生、学困生名单生成)。", (
        _TERM, _show("教师", "teacher_name", 10), _show("学籍号", "student_no", 22), _show("姓名", "pupil_name", 10),
        _SUBJECT, Col("名单", "list", width=8), Col("来源考试ID", "exam_id", width=38), Col("备注", "note", width=20),
        _id("记录ID", "id"), _id("学校ID", "school_id"), _id("教师ID", "teacher_id"), _id("学生ID", "pupil_id"))),
    Sheet("双困生", "本期认定的双困生(学习困难,并有行为或家庭困难)。", (
        _TERM, _show("学籍号", "student_no", 22), _show("姓名", "pupil_name", 10), Col("类型", "kind", width=10),
        Col("原因", "reason", width=30), Col("认定日期", "date", width=12), _id("记录ID", "id"),
        _id("学校ID", "school_id"), _id("学生ID", "pupil_id"))),
    Sheet("考核评估表", "本学年学校教学质量评估表(篇10)的各评估项目、满分、学校自评(和已有的乡镇评分);乡镇报县的数据包还有乡镇填写的年度绩效考核表(篇20)。内容以 JSON 写出。", (
        Col("学年", "year_code", width=11), Col("表格", "kind", width=12), Col("内容", "content", width=60),
        _id("记录ID", "id"), _id("学校ID", "school_id"))),
    Sheet("多方评价", "本学年教师多方评价得分(篇11):每位教师、每一评价方一行,0-100。", (
        Col("学年", "year_code", width=11), _show("工号", "staff_no", 10), _show("教师", "teacher_name", 10),
        Col("评价方", "rater", width=10), Col("得分", "score", "real", width=8), _id("记录ID", "id"),
        _id("学校ID", "school_id"), _id("教师ID", "teacher_id"))),
)
SHEET_NAMES = tuple(s.name for s in SHEETS) + ("说明",)
# Sheets added after packages were first written (pupil support, school records): a package of an
# older version lacks them and is read as holding none of their rows.
LATER_SHEETS = {"辅导记录", "辅导学生", "帮扶名单", "双困生", "作业时间", "家访", "集体备课", "考核评估表", "多方评价"}
SHEET = {s.name: s for s in SHEETS}
# Id columns that may not be empty; the others (a class without 班主任 …) may.
REQUIRED_IDS = {"id"}


def _shown(col: Col, value: Any) -> object:
    if value is None or value == "":
        return None
    if col.kind == "flag":
        return "是" if int(value) else "否"
    if col.kind == "map":
        return dict(col.values).get(value, value)
    if col.kind == "int":
        return int(value)
    if col.kind == "real":
        number = float(value)
        return int(number) if number.is_integer() else number
    if col.kind == "grades":
        text = str(value)
        return int(text) if text.isdigit() else text
    return value


def _write_row(worksheet: Worksheet, row: int, values: Iterable[object]) -> None:
    """Write one row cell by cell with the writer for its type: text is always text (an id or a
    学籍号 never becomes a number, a formula or a link), numbers are numbers, empty cells stay empty."""
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            worksheet.write_boolean(row, column, value)
        elif isinstance(value, (int, float)):
            worksheet.write_number(row, column, value)
        else:
            worksheet.write_string(row, column, str(value))


def write_workbook(rows: dict[str, list[dict]], notes: list[tuple[str, object]]) -> bytes:
    """Return the bytes of data.xlsx holding `rows` (sheet name → row dicts keyed by column key) and
    a 说明 sheet of (label, value) lines followed by what every sheet holds."""
    buffer = io.BytesIO()
    # in_memory: no temporary files, and a third faster than constant_memory for a term of marks
    # (30,000 rows: about 3 s against 5 s) at a peak no higher than building the XML by hand.
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": "教学质量管理数据包", "author": "SchoolQ"})
    header = book.add_format({"bold": True, "font_name": "宋体"})
    header_grey = book.add_format({"bold": True, "font_name": "宋体", "bg_color": "#EEEEEE"})
    for sheet in SHEETS:
        worksheet = book.add_worksheet(sheet.name)
        for index, col in enumerate(sheet.columns):
            worksheet.set_column(index, index, col.width)
            worksheet.write_string(0, index, col.header, header_grey if col.kind == "id" else header)
        worksheet.freeze_panes(1, 0)
        for number, row in enumerate(rows.get(sheet.name, []), start=1):
            _write_row(worksheet, number, (_shown(c, row.get(c.key)) for c in sheet.columns))
    lines = [[label, value] for label, value in notes] + [[], ["工作表", "内容"]]
    lines += [[sheet.name, f"{sheet.note}(共 {len(rows.get(sheet.name, []))} 行)"] for sheet in SHEETS]
    worksheet = book.add_worksheet("说明")
    worksheet.set_column(0, 0, 16)
    worksheet.set_column(1, 1, 90)
    for number, line in enumerate(lines):
        _write_row(worksheet, number, line)
    book.close()
    return buffer.getvalue()


@dataclass
class ReadRow:
    """One data row read back: its sheet, 1-based row number and values keyed by column key."""

    sheet: str
    row: int
    values: dict

    def problem(self, key: str, message: str) -> Problem:
        """Return a Problem located at this row and the column of `key`."""
        return Problem(message, sheet=self.sheet, row=self.row, column=SHEET[self.sheet].column(key).header)


def _read_value(col: Col, value: object) -> object:
    """Return the stored form of a cell value. Raises ValueError with a Chinese reason."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if col.kind == "id" and col.key in REQUIRED_IDS:
            raise ValueError("不能为空")
        return [] if col.kind == "list" else None
    if col.kind in ("id", "text"):
        return str(value)
    if col.kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
            raise ValueError("应为整数")
        return int(value)
    if col.kind == "real":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("应为数字")
        return float(value)
    if col.kind == "flag":
        if value not in ("是", "否"):
            raise ValueError("应为“是”或“否”")
        return 1 if value == "是" else 0
    if col.kind == "map":
        stored = {shown: stored for stored, shown in col.values}
        if value not in stored:
            raise ValueError(f"应为 {' / '.join(stored)} 之一")
        return stored[value]
    if col.kind == "grades":
        parts = str(value).split(",")
        if not all(p.isdigit() and 1 <= int(p) <= 9 for p in parts):
            raise ValueError("应为 1 到 9 的年级,多个年级用英文逗号分开")
        return ",".join(str(int(p)) for p in parts)
    if col.kind == "list":
        return [item for item in str(value).split("、") if item]
    if col.kind == "cutoffs":
        return parse_cutoffs(str(value))
    raise ValueError(col.kind)


def format_cutoffs(lines: list[tuple[int, float, float, float]]) -> str | None:
    """Return per-grade cut-offs as text “3:85/60/40;4:80/60/30”, or None when there are none."""
    def number(x: float) -> str:
        return f"{x:g}"
    return ";".join(f"{g}:{number(e)}/{number(p)}/{number(low)}" for g, e, p, low in sorted(lines)) or None


def parse_cutoffs(text: str) -> list[tuple[int, float, float, float]]:
    """Return the (grade, excellent, pass, low) lines of `format_cutoffs` text. Raises ValueError."""
    lines: list[tuple[int, float, float, float]] = []
    for part in filter(None, text.split(";")):
        grade, _, rest = part.partition(":")
        numbers = rest.split("/")
        if not grade.isdigit() or len(numbers) != 3:
            raise ValueError("分年级分数线应写作“年级:优秀/及格/低分”,用分号分开")
        try:
            excellent, passing, low = (float(n) for n in numbers)
            lines.append((int(grade), excellent, passing, low))
        except ValueError:
            raise ValueError("分年级分数线中的分数线应为数字") from None
    return lines


def read_workbook(data: bytes) -> tuple[dict[str, list[ReadRow]], list[Problem]]:
    """Return the rows of every data sheet (sheet name → ReadRow list) and the problems found.

    The workbook is read as every import reads one (app.importing.sheets: archive and sheet limits,
    sparse sheets cell by cell). Raises PackageRefused when the bytes are not a readable workbook
    or go beyond those limits (or unpack to more than MAX_XLSX_UNPACKED bytes).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            unpacked = sum(info.file_size for info in book.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise PackageRefused("bad_data", "data.xlsx 已损坏,无法读取。") from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise PackageRefused("too_large", "data.xlsx 解压后过大,疑似恶意文件,已拒绝。")
    try:
        with open_workbook_bytes(data, "data.xlsx") as sheets:
            return _read_sheets({sheet.name: sheet for sheet in sheets})
    except FileTooLarge as exc:
        raise PackageRefused("too_large", str(exc)) from None
    except NotAWorkbook:
        raise PackageRefused("bad_data", "data.xlsx 已损坏,无法读取。") from None


def _read_sheets(book: dict[str, RawSheet]) -> tuple[dict[str, list[ReadRow]], list[Problem]]:
    problems: list[Problem] = []
    out: dict[str, list[ReadRow]] = {}
    for sheet in SHEETS:
        if sheet.name not in book:
            if not sheet.optional and sheet.name not in LATER_SHEETS:
                problems.append(Problem("缺少这个工作表。", sheet=sheet.name))
            continue
        rows = enumerate(book[sheet.name].rows, start=1)
        first = next(rows, (1, ()))[1]
        header = [str(h).strip() if h is not None else "" for h in first]
        positions = {}
        for col in sheet.columns:
            if not col.read:
                continue
            if col.header in header:
                positions[col.key] = header.index(col.header)
            elif not col.optional:
                problems.append(Problem("缺少这一列。", sheet=sheet.name, column=col.header))
        if len(positions) != sum(1 for c in sheet.columns if c.read and (c.header in header or not c.optional)):
            continue
        found = out.setdefault(sheet.name, [])
        plan = [(key, position, sheet.column(key)) for key, position in positions.items()]
        for number, cells in rows:
            if all(c is None for c in cells):
                continue
            values = {}
            width = len(cells)
            for key, position, col in plan:
                raw = cells[position] if position < width else None
                try:
                    values[key] = _read_value(col, raw)
                except ValueError as exc:
                    problems.append(Problem(f"“{raw}”{exc}。", sheet=sheet.name, row=number, column=col.header))
            found.append(ReadRow(sheet.name, number, values))
    return out, problems
