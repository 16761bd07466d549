"""转化 of 学困生 and the share of 双困生 (002: the share must fall every year, conversion is assessed).

- Listed: the 学困生 of a 统测 (app.stats.lists.struggling: below the pass line in N main subjects
  in it and in the 统测 before it).
- Tutored: a listed pupil with at least one tutoring record dated from that exam's date (else its
  term's start) until the next 统测's date (else today).
- Converted (转化): a listed pupil who sat the next 统测 (a real score in one of its main subjects)
  and is not on its 学困生 list. A pupil who did not sit it is neither converted nor counted as failed:
  they stay in `listed` and are reported as `not_sat`.
- Per teacher: the listed pupils on that teacher's tutoring list from that exam (tutoring_plan);
  tutored means tutored by that teacher.
- 双困生 share: pupils flagged in the term ÷ pupils enrolled on the term's last day (or today, while
  the term runs), per class (classes of the term's school year) and per school.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlite_utils import Database

from app.db.keys import number_of
from app.services.exams import get_exam
from app.services.schools import current_term, get_meta
from app.stats.lists import EXAM_KINDS, previous_exam, same_kind_exams, struggling
from app.stats.roster import enrolled_on

UNIFIED = tuple(t for t, kind in EXAM_KINDS.items() if kind == "统测")


def next_exam(db: Database, exam_id: str) -> dict | None:
    """Return the 统测 after `exam_id`: the earliest later exam whose baseline (previous_exam) is
    `exam_id`, or None."""
    for later in same_kind_exams(db, exam_id, later=True):
        before = previous_exam(db, later)
        if before is not None and before["id"] == exam_id:
            return get_exam(db, later)
    return None


def default_exam(db: Database) -> dict | None:
    """Return the exam conversion is reported for by default: the latest 统测 with marks that has a
    统测 before it (so it has a 学困生 list) and one after it (so conversion is known); else the
    latest with one before it; else the latest 统测 with marks; else None."""
    rows = [r["id"] for r in db.query(
        f"SELECT e.id FROM exam e JOIN term t ON t.id = e.term_id WHERE e.type IN ({','.join('?' * len(UNIFIED))})"
        f" AND EXISTS (SELECT 1 FROM mark m WHERE m.exam_no = {number_of('exam', 'e.id')})"
        " ORDER BY t.code DESC, IFNULL(e.date, '') DESC, e.name", list(UNIFIED))]
    listed = [exam_id for exam_id in rows if previous_exam(db, exam_id) is not None]
    for exam_id in listed:
        if next_exam(db, exam_id) is not None:
            return get_exam(db, exam_id)
    chosen = listed or rows
    return get_exam(db, chosen[0]) if chosen else None


def _window(db: Database, exam: dict, later: dict | None) -> tuple[str, str]:
    start = exam.get("date") or db.execute("SELECT start_date FROM term WHERE id = ?", [exam["term_id"]]).fetchone()[0]
    end = (later or {}).get("date") or dt.date.today().isoformat()
    return start, end


def _sat(db: Database, exam: dict, pupil_ids: list[str]) -> set[str]:
    main = [s["subject_id"] for s in exam["subjects"] if s["is_main"]]
    if not pupil_ids or not main:
        return set()
    out: set[str] = set()
    for start in range(0, len(pupil_ids), 500):
        chunk = pupil_ids[start:start + 500]
        out |= {r[0] for r in db.execute(
            f"SELECT DISTINCT pupil_id FROM mark WHERE exam_no = {number_of('exam')} AND status = '正常'"
            f" AND subject_id IN ({','.join('?' * len(main))}) AND pupil_id IN ({','.join('?' * len(chunk))})",
            [exam["id"], *main, *chunk])}
    return out


def _tutored(db: Database, pupil_ids: list[str], start: str, end: str) -> dict[str, set[str]]:
    """Return {pupil_id: teacher ids who tutored the pupil from `start` until before `end`}."""
    out: dict[str, set[str]] = defaultdict(set)
    for begin in range(0, len(pupil_ids), 500):
        chunk = pupil_ids[begin:begin + 500]
        for pupil_id, teacher_id in db.execute(
                "SELECT tp.pupil_id, g.teacher_id FROM tutoring_pupil tp JOIN tutoring g ON g.id = tp.tutoring_id"
                f" WHERE g.date >= ? AND g.date < ? AND tp.pupil_id IN ({','.join('?' * len(chunk))})",
                [start, end, *chunk]):
            out[pupil_id].add(teacher_id)
    return out


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def conversion(db: Database, exam_id: str, *, school_id: str | None = None,
               next_exam_id: str | None = None) -> dict:
    """Return the 转化 of the 学困生 of `exam_id` (of one school, or every school) at the next 统测.

    Returns {exam, next_exam (None when there is none yet), pupils: [{pupil_id, student_no, name,
    class_name, school_code, school_name, subjects_now, tutored (bool), converted (True / False / None
    when the next exam is not there or the pupil did not sit it)}], listed, tutored, converted, not_sat,
    tutored_rate, converted_rate (÷ listed), teachers: [{teacher_id, name, staff_no, school_code,
    school_name, listed, tutored, converted (None while the next exam is not there), tutored_rate,
    converted_rate}]}. Raises NotFound.
    """
    exam = get_exam(db, exam_id)
    later = get_exam(db, next_exam_id) if next_exam_id else next_exam(db, exam_id)
    listed = struggling(db, exam_id, school_id=school_id)
    ids = [r["pupil_id"] for r in listed]
    still: set[str] = set()
    sat: set[str] = set()
    if later is not None:
        still = {r["pupil_id"] for r in struggling(db, later["id"], exam_id, school_id=school_id)}
        sat = _sat(db, later, ids)
    start, end = _window(db, exam, later)
    tutors = _tutored(db, ids, start, end)
    school_names = {r["code"]: r["name"] for r in db.query("SELECT code, name FROM school")}
    pupils = []
    for row in listed:
        pid = row["pupil_id"]
        converted = None if later is None or pid not in sat else pid not in still
        pupils.append({k: row[k] for k in ("pupil_id", "student_no", "name", "class_name", "school_code",
                                           "subjects_now")} | {"school_name": school_names.get(row["school_code"]),
                                                                "tutored": bool(tutors.get(pid)),
                                                                "converted": converted})
    result = {"exam": {"id": exam["id"], "name": exam["name"], "date": exam["date"]},
              "next_exam": None if later is None else {"id": later["id"], "name": later["name"],
                                                        "date": later["date"]},
              "pupils": pupils, "listed": len(pupils), "tutored": sum(p["tutored"] for p in pupils),
              "converted": sum(1 for p in pupils if p["converted"]),
              "not_sat": 0 if later is None else sum(1 for p in pupils if p["converted"] is None)}
    result["tutored_rate"] = _rate(result["tutored"], result["listed"])
    result["converted_rate"] = _rate(result["converted"], result["listed"]) if later is not None else None
    result["teachers"] = _per_teacher(db, exam_id, {p["pupil_id"]: p for p in pupils}, tutors, school_id,
                                      later is not None)
    return result


def _per_teacher(db: Database, exam_id: str, pupils: dict[str, dict], tutors: dict[str, set[str]],
                 school_id: str | None, known: bool) -> list[dict]:
    where, args = "x.exam_id = ? AND x.list = '学困生'", [exam_id]
    if school_id:
        where += " AND x.school_id = ?"
        args.append(school_id)
    mine: dict[str, set[str]] = defaultdict(set)
    info: dict[str, dict] = {}
    for r in db.query("SELECT x.teacher_id, x.pupil_id, t.name, t.staff_no, s.code, s.name AS school_name"
                      " FROM tutoring_plan x"
                      " JOIN teacher t ON t.id = x.teacher_id JOIN school s ON s.id = x.school_id"
                      f" WHERE {where}", args):
        if r["pupil_id"] in pupils:
            mine[r["teacher_id"]].add(r["pupil_id"])
            info[r["teacher_id"]] = {"teacher_id": r["teacher_id"], "name": r["name"], "staff_no": r["staff_no"],
                                     "school_code": r["code"], "school_name": r["school_name"]}
    out = []
    for teacher_id, listed in mine.items():
        tutored = sum(1 for p in listed if teacher_id in tutors.get(p, ()))
        converted = sum(1 for p in listed if pupils[p]["converted"])
        out.append({**info[teacher_id], "listed": len(listed), "tutored": tutored,
                    "converted": converted if known else None,
                    "tutored_rate": _rate(tutored, len(listed)),
                    "converted_rate": _rate(converted, len(listed)) if known else None})
    out.sort(key=lambda r: (r["school_code"], r["staff_no"]))
    return out


def difficulty_share(db: Database, *, school_id: str | None = None, term: dict | None = None) -> dict:
    """Return the 双困生 share of the term (default current): {term, day (the roster day), schools:
    [{school_id, school_code, school_name, pupils, flagged, share}], classes: [{class_id, class_name,
    school_code, school_name, pupils, flagged, share}]} (share None for an empty class)."""
    term = term or current_term(db)
    day = min(term["end_date"], dt.date.today().isoformat())
    history: dict[str, list[tuple[str, str]]] = defaultdict(list)
    where, args = "", []
    if school_id:
        where, args = " WHERE p.school_id = ?", [school_id]
    for r in db.query(f"SELECT x.pupil_id, x.date, x.status FROM pupil_status_change x JOIN pupil p"
                      f" ON p.id = x.pupil_id{where}", args):
        history[r["pupil_id"]].append((r["date"], r["status"]))
    flagged = {r[0] for r in db.execute("SELECT pupil_id FROM pupil_difficulty WHERE term_id = ?", [term["id"]])}
    schools: dict[str, dict] = {}
    classes: dict[str, dict] = {}
    for p in db.query("SELECT p.id, p.status, p.status_date, p.enrol_date, p.school_id, s.code, s.name AS school_name,"
                      " c.id AS class_id, c.name AS class_name, c.number, c.academic_year_id FROM pupil p"
                      f" JOIN school s ON s.id = p.school_id LEFT JOIN class c ON c.id = p.class_id{where}"
                      " ORDER BY s.code, c.number, c.name", args):
        if not (enrolled_on(day, p["status"], p["status_date"], p["enrol_date"], history.get(p["id"], []))
                or p["id"] in flagged):
            continue
        school = schools.setdefault(p["school_id"], {"school_id": p["school_id"], "school_code": p["code"],
                                                     "school_name": p["school_name"], "pupils": 0, "flagged": 0})
        school["pupils"] += 1
        school["flagged"] += p["id"] in flagged
        if p["class_id"] and p["academic_year_id"] == term["academic_year_id"]:
            group = classes.setdefault(p["class_id"], {"class_id": p["class_id"], "class_name": p["class_name"],
                                                       "school_code": p["code"], "school_name": p["school_name"],
                                                       "pupils": 0, "flagged": 0})
            group["pupils"] += 1
            group["flagged"] += p["id"] in flagged
    for group in [*schools.values(), *classes.values()]:
        group["share"] = _rate(group["flagged"], group["pupils"])
    return {"term": term["code"], "day": day, "schools": list(schools.values()), "classes": list(classes.values())}


def own_schools(db: Database) -> list[dict]:
    """Return the schools whose data this database keeps (id, code, name), by code: a school
    database's own school, else every school of its townships (not the other schools a 走教 teacher
    brought along)."""
    if get_meta(db, "kind", "school") == "school":
        return [dict(r) for r in db.query("SELECT id, code, name FROM school WHERE code = ?",
                                          [get_meta(db, "school_code") or ""])]
    return [dict(r) for r in db.query("SELECT id, code, name FROM school WHERE township_id IS NOT NULL ORDER BY code")]


def support_summary(db: Database, *, exam_id: str | None = None, term: dict | None = None,
                    found: dict | None = None) -> dict:
    """Return one row per school of this database for `schoolq support` and the township view:
    school_code, school_name, exam and next_exam names, struggling_listed, tutored, converted,
    not_sat, tutored_rate, converted_rate, difficulty_pupils (flagged this term), pupils (enrolled),
    difficulty_share, tutoring_sessions and tutoring_minutes (records of the term).
    `exam_id` defaults to default_exam; without any 统测 the conversion figures are None. `found`:
    conversion() of that exam over every school, when the caller has it (it is split by school: a
    pupil counts where they sat the exam, and one who moved school and is still on the next list
    is not converted). Returns {exam, next_exam, term, schools: [...]}. Raises NotFound for an
    unknown exam."""
    term = term or current_term(db)
    exam = get_exam(db, exam_id) if exam_id else default_exam(db)
    later = next_exam(db, exam["id"]) if exam else None
    shares = {s["school_id"]: s for s in difficulty_share(db, term=term)["schools"]}
    sessions = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT school_id, COUNT(*), SUM(minutes) FROM tutoring WHERE term_id = ? GROUP BY school_id", [term["id"]])}
    listed: dict[str, list[dict]] = defaultdict(list)
    if exam is not None:
        if found is None:
            found = conversion(db, exam["id"], next_exam_id=later["id"] if later else None)
        for pupil in found["pupils"]:
            listed[pupil["school_code"]].append(pupil)
    rows = []
    for school in own_schools(db):
        figures: dict = {"struggling_listed": None, "tutored": None, "converted": None, "not_sat": None,
                         "tutored_rate": None, "converted_rate": None}
        if exam is not None:
            pupils = listed.get(school["code"], [])
            tutored, converted = sum(p["tutored"] for p in pupils), sum(1 for p in pupils if p["converted"])
            figures = {"struggling_listed": len(pupils), "tutored": tutored,
                       "converted": converted if later else None,
                       "not_sat": sum(1 for p in pupils if p["converted"] is None) if later else None,
                       "tutored_rate": _rate(tutored, len(pupils)),
                       "converted_rate": _rate(converted, len(pupils)) if later else None}
        share = shares.get(school["id"], {"pupils": 0, "flagged": 0, "share": None})
        count, minutes = sessions.get(school["id"], (0, 0))
        rows.append({"school_code": school["code"], "school_name": school["name"], **figures,
                     "difficulty_pupils": share["flagged"], "pupils": share["pupils"],
                     "difficulty_share": share["share"], "tutoring_sessions": count, "tutoring_minutes": minutes or 0})
    return {"exam": exam["name"] if exam else None, "next_exam": later["name"] if later else None,
            "term": term["code"], "schools": rows}
