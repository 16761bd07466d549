"""Marks import speed on the county demo: one exam's marks (~60,000 pupils × 9 subjects) from one .xlsx.

Run: .venv/bin/python -m pytest -q -s tests/bench/bench_marks_import.py   (pandas: the `bench` extra)

The county midterm is exported once to an .xlsx beside the cached county database (one row per
pupil: 学校, 班级, 学籍号, 姓名, nine subjects, 总分; written by openpyxl's write-only mode, as many
programs export). Each measured run is a fresh interpreter on a fresh copy of the database:
ours imports the file into a new exam as `schoolq import-marks` does (import_marks: read, check
and write in one transaction; the rows are read as they are checked, the new marks written on a
second thread while the rest of the file is read and checked; the audit entries are read back
and sealed once, after the last mark; the file is opened while the pupils are loaded, and the
INSERT statements made on the reading thread, which hands the interpreter over promptly; the
first rows are read from a small copy of the sheet's beginning while calamine loads all of it); in
another interpreter, ours only reads and checks it (what --dry-run and the GUI's preview do);
pandas.read_excel reads the same file, with its default engine (openpyxl, the target's peer) and,
for context, with calamine. Beside them, after each of ours, the same marks are inserted with
SQLite alone (same order, stamps and page cache, no file, no checks, no seal): the floor for the
write, its best set against ours.
Each variant (VARIANTS) undoes one part of the import's way of working and runs once. Printed:
wall times (best and every run), the ratios, and peak resident memory (VmHWM) with the resident
size after imports. The figures are printed, not asserted; the imported marks are checked equal
to the exported ones.

What to expect: SQLite's part is mostly maintaining the mark table's three indexes, which hold
integer keys (app.db.keys), and writing the audit entries its triggers make; reading and checking
the file and making the statements (about 2 s of the interpreter's time, and calamine's 0.45 s
on a thread of its own) runs beside it, on the second core when one is free; the first statement
runs once the pupils are loaded and the first 2,000 rows, read from the small copy, are checked
(about 0.5 s in; 0.8 s when it waited for calamine's whole sheet, at load 1.3), and sealing
reads the entries back (about 0.9 s) once the last mark is in. The import cannot take less than the
longer of its two threads plus the seal and the commit; when other programs keep the cores busy
the two threads get less of them than the floor's one, and the ratio grows: read it with the
load printed beside it.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pandas")
RUNS = 2
SUBJECT_ORDER = "ORDER BY s.sort_order"


def export_exam(county: Path) -> tuple[Path, str, int]:
    """Return (the cached .xlsx of the county midterm, the exam's subjects as create_exam text,
    the number of marks written); the file is built once, next to the database."""
    from openpyxl import Workbook

    conn = sqlite3.connect(county)
    exam_id = conn.execute("SELECT id FROM exam WHERE type = '统考' ORDER BY date DESC LIMIT 1").fetchone()[0]
    subjects = conn.execute(f"SELECT s.id, s.name, es.full_marks, es.grades FROM exam_subject es JOIN subject s"
                            f" ON s.id = es.subject_id WHERE es.exam_id = ? {SUBJECT_ORDER}", [exam_id]).fetchall()
    spec = ",".join(f"{name}:{full:g}" + (f":{grades.replace(',', '/')}" if grades else "")
                    for _, name, full, grades in subjects)
    count = conn.execute("SELECT COUNT(*) FROM mark WHERE exam_id = ?", [exam_id]).fetchone()[0]
    path = county.with_name(county.stem + "-midterm.xlsx")
    if path.exists():
        conn.close()
        return path, spec, count
    column = {sid: i for i, (sid, *_rest) in enumerate(subjects)}
    rows: dict[str, list] = {}
    for pupil_id, school, class_name, no, name, subject_id, score, status in conn.execute(
            "SELECT m.pupil_id, sc.name, c.name, p.student_no, p.name, m.subject_id, m.score, m.status FROM mark m"
            " JOIN pupil p ON p.id = m.pupil_id JOIN school sc ON sc.id = m.school_id JOIN class c ON c.id = m.class_id"
            " WHERE m.exam_id = ? ORDER BY sc.code, c.name, p.student_no", [exam_id]):
        row = rows.setdefault(pupil_id, [school, class_name, no, name] + [None] * len(subjects) + [0.0])
        row[4 + column[subject_id]] = score if status == "正常" else status
        row[-1] += score or 0
    conn.close()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("期中统考成绩")
    sheet.append(["2026—2027学年第一学期期中统考成绩汇总"])
    sheet.append(["学校", "班级", "学籍号", "姓名", *[name for _, name, _, _ in subjects], "总分"])
    for row in rows.values():
        sheet.append(row)
    building = path.with_suffix(".building.xlsx")
    book.save(building)
    building.rename(path)
    return path, spec, count


_HWM = 'next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("{key}")) / 1024'
_OURS = f"""
import json, time
from app.db.database import open_database
from app.db.writes import SYSTEM
from app.marks.reading import read_marks
from app.marks.writing import import_marks
from app.services.exams import create_exam
{{variant}}
db = open_database({{db!r}})
exam_id = create_exam(db, SYSTEM, name="基准测试统考" + ("(试运行)" if {{dry!r}} else ""), type="统考",
                      grades="1-6", subjects={{spec!r}})
after_imports = {_HWM.format(key="VmRSS")}
start = time.perf_counter()
if {{dry!r}}:
    plan, result = read_marks(db, {{xlsx!r}}, exam_id), {{{{"add": None}}}}
else:
    plan, result = import_marks(db, SYSTEM, {{xlsx!r}}, exam_id)
db.close()  # as the command does before it returns: the write-ahead log is folded in by then
done = time.perf_counter()
print(json.dumps({{{{"time": done - start, "added": result["add"], "planned": len(plan.inserts),
                  "problems": len(plan.problems), "warnings": len(plan.warnings), "rss0": after_imports,
                  "hwm": {_HWM.format(key="VmHWM")}, "exam_id": exam_id}}}}))
"""
# The same marks inserted with nothing but SQLite: the floor for writing them (same page cache, order of
# the file, integer keys at hand, no foreign-key lookups; the same rows, created_at/updated_at stamps
# included, so the audit triggers record as many bytes as the import's), in SQLite's fastest way measured by
# bench_mark_storage: multi-row INSERT … VALUES of BULK_ROWS rows (executemany, one row per call,
# takes twice as long), the statements' parameters made before the clock starts.
_FLOOR = """
import json, time
from app.db.database import open_database
from app.db.writes import BULK_ROWS, SYSTEM, now
from app.marks.writing import WRITE_CACHE_MB
from app.services.exams import create_exam
db = open_database({db!r})
exam_id = create_exam(db, SYSTEM, name="基准测试统考", type="统考", grades="1-6", subjects={spec!r})
exam_no = db.execute("SELECT no FROM exam_number WHERE id = ?", [exam_id]).fetchone()[0]
rows = db.execute("SELECT m.school_id, m.pupil_id, m.subject_id, m.class_id, m.grade, m.score, m.status,"
                  " m.school_no, m.pupil_no, m.subject_no, m.class_no FROM mark m JOIN school sc ON sc.id = m.school_id"
                  " JOIN class c ON c.id = m.class_id JOIN pupil p ON p.id = m.pupil_id"
                  " JOIN subject s ON s.id = m.subject_id"
                  " WHERE m.exam_id = ? ORDER BY sc.code, c.name, p.student_no, s.sort_order", [{source!r}]).fetchall()
db.execute(f"PRAGMA cache_size = {{-WRITE_CACHE_MB * 1024}}")
db.execute("PRAGMA foreign_keys = OFF")
stamp = now()
one = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
statements = [("INSERT INTO mark (school_id, exam_id, pupil_id, subject_id, class_id, grade, score, status,"
               " created_at, updated_at, school_no, exam_no, pupil_no, subject_no, class_no) VALUES "
               + ", ".join([one] * len(rows[i:i + BULK_ROWS])),
               [v for r in rows[i:i + BULK_ROWS] for v in (r[0], exam_id, *r[1:7], stamp, stamp, r[7], exam_no, *r[8:])])
              for i in range(0, len(rows), BULK_ROWS)]
start = time.perf_counter()
db.conn.execute("BEGIN")
for sql, params in statements:
    db.conn.execute(sql, params)
db.conn.execute("COMMIT")
db.close()  # as the import's time ends: the write-ahead log folded into the file
done = time.perf_counter()
print(json.dumps({{"write": done - start, "rows": len(rows)}}))
"""
# What the import's way of working gains: each variant undoes one part of it, run once.
VARIANTS = {
    # after each statement the writing thread waits up to Python's 5 ms for the interpreter
    # (app.marks.writing.prompt_handover)
    "写入线程等待解释器至多 5 毫秒(默认切换间隔)": "import app.marks.writing as W\nW.HANDOVER_SECONDS = 0.005",
    # the file opened first, the pupils loaded after (app.importing.workbook.opened_beside)
    "先打开文件再载入学生(不同时)": """
from contextlib import contextmanager
import app.marks.reading as R
@contextmanager
def one_after_the_other(opening, work):
    with opening as tables:
        yield tables, work()
R.opened_beside = one_after_the_other""",
    # the first rows read only once calamine has loaded the whole sheet, not from a small copy of its
    # beginning meanwhile (app.importing.early_sheet)
    "开头的行等整个工作表载入后才读(不先读副本)": "import app.importing.early_sheet as E\nE.EARLY_BYTES = 1 << 40",
    # the whole sheet made into rows before the first is checked (app.importing.workbook.streamed_tables)
    "先读完整个文件再检查写入(不边读边写)": """
from contextlib import contextmanager
import app.marks.reading as R
streamed = R.streamed_tables
@contextmanager
def read_first(*args, **kwargs):
    with streamed(*args, **kwargs) as tables:
        for table in tables.tables:
            table.rows, table.stream = list(table.stream(None)), None
        yield tables
R.streamed_tables = read_first""",
}
_PANDAS = f"""
import json, time
import pandas as pd
after_imports = {_HWM.format(key="VmRSS")}
start = time.perf_counter()
frame = pd.read_excel({{xlsx!r}}, header=1, engine={{engine!r}})
done = time.perf_counter()
print(json.dumps({{{{"read": done - start, "rows": len(frame), "rss0": after_imports, "hwm": {_HWM.format(key="VmHWM")}}}}}))
"""


def _child(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_marks_import_speed_against_pandas(county_demo, tmp_path, bench_table):
    """Print our import time (in one go, and reading and checking alone) and pandas.read_excel's."""
    xlsx, spec, exported = export_exam(county_demo)
    conn = sqlite3.connect(county_demo)
    source = conn.execute("SELECT id FROM exam WHERE type = '统考' ORDER BY date DESC LIMIT 1").fetchone()[0]
    conn.close()
    floor_copy = tmp_path / "county-floor.sqlite"
    ours, dry, theirs, calamine, floors = [], [], [], [], []
    for run in range(RUNS):
        copy = tmp_path / f"county-{run}.sqlite"
        shutil.copy(county_demo, copy)
        dry.append(_child(_OURS.format(db=str(copy), xlsx=str(xlsx), spec=spec, dry=True, variant="")))
        ours.append(_child(_OURS.format(db=str(copy), xlsx=str(xlsx), spec=spec, dry=False, variant="")))
        # The floor as often as ours, each right after it (the load of the moment weighs on both alike).
        shutil.copy(county_demo, floor_copy)
        floors.append(_child(_FLOOR.format(db=str(floor_copy), spec=spec, source=source)))
        theirs.append(_child(_PANDAS.format(xlsx=str(xlsx), engine="openpyxl")))
        calamine.append(_child(_PANDAS.format(xlsx=str(xlsx), engine="calamine")))
        if run < RUNS - 1:
            copy.unlink()

    # The imported marks are the exported ones, mark for mark.
    conn = sqlite3.connect(copy)
    floor = min(floors, key=lambda r: r["write"])
    variants = {}
    for name, code in VARIANTS.items():
        shutil.copy(county_demo, floor_copy)
        variants[name] = _child(_OURS.format(db=str(floor_copy), xlsx=str(xlsx), spec=spec, dry=False, variant=code))
        assert variants[name]["added"] == exported
    floor_copy.unlink()
    differ = conn.execute(
        "SELECT COUNT(*) FROM mark a LEFT JOIN mark b ON b.exam_id = ? AND b.pupil_id = a.pupil_id"
        " AND b.subject_id = a.subject_id AND b.class_id IS a.class_id AND b.grade = a.grade"
        " AND b.status = a.status AND b.score IS a.score WHERE a.exam_id = ? AND b.id IS NULL",
        [ours[-1]["exam_id"], source]).fetchone()[0]
    pupils, rows = conn.execute("SELECT (SELECT COUNT(*) FROM pupil), (SELECT COUNT(*) FROM school)").fetchone()
    conn.close()
    assert all(r["problems"] == 0 and r["added"] == exported for r in ours) and differ == 0
    assert all(r["problems"] == 0 and r["planned"] == exported for r in dry)
    assert all(r["rows"] == theirs[0]["rows"] for r in theirs + calamine)

    best = {name: min(r["time"] if "time" in r else r["read"] for r in runs)
            for name, runs in (("ours", ours), ("dry", dry), ("pandas", theirs), ("calamine", calamine))}
    load = os.getloadavg()
    size = xlsx.stat().st_size / 2 ** 20
    fmt = lambda runs, key: "、".join(f"{r[key]:.2f}" for r in runs)  # noqa: E731
    print()
    print(f"县级演示库:{rows} 所学校,{pupils} 名学生。导出的期中统考成绩表:{theirs[0]['rows']} 行 × "
          f"{4 + spec.count(',') + 2} 列,{exported} 条成绩,{size:.1f} MB(openpyxl 只写模式,内联字符串)。")
    print(f"环境:Python {platform.python_version()},SQLite {sqlite3.sqlite_version},{os.cpu_count()} 核,"
          f"负载 {load[0]:.1f}/{load[1]:.1f};每项 {RUNS} 次,每次新进程、新数据库副本。")
    print(f"  本程序 导入(schoolq import-marks:读取、检查、写入一个事务):最好 {best['ours']:.2f} s"
          f"(各次 {fmt(ours, 'time')})")
    for name, run in variants.items():
        print(f"    变体(一次):{name}:{run['time']:.2f} s = {run['time'] / floor['write']:.2f} × SQLite 单独写入")
    print(f"    只读取检查(--dry-run 与界面预览所做):最好 {best['dry']:.2f} s(各次 {fmt(dry, 'time')});"
          f"提醒 {dry[0]['warnings']} 条")
    print(f"    对照:只用 SQLite 插入同样 {floor['rows']} 条(同样顺序与缓存,不读文件、不检查):最好 {floor['write']:.2f} s"
          f"(各次 {fmt(floors, 'write')})")
    print(f"  pandas.read_excel(默认引擎 openpyxl):最好 {best['pandas']:.2f} s(各次 {fmt(theirs, 'read')})")
    print(f"  倍数:pandas 读取 ÷ 本程序完整导入 = {best['pandas'] / best['ours']:.2f} 倍(目标 ≥ 1);"
          f"÷ 本程序读取检查 = {best['pandas'] / best['dry']:.1f} 倍")
    print(f"  参考:pandas.read_excel(engine=\"calamine\",只读取、不检查不写入):最好 {best['calamine']:.2f} s")
    print(f"  内存峰值(VmHWM,含解释器与库):本程序导入 {max(r['hwm'] for r in ours):.0f} MB"
          f"(导入库后 {ours[0]['rss0']:.0f} MB),只读取检查 {max(r['hwm'] for r in dry):.0f} MB,"
          f"pandas {max(r['hwm'] for r in theirs):.0f} MB(导入库后 {theirs[0]['rss0']:.0f} MB)")
    peak = max(r["hwm"] for r in ours)
    ratio = best["ours"] / floor["write"]
    print(f"  倍数:本程序完整导入 ÷ SQLite 单独写入 = {ratio:.2f} 倍(目标 ≤ 1.2)")
    bench_table("import", f"{best['ours']:.2f} s = {ratio:.2f} × SQLite 单独写入 {floor['write']:.2f} s;"
                f"峰值 {peak:.0f} MB;pandas.read_excel {best['pandas']:.2f} s",
                "≤ 1.2 × SQLite 单独写入,峰值 < 500 MB", "达到" if ratio <= 1.2 and peak < 500 else "未达到")
