"""控辍保学: 巩固率 and 流失率 per school and grade, from the pupils' status history.

000 篇7 takes the class roster at the autumn intake as the base ("以秋季入学班级学生数为准"). Here:

- Intake: the pupils enrolled (在读/转入) on the first day of the academic year, by the status
  history (app.stats.roster.enrolled_on), in the grade they were in that academic year (a pupil's
  grade is the current year's, so an earlier year counts them that many grades lower).
- Transferred out: pupils of the intake whose status on the day counted (`as_of`, default today)
  is 转出 — a legitimate transfer (or graduation), not a loss, so they leave the base.
- Base = intake − transferred out. Left = pupils of the base whose status on that day is 流失.
  休学 pupils stay on the roll and count as retained.
- 巩固率 (retention_rate) = (base − left) ÷ base; 流失率 (loss_rate) = left ÷ base; None for an
  empty base.

Pupils who came after the intake (转入 in October) are not in this year's base: the cohort is the
autumn one. A grade's rows carry `grade`; a school's total row has grade None.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from app.errors import invalid
from app.services.schools import current_term
from app.stats.roster import enrolled_on


@dataclass
class RetentionRow:
    """One school (grade None) or one grade of a school: intake, transfers, base, left and rates."""

    school_id: str
    school_code: str
    school_name: str
    school_type: str
    grade: int | None
    intake: int = 0
    transferred_out: int = 0
    left: int = 0

    @property
    def base(self) -> int:
        """Return the base: the autumn intake less those who transferred out since."""
        return self.intake - self.transferred_out

    @property
    def retention_rate(self) -> float | None:
        """Return (base − left) ÷ base, or None for an empty base."""
        return (self.base - self.left) / self.base if self.base else None

    @property
    def loss_rate(self) -> float | None:
        """Return left ÷ base, or None for an empty base."""
        return self.left / self.base if self.base else None

    def to_dict(self) -> dict:
        """Return the row as a plain dict with base and both rates (rates rounded to 4 places)."""
        out = asdict(self)
        out["base"] = self.base
        out["retention_rate"] = None if self.retention_rate is None else round(self.retention_rate, 4)
        out["loss_rate"] = None if self.loss_rate is None else round(self.loss_rate, 4)
        return out


@dataclass
class Retention:
    """The retention figures of one academic year counted on one day."""

    year_code: str
    intake_day: str
    as_of: str
    schools: list[RetentionRow] = field(default_factory=list)
    grades: list[RetentionRow] = field(default_factory=list)
    left: list[dict] = field(default_factory=list)

    def rows(self, grades: bool = False) -> list[RetentionRow]:
        """Return the schools' rows and, with `grades`, their grades' rows, by school code and grade."""
        return sorted([*self.schools, *(self.grades if grades else [])], key=lambda r: (r.school_code, r.grade or 0))

    def to_dict(self, grades: bool = False) -> dict:
        """Return the figures as plain data (for --json): year, intake_day, as_of, `rows` (each school
        and, with `grades`, each grade: codes, names, counts, base, rates and level school/grade) and
        the pupils who left (without the internal ids)."""
        shown = ("school_code", "school_name", "grade", "intake", "transferred_out", "base", "left",
                 "retention_rate", "loss_rate")
        rows = []
        for row in self.rows(grades):
            plain = row.to_dict()
            rows.append({**{k: plain[k] for k in shown}, "level": "grade" if row.grade else "school"})
        return {"year": self.year_code, "intake_day": self.intake_day, "as_of": self.as_of, "rows": rows,
                "left": [{k: v for k, v in p.items() if k not in ("school_id", "pupil_id")} for p in self.left]}

    def total(self) -> RetentionRow:
        """Return the sum over every school (school fields empty): the township's own figures."""
        row = RetentionRow("", "", "合计", "", None)
        for school in self.schools:
            row.intake += school.intake
            row.transferred_out += school.transferred_out
            row.left += school.left
        return row


def status_on(day: str, status: str, status_date: str | None, history: list[tuple[str, str]]) -> str:
    """Return a pupil's status on `day` (ISO date): the last change on or before it from the history
    [(date, status)] and the pupil's current status and date; 在读 before the first change."""
    events = sorted(history)
    if status_date and (status_date, status) not in events:
        events = sorted([*events, (status_date, status)])
    before = [s for d, s in events if d <= day]
    if before:
        return before[-1]
    return "在读" if events else status


def _year(db: Database, year_code: str | None) -> dict:
    if year_code:
        rows = list(db.query("SELECT * FROM academic_year WHERE code = ?", [year_code]))
        if rows:
            return dict(rows[0])
        raise invalid(f"数据库中没有学年“{year_code}”(格式如 2026-2027)。", "year")
    term = current_term(db)
    return dict(next(iter(db.query("SELECT * FROM academic_year WHERE id = ?", [term["academic_year_id"]]))))


def retention(db: Database, *, school_id: str | None = None, year_code: str | None = None,
              as_of: dt.date | None = None) -> Retention:
    """Return the retention figures (see the module docstring) of the academic year `year_code`
    (default: the current term's) counted on `as_of` (default today, at most the year's last day),
    for `school_id` or every school, with the list of pupils who left (流失) since the intake:
    [{school_code, school_name, student_no, name, grade, class_name, date, reason}], by school,
    grade and date. Schools without a pupil in the intake are listed with zeros.
    Raises ValidationError for an unknown year."""
    year = _year(db, year_code)
    shift = int(current_term(db)["code"][:4]) - int(year["code"][:4])
    day = min((as_of or dt.date.today()).isoformat(), year["end_date"])
    intake_day = year["start_date"]
    where, args = "", []
    if school_id:
        where, args = " WHERE s.id = ?", [school_id]
    schools = {r["id"]: dict(r) for r in db.query(f"SELECT s.id, s.code, s.name, s.type FROM school s{where}"
                                                   " ORDER BY s.code", args)}
    history: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
    for pupil_id, status, date, note in db.execute(
            "SELECT pupil_id, status, date, note FROM pupil_status_change"
            + (" WHERE school_id = ?" if school_id else ""), args):
        history[pupil_id].append((date, status, note))
    out = Retention(year["code"], intake_day, day)
    by_school = {sid: RetentionRow(sid, s["code"], s["name"], s["type"], None) for sid, s in schools.items()}
    by_grade: dict[tuple[str, int], RetentionRow] = {}
    rows = db.execute(
        "SELECT p.id, p.school_id, p.student_no, p.name, p.grade - ?, p.status, p.status_date, p.enrol_date,"
        " c.name, c.academic_year_id FROM pupil p LEFT JOIN class c ON c.id = p.class_id"
        + (" WHERE p.school_id = ?" if school_id else ""), [shift, *args]).fetchall()
    for pid, sid, student_no, name, grade, status, status_date, enrol, class_name, class_year in rows:
        if sid not in by_school:
            continue
        events = [(d, s) for d, s, _ in history.get(pid, [])]
        if not enrolled_on(intake_day, status, status_date, enrol, events):
            continue
        now = status_on(day, status, status_date, events)
        school = by_school[sid]
        row = by_grade.get((sid, grade))
        if row is None:
            row = by_grade[(sid, grade)] = RetentionRow(sid, school.school_code, school.school_name,
                                                        school.school_type, grade)
        for target in (school, row):
            target.intake += 1
            target.transferred_out += now == "转出"
            target.left += now == "流失"
        if now == "流失":
            changes = [(d, n) for d, s, n in history.get(pid, []) if s == "流失" and d <= day]
            date, reason = max(changes) if changes else (status_date, None)
            out.left.append({"school_id": sid, "school_code": school.school_code, "school_name": school.school_name,
                             "pupil_id": pid, "student_no": student_no, "name": name, "grade": grade,
                             "class_name": class_name if class_year == year["id"] else "", "date": date,
                             "reason": reason or ""})
    out.schools = list(by_school.values())
    out.grades = sorted(by_grade.values(), key=lambda r: (r.school_code, r.grade))
    out.left.sort(key=lambda r: (r["school_code"], r["grade"], r["date"] or "", r["student_no"]))
    return out


def marked_left_on(db: Database, day: dt.date, school_id: str | None = None) -> list[dict]:
    """Return the pupils marked 流失 on `day` (a status change to 流失 dated that day or entered that
    day): [{school_name, student_no, name, grade, date, reason}], by school and 学籍号. The 控辍保学
    warning shows them."""
    text = day.isoformat()
    args: list = [text, text]
    extra = ""
    if school_id:
        extra, args = " AND x.school_id = ?", [*args, school_id]
    return [dict(r) for r in db.query(
        "SELECT s.name AS school_name, p.student_no, p.name, p.grade, x.date, IFNULL(x.note, '') AS reason"
        " FROM pupil_status_change x JOIN pupil p ON p.id = x.pupil_id JOIN school s ON s.id = x.school_id"
        " WHERE x.status = '流失' AND p.status = '流失' AND (x.date = ? OR substr(x.created_at, 1, 10) = ?)"
        f"{extra} ORDER BY s.code, p.student_no", args)]
