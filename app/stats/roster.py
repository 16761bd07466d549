"""Who should have sat an exam: the class roster on the exam date, and the pupils missing from the marks.

000 篇9 "全员参与…缺考一律按0分" and 篇7 "参评学生数以秋季入学班级学生数为准": under the roster
basis (应考) every pupil enrolled in a class of the exam on the roster date counts, whether or not
the marks sheet names them; a pupil with no mark is 缺考 and counts 0. Leaving weak pupils off the
sheet must not raise a figure.

- Roster date: the exam date (else the end of its term), or the autumn intake (the academic year's
  first day) when the quality preset pins the exam's type to it (`autumn_roster_types`, 篇7).
- Enrolled on a day: the pupil's status on that day from the status history (pupil_status_change,
  and the pupil's own status and status date), not today's status: a pupil who left in December
  still counts for an exam in November; one who came in January does not. Without any history a
  pupil whose current status is 在读/转入 counts from the enrolment date on.
- The pupil's class: the class of their marks in the exam when they have any, else their class
  (which must belong to the exam's academic year; last year's classes are not known any more).
- Only the grades each subject is examined in; a pupil with 体育免修 is 免考 in 体育.
- A school without a single mark in the exam has not handed its marks in yet: it is 未上报, listed
  by data_status, and its roster is not counted as 缺考.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from app.db.keys import ids_by_number, number_of, numbers_by_id
from app.stats.presets import Preset, resolve

ENROLLED = ("在读", "转入")
PE_SUBJECT_NAMES = ("体育", "体育与健康")


@dataclass(frozen=True)
class Missing:
    """One pupil on the roster without a mark in one subject: ids, names and where they belong."""

    pupil_id: str
    student_no: str
    name: str
    school_id: str
    class_id: str
    grade: int
    subject_id: str
    exempt: bool


def enrolled_on(day: str, status: str, status_date: str | None, enrol_date: str | None,
                history: list[tuple[str, str]]) -> bool:
    """Return whether a pupil was enrolled on `day` (ISO date) given their current status and status
    date, enrolment date and status history [(date, status)]."""
    events = sorted(history)
    if status_date and status != "在读" and (status_date, status) not in events:
        # A 在读 status date alone is ambiguous (often the day the roster was typed in): only a
        # recorded change back to 在读 says the pupil was away before it.
        events = sorted([*events, (status_date, status)])
    before = [s for d, s in events if d <= day]
    if before:
        return before[-1] in ENROLLED
    if enrol_date and enrol_date > day:
        return False
    if events:
        # Every change came after the day: the first one says what the pupil was before it.
        return events[0][1] not in ENROLLED
    return status in ENROLLED


def roster_day(db: Database, exam: dict, preset: Preset) -> str:
    """Return the ISO date whose roster counts for `exam`: the autumn intake when the preset pins the
    exam's type to it, else the exam date, else the end of the exam's term."""
    row = db.execute("SELECT t.end_date, y.start_date FROM term t JOIN academic_year y ON y.id = t.academic_year_id"
                     " WHERE t.id = ?", [exam["term_id"]]).fetchone()
    term_end, year_start = (row[0], row[1]) if row else (None, None)
    if exam["type"] in preset.content.get("autumn_roster_types", []) and year_start:
        return year_start
    return exam.get("date") or term_end or "9999-12-31"


def _scope_schools(db: Database, exam: dict) -> list[str]:
    if exam.get("school_id"):
        return [exam["school_id"]]
    if exam.get("township_id"):
        return [r[0] for r in db.execute("SELECT id FROM school WHERE township_id = ?", [exam["township_id"]])]
    return [r[0] for r in db.execute("SELECT id FROM school")]


def _marked_pupils(db: Database, exam_id: str) -> tuple[dict[str, set[str]], dict[str, tuple[str, str | None, int]]]:
    """Return ({pupil id: the numbers (app.db.keys), as text, of the subjects with a mark}, {pupil id:
    (school id, class id, grade) of one of their marks}) of an exam. One row per pupil (SQLite groups
    the covering index idx_mark_key): a county exam's half a million marks as Python tuples took
    seconds."""
    pupils, schools, classes = (ids_by_number(db, kind) for kind in ("pupil", "school", "class"))
    marked: dict[str, set[str]] = {}
    placed: dict[str, tuple[str, str | None, int]] = {}
    for pupil_no, school_no, class_no, grade, subject_nos in db.execute(
            "SELECT pupil_no, school_no, class_no, grade, group_concat(subject_no) FROM mark"
            f" WHERE exam_no = {number_of('exam')} GROUP BY pupil_no", [exam_id]):
        pupil_id = pupils[pupil_no]
        marked[pupil_id] = set(subject_nos.split(","))
        placed[pupil_id] = (schools[school_no], classes.get(class_no), grade)
    return marked, placed


def missing_marks(db: Database, exam: dict, preset: Preset | str | None = None, *,
                  reporting: Iterable[str] = (),
                  also_marked: Mapping[str, Collection[str]] | None = None) -> list[Missing]:
    """Return every (pupil, subject) of the exam's roster without a mark row, ordered by school,
    grade, class, 学籍号 and subject (see the module docstring for who is on the roster).

    `exam` is a record of app.services.exams.get_exam; `reporting` names schools to treat as having
    handed marks in (a marks file about to be imported); `also_marked` maps pupil id → subject ids
    that count as marked (the marks of that file), so a file covering a county's 60,000 pupils lists
    only who it leaves out instead of building and dropping half a million records. Raises NotFound
    for an unknown preset.
    """
    chosen = resolve(db, "quality", preset)
    day = roster_day(db, exam, chosen)
    marked, placed = _marked_pupils(db, exam["id"])
    reporting = {*reporting, *(school_id for school_id, _class, _grade in placed.values())}
    schools = [s for s in _scope_schools(db, exam) if s in reporting]
    if not schools:
        return []
    grades = set(exam["grades"])
    numbers = numbers_by_id(db, "subject")
    subjects = [(s["subject_id"], str(numbers.get(s["subject_id"])), set(s["grades"]), s["name"] in PE_SUBJECT_NAMES)
                for s in exam["subjects"]]
    history: dict[str, list[tuple[str, str]]] = defaultdict(list)
    marks = ",".join("?" * len(schools))
    for pupil_id, status, date in db.execute(
            f"SELECT pupil_id, status, date FROM pupil_status_change WHERE school_id IN ({marks})", schools):
        history[pupil_id].append((date, status))
    rows = db.execute(
        "SELECT p.id, p.student_no, p.name, p.school_id, p.class_id, p.grade, p.status, p.status_date,"
        " p.enrol_date, p.pe_exempt, c.academic_year_id, IFNULL(c.number, 0), c.name"
        f" FROM pupil p LEFT JOIN class c ON c.id = p.class_id WHERE p.school_id IN ({marks})", schools).fetchall()
    year = db.execute("SELECT academic_year_id FROM term WHERE id = ?", [exam["term_id"]]).fetchone()
    year_id = year[0] if year else None
    out = []
    for pid, student_no, name, school_id, class_id, grade, status, status_date, enrol, pe_exempt, class_year, \
            number, class_name in rows:
        if pid in placed:
            school_id, class_id, grade = placed[pid]
        elif class_id is None or class_year != year_id or grade not in grades \
                or not enrolled_on(day, status, status_date, enrol, history.get(pid, [])):
            continue
        if class_id is None:
            continue
        stored = marked.get(pid, ())
        planned = also_marked.get(pid, ()) if also_marked else ()
        for order, (subject_id, subject_no, subject_grades, is_pe) in enumerate(subjects):
            if grade in subject_grades and subject_no not in stored and subject_id not in planned:
                out.append((school_id, grade, number, class_name or "", student_no, order,
                            Missing(pid, student_no, name, school_id, class_id, grade, subject_id,
                                    bool(pe_exempt and is_pe))))
    out.sort(key=lambda item: item[:6])
    return [item[-1] for item in out]


def pupils_without_marks(db: Database, exam: dict, preset: Preset | str | None = None) -> list[dict]:
    """Return, per class, the pupils on the exam's roster without a mark (免考 by 体育免修 left out):
    [{school_id, school_name, class_id, class_name, grade, pupils: [{pupil_id, student_no, name,
    subjects: [subject names]}]}], ordered by school, grade and class."""
    names = {s["subject_id"]: s["name"] for s in exam["subjects"]}
    classes: dict[tuple, dict] = {}
    for item in missing_marks(db, exam, preset):
        if item.exempt:
            continue
        entry = classes.get((item.school_id, item.class_id, item.grade))
        if entry is None:
            entry = classes[(item.school_id, item.class_id, item.grade)] = {
                "school_id": item.school_id, "class_id": item.class_id, "grade": item.grade, "pupils": {}}
        pupil = entry["pupils"].setdefault(item.pupil_id, {"pupil_id": item.pupil_id, "student_no": item.student_no,
                                                           "name": item.name, "subjects": []})
        pupil["subjects"].append(names[item.subject_id])
    school_names = dict(db.execute("SELECT id, name FROM school").fetchall())
    class_names = dict(db.execute("SELECT id, name FROM class").fetchall())
    out = []
    for entry in classes.values():
        entry["school_name"] = school_names.get(entry["school_id"], "")
        entry["class_name"] = class_names.get(entry["class_id"], "")
        entry["pupils"] = list(entry["pupils"].values())
        out.append(entry)
    return out


def unreported_schools(db: Database, exam: dict) -> list[dict]:
    """Return the schools in the exam's scope with pupils in its grades but not a single mark:
    [{school_id, code, name}], by code."""
    reporting = {r[0] for r in db.execute(
        f"SELECT DISTINCT school_id FROM mark WHERE exam_no = {number_of('exam')}", [exam["id"]])}
    grades = exam["grades"] or [0]
    out = []
    for school_id in _scope_schools(db, exam):
        if school_id in reporting:
            continue
        has_pupils = db.execute(f"SELECT 1 FROM pupil WHERE school_id = ? AND grade IN ({','.join('?' * len(grades))})"
                                " LIMIT 1", [school_id, *grades]).fetchone()
        if has_pupils:
            row = db.execute("SELECT id, code, name FROM school WHERE id = ?", [school_id]).fetchone()
            out.append({"school_id": row[0], "code": row[1], "name": row[2]})
    return sorted(out, key=lambda s: s["code"])
