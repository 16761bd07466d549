"""The database opens safely: fresh schema, upgrades with a copy aside, newer schema refused."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from sqlite_utils import Database

from app.db import migrations as mig
from app.db.database import open_database, schema_version
from app.errors import NotADatabase, SchemaTooNew
from app.services.setup import init_school


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_database_has_full_schema_wal_and_foreign_keys(tmp_path):
    db = init_school(tmp_path / "s.sqlite", code="S1", name="青山小学", type="完小", passphrase="demo", demo=True)
    assert schema_version(db) == mig.program_schema_version()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    for table in ("school", "pupil", "teacher", "class", "exam", "mark", "teaching_assignment", "timetable_slot",
                  "lesson_observation", "routine_check", "quality_target", "audit_log", "app_user"):
        assert table in db.table_names()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO pupil (id, school_id, student_no, name, gender, grade, created_at, updated_at)"
                   " VALUES ('p', 'no-such-school', 'G1', '张三', '男', 3, '', '')")


@pytest.fixture
def extra_migration():
    """Register a second migration for the duration of one test, as a future release would."""
    def m900_add_pupil_nickname(db):
        db.execute("ALTER TABLE pupil ADD COLUMN nickname TEXT")
    mig.migration(m900_add_pupil_nickname)
    yield
    mig.migrations._migrations.pop()
    mig._NAMES.pop()


def test_upgrade_copies_the_file_aside_and_keeps_data(demo_path, extra_migration):
    db = open_database(demo_path)
    assert "nickname" in db["pupil"].columns_dict
    assert db.execute("SELECT COUNT(*) FROM pupil").fetchone()[0] == 884
    db.close()
    backups = list(demo_path.parent.glob(f"township.v{mig.program_schema_version() - 1}-*.bak.sqlite"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("SELECT COUNT(*) FROM pupil").fetchone()[0] == 884
    assert "nickname" not in [r[1] for r in old.execute("PRAGMA table_info(pupil)")]


def test_newer_schema_is_refused_and_file_left_alone(demo_path):
    conn = sqlite3.connect(demo_path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('schoolq', 'm999_future', 'x')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = _digest(demo_path)
    with pytest.raises(SchemaTooNew) as caught:
        open_database(demo_path)
    assert "更新版本" in str(caught.value)
    assert _digest(demo_path) == before


def test_a_file_that_is_not_a_database_gets_one_sentence(tmp_path):
    bogus = tmp_path / "成绩.sqlite"
    bogus.write_text("这不是数据库" * 100, encoding="utf-8")
    with pytest.raises(NotADatabase) as caught:
        open_database(bogus)
    assert "不是本程序的数据库文件" in str(caught.value)


def test_an_empty_file_is_named_as_empty_not_as_missing(tmp_path):
    empty = tmp_path / "成绩.sqlite"
    empty.write_bytes(b"")  # a copy to the stick cut short
    with pytest.raises(NotADatabase) as caught:
        open_database(empty)
    assert "“成绩.sqlite”是空文件(0 字节)" in str(caught.value)
    assert empty.read_bytes() == b""  # left as it was, not made into a new database
    with pytest.raises(FileNotFoundError):
        open_database(tmp_path / "没有.sqlite")


def test_missing_file_is_not_created_silently(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_database(tmp_path / "missing.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()


STAMP = "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'"


def _old_school(path, stop_before: str) -> Database:
    """Return a school database at the schema before migration `stop_before`, holding a school, a
    school year with its first term, 语文 and 数学, and the midterm exam (ids S, Y, T, YW, SX, E)."""
    old = Database(path)
    mig.migrations.apply(old, stop_before=stop_before)
    for sql in ("INSERT INTO meta VALUES ('kind', 'school')",
                f"INSERT INTO school (id, code, name, type, created_at, updated_at) VALUES ('S', 'S1', '青山小学', '完小', {STAMP})",
                f"INSERT INTO academic_year VALUES ('Y', '2025-2026', '2025-09-01', '2026-08-31', {STAMP})",
                f"INSERT INTO term VALUES ('T', '2025-2026-1', 'Y', 1, '第一学期', '2025-09-01', '2026-01-31', {STAMP})",
                f"INSERT INTO subject (id, code, name, created_at, updated_at) VALUES ('YW', 'yw', '语文', {STAMP})",
                f"INSERT INTO subject (id, code, name, created_at, updated_at) VALUES ('SX', 'sx', '数学', {STAMP})",
                f"INSERT INTO exam (id, name, type, scope, term_id, created_at, updated_at)"
                f" VALUES ('E', '期中', '期中', '校', 'T', {STAMP})"):
        old.execute(sql)
    return old


def test_marks_from_version_4_keep_their_values_and_audit_trail(tmp_path):
    """A database written before marks were known by exam/pupil/subject: after the upgrade every mark
    is there with the same score, its id is the triple, and the audit entries that named the old
    random ids (an update, an insert, and a mark since deleted) name the new ones."""
    path = tmp_path / "old.sqlite"
    old = _old_school(path, "m005_mark_identified_by_exam_pupil_subject")
    for sql in (f"INSERT INTO pupil (id, school_id, student_no, name, gender, grade, created_at, updated_at)"
                f" VALUES ('P', 'S', 'G1', '张三', '男', 3, {STAMP})",
                f"INSERT INTO mark (id, school_id, exam_id, pupil_id, subject_id, grade, score, status, created_at,"
                f" updated_at) VALUES ('uuid-yw', 'S', 'E', 'P', 'YW', 3, 88.5, '正常', {STAMP})",
                f"INSERT INTO mark (id, school_id, exam_id, pupil_id, subject_id, grade, score, status, created_at,"
                f" updated_at) VALUES ('uuid-sx', 'S', 'E', 'P', 'SX', 3, NULL, '缺考', {STAMP})"):
        old.execute(sql)
    audit = ("INSERT INTO audit_log (at, username, action, table_name, row_id, old_value, new_value)"
             " VALUES ('2026-01-02', 'jiaowu', ?, 'mark', ?, ?, ?)")
    old.execute(audit, ["insert", "uuid-yw", None, '{"exam_id": "E", "pupil_id": "P", "subject_id": "YW"}'])
    old.execute(audit, ["update", "uuid-sx", '{"score": 70}', '{"score": null, "status": "缺考"}'])
    old.execute(audit, ["delete", "uuid-gone", '{"id": "uuid-gone", "exam_id": "E", "pupil_id": "P",'
                                               ' "subject_id": "KX", "score": 60}', None])
    old.conn.commit()
    old.close()

    db = open_database(path)
    assert sorted(db.execute("SELECT id, score, status FROM mark").fetchall()) == [
        ("E/P/SX", None, "缺考"), ("E/P/YW", 88.5, "正常")]
    assert db.execute("SELECT action, row_id FROM audit_log ORDER BY id").fetchall() == [
        ("insert", "E/P/YW"), ("update", "E/P/SX"), ("delete", "E/P/KX")]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(f"INSERT INTO mark (school_id, exam_id, pupil_id, subject_id, grade, score, status, created_at,"
                   f" updated_at) VALUES ('S', 'E', 'P', 'YW', 3, 90, '正常', {STAMP})")
    assert len(list(tmp_path.glob("old.v4-*.bak.sqlite"))) == 1


def keys_disagreeing(db) -> int:
    """Return how many marks have an integer key that names another row than their id does."""
    return db.execute(
        "SELECT COUNT(*) FROM mark m"
        " LEFT JOIN school_number s ON s.no = m.school_no LEFT JOIN exam_number e ON e.no = m.exam_no"
        " LEFT JOIN pupil_number p ON p.no = m.pupil_no LEFT JOIN subject_number j ON j.no = m.subject_no"
        " LEFT JOIN class_number c ON c.no = m.class_no"
        " WHERE s.id IS NOT m.school_id OR e.id IS NOT m.exam_id OR p.id IS NOT m.pupil_id"
        " OR j.id IS NOT m.subject_id OR c.id IS NOT m.class_id").fetchone()[0]


def test_marks_from_version_5_are_indexed_by_integer_keys_that_follow_their_rows(tmp_path):
    """After the upgrade every mark keeps its values and its id, and carries the numbers of its
    school, exam, pupil, subject and class; new rows get numbers, and deleting a pupil or an exam
    still takes its marks with it."""
    from app.db.writes import SYSTEM, delete_row, insert_row, update_row

    path = tmp_path / "v5.sqlite"
    old = _old_school(path, "m006_marks_indexed_by_integer_keys")
    for sql in (f"INSERT INTO class (id, school_id, academic_year_id, name, number, created_at, updated_at)"
                f" VALUES ('C', 'S', 'Y', '三(1)班', 1, {STAMP})",
                f"INSERT INTO pupil (id, school_id, student_no, name, gender, grade, created_at, updated_at)"
                f" VALUES ('P', 'S', 'G1', '张三', '男', 3, {STAMP})",
                f"INSERT INTO pupil (id, school_id, student_no, name, gender, grade, created_at, updated_at)"
                f" VALUES ('Q', 'S', 'G2', '李四', '女', 3, {STAMP})",
                f"INSERT INTO mark (school_id, exam_id, pupil_id, subject_id, class_id, grade, score, status,"
                f" created_at, updated_at) VALUES ('S', 'E', 'P', 'YW', 'C', 3, 88.5, '正常', {STAMP})",
                f"INSERT INTO mark (school_id, exam_id, pupil_id, subject_id, class_id, grade, score, status,"
                f" created_at, updated_at) VALUES ('S', 'E', 'Q', 'SX', NULL, 3, NULL, '缺考', {STAMP})"):
        old.execute(sql)
    old.conn.commit()
    old.close()

    db = open_database(path)
    assert sorted(db.execute("SELECT id, class_id, score, status FROM mark").fetchall()) == [
        ("E/P/YW", "C", 88.5, "正常"), ("E/Q/SX", None, None, "缺考")]
    assert keys_disagreeing(db) == 0
    assert len(list(tmp_path.glob("v5.v5-*.bak.sqlite"))) == 1
    with db.atomic():  # a new pupil is numbered as it is added; marks written by the program carry the numbers
        insert_row(db, SYSTEM, "pupil", {"id": "R", "school_id": "S", "student_no": "G3", "name": "王五",
                                         "gender": "男", "grade": 3})
        insert_row(db, SYSTEM, "mark", {"school_id": "S", "exam_id": "E", "pupil_id": "R", "subject_id": "YW",
                                        "class_id": None, "grade": 3, "score": 70.0, "status": "正常"})
        update_row(db, SYSTEM, "mark", "E/R/YW", {"class_id": "C", "score": 71.0})
    assert db.execute("SELECT class_id, score FROM mark WHERE id = 'E/R/YW'").fetchone() == ("C", 71.0)
    assert keys_disagreeing(db) == 0
    with pytest.raises(sqlite3.IntegrityError):  # still one mark per exam, pupil and subject
        insert_row(db, SYSTEM, "mark", {"school_id": "S", "exam_id": "E", "pupil_id": "R", "subject_id": "YW",
                                        "class_id": None, "grade": 3, "score": 50.0, "status": "正常"})
    with db.atomic():
        delete_row(db, SYSTEM, "pupil", "Q")  # takes Q's mark with it
    assert sorted(r[0] for r in db.execute("SELECT id FROM mark")) == ["E/P/YW", "E/R/YW"]
    with db.atomic():
        delete_row(db, SYSTEM, "exam", "E")
    assert db.execute("SELECT COUNT(*) FROM mark").fetchone()[0] == 0
    plan = " ".join(str(r[-1]) for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT school_no, class_no, grade, subject_no, COUNT(*) FROM mark"
        " WHERE exam_no = 1 GROUP BY school_no, class_no, grade, subject_no"))
    assert "COVERING INDEX idx_mark_stats" in plan  # the statistics read the index alone
    db.close()


def test_a_read_only_command_on_an_old_database_upgrades_it_and_says_where_the_copy_is(demo_path, extra_migration,
                                                                                       capsys):
    from app.cli import main

    assert main(["info", str(demo_path), "--json"]) == 0
    err = capsys.readouterr().err
    copy = next(demo_path.parent.glob("township.v*-*.bak.sqlite"))
    assert f"升级前的副本:{copy}" in err
    assert not list(demo_path.parent.glob("*.part"))
