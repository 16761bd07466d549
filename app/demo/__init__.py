"""The demo township (and a county-sized variant for benchmarks), deterministic from a seed.

`generate()` writes a township database holding six schools — a central school, two 完小 and three
教学点 with 复式 classes — with teachers (three of them 走教), pupils with realistic flags and
status changes, last year's final and two exams this term with correlated marks, teaching
assignments and timetables, and this term's lesson observations and routine checks so far. With
`school_dbs` it also writes each school's own database, sharing the same stable row ids, so the
USB round trip can be shown end to end. Passphrase: demo.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlite_utils import Database

from app.db.database import remove_database
from app.db.keys import number_column, number_of
from app.db.migrations import MARK_KEYS, MARK_STORED_COLUMNS
from app.db.writes import SYSTEM, audit, bulk_insert, deterministic
from app.demo.layout import CURRENT_YEAR, PREVIOUS_YEAR, DemoTownship, build_townships, make_pupils, staff_schools
from app.demo.routine import seed_routine
from app.demo.support import seed_support
from app.demo.scores import make_marks
from app.demo.timetable import DAY_PLAN, build_timetable
from app.errors import invalid
from app.progress import Progress, no_progress
from app.services import schools, setup, users
from app.services.passphrases import DEMO_PASSPHRASE
from app.services.schools import school_by_code
from app.services.subjects import list_subjects

DEMO_TODAY = dt.date(2026, 11, 16)
DEMO_CLOCK = "2026-11-16T08:00:00+00:00"


def generate(path: str | Path, *, seed: int = 1, scale: str = "township", school_dbs: str | Path | None = None,
             progress: Progress | None = None) -> dict:
    """Write the demo database at `path` (which must not exist) and return a summary dict
    (path, counts, school_dbs). Raises ValidationError when the file exists or the scale is unknown."""
    report = progress or no_progress
    path = Path(path)
    if scale not in ("township", "county"):
        raise invalid(f"未知的规模“{scale}”,只能是 township 或 county。")
    if path.exists():
        raise invalid(f"文件“{path}”已存在,演示数据不会覆盖它。")
    rng = random.Random(seed)
    with deterministic(seed, DEMO_CLOCK):
        report(0.0, "创建数据库")
        if scale == "township":
            db = setup.init_township(path, code="QSZ", name="青山镇", county="青山县", passphrase=DEMO_PASSPHRASE,
                                     today=DEMO_TODAY, demo=True)
        else:
            db = setup.init_county(path, code="QSX", name="青山县", passphrase=DEMO_PASSPHRASE, today=DEMO_TODAY, demo=True)
        written: list[Path] = []
        try:
            _populate(db, rng, scale, report)
            if school_dbs is not None:
                _write_school_dbs(db, Path(school_dbs), report, written)
        except BaseException:
            db.close()
            for partial in (path, *written):
                remove_database(partial)
            raise
        db.close()
    report(1.0, "完成")
    return {"path": str(path), "school_dbs": [str(p) for p in written]}


def _populate(db: Database, rng: random.Random, scale: str, report: Progress) -> None:
    townships = build_townships(rng, scale)
    subject_ids = {s["code"]: s["id"] for s in list_subjects(db)}
    with db.atomic():
        previous_term = schools.ensure_term(db, SYSTEM, PREVIOUS_YEAR, 2)
        current_term = schools.ensure_term(db, SYSTEM, CURRENT_YEAR, 1)
        years = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM academic_year")}
        for township in townships:
            if not db.execute("SELECT 1 FROM township WHERE id = ?", [township.id]).fetchone():
                schools.create_township(db, SYSTEM, code=township.code, name=township.name, county="青山县")
            for school in township.schools:
                schools.create_school(db, SYSTEM, code=school.code, name=school.name, type=school.type,
                                      township_id=township.id)
    report(0.1, "生成教师与任课")
    assignments = []
    for township in townships:
        assignments += staff_schools(rng, township)
    report(0.2, "生成学生")
    pupils = make_pupils(rng, townships)
    report(0.3, "生成课表")
    busy: dict = {}
    slots = []
    for township in townships:
        ids = {s.id for s in township.schools}
        slots += build_timetable(rng, [a for a in assignments if a[0].school.id in ids], busy)
    report(0.4, "生成考试成绩")
    exam_rows, exam_grades, exam_subjects, marks = make_marks(rng, townships, pupils, subject_ids,
                                                              {"prev": previous_term, "cur": current_term})
    report(0.7, "写入数据库")
    with db.atomic():
        _write_staff(db, townships, subject_ids)
        _write_classes(db, townships, years)
        bulk_insert(db, SYSTEM, "pupil", [{k: v for k, v in p.items() if not k.startswith("_")} for p in pupils],
                    "演示数据:学生")
        bulk_insert(db, SYSTEM, "teaching_assignment", [
            {"school_id": cls.school.id, "term_id": current_term, "teacher_id": teacher.id, "class_id": cls.id,
             "subject_id": subject_ids[code], "weekly_periods": periods}
            for cls, code, teacher, periods in assignments], "演示数据:任课安排")
        bulk_insert(db, SYSTEM, "timetable_period", [
            {"school_id": school.id, "term_id": current_term, "slot": slot, "label": label, "kind": kind,
             "start_time": start, "minutes": minutes}
            for township in townships for school in township.schools
            for slot, label, kind, start, minutes in DAY_PLAN], "演示数据:作息时间")
        bulk_insert(db, SYSTEM, "timetable_slot", [
            {"school_id": cls.school.id, "term_id": current_term, "class_id": cls.id, "day": day, "slot": slot,
             "subject_id": subject_ids[code], "teacher_id": teacher.id, "room": cls.name}
            for cls, day, slot, code, teacher in slots], "演示数据:课表")
        bulk_insert(db, SYSTEM, "exam", exam_rows, "演示数据:考试")
        bulk_insert(db, SYSTEM, "exam_grade", exam_grades, "演示数据:考试年级")
        bulk_insert(db, SYSTEM, "exam_subject", exam_subjects, "演示数据:考试科目")
        report(0.8, "写入成绩")
        bulk_insert(db, SYSTEM, "mark", marks, "演示数据:成绩")
        _demo_users(db, townships[0])
        report(0.9, "写入听课与教学常规检查")
        seed_routine(db, rng, townships, assignments, subject_ids, current_term, DEMO_TODAY)
        report(0.93, "写入辅导记录与双困生")
        seed_support(db, rng, current_term, DEMO_TODAY)
    report(0.95, "整理数据库")
    db.execute("ANALYZE")


def _write_staff(db: Database, townships: list[DemoTownship], subject_ids: dict) -> None:
    teachers = [t for township in townships for school in township.schools for t in school.teachers]
    bulk_insert(db, SYSTEM, "teacher", [
        {"id": t.id, "school_id": t.school.id, "staff_no": t.staff_no, "name": t.name, "gender": t.gender,
         "birth_date": t.birth_date, "hire_date": t.hire_date, "phone": None, "active": 1} for t in teachers],
        "演示数据:教师")
    bulk_insert(db, SYSTEM, "teacher_subject", [
        {"teacher_id": t.id, "subject_id": subject_ids[code]} for t in teachers for code in dict.fromkeys(t.subjects)],
        "演示数据:教师学科")
    bulk_insert(db, SYSTEM, "teacher_role", [{"teacher_id": t.id, "role": r} for t in teachers
                                            for r in dict.fromkeys(t.roles)], "演示数据:教师职务")
    bulk_insert(db, SYSTEM, "teacher_title", [{"teacher_id": t.id, "title": x} for t in teachers for x in t.titles],
                "演示数据:教师称号")
    bulk_insert(db, SYSTEM, "teacher_site", [{"teacher_id": t.id, "school_id": s.id} for t in teachers
                                            for s in t.sites], "演示数据:走教学校")


def _write_classes(db: Database, townships: list[DemoTownship], years: dict) -> None:
    current_year = years[f"{CURRENT_YEAR}-{CURRENT_YEAR + 1}"]
    previous_year = years[f"{PREVIOUS_YEAR}-{PREVIOUS_YEAR + 1}"]
    classes, grades = [], []
    for township in townships:
        for school in township.schools:
            for cls in school.classes:
                classes.append({"id": cls.id, "school_id": school.id, "academic_year_id": current_year,
                                "name": cls.name, "number": cls.number, "head_teacher_id": cls.head_teacher.id})
                grades += [{"class_id": cls.id, "grade": g} for g in cls.grades]
                if cls.previous_id:
                    classes.append({"id": cls.previous_id, "school_id": school.id, "academic_year_id": previous_year,
                                    "name": cls.previous_name, "number": cls.number, "head_teacher_id": None})
                    grades += [{"class_id": cls.previous_id, "grade": g - 1} for g in cls.grades if g >= 2]
    bulk_insert(db, SYSTEM, "class", classes, "演示数据:班级")
    bulk_insert(db, SYSTEM, "class_grade", grades, "演示数据:班级年级")


def _demo_users(db: Database, township: DemoTownship) -> None:
    central = next(s for s in township.schools if s.type == "中心校本部")
    math = next(t for t in central.teachers if "sx" in t.subjects and "班主任" not in t.roles)
    users.create_user(db, SYSTEM, username="xiaozhang", display_name=f"{central.name}管理员", role="school_admin",
                      school_id=central.id, passphrase=DEMO_PASSPHRASE, weak_passphrase_ok=True)
    users.create_user(db, SYSTEM, username="jiaowu", display_name=f"{central.name}教务处", role="academic",
                      school_id=central.id, passphrase=DEMO_PASSPHRASE, weak_passphrase_ok=True)
    users.create_user(db, SYSTEM, username="laoshi", display_name=math.name, role="teacher", school_id=central.id,
                      teacher_id=math.id, passphrase=DEMO_PASSPHRASE, weak_passphrase_ok=True)


# Rows a school's own database takes from the township database, in foreign-key order.
# Each query selects from the attached township database `t`; ? is the school id.
# Teachers of other schools named by the school's observations and checks (a central school's
# leader observing at a 教学点, the central 教导主任 checking its teachers) come along as well.
_NAMED = ("SELECT observer_id FROM t.lesson_observation WHERE school_id = ?1 UNION SELECT teacher_id"
          " FROM t.lesson_observation WHERE school_id = ?1 UNION SELECT checker_id FROM t.routine_check"
          " WHERE school_id = ?1")
_SCHOOL_COPY = [
    ("school", "SELECT * FROM t.school WHERE id != ?1 AND (id IN (SELECT x.school_id FROM t.teacher x"
               " JOIN t.teacher_site ts ON ts.teacher_id = x.id WHERE ts.school_id = ?1)"
               " OR id IN (SELECT ts.school_id FROM t.teacher_site ts JOIN t.teacher x ON x.id = ts.teacher_id"
               f" WHERE x.school_id = ?1) OR id IN (SELECT school_id FROM t.teacher WHERE id IN ({_NAMED})))"),
    ("teacher", "SELECT * FROM t.teacher WHERE school_id = ?1 OR id IN"
                f" (SELECT teacher_id FROM t.teacher_site WHERE school_id = ?1) OR id IN ({_NAMED})"),
    ("teacher_subject", "SELECT * FROM t.teacher_subject WHERE teacher_id IN (SELECT id FROM main.teacher)"),
    ("teacher_role", "SELECT * FROM t.teacher_role WHERE teacher_id IN (SELECT id FROM main.teacher)"),
    ("teacher_title", "SELECT * FROM t.teacher_title WHERE teacher_id IN (SELECT id FROM main.teacher)"),
    ("teacher_site", "SELECT * FROM t.teacher_site WHERE teacher_id IN (SELECT id FROM main.teacher)"
                     " AND school_id IN (SELECT id FROM main.school)"),
    ("class", "SELECT * FROM t.class WHERE school_id = ?1"),
    ("class_grade", "SELECT * FROM t.class_grade WHERE class_id IN (SELECT id FROM main.class)"),
    ("pupil", "SELECT * FROM t.pupil WHERE school_id = ?1"),
    ("exam", "SELECT * FROM t.exam"),
    ("exam_grade", "SELECT * FROM t.exam_grade"),
    ("exam_subject", "SELECT * FROM t.exam_subject"),
    # mark's id is generated (not a stored column), so its stored columns are named; its integer keys
    # are this database's own (main's <kind>_number tables come first in SQLite's name lookup).
    ("mark", f"({MARK_STORED_COLUMNS}, {', '.join(number_column(c) for c, _ in MARK_KEYS)})"
             f" SELECT {MARK_STORED_COLUMNS}, {', '.join(number_of(kind, 'm.' + c) for c, kind in MARK_KEYS)}"
             " FROM t.mark m WHERE school_id = ?1"),
    ("teaching_assignment", "SELECT * FROM t.teaching_assignment WHERE school_id = ?1"),
    ("timetable_period", "SELECT * FROM t.timetable_period WHERE school_id = ?1"),
    ("timetable_slot", "SELECT * FROM t.timetable_slot WHERE school_id = ?1"),
    ("lesson_observation", "SELECT * FROM t.lesson_observation WHERE school_id = ?1"),
    ("routine_check", "SELECT * FROM t.routine_check WHERE school_id = ?1"),
    ("tutoring", "SELECT * FROM t.tutoring WHERE school_id = ?1"),
    ("tutoring_pupil", "SELECT * FROM t.tutoring_pupil WHERE school_id = ?1"),
    ("tutoring_plan", "SELECT * FROM t.tutoring_plan WHERE school_id = ?1"),
    ("pupil_difficulty", "SELECT * FROM t.pupil_difficulty WHERE school_id = ?1"),
]


def _write_school_dbs(db: Database, folder: Path, report: Progress, written: list[Path]) -> None:
    """Write each school's own database into `folder`, appending each path to `written` as soon as
    its file exists (so that a failure can remove every partial one)."""
    folder.mkdir(parents=True, exist_ok=True)
    school_rows = list(db.query("SELECT code, name FROM school ORDER BY code"))
    for index, school in enumerate(school_rows):
        report(0.85 + 0.1 * index / len(school_rows), f"写出学校数据库 {school['name']}")
        write_school_db(db, school["code"], folder / f"{school['code']}.sqlite", written)


def write_school_db(db: Database, code: str, target: Path, written: list[Path] | None = None) -> Path:
    """Write the demo school `code`'s own database (passphrase demo) to `target`, sharing the rows'
    ids with `db`, and return its path; `written` gets the path as soon as the file exists. Raises
    NotFound for an unknown code, OSError."""
    source = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
    school = dict(school_by_code(db, code))
    township = dict(next(iter(db.query("SELECT * FROM township ORDER BY id = ? DESC, code LIMIT 1",
                                       [school["township_id"]]))))
    own = setup.init_school(target, code=school["code"], name=school["name"], type=school["type"],
                            passphrase=DEMO_PASSPHRASE, township_code=township["code"],
                            township_name=township["name"], today=DEMO_TODAY, demo=True)
    if written is not None:
        written.append(target)
    try:
        schools.ensure_term(own, SYSTEM, PREVIOUS_YEAR, 2)
        own.execute("ATTACH DATABASE ? AS t", [str(source)])
        with own.atomic():
            for table, sql in _SCHOOL_COPY:
                before = own.execute(f"SELECT COUNT(*) FROM main.[{table}]").fetchone()[0]
                own.execute(f"INSERT INTO main.[{table}] {sql}", [school["id"]] if "?1" in sql else [])
                added = own.execute(f"SELECT COUNT(*) FROM main.[{table}]").fetchone()[0] - before
                audit(own, SYSTEM, "bulk", table, None, None, {"rows": added}, school["id"],
                      "演示数据:自乡镇数据库复制")
        own.execute("DETACH DATABASE t")
    finally:
        own.close()
    return target
