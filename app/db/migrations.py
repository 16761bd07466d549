"""The ordered list of schema migrations. Append only: never edit one that has shipped.

New migrations go at the end of app/db/later_migrations.py (imported at the end of this file),
decorated with @migration, named mNNN_what.

The list is the order of the decorated functions in this file, not of their names: m001, m003,
m002, m004 … is frozen that way, because databases in the field applied m003 before m002 and record
the names in that order (applied_migrations); swapping them now would make those databases look
unknown to the program. The number in a name is only a label.

Every table that travels between sites has a TEXT uuid primary key `id`, `created_at` and
`updated_at` (UTC ISO 8601). Rows that belong to a school carry `school_id`, so one schema serves
a school's own database and a township database holding many schools.
"""
from __future__ import annotations

import importlib

from sqlite_utils import Database, Migrations

MIGRATION_SET = "schoolq"
migrations = Migrations(MIGRATION_SET)
_NAMES: list[str] = []


def migration(fn):
    """Register `fn` as the next migration of the ordered list."""
    _NAMES.append(fn.__name__)
    return migrations()(fn)


def known_migration_names() -> list[str]:
    """Return the names of every migration this program knows, in order."""
    return list(_NAMES)


def program_schema_version() -> int:
    """Return the schema version this program writes: the number of migrations it knows."""
    return len(_NAMES)

_STAMPS = "created_at TEXT NOT NULL, updated_at TEXT NOT NULL"

_V1 = [
    # Key/value facts about this database: its kind (school / township / county) and owner.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE TABLE township (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, county TEXT,
        {_STAMPS})""",
    f"""CREATE TABLE school (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('中心校本部', '完小', '教学点')),
        township_id TEXT REFERENCES township(id),
        address TEXT, daily_max_periods INTEGER NOT NULL DEFAULT 6,
        {_STAMPS})""",
    f"""CREATE TABLE app_user (
        id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('township_admin', 'school_admin', 'academic', 'teacher')),
        school_id TEXT REFERENCES school(id), teacher_id TEXT REFERENCES teacher(id),
        passphrase_hash TEXT, active INTEGER NOT NULL DEFAULT 1,
        {_STAMPS})""",
    f"""CREATE TABLE school_key (
        id TEXT PRIMARY KEY, school_id TEXT REFERENCES school(id), township_id TEXT REFERENCES township(id),
        public_pem TEXT NOT NULL, private_pem_encrypted TEXT,
        fingerprint TEXT NOT NULL, registered INTEGER NOT NULL DEFAULT 0,
        {_STAMPS})""",
    f"""CREATE TABLE academic_year (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, start_date TEXT NOT NULL, end_date TEXT NOT NULL,
        {_STAMPS})""",
    f"""CREATE TABLE term (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE,
        academic_year_id TEXT NOT NULL REFERENCES academic_year(id),
        seq INTEGER NOT NULL CHECK (seq IN (1, 2)), name TEXT NOT NULL,
        start_date TEXT NOT NULL, end_date TEXT NOT NULL,
        {_STAMPS})""",
    f"""CREATE TABLE subject (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
        aliases TEXT NOT NULL DEFAULT '',
        tested INTEGER NOT NULL DEFAULT 0,
        assessment TEXT NOT NULL DEFAULT '考试' CHECK (assessment IN ('考试', '考核', '考察')),
        is_main INTEGER NOT NULL DEFAULT 0, sort_order INTEGER NOT NULL DEFAULT 0,
        school_id TEXT REFERENCES school(id),
        {_STAMPS})""",
    f"""CREATE TABLE teacher (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        staff_no TEXT NOT NULL, name TEXT NOT NULL,
        gender TEXT NOT NULL CHECK (gender IN ('男', '女')),
        birth_date TEXT, hire_date TEXT, phone TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        {_STAMPS},
        UNIQUE (school_id, staff_no))""",
    """CREATE TABLE teacher_subject (
        teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE,
        subject_id TEXT NOT NULL REFERENCES subject(id),
        PRIMARY KEY (teacher_id, subject_id))""",
    """CREATE TABLE teacher_role (
        teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('校长', '副校长', '教导主任', '中层', '教研组长', '年级组长', '班主任')),
        PRIMARY KEY (teacher_id, role))""",
    """CREATE TABLE teacher_title (
        teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE,
        title TEXT NOT NULL CHECK (title IN ('骨干', '学科带头人')),
        PRIMARY KEY (teacher_id, title))""",
    # The other schools a 走教 teacher serves besides the home school.
    """CREATE TABLE teacher_site (
        teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE,
        school_id TEXT NOT NULL REFERENCES school(id),
        PRIMARY KEY (teacher_id, school_id))""",
    f"""CREATE TABLE class (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        academic_year_id TEXT NOT NULL REFERENCES academic_year(id),
        name TEXT NOT NULL, number INTEGER NOT NULL DEFAULT 1,
        head_teacher_id TEXT REFERENCES teacher(id) ON DELETE SET NULL,
        {_STAMPS},
        UNIQUE (school_id, academic_year_id, name))""",
    # A 复式 class holds two or three grades; an ordinary class holds one.
    """CREATE TABLE class_grade (
        class_id TEXT NOT NULL REFERENCES class(id) ON DELETE CASCADE,
        grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        PRIMARY KEY (class_id, grade))""",
    f"""CREATE TABLE pupil (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        student_no TEXT NOT NULL, name TEXT NOT NULL,
        gender TEXT NOT NULL CHECK (gender IN ('男', '女')),
        birth_date TEXT, id_number TEXT,
        class_id TEXT REFERENCES class(id),
        grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        boarding INTEGER NOT NULL DEFAULT 0, left_behind INTEGER NOT NULL DEFAULT 0,
        migrant INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0,
        pe_exempt INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT '在读' CHECK (status IN ('在读', '转入', '转出', '休学', '流失')),
        status_date TEXT, enrol_date TEXT,
        {_STAMPS},
        UNIQUE (school_id, student_no))""",
    f"""CREATE TABLE pupil_status_change (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        pupil_id TEXT NOT NULL REFERENCES pupil(id) ON DELETE CASCADE,
        status TEXT NOT NULL, date TEXT NOT NULL, note TEXT,
        {_STAMPS})""",
    f"""CREATE TABLE exam (
        id TEXT PRIMARY KEY, school_id TEXT REFERENCES school(id), township_id TEXT REFERENCES township(id),
        name TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('单元', '月考', '期中', '期末', '统考', '抽测', '毕业考')),
        scope TEXT NOT NULL CHECK (scope IN ('校', '乡', '县')),
        term_id TEXT NOT NULL REFERENCES term(id), date TEXT,
        policy TEXT NOT NULL DEFAULT 'sat' CHECK (policy IN ('sat', 'roster')),
        {_STAMPS})""",
    """CREATE TABLE exam_grade (
        exam_id TEXT NOT NULL REFERENCES exam(id) ON DELETE CASCADE,
        grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        PRIMARY KEY (exam_id, grade))""",
    # grades: the grades this subject is examined in (comma list); NULL means every grade of the exam.
    f"""CREATE TABLE exam_subject (
        id TEXT PRIMARY KEY, exam_id TEXT NOT NULL REFERENCES exam(id) ON DELETE CASCADE,
        subject_id TEXT NOT NULL REFERENCES subject(id),
        full_marks REAL NOT NULL DEFAULT 100 CHECK (full_marks > 0),
        grades TEXT,
        excellent_pct REAL NOT NULL DEFAULT 85, pass_pct REAL NOT NULL DEFAULT 60,
        low_pct REAL NOT NULL DEFAULT 40,
        {_STAMPS},
        UNIQUE (exam_id, subject_id))""",
    # class_id and grade are the pupil's at the time of the exam, so last year's marks stay with last year's class.
    f"""CREATE TABLE mark (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        exam_id TEXT NOT NULL REFERENCES exam(id) ON DELETE CASCADE,
        pupil_id TEXT NOT NULL REFERENCES pupil(id) ON DELETE CASCADE,
        subject_id TEXT NOT NULL REFERENCES subject(id),
        class_id TEXT REFERENCES class(id), grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        score REAL,
        status TEXT NOT NULL DEFAULT '正常' CHECK (status IN ('正常', '缺考', '免考', '作弊')),
        {_STAMPS},
        CHECK ((status = '正常') = (score IS NOT NULL)),
        UNIQUE (exam_id, pupil_id, subject_id))""",
    f"""CREATE TABLE teaching_assignment (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        teacher_id TEXT NOT NULL REFERENCES teacher(id),
        class_id TEXT NOT NULL REFERENCES class(id) ON DELETE CASCADE,
        subject_id TEXT NOT NULL REFERENCES subject(id),
        weekly_periods REAL NOT NULL CHECK (weekly_periods >= 0),
        {_STAMPS},
        UNIQUE (term_id, class_id, subject_id))""",
    # The school's daily slot plan: what kind each slot is, and how long.
    f"""CREATE TABLE timetable_period (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        slot INTEGER NOT NULL, label TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('lesson', '早读', '大课间', '午休', '自习', '课外活动')),
        start_time TEXT, minutes INTEGER NOT NULL,
        {_STAMPS},
        UNIQUE (school_id, term_id, slot))""",
    f"""CREATE TABLE timetable_slot (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        class_id TEXT NOT NULL REFERENCES class(id) ON DELETE CASCADE,
        day INTEGER NOT NULL CHECK (day BETWEEN 1 AND 7), slot INTEGER NOT NULL,
        subject_id TEXT REFERENCES subject(id), teacher_id TEXT REFERENCES teacher(id),
        room TEXT,
        {_STAMPS},
        UNIQUE (term_id, class_id, day, slot))""",
    f"""CREATE TABLE lesson_observation (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        observer_id TEXT NOT NULL REFERENCES teacher(id),
        teacher_id TEXT NOT NULL REFERENCES teacher(id),
        class_id TEXT REFERENCES class(id), subject_id TEXT REFERENCES subject(id),
        date TEXT NOT NULL, form_id TEXT, ratings TEXT NOT NULL DEFAULT '{{}}', score REAL, notes TEXT,
        {_STAMPS})""",
    f"""CREATE TABLE routine_check (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        teacher_id TEXT NOT NULL REFERENCES teacher(id), checker_id TEXT REFERENCES teacher(id),
        date TEXT NOT NULL,
        link TEXT NOT NULL CHECK (link IN ('备', '讲', '批', '辅', '考', '思', '研')),
        sheet_id TEXT, scores TEXT NOT NULL DEFAULT '{{}}', total REAL, notes TEXT,
        {_STAMPS})""",
    f"""CREATE TABLE quality_target (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        grade INTEGER CHECK (grade BETWEEN 1 AND 9), subject_id TEXT REFERENCES subject(id),
        metric TEXT NOT NULL CHECK (metric IN ('mean', 'pass_rate', 'excellent_rate', 'low_rate', 'composite')),
        target REAL NOT NULL, note TEXT,
        {_STAMPS})""",
    """CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
        user_id TEXT, username TEXT NOT NULL, school_id TEXT,
        action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete', 'bulk')),
        table_name TEXT NOT NULL, row_id TEXT, old_value TEXT, new_value TEXT, note TEXT)""",
    "CREATE INDEX idx_pupil_class ON pupil(class_id)",
    "CREATE INDEX idx_pupil_student_no ON pupil(student_no)",
    "CREATE INDEX idx_teacher_school ON teacher(school_id)",
    "CREATE INDEX idx_class_school ON class(school_id, academic_year_id)",
    "CREATE INDEX idx_mark_pupil ON mark(pupil_id)",
    "CREATE INDEX idx_mark_exam_subject ON mark(exam_id, subject_id)",
    "CREATE INDEX idx_assignment_teacher ON teaching_assignment(teacher_id)",
    "CREATE INDEX idx_slot_teacher ON timetable_slot(teacher_id, day, slot)",
    "CREATE INDEX idx_audit_table_row ON audit_log(table_name, row_id)",
]


@migration
def m001_initial_schema(db: Database) -> None:
    for statement in _V1:
        db.execute(statement)


_M003 = [
    # A school's own copy of a curriculum plan (开齐开足): one plan in force per school. Schools
    # without a copy are checked against the shipped preset.
    f"""CREATE TABLE curriculum_plan (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL UNIQUE REFERENCES school(id),
        name TEXT NOT NULL, preset_id TEXT, preset_version INTEGER, preset_hash TEXT, source TEXT,
        {_STAMPS})""",
    # One line of the plan: a subject, or subjects counted together (语文 with 书法, 艺术 = 音乐 + 美术);
    # subjects is a comma list of subject codes, tested marks a 统考 line.
    f"""CREATE TABLE curriculum_item (
        id TEXT PRIMARY KEY, plan_id TEXT NOT NULL REFERENCES curriculum_plan(id) ON DELETE CASCADE,
        school_id TEXT NOT NULL REFERENCES school(id),
        name TEXT NOT NULL, subjects TEXT NOT NULL, tested INTEGER NOT NULL DEFAULT 0,
        sort_order INTEGER NOT NULL DEFAULT 0, note TEXT,
        {_STAMPS},
        UNIQUE (plan_id, name))""",
    # Weekly periods of one line in one grade; a range where the provincial table gives one (4-5).
    f"""CREATE TABLE curriculum_hours (
        id TEXT PRIMARY KEY, item_id TEXT NOT NULL REFERENCES curriculum_item(id) ON DELETE CASCADE,
        school_id TEXT NOT NULL REFERENCES school(id),
        grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        min_periods REAL NOT NULL CHECK (min_periods >= 0), max_periods REAL NOT NULL,
        {_STAMPS},
        CHECK (max_periods >= min_periods),
        UNIQUE (item_id, grade))""",
    # Travel time between two sites for 走教 teachers (stored once per pair, school_a < school_b);
    # pairs without a row use the default of the timetable rules preset.
    f"""CREATE TABLE site_travel (
        id TEXT PRIMARY KEY, school_a TEXT NOT NULL REFERENCES school(id),
        school_b TEXT NOT NULL REFERENCES school(id),
        minutes INTEGER NOT NULL CHECK (minutes BETWEEN 0 AND 600),
        {_STAMPS},
        CHECK (school_a < school_b),
        UNIQUE (school_a, school_b))""",
    # A configured copy of a shipped preset (timetable rules, workload weights and standards,
    # observation forms and quotas, routine scoring sheets): for one school, or for the whole
    # database when school_id is NULL. content is the JSON of the preset as adjusted.
    f"""CREATE TABLE preset_setting (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('timetable', 'workload', 'observation', 'routine')),
        school_id TEXT REFERENCES school(id),
        preset_id TEXT NOT NULL, version INTEGER NOT NULL, content TEXT NOT NULL, content_hash TEXT NOT NULL,
        {_STAMPS})""",
    "CREATE UNIQUE INDEX idx_preset_setting_scope ON preset_setting(kind, IFNULL(school_id, ''))",
    "CREATE INDEX idx_curriculum_item_plan ON curriculum_item(plan_id)",
    "CREATE INDEX idx_slot_school_term ON timetable_slot(school_id, term_id)",
    "CREATE INDEX idx_observation_observer ON lesson_observation(term_id, observer_id)",
    "CREATE INDEX idx_routine_teacher ON routine_check(term_id, teacher_id)",
]


# m003 before m002: the order databases in the field applied them in (see the top of this file).
@migration
def m003_timetable_plans_workload_routine(db: Database) -> None:
    for statement in _M003:
        db.execute(statement)


@migration
def m002_exam_cutoffs_and_presets(db: Database) -> None:
    # Cut-offs of one exam subject for one grade, overriding exam_subject's (percent of full marks).
    db.execute(f"""CREATE TABLE exam_cutoff (
        id TEXT PRIMARY KEY, exam_id TEXT NOT NULL REFERENCES exam(id) ON DELETE CASCADE,
        subject_id TEXT NOT NULL REFERENCES subject(id),
        grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        excellent_pct REAL NOT NULL, pass_pct REAL NOT NULL, low_pct REAL NOT NULL,
        {_STAMPS},
        CHECK (0 <= low_pct AND low_pct <= pass_pct AND pass_pct < excellent_pct AND excellent_pct <= 100),
        UNIQUE (exam_id, subject_id, grade))""")
    # A scoring preset copied from a shipped one and edited here; content is canonical JSON and
    # content_hash its sha256, so every result can name exactly which numbers produced it.
    db.execute(f"""CREATE TABLE scoring_preset (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
        based_on TEXT NOT NULL, based_on_hash TEXT NOT NULL,
        content TEXT NOT NULL, content_hash TEXT NOT NULL,
        {_STAMPS},
        UNIQUE (name))""")
    # Covers the statistics query (app/stats/frame.py), so an exam's marks are read from the index
    # in group order without touching the wide mark rows.
    db.execute("CREATE INDEX idx_mark_stats ON mark(exam_id, school_id, class_id, grade, subject_id, status, score)")


_M004 = [
    # Public keys this database trusts: at a township its schools' keys, at a county its townships',
    # at a school its township's (for config packages). One active key per (level, code).
    f"""CREATE TABLE trusted_key (
        id TEXT PRIMARY KEY, level TEXT NOT NULL CHECK (level IN ('school', 'township')),
        code TEXT NOT NULL, public_pem TEXT NOT NULL, fingerprint TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        {_STAMPS})""",
    "CREATE UNIQUE INDEX idx_trusted_key_active ON trusted_key(level, code) WHERE active = 1",
    # Every package this database exported. The sequence is reserved (committed) before the file is
    # written, so a number is never used twice even when writing fails half-way.
    f"""CREATE TABLE package_export (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('data', 'config')),
        sequence INTEGER NOT NULL CHECK (sequence >= 1), term_code TEXT NOT NULL, file_name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('reserved', 'written')),
        size INTEGER, manifest_sha256 TEXT, key_fingerprint TEXT, username TEXT NOT NULL,
        {_STAMPS},
        UNIQUE (kind, sequence))""",
    # Every package accepted here, with a summary (JSON) of what it changed.
    f"""CREATE TABLE package_import (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('data', 'config')),
        sender_level TEXT NOT NULL, sender_code TEXT NOT NULL, sender_name TEXT NOT NULL,
        school_id TEXT, township_id TEXT,
        term_code TEXT NOT NULL, sequence INTEGER NOT NULL, package_created_at TEXT NOT NULL,
        file_name TEXT NOT NULL, manifest_sha256 TEXT NOT NULL, key_fingerprint TEXT NOT NULL,
        changes TEXT NOT NULL DEFAULT '{{}}', username TEXT NOT NULL,
        {_STAMPS},
        UNIQUE (kind, sender_level, sender_code, sequence))""",
]


@migration
def m004_package_keys_and_logs(db: Database) -> None:
    for statement in _M004:
        db.execute(statement)


# A mark is identified everywhere by what it is: one pupil's mark in one subject of one exam, all
# three stable ids. Its `id` is now that triple as text (generated, never stored), so a mark has
# the same id at the school, the township and the county without a random uuid and the index one
# needs: writing a county's half a million marks went from 17.4 s to 11.5 s with SQLite alone.
# idx_mark_id (unique) stands for the old UNIQUE (exam_id, pupil_id, subject_id), and
# idx_mark_stats (exam_id first) for the dropped idx_mark_exam_subject.
MARK_ID_SQL = "exam_id || '/' || pupil_id || '/' || subject_id"
MARK_STORED_COLUMNS = "school_id, exam_id, pupil_id, subject_id, class_id, grade, score, status, created_at, updated_at"
_M005 = [
    f"""CREATE TABLE mark_new (
        id TEXT GENERATED ALWAYS AS ({MARK_ID_SQL}) VIRTUAL,
        school_id TEXT NOT NULL REFERENCES school(id),
        exam_id TEXT NOT NULL REFERENCES exam(id) ON DELETE CASCADE,
        pupil_id TEXT NOT NULL REFERENCES pupil(id) ON DELETE CASCADE,
        subject_id TEXT NOT NULL REFERENCES subject(id),
        class_id TEXT REFERENCES class(id), grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        score REAL,
        status TEXT NOT NULL DEFAULT '正常' CHECK (status IN ('正常', '缺考', '免考', '作弊')),
        {_STAMPS},
        CHECK ((status = '正常') = (score IS NOT NULL)))""",
    f"INSERT INTO mark_new ({MARK_STORED_COLUMNS}) SELECT {MARK_STORED_COLUMNS} FROM mark ORDER BY exam_id, pupil_id, subject_id",
    # The audit trail keeps following each mark: entries that named the old uuid name the new id,
    # found through the mark itself or, for a deleted mark, through the row the entry recorded.
    """UPDATE audit_log SET row_id = COALESCE(
        (SELECT n.id FROM mark o JOIN mark_new n ON n.exam_id = o.exam_id AND n.pupil_id = o.pupil_id
          AND n.subject_id = o.subject_id WHERE o.id = audit_log.row_id),
        (SELECT json_extract(v, '$.exam_id') || '/' || json_extract(v, '$.pupil_id') || '/'
          || json_extract(v, '$.subject_id') FROM (SELECT COALESCE(old_value, new_value) AS v)
          WHERE json_valid(v) AND json_extract(v, '$.exam_id') IS NOT NULL),
        row_id)
       WHERE table_name = 'mark' AND row_id IS NOT NULL""",
    "DROP TABLE mark",
    "ALTER TABLE mark_new RENAME TO mark",
    "CREATE UNIQUE INDEX idx_mark_id ON mark(id)",
    "CREATE INDEX idx_mark_pupil ON mark(pupil_id)",
    "CREATE INDEX idx_mark_stats ON mark(exam_id, school_id, class_id, grade, subject_id, status, score)",
]


@migration
def m005_mark_identified_by_exam_pupil_subject(db: Database) -> None:
    for statement in _M005:
        db.execute(statement)


# Marks are indexed by small integers instead of their text ids. Each table a mark refers to gets a
# <kind>_number table giving every row a stable integer `no` (filled by a trigger as rows are added,
# deleted with the row), and a mark stores those numbers beside the ids. The three indexes of the
# mark table hold small numbers instead of 36-character uuids: importing a county's half a million
# marks went from 10.7 s to 6.8 s, and the county file from 621 MB to 346 MB. The text ids stay in
# the row for everything that reads marks; the numbers are for finding them (app.db.keys). The
# foreign keys (and their cascades) now go through the numbers; app.db.writes writes the numbers
# with the ids.
MARK_KEYS = (("school_id", "school"), ("exam_id", "exam"), ("pupil_id", "pupil"), ("subject_id", "subject"),
             ("class_id", "class"))
_KEY_REFERENCES = {"school": "", "exam": " ON DELETE CASCADE", "pupil": " ON DELETE CASCADE", "subject": "",
                   "class": ""}


def _m006_statements() -> list[str]:
    out = []
    for _, kind in MARK_KEYS:
        out += [
            f"""CREATE TABLE {kind}_number (
                no INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE REFERENCES {kind}(id) ON DELETE CASCADE)""",
            f"INSERT INTO {kind}_number (id) SELECT id FROM {kind} ORDER BY rowid",
            f"""CREATE TRIGGER {kind}_number_on_insert AFTER INSERT ON {kind}
                BEGIN INSERT INTO {kind}_number (id) VALUES (NEW.id); END""",
        ]
    numbers = ",\n        ".join(
        f"{column[:-3]}_no INTEGER{'' if kind == 'class' else ' NOT NULL'} REFERENCES {kind}_number(no)"
        f"{_KEY_REFERENCES[kind]}" for column, kind in MARK_KEYS)
    out += [
        f"""CREATE TABLE mark_new (
        id TEXT GENERATED ALWAYS AS ({MARK_ID_SQL}) VIRTUAL,
        school_id TEXT NOT NULL, exam_id TEXT NOT NULL, pupil_id TEXT NOT NULL, subject_id TEXT NOT NULL,
        class_id TEXT, grade INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 9),
        score REAL,
        status TEXT NOT NULL DEFAULT '正常' CHECK (status IN ('正常', '缺考', '免考', '作弊')),
        {_STAMPS},
        {numbers},
        CHECK ((status = '正常') = (score IS NOT NULL)),
        CHECK ((class_id IS NULL) = (class_no IS NULL)))""",
        f"INSERT INTO mark_new ({MARK_STORED_COLUMNS}, {', '.join(c[:-3] + '_no' for c, _ in MARK_KEYS)})"
        f" SELECT {', '.join('m.' + c for c in MARK_STORED_COLUMNS.split(', '))}, "
        + ", ".join(f"(SELECT no FROM {kind}_number WHERE id = m.{column})" for column, kind in MARK_KEYS)
        + " FROM mark m ORDER BY m.exam_id, m.school_id, m.class_id, m.pupil_id, m.subject_id",
        "DROP TABLE mark",
        "ALTER TABLE mark_new RENAME TO mark",
        "CREATE UNIQUE INDEX idx_mark_key ON mark(exam_no, pupil_no, subject_no)",
        "CREATE INDEX idx_mark_pupil ON mark(pupil_no)",
        "CREATE INDEX idx_mark_stats ON mark(exam_no, school_no, class_no, grade, subject_no, status, score)",
    ]
    return out


@migration
def m006_marks_indexed_by_integer_keys(db: Database) -> None:
    for statement in _m006_statements():
        db.execute(statement)


@migration
def m007_timetable_generation_inputs(db: Database) -> None:
    # A lesson the user placed by hand and wants kept when the timetable is generated again.
    db.execute("ALTER TABLE timetable_slot ADD COLUMN locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1))")
    # A teacher who cannot teach at a time (a whole day when slot is NULL); slots are numbered as
    # in the daily slot plan of the teacher's own school.
    db.execute(f"""CREATE TABLE teacher_unavailable (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE,
        day INTEGER NOT NULL CHECK (day BETWEEN 1 AND 7), slot INTEGER,
        reason TEXT,
        {_STAMPS},
        UNIQUE (term_id, teacher_id, day, slot))""")
    # A school event on one day at one slot (升旗, 集会: no lessons; or 班会: every class has that
    # subject there).
    db.execute(f"""CREATE TABLE timetable_fixed (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        day INTEGER NOT NULL CHECK (day BETWEEN 1 AND 7), slot INTEGER NOT NULL,
        label TEXT NOT NULL, subject_id TEXT REFERENCES subject(id),
        {_STAMPS},
        UNIQUE (school_id, term_id, day, slot))""")


@migration
def m008_graded_exam_subjects(db: Database) -> None:
    # An exam subject is assessed by score (分数) or by grade (等级, app.stats.graded): a graded
    # subject's levels, best first ("A/B/C"); its marks store the level's position (1 = best) as
    # the score and its full marks are the number of levels.
    db.execute("ALTER TABLE exam_subject ADD COLUMN assessment TEXT NOT NULL DEFAULT '分数'"
               " CHECK (assessment IN ('分数', '等级'))")
    db.execute("ALTER TABLE exam_subject ADD COLUMN levels TEXT")


# Accounts remember failed log-ins (each one makes the next try wait longer) and can be locked by
# their administrator; a locked account cannot log in until it is unlocked. The signing key keeps a
# second encrypted copy under the recovery code printed at set-up (app.services.keys).
_M009 = [
    "ALTER TABLE school_key ADD COLUMN private_recovery_encrypted TEXT",
    "ALTER TABLE app_user ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE app_user ADD COLUMN last_failed_at TEXT",
    "ALTER TABLE app_user ADD COLUMN locked INTEGER NOT NULL DEFAULT 0",
]


@migration
def m009_account_lockout(db: Database) -> None:
    for statement in _M009:
        db.execute(statement)


# One preset store (app.preset_store): scoring_preset holds the named copies of every kind of
# preset (scoring kinds and the rule sets timetable, workload, observation, routine), each with a
# version that grows with every change; `origin` is the code of the township whose config package
# brought a copy or a rule set in force (NULL: made in this database).
_M010 = [
    "ALTER TABLE scoring_preset ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE scoring_preset ADD COLUMN origin TEXT",
    "ALTER TABLE preset_setting ADD COLUMN origin TEXT",
]


@migration
def m010_preset_versions_and_origin(db: Database) -> None:
    for statement in _M010:
        db.execute(statement)


# Quality targets (app.services.targets) also name a 进步值 (progress) or a place among the schools
# (rank; lower is better, like low_rate): SQLite cannot widen a CHECK, so the table is rebuilt.
_M011 = [
    f"""CREATE TABLE quality_target_new (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        grade INTEGER CHECK (grade BETWEEN 1 AND 9), subject_id TEXT REFERENCES subject(id),
        metric TEXT NOT NULL CHECK (metric IN ('mean', 'pass_rate', 'excellent_rate', 'low_rate', 'composite',
                                               'progress', 'rank')),
        target REAL NOT NULL, note TEXT,
        {_STAMPS})""",
    "INSERT INTO quality_target_new SELECT id, school_id, term_id, grade, subject_id, metric, target, note,"
    " created_at, updated_at FROM quality_target",
    "DROP TABLE quality_target",
    "ALTER TABLE quality_target_new RENAME TO quality_target",
    "CREATE INDEX idx_quality_target_school_term ON quality_target(school_id, term_id)",
]


@migration
def m011_quality_target_progress_and_rank(db: Database) -> None:
    for statement in _M011:
        db.execute(statement)


# Pupil support (培优补差, 001 §27, 篇13, 002): a tutoring session of one teacher with one or more
# pupils; the 双困生 flag of a pupil for a term (learning difficulty with behaviour or family
# difficulty) with its reason and date; each teacher's tutoring list (帮扶名单) taken over from an
# exam's 临界生 / 学困生 (exam_id may name an earlier term's exam: not a foreign key). All travel.
_M012 = [
    f"""CREATE TABLE tutoring (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id), term_id TEXT NOT NULL REFERENCES term(id),
        teacher_id TEXT NOT NULL REFERENCES teacher(id), subject_id TEXT REFERENCES subject(id),
        date TEXT NOT NULL, minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 600),
        content TEXT NOT NULL, outcome TEXT, {_STAMPS})""",
    f"""CREATE TABLE tutoring_pupil (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id), term_id TEXT NOT NULL REFERENCES term(id),
        tutoring_id TEXT NOT NULL REFERENCES tutoring(id) ON DELETE CASCADE,
        pupil_id TEXT NOT NULL REFERENCES pupil(id) ON DELETE CASCADE, {_STAMPS}, UNIQUE (tutoring_id, pupil_id))""",
    f"""CREATE TABLE pupil_difficulty (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id), term_id TEXT NOT NULL REFERENCES term(id),
        pupil_id TEXT NOT NULL REFERENCES pupil(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('行为', '家庭', '行为和家庭')), reason TEXT NOT NULL, date TEXT NOT NULL,
        {_STAMPS}, UNIQUE (term_id, pupil_id))""",
    f"""CREATE TABLE tutoring_plan (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id), term_id TEXT NOT NULL REFERENCES term(id),
        teacher_id TEXT NOT NULL REFERENCES teacher(id), pupil_id TEXT NOT NULL REFERENCES pupil(id) ON DELETE CASCADE,
        subject_id TEXT NOT NULL REFERENCES subject(id),
        list TEXT NOT NULL CHECK (list IN ('临界生', '学困生')), exam_id TEXT NOT NULL, note TEXT,
        {_STAMPS}, UNIQUE (term_id, teacher_id, pupil_id, subject_id, list))""",
    "CREATE INDEX idx_tutoring_teacher ON tutoring(term_id, teacher_id)",
    "CREATE INDEX idx_tutoring_plan_teacher ON tutoring_plan(term_id, teacher_id)",
    "CREATE INDEX idx_tutoring_pupil_pupil ON tutoring_pupil(pupil_id)",
    "CREATE INDEX idx_tutoring_pupil_session ON tutoring_pupil(tutoring_id)",
    "CREATE INDEX idx_difficulty_school ON pupil_difficulty(school_id, term_id)",
]


@migration
def m012_pupil_support(db: Database) -> None:
    for statement in _M012:
        db.execute(statement)

importlib.import_module("app.db.later_migrations")  # m013 onwards, registered after all above
