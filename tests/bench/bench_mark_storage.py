"""What the mark table's layout and the way rows go in cost: the floor of a marks import.

Run: .venv/bin/python -m pytest -q -s tests/bench/bench_mark_storage.py

The county midterm's 493,646 marks (read back from the cached county demo) are inserted as a new exam
into a copy of the county database that already holds 1.1 million marks, each variant in a
fresh interpreter, inside one transaction that is rolled back afterwards (so every variant starts
from the same file, its pages in the system's cache). Every variant fires the audit trigger (one
change_log row per mark), as the import does. Printed: median seconds per variant and its ratio to the
first (today's import path: multi-row INSERT … VALUES of BulkInsert's size, the file's order, the
import's cache of app.marks.writing.WRITE_CACHE_MB, foreign keys off), and the peak resident size.

Variants: cache_size (2 MB default, 64 MB, 256 MB); batch size (executemany one row at a time,
100 rows, 2000 rows per statement); order (the file's: school, class, 学籍号; the key index's: pupil
number, subject); a staging table (TEMP, no index) filled first, then INSERT … SELECT in the key
index's order; and the mark table rebuilt WITHOUT ROWID with the natural key (exam_no, pupil_no,
subject_no) as its primary key (the rebuild itself not timed).

Every variant runs once per round, the rounds one after the other, so a busy moment of the machine
falls on all of them alike; a variant counts as faster only when even its slowest run beats the
fastest of today's way (and its peak stays under the import's 500 MB), and the bench says which way
to keep. The import writes the marks in the file's order on a second thread while it still reads
and checks the rest of the file: a variant that needs the whole file first (another order, a staging
table) gives that overlap up, so what it saves here must also beat the whole import
(bench_marks_import) before it is worth taking.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from app.db.writes import BULK_ROWS
from app.marks.writing import WRITE_CACHE_MB

_CHILD = r"""
import json, sqlite3, sys, time
variant = json.loads(sys.argv[1])
conn = sqlite3.connect(sys.argv[2], isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA foreign_keys = OFF")
conn.execute(f"PRAGMA cache_size = {-variant['cache_mb'] * 1024}")
source = conn.execute("SELECT id FROM exam WHERE type = '统考' ORDER BY date DESC LIMIT 1").fetchone()[0]
conn.execute("BEGIN")  # everything below is rolled back: the next variant starts from the same file
conn.execute("INSERT INTO exam_number (id) VALUES ('bench-exam')")
exam_no = conn.execute("SELECT no FROM exam_number WHERE id = 'bench-exam'").fetchone()[0]
order = ("m.pupil_no, m.subject_no" if variant["order"] == "key"
         else "sc.code, c.name, p.student_no, s.sort_order")
rows = conn.execute(
    "SELECT m.school_id, 'bench-exam', m.pupil_id, m.subject_id, m.class_id, m.grade, m.score, m.status, 'x', 'x',"
    f" m.school_no, {exam_no}, m.pupil_no, m.subject_no, m.class_no FROM mark m JOIN school sc ON sc.id = m.school_id"
    " JOIN class c ON c.id = m.class_id JOIN pupil p ON p.id = m.pupil_id JOIN subject s ON s.id = m.subject_id"
    f" WHERE m.exam_id = ? ORDER BY {order}", [source]).fetchall()
columns = ("school_id, exam_id, pupil_id, subject_id, class_id, grade, score, status, created_at, updated_at,"
           " school_no, exam_no, pupil_no, subject_no, class_no")
table = "mark"
if variant["layout"] == "without_rowid":
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'mark'").fetchone()[0]
    sql = sql.replace('CREATE TABLE IF NOT EXISTS "mark"', "CREATE TABLE mark_wr").replace(
        "CREATE TABLE mark ", "CREATE TABLE mark_wr ").replace('CREATE TABLE "mark"', "CREATE TABLE mark_wr")
    body = sql[:sql.rindex(")")] + ", PRIMARY KEY (exam_no, pupil_no, subject_no)) WITHOUT ROWID"
    conn.execute(body)
    conn.execute(f"INSERT INTO mark_wr ({columns}) SELECT {columns} FROM mark ORDER BY exam_no, pupil_no, subject_no")
    conn.execute("CREATE INDEX wr_pupil ON mark_wr(pupil_no)")
    conn.execute("CREATE INDEX wr_stats ON mark_wr(exam_no, school_no, class_no, grade, subject_no, status, score)")
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_mark_insert'").fetchone()[0]
    conn.execute(trigger.replace("[audit_mark_insert]", "[wr_audit]").replace("ON [mark]", "ON [mark_wr]"))
    table = "mark_wr"
placeholders = "(" + ", ".join("?" * 15) + ")"
start = time.perf_counter()
if variant["staging"]:
    conn.execute(f"CREATE TEMP TABLE staged AS SELECT {columns} FROM {table} WHERE 0")
    conn.executemany(f"INSERT INTO staged VALUES {placeholders}", rows)
    conn.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM staged ORDER BY pupil_no, subject_no")
elif variant["batch"] == 1:
    conn.executemany(f"INSERT INTO {table} ({columns}) VALUES {placeholders}", rows)
else:
    size = variant["batch"]
    for i in range(0, len(rows), size):
        chunk = rows[i:i + size]
        conn.execute(f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([placeholders] * len(chunk)),
                     [v for row in chunk for v in row])
elapsed = time.perf_counter() - start
conn.execute("ROLLBACK")
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": elapsed, "rows": len(rows), "hwm": hwm}))
"""

BASE = {"cache_mb": WRITE_CACHE_MB, "batch": BULK_ROWS, "order": "file", "staging": False, "layout": "rowid"}
VARIANTS = [
    (f"今天的导入方式:{WRITE_CACHE_MB} MB 缓存、每条语句 {BULK_ROWS} 行、文件顺序", {}),
    ("cache_size 2 MB(SQLite 默认)", {"cache_mb": 2}),
    ("cache_size 64 MB", {"cache_mb": 64}),
    ("cache_size 256 MB", {"cache_mb": 256}),
    ("逐行 executemany", {"batch": 1}),
    ("每条语句 100 行", {"batch": 100}),
    ("按键索引顺序(学生、学科)插入", {"order": "key"}),
    ("先写临时表,再按键索引顺序 INSERT … SELECT", {"staging": True}),
    ("成绩表 WITHOUT ROWID,主键 (考试, 学生, 学科)", {"layout": "without_rowid"}),
    ("WITHOUT ROWID + 按键索引顺序", {"layout": "without_rowid", "order": "key"}),
]


ROUNDS = 3  # every variant once per round, in turn: what the machine's load does falls on all alike
PEAK_LIMIT_MB = 500  # the peak memory target for the import


def test_mark_storage_variants(county_demo, tmp_path):
    """Print each variant's median time over ROUNDS rounds, its spread and ratio to today's way, and
    which way to keep: a variant counts as faster only when its slowest run beats today's fastest
    and its peak memory stays under PEAK_LIMIT_MB."""
    copy = tmp_path / "county.sqlite"
    shutil.copy(county_demo, copy)

    def run(change: dict) -> dict:
        done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps({**BASE, **change}), str(copy)],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    # The first run reads the fresh copy into the system's page cache: it is run once, untimed, so
    # that the first variant does not pay for it.
    run({})
    runs: dict[str, list[dict]] = {label: [] for label, _ in VARIANTS}
    for _ in range(ROUNDS):
        for label, change in VARIANTS:
            runs[label].append(run(change))
    load = os.getloadavg()
    seconds = {label: sorted(r["seconds"] for r in done) for label, done in runs.items()}
    today = seconds[VARIANTS[0][0]]
    print()
    print(f"成绩表写入的各种做法(县级演示库,新增一场考试 {runs[VARIANTS[0][0]][0]['rows']} 条成绩,库中已有约 110 万条;"
          f"负载 {load[0]:.1f}/{load[1]:.1f};每项 {ROUNDS} 轮轮流各一次,新进程,事务回滚;中位数与最快—最慢):")
    faster = []
    for label, _ in VARIANTS:
        times, peak = seconds[label], max(r["hwm"] for r in runs[label])
        verdict = ("更快" if times[-1] < today[0] else "更慢" if times[0] > today[-1] else "差别在波动之内")
        if verdict == "更快" and peak < PEAK_LIMIT_MB:
            faster.append(label)
        print(f"  {label}:{statistics.median(times):.2f} s({times[0]:.2f}—{times[-1]:.2f} s,"
              f"{statistics.median(times) / statistics.median(today):.2f} 倍,{verdict}),最大常驻内存 {peak:.0f} MB")
    print("  结论:" + (f"比今天的做法确实更快且内存低于 {PEAK_LIMIT_MB} MB 的:{'、'.join(faster)}" if faster
                      else f"没有哪种做法确实快于今天的做法且内存低于 {PEAK_LIMIT_MB} MB,保留今天的做法"))
    print("  (导入在读取、检查文件的同时按文件顺序写入;要先读完整个文件再换顺序或写临时表的做法会失去这份重叠,"
          "省下的须超过完整导入的时间才值得,见 bench_marks_import)")
