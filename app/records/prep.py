"""集体备课 (group lesson preparation): the sessions of each 教研组 (group, date, lead, topic, attendees),
each group's sessions against the records preset's number per month (000 篇1: twice a month), each
teacher's attendance feeding the 研 item of the routine sheet, and the new teachers who write
详案 (detailed lesson plans) for their first years (by hire date; 000 篇1, seed 003).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row
from app.errors import PermissionDenied, Problem, ValidationError
from app.queries.roster import active_teachers
from app.records.common import may_manage, record_date, records_rules, require_school_staff
from app.routine.observations import term_fraction
from app.services.schools import current_term
from app.validation.text import clean, text_problem

GROUP_LIMIT, TOPIC_LIMIT, NOTES_LIMIT = 30, 100, 500
# The item of the routine sheet's 研 link scored on 集体备课 (resources/presets/routine.json).
ROUTINE_ITEM = "group"


def session_row(db: Database, values: dict) -> dict:
    """Return the row record_session writes for `values` (group_name, date, lead_id, topic,
    attendee_ids: list of teacher ids, notes) after every check but permissions; the lead counts
    as an attendee. Raises ValidationError listing every problem."""
    problems: list[Problem] = []
    lead = db.execute("SELECT id, school_id FROM teacher WHERE id = ?", [values.get("lead_id")]).fetchone()
    if lead is None:
        problems.append(Problem("请选择主备人。", field="lead_id"))
    group = clean(values.get("group_name"))
    if not group:
        problems.append(Problem("请填写教研组(如 语文组)。", field="group_name"))
    elif text_problem(group, GROUP_LIMIT):
        problems.append(Problem(text_problem(group, GROUP_LIMIT), field="group_name"))
    topic = clean(values.get("topic"))
    if not topic:
        problems.append(Problem("请填写备课主题(如 三年级上册第四单元)。", field="topic"))
    elif text_problem(topic, TOPIC_LIMIT):
        problems.append(Problem(text_problem(topic, TOPIC_LIMIT), field="topic"))
    notes = clean(values.get("notes")) or None
    if notes and text_problem(notes, NOTES_LIMIT):
        problems.append(Problem(text_problem(notes, NOTES_LIMIT), field="notes"))
    day, term, more = record_date(db, values.get("date"), "备课日期")
    problems += more
    attendees = list(dict.fromkeys([*(values.get("attendee_ids") or []), *([lead[0]] if lead else [])]))
    if lead is not None:
        known = {r[0] for r in db.execute(
            f"SELECT id FROM teacher WHERE school_id = ? AND id IN ({','.join('?' * len(attendees))})",
            [lead[1], *attendees])}
        if set(attendees) - known:
            problems.append(Problem("参加教师中有不是本校教师的人。", field="attendee_ids"))
    if problems:
        raise ValidationError(problems)
    return {"school_id": lead[1], "term_id": term["id"], "group_name": group, "date": day.isoformat(),
            "lead_id": lead[0], "topic": topic, "attendee_ids": json.dumps(attendees), "notes": notes}


def require_session_write(actor: Actor, row: dict) -> None:
    """Raise PermissionDenied unless the actor may record the session: the school's administrator or
    教务, a township administrator, or the session's lead (主备人)."""
    require_school_staff(actor, row["school_id"])
    if not may_manage(actor, row["school_id"]) and actor.teacher_id != row["lead_id"]:
        raise PermissionDenied("教师只能登记自己主备的集体备课,其他请联系教务处。")


def record_session(db: Database, actor: Actor, values: dict) -> str:
    """Validate and record one 集体备课 session; return its id. Raises ValidationError, PermissionDenied."""
    row = session_row(db, values)
    require_session_write(actor, row)
    with db.atomic():
        return insert_row(db, actor, "prep_session", row)


def record_sessions(db: Database, actor: Actor, rows: list[dict]) -> int:
    """Write sessions already checked by session_row (an import), all or nothing; return how many.
    Raises PermissionDenied (nothing written)."""
    for row in rows:
        require_session_write(actor, row)
    with db.atomic():
        for row in rows:
            insert_row(db, actor, "prep_session", row)
    return len(rows)


def delete_session(db: Database, actor: Actor, session_id: str) -> None:
    """Delete a session entered by mistake (audited). Raises NotFound, PermissionDenied."""
    old = get_row(db, "prep_session", session_id)
    require_session_write(actor, old)
    with db.atomic():
        delete_row(db, actor, "prep_session", session_id)


def list_sessions(db: Database, *, school_id: str | None = None, term: dict | None = None) -> list[dict]:
    """Return the term's sessions (default current), newest first, with the lead's name, the
    attendees' names (list) and the school's code and name."""
    term = term or current_term(db)
    where, args = ["x.term_id = ?"], [term["id"]]
    if school_id:
        where.append("x.school_id = ?")
        args.append(school_id)
    names = dict(db.execute("SELECT id, name FROM teacher").fetchall())
    out = []
    for r in db.query("SELECT x.*, s.code AS school_code, s.name AS school_name FROM prep_session x"
                      f" JOIN school s ON s.id = x.school_id WHERE {' AND '.join(where)}"
                      " ORDER BY x.date DESC, x.created_at DESC", args):
        ids = json.loads(r["attendee_ids"] or "[]")
        out.append({**dict(r), "attendee_ids": ids, "lead_name": names.get(r["lead_id"], ""),
                    "attendees": [names.get(i, "") for i in ids]})
    return out


def _months(term: dict, as_of: dt.date) -> list[str]:
    """Return the months (YYYY-MM) of the term begun by `as_of`."""
    start = dt.date.fromisoformat(term["start_date"])
    end = min(dt.date.fromisoformat(term["end_date"]), as_of)
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def group_cadence(db: Database, *, school_id: str | None = None, term: dict | None = None,
                  as_of: dt.date | None = None) -> list[dict]:
    """Return each 教研组's sessions per month of the term begun by `as_of` (default today) against
    the preset's number per month: [{school_code, school_name, group_name, per_month, months:
    {YYYY-MM: count}, short_months: [months ended below the number]}], by school and group. The
    month of `as_of` is not judged until it has ended."""
    term = term or current_term(db)
    as_of = as_of or dt.date.today()
    months = _months(term, as_of)
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in list_sessions(db, school_id=school_id, term=term):
        counts[(row["school_code"], row["school_name"], row["school_id"], row["group_name"])][row["date"][:7]] += 1
    out = []
    for (code, name, sid, group), per in sorted(counts.items()):
        needed = int(records_rules(db, sid).content["prep_sessions"]["per_month"])
        ended = [m for m in months if m < as_of.isoformat()[:7]]
        out.append({"school_code": code, "school_name": name, "group_name": group, "per_month": needed,
                    "months": {m: per.get(m, 0) for m in months},
                    "short_months": [m for m in ended if per.get(m, 0) < needed]})
    return out


def attendance(db: Database, *, school_id: str | None = None, term: dict | None = None,
               as_of: dt.date | None = None) -> list[dict]:
    """Return each active teacher's sessions attended this term against the number expected by
    `as_of` (default today): per month × the term's months × share of the term passed, rounded
    down. [{teacher_id, school_code, school_name, staff_no, name, attended, expected}], by school and 工号."""
    term = term or current_term(db)
    as_of = as_of or dt.date.today()
    attended: dict[str, int] = defaultdict(int)
    for row in list_sessions(db, school_id=school_id, term=term):
        if row["date"] <= as_of.isoformat():
            for teacher_id in row["attendee_ids"]:
                attended[teacher_id] += 1
    term_months = len(_months(term, dt.date.fromisoformat(term["end_date"])))
    fraction = term_fraction(term, as_of)
    out = []
    rules: dict[str, int] = {}
    for t in active_teachers(db, school_id):
        if t["school_id"] not in rules:
            rules[t["school_id"]] = int(records_rules(db, t["school_id"]).content["prep_sessions"]["per_month"])
        expected = math.floor(rules[t["school_id"]] * term_months * fraction + 1e-9)
        out.append({"teacher_id": t["id"], "school_code": t["code"], "school_name": t["school_name"],
                    "staff_no": t["staff_no"], "name": t["name"], "attended": attended.get(t["id"], 0),
                    "expected": expected})
    return out


def routine_suggestion(db: Database, teacher_id: str, item_max: float, as_of: dt.date | None = None) -> dict:
    """Return what the 研 item “参加集体备课” of a routine check is scored on for the teacher:
    {attended, expected, score}: the item's full points × attended ÷ expected (at most full; full
    when nothing is expected yet), rounded to a whole point. Raises NotFound for an unknown teacher."""
    teacher = get_row(db, "teacher", teacher_id)
    row = next(r for r in attendance(db, school_id=teacher["school_id"], as_of=as_of) if r["teacher_id"] == teacher_id) \
        if teacher["active"] else {"attended": 0, "expected": 0}
    share = 1.0 if not row["expected"] else min(1.0, row["attended"] / row["expected"])
    return {"attended": row["attended"], "expected": row["expected"], "score": round(item_max * share)}


def new_teachers(db: Database, *, school_id: str | None = None, as_of: dt.date | None = None) -> list[dict]:
    """Return the active teachers who write 详案 on `as_of` (default today): hired less than the
    preset's years before (三年内), with the date the rule ends for them; teachers without a hire date
    are listed with `unknown` so the office can fill it in. [{school_code, school_name, teacher_id,
    staff_no, name, hire_date, until, unknown}], by school and 工号."""
    as_of = as_of or dt.date.today()
    out = []
    years: dict[str, int] = {}
    for t in active_teachers(db, school_id):
        if t["school_id"] not in years:
            years[t["school_id"]] = int(records_rules(db, t["school_id"]).content["detailed_plans"]["years"])
        base = {"school_code": t["code"], "school_name": t["school_name"], "teacher_id": t["id"],
                "staff_no": t["staff_no"], "name": t["name"], "hire_date": t["hire_date"]}
        if not t["hire_date"]:
            out.append({**base, "until": None, "unknown": True})
            continue
        hired = dt.date.fromisoformat(t["hire_date"])
        try:
            until = hired.replace(year=hired.year + years[t["school_id"]])
        except ValueError:  # hired on 29 February
            until = hired.replace(year=hired.year + years[t["school_id"]], day=28)
        if hired <= as_of < until:
            out.append({**base, "until": until.isoformat(), "unknown": False})
    return out
