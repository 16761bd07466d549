"""Quality targets (教学质量目标, 003 三(一): "与学校层层签订教学质量目标责任书,逐级明确目标"): per school ×
term × grade × subject × metric, set by the township (typed in, or an .xlsx sheet), sent down in its
config package, shown at the school; and each target beside the exam's result (完成 / 未完成).

Metrics: 平均分 (mean), 及格率 / 优秀率 / 低分率 (stored as fractions 0–1; '85%' or 85 is read as
0.85), 综合分 (三率一分 composite), 进步值 (progress against the exam's baseline) and 名次 (a place
among the township's schools of the same group; lower is better, like 低分率). A target without a
grade or subject is for the whole school. A target may name a teacher of the school (教师工号): it is
then the teacher's, measured on the classes they teach the subject in (003 三(一): "目标逐级分解到
年级、学科和教师"); 名次 is a school's and cannot be a teacher's target.
"""
from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, insert_row, update_row
from app.errors import NotFound, Problem, ValidationError
from app.importing.workbook import read_tables
from app.services.permissions import require_township_admin
from app.services.schools import current_term
from app.services.subjects import SubjectIndex
from app.validation.text import clean

METRICS = {"mean": "平均分", "pass_rate": "及格率", "excellent_rate": "优秀率", "low_rate": "低分率",
           "composite": "综合分", "progress": "进步值", "rank": "名次"}
RATES = ("pass_rate", "excellent_rate", "low_rate")
LOWER_IS_BETTER = ("low_rate", "rank")
_SYNONYMS = {"school": ["学校代码", "学校", "学校名称"], "term": ["学期"], "grade": ["年级"],
             "subject": ["学科", "科目"], "metric": ["指标"], "target": ["目标值", "目标"], "note": ["备注", "说明"],
             "teacher": ["教师工号", "工号", "教师"]}
_GRADES = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def metric_key(text: object) -> str | None:
    """Return the metric a cell names (key or Chinese name), or None."""
    word = clean(text)
    if word in METRICS:
        return word
    return next((k for k, name in METRICS.items() if word in (name, name.removesuffix("分"))), None)


def _grade(value: object) -> int | None | str:
    text = clean(value).removesuffix("年级")
    if text in ("", "全校", "全部"):
        return None
    if text in _GRADES:
        return _GRADES[text]
    return int(text) if text.isdigit() and 1 <= int(text) <= 9 else "bad"


def _target(metric: str, value: object) -> float | None:
    text = clean(value)
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        return None
    if metric in RATES:
        number = number / 100 if text.endswith("%") or number > 1 else number
        return number if 0 <= number <= 1 else None
    if metric == "rank":
        return number if number >= 1 and number.is_integer() else None
    return number if -1000 <= number <= 1000 else None


def check_rows(db: Database, rows: list[dict]) -> tuple[list[dict], list[Problem]]:
    """Return (the rows ready to store, problems) for targets as written: school (code or name),
    term (code; default the current term), grade (3, 三年级, empty for the whole school), subject
    (name, code or alias; empty for all subjects), metric (key or Chinese), target, note, teacher
    (工号 or name of an active teacher of the school; empty for the school's own target); each row
    may carry `sheet` and `row` for the problems' place."""
    schools = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM school")}
    schools.update({r["name"]: r["id"] for r in db.query("SELECT id, name FROM school")})
    terms = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM term")}
    subjects = SubjectIndex.load(db)
    default_term = current_term(db)["id"]
    out: list[dict] = []
    problems: list[Problem] = []
    for row in rows:
        where = {"sheet": row.get("sheet"), "row": row.get("row")}
        named = row.get("columns") or {}
        bad = len(problems)
        school_id = schools.get(clean(row.get("school")))
        if school_id is None:
            problems.append(Problem(f"没有学校“{clean(row.get('school'))}”(填学校代码或名称)。", column=named.get("school") or "学校", **where))
        term_id = terms.get(clean(row.get("term"))) if clean(row.get("term")) else default_term
        if term_id is None:
            problems.append(Problem(f"没有学期“{clean(row.get('term'))}”(如 2026-2027-1)。", column=named.get("term") or "学期", **where))
        grade = _grade(row.get("grade"))
        if grade == "bad":
            problems.append(Problem(f"年级“{clean(row.get('grade'))}”不对,应为 1-9 或 三年级,全校留空。", column=named.get("grade") or "年级", **where))
        subject_id = None
        if clean(row.get("subject")) not in ("", "全部", "全科"):
            subject = subjects.find(row.get("subject"))
            if subject is None:
                problems.append(Problem(f"没有学科“{clean(row.get('subject'))}”。", column=named.get("subject") or "学科", **where))
            else:
                subject_id = subject["id"]
        metric = metric_key(row.get("metric"))
        if metric is None:
            problems.append(Problem(f"指标“{clean(row.get('metric'))}”不对,应为 {'、'.join(METRICS.values())} 之一。",
                                    column=named.get("metric") or "指标", **where))
        target = _target(metric, row.get("target")) if metric else None
        if metric and target is None:
            hint = "0-100%" if metric in RATES else "不小于 1 的整数" if metric == "rank" else "一个数"
            problems.append(Problem(f"{METRICS[metric]}的目标值“{clean(row.get('target'))}”不对,应为{hint}。",
                                    column=named.get("target") or "目标值", **where))
        teacher_id = None
        if clean(row.get("teacher")) and school_id is not None:
            found = db.execute("SELECT id FROM teacher WHERE school_id = ? AND active = 1 AND (staff_no = ? OR name = ?)"
                               " ORDER BY staff_no", [school_id, clean(row.get("teacher")).upper(),
                                                      clean(row.get("teacher"))]).fetchall()
            if len(found) != 1:
                what = "没有" if not found else "有不止一位"
                problems.append(Problem(f"这所学校{what}在职教师“{clean(row.get('teacher'))}”(填教师工号)。",
                                        column=named.get("teacher") or "教师工号", **where))
            elif metric == "rank":
                problems.append(Problem("名次是学校之间的比较,不能作为教师的目标。", column=named.get("metric") or "指标",
                                        **where))
            else:
                teacher_id = found[0][0]
        if len(problems) == bad:
            out.append({"school_id": school_id, "term_id": term_id, "grade": grade, "subject_id": subject_id,
                        "metric": metric, "target": target, "note": clean(row.get("note")) or None,
                        "teacher_id": teacher_id})
    return out, problems


def set_targets(db: Database, actor: Actor, rows: list[dict]) -> dict:
    """Set the targets of `rows` (see check_rows), replacing a target of the same school, term, grade,
    subject, metric and teacher; all or nothing, audited. Returns {"added", "changed"}.
    Raises PermissionDenied (only the township sets targets), ValidationError (nothing written)."""
    require_township_admin(actor)
    clean_rows, problems = check_rows(db, rows)
    if problems:
        raise ValidationError(problems)
    added = changed = 0
    with db.atomic():
        for row in clean_rows:
            found = db.execute(
                "SELECT id FROM quality_target WHERE school_id = ? AND term_id = ? AND grade IS ? AND subject_id IS ?"
                " AND metric = ? AND teacher_id IS ?", [row["school_id"], row["term_id"], row["grade"],
                                                        row["subject_id"], row["metric"], row["teacher_id"]]).fetchone()
            if found:
                changed += bool(update_row(db, actor, "quality_target", found[0], row))
            else:
                insert_row(db, actor, "quality_target", row)
                added += 1
    return {"added": added, "changed": changed}


def delete_target(db: Database, actor: Actor, target_id: str) -> None:
    """Delete one target; audited. Raises PermissionDenied, NotFound."""
    require_township_admin(actor)
    if not db.execute("SELECT 1 FROM quality_target WHERE id = ?", [target_id]).fetchone():
        raise NotFound("找不到这条质量目标。")
    with db.atomic():
        delete_row(db, actor, "quality_target", target_id)


def import_targets(db: Database, actor: Actor, path: str | Path) -> dict:
    """Read targets from a sheet (columns 学校代码, 学期, 年级, 学科, 指标, 目标值, 备注, 教师工号) and set them all
    or none. Returns {"added", "changed", "rows"}. Raises PermissionDenied, ValidationError (every
    problem names its sheet, row and column), NotAWorkbook, FileNotFoundError."""
    require_township_admin(actor)
    tables = read_tables(path, _SYNONYMS, required=("school", "metric", "target"))
    if tables.problems:
        raise ValidationError(tables.problems)
    rows = [{**{k: r.values.get(k) for k in _SYNONYMS}, "sheet": t.sheet, "row": r.row,
             "columns": {k: t.column(k) for k in _SYNONYMS}} for t in tables.tables for r in t.rows]
    return {**set_targets(db, actor, rows), "rows": len(rows)}


def list_targets(db: Database, *, term_id: str | None = None, school_id: str | None = None) -> list[dict]:
    """Return the targets (of a term, default the current one; of one school if given): id, school_id,
    school_code, school_name, term_code, grade, subject_id, subject, metric, metric_name, target, note,
    teacher_id, teacher_name and teacher_staff_no (None for a school's own target)."""
    term_id = term_id or current_term(db)["id"]
    rows = db.query(
        "SELECT q.*, s.code AS school_code, s.name AS school_name, t.code AS term_code, sj.name AS subject,"
        " tc.name AS teacher_name, tc.staff_no AS teacher_staff_no"
        " FROM quality_target q JOIN school s ON s.id = q.school_id JOIN term t ON t.id = q.term_id"
        " LEFT JOIN subject sj ON sj.id = q.subject_id LEFT JOIN teacher tc ON tc.id = q.teacher_id"
        " WHERE q.term_id = ? AND (? IS NULL OR q.school_id = ?)"
        " ORDER BY s.code, q.teacher_id IS NOT NULL, tc.staff_no, IFNULL(q.grade, 0), IFNULL(sj.sort_order, 0), q.metric",
        [term_id, school_id, school_id])
    return [{**dict(r), "metric_name": METRICS[r["metric"]]} for r in rows]


def target_text(metric: str, value: float | None) -> str:
    """Return a target or result as people read it: rates as percentages, 名次 as 第 N 名."""
    if value is None:
        return "—"
    if metric in RATES:
        return f"{100 * value:.1f}%"
    if metric == "rank":
        return f"第 {value:g} 名"
    return f"{value:.1f}"
