"""The values of a package's own rows pass the checks an import of the same data passes.

A package is signed by a school, but what it carries was typed by people and may come from an
older or altered program: a mark of 9999 or −50, a name of 40,000 characters or one that starts a
formula is refused here as it would be in a roster or marks workbook, located by sheet, row and
column of data.xlsx.
"""
from __future__ import annotations

import json
import re

from sqlite_utils import Database

from app.errors import ValidationError
from app.marks.entry import parse_mark
from app.packages.datasheet import SHEET
from app.records.homework import MAX_MINUTES as MAX_HOMEWORK_MINUTES
from app.records.visits import WAYS
from app.services.pupils import STATUSES, g_number_problem
from app.support.records import DIFFICULTY_KINDS
from app.support.records import MAX_MINUTES as MAX_TUTORING_MINUTES
from app.validation.idcard import id_problem
from app.validation.text import code_problem, formula_problem, person_name_problem, phone_text, text_problem

# Longest text a package may carry in a column that is not a name, a code or a number (notes, the
# ratings of an observation), and in the names of classes, exams and schools.
TEXT_LIMIT = 2000
TITLE_LIMIT = 60
MARK_STATUSES = ("正常", "缺考", "免考", "作弊")
_STUDENT_NO = re.compile(r"[A-Z0-9]{4,30}")
# Columns checked on their own below; every other text column gets the general check.
_OWN_RULES = {"pupil": ("name", "student_no", "id_number"), "teacher": ("name", "staff_no", "phone")}


def _full_marks(db: Database, snap) -> dict[tuple[str, str], float]:
    """Return the full marks of every (exam, subject) the package's marks may name."""
    full = {(v["exam_id"], v["subject_id"]): v["full_marks"] for v in snap.table("exam_subject").values()}
    exams = sorted({v["exam_id"] for v in snap.table("mark").values()} - {e for e, _ in full})
    for start in range(0, len(exams), 500):
        chunk = exams[start:start + 500]
        for exam_id, subject_id, marks in db.execute(
                f"SELECT exam_id, subject_id, full_marks FROM exam_subject WHERE exam_id IN"
                f" ({','.join('?' for _ in chunk)})", chunk).fetchall():
            full.setdefault((exam_id, subject_id), marks)
    return full


def _check_marks(db: Database, snap) -> None:
    full = _full_marks(db, snap)
    for rid, values in snap.table("mark").items():
        row = snap.where[("mark", rid)]
        status, score = values.get("status"), values.get("score")
        if status not in MARK_STATUSES:
            snap.problems.append(row.problem("status", f"成绩状态“{status}”应为 {' / '.join(MARK_STATUSES)} 之一。"))
        elif status != "正常":
            if score is not None:
                snap.problems.append(row.problem("score", f"状态为“{status}”的成绩不应有分数。"))
        elif score is None:
            snap.problems.append(row.problem("score", "成绩为空:应有分数,或状态为缺考、免考、作弊。"))
        else:
            limit = full.get((values.get("exam_id"), values.get("subject_id")))
            if limit is None:
                snap.problems.append(row.problem("subject", "这次考试没有这个科目。"))
                continue
            try:
                parse_mark(f"{score:g}", limit)
            except ValidationError as exc:
                snap.problems.append(row.problem("score", str(exc)))


def check_values(db: Database, snap) -> None:
    """Add to `snap.problems` every own row's value that an import of the same data would refuse,
    by the rules of app.validation.text the imports use: names of people, 工号, 电话, 学籍号 (with
    the check digit of a G-number), 身份证号, 性别, 年级, 学籍状态, marks outside 0 … full marks or
    not a whole or half point, and every other text over its length limit, holding invisible
    characters or (names of classes, exams, schools) starting like a formula. Reference rows are
    never written, so they are not checked."""
    # Own ids in the order of their rows, so problems read top to bottom.
    own = {table: [rid for rid in snap.table(table) if rid in ids] for table, ids in snap.own.items()}
    for table in ("pupil", "teacher"):
        for rid in own.get(table, ()):
            values, row = snap.table(table)[rid], snap.where[(table, rid)]
            reason = person_name_problem(str(values.get("name") or "")) if values.get("name") else "姓名不能为空。"
            if reason:
                snap.problems.append(row.problem("name", reason))
            if values.get("gender") not in ("男", "女"):
                snap.problems.append(row.problem("gender", "性别应为“男”或“女”。"))
    for rid in own.get("pupil", ()):
        values, row = snap.table("pupil")[rid], snap.where[("pupil", rid)]
        student_no = str(values.get("student_no") or "")
        if not _STUDENT_NO.fullmatch(student_no):
            snap.problems.append(row.problem("student_no", "学籍号只能由大写字母和数字组成(4-30 位)。"))
        elif g_number_problem(student_no):
            snap.problems.append(row.problem("student_no", g_number_problem(student_no)))
        if values.get("id_number"):
            reason = id_problem(str(values["id_number"]))
            if reason:
                snap.problems.append(row.problem("id_number", reason + "。"))
        if not isinstance(values.get("grade"), int) or not 1 <= values["grade"] <= 9:
            snap.problems.append(row.problem("grade", "年级应为 1 到 9。"))
        if values.get("status") not in STATUSES:
            snap.problems.append(row.problem("status", f"学籍状态只能是 {' / '.join(STATUSES)}。"))
    for rid in own.get("teacher", ()):
        values, row = snap.table("teacher")[rid], snap.where[("teacher", rid)]
        reason = code_problem(str(values.get("staff_no") or ""), "工号") if values.get("staff_no") else "工号不能为空。"
        if reason:
            snap.problems.append(row.problem("staff_no", reason))
        if values.get("phone"):
            reason = phone_text(values["phone"])[1]
            if reason:
                snap.problems.append(row.problem("phone", reason))
    _check_minutes(snap, own, "homework_log", 0, MAX_HOMEWORK_MINUTES,
                   f"作业时间应为 0 到 {MAX_HOMEWORK_MINUTES} 之间的整数分钟。")
    for rid in own.get("home_visit", ()):
        if snap.table("home_visit")[rid].get("way") not in WAYS:
            snap.problems.append(snap.where[("home_visit", rid)].problem("way", f"家访方式应为 {'、'.join(WAYS)} 之一。"))
    teachers = set(snap.table("teacher"))
    for rid in own.get("prep_session", ()):
        try:
            attendees = json.loads(snap.table("prep_session")[rid].get("attendee_ids") or "")
        except ValueError:
            attendees = None
        if not isinstance(attendees, list) or not set(attendees) <= teachers:
            snap.problems.append(snap.where[("prep_session", rid)].problem(
                "attendee_ids", "参加教师ID应为数据包“教师”表中教师ID的 JSON 列表。"))
    for table, ids in own.items():
        if table in ("mark", "exam_subject"):
            continue
        rows, skip = snap.table(table), _OWN_RULES.get(table, ())
        for rid in ids:
            for key, value in rows[rid].items():
                if key in skip or not isinstance(value, str):
                    continue
                reason = text_problem(value, TITLE_LIMIT if key == "name" else TEXT_LIMIT)
                if reason is None and key == "name":
                    reason = formula_problem(value, "名称")
                if reason:
                    where = snap.where[(table, rid)]
                    snap.problems.append(where.problem(_sheet_key(where, key), reason))
    _check_marks(db, snap)
    _check_support(snap, own)


def _check_minutes(snap, own: dict[str, list[str]], table: str, low: int, high: int, message: str) -> None:
    """Note `message` on every row of `table` whose minutes are not a whole number from low to high."""
    for rid in own.get(table, ()):
        minutes = snap.table(table)[rid].get("minutes")
        if not isinstance(minutes, int) or not low <= minutes <= high:
            snap.problems.append(snap.where[(table, rid)].problem("minutes", message))


def _check_support(snap, own: dict[str, list[str]]) -> None:
    """Tutoring minutes, 双困生 kinds and list names as the window and the import allow them."""
    _check_minutes(snap, own, "tutoring", 1, MAX_TUTORING_MINUTES, f"辅导时长应为 1-{MAX_TUTORING_MINUTES} 之间的整数分钟。")
    for rid in own.get("pupil_difficulty", ()):
        if snap.table("pupil_difficulty")[rid].get("kind") not in DIFFICULTY_KINDS:
            snap.problems.append(snap.where[("pupil_difficulty", rid)].problem(
                "kind", f"类型应为 {' / '.join(DIFFICULTY_KINDS)} 之一。"))
    for rid in own.get("tutoring_plan", ()):
        if snap.table("tutoring_plan")[rid].get("list") not in ("临界生", "学困生"):
            snap.problems.append(snap.where[("tutoring_plan", rid)].problem("list", "名单应为“临界生”或“学困生”。"))


def _sheet_key(row, key: str) -> str:
    """Return the column key of row's sheet that holds table column `key` (ids end in _id on both)."""
    keys = {c.key for c in SHEET[row.sheet].columns}
    return key if key in keys else "id"
