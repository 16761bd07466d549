"""What the tamper-evident record costs the bulk path: 100,000 marks written in one transaction as the
marks import writes them (app.db.writes.BulkInsert), with the record (triggers writing change_log, the
seal hashing the batch at commit) against the same insert with the mark table's triggers dropped — the
peer, measured in the same run on a copy of the same database. Also: how long `audit verify` takes on it.

Run: .venv/bin/python -m pytest -q -s tests/bench/bench_audit.py
Printed: wall times (best of RUNS), the ratio, the seal's share, peak resident memory. Not asserted.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from app.db import audit_chain
from app.db.database import open_database
from app.db.writes import SYSTEM, BulkInsert, new_ids
from app.services import setup
from app.services.audit import verify
from app.services.exams import create_exam

ROWS = 100_000
RUNS = 2
_COLUMNS = ("school_id", "exam_id", "pupil_id", "subject_id", "class_id", "grade", "score", "status")


def _school(folder: Path) -> tuple[Path, tuple[str, str, str, list[str]]]:
    path = folder / "school.sqlite"
    db = setup.init_school(path, code="S1", name="甲村小学", type="完小", passphrase="demo", demo=True)
    school = db.execute("SELECT id FROM school").fetchone()[0]
    exam = create_exam(db, SYSTEM, name="测验", type="单元", grades="3", subjects="语文", school="S1", scope="校")
    subject = db.execute("SELECT id FROM subject WHERE name = '语文'").fetchone()[0]
    pupils = new_ids(ROWS)
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO pupil (id, school_id, student_no, name, gender, grade, status, created_at, updated_at)"
            " VALUES (?, ?, ?, '学生', '男', 3, '在读', 'x', 'x')",
            [(pid, school, f"G{n:017d}") for n, pid in enumerate(pupils)])
    db.close()
    return path, (school, exam, subject, pupils)


def _insert(path: Path, ids, record: bool) -> tuple[float, float]:
    school, exam, subject, pupils = ids
    db = open_database(path)
    if not record:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                  " AND name LIKE 'audit_mark_%'").fetchall():
            db.conn.execute(f"DROP TRIGGER [{name}]")
    started = time.perf_counter()
    db.begin_write()
    insert = BulkInsert(db, SYSTEM, "mark", _COLUMNS, "bench")
    insert.add((school, exam, pid, subject, None, 3, 80.0, "正常") for pid in pupils)
    insert.done()
    written = time.perf_counter()
    db.commit_write()
    done = time.perf_counter()
    db.close()
    return done - started, done - written


def _peak_mb() -> float:
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024


def test_the_record_on_the_bulk_path(tmp_path):
    path, ids = _school(tmp_path)
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for run in range(RUNS):
        for record in (False, True):
            copy = tmp_path / f"run{run}-{record}.sqlite"
            shutil.copy(path, copy)
            results[record].append(_insert(copy, ids, record))
    plain, recorded = min(t for t, _ in results[False]), min(t for t, _ in results[True])
    seal = min(s for _, s in results[True])
    db = open_database(copy, readonly=True)
    started = time.perf_counter()
    findings = verify(db)
    verified = time.perf_counter() - started
    entries = audit_chain.max_seq(db)
    db.close()
    print(f"\n{ROWS:,} marks in one transaction (best of {RUNS}):")
    print(f"  without the record (mark triggers dropped): {plain:.2f} s   every run: "
          + ", ".join(f"{t:.2f}" for t, _ in results[False]))
    print(f"  with the record (triggers + seal):          {recorded:.2f} s   every run: "
          + ", ".join(f"{t:.2f}" for t, _ in results[True]))
    print(f"  ratio {recorded / plain:.2f}x; seal and commit {seal:.2f} s")
    print(f"  audit verify of the whole file ({entries:,} entries): {verified:.2f} s, findings: {len(findings)}")
    print(f"  peak resident memory {_peak_mb():.0f} MB")
