"""Changing a timetable: one cell at a time (with the clashes it causes shown at once), the
school's daily slot plan, and the travel time between two sites. Every change is validated,
written in one transaction and audited."""
from __future__ import annotations

import json

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, get_row, insert_row, update_row
from app.errors import NotFound, PermissionDenied, Problem, ValidationError, invalid
from app.presets import effective
from app.services.schools import current_term
from app.timetable.check import Finding, check_timetable, rules_lookup, run_checks
from app.timetable.model import KIND_NAMES, PERIOD_KINDS, Slot, clock, load_timetable, parse_clock
from app.timetable.permissions import require_timetable_write
from app.timetable.plans import school_plans
from app.validation.text import clean

NO_LESSON_KINDS = ("大课间", "午休")


def _term(db: Database, term_id: str | None) -> dict:
    return get_row(db, "term", term_id) if term_id else current_term(db)


def teachers_for_school(db: Database, school_id: str) -> list[dict]:
    """Return the active teachers who may teach at a school: its own and those who come to it
    (走教), each with id, staff_no, name, school_code and whether they are visiting."""
    return [dict(r) for r in db.query(
        "SELECT t.id, t.staff_no, t.name, t.school_id, s.code AS school_code, s.name AS school_name,"
        " t.school_id != :school AS visiting FROM teacher t JOIN school s ON s.id = t.school_id"
        " WHERE t.active = 1 AND (t.school_id = :school OR t.id IN"
        " (SELECT teacher_id FROM teacher_site WHERE school_id = :school))"
        " ORDER BY visiting, t.staff_no", {"school": school_id})]


def set_cell(db: Database, actor: Actor, *, class_id: str, day: int, slot: int, subject_id: str | None,
             teacher_id: str | None = None, room: str | None = None, term_id: str | None = None) -> list[Finding]:
    """Put a subject and teacher (and optionally a room) in one cell of a class timetable; with no
    subject and no teacher the cell is emptied. Returns the checker's findings about this cell
    after the change (a clash, a travel gap, a teacher's day over the limit …), so the editor
    can show them at once. Raises ValidationError (nothing written), NotFound, PermissionDenied.
    """
    term = _term(db, term_id)
    cls = get_row(db, "class", class_id)
    require_timetable_write(actor, cls["school_id"])
    problems: list[Problem] = []
    if cls["academic_year_id"] != term["academic_year_id"]:
        problems.append(Problem(f"{cls['name']}不是{term['name']}的班级。", field="class_id"))
    if not 1 <= int(day) <= 7:
        problems.append(Problem("星期应在 1 到 7 之间。", field="day"))
    period = db.execute("SELECT label, kind FROM timetable_period WHERE school_id = ? AND term_id = ? AND slot = ?",
                        [cls["school_id"], term["id"], slot]).fetchone()
    has_plan = db.execute("SELECT 1 FROM timetable_period WHERE school_id = ? AND term_id = ?",
                          [cls["school_id"], term["id"]]).fetchone()
    if has_plan and period is None:
        problems.append(Problem(f"作息时间中没有第 {slot} 个时段。", field="slot"))
    elif period is not None and period[1] in NO_LESSON_KINDS and (subject_id or teacher_id):
        problems.append(Problem(f"“{period[0]}”是{KIND_NAMES[period[1]]}时间,不能排课。", field="slot"))
    if subject_id and not db.execute("SELECT 1 FROM subject WHERE id = ?", [subject_id]).fetchone():
        problems.append(Problem("所选学科不在学科目录中。", field="subject_id"))
    if teacher_id:
        allowed = {t["id"] for t in teachers_for_school(db, cls["school_id"])}
        if teacher_id not in allowed:
            problems.append(Problem("所选教师不是本校在岗教师,也没有登记到本校走教。请先在教师名册中登记走教学校。",
                                    field="teacher_id"))
    if teacher_id and not subject_id:
        problems.append(Problem("请同时选择学科。", field="subject_id"))
    if problems:
        raise ValidationError(problems)
    existing = db.execute("SELECT id FROM timetable_slot WHERE term_id = ? AND class_id = ? AND day = ? AND slot = ?",
                          [term["id"], class_id, day, slot]).fetchone()
    room = clean(room) or None
    with db.atomic():
        if not subject_id and not teacher_id:
            if existing:
                delete_row(db, actor, "timetable_slot", existing[0])
        elif existing:
            update_row(db, actor, "timetable_slot", existing[0],
                       {"subject_id": subject_id, "teacher_id": teacher_id, "room": room})
        else:
            insert_row(db, actor, "timetable_slot", {
                "school_id": cls["school_id"], "term_id": term["id"], "class_id": class_id, "day": int(day),
                "slot": int(slot), "subject_id": subject_id, "teacher_id": teacher_id, "room": room})
    return cell_findings(db, class_id=class_id, day=int(day), slot=int(slot), term=term)


def _at_cell(findings: list[Finding], class_id: str, day: int, slot: int, teacher_id: str | None) -> list[Finding]:
    """Return the findings at one cell, naming it as the other side of a clash or travel gap, or
    the day of its teacher being over the limit."""
    def here(finding: Finding) -> bool:
        if finding.class_id == class_id and finding.day == day and finding.period == slot:
            return True
        if any(r.get("class_id") == class_id and r.get("day") == day and r.get("period") == slot
               for r in finding.related):
            return finding.rule != "teacher_daily_max" or finding.teacher_id == teacher_id
        return False
    return [f for f in findings if here(f)]


def cell_findings(db: Database, *, class_id: str, day: int, slot: int, term: dict | None = None) -> list[Finding]:
    """Return the checker's findings that point at one cell of the timetable as it is stored."""
    cls = get_row(db, "class", class_id)
    term = term or current_term(db)
    result = check_timetable(db, school_id=cls["school_id"], term=term)
    teacher = db.execute("SELECT teacher_id FROM timetable_slot WHERE term_id = ? AND class_id = ? AND day = ?"
                         " AND slot = ?", [term["id"], class_id, day, slot]).fetchone()
    return _at_cell(result.findings, class_id, day, slot, teacher[0] if teacher else None)


def preview_cell(db: Database, *, class_id: str, day: int, slot: int, subject_id: str | None,
                 teacher_id: str | None, room: str | None = None, term: dict | None = None) -> list[Finding]:
    """Return the findings one cell would have if it held this subject, teacher and room, without
    writing anything — what the editor shows while the user picks."""
    cls = get_row(db, "class", class_id)
    term = term or current_term(db)
    data = load_timetable(db, term, cls["school_id"])
    if teacher_id and teacher_id not in data.teachers:
        data = load_timetable(db, term, cls["school_id"], extra_teachers={teacher_id})
    code = next((c for c, sid in data.subject_ids.items() if sid == subject_id), None)
    data.slots = [s for s in data.slots if not (s.class_id == class_id and s.day == day and s.slot == slot)]
    if code or teacher_id:
        data.slots.append(Slot("preview", cls["school_id"], class_id, int(day), int(slot), code, teacher_id,
                               clean(room) or None))
    findings = run_checks(data, school_plans(db, list(data.schools)), rules_lookup(db, list(data.schools)))
    return _at_cell(findings, class_id, int(day), int(slot), teacher_id)


def set_day_plan(db: Database, actor: Actor, school_id: str, periods: list[dict],
                 term_id: str | None = None) -> None:
    """Make `periods` (dicts with slot, label, kind, start 'HH:MM' or empty, minutes) the school's
    daily slot plan for the term. Refuses (ValidationError, naming each row) duplicate slots,
    unknown kinds, unreadable times, overlapping slots, and removing or closing a slot that
    still has lessons placed. Raises PermissionDenied."""
    require_timetable_write(actor, school_id)
    term = _term(db, term_id)
    problems: list[Problem] = []
    cleaned: list[dict] = []
    seen: set[int] = set()
    for number, item in enumerate(periods, start=1):
        def bad(message: str, field: str) -> None:
            problems.append(Problem(message, row=number, field=field))
        try:
            slot = int(item.get("slot"))
        except (TypeError, ValueError):
            bad("时段序号应为正整数。", "slot")
            continue
        if slot < 1 or slot in seen:
            bad(f"时段序号 {slot} 重复或不是正整数。", "slot")
        seen.add(slot)
        label = clean(item.get("label"))
        if not label:
            bad("时段名称不能为空。", "label")
        kind = item.get("kind")
        kind = {v: k for k, v in KIND_NAMES.items()}.get(kind, kind)
        if kind not in PERIOD_KINDS:
            bad(f"时段类型“{item.get('kind')}”不在 {' / '.join(KIND_NAMES.values())} 之中。", "kind")
        start_text = clean(item.get("start"))
        start = parse_clock(start_text)
        if start_text and start is None:
            bad(f"开始时间“{start_text}”无法识别,请写成 08:20 的形式。", "start")
        try:
            minutes = int(item.get("minutes"))
        except (TypeError, ValueError):
            minutes = 0
        if not 1 <= minutes <= 300:
            bad("时长应为 1 到 300 分钟。", "minutes")
        cleaned.append({"slot": slot, "label": label, "kind": kind, "start_time": clock(start) or None,
                        "minutes": minutes, "_start": start, "_row": number})
    timed = sorted((c for c in cleaned if c["_start"] is not None), key=lambda c: c["_start"])
    for before, after in zip(timed, timed[1:]):
        if before["_start"] + before["minutes"] > after["_start"]:
            problems.append(Problem(f"“{before['label']}”与“{after['label']}”时间重叠。", row=after["_row"],
                                    field="start"))
    open_slots = {c["slot"] for c in cleaned if c["kind"] not in NO_LESSON_KINDS}
    for slot, count in db.execute("SELECT slot, COUNT(*) FROM timetable_slot WHERE school_id = ? AND term_id = ?"
                                  " GROUP BY slot", [school_id, term["id"]]):
        if slot not in open_slots:
            problems.append(Problem(f"第 {slot} 个时段已排了 {count} 节课,不能删除或改为不上课的时段。请先把这些课移走。",
                                    field="slot"))
    if problems:
        raise ValidationError(problems)
    current = {r["slot"]: dict(r) for r in db.query(
        "SELECT * FROM timetable_period WHERE school_id = ? AND term_id = ?", [school_id, term["id"]])}
    with db.atomic():
        for item in cleaned:
            values = {k: v for k, v in item.items() if not k.startswith("_")}
            if item["slot"] in current:
                update_row(db, actor, "timetable_period", current.pop(item["slot"])["id"], values)
            else:
                insert_row(db, actor, "timetable_period", {"school_id": school_id, "term_id": term["id"], **values})
        for row in current.values():
            delete_row(db, actor, "timetable_period", row["id"])


def day_plan(db: Database, school_id: str, term_id: str | None = None) -> list[dict]:
    """Return the school's daily slot plan for the term (slot, label, kind, start_time, minutes)."""
    term = _term(db, term_id)
    return [dict(r) for r in db.query(
        "SELECT slot, label, kind, start_time, minutes FROM timetable_period WHERE school_id = ? AND term_id = ?"
        " ORDER BY slot", [school_id, term["id"]])]


def ensure_day_plan(db: Database, actor: Actor, school_id: str, term_id: str | None = None) -> bool:
    """Give a school without a daily slot plan the default one of the timetable rules preset;
    return True when one was created."""
    term = _term(db, term_id)
    if day_plan(db, school_id, term["id"]):
        return False
    default = effective(db, "timetable", school_id).content["default_day"]
    set_day_plan(db, actor, school_id, default, term["id"])
    return True


def travel_times(db: Database) -> list[dict]:
    """Return the travel times set between pairs of schools (school codes and names, minutes)."""
    return [dict(r) for r in db.query(
        "SELECT t.id, t.minutes, a.id AS school_a, a.code AS code_a, a.name AS name_a,"
        " b.id AS school_b, b.code AS code_b, b.name AS name_b FROM site_travel t"
        " JOIN school a ON a.id = t.school_a JOIN school b ON b.id = t.school_b ORDER BY a.code, b.code")]


def set_travel_time(db: Database, actor: Actor, school_a: str, school_b: str, minutes: int | None) -> None:
    """Set the travel time in minutes between two schools for 走教 teachers (None: use the default
    again). Audited. Raises ValidationError, NotFound, PermissionDenied (only an administrator of
    the township or of one of the two schools)."""
    for school_id in (school_a, school_b):
        if not db.execute("SELECT 1 FROM school WHERE id = ?", [school_id]).fetchone():
            raise NotFound("所选学校不在这个数据库中。")
    if school_a == school_b:
        raise invalid("请选择两所不同的学校。")
    try:
        require_timetable_write(actor, school_a)
    except PermissionDenied:
        require_timetable_write(actor, school_b)
    if minutes is not None and not 0 <= int(minutes) <= 600:
        raise invalid("路程时间应在 0 到 600 分钟之间。", "minutes")
    low, high = sorted((school_a, school_b))
    existing = db.execute("SELECT id FROM site_travel WHERE school_a = ? AND school_b = ?", [low, high]).fetchone()
    with db.atomic():
        if minutes is None:
            if existing:
                delete_row(db, actor, "site_travel", existing[0])
        elif existing:
            update_row(db, actor, "site_travel", existing[0], {"minutes": int(minutes)})
        else:
            insert_row(db, actor, "site_travel", {"school_a": low, "school_b": high, "minutes": int(minutes)})



def set_locked(db: Database, actor: Actor, *, class_id: str, day: int, slot: int, locked: bool,
               term_id: str | None = None) -> bool:
    """Lock (or unlock) the lesson in one cell of a class timetable, so 自动排课 keeps it where it
    is; audited. Returns whether anything changed. Raises NotFound (no lesson there),
    PermissionDenied."""
    term = _term(db, term_id)
    cls = get_row(db, "class", class_id)
    require_timetable_write(actor, cls["school_id"])
    row = db.execute("SELECT id, locked FROM timetable_slot WHERE term_id = ? AND class_id = ? AND day = ? AND slot = ?",
                     [term["id"], class_id, day, slot]).fetchone()
    if row is None:
        raise NotFound(f"{cls['name']}这个时段没有课,无法锁定。")
    if bool(row[1]) == bool(locked):
        return False
    with db.atomic():
        update_row(db, actor, "timetable_slot", row[0], {"locked": int(bool(locked))})
    return True


def locked_cells(db: Database, school_id: str, term_id: str | None = None) -> set[tuple[str, int, int]]:
    """Return the (class id, day, slot) cells of a school whose lessons are locked for 自动排课."""
    term = _term(db, term_id)
    return {(r[0], r[1], r[2]) for r in db.execute(
        "SELECT class_id, day, slot FROM timetable_slot WHERE school_id = ? AND term_id = ? AND locked = 1",
        [school_id, term["id"]])}


def set_unavailable(db: Database, actor: Actor, *, teacher_id: str, day: int, slot: int | None = None,
                    unavailable: bool = True, reason: str | None = None, term_id: str | None = None) -> bool:
    """Record that a teacher cannot teach on `day` at `slot` (numbered as in the teacher's own
    school's daily slot plan; None: the whole day), or clear it; 自动排课 then leaves that time
    free. Audited. Returns whether anything changed. Raises ValidationError, NotFound,
    PermissionDenied."""
    term = _term(db, term_id)
    teacher = get_row(db, "teacher", teacher_id)
    require_timetable_write(actor, teacher["school_id"])
    if not 1 <= int(day) <= 7:
        raise invalid("星期应在 1 到 7 之间。", "day")
    if slot is not None and unavailable:
        lessons = {p["slot"] for p in day_plan(db, teacher["school_id"], term["id"]) if p["kind"] == "lesson"}
        if lessons and int(slot) not in lessons:
            raise invalid(f"第 {slot} 个时段不是{teacher['name']}本校作息时间中的上课时段。", "slot")
    existing = db.execute("SELECT id FROM teacher_unavailable WHERE term_id = ? AND teacher_id = ? AND day = ?"
                          " AND slot IS ?", [term["id"], teacher_id, int(day), slot]).fetchone()
    with db.atomic():
        if unavailable and not existing:
            insert_row(db, actor, "teacher_unavailable", {
                "school_id": teacher["school_id"], "term_id": term["id"], "teacher_id": teacher_id, "day": int(day),
                "slot": slot, "reason": clean(reason) or None})
            return True
        if not unavailable and existing:
            delete_row(db, actor, "teacher_unavailable", existing[0])
            return True
    return False


def set_fixed_event(db: Database, actor: Actor, *, school_id: str, day: int, slot: int, label: str | None,
                    subject_id: str | None = None, term_id: str | None = None) -> None:
    """Fix a school event at `day` and `slot` for every class: without a subject no lesson goes
    there (升旗, 集会); with one (班会) every class has that subject there. An empty label
    removes the event. Audited. Raises ValidationError, PermissionDenied."""
    require_timetable_write(actor, school_id)
    term = _term(db, term_id)
    label = clean(label)
    existing = db.execute("SELECT id FROM timetable_fixed WHERE school_id = ? AND term_id = ? AND day = ? AND slot = ?",
                          [school_id, term["id"], day, slot]).fetchone()
    if label:
        kind = db.execute("SELECT kind FROM timetable_period WHERE school_id = ? AND term_id = ? AND slot = ?",
                          [school_id, term["id"], slot]).fetchone()
        if kind is None or kind[0] != "lesson":
            raise invalid(f"第 {slot} 个时段不是上课时段,不需要设置固定活动。", "slot")
        if not 1 <= int(day) <= 7:
            raise invalid("星期应在 1 到 7 之间。", "day")
    with db.atomic():
        if not label:
            if existing:
                delete_row(db, actor, "timetable_fixed", existing[0])
        elif existing:
            update_row(db, actor, "timetable_fixed", existing[0], {"label": label, "subject_id": subject_id})
        else:
            insert_row(db, actor, "timetable_fixed", {"school_id": school_id, "term_id": term["id"], "day": int(day),
                                                      "slot": int(slot), "label": label, "subject_id": subject_id})


def unavailable_times(db: Database, school_id: str, term_id: str | None = None) -> list[dict]:
    """Return the recorded times the teachers of a school (its own and those who come to it, 走教)
    cannot teach in the term: id, teacher_id, teacher, staff_no, day, slot (None: the whole day),
    slot_label (from the teacher's own school's daily slot plan), reason; by teacher, day, slot."""
    term = _term(db, term_id)
    teachers = {t["id"]: t for t in teachers_for_school(db, school_id)}
    rows = [dict(r) for r in db.query(
        "SELECT u.id, u.teacher_id, u.day, u.slot, u.reason, p.label AS slot_label FROM teacher_unavailable u"
        " JOIN teacher t ON t.id = u.teacher_id LEFT JOIN timetable_period p ON p.school_id = t.school_id"
        " AND p.term_id = u.term_id AND p.slot = u.slot WHERE u.term_id = ? AND u.teacher_id IN"
        " (SELECT value FROM json_each(?))", [term["id"], json.dumps(sorted(teachers))])]
    for row in rows:
        row["teacher"] = teachers[row["teacher_id"]]["name"]
        row["staff_no"] = teachers[row["teacher_id"]]["staff_no"]
    return sorted(rows, key=lambda r: (r["staff_no"], r["day"], r["slot"] or 0))


def fixed_events(db: Database, school_id: str, term_id: str | None = None) -> list[dict]:
    """Return a school's fixed events of the term (升旗, 班会 …): id, day, slot, slot_label,
    label, subject_id, subject (name, or None when no lesson goes there); by day and slot."""
    term = _term(db, term_id)
    return [dict(r) for r in db.query(
        "SELECT f.id, f.day, f.slot, p.label AS slot_label, f.label, f.subject_id, s.name AS subject"
        " FROM timetable_fixed f LEFT JOIN subject s ON s.id = f.subject_id LEFT JOIN timetable_period p"
        " ON p.school_id = f.school_id AND p.term_id = f.term_id AND p.slot = f.slot"
        " WHERE f.school_id = ? AND f.term_id = ? ORDER BY f.day, f.slot", [school_id, term["id"]])]


def locked_lessons(db: Database, school_id: str, term_id: str | None = None) -> list[dict]:
    """Return a school's lessons locked for 自动排课 in the term: class_id, class, day, slot,
    slot_label, subject, teacher; by class, day and slot."""
    term = _term(db, term_id)
    return [dict(r) for r in db.query(
        "SELECT ts.class_id, c.name AS class, ts.day, ts.slot, p.label AS slot_label, s.name AS subject,"
        " t.name AS teacher FROM timetable_slot ts JOIN class c ON c.id = ts.class_id"
        " LEFT JOIN subject s ON s.id = ts.subject_id LEFT JOIN teacher t ON t.id = ts.teacher_id"
        " LEFT JOIN timetable_period p ON p.school_id = ts.school_id AND p.term_id = ts.term_id AND p.slot = ts.slot"
        " WHERE ts.school_id = ? AND ts.term_id = ? AND ts.locked = 1 ORDER BY (SELECT MIN(grade) FROM class_grade g"
        " WHERE g.class_id = c.id), c.number, ts.day, ts.slot",
        [school_id, term["id"]])]
