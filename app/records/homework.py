"""Homework load (作业公示): minutes of written homework per class, school day and subject.

The 班主任 enters the day's minutes per subject (or a sheet brings them); the limit of a day's total
comes from the records preset by grade (000 篇13/篇15: grades 1–2 none, 3–6 ≤ 60 minutes, junior
≤ 90), and for a 复式 class the strictest of its grades. The weekly check compares each class's mean
daily total over the days entered with its limit, and lists the days over it; a class of grades 1–2
is over as soon as any written homework is entered. The township sees the classes over the limit.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, insert_row, update_row
from app.errors import PermissionDenied, Problem, ValidationError
from app.records.common import may_manage, record_date, records_rules, require_school_staff
from app.services.schools import current_term
from app.validation.text import clean

MAX_MINUTES = 600
WEEKDAYS = "一二三四五六日"
GRADE_WORDS = "一二三四五六七八九"


def require_homework_write(db: Database, actor: Actor, class_id: str) -> dict:
    """Return the class (id, school_id, name, head_teacher_id) when the actor may enter its homework:
    its 班主任, or the school's administrator or 教务, or a township administrator.
    Raises PermissionDenied, ValidationError for an unknown class."""
    rows = list(db.query("SELECT id, school_id, name, head_teacher_id FROM class WHERE id = ?", [class_id]))
    if not rows:
        raise ValidationError([Problem("请选择班级。", field="class_id")])
    cls = rows[0]
    require_school_staff(actor, cls["school_id"])
    if may_manage(actor, cls["school_id"]):
        return cls
    if actor.teacher_id and actor.teacher_id == cls["head_teacher_id"]:
        return cls
    raise PermissionDenied(f"只有{cls['name']}的班主任(或教务处)可以登记这个班的作业时间。")


def class_limit(db: Database, class_id: str, rules: dict | None = None) -> tuple[int, list[int]]:
    """Return (the daily limit in minutes of written homework for the class, its grades): the
    strictest limit of its grades."""
    grades = [r[0] for r in db.execute("SELECT grade FROM class_grade WHERE class_id = ? ORDER BY grade", [class_id])]
    if rules is None:
        school = db.execute("SELECT school_id FROM class WHERE id = ?", [class_id]).fetchone()
        rules = records_rules(db, school[0] if school else None).content
    limits = rules["homework"]["daily_minutes"]
    return min((int(limits[str(g)]) for g in grades), default=0), grades


def limits_text(db: Database, school_id: str | None = None) -> str:
    """Return the homework rule in force for `school_id` (the records preset) as one sentence, grades
    with the same limit named together: '规定:一、二年级不布置书面家庭作业;三至六年级每天书面作业平均不超过
    60 分钟;…'."""
    limits = records_rules(db, school_id).content["homework"]["daily_minutes"]
    runs: list[list[int]] = []
    for grade in range(1, 10):
        value = int(limits.get(str(grade), 0))
        if runs and runs[-1][2] == value:
            runs[-1][1] = grade
        else:
            runs.append([grade, grade, value])
    parts = []
    for first, last, value in runs:
        words = GRADE_WORDS[first - 1] + ("" if first == last else ("、" if last == first + 1 else "至")
                                          + GRADE_WORDS[last - 1])
        parts.append(f"{words}年级不布置书面家庭作业" if value == 0 else
                     f"{words}年级每天书面作业平均不超过 {value} 分钟")
    return "规定:" + ";".join(parts) + "。复式班按其中最低的年级要求。"


def check_day(db: Database, class_id: str, day_value: object, minutes: dict[str, object]) -> tuple[dict, list[Problem]]:
    """Validate one class-day of homework: returns ({school_id, term_id, class_id, date, minutes:
    {subject id: int}}, problems). Minutes are whole numbers 0–600 per subject; subjects must exist;
    the date must be a school day (not Saturday or Sunday) inside a term, not in the future."""
    problems: list[Problem] = []
    cls = db.execute("SELECT school_id, academic_year_id, name FROM class WHERE id = ?", [class_id]).fetchone()
    if cls is None:
        problems.append(Problem("请选择班级。", field="class_id"))
    day, term, more = record_date(db, day_value, "作业日期")
    problems += more
    if cls is not None and term is not None and term["academic_year_id"] != cls[1]:
        problems.append(Problem(f"{day.isoformat()} 不在{cls[2]}所在的学年之内。", field="date"))
    if day is not None and day.weekday() >= 5:
        problems.append(Problem(f"{day.isoformat()} 是星期{WEEKDAYS[day.weekday()]},只登记上学日的作业。", field="date"))
    subjects = dict(db.execute("SELECT id, name FROM subject").fetchall())
    clean_minutes: dict[str, int] = {}
    for subject_id, value in minutes.items():
        name = subjects.get(subject_id)
        if name is None:
            problems.append(Problem("科目不在本数据库的科目表中。", field="subject_id"))
            continue
        if value is None or value == "":
            continue
        try:
            number = float(str(value).strip())
        except ValueError:
            problems.append(Problem(f"{name}的作业时间“{clean(value)}”应为分钟数(整数)。", field=subject_id))
            continue
        if not number.is_integer() or not 0 <= number <= MAX_MINUTES:
            problems.append(Problem(f"{name}的作业时间 {clean(value)} 应为 0 到 {MAX_MINUTES} 之间的整数分钟。",
                                    field=subject_id))
            continue
        clean_minutes[subject_id] = int(number)
    return {"school_id": cls[0] if cls else None, "term_id": term["id"] if term else None, "class_id": class_id,
            "date": day.isoformat() if day else None, "minutes": clean_minutes}, problems


def _write_day(db: Database, actor: Actor, day: dict, note: str | None) -> int:
    """Bring the stored minutes of one class-day to `day["minutes"]` (inside the caller's
    transaction); return the number of rows added, changed or removed."""
    current = {r["subject_id"]: dict(r) for r in db.query(
        "SELECT id, subject_id, minutes, note FROM homework_log WHERE class_id = ? AND date = ?",
        [day["class_id"], day["date"]])}
    touched = 0
    for subject_id, minutes in day["minutes"].items():
        old = current.pop(subject_id, None)
        if old is None:
            insert_row(db, actor, "homework_log", {
                "school_id": day["school_id"], "term_id": day["term_id"], "class_id": day["class_id"],
                "date": day["date"], "subject_id": subject_id, "minutes": minutes, "note": note})
            touched += 1
        elif (old["minutes"], old["note"]) != (minutes, note):
            update_row(db, actor, "homework_log", old["id"], {"minutes": minutes, "note": note})
            touched += 1
    for old in current.values():
        delete_row(db, actor, "homework_log", old["id"])
        touched += 1
    return touched


def record_homework(db: Database, actor: Actor, class_id: str, day: object, minutes: dict[str, object],
                    note: object = None) -> int:
    """Set one class's written homework of one school day: `minutes` maps subject id → minutes (an
    empty value leaves the subject out; a subject stored before but not given is removed). Returns
    the number of rows changed. Raises ValidationError listing every problem, PermissionDenied."""
    require_homework_write(db, actor, class_id)
    row, problems = check_day(db, class_id, day, minutes)
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        return _write_day(db, actor, row, clean(note) or None)


def record_homework_days(db: Database, actor: Actor, days: list[dict]) -> int:
    """Write many class-days already checked by check_day (an import), all or nothing; each dict as
    check_day returns it plus `note`. Returns the number of rows changed. Raises PermissionDenied
    when the actor may not write one of the classes (nothing is written)."""
    for class_id in {d["class_id"] for d in days}:
        require_homework_write(db, actor, class_id)
    with db.atomic():
        return sum(_write_day(db, actor, d, d.get("note")) for d in days)


def homework_days(db: Database, class_id: str, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """Return the stored minutes of the class from `start` to `end`: {date: {subject name: minutes}}."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for date, name, minutes in db.execute(
            "SELECT h.date, s.name, h.minutes FROM homework_log h JOIN subject s ON s.id = h.subject_id"
            " WHERE h.class_id = ? AND h.date BETWEEN ? AND ? ORDER BY h.date, s.sort_order",
            [class_id, start.isoformat(), end.isoformat()]):
        out[date][name] = minutes
    return dict(out)


def week_start(day: dt.date) -> dt.date:
    """Return the Monday of the week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def weekly_check(db: Database, *, school_id: str | None = None, term: dict | None = None,
                 week: dt.date | None = None) -> list[dict]:
    """Return one row per class and week with homework entered in the term (default current), or
    only the week of `week`: {school_code, school_name, class_id, class_name, grades, week (Monday),
    limit, days, mean, max, over_days: [dates], over}. `over` when the mean daily total is above the
    limit, or any written homework is entered for a class whose limit is 0. By school, class, week."""
    term = term or current_term(db)
    where, args = ["h.term_id = ?"], [term["id"]]
    if school_id:
        where.append("h.school_id = ?")
        args.append(school_id)
    if week:
        first = week_start(week)
        where.append("h.date BETWEEN ? AND ?")
        args += [first.isoformat(), (first + dt.timedelta(days=6)).isoformat()]
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    info: dict[str, dict] = {}
    for class_id, date, minutes, class_name, code, name, sid in db.execute(
            "SELECT h.class_id, h.date, h.minutes, c.name, s.code, s.name, s.id FROM homework_log h"
            " JOIN class c ON c.id = h.class_id JOIN school s ON s.id = h.school_id"
            f" WHERE {' AND '.join(where)}", args):
        totals[(class_id, week_start(dt.date.fromisoformat(date)).isoformat())][date] += minutes
        info[class_id] = {"class_name": class_name, "school_code": code, "school_name": name, "school_id": sid}
    rules: dict[str, dict] = {}
    out = []
    for (class_id, monday), days in totals.items():
        meta = info[class_id]
        if meta["school_id"] not in rules:
            rules[meta["school_id"]] = records_rules(db, meta["school_id"]).content
        limit, grades = class_limit(db, class_id, rules[meta["school_id"]])
        mean = statistics.fmean(days.values())
        over_days = sorted(d for d, total in days.items() if total > limit)
        out.append({**{k: v for k, v in meta.items() if k != "school_id"}, "class_id": class_id, "grades": grades,
                    "week": monday, "limit": limit, "days": len(days), "mean": round(mean, 1),
                    "max": max(days.values()), "over_days": over_days,
                    "over": mean > limit or (limit == 0 and any(days.values()))})
    grade_order = {r["class_id"]: (min(r["grades"], default=0), r["class_name"]) for r in out}
    out.sort(key=lambda r: (r["school_code"], grade_order[r["class_id"]], r["week"]))
    return out


def homework_summary(db: Database, *, school_id: str | None = None, term: dict | None = None) -> list[dict]:
    """Return per school: classes with homework entered, class-weeks checked, class-weeks over the
    limit and the classes concerned: [{school_code, school_name, classes, weeks, weeks_over,
    classes_over: [names]}], by school code."""
    by_school: dict[str, dict] = {}
    for row in weekly_check(db, school_id=school_id, term=term):
        entry = by_school.setdefault(row["school_code"], {
            "school_code": row["school_code"], "school_name": row["school_name"], "classes": set(), "weeks": 0,
            "weeks_over": 0, "classes_over": []})
        entry["classes"].add(row["class_id"])
        entry["weeks"] += 1
        if row["over"]:
            entry["weeks_over"] += 1
            if row["class_name"] not in entry["classes_over"]:
                entry["classes_over"].append(row["class_name"])
    return [{**e, "classes": len(e["classes"])} for _, e in sorted(by_school.items())]


def homework_subjects(db: Database, class_id: str, term: dict | None = None) -> list[dict]:
    """Return the subjects a class's homework form offers: {id, name} of the written-exam subjects
    (assessment 考试: 语文, 数学, 英语 …) taught in the class this term by the teaching assignments,
    else of every written-exam subject; in catalogue order."""
    term = term or current_term(db)
    rows = [dict(r) for r in db.query(
        "SELECT DISTINCT s.id, s.name, s.sort_order FROM teaching_assignment a JOIN subject s ON s.id = a.subject_id"
        " WHERE a.class_id = ? AND a.term_id = ? AND s.assessment = '考试' ORDER BY s.sort_order", [class_id, term["id"]])]
    if not rows:
        rows = [dict(r) for r in db.query("SELECT id, name, sort_order FROM subject WHERE assessment = '考试'"
                                          " ORDER BY sort_order")]
    return [{"id": r["id"], "name": r["name"]} for r in rows]
