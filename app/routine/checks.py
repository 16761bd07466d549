"""Routine checks (教学常规检查): a scoring sheet for each of the seven links 备、讲、批、辅、考、思、研,
checks recorded per teacher, and the term summary per teacher and per school."""
from __future__ import annotations

import json
import statistics
from collections import defaultdict

from sqlite_utils import Database

from app.db.where import where_clause
from app.db.writes import Actor, delete_row, get_row, insert_row
from app.errors import Problem, ValidationError
from app.presets import Preset, effective
from app.queries.roster import active_teachers
from app.routine.observations import band_name, dated_in_term, require_routine_write
from app.services.schools import current_term
from app.validation.text import clean

LINKS = ("备", "讲", "批", "辅", "考", "思", "研")


def routine_sheets(db: Database, school_id: str | None = None) -> Preset:
    """Return the routine preset in force for `school_id`: links → {name, checks_per_term, items}."""
    return effective(db, "routine", school_id)


def check_row(db: Database, values: dict, presets: dict[str, Preset] | None = None) -> dict:
    """Return the row record_check would write for `values` (no id yet), after the same checks,
    for a caller that writes many checks at once (the demo). `presets` (school id → routine preset)
    is filled and reused across calls. Raises ValidationError listing every problem; permissions
    are the caller's to check."""
    problems: list[Problem] = []
    teacher = db.execute("SELECT id, school_id FROM teacher WHERE id = ?", [values.get("teacher_id")]).fetchone()
    if teacher is None:
        problems.append(Problem("请选择被检查的教师。", field="teacher_id"))
    checker_id = values.get("checker_id") or None
    if checker_id and not db.execute("SELECT 1 FROM teacher WHERE id = ?", [checker_id]).fetchone():
        problems.append(Problem("所选检查人不在教师名册中。", field="checker_id"))
    if checker_id and teacher and checker_id == teacher[0]:
        problems.append(Problem("检查人和被检查教师不能是同一人。", field="checker_id"))
    day, term, more = dated_in_term(db, values.get("date"), "检查日期")
    problems += more
    link = clean(values.get("link"))
    scores: dict = {}
    total = 0.0
    school_id = teacher[1] if teacher else None
    if presets is not None and school_id in presets:
        preset = presets[school_id]
    else:
        preset = routine_sheets(db, school_id)
        if presets is not None:
            presets[school_id] = preset
    sheet = preset.content["links"].get(link)
    if link not in LINKS or sheet is None:
        problems.append(Problem(f"检查环节应为 {'、'.join(LINKS)} 之一。", field="link"))
    else:
        given = values.get("scores") or {}
        for item in sheet["items"]:
            try:
                number = float(given.get(item["key"]))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                problems.append(Problem(f"“{item['name']}”需要打分(0-{item['max']} 分)。", field=item["key"]))
                continue
            if not 0 <= number <= item["max"]:
                problems.append(Problem(f"“{item['name']}”的得分 {number:g} 不在 0-{item['max']} 分之间。",
                                        field=item["key"]))
                continue
            scores[item["key"]] = number
            total += number
    if problems:
        raise ValidationError(problems)
    return {"school_id": school_id, "term_id": term["id"], "teacher_id": teacher[0], "checker_id": checker_id,
            "date": day.isoformat(), "link": link, "sheet_id": f"{preset.basis()}/{link}",
            "scores": json.dumps(scores, ensure_ascii=False, sort_keys=True), "total": total,
            "notes": clean(values.get("notes")) or None}


def record_check(db: Database, actor: Actor, values: dict) -> str:
    """Validate and record one routine check; return its id.

    `values`: teacher_id, checker_id (optional), date, link (one of 备讲批辅考思研), scores
    {item key: points}, notes. Every item of the link's sheet needs 0 to its maximum; the total
    is their sum. The check belongs to the teacher's school. Raises ValidationError listing every
    problem, PermissionDenied.
    """
    row = check_row(db, values)
    require_routine_write(actor, row["school_id"])
    with db.atomic():
        return insert_row(db, actor, "routine_check", row)


def delete_check(db: Database, actor: Actor, check_id: str) -> None:
    """Delete a routine check entered by mistake (audited). Raises NotFound, PermissionDenied."""
    old = get_row(db, "routine_check", check_id)
    require_routine_write(actor, old["school_id"])
    with db.atomic():
        delete_row(db, actor, "routine_check", check_id)


def list_checks(db: Database, *, school_id: str | None = None, teacher_id: str | None = None,
                term: dict | None = None) -> list[dict]:
    """Return the routine checks of the term (default current), newest first, with names (the
    teacher's, the checker's, and the school's: school_code, school_name)."""
    term = term or current_term(db)
    where, args = where_clause({"r.term_id": term["id"], "r.school_id": school_id, "r.teacher_id": teacher_id})
    return [{**dict(r), "scores": json.loads(r["scores"] or "{}")} for r in db.query(
        "SELECT r.*, t.name AS teacher_name, t.staff_no, s.code AS school_code, s.name AS school_name,"
        " c.name AS checker_name"
        " FROM routine_check r JOIN teacher t ON t.id = r.teacher_id JOIN school s ON s.id = r.school_id"
        f" LEFT JOIN teacher c ON c.id = r.checker_id{where}"
        " ORDER BY r.date DESC, r.created_at DESC", args)]


def routine_summary(db: Database, *, school_id: str | None = None, term: dict | None = None) -> dict:
    """Return the term summary: per teacher (checks per link, mean total per link and overall, band,
    links checked fewer times than the sheet asks) and per school (teachers checked, checks and
    mean per link). Teachers without any check are listed with every link missing."""
    term = term or current_term(db)
    rows = list_checks(db, school_id=school_id, term=term)
    by_teacher: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_teacher[row["teacher_id"]].append(row)
    teachers = []
    presets: dict[str, Preset] = {}
    for t in active_teachers(db, school_id):
        if t["school_id"] not in presets:
            presets[t["school_id"]] = routine_sheets(db, t["school_id"])
        content = presets[t["school_id"]].content
        mine = by_teacher.get(t["id"], [])
        links = {}
        for link in LINKS:
            totals = [r["total"] for r in mine if r["link"] == link]
            links[link] = {"count": len(totals), "mean": round(statistics.fmean(totals), 1) if totals else None}
        missing = [link for link, sheet in content["links"].items()
                   if links.get(link, {"count": 0})["count"] < sheet.get("checks_per_term", 0)]
        mean = round(statistics.fmean(r["total"] for r in mine), 1) if mine else None
        teachers.append({"teacher_id": t["id"], "staff_no": t["staff_no"], "name": t["name"], "school_code": t["code"],
                         "school_name": t["school_name"], "checks": len(mine), "links": links, "mean": mean,
                         "band": band_name(mean, content["bands"]), "missing_links": missing,
                         "basis": presets[t["school_id"]].basis()})
    schools = []
    by_school: dict[str, list[dict]] = defaultdict(list)
    for teacher in teachers:
        by_school[teacher["school_code"]].append(teacher)
    for code, members in by_school.items():
        mine = [r for r in rows if r["school_code"] == code]
        schools.append({
            "school_code": code, "school_name": members[0]["school_name"], "teachers": len(members),
            "teachers_checked": sum(1 for m in members if m["checks"]), "checks": len(mine),
            "mean": round(statistics.fmean(r["total"] for r in mine), 1) if mine else None,
            "links": {link: {"count": sum(1 for r in mine if r["link"] == link),
                             "mean": round(statistics.fmean(v), 1) if (v := [r["total"] for r in mine
                                                                              if r["link"] == link]) else None}
                      for link in LINKS},
            "teachers_with_missing_links": sum(1 for m in members if m["missing_links"])})
    return {"term": term["code"], "teachers": teachers, "schools": schools}
