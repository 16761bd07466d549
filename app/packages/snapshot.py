"""What a data package carries: the sender's own rows for one term, plus what is needed to read them.

A school sends its own school, all its classes, pupils (with their status history) and teachers,
and for the term: its exams, the marks of every exam of the term, teaching assignments, timetable
(with its locked lessons, fixed events and teachers' unavailable times), lesson observations, routine
checks, quality targets, pupil support (tutoring records, tutoring lists, 双困生) and the school
records (homework, home visits, 集体备课). Rows of other schools come along only as
reference (本包数据 = 否): the home school and record of a 走教 teacher who teaches here, the
schools a teacher of ours travels to, and the unified exams our marks belong to. A township sends
the same for every one of its schools, and its own unified exams as its own data.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from app.db.keys import numbers_in
from app.errors import NotFound, invalid
from app.packages.datasheet import format_cutoffs
from app.services.schools import current_term, get_meta


@dataclass(frozen=True)
class Scope:
    """Whose data, for which term: the sender, its schools and (for a township) its unified exams."""

    level: str  # school | township
    code: str
    name: str
    school_type: str | None
    school_ids: tuple[str, ...]
    township_id: str | None  # a township sender: its own exams are its data
    term_id: str
    term_code: str
    term_name: str
    recipient: dict

    def params(self) -> dict:
        """Return the named SQL parameters of this scope (schools as a JSON list, term, township)."""
        return {"s": json.dumps(list(self.school_ids)), "term": self.term_id, "tw": self.township_id}


def sender_scope(db: Database, term_code: str | None = None) -> Scope:
    """Return the Scope of this database as a sender: a school database sends its school, a township
    database its schools. Raises ValidationError for a county database or an unknown term, NotFound
    when the database does not say whose it is."""
    if term_code:
        rows = list(db.query("SELECT * FROM term WHERE code = ?", [term_code]))
        if not rows:
            raise invalid(f"数据库中没有学期“{term_code}”(格式如 2025-2026-1)。", "term")
        term = dict(rows[0])
    else:
        term = current_term(db)
    kind = get_meta(db, "kind", "school")
    if kind == "school":
        code = get_meta(db, "school_code")
        rows = list(db.query("SELECT s.*, t.code AS township_code, t.name AS township_name FROM school s"
                             " LEFT JOIN township t ON t.id = s.township_id WHERE s.code = ?", [code or ""]))
        if not rows:
            raise NotFound("数据库没有记录本校是哪所学校(meta school_code),无法导出数据包。")
        school = rows[0]
        return Scope("school", school["code"], school["name"], school["type"], (school["id"],), None,
                     term["id"], term["code"], term["name"],
                     {"level": "township", "code": school["township_code"], "name": school["township_name"]})
    if kind == "township":
        code = get_meta(db, "township_code")
        rows = list(db.query("SELECT * FROM township WHERE code = ?", [code or ""]))
        if not rows:
            raise NotFound("数据库没有记录本乡镇是哪个乡镇(meta township_code),无法导出数据包。")
        township = rows[0]
        ids = tuple(r["id"] for r in db.query("SELECT id FROM school WHERE township_id = ? ORDER BY code",
                                              [township["id"]]))
        return Scope("township", township["code"], township["name"], None, ids, township["id"],
                     term["id"], term["code"], term["name"],
                     {"level": "county", "code": None, "name": township["county"]})
    raise invalid("县级数据库不向上导出数据包。")


_OWN = "SELECT value FROM json_each(:s)"
_OWN_EXAM = (f"(e.school_id IN ({_OWN}) OR (:tw IS NOT NULL AND e.school_id IS NULL AND e.township_id = :tw))"
             " AND e.term_id = :term")


def _ids(db: Database, sql: str, params: dict) -> set[str]:
    return {r[0] for r in db.execute(sql, params).fetchall() if r[0]}


def _rows(db: Database, sql: str, params: dict) -> list[dict]:
    return [dict(r) for r in db.query(sql, params)]


def collect(db: Database, scope: Scope) -> dict[str, list[dict]]:
    """Return the rows of every data sheet for `scope` (sheet name → row dicts keyed by column key)."""
    p = scope.params()
    own_teachers = _ids(db, f"SELECT id FROM teacher WHERE school_id IN ({_OWN})", p)
    used_teachers = _ids(db, " UNION ".join([
        f"SELECT head_teacher_id FROM class WHERE school_id IN ({_OWN})",
        f"SELECT teacher_id FROM teaching_assignment WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT teacher_id FROM timetable_slot WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT observer_id FROM lesson_observation WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT teacher_id FROM lesson_observation WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT teacher_id FROM routine_check WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT checker_id FROM routine_check WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT teacher_id FROM teacher_unavailable WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT teacher_id FROM tutoring WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT teacher_id FROM tutoring_plan WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT teacher_id FROM home_visit WHERE school_id IN ({_OWN}) AND term_id = :term",
        f"SELECT lead_id FROM prep_session WHERE school_id IN ({_OWN}) AND term_id = :term"]), p)
    teachers = own_teachers | used_teachers
    p["t"] = json.dumps(sorted(teachers))
    school_ids = set(scope.school_ids) | _ids(db, "SELECT school_id FROM teacher WHERE id IN"
                                                  " (SELECT value FROM json_each(:t)) UNION SELECT school_id"
                                                  " FROM teacher_site WHERE teacher_id IN"
                                                  " (SELECT value FROM json_each(:t))", p)
    p["x"] = json.dumps(sorted(school_ids))
    exams = _ids(db, f"SELECT e.id FROM exam e WHERE {_OWN_EXAM} UNION SELECT m.exam_id FROM exam e"
                     " JOIN exam_number n ON n.id = e.id JOIN mark m ON m.exam_no = n.no"
                     f" WHERE m.school_no IN {numbers_in('school', _OWN)}"
                     " AND e.term_id = :term", p)
    p["e"] = json.dumps(sorted(exams))
    out = {
        "学校": _rows(db, "SELECT s.code, s.name, s.type, t.code AS township_code, s.address, s.daily_max_periods,"
                        f" s.id IN ({_OWN}) AS own, s.id FROM school s LEFT JOIN township t ON t.id = s.township_id"
                        " WHERE s.id IN (SELECT value FROM json_each(:x)) ORDER BY own DESC, s.code", p),
        "班级": _rows(db, "SELECT s.name AS school_name, y.code AS year_code, c.name, c.number,"
                        " (SELECT group_concat(grade) FROM (SELECT grade FROM class_grade WHERE class_id = c.id"
                        "  ORDER BY grade)) AS grades, h.name AS head_teacher_name, c.id, c.school_id,"
                        " c.head_teacher_id FROM class c JOIN school s ON s.id = c.school_id"
                        " JOIN academic_year y ON y.id = c.academic_year_id LEFT JOIN teacher h ON h.id = c.head_teacher_id"
                        f" WHERE c.school_id IN ({_OWN}) ORDER BY s.code, y.code,"
                        " (SELECT MIN(grade) FROM class_grade WHERE class_id = c.id), c.number, c.name", p),
        "学生": _rows(db, "SELECT p.student_no, p.name, p.gender, p.birth_date, p.grade,"
                        " c.name AS class_name, p.boarding, p.left_behind, p.migrant, p.disabled, p.pe_exempt,"
                        " p.status, p.status_date, p.enrol_date, p.id, p.school_id, p.class_id FROM pupil p"
                        " JOIN school s ON s.id = p.school_id LEFT JOIN class c ON c.id = p.class_id"
                        f" WHERE p.school_id IN ({_OWN}) ORDER BY s.code, p.grade, c.number, c.name, p.student_no", p),
        "学籍异动": _rows(db, "SELECT p.student_no, p.name AS pupil_name, x.status, x.date, x.note, x.id, x.school_id,"
                          " x.pupil_id FROM pupil_status_change x JOIN pupil p ON p.id = x.pupil_id"
                          f" WHERE x.school_id IN ({_OWN}) ORDER BY p.student_no, x.date, x.id", p),
        "教师": _rows(db, "SELECT t.staff_no, t.name, t.gender, t.birth_date, t.hire_date, t.phone, t.active,"
                        " (SELECT group_concat(name, '、') FROM (SELECT sj.name FROM teacher_subject ts JOIN subject sj"
                        "  ON sj.id = ts.subject_id WHERE ts.teacher_id = t.id ORDER BY sj.sort_order, sj.name)) AS subjects,"
                        " (SELECT group_concat(role, '、') FROM (SELECT role FROM teacher_role WHERE teacher_id = t.id"
                        "  ORDER BY role)) AS roles,"
                        " (SELECT group_concat(title, '、') FROM (SELECT title FROM teacher_title WHERE teacher_id = t.id"
                        "  ORDER BY title)) AS titles,"
                        " (SELECT group_concat(code, '、') FROM (SELECT x.code FROM teacher_site ts JOIN school x"
                        "  ON x.id = ts.school_id WHERE ts.teacher_id = t.id ORDER BY x.code)) AS sites,"
                        f" s.name AS school_name, t.school_id IN ({_OWN}) AS own, t.id, t.school_id FROM teacher t"
                        " JOIN school s ON s.id = t.school_id WHERE t.id IN (SELECT value FROM json_each(:t))"
                        " ORDER BY own DESC, s.code, t.staff_no", p),
        "考试": _exam_rows(db, p),
        "成绩": _rows(db, "SELECT e.name AS exam_name, p.student_no, p.name AS pupil_name, m.grade, c.name AS class_name,"
                        " sj.name AS subject, m.score, m.status, m.id, m.school_id, m.exam_id, m.pupil_id, m.class_id"
                        " FROM exam e JOIN exam_number n ON n.id = e.id JOIN mark m ON m.exam_no = n.no"
                        " JOIN pupil p ON p.id = m.pupil_id"
                        " JOIN subject sj ON sj.id = m.subject_id LEFT JOIN class c ON c.id = m.class_id"
                        f" WHERE m.school_no IN {numbers_in('school', _OWN)}"
                        " AND e.term_id = :term"
                        " ORDER BY e.date, e.name, m.school_id, m.grade, c.number, c.name, p.student_no, sj.sort_order", p),
        "任课": _rows(db, "SELECT tm.code AS term_code, t.name AS teacher_name, c.name AS class_name, sj.name AS subject,"
                        " a.weekly_periods, a.id, a.school_id, a.teacher_id, a.class_id FROM teaching_assignment a"
                        " JOIN term tm ON tm.id = a.term_id JOIN teacher t ON t.id = a.teacher_id"
                        " JOIN class c ON c.id = a.class_id JOIN subject sj ON sj.id = a.subject_id"
                        f" WHERE a.school_id IN ({_OWN}) AND a.term_id = :term"
                        " ORDER BY a.school_id, c.number, c.name, sj.sort_order", p),
        "课表": _rows(db, "SELECT tm.code AS term_code, c.name AS class_name, x.day, x.slot, sj.name AS subject,"
                        " t.name AS teacher_name, x.room, x.locked, x.id, x.school_id, x.class_id, x.teacher_id"
                        " FROM timetable_slot x JOIN term tm ON tm.id = x.term_id JOIN class c ON c.id = x.class_id"
                        " LEFT JOIN subject sj ON sj.id = x.subject_id LEFT JOIN teacher t ON t.id = x.teacher_id"
                        f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term"
                        " ORDER BY x.school_id, c.name, x.day, x.slot", p),
        "作息时间": _rows(db, "SELECT tm.code AS term_code, x.slot, x.label, x.kind, x.start_time, x.minutes, x.id,"
                          " x.school_id FROM timetable_period x JOIN term tm ON tm.id = x.term_id"
                          f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term ORDER BY x.school_id, x.slot", p),
        "固定活动": _rows(db, "SELECT tm.code AS term_code, x.day, x.slot, x.label, sj.name AS subject, x.id, x.school_id"
                          " FROM timetable_fixed x JOIN term tm ON tm.id = x.term_id"
                          " LEFT JOIN subject sj ON sj.id = x.subject_id"
                          f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term ORDER BY x.school_id, x.day, x.slot", p),
        "教师不能上课": _rows(db, "SELECT tm.code AS term_code, t.name AS teacher_name, x.day, x.slot, x.reason, x.id,"
                            " x.school_id, x.teacher_id FROM teacher_unavailable x JOIN term tm ON tm.id = x.term_id"
                            " JOIN teacher t ON t.id = x.teacher_id"
                            f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term"
                            " ORDER BY x.school_id, t.staff_no, x.day, x.slot", p),
        "听课记录": _rows(db, "SELECT tm.code AS term_code, x.date, o.name AS observer_name, t.name AS teacher_name,"
                          " c.name AS class_name, sj.name AS subject, x.form_id, x.ratings, x.score, x.notes, x.id,"
                          " x.school_id, x.observer_id, x.teacher_id, x.class_id FROM lesson_observation x"
                          " JOIN term tm ON tm.id = x.term_id JOIN teacher o ON o.id = x.observer_id"
                          " JOIN teacher t ON t.id = x.teacher_id LEFT JOIN class c ON c.id = x.class_id"
                          " LEFT JOIN subject sj ON sj.id = x.subject_id"
                          f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term ORDER BY x.school_id, x.date, x.id", p),
        "教学常规": _rows(db, "SELECT tm.code AS term_code, x.date, t.name AS teacher_name, k.name AS checker_name,"
                          " x.link, x.sheet_id, x.scores, x.total, x.notes, x.id, x.school_id, x.teacher_id,"
                          " x.checker_id FROM routine_check x JOIN term tm ON tm.id = x.term_id"
                          " JOIN teacher t ON t.id = x.teacher_id LEFT JOIN teacher k ON k.id = x.checker_id"
                          f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term ORDER BY x.school_id, x.date, x.id", p),
        "质量指标": _rows(db, "SELECT tm.code AS term_code, x.grade, sj.name AS subject, t.name AS teacher_name, x.metric,"
                          " x.target, x.note, x.id, x.school_id, x.teacher_id FROM quality_target x"
                          " JOIN term tm ON tm.id = x.term_id LEFT JOIN subject sj ON sj.id = x.subject_id"
                          " LEFT JOIN teacher t ON t.id = x.teacher_id"
                          f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term"
                          " ORDER BY x.school_id, x.teacher_id IS NOT NULL, t.staff_no, x.grade, sj.sort_order, x.metric", p),
    }
    out.update(_support_rows(db, p))
    out.update(_records_rows(db, p))
    out.update(_appraisal_rows(db, p))
    return out


def _appraisal_rows(db: Database, p: dict) -> dict[str, list[dict]]:
    """Return the sheets of the term's school year that go up: each own school's 篇10 evaluation sheet
    (its items and 自评; a township's also its scores), the 篇20 sheets a township filled (from a
    township to its county only) and the teachers' 篇11 survey scores."""
    year = "(SELECT academic_year_id FROM term WHERE id = :term)"
    return {
        "考核评估表": _rows(db, "SELECT y.code AS year_code, x.kind, x.content, x.id, x.school_id FROM scheme_sheet x"
                            " JOIN academic_year y ON y.id = x.academic_year_id"
                            f" WHERE x.school_id IN ({_OWN}) AND x.academic_year_id = {year}"
                            " AND (x.kind = 'evaluation' OR (x.kind = 'annual' AND :tw IS NOT NULL))"
                            " ORDER BY x.school_id", p),
        "多方评价": _rows(db, "SELECT y.code AS year_code, t.staff_no, t.name AS teacher_name, x.rater, x.score, x.id,"
                          " t.school_id, x.teacher_id FROM appraisal_survey x JOIN teacher t ON t.id = x.teacher_id"
                          " JOIN academic_year y ON y.id = x.academic_year_id"
                          f" WHERE t.school_id IN ({_OWN}) AND x.academic_year_id = {year}"
                          " ORDER BY t.school_id, t.staff_no, x.rater", p),
    }


def _records_rows(db: Database, p: dict) -> dict[str, list[dict]]:
    """Return the school records' sheets of `collect` (homework, home visits, 集体备课) for the
    scope's parameters `p`."""
    return {
        "作业时间": _rows(db, "SELECT tm.code AS term_code, c.name AS class_name, x.date, sj.name AS subject, x.minutes,"
                          " x.note, x.id, x.school_id, x.class_id FROM homework_log x JOIN term tm ON tm.id = x.term_id"
                          " JOIN class c ON c.id = x.class_id JOIN subject sj ON sj.id = x.subject_id"
                          f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term"
                          " ORDER BY x.school_id, c.name, x.date, sj.sort_order", p),
        "家访": _rows(db, "SELECT tm.code AS term_code, x.date, p.student_no, p.name AS pupil_name,"
                        " t.name AS teacher_name, x.way, x.notes, x.id, x.school_id, x.pupil_id, x.teacher_id"
                        " FROM home_visit x JOIN term tm ON tm.id = x.term_id JOIN pupil p ON p.id = x.pupil_id"
                        " JOIN teacher t ON t.id = x.teacher_id"
                        f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term ORDER BY x.school_id, x.date, x.id", p),
        "集体备课": _rows(db, "SELECT tm.code AS term_code, x.date, x.group_name, t.name AS lead_name, x.topic,"
                          " (SELECT group_concat(a.name, '、') FROM json_each(x.attendee_ids) j"
                          "  JOIN teacher a ON a.id = j.value) AS attendees, x.notes, x.id, x.school_id, x.lead_id,"
                          " x.attendee_ids FROM prep_session x JOIN term tm ON tm.id = x.term_id"
                          " JOIN teacher t ON t.id = x.lead_id"
                          f" WHERE x.school_id IN ({_OWN}) AND x.term_id = :term ORDER BY x.school_id, x.date, x.id", p),
    }


def _support_rows(db: Database, p: dict) -> dict[str, list[dict]]:
    """Return the sheets of pupil support: tutoring records and their pupils, tutoring lists, 双困生."""
    own = f"x.school_id IN ({_OWN}) AND x.term_id = :term"
    return {
        "辅导记录": _rows(db, "SELECT tm.code AS term_code, x.date, t.name AS teacher_name, sj.name AS subject,"
                          " x.minutes, x.content, x.outcome, x.id, x.school_id, x.teacher_id FROM tutoring x"
                          " JOIN term tm ON tm.id = x.term_id JOIN teacher t ON t.id = x.teacher_id"
                          f" LEFT JOIN subject sj ON sj.id = x.subject_id WHERE {own} ORDER BY x.school_id, x.date, x.id",
                          p),
        "辅导学生": _rows(db, "SELECT tm.code AS term_code, g.date, pp.student_no, pp.name AS pupil_name, x.id,"
                          " x.school_id, x.tutoring_id, x.pupil_id FROM tutoring_pupil x JOIN term tm ON tm.id = x.term_id"
                          " JOIN tutoring g ON g.id = x.tutoring_id JOIN pupil pp ON pp.id = x.pupil_id"
                          f" WHERE {own} ORDER BY x.school_id, g.date, x.tutoring_id, pp.student_no", p),
        "帮扶名单": _rows(db, "SELECT tm.code AS term_code, t.name AS teacher_name, pp.student_no, pp.name AS pupil_name,"
                          " sj.name AS subject, x.list, x.exam_id, x.note, x.id, x.school_id, x.teacher_id, x.pupil_id"
                          " FROM tutoring_plan x JOIN term tm ON tm.id = x.term_id JOIN teacher t ON t.id = x.teacher_id"
                          " JOIN pupil pp ON pp.id = x.pupil_id JOIN subject sj ON sj.id = x.subject_id"
                          f" WHERE {own} ORDER BY x.school_id, t.staff_no, x.list, pp.student_no, sj.sort_order", p),
        "双困生": _rows(db, "SELECT tm.code AS term_code, pp.student_no, pp.name AS pupil_name, x.kind, x.reason, x.date,"
                         " x.id, x.school_id, x.pupil_id FROM pupil_difficulty x JOIN term tm ON tm.id = x.term_id"
                         f" JOIN pupil pp ON pp.id = x.pupil_id WHERE {own} ORDER BY x.school_id, pp.student_no", p),
    }


def _exam_rows(db: Database, p: dict) -> list[dict]:
    cutoffs: dict[tuple[str, str], list] = {}
    for r in db.query("SELECT exam_id, subject_id, grade, excellent_pct, pass_pct, low_pct FROM exam_cutoff"
                      " WHERE exam_id IN (SELECT value FROM json_each(:e))", p):
        cutoffs.setdefault((r["exam_id"], r["subject_id"]), []).append(
            (r["grade"], r["excellent_pct"], r["pass_pct"], r["low_pct"]))
    rows = _rows(db, "SELECT e.name, e.type, e.scope, tm.code AS term_code, e.date, e.policy,"
                     " (SELECT group_concat(grade) FROM (SELECT grade FROM exam_grade WHERE exam_id = e.id"
                     "  ORDER BY grade)) AS exam_grades, sj.name AS subject, es.full_marks, es.grades AS subject_grades,"
                     " es.excellent_pct, es.pass_pct, es.low_pct, es.assessment, es.levels, es.subject_id AS _subject_id,"
                     f" {_OWN_EXAM} AS own, e.id, e.school_id, tw.code AS township_code, es.id AS exam_subject_id"
                     " FROM exam e JOIN term tm ON tm.id = e.term_id LEFT JOIN township tw ON tw.id = e.township_id"
                     " LEFT JOIN exam_subject es ON es.exam_id = e.id LEFT JOIN subject sj ON sj.id = es.subject_id"
                     " WHERE e.id IN (SELECT value FROM json_each(:e)) ORDER BY e.date, e.name, e.id, sj.sort_order", p)
    for row in rows:
        row["cutoffs"] = format_cutoffs(cutoffs.get((row["id"], row.pop("_subject_id")), []))
    return rows
