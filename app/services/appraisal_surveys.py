"""The 360° survey scores of 000 篇11 (教师发展性评价): for each teacher and school year, the score
(0-100) each side of the survey gave — 教师自评, 同事互评, 领导评价, 学生评价, 家长评价 — as the school
summed up its questionnaires. Entered in the 年度考核 tab or read from an xlsx sheet (one row per
teacher: 工号 and the five scores), they feed the appraisal when a preset weights them (the shipped
appraisal-000-11: 40 / 10 / 10 / 30 / 10 %, app.stats.appraisal).

A school's administrator or 教务 writes their own school's teachers, the township's administrator
any; the whole input is checked first, written in one transaction and audited. An empty score
removes the one stored.
"""
from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, insert_row, update_row
from app.errors import PermissionDenied, Problem, ValidationError
from app.importing.workbook import read_tables
from app.services.permissions import require_township_admin
from app.services.scheme_sheets import year_id
from app.validation.text import clean

RATERS = {"self": "教师自评", "peers": "同事互评", "leaders": "领导评价", "pupils": "学生评价", "parents": "家长评价"}
COLUMNS = {"staff_no": ["工号", "教师工号"], "name": ["姓名", "教师"], "self": ["教师自评", "自评"],
           "peers": ["同事互评", "互评"], "leaders": ["领导评价", "领导"], "pupils": ["学生评价", "学生"],
           "parents": ["家长评价", "家长"]}


def survey_scores(db: Database, year: str) -> dict[str, dict[str, float]]:
    """Return {teacher id: {rater: score}} of the school year's stored survey scores.
    Raises NotFound for an unknown year."""
    out: dict[str, dict[str, float]] = {}
    for teacher, rater, score in db.execute("SELECT teacher_id, rater, score FROM appraisal_survey"
                                            " WHERE academic_year_id = ?", [year_id(db, year)]):
        out.setdefault(teacher, {})[rater] = score
    return out


def _teachers(db: Database) -> dict[str, dict]:
    return {r["staff_no"]: dict(r) for r in db.query("SELECT id, staff_no, name, school_id FROM teacher WHERE active = 1")}


def save_surveys(db: Database, actor: Actor, year: str, rows: list[dict]) -> int:
    """Store survey scores: each row {"staff_no", and per rater of RATERS a score 0-100 or None (None
    removes the stored one)}; return how many scores were added, changed or removed.
    Raises PermissionDenied (another school's teacher, a teacher's account), ValidationError (an
    unknown 工号, a score outside 0-100: nothing written), NotFound (year)."""
    found = year_id(db, year)
    teachers = _teachers(db)
    problems = []
    for row in rows:
        teacher = teachers.get(clean(row["staff_no"]))
        if teacher is None:
            problems.append(Problem(f"没有工号为“{row['staff_no']}”的在职教师。", column="工号"))
            continue
        if actor.role != "township_admin" and not (actor.role in ("school_admin", "academic")
                                                   and actor.school_id == teacher["school_id"]):
            raise PermissionDenied("评价得分由本校管理员或教务录入;只能录入本校教师的得分。")
        for rater, name in RATERS.items():
            value = row.get(rater)
            if value is not None and not (isinstance(value, (int, float)) and 0 <= value <= 100):
                problems.append(Problem(f"{teacher['name']}的{name}“{value}”应为 0 到 100 之间的数。", column=name))
    if problems:
        raise ValidationError(problems)
    changed = 0
    with db.atomic():
        for row in rows:
            teacher_id = teachers[clean(row["staff_no"])]["id"]
            for rater in RATERS:
                value = row.get(rater)
                old = db.execute("SELECT id, score FROM appraisal_survey WHERE teacher_id = ? AND academic_year_id = ?"
                                 " AND rater = ?", [teacher_id, found, rater]).fetchone()
                if old is None and value is not None:
                    insert_row(db, actor, "appraisal_survey", {"teacher_id": teacher_id, "academic_year_id": found,
                                                               "rater": rater, "score": float(value)})
                elif old is not None and value is None:
                    delete_row(db, actor, "appraisal_survey", old[0])
                elif old is not None and old[1] != float(value):
                    update_row(db, actor, "appraisal_survey", old[0], {"score": float(value)})
                else:
                    continue
                changed += 1
    return changed


def import_surveys(db: Database, actor: Actor, year: str, path: str | Path) -> int:
    """Read survey scores from an xlsx sheet (工号 and the five scores; an empty cell leaves that
    score out) and store them, all or nothing; return how many scores changed.
    Raises ValidationError naming sheet, row and column, NotAWorkbook, FileNotFoundError,
    PermissionDenied, NotFound."""
    if actor.role not in ("township_admin", "school_admin", "academic"):
        raise PermissionDenied("评价得分由本校管理员或教务录入。")
    tables = read_tables(path, COLUMNS, required=("staff_no",))
    problems = list(tables.problems)
    rows = []
    known = _teachers(db)
    for table in tables.tables:
        for r in table.rows:
            row: dict = {"staff_no": clean(r.values.get("staff_no"))}
            if row["staff_no"] not in known:
                problems.append(Problem(f"没有工号为“{row['staff_no']}”的在职教师。", sheet=table.sheet, row=r.row,
                                        column=table.column("staff_no")))
            for rater, name in RATERS.items():
                text = clean(r.values.get(rater))
                try:
                    row[rater] = float(text.removesuffix("分")) if text else None
                except ValueError:
                    row[rater] = None
                    text = text or ""
                    problems.append(Problem(f"“{text}”不是 0 到 100 之间的分数。", sheet=table.sheet, row=r.row,
                                            column=table.column(rater) or name))
                    continue
                if row[rater] is not None and not 0 <= row[rater] <= 100:
                    problems.append(Problem(f"“{text}”不是 0 到 100 之间的分数。", sheet=table.sheet, row=r.row,
                                            column=table.column(rater) or name))
            rows.append(row)
    if problems:
        raise ValidationError(problems)
    return save_surveys(db, actor, year, rows)


def receive_from_package(db: Database, actor: Actor, rows: list[dict], own_schools: set[str], year_code: str) -> int:
    """Make the survey scores of the sender's schools' teachers for school year `year_code` those of a
    verified data package's 多方评价 sheet (each row: sheet, row, school_id, teacher_id, rater,
    score; a score the package no longer holds is removed). The caller holds the transaction.
    Returns how many scores were added, changed or removed. Raises PermissionDenied (not an
    administrator of the receiving township or county), ValidationError naming a bad row."""
    require_township_admin(actor)
    found = year_id(db, year_code)
    problems, wanted = [], {}
    for row in rows:
        teacher = db.execute("SELECT school_id FROM teacher WHERE id = ?", [row.get("teacher_id")]).fetchone()
        score = row.get("score")
        if teacher is None or teacher[0] not in own_schools or row.get("rater") not in RATERS \
                or not isinstance(score, (int, float)) or not 0 <= score <= 100 or row.get("year_code") != year_code:
            problems.append(Problem("多方评价这一行的教师、评价方、学年或得分无效。", sheet=row["sheet"], row=row["row"],
                                    column="得分"))
            continue
        wanted[(row["teacher_id"], row["rater"])] = float(score)
    if problems:
        raise ValidationError(problems)
    marks = json.dumps(sorted(own_schools))
    current = {(r["teacher_id"], r["rater"]): (r["id"], r["score"]) for r in db.query(
        "SELECT x.id, x.teacher_id, x.rater, x.score FROM appraisal_survey x JOIN teacher t ON t.id = x.teacher_id"
        " WHERE x.academic_year_id = ? AND t.school_id IN (SELECT value FROM json_each(?))", [found, marks])}
    changed = 0
    for key, (rid, score) in current.items():
        if key not in wanted:
            delete_row(db, actor, "appraisal_survey", rid)
            changed += 1
        elif wanted[key] != score:
            update_row(db, actor, "appraisal_survey", rid, {"score": wanted[key]})
            changed += 1
    for (teacher, rater), score in wanted.items():
        if (teacher, rater) not in current:
            insert_row(db, actor, "appraisal_survey", {"teacher_id": teacher, "academic_year_id": found, "rater": rater,
                                                       "score": score})
            changed += 1
    return changed
