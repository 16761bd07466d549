"""Lists of schools, classes, pupils and teachers for screens and the CLI."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.where import where_clause
from app.services.schools import current_term, get_meta


def database_kind(db: Database) -> str:
    """Return 'school', 'township' or 'county'."""
    return get_meta(db, "kind", "school")


def list_schools(db: Database) -> list[dict]:
    """Return every school with its township, ordered 中心校本部, 完小, 教学点, then by code."""
    return [dict(r) for r in db.query(
        "SELECT s.*, t.code AS township_code, t.name AS township_name FROM school s"
        " LEFT JOIN township t ON t.id = s.township_id"
        " ORDER BY CASE s.type WHEN '中心校本部' THEN 0 WHEN '完小' THEN 1 ELSE 2 END, s.code")]


def list_classes(db: Database, school_id: str | None = None, academic_year_id: str | None = None) -> list[dict]:
    """Return the classes (of one school, of the current academic year by default) with their grades
    (list), 班主任 name and pupil count, ordered by school, first grade and number."""
    if academic_year_id is None:
        academic_year_id = current_term(db)["academic_year_id"]
    where, args = where_clause({"c.academic_year_id": academic_year_id, "c.school_id": school_id})
    rows = db.query(
        "SELECT c.*, s.code AS school_code, s.name AS school_name, t.name AS head_teacher_name,"
        " (SELECT group_concat(grade) FROM (SELECT grade FROM class_grade WHERE class_id = c.id ORDER BY grade))"
        "   AS grades_text,"
        " (SELECT COUNT(*) FROM pupil p WHERE p.class_id = c.id AND p.status IN ('在读', '转入')) AS pupils"
        " FROM class c JOIN school s ON s.id = c.school_id LEFT JOIN teacher t ON t.id = c.head_teacher_id"
        f"{where} ORDER BY s.code, (SELECT MIN(grade) FROM class_grade WHERE class_id = c.id), c.number, c.name", args)
    out = []
    for row in rows:
        row = dict(row)
        row["grades"] = [int(g) for g in (row.pop("grades_text") or "").split(",") if g]
        out.append(row)
    return out


PUPIL_COLUMNS = ("id", "school_id", "school_code", "school_name", "student_no", "name", "gender", "birth_date",
                 "id_number", "grade", "class_id", "class_name", "boarding", "left_behind", "migrant", "disabled",
                 "pe_exempt", "status", "status_date", "enrol_date")


def list_pupils(db: Database, school_id: str | None = None, class_id: str | None = None,
                include_left: bool = True) -> list[dict]:
    """Return pupils with school and class names; `include_left=False` keeps only 在读 and 转入."""
    where, args = where_clause({"p.school_id": school_id, "p.class_id": class_id},
                               *([] if include_left else ["p.status IN ('在读', '转入')"]))
    sql = ("SELECT p.id, p.school_id, s.code AS school_code, s.name AS school_name, p.student_no, p.name, p.gender,"
           " p.birth_date, p.id_number, p.grade, p.class_id, c.name AS class_name, p.boarding, p.left_behind,"
           " p.migrant, p.disabled, p.pe_exempt, p.status, p.status_date, p.enrol_date"
           " FROM pupil p JOIN school s ON s.id = p.school_id LEFT JOIN class c ON c.id = p.class_id"
           + where
           + " ORDER BY s.code, p.grade, c.number, p.student_no")
    return [dict(r) for r in db.query(sql, args)]


def list_teachers(db: Database, school_id: str | None = None) -> list[dict]:
    """Return teachers with school, subjects, roles, titles and 走教 sites as comma-joined text."""
    where, args = where_clause({"t.school_id": school_id})
    sql = (
        "SELECT t.*, s.code AS school_code, s.name AS school_name,"
        " (SELECT group_concat(name, '、') FROM (SELECT sj.name FROM teacher_subject ts"
        "   JOIN subject sj ON sj.id = ts.subject_id WHERE ts.teacher_id = t.id ORDER BY sj.sort_order)) AS subjects,"
        " (SELECT group_concat(role, '、') FROM teacher_role WHERE teacher_id = t.id) AS roles,"
        " (SELECT group_concat(title, '、') FROM teacher_title WHERE teacher_id = t.id) AS titles,"
        " (SELECT group_concat(x.name, '、') FROM teacher_site ts JOIN school x ON x.id = ts.school_id"
        "   WHERE ts.teacher_id = t.id) AS sites"
        f" FROM teacher t JOIN school s ON s.id = t.school_id{where} ORDER BY s.code, t.staff_no")
    return [{**dict(r), **{k: r[k] or "" for k in ("subjects", "roles", "titles", "sites")}}
            for r in db.query(sql, args)]


def teacher_names(db: Database) -> dict[str, str]:
    """Return {teacher id: name} of every teacher (a county's 2,000 in milliseconds, where
    list_teachers joins their subjects, roles and sites)."""
    return dict(db.execute("SELECT id, name FROM teacher").fetchall())


def active_teachers(db: Database, school_id: str | None = None) -> list[dict]:
    """Return the active teachers (of one school, or of all): id, staff_no, name, hire_date,
    school_id, code (the school's) and school_name, by school code and 工号."""
    where, args = where_clause({"t.school_id": school_id}, "t.active = 1")
    return list(db.query("SELECT t.id, t.staff_no, t.name, t.hire_date, t.school_id, s.code, s.name AS school_name"
                         f" FROM teacher t JOIN school s ON s.id = t.school_id{where}"
                         " ORDER BY s.code, t.staff_no", args))


def counts(db: Database) -> dict:
    """Return the sizes a user checks first: schools, classes, pupils, teachers, exams, marks and more."""
    year = current_term(db)["academic_year_id"]
    one = lambda sql: db.execute(sql, {"year": year}).fetchone()[0]  # noqa: E731
    return {
        "schools": one("SELECT COUNT(*) FROM school"),
        "classes": one("SELECT COUNT(*) FROM class WHERE academic_year_id = :year"),
        "pupils": one("SELECT COUNT(*) FROM pupil WHERE status IN ('在读', '转入')"),
        "pupils_all": one("SELECT COUNT(*) FROM pupil"),
        "teachers": one("SELECT COUNT(*) FROM teacher WHERE active = 1"),
        "itinerant_teachers": one("SELECT COUNT(DISTINCT teacher_id) FROM teacher_site"),
        "exams": one("SELECT COUNT(*) FROM exam"),
        "marks": one("SELECT COUNT(*) FROM mark"),
        "teaching_assignments": one("SELECT COUNT(*) FROM teaching_assignment"),
        "timetable_slots": one("SELECT COUNT(*) FROM timetable_slot"),
        "multigrade_classes": one("SELECT COUNT(*) FROM (SELECT class_id FROM class_grade cg JOIN class c"
                                  " ON c.id = cg.class_id WHERE c.academic_year_id = :year GROUP BY class_id"
                                  " HAVING COUNT(*) > 1)"),
        "audit_entries": one("SELECT COUNT(*) FROM audit_log"),
    }


def school_overview(db: Database) -> list[dict]:
    """Return per school: type, classes, pupils by flag, teachers — the 学校概况 table."""
    return [dict(r) for r in db.query(
        "SELECT s.id, s.code, s.name, s.type,"
        " (SELECT COUNT(*) FROM class c WHERE c.school_id = s.id AND c.academic_year_id = :year) AS classes,"
        " (SELECT COUNT(*) FROM pupil p WHERE p.school_id = s.id AND p.status IN ('在读', '转入')) AS pupils,"
        " (SELECT COUNT(*) FROM pupil p WHERE p.school_id = s.id AND p.status IN ('在读', '转入') AND p.boarding = 1)"
        "   AS boarding,"
        " (SELECT COUNT(*) FROM pupil p WHERE p.school_id = s.id AND p.status IN ('在读', '转入')"
        "   AND p.left_behind = 1) AS left_behind,"
        " (SELECT COUNT(*) FROM pupil p WHERE p.school_id = s.id AND p.status = '流失') AS dropped_out,"
        " (SELECT COUNT(*) FROM teacher t WHERE t.school_id = s.id AND t.active = 1) AS teachers"
        " FROM school s ORDER BY CASE s.type WHEN '中心校本部' THEN 0 WHEN '完小' THEN 1 ELSE 2 END, s.code",
        {"year": current_term(db)["academic_year_id"]})]
