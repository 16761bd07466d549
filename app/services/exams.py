"""Exams: set one up (grades, subjects with full marks, cut-offs, denominator policy) and list them.

Cut-offs are percentages of full marks. Each exam subject carries its own (default 优秀 ≥ 85 %,
及格 ≥ 60 %, 低分 < 40 %); a row of exam_cutoff overrides them for one grade.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from sqlite_utils import Database

from app.db.keys import number_of
from app.db.writes import Actor, get_row, insert_row, set_links, update_row
from app.errors import NotFound, PermissionDenied, Problem, ValidationError, invalid
from app.services import schools as school_service
from app.services.subjects import SubjectIndex
from app.stats.graded import GRADED, SCORED, graded_by_default, scale_levels
from app.stats.presets import active_preset
from app.validation.text import clean, parse_date

EXAM_TYPES = ("单元", "月考", "期中", "期末", "统考", "抽测", "毕业考")
SCOPES = ("校", "乡", "县")
POLICIES = ("sat", "roster")
POLICY_NAMES = {"sat": "实考人数(缺考不计入)", "roster": "应考人数(缺考按 0 分计)"}
DEFAULT_CUTOFFS = {"excellent_pct": 85.0, "pass_pct": 60.0, "low_pct": 40.0}
MAX_FULL_MARKS = 1000.0


def parse_grades(text: object, field: str = "grades") -> list[int]:
    """Return the grades written as '3,4', '3-6', '3/5' or '三,四' (sorted, distinct).

    Raises ValidationError naming the part that is not a grade from 1 to 9.
    """
    digits = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    raw = clean(text).replace("、", ",").replace(",", ",").replace("/", ",").replace("+", ",")
    raw = raw.replace("年级", "")
    if not raw:
        raise invalid("没有填写年级。", field)
    grades: set[int] = set()
    for part in raw.split(","):
        part = "".join(str(digits.get(ch, ch)) for ch in part)
        match = re.fullmatch(r"(\d)(?:[-~至到](\d))?", part)
        if not match:
            raise invalid(f"“{part}”不是年级:年级写作 1-9 的数字,如 3,4 或 3-6。", field)
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= low <= high <= 9:
            raise invalid(f"“{part}”不是 1-9 年级范围。", field)
        grades.update(range(low, high + 1))
    return sorted(grades)


def parse_subjects(text: str) -> list[dict]:
    """Return subject specs from '语文:100,数学:100,英语:100:3-6,音乐:等级' (name, full marks or 等级,
    optional grades). A graded subject may name its levels: '音乐:等级=优秀/良好/合格/待提高'.

    Full marks are None when omitted ('语文,数学': 100, or 等级 for the preset's graded subjects).
    Raises ValidationError listing every part that cannot be read.
    """
    specs, problems = [], []
    for part in filter(None, clean(text).replace(",", ",").replace(":", ":").split(",")):
        pieces = part.split(":")
        spec: dict = {"subject": pieces[0], "full_marks": None, "grades": None}
        if len(pieces) > 3 or not pieces[0]:
            problems.append(Problem(f"“{part}”看不懂:应写作 科目:满分 或 科目:满分:年级,如 英语:100:3-6、音乐:等级。",
                                    field="subjects"))
            continue
        if len(pieces) >= 2 and pieces[1].startswith(GRADED):
            spec["assessment"] = GRADED
            spec["levels"] = pieces[1][len(GRADED):].lstrip("=") or None
        elif len(pieces) >= 2 and pieces[1]:
            try:
                spec["full_marks"] = float(pieces[1])
            except ValueError:
                problems.append(Problem(f"“{part}”中的满分“{pieces[1]}”不是数字(等级评价的科目写作 {pieces[0]}:等级)。",
                                        field="subjects"))
                continue
        if len(pieces) == 3:
            try:
                spec["grades"] = parse_grades(pieces[2], "subjects")
            except ValidationError as exc:
                problems += [Problem(f"“{part}”:{p.message}", field="subjects") for p in exc.problems]
                continue
        specs.append(spec)
    if problems:
        raise ValidationError(problems)
    if not specs:
        raise invalid("没有填写考试科目,例如 语文:100,数学:100。", "subjects")
    return specs


def default_policy(db: Database, exam_type: str) -> str:
    """Return the denominator policy (sat / roster) the active quality preset gives `exam_type`:
    by default roster (应考, 000 篇9 "全员参与…缺考一律按0分") for 统考/期中/期末/抽测/毕业考 and sat
    for 单元/月考."""
    chosen = active_preset(db, "quality").content.get("policy_by_exam_type", {})
    return chosen.get(exam_type, "roster" if exam_type in ("统考", "期中", "期末", "抽测", "毕业考") else "sat")


def _check_cutoffs(excellent: object, passing: object, low: object, where: str, field: str) -> list[Problem]:
    try:
        values = [float(v) for v in (excellent, passing, low)]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return [Problem(f"{where}的分数线必须是数字(满分的百分比)。", field=field)]
    excellent_pct, pass_pct, low_pct = values
    if not 0 <= low_pct <= pass_pct < excellent_pct <= 100:
        return [Problem(f"{where}的分数线不合理:应满足 0 ≤ 低分线({low_pct:g}%) ≤ 及格线({pass_pct:g}%)"
                        f" < 优秀线({excellent_pct:g}%) ≤ 100。", field=field)]
    return []


def _resolve_term(db: Database, term: str | None) -> dict:
    if term is None or clean(term) == "":
        return school_service.current_term(db)
    code = clean(term)
    rows = list(db.query("SELECT * FROM term WHERE code = ? OR id = ?", [code, code]))
    if rows:
        return rows[0]
    match = re.fullmatch(r"(\d{4})-(\d{4})-([12])", code)
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise invalid(f"学期“{code}”写法不对:应写作 2026-2027-1(学年起止年份和第几学期)。", "term")
    return {"code": code, "year_start": int(match.group(1)), "seq": int(match.group(3))}


def _exam_school(db: Database, actor: Actor, scope: str, school: str | None) -> tuple[str | None, str | None]:
    """Return (school_id, township_id) the exam belongs to, checking the actor may create it."""
    if scope == "校":
        if school:
            school_id = school_service.school_by_code(db, school)["id"]
        elif actor.school_id:
            school_id = actor.school_id
        else:
            rows = db.execute("SELECT id FROM school").fetchall()
            if len(rows) != 1:
                raise invalid("校级考试需要指明学校(学校代码)。", "school")
            school_id = rows[0][0]
        if actor.role != "township_admin" and not (actor.role in ("school_admin", "academic")
                                                   and actor.school_id == school_id):
            raise PermissionDenied("只有本校管理员或教务可以设置本校考试。")
        township = db.execute("SELECT township_id FROM school WHERE id = ?", [school_id]).fetchone()
        return school_id, township[0] if township else None
    if actor.role != "township_admin":
        raise PermissionDenied("乡镇、县级统一考试只能由乡镇管理员设置;学校会随数据包收到考试定义。")
    if scope == "乡":
        townships = db.execute("SELECT id FROM township").fetchall()
        return None, townships[0][0] if len(townships) == 1 else None
    return None, None


def check_exam_header(*, name: str, type: str, policy: str, grades: Iterable[int] | str, date: object,
                      term_row: dict) -> tuple[str, list[int], dt.date | None, list[Problem]]:
    """Check an exam's name, type, policy, grades and date (within `term_row`'s dates when known).

    Returns (cleaned name, sorted grades, date or None, problems each naming its field).
    """
    problems: list[Problem] = []
    name = (name or "").strip()
    if not name:
        problems.append(Problem("考试名称不能为空。", field="name"))
    elif len(name) > 60:
        problems.append(Problem("考试名称太长(最多 60 个字)。", field="name"))
    if type not in EXAM_TYPES:
        problems.append(Problem(f"考试类型“{type}”不对,只能是 {' / '.join(EXAM_TYPES)}。", field="type"))
    if policy not in POLICIES:
        problems.append(Problem(f"统计口径“{policy}”不对:sat 按实考人数,roster 按应考人数(缺考计 0 分)。",
                                field="policy"))
    exam_grades: list[int] = []
    try:
        exam_grades = parse_grades(grades) if isinstance(grades, str) else sorted({int(g) for g in grades})
        if not exam_grades or any(not 1 <= g <= 9 for g in exam_grades):
            problems.append(Problem("考试年级应为 1-9 年级中的一个或多个。", field="grades"))
    except ValidationError as exc:
        problems += exc.problems
    except (TypeError, ValueError):
        problems.append(Problem("考试年级应为 1-9 的整数。", field="grades"))
    day = None
    try:
        day = parse_date(date)
    except ValueError:
        problems.append(Problem(f"考试日期“{date}”不是日期,请写作 2026-11-12。", field="date"))
    if day and term_row.get("start_date") and not term_row["start_date"] <= day.isoformat() <= term_row["end_date"]:
        problems.append(Problem(f"考试日期 {day.isoformat()} 不在学期 {term_row['code']}({term_row['start_date']}"
                                f" 至 {term_row['end_date']})内。", field="date"))
    return name, exam_grades, day, problems


def create_exam(db: Database, actor: Actor, *, name: str, type: str, grades: Iterable[int] | str,
                subjects: list[dict] | str, scope: str | None = None, term: str | None = None,
                date: object = None, policy: str | None = None, school: str | None = None,
                cutoffs: dict | None = None) -> str:
    """Create an exam with its grades and subjects and return its id.

    `subjects` is text as on the command line ('语文:100,英语:100:3-6,音乐:等级') or a list of dicts
    with subject (name, code or alias), full_marks (default 100), optional grades (the grades that
    sit this subject), optional assessment (分数 / 等级; a subject of the preset's graded_subjects
    without full marks is 等级) and levels ('A/B/C', app.stats.graded), and optional excellent_pct /
    pass_pct / low_pct. `cutoffs` gives the same three
    percentages for every subject without its own. `term` is a term code (default: current term);
    `scope` defaults to 校 in a school database, 乡 in a township database and 县 in a county one.
    `policy` (sat / roster) defaults to the active quality preset's choice for the exam type
    (default_policy).

    Raises ValidationError listing every problem (each with its field), PermissionDenied when the
    actor may not set up an exam of this scope.
    """
    problems: list[Problem] = []
    if scope is None:
        kind = school_service.get_meta(db, "kind", "school")
        scope = {"school": "校", "township": "乡", "county": "县"}.get(kind or "school", "校")
    if scope not in SCOPES:
        problems.append(Problem(f"考试范围“{scope}”不对,只能是 校 / 乡 / 县。", field="scope"))
    if policy is None:
        policy = default_policy(db, type)
    term_row: dict = {}
    try:
        term_row = _resolve_term(db, term)
    except (ValidationError, NotFound) as exc:
        problems += exc.problems if isinstance(exc, ValidationError) else [Problem(str(exc), field="term")]
    name, exam_grades, day, header_problems = check_exam_header(name=name, type=type, policy=policy, grades=grades,
                                                                date=date, term_row=term_row)
    problems += header_problems
    default_cuts = dict(DEFAULT_CUTOFFS)
    if cutoffs:
        default_cuts.update({k: cutoffs[k] for k in DEFAULT_CUTOFFS if k in cutoffs})
        problems += _check_cutoffs(default_cuts["excellent_pct"], default_cuts["pass_pct"], default_cuts["low_pct"],
                                   "考试", "cutoffs")
    subject_rows = check_subjects(db, subjects, exam_grades, default_cuts, problems)
    if problems:
        raise ValidationError(problems)
    school_id, township_id = _exam_school(db, actor, scope, school)
    clash = db.execute("SELECT 1 FROM exam e JOIN term t ON t.id = e.term_id WHERE e.name = ? AND t.code = ?"
                       " AND IFNULL(e.school_id, '') = IFNULL(?, '')", [name, term_row["code"], school_id]).fetchone()
    if clash:
        raise invalid(f"学期 {term_row['code']} 已有名为“{name}”的考试。", "name")
    with db.atomic():
        term_id = term_row.get("id") or school_service.ensure_term(db, actor, term_row["year_start"], term_row["seq"])
        exam_id = insert_row(db, actor, "exam", {
            "school_id": school_id, "township_id": township_id, "name": name, "type": type, "scope": scope,
            "term_id": term_id, "date": day.isoformat() if day else None, "policy": policy})
        set_links(db, actor, "exam_grade", "exam_id", exam_id, "grade", exam_grades, school_id)
        for row in subject_rows:
            insert_row(db, actor, "exam_subject", {"exam_id": exam_id, **row})
    return exam_id


def check_subjects(db: Database, subjects: list[dict] | str, exam_grades: list[int], default_cuts: dict,
                   problems: list[Problem]) -> list[dict]:
    """Check subject specs (see create_exam) against the exam's grades; append each problem to
    `problems` and return the exam_subject rows (subject_id, full_marks, grades, cut-offs) of the good ones."""
    try:
        specs = parse_subjects(subjects) if isinstance(subjects, str) else list(subjects or [])
    except ValidationError as exc:
        problems += exc.problems
        return []
    if not specs:
        problems.append(Problem("没有填写考试科目,例如 语文:100,数学:100。", field="subjects"))
    index = SubjectIndex.load(db)
    rows, seen = [], set()
    for spec in specs:
        written = spec.get("subject")
        subject = index.find(written)
        if subject is None:
            problems.append(Problem(f"没有名为“{written}”的科目,请使用科目表中的名称(如 语文、数学、英语)。",
                                    field="subjects"))
            continue
        if subject["id"] in seen:
            problems.append(Problem(f"科目“{subject['name']}”写了两次。", field="subjects"))
            continue
        seen.add(subject["id"])
        written_full = spec.get("full_marks")
        graded = spec.get("assessment") == GRADED or (
            spec.get("assessment") is None and written_full in (None, "") and graded_by_default(db, subject["name"]))
        levels = None
        if graded:
            try:
                levels = scale_levels(spec.get("levels"))
            except ValidationError as exc:
                problems += [Problem(f"{subject['name']}:{p.message}", field="subjects") for p in exc.problems]
                continue
            full = float(len(levels))
        else:
            try:
                full = 100.0 if written_full is None or written_full == "" else float(written_full)
            except (TypeError, ValueError):
                problems.append(Problem(f"{subject['name']}的满分“{spec.get('full_marks')}”不是数字。", field="subjects"))
                continue
        if not 0 < full <= MAX_FULL_MARKS or full * 2 != int(full * 2):
            problems.append(Problem(f"{subject['name']}的满分 {full:g} 不合理:应大于 0、不超过 {MAX_FULL_MARKS:g},"
                                    "最多精确到 0.5 分。", field="subjects"))
        only = spec.get("grades")
        if only is not None:
            only = sorted({int(g) for g in only})
            outside = [g for g in only if g not in exam_grades]
            if outside and exam_grades:
                problems.append(Problem(f"{subject['name']}的考试年级 {','.join(map(str, outside))} 不在本次考试的年级"
                                        f"({','.join(map(str, exam_grades))})中。", field="subjects"))
        cuts = {k: spec.get(k, default_cuts[k]) for k in DEFAULT_CUTOFFS}
        cut_problems = _check_cutoffs(cuts["excellent_pct"], cuts["pass_pct"], cuts["low_pct"], subject["name"],
                                      "subjects")
        if cut_problems:
            problems += cut_problems
            continue
        rows.append({"subject_id": subject["id"], "full_marks": full,
                     "grades": ",".join(map(str, only)) if only and only != exam_grades else None,
                     "assessment": GRADED if graded else SCORED, "levels": "/".join(levels) if levels else None,
                     **{k: float(v) for k, v in cuts.items()}})
    return rows


def set_cutoffs(db: Database, actor: Actor, exam_id: str, subject: str, *, excellent_pct: float,
                pass_pct: float, low_pct: float, grade: int | None = None) -> None:
    """Set the cut-offs (percent of full marks) of one exam subject, for every grade (grade None)
    or for one grade only (stored in exam_cutoff, overriding the subject's).

    Raises NotFound (exam), ValidationError (unknown subject, subject not in the exam, grade not
    examined, cut-offs out of order), PermissionDenied.
    """
    exam = get_row(db, "exam", exam_id)
    require_exam_admin(actor, exam)
    found = SubjectIndex.load(db).find(subject)
    if found is None:
        raise invalid(f"没有名为“{subject}”的科目。", "subject")
    row = db.execute("SELECT id, grades FROM exam_subject WHERE exam_id = ? AND subject_id = ?",
                     [exam_id, found["id"]]).fetchone()
    if row is None:
        raise invalid(f"考试“{exam['name']}”没有科目“{found['name']}”。", "subject")
    problems = _check_cutoffs(excellent_pct, pass_pct, low_pct, found["name"], "cutoffs")
    if problems:
        raise ValidationError(problems)
    values = {"excellent_pct": float(excellent_pct), "pass_pct": float(pass_pct), "low_pct": float(low_pct)}
    with db.atomic():
        if grade is None:
            update_row(db, actor, "exam_subject", row[0], values)
            return
        examined = subject_grades(db, exam_id, found["id"])
        if int(grade) not in examined:
            raise invalid(f"{found['name']}在本次考试中不考 {grade} 年级。", "grade")
        existing = db.execute("SELECT id FROM exam_cutoff WHERE exam_id = ? AND subject_id = ? AND grade = ?",
                              [exam_id, found["id"], int(grade)]).fetchone()
        if existing:
            update_row(db, actor, "exam_cutoff", existing[0], values)
        else:
            insert_row(db, actor, "exam_cutoff", {"exam_id": exam_id, "subject_id": found["id"], "grade": int(grade),
                                                  **values})


def require_exam_admin(actor: Actor, exam: dict) -> None:
    """Raise PermissionDenied unless the actor set up `exam` (or is the township administrator)."""
    if actor.role == "township_admin":
        return
    if exam["school_id"] and actor.role in ("school_admin", "academic") and actor.school_id == exam["school_id"]:
        return
    raise PermissionDenied("只有设置这次考试的学校管理员或教务(乡镇统考为乡镇管理员)可以修改它。")


def exam_grades(db: Database, exam_id: str) -> list[int]:
    """Return the grades of an exam, ascending."""
    return [r[0] for r in db.execute("SELECT grade FROM exam_grade WHERE exam_id = ? ORDER BY grade", [exam_id])]


def subject_grades(db: Database, exam_id: str, subject_id: str) -> list[int]:
    """Return the grades that sit `subject_id` in the exam (its own list, else every exam grade)."""
    row = db.execute("SELECT grades FROM exam_subject WHERE exam_id = ? AND subject_id = ?",
                     [exam_id, subject_id]).fetchone()
    if row is None:
        return []
    if row[0]:
        return sorted(int(g) for g in row[0].split(","))
    return exam_grades(db, exam_id)


def exam_subjects(db: Database, exam_id: str) -> list[dict]:
    """Return the exam's subjects in catalogue order: subject_id, code, name, is_main, full_marks,
    assessment (分数 / 等级), levels (the tuple of levels of a graded subject, else None), grades (list), default_cutoffs {excellent_pct, pass_pct, low_pct} (the subject's own) and
    cutoffs {grade: {...}} for every examined grade (a grade's override where one is set)."""
    overrides: dict[tuple[str, int], dict] = {}
    for r in db.query("SELECT * FROM exam_cutoff WHERE exam_id = ?", [exam_id]):
        overrides[(r["subject_id"], r["grade"])] = {k: r[k] for k in DEFAULT_CUTOFFS}
    all_grades = exam_grades(db, exam_id)
    out = []
    for r in db.query("SELECT es.*, s.code, s.name, s.is_main, s.sort_order FROM exam_subject es"
                      " JOIN subject s ON s.id = es.subject_id WHERE es.exam_id = ? ORDER BY s.sort_order, s.name",
                      [exam_id]):
        grades = sorted(int(g) for g in r["grades"].split(",")) if r["grades"] else list(all_grades)
        base = {k: r[k] for k in DEFAULT_CUTOFFS}
        out.append({"subject_id": r["subject_id"], "code": r["code"], "name": r["name"], "is_main": bool(r["is_main"]),
                    "full_marks": r["full_marks"], "assessment": r["assessment"],
                    "levels": scale_levels(r["levels"]) if r["assessment"] == GRADED else None,
                    "grades": grades, "default_cutoffs": base,
                    "cutoffs": {g: overrides.get((r["subject_id"], g), base) for g in grades}})
    return out


def get_exam(db: Database, exam_id: str) -> dict:
    """Return one exam with term code and name, grades and subjects (see exam_subjects).

    Raises NotFound.
    """
    rows = list(db.query("SELECT e.*, t.code AS term_code, t.name AS term_name, t.academic_year_id,"
                         " s.code AS school_code FROM exam e JOIN term t ON t.id = e.term_id"
                         " LEFT JOIN school s ON s.id = e.school_id WHERE e.id = ?", [exam_id]))
    if not rows:
        raise NotFound(f"找不到考试“{exam_id}”,请用 schoolq exam list 查看考试编号。")
    exam = dict(rows[0])
    exam["grades"] = exam_grades(db, exam_id)
    exam["subjects"] = exam_subjects(db, exam_id)
    return exam


def find_exam(db: Database, ref: str) -> dict:
    """Return the exam whose id, or exact name, is `ref` (see get_exam).

    Raises NotFound when none matches, ValidationError when a name matches several exams.
    """
    ref = (ref or "").strip()
    if db.execute("SELECT 1 FROM exam WHERE id = ?", [ref]).fetchone():
        return get_exam(db, ref)
    ids = [r[0] for r in db.execute("SELECT id FROM exam WHERE name = ? OR id LIKE ?", [ref, f"{ref}%"])] if ref else []
    if len(ids) > 1:
        raise invalid(f"有 {len(ids)} 个考试符合“{ref}”,请用完整的考试编号。", "exam")
    if not ids:
        raise NotFound(f"找不到考试“{ref}”,请用 schoolq exam list 查看考试编号。")
    return get_exam(db, ids[0])


def list_exams(db: Database, term: str | None = None) -> list[dict]:
    """Return every exam (of one term, given its code, if `term` is set), newest first, each with
    term_code, school_code, grades (list), subjects (list of names), and n_marks (mark rows)."""
    where, args = "", []
    if term:
        where, args = "WHERE t.code = ?", [clean(term)]
    rows = list(db.query(
        "SELECT e.id, e.name, e.type, e.scope, e.date, e.policy, e.school_id, s.code AS school_code,"
        " t.code AS term_code, t.name AS term_name,"
        " (SELECT group_concat(grade) FROM (SELECT grade FROM exam_grade WHERE exam_id = e.id ORDER BY grade))"
        "   AS grades_text,"
        " (SELECT group_concat(name, '、') FROM (SELECT sj.name FROM exam_subject es JOIN subject sj"
        "   ON sj.id = es.subject_id WHERE es.exam_id = e.id ORDER BY sj.sort_order)) AS subjects_text,"
        f" (SELECT COUNT(*) FROM mark m WHERE m.exam_no = {number_of('exam', 'e.id')}) AS n_marks"
        f" FROM exam e JOIN term t ON t.id = e.term_id LEFT JOIN school s ON s.id = e.school_id {where}"
        " ORDER BY t.code DESC, IFNULL(e.date, '') DESC, e.name", args))
    out = []
    for row in rows:
        row = dict(row)
        row["grades"] = [int(g) for g in (row.pop("grades_text") or "").split(",") if g]
        row["subjects"] = [s for s in (row.pop("subjects_text") or "").split("、") if s]
        out.append(row)
    return out
