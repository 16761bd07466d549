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

from app.db.keys import ids_by_number, number_of, numbers_in
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


def _incomplete_pupils(db: Database, exam_id: str, school_ids: Collection[str] | None,
                       complete: Mapping[int, list[int]]) -> list[tuple[int, int, int | None, int, set[int]]]:
    """Return (pupil_no, school_no, class_no, grade, subject numbers) of every pupil with a mark in the
    exam whose subject numbers are not `complete[grade]`, the place taken from the pupil's mark of the
    highest subject number (as a scan of the key index leaves it). With `school_ids`, only pupils with
    a mark at one of them (all their marks read).

    SQLite groups the half a million marks of a county exam per pupil over the key index alone and
    reads one mark row per pupil whose subjects are not every subject of the exam. A pupil's subjects
    are summed as one bit per subject number while the numbers fit in 62 bits (no text is built per
    mark), else listed as text."""
    exam_no = number_of("exam")
    wanted, args = "", [exam_id]
    if school_ids is not None:
        marks = ",".join("?" * len(school_ids))
        wanted = (f" AND pupil_no IN (SELECT pupil_no FROM mark WHERE exam_no = {exam_no}"
                  f" AND school_no IN {numbers_in('school', marks)})")
        args += [exam_id, *school_ids]
    bits = (db.execute("SELECT MAX(no) FROM subject_number").fetchone()[0] or 0) < 62
    # One bit per subject number while they fit (no text built per mark), else text in subject number
    # order (as the key index holds them).
    numbers = "SUM(1 << subject_no)" if bits else "group_concat(subject_no)"

    def encode(nos: Iterable[int]) -> int | str:
        chosen = sorted(set(nos))
        return sum(1 << no for no in chosen) if bits else ",".join(map(str, chosen))

    def decode(value: int | str) -> set[int]:
        if isinstance(value, int):
            return {no for no in range(value.bit_length()) if value >> no & 1}
        return {int(no) for no in value.split(",")}

    every = encode(no for nos in complete.values() for no in nos)
    by_grade = " ".join(f"WHEN {int(g)} THEN ?" for g in complete)
    rows = db.execute(
        "SELECT g.pupil_no, m.school_no, m.class_no, m.grade, g.numbers FROM"
        f" (SELECT pupil_no, MAX(subject_no) AS last, {numbers} AS numbers FROM mark"
        f" WHERE exam_no = {exam_no}{wanted} GROUP BY pupil_no) g"
        f" JOIN mark m ON m.exam_no = {exam_no} AND m.pupil_no = g.pupil_no AND m.subject_no = g.last"
        f" WHERE g.numbers != ? AND g.numbers IS NOT (CASE m.grade {by_grade} END)",
        [*args, exam_id, every, *(encode(nos) for nos in complete.values())]).fetchall()
    return [(*row[:4], decode(row[4])) for row in rows]


_ROSTER_FIELDS = ("p.id, n.no, p.student_no, p.name, p.school_id, p.class_id, p.grade, p.status, p.status_date,"
                  " p.enrol_date, p.pe_exempt, c.academic_year_id, IFNULL(c.number, 0), c.name")


def _pupil_rows(db: Database, where: str, args: list, *, numbers_first: bool = False,
                fields: str = _ROSTER_FIELDS) -> list[tuple]:
    """Return the roster fields (or `fields`) of the pupils matching `where` (over pupil p,
    pupil_number n). With `numbers_first` SQLite goes through the pupil numbers first (a condition
    on n alone is then tested before a pupil's row is read: a county's 60,000 pupils of whom a few
    hundred lack marks), else as it chooses (the school index for a few schools)."""
    tables = ("pupil_number n CROSS JOIN pupil p ON p.id = n.id" if numbers_first
              else "pupil p JOIN pupil_number n ON n.id = p.id")
    return db.execute(f"SELECT {fields} FROM {tables} LEFT JOIN class c ON c.id = p.class_id WHERE {where}",
                      args).fetchall()


def _by_numbers(db: Database, numbers: list[int]) -> list[tuple]:
    """Return the roster fields of the pupils with these numbers."""
    rows = []
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        rows += _pupil_rows(db, f"n.no IN ({','.join('?' * len(chunk))})", chunk)
    return rows


def missing_marks(db: Database, exam: dict, preset: Preset | str | None = None, *,
                  reporting: Iterable[str] = (),
                  also_marked: Mapping[str, Collection[str]] | None = None,
                  school_ids: Collection[str] | None = None) -> list[Missing]:
    """Return every (pupil, subject) of the exam's roster without a mark row, ordered by school,
    grade, class, 学籍号 and subject (see the module docstring for who is on the roster).

    `exam` is a record of app.services.exams.get_exam; `reporting` names schools to treat as having
    handed marks in (a marks file about to be imported); `also_marked` maps pupil id → subject ids
    that count as marked (the marks of that file), so a file covering a county's 60,000 pupils lists
    only who it leaves out instead of building and dropping half a million records; `school_ids`
    keeps the pupils placed at those schools (one school's report reads only its own pupils).
    Raises NotFound for an unknown preset.

    Only pupils who lack a mark are read in full: SQLite groups the exam's marks per pupil, so a
    pupil with every subject of their grade costs one short row.
    """
    chosen = resolve(db, "quality", preset)
    day = roster_day(db, exam, chosen)
    scope = set(school_ids) if school_ids is not None else None
    school_of = ids_by_number(db, "school")
    class_of = ids_by_number(db, "class")
    subject_no = {i: no for no, i in ids_by_number(db, "subject").items()}
    subjects = [(s["subject_id"], subject_no.get(s["subject_id"]), set(s["grades"]), s["name"] in PE_SUBJECT_NAMES)
                for s in exam["subjects"]]
    reporting = set(reporting) | {school_of[no] for (no,) in db.execute(
        f"SELECT DISTINCT school_no FROM mark WHERE exam_no = {number_of('exam')}", [exam["id"]])}
    schools = sorted(s for s in _scope_schools(db, exam) if s in reporting)
    if not schools:
        return []
    complete = {g: [no for _, no, gs, _ in subjects if g in gs and no is not None] for g in range(1, 10)}
    placed: dict[int, tuple[str, str | None, int, set[int]]] = {}
    for pupil_no, school_no, class_no, grade, marked in _incomplete_pupils(db, exam["id"], scope, complete):
        if any(grade in g and no not in marked for _, no, g, _ in subjects):
            placed[pupil_no] = (school_of[school_no], class_of.get(class_no), grade, marked)
    roster_schools = set(schools)
    if scope is not None:
        schools = [s for s in schools if s in scope]
    grades = set(exam["grades"])
    rows = _by_numbers(db, sorted(placed))
    history: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if schools:
        marks = ",".join("?" * len(schools))
        for pupil_id, status, date in db.execute(
                f"SELECT pupil_id, status, date FROM pupil_status_change WHERE school_id IN ({marks})", schools):
            history[pupil_id].append((date, status))
        unmarked = (f"p.school_id IN ({marks}) AND NOT EXISTS (SELECT 1 FROM mark m"
                    f" WHERE m.exam_no = {number_of('exam')} AND m.pupil_no = n.no)", [*schools, exam["id"]])
        if also_marked:
            # A pupil the file gives every subject of their grade lacks nothing: only the others are
            # read in full (a county's file leaves out a few hundred of 60,000).
            needed = {g: {sid for sid, _, gs, _ in subjects if g in gs} for g in grades}
            rows += _by_numbers(db, [no for pid, no, grade in _pupil_rows(
                db, *unmarked, numbers_first=scope is None, fields="p.id, n.no, p.grade")
                if not needed.get(grade, set()).issubset(also_marked.get(pid, ()))])
        else:
            rows += _pupil_rows(db, *unmarked, numbers_first=scope is None)
    year = db.execute("SELECT academic_year_id FROM term WHERE id = ?", [exam["term_id"]]).fetchone()
    year_id = year[0] if year else None
    out = []
    for pid, pno, student_no, name, school_id, class_id, grade, status, status_date, enrol, pe_exempt, class_year, \
            number, class_name in rows:
        stored: set[int] = set()
        if school_id not in roster_schools:
            continue
        if pno in placed:
            school_id, class_id, grade, stored = placed[pno]
            if scope is not None and school_id not in scope:
                continue
        elif class_id is None or class_year != year_id or grade not in grades \
                or not enrolled_on(day, status, status_date, enrol, history.get(pid, [])):
            continue
        if class_id is None:
            continue
        planned = also_marked.get(pid, ()) if also_marked else ()
        for order, (subject_id, no, subject_grades, is_pe) in enumerate(subjects):
            if grade in subject_grades and no not in stored and subject_id not in planned:
                out.append((school_id, grade, number, class_name or "", student_no, order,
                            Missing(pid, student_no, name, school_id, class_id, grade, subject_id,
                                    bool(pe_exempt and is_pe))))
    out.sort(key=lambda item: item[:6])
    return [item[-1] for item in out]


def pupils_without_marks(db: Database, exam: dict, preset: Preset | str | None = None, *,
                         school_ids: Collection[str] | None = None) -> list[dict]:
    """Return, per class, the pupils on the exam's roster without a mark (免考 by 体育免修 left out):
    [{school_id, school_name, class_id, class_name, grade, pupils: [{pupil_id, student_no, name,
    subjects: [subject names]}]}], ordered by school, grade and class; with `school_ids` only the
    classes of those schools (see missing_marks)."""
    names = {s["subject_id"]: s["name"] for s in exam["subjects"]}
    classes: dict[tuple, dict] = {}
    for item in missing_marks(db, exam, preset, school_ids=school_ids):
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

