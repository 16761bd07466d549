"""Lesson observation (听课): records rated on a configurable form, and each leader's progress
against the quota of the observation preset (校长 30, 副校长 25 … per term)."""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row, update_row
from app.errors import PermissionDenied, Problem, ValidationError
from app.presets import Preset, effective
from app.queries.roster import active_teachers, list_teachers
from app.services.schools import current_term
from app.validation.text import clean, parse_date


def require_routine_write(actor: Actor, school_id: str) -> None:
    """Raise PermissionDenied unless the actor may record observations and routine checks at
    `school_id`: a township administrator, or the school's administrator or 教务."""
    if actor.role == "township_admin":
        return
    if actor.role in ("school_admin", "academic") and actor.school_id == school_id:
        return
    raise PermissionDenied("只有本校管理员或教务可以登记,教师请联系教务处。")


def term_of_date(db: Database, day: dt.date) -> dict | None:
    """Return the term whose dates hold `day`, or None."""
    rows = list(db.query("SELECT * FROM term WHERE start_date <= ? AND end_date >= ?",
                         [day.isoformat(), day.isoformat()]))
    return rows[0] if rows else None



def dated_in_term(db: Database, value: object, label: str) -> tuple[dt.date | None, dict | None, list[Problem]]:
    """Read the date of a record (听课, 常规检查): returns (date, its term, problems on field 'date').

    The date must be given, readable, not in the future and inside a term of the database.
    """
    try:
        day = parse_date(value)
    except ValueError as exc:
        return None, None, [Problem(f"{label}“{exc}”无法识别,请写成 2026-10-15 的形式。", field="date")]
    if day is None:
        return None, None, [Problem(f"请填写{label}。", field="date")]
    problems = []
    if day > dt.date.today():
        problems.append(Problem(f"{label}不能晚于今天。", field="date"))
    term = term_of_date(db, day)
    if term is None:
        problems.append(Problem(f"{day.isoformat()} 不在任何学期之内,请检查日期。", field="date"))
    return day, term, problems

def band_name(score: float | None, bands: list[dict]) -> str:
    """Return the band (优/良/合格/待改进) a score falls in, '' for None."""
    if score is None:
        return ""
    for band in sorted(bands, key=lambda b: -b["min"]):
        if score >= band["min"]:
            return band["name"]
    return ""


def observation_form(db: Database, school_id: str | None, form_id: str | None = None,
                     preset: Preset | None = None) -> tuple[Preset, dict]:
    """Return (the observation preset in force for `school_id` — `preset` when the caller already
    holds it — and its form `form_id` or its first form). Raises ValidationError for an unknown form."""
    preset = preset or effective(db, "observation", school_id)
    forms = preset.content["forms"]
    form = next((f for f in forms if f["id"] == form_id), None) if form_id else forms[0]
    if form is None:
        raise ValidationError([Problem(f"没有编号为“{form_id}”的听课评价表。", field="form_id")])
    return preset, form


def score_ratings(form: dict, ratings: dict) -> tuple[dict, float, list[Problem]]:
    """Check ratings against a form; return (clean ratings, score out of 100, problems).

    Every scoring item needs a number from 0 to its maximum; timing items (minutes) are optional,
    0-60. The score is the items' sum scaled to 100.
    """
    problems: list[Problem] = []
    clean_ratings: dict = {}
    total = 0.0
    for item in form["items"]:
        value = ratings.get(item["key"])
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            problems.append(Problem(f"“{item['name']}”需要打分(0-{item['max']} 分)。", field=item["key"]))
            continue
        if not 0 <= number <= item["max"]:
            problems.append(Problem(f"“{item['name']}”的得分 {number:g} 不在 0-{item['max']} 分之间。", field=item["key"]))
            continue
        clean_ratings[item["key"]] = number
        total += number
    for item in form.get("timing", []):
        value = ratings.get(item["key"])
        if value in (None, ""):
            continue
        try:
            minutes = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            minutes = -1
        if not 0 <= minutes <= 60:
            problems.append(Problem(f"“{item['name']}”应为 0-60 之间的分钟数。", field=item["key"]))
            continue
        clean_ratings[item["key"]] = minutes
    full = sum(item["max"] for item in form["items"]) or 1
    return clean_ratings, round(total * 100 / full, 1), problems


def structure_notes(form: dict, ratings: dict) -> list[str]:
    """Return the lesson-structure remarks for the timing items (讲 over 15 min, 练 under 15 min)."""
    notes = []
    for item in form.get("timing", []):
        value = ratings.get(item["key"])
        if value is None:
            continue
        if "max" in item and value > item["max"]:
            notes.append(f"{item['name']} {value:g},超过 {item['max']} 分钟")
        if "min" in item and value < item["min"]:
            notes.append(f"{item['name']} {value:g},不足 {item['min']} 分钟")
    return notes


def _teaches_class(db: Database, teacher_id: str, home_school_id: str, class_id: str, class_school_id: str,
                   term_id: str | None) -> bool:
    """Whether the teacher gives lessons in the class: it is at their own school or a school they
    travel to (走教, teacher_site), or they have a teaching assignment for it in the term."""
    if class_school_id == home_school_id or db.execute("SELECT 1 FROM teacher_site WHERE teacher_id = ?"
                                                       " AND school_id = ?", [teacher_id, class_school_id]).fetchone():
        return True
    return term_id is not None and db.execute(
        "SELECT 1 FROM teaching_assignment WHERE teacher_id = ? AND class_id = ? AND term_id = ?",
        [teacher_id, class_id, term_id]).fetchone() is not None


def lesson_classes(db: Database, teacher_id: str, term: dict | None = None) -> list[dict]:
    """Return the classes whose lessons by `teacher_id` may be recorded, as record_observation
    accepts them: the classes of the term's (default current) academic year at the teacher's own
    school and at the schools they travel to (走教), and any class they have a teaching assignment
    for in the term. Each row: id, name, school_id, school_code, school_name; the teacher's own
    school first, then by school code, first grade and number."""
    term = term or current_term(db)
    return [dict(r) for r in db.query(
        "SELECT c.id, c.name, c.school_id, s.code AS school_code, s.name AS school_name FROM class c"
        " JOIN school s ON s.id = c.school_id JOIN teacher t ON t.id = :teacher"
        " WHERE (c.academic_year_id = :year AND (c.school_id = t.school_id OR c.school_id IN"
        "   (SELECT school_id FROM teacher_site WHERE teacher_id = :teacher)))"
        " OR c.id IN (SELECT class_id FROM teaching_assignment WHERE teacher_id = :teacher AND term_id = :term)"
        " ORDER BY c.school_id != t.school_id, s.code,"
        " (SELECT MIN(grade) FROM class_grade WHERE class_id = c.id), c.number, c.name",
        {"teacher": teacher_id, "year": term["academic_year_id"], "term": term["id"]})]


def lesson_teachers(db: Database, school_id: str) -> list[dict]:
    """Return the active teachers who give lessons at `school_id`: its own teachers, then the 走教
    teachers of other schools who travel to it (rows as list_teachers gives them)."""
    visiting = {r[0] for r in db.execute("SELECT teacher_id FROM teacher_site WHERE school_id = ?", [school_id])}
    own = [t for t in list_teachers(db, school_id) if t["active"]]
    others = [t for t in list_teachers(db) if t["active"] and t["id"] in visiting and t["school_id"] != school_id]
    return own + others


def _check(db: Database, values: dict, presets: dict[str, Preset] | None = None) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = []
    observer = db.execute("SELECT id, school_id FROM teacher WHERE id = ?", [values.get("observer_id")]).fetchone()
    teacher = db.execute("SELECT id, school_id, name FROM teacher WHERE id = ?", [values.get("teacher_id")]).fetchone()
    if observer is None:
        problems.append(Problem("请选择听课人。", field="observer_id"))
    if teacher is None:
        problems.append(Problem("请选择授课教师。", field="teacher_id"))
    if observer and teacher and observer[0] == teacher[0]:
        problems.append(Problem("听课人和授课教师不能是同一人。", field="teacher_id"))
    day, term, more = dated_in_term(db, values.get("date"), "听课日期")
    problems += more
    # The record belongs to the school where the lesson was given: the class's school, which for a
    # 走教 teacher may be a 教学点 they travel to (as their teaching assignments and timetable do);
    # the teacher's own school when no class is named.
    school_id = teacher[1] if teacher else None
    class_id = values.get("class_id") or None
    if class_id:
        cls = db.execute("SELECT c.school_id, s.name FROM class c JOIN school s ON s.id = c.school_id"
                         " WHERE c.id = ?", [class_id]).fetchone()
        if cls is None:
            problems.append(Problem("所选班级不在班级名册中。", field="class_id"))
        elif teacher and not _teaches_class(db, teacher[0], teacher[1], class_id, cls[0],
                                            term["id"] if term else None):
            problems.append(Problem(f"所选班级在“{cls[1]}”,授课教师{teacher[2]}不在该校任教(既不是本校,也不是走教学校,"
                                    "本学期也没有这个班的任课安排),请检查班级或授课教师。", field="class_id"))
        else:
            school_id = cls[0]
    subject_id = values.get("subject_id") or None
    if subject_id and not db.execute("SELECT 1 FROM subject WHERE id = ?", [subject_id]).fetchone():
        problems.append(Problem("所选学科不在学科目录中。", field="subject_id"))
    row: dict = {}
    if school_id:
        try:
            preset, form = observation_form(db, school_id, values.get("form_id"),
                                            presets.get(school_id) if presets is not None else None)
            if presets is not None:
                presets[school_id] = preset
        except ValidationError as exc:
            problems += exc.problems
        else:
            ratings, score, more = score_ratings(form, values.get("ratings") or {})
            problems += more
            row = {"school_id": school_id, "term_id": term["id"] if term else None, "observer_id": observer[0]
                   if observer else None, "teacher_id": teacher[0], "class_id": class_id, "subject_id": subject_id,
                   "date": day.isoformat() if day else None, "form_id": f"{preset.basis()}/{form['id']}",
                   "ratings": json.dumps(ratings, ensure_ascii=False, sort_keys=True), "score": score,
                   "notes": clean(values.get("notes")) or None}
    return row, problems


def observation_row(db: Database, values: dict, presets: dict[str, Preset] | None = None) -> dict:
    """Return the row record_observation would write for `values` (no id yet), after the same
    checks, for a caller that writes many observations at once (the demo). `presets` (school id →
    observation preset) is filled and reused across calls. Raises ValidationError listing every
    problem; permissions are the caller's to check."""
    row, problems = _check(db, values, presets)
    if problems:
        raise ValidationError(problems)
    return row


def _require_lesson_write(db: Database, actor: Actor, school_id: str) -> None:
    """require_routine_write for the school an observation belongs to, saying which school that is
    when a school's administrator or 教务 reaches for a lesson given at another school."""
    try:
        require_routine_write(actor, school_id)
    except PermissionDenied:
        if actor.role not in ("school_admin", "academic"):
            raise
        name = db.execute("SELECT name FROM school WHERE id = ?", [school_id]).fetchone()[0]
        raise PermissionDenied(f"这节课是在“{name}”上的,听课记录归该校:请由该校管理员、教务或乡镇管理员登记。") from None


def record_observation(db: Database, actor: Actor, values: dict) -> str:
    """Validate and record one observed lesson; return its id.

    `values`: observer_id, teacher_id, date, class_id, subject_id, form_id (default: the first
    form), ratings {item key: points or minutes}, notes. The class must be one the teacher gives
    lessons in (lesson_classes): at their own school, at a school they travel to (走教), or with a
    teaching assignment this term. The record belongs to the school where the lesson was given
    (the class's school; the teacher's own school when no class is named), and only that school's
    administrator or 教务, or a township administrator, may record it; a teacher account may record
    only lessons it observed itself. The score is stored out of 100 and the form is recorded with
    the preset it came from. Raises ValidationError listing every problem, PermissionDenied.
    """
    row = observation_row(db, values)
    if not (actor.role == "teacher" and actor.teacher_id == row["observer_id"]
            and actor.school_id == db.execute("SELECT school_id FROM teacher WHERE id = ?",
                                              [row["observer_id"]]).fetchone()[0]):
        _require_lesson_write(db, actor, row["school_id"])
    with db.atomic():
        return insert_row(db, actor, "lesson_observation", row)


def update_observation(db: Database, actor: Actor, observation_id: str, changes: dict) -> dict:
    """Apply changes to a recorded observation (same fields as record_observation); return what
    changed; moving it to a class at another school needs the right to record there too.
    Raises ValidationError, NotFound, PermissionDenied."""
    old = get_row(db, "lesson_observation", observation_id)
    _require_lesson_write(db, actor, old["school_id"])
    merged = {k: old[k] for k in ("observer_id", "teacher_id", "class_id", "subject_id", "date", "notes")}
    merged["ratings"] = json.loads(old["ratings"] or "{}")
    merged["form_id"] = (old["form_id"] or "").rsplit("/", 1)[-1] or None
    merged |= changes
    row, problems = _check(db, merged)
    if problems:
        raise ValidationError(problems)
    if row["school_id"] != old["school_id"]:
        _require_lesson_write(db, actor, row["school_id"])
    with db.atomic():
        return update_row(db, actor, "lesson_observation", observation_id, row)


def delete_observation(db: Database, actor: Actor, observation_id: str) -> None:
    """Delete an observation entered by mistake (audited). Raises NotFound, PermissionDenied."""
    old = get_row(db, "lesson_observation", observation_id)
    _require_lesson_write(db, actor, old["school_id"])
    with db.atomic():
        delete_row(db, actor, "lesson_observation", observation_id)


def list_observations(db: Database, *, school_id: str | None = None, observer_id: str | None = None,
                      term: dict | None = None) -> list[dict]:
    """Return the observations of the term (default current), newest first, with names (the school
    where the lesson was given: school_code, school_name), score, band and lesson-structure
    remarks. With `school_id`: the lessons given at the school, and those its teachers observed or
    gave elsewhere (a 走教 teacher's lessons at a 教学点)."""
    term = term or current_term(db)
    where, args = ["o.term_id = ?"], [term["id"]]
    if school_id:
        where.append("(o.school_id = ? OR b.school_id = ? OR t.school_id = ?)")
        args += [school_id, school_id, school_id]
    if observer_id:
        where.append("o.observer_id = ?")
        args.append(observer_id)
    rows = db.query(
        "SELECT o.*, b.name AS observer_name, t.name AS teacher_name, s.code AS school_code, s.name AS school_name,"
        " c.name AS class_name,"
        " sj.name AS subject_name FROM lesson_observation o JOIN teacher b ON b.id = o.observer_id"
        " JOIN teacher t ON t.id = o.teacher_id JOIN school s ON s.id = o.school_id"
        " LEFT JOIN class c ON c.id = o.class_id LEFT JOIN subject sj ON sj.id = o.subject_id"
        f" WHERE {' AND '.join(where)} ORDER BY o.date DESC, o.created_at DESC", args)
    out = []
    forms: dict[str, tuple] = {}
    for row in rows:
        row = dict(row)
        if row["school_id"] not in forms:
            preset, form = observation_form(db, row["school_id"])
            forms[row["school_id"]] = (preset, form)
        preset, form = forms[row["school_id"]]
        row["ratings"] = json.loads(row["ratings"] or "{}")
        row["band"] = band_name(row["score"], preset.content["bands"])
        row["structure"] = structure_notes(form, row["ratings"])
        out.append(row)
    return out


@dataclass
class ObserverProgress:
    """One observer's term: the role giving the quota, the quota, lessons observed, and whether
    they are behind the pace the term's elapsed share asks for."""

    teacher_id: str
    staff_no: str
    name: str
    school_code: str
    role: str
    roles: list[str]
    quota: int
    done: int
    expected_by_now: int
    behind: bool
    remaining: int
    basis: str

    def to_dict(self) -> dict:
        """Return the row as JSON-able data."""
        return asdict(self)


def term_fraction(term: dict, as_of: dt.date) -> float:
    """Return the share (0-1) of the term that has passed on `as_of`."""
    start, end = dt.date.fromisoformat(term["start_date"]), dt.date.fromisoformat(term["end_date"])
    if as_of <= start:
        return 0.0
    if as_of >= end:
        return 1.0
    return (as_of - start).days / max((end - start).days, 1)


def observation_progress(db: Database, *, school_id: str | None = None, term: dict | None = None,
                         as_of: dt.date | None = None) -> list[ObserverProgress]:
    """Return, for every active teacher with a quota (or who observed anything) this term, the
    quota of their most demanding role, lessons observed, the number expected by `as_of` (default
    today; quota × share of the term passed, rounded down) and whether they are behind. Observers
    behind come first, then by school and staff number."""
    term = term or current_term(db)
    as_of = as_of or dt.date.today()
    fraction = term_fraction(term, as_of)
    done = dict(db.execute("SELECT observer_id, COUNT(*) FROM lesson_observation WHERE term_id = ?"
                           " GROUP BY observer_id", [term["id"]]).fetchall())
    roles: dict[str, list[str]] = {}
    for teacher_id, role in db.execute("SELECT teacher_id, role FROM teacher_role"):
        roles.setdefault(teacher_id, []).append(role)
    presets: dict[str, Preset] = {}
    out = []
    for row in active_teachers(db, school_id):
        if row["school_id"] not in presets:
            presets[row["school_id"]] = effective(db, "observation", row["school_id"])
        preset = presets[row["school_id"]]
        quotas = preset.content["quotas"]
        mine = sorted(roles.get(row["id"], []))
        with_quota = [(quotas[r], r) for r in mine if r in quotas]
        quota, role = max(with_quota) if with_quota else (0, "")
        count = done.get(row["id"], 0)
        if not quota and not count:
            continue
        expected = math.floor(quota * fraction + 1e-9)
        out.append(ObserverProgress(
            teacher_id=row["id"], staff_no=row["staff_no"], name=row["name"], school_code=row["code"], role=role,
            roles=mine, quota=quota, done=count, expected_by_now=expected, behind=count < expected,
            remaining=max(quota - count, 0), basis=preset.basis()))
    out.sort(key=lambda p: (not p.behind, p.school_code, p.staff_no))
    return out
