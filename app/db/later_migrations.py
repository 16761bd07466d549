"""Schema migrations from m013 on, after those of app.db.migrations (which imports this module at
its end, so these register after every migration there, in the order they are defined here).

Append only, as there: new migrations go at the end of this file, decorated with @migration.
"""
from __future__ import annotations

from sqlite_utils import Database

from app.db.migrations import _STAMPS, migration


@migration
def m013_township_age_recipient(db: Database) -> None:
    # A school keeps, with the township's trusted key, the township's age recipient from its config
    # package: every data package the school exports is encrypted to it (app.packages.sealing).
    db.execute("ALTER TABLE trusted_key ADD COLUMN age_recipient TEXT")


@migration
def m014_audit_signers(db: Database) -> None:
    # Each account's own key for signing the audit chain's head when its session closes (a teacher's
    # passphrase does not open the database's key): the private key encrypted under the account's
    # passphrase (retired when that changes), the public key certified by the database's key at the
    # next administrator's session (app.services.audit).
    db.execute(f"""CREATE TABLE audit_signer (
        id TEXT PRIMARY KEY, username TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
        public_raw TEXT NOT NULL, private_encrypted TEXT, cert TEXT, {_STAMPS})""")


# School records (issue 17, part 2): written homework per class, day and subject (minutes, entered by
# the 班主任); 家访 (home visits) by a teacher to a pupil's family; 集体备课 (group lesson preparation)
# sessions with their lead and attendees (a JSON list of teacher ids). Each belongs to the term of
# its date, so a school's package carries the term's rows like its observations and routine checks.
_M015 = [
    f"""CREATE TABLE homework_log (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        class_id TEXT NOT NULL REFERENCES class(id) ON DELETE CASCADE,
        date TEXT NOT NULL, subject_id TEXT NOT NULL REFERENCES subject(id),
        minutes INTEGER NOT NULL CHECK (minutes BETWEEN 0 AND 600), note TEXT,
        {_STAMPS},
        UNIQUE (class_id, date, subject_id))""",
    f"""CREATE TABLE home_visit (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        pupil_id TEXT NOT NULL REFERENCES pupil(id) ON DELETE CASCADE,
        teacher_id TEXT NOT NULL REFERENCES teacher(id),
        date TEXT NOT NULL, way TEXT NOT NULL CHECK (way IN ('上门', '电话', '视频', '到校面谈')), notes TEXT,
        {_STAMPS})""",
    f"""CREATE TABLE prep_session (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        term_id TEXT NOT NULL REFERENCES term(id),
        group_name TEXT NOT NULL, date TEXT NOT NULL,
        lead_id TEXT NOT NULL REFERENCES teacher(id), topic TEXT NOT NULL,
        attendee_ids TEXT NOT NULL DEFAULT '[]', notes TEXT,
        {_STAMPS})""",
    "CREATE INDEX idx_homework_school_term ON homework_log(school_id, term_id, date)",
    "CREATE INDEX idx_home_visit_term ON home_visit(school_id, term_id, teacher_id)",
    "CREATE INDEX idx_prep_session_term ON prep_session(school_id, term_id, date)",
]


@migration
def m015_school_records(db: Database) -> None:
    for statement in _M015:
        db.execute(statement)


# The records preset (homework limits, 家访 quotas, 集体备课, the parents' copy of a pupil's record)
# joins the rule sets a database may adjust (app.presets): SQLite cannot widen a CHECK, so
# preset_setting is rebuilt with 'records' among its kinds.
_M016 = [
    f"""CREATE TABLE preset_setting_new (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('timetable', 'workload', 'observation', 'routine', 'records')),
        school_id TEXT REFERENCES school(id),
        preset_id TEXT NOT NULL, version INTEGER NOT NULL, content TEXT NOT NULL, content_hash TEXT NOT NULL,
        {_STAMPS}, origin TEXT)""",
    "INSERT INTO preset_setting_new SELECT id, kind, school_id, preset_id, version, content, content_hash,"
    " created_at, updated_at, origin FROM preset_setting",
    "DROP TABLE preset_setting",
    "ALTER TABLE preset_setting_new RENAME TO preset_setting",
    "CREATE UNIQUE INDEX idx_preset_setting_scope ON preset_setting(kind, IFNULL(school_id, ''))",
]


@migration
def m016_records_preset_setting(db: Database) -> None:
    for statement in _M016:
        db.execute(statement)


# The filled item sheets of 000 篇20 (kind 'annual': the township's 年度绩效考核 values of a school) and
# 篇10 (kind 'evaluation': the 240-point items with the school's 自评 and the township's score), one
# per school and school year; content is the JSON of the checked values (app.services.scheme_sheets).
@migration
def m017_scheme_sheets(db: Database) -> None:
    db.execute(f"""CREATE TABLE scheme_sheet (
        id TEXT PRIMARY KEY, school_id TEXT NOT NULL REFERENCES school(id),
        academic_year_id TEXT NOT NULL REFERENCES academic_year(id),
        kind TEXT NOT NULL CHECK (kind IN ('annual', 'evaluation')), content TEXT NOT NULL,
        {_STAMPS},
        UNIQUE (school_id, academic_year_id, kind))""")


# The 360° survey scores of 000 篇11 per teacher and school year: one row per side of the survey
# (self 自评, peers 同事, leaders 领导, pupils 学生, parents 家长), 0-100 (app.services.appraisal_surveys).
@migration
def m018_appraisal_survey(db: Database) -> None:
    db.execute(f"""CREATE TABLE appraisal_survey (
        id TEXT PRIMARY KEY, teacher_id TEXT NOT NULL REFERENCES teacher(id) ON DELETE CASCADE,
        academic_year_id TEXT NOT NULL REFERENCES academic_year(id),
        rater TEXT NOT NULL CHECK (rater IN ('self', 'peers', 'leaders', 'pupils', 'parents')),
        score REAL NOT NULL CHECK (score BETWEEN 0 AND 100),
        {_STAMPS},
        UNIQUE (teacher_id, academic_year_id, rater))""")


@migration
def m019_teacher_targets(db: Database) -> None:
    # A quality target may be a teacher's (003 三(一): targets broken down to grades, subjects and teachers).
    db.execute("ALTER TABLE quality_target ADD COLUMN teacher_id TEXT REFERENCES teacher(id)")
