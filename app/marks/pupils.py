"""Who a row of a marks file is about: the classes of the exam's school year as people write them,
and every pupil with the class and grade they had at the time of the exam (an earlier year's exam
finds last year's class from that year's marks, else shifts the grade back a year per year)."""
from __future__ import annotations

from collections import Counter

from sqlite_utils import Database

from app.errors import NotFound
from app.services.schools import current_term
from app.validation.classnames import name_key, parse_class
from app.validation.text import clean


def _year_start(date_text: str | None) -> int | None:
    return int(date_text[:4]) if date_text else None


class ExamClasses:
    """The classes of the exam's academic year, found as people write them."""

    def __init__(self, db: Database, year_id: str):
        self.by_id: dict[str, dict] = {}
        self._by_name: dict[tuple[str, str], dict] = {}
        self._by_number: dict[tuple[str, int, int], dict] = {}
        self._any_name: dict[str, list[dict]] = {}
        self._any_number: dict[tuple[int, int], list[dict]] = {}
        for row in db.query(
                "SELECT c.id, c.school_id, c.name, c.number,"
                " (SELECT group_concat(grade) FROM class_grade g WHERE g.class_id = c.id) AS grades"
                " FROM class c WHERE c.academic_year_id = ?", [year_id]):
            item = {**dict(row), "grades": sorted(int(g) for g in (row["grades"] or "").split(",") if g)}
            self.by_id[item["id"]] = item
            key = name_key(item["name"])
            self._by_name[(item["school_id"], key)] = item
            self._any_name.setdefault(key, []).append(item)
            if len(item["grades"]) == 1:
                number_key = (item["grades"][0], item["number"])
                self._by_number.setdefault((item["school_id"], *number_key), item)
                self._any_number.setdefault(number_key, []).append(item)

    def find(self, text: object, school_id: str | None, grade_hint: int | None = None) -> list[dict]:
        """Return the classes `text` may name (in `school_id`, or in any school when None)."""
        key = name_key(text)
        if school_id is not None:
            found = self._by_name.get((school_id, key))
            if found is None:
                parsed = parse_class(text, grade_hint)
                found = self._by_number.get((school_id, *parsed)) if parsed else None
            return [found] if found else []
        found_any = self._any_name.get(key)
        if found_any:
            return list(found_any)
        parsed = parse_class(text, grade_hint)
        return list(self._any_number.get(parsed, [])) if parsed else []


class ExamPupils:
    """Every pupil, with the class and grade each had at the time of the exam."""

    def __init__(self, db: Database, exam: dict, classes: ExamClasses):
        years = {r[0]: _year_start(r[1]) for r in db.execute("SELECT id, start_date FROM academic_year")}
        exam_year = years.get(exam["academic_year_id"])
        try:
            current_year = years.get(current_term(db)["academic_year_id"])
        except NotFound:  # a database without a current term: no grade shift
            current_year = exam_year
        rows = db.execute("SELECT id, school_id, student_no, name, class_id, grade, status FROM pupil").fetchall()
        class_years = dict(db.execute("SELECT id, academic_year_id FROM class").fetchall())
        year = exam["academic_year_id"]
        # Where a pupil's current class is of another year, their marks of the exam's year tell
        # which class they were in then (read only when some pupil needs it: an earlier exam).
        earlier: dict[str, tuple[str | None, int]] = {}
        if any(class_years.get(row[4]) != year for row in rows):
            for pupil_id, class_id, grade in db.execute(
                    "SELECT m.pupil_id, m.class_id, m.grade FROM exam e JOIN term t ON t.id = e.term_id"
                    " JOIN exam_number n ON n.id = e.id JOIN mark m ON m.exam_no = n.no"
                    " WHERE t.academic_year_id = ? GROUP BY m.pupil_id",
                    [exam["academic_year_id"]]):
                earlier[pupil_id] = (class_id, grade)
        # Only what every row needs is made here, before the first row can be checked, a dict at a
        # time (a county's 60,141 pupils: 0.25 s instead of 0.55 s); the names are indexed when a row
        # first has no 学籍号.
        self.info: dict[str, tuple] = {r[0]: (r[1], r[2], r[3], r[6]) for r in rows}
        self.at_exam: dict[str, tuple[str | None, int]] = {
            r[0]: (r[4], r[5]) for r in rows if class_years.get(r[4]) == year}
        if len(self.at_exam) < len(rows):
            for pid, _, _, _, class_id, grade, _ in rows:
                class_year = class_years.get(class_id)
                if class_year == year:
                    continue
                if pid in earlier:
                    self.at_exam[pid] = earlier[pid]
                else:
                    shift = (years.get(class_year) or current_year or 0) - (exam_year or 0) if exam_year else 0
                    self.at_exam[pid] = (None, grade - shift)
        self.by_no: dict[str, list[str]] = {r[2]: [r[0]] for r in rows}
        if len(self.by_no) < len(rows):  # 学籍号 that several pupils share (in different schools)
            shared = {no for no, times in Counter(r[2] for r in rows).items() if times > 1}
            for no in shared:
                self.by_no[no] = []
            for pid, _, no, *_ in rows:
                if no in shared:
                    self.by_no[no].append(pid)
        self._classes = classes
        self._names: tuple[dict, dict, dict] | None = None

    def _name_index(self) -> tuple[dict, dict, dict]:
        """Return ({class: {name: pupils}}, {(school, name): pupils}, {name: pupils}), names as
        clean() gives them, made on first use."""
        if self._names is None:
            in_class: dict[str, dict[str, list[str]]] = {}
            in_school: dict[tuple[str, str], list[str]] = {}
            anywhere: dict[str, list[str]] = {}
            for pid, (school_id, _, name, _) in self.info.items():
                key = clean(name)
                class_id = self.at_exam[pid][0]
                if class_id is not None and class_id in self._classes.by_id:
                    in_class.setdefault(class_id, {}).setdefault(key, []).append(pid)
                in_school.setdefault((school_id, key), []).append(pid)
                anywhere.setdefault(key, []).append(pid)
            self._names = (in_class, in_school, anywhere)
        return self._names

    def in_class(self, class_id: str, name: str) -> list[str]:
        """Return the pupils named `name` (as clean() gives it) in the class at the time of the exam."""
        return self._name_index()[0].get(class_id, {}).get(name, [])

    def in_school(self, school_id: str, name: str) -> list[str]:
        """Return the pupils of the school named `name` (as clean() gives it)."""
        return self._name_index()[1].get((school_id, name), [])

    def anywhere(self, name: str) -> list[str]:
        """Return the pupils of every school named `name` (as clean() gives it)."""
        return self._name_index()[2].get(name, [])

    def named(self, pid: str, name: str) -> bool:
        """Return True when `name` (as clean() gives it) is the pupil's name as clean() gives it."""
        return name == clean(self.info[pid][2])

    def name(self, pid: str) -> str:
        """Return the pupil's name."""
        return self.info[pid][2]
