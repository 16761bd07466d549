"""What SQLCipher (sqlcipher3, SQLCipher 4 defaults: AES-256, PBKDF2-HMAC-SHA512 with 256,000
iterations on every open) would cost the live database, against plain SQLite measured in the same
run on the same rows: opening a connection (the key derived once per connection; the window opens one
per background thread), writing 100,000 marks in one transaction, and the aggregate a quality figure
runs over them (count, mean, 优秀/及格 per class and subject), read again from a fresh connection.
The README's 个人信息 section records the decision taken on these numbers.

Run: .venv/bin/python -m pytest -q -s tests/bench/bench_sqlcipher.py (skipped without sqlcipher3,
from the bench extra). Printed: wall times (best of RUNS), the ratios, file sizes, peak resident memory.
"""
from __future__ import annotations

import random
import resource
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

sqlcipher = pytest.importorskip("sqlcipher3.dbapi2")

ROWS = 100_000
RUNS = 2
KEY = "青山镇石门村小学2026"
SCHEMA = ("CREATE TABLE mark (id TEXT PRIMARY KEY, exam_id TEXT NOT NULL, pupil_id TEXT NOT NULL,"
          " subject_id TEXT NOT NULL, class_id TEXT NOT NULL, grade INTEGER, score REAL, status TEXT,"
          " created_at TEXT, updated_at TEXT)")
FIGURES = ("SELECT class_id, subject_id, COUNT(*), AVG(score), AVG(score >= 85), AVG(score >= 60) FROM mark"
           " WHERE status = '正常' GROUP BY class_id, subject_id")


def _rows() -> list[tuple]:
    rng = random.Random(1)
    classes = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(120)]
    subjects = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(9)]
    return [(str(uuid.UUID(int=rng.getrandbits(128))), "exam-1", f"pupil-{n // 9}", subjects[n % 9],
             classes[(n // 9) % 120], 3, round(rng.gauss(72, 14), 1), "正常", "2026-11-16T08:00:00Z",
             "2026-11-16T08:00:00Z") for n in range(ROWS)]


def _connect(path: Path, cipher: bool):
    conn = sqlcipher.connect(str(path)) if cipher else sqlite3.connect(path)
    if cipher:
        conn.execute(f"PRAGMA key = '{KEY}'")
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


def _run(folder: Path, cipher: bool, rows: list[tuple]) -> dict[str, float]:
    path = folder / ("cipher.sqlite" if cipher else "plain.sqlite")
    for stale in folder.glob(path.name + "*"):
        stale.unlink()
    conn = _connect(path, cipher)
    conn.execute(SCHEMA)
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO mark VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    written = time.perf_counter() - started
    conn.close()
    started = time.perf_counter()
    conn = _connect(path, cipher)
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    opened = time.perf_counter() - started
    started = time.perf_counter()
    figures = conn.execute(FIGURES).fetchall()
    read = time.perf_counter() - started
    conn.close()
    assert len(figures) == 120 * 9
    return {"open": opened, "write": written, "read": read, "size": path.stat().st_size}


def test_sqlcipher_against_plain_sqlite(tmp_path):
    rows = _rows()
    best: dict[bool, dict[str, float]] = {}
    for _ in range(RUNS):
        for cipher in (False, True):
            result = _run(tmp_path, cipher, rows)
            kept = best.setdefault(cipher, result)
            for key in ("open", "write", "read"):
                kept[key] = min(kept[key], result[key])
    plain, cipher = best[False], best[True]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nSQLCipher {sqlcipher.connect(':memory:').execute('PRAGMA cipher_version').fetchone()[0]}"
          f" against SQLite {sqlite3.sqlite_version}, {ROWS:,} marks, best of {RUNS}:")
    for key, what in (("open", "open + first read"), ("write", "write, one transaction"),
                      ("read", "figures per class and subject")):
        print(f"  {what:32s} plain {plain[key]:7.3f} s   sqlcipher {cipher[key]:7.3f} s"
              f"   ({cipher[key] / max(plain[key], 1e-6):.1f}x)")
    print(f"  file size                        plain {plain['size'] / 2**20:7.1f} MB  sqlcipher"
          f" {cipher['size'] / 2**20:7.1f} MB;  peak RSS {peak:.0f} MB")
