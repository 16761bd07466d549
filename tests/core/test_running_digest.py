"""The audit digest a bulk write keeps as it goes (app.db.running_digest) is the one sealing would
have read back: checked against SQLite's own json_array and against the chain's digest recomputed
from the stored entries, also when a value, the trigger or the numbering rules the shortcut out."""
from __future__ import annotations

import pytest

from app.db import audit_chain
from app.db.running_digest import RunningDigest, _json
from app.db.writes import SYSTEM, BulkInsert
from app.services.exams import create_exam

COLUMNS = ("school_id", "pupil_id", "subject_id", "class_id", "grade", "score", "status")


@pytest.mark.parametrize("value", [0.0, 85.0, 92.5, 100.0, 149.5, 3, 0, None, "正常", "abc-123/4", "2026-09-01T08:00:00+00:00"])
def test_values_are_written_as_sqlite_writes_them(demo_db, value):
    assert f"[{_json(value)}]" == demo_db.execute("SELECT json_array(?)", [value]).fetchone()[0]


def test_every_printable_character_is_written_as_sqlite_writes_it(demo_db):
    text = "".join(chr(c) for c in range(0x20, 0x110000) if not 0xD800 <= c < 0xE000 and chr(c) not in '"\\')
    assert f"[{_json(text)}]" == demo_db.execute("SELECT json_array(?)", [text]).fetchone()[0]


@pytest.mark.parametrize("value", ['引号"', "反斜杠\\", "换行\n", 0.1 + 0.2, 1e20, float("nan"), -0.0, b"x", True])
def test_values_it_cannot_vouch_for_are_left_to_sqlite(value):
    assert _json(value) is None


def _write(db, rows) -> tuple[RunningDigest, str]:
    """Insert `rows` as new marks of a new exam in one sealed transaction kept by a RunningDigest;
    return it and the stored batch's digest."""
    exam = create_exam(db, SYSTEM, name="摸底", type="统考", grades="3,4", subjects="语文:100,数学:100")
    db.begin_write()
    running = RunningDigest(db)
    insert = BulkInsert(db, SYSTEM, "mark", COLUMNS, "测试", fixed={"exam_id": exam}, digest=running)
    insert.add(rows(exam))
    insert.done()
    db.commit_write(running)
    first, last, digest = db.execute("SELECT first, last, digest FROM audit_chain ORDER BY seq DESC LIMIT 1").fetchone()
    assert first == running.first and last >= first + 1
    assert digest == audit_chain._digest(db, first, last)  # what verify recomputes from the entries
    return running, digest


def _rows(db):
    pupils = db.execute("SELECT school_id, id, class_id, grade FROM pupil WHERE grade IN (3, 4)"
                        " AND class_id IS NOT NULL ORDER BY id LIMIT 50").fetchall()
    subjects = [r[0] for r in db.execute("SELECT id FROM subject WHERE name IN ('语文', '数学') ORDER BY name")]

    def rows(exam):
        for n, (school, pupil, klass, grade) in enumerate(pupils):
            for subject in subjects:
                missing = n % 7 == 0
                yield (school, pupil, subject, klass if n % 5 else None, grade,
                       None if missing else 60 + n % 40 + (0.5 if n % 3 else 0.0), "缺考" if missing else "正常")
    return rows


def test_plain_marks_are_digested_without_reading_them_back(demo_db, monkeypatch):
    monkeypatch.setattr("app.db.writes.BULK_ROWS", 30)
    running, _ = _write(demo_db, _rows(demo_db))
    assert running.shortcut_rows == 100


def test_an_altered_trigger_makes_it_read_the_entries(demo_db):
    sql = audit_chain.trigger_sql(demo_db, "mark")["audit_mark_insert"]
    demo_db.conn.execute("DROP TRIGGER audit_mark_insert")
    demo_db.conn.execute(sql.replace("BEGIN INSERT", "BEGIN  INSERT"))  # same effect, other text
    running, _ = _write(demo_db, _rows(demo_db))
    assert running.shortcut_rows == 0


@pytest.mark.parametrize("score", [60.1, -0.0, 85])  # 85 is stored, and recorded, as 85.0
def test_a_value_it_cannot_vouch_for_makes_it_read_that_statement(demo_db, monkeypatch, score):
    monkeypatch.setattr("app.db.writes.BULK_ROWS", 30)
    rows = _rows(demo_db)

    def odd(exam):
        for n, row in enumerate(rows(exam)):
            yield row[:5] + (score,) + row[6:] if n == 45 and row[6] == "正常" else row
    running, _ = _write(demo_db, odd)
    assert running.shortcut_rows == 70  # the statement holding row 45 was read back
