"""Statistics speed on the county demo (~60,000 pupils, the 9-subject midterm: ~490,000 marks).

Run: .venv/bin/python -m pytest -q -s tests/bench   (pandas comes with the `bench` extra)

Times app.stats for all four levels (class, grade, school, township) and for the class level alone,
and beside them pandas reading the same marks from the same SQLite file and computing the same
class-level figures with groupby. Prints best and median wall time of several runs, CPU time, the
ratio, and peak memory (tracemalloc peak per run, and the maximum resident set size of a fresh
interpreter doing one run). The figures are printed, not asserted; the class-level means, medians
and sds of both are checked equal.
"""
from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from app.db.database import open_database
from app.stats.frame import load_cells
from app.stats.groups import LEVELS, all_group_stats, group_stats_from_cells
from app.stats.presets import resolve

pd = pytest.importorskip("pandas")
RUNS = 5
KEYS = ["school_id", "class_id", "grade", "subject_id"]


def pandas_class_figures(path, exam_id: str):
    """Read the exam's marks with pandas and compute the class-level figures (roster policy, as the
    demo midterm): counts by status, n, mean, population sd, median, max, min, pass / excellent /
    low rates and the ten band counts."""
    conn = sqlite3.connect(path)
    try:
        marks = pd.read_sql_query("SELECT school_id, class_id, grade, subject_id, status, score FROM mark"
                                  " WHERE exam_id = ?", conn, params=[exam_id])
        cuts = pd.read_sql_query("SELECT subject_id, full_marks, excellent_pct, pass_pct, low_pct FROM exam_subject"
                                 " WHERE exam_id = ?", conn, params=[exam_id])
    finally:
        conn.close()
    by_status = marks.groupby(KEYS + ["status"]).size().unstack(fill_value=0)
    counted = marks[marks["status"] != "免考"].merge(cuts, on="subject_id")
    value = counted["score"].where(counted["status"] == "正常", 0.0)
    counted = counted.assign(
        value=value, passed=value * 100 >= counted["pass_pct"] * counted["full_marks"],
        excellent=value * 100 >= counted["excellent_pct"] * counted["full_marks"],
        low=value * 100 < counted["low_pct"] * counted["full_marks"],
        band=np.minimum(9, (value * 10 // counted["full_marks"]).astype(int)))
    groups = counted.groupby(KEYS)
    figures = groups["value"].agg(["count", "sum", "mean", "median", "max", "min"])
    figures["sd"] = groups["value"].std(ddof=0)
    figures = figures.join(groups[["passed", "excellent", "low"]].mean())
    bands = counted.groupby(KEYS + ["band"]).size().unstack(fill_value=0)
    return figures.join(bands).join(by_status)


def _timed(fn, runs: int = RUNS) -> tuple[list[float], list[float], object]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, result


def _peak(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


# VmHWM is the peak resident size of this process image (ru_maxrss would carry the parent's peak
# across fork and exec on Linux).
_CHILD = """
import sys
sys.path.insert(0, {here!r})
from app.db.database import open_database
from app.stats.groups import all_group_stats
import bench_stats
if {which!r} == "ours":
    all_group_stats(open_database({path!r}), {exam!r})
else:
    bench_stats.pandas_class_figures({path!r}, {exam!r})
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def _child_rss(which: str, path, exam_id: str) -> float:
    """Return the peak resident memory (MB) of a fresh interpreter doing one run."""
    code = _CHILD.format(here=str(Path(__file__).parent), which=which, path=str(path), exam=exam_id)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    return int(done.stdout.split()[-1]) / 1024


def test_statistics_speed_against_pandas(county_demo, bench_table):
    """Print our times and pandas' on the county midterm; check both computed the same figures."""
    db = open_database(county_demo)
    exam_id, rows = db.execute("SELECT e.id, COUNT(*) FROM exam e JOIN mark m ON m.exam_id = e.id"
                               " WHERE e.type = '统考' GROUP BY e.id").fetchone()
    pupils = db.execute("SELECT COUNT(*) FROM pupil").fetchone()[0]
    schools = db.execute("SELECT COUNT(*) FROM school").fetchone()[0]

    preset = resolve(db, "quality", None)
    # Computed afresh each time (all_group_stats keeps its result while the database is unchanged:
    # that is timed apart, as "kept").
    ours_all = lambda: group_stats_from_cells(load_cells(db, exam_id, preset), LEVELS, preset=preset)  # noqa: E731
    ours_class = lambda: group_stats_from_cells(load_cells(db, exam_id, preset), ["class"], preset=preset)  # noqa: E731
    kept = lambda: all_group_stats(db, exam_id)  # noqa: E731
    theirs = lambda: pandas_class_figures(county_demo, exam_id)  # noqa: E731
    ours_all(), theirs()  # warm the page cache and imports for both
    all_wall, all_cpu, levels = _timed(ours_all)
    class_wall, class_cpu, _ = _timed(ours_class)
    pandas_wall, pandas_cpu, frame = _timed(theirs)
    kept()
    kept_wall, _, _ = _timed(kept)
    peak_ours = _peak(ours_all)
    peak_pandas = _peak(theirs)
    rss_ours = _child_rss("ours", county_demo, exam_id)
    rss_pandas = _child_rss("pandas", county_demo, exam_id)

    # Both computed the same class-level figures.
    subject_ids = {r[0]: r[1] for r in db.execute("SELECT code, id FROM subject")}
    indexed = frame.reset_index().set_index(["class_id", "grade", "subject_id"])
    for record in [r for r in levels["class"] if r["grades"] is None][::97]:  # graded subjects have no mean
        row = indexed.loc[(record["class_id"], record["grade"], subject_ids[record["subject_code"]])]
        assert record["mean"] == pytest.approx(row["mean"]) and record["median"] == pytest.approx(row["median"])
        assert record["sd"] == pytest.approx(row["sd"]) and record["n"] == row["count"]
    db.close()

    best = min
    med = statistics.median
    counts = {level: len(records) for level, records in levels.items()}
    load = os.getloadavg()
    print()
    print(f"县级演示库:{schools} 所学校,{pupils} 名学生;期中统考 {rows} 条成绩(9 科)。")
    print(f"环境:{platform.python_version()},SQLite {sqlite3.sqlite_version},numpy {np.__version__},"
          f"pandas {pd.__version__},{os.cpu_count()} 核,负载 {load[0]:.1f}/{load[1]:.1f}")
    print(f"每项运行 {RUNS} 次(预热后),墙钟时间取最好与中位数:")
    print(f"  本程序 全部四级统计 {counts}:最好 {best(all_wall):.3f} s,中位 {med(all_wall):.3f} s,"
          f"CPU {med(all_cpu):.3f} s")
    print(f"  本程序 数据未变时再取(all_group_stats 保留的结果,每次复制记录):中位 {med(kept_wall):.3f} s")
    print(f"  本程序 仅班级级:最好 {best(class_wall):.3f} s,中位 {med(class_wall):.3f} s,CPU {med(class_cpu):.3f} s")
    print(f"  pandas 读取 + 班级级 groupby:最好 {best(pandas_wall):.3f} s,中位 {med(pandas_wall):.3f} s,"
          f"CPU {med(pandas_cpu):.3f} s")
    print(f"  倍数(pandas 班级级 ÷ 本程序全部四级,中位):{med(pandas_wall) / med(all_wall):.1f} 倍;"
          f"(pandas ÷ 本程序班级级):{med(pandas_wall) / med(class_wall):.1f} 倍")
    print(f"  内存峰值:tracemalloc 本程序 {peak_ours:.0f} MB,pandas {peak_pandas:.0f} MB;"
          f"新进程各算一次的最大常驻内存(含解释器与库):本程序 {rss_ours:.0f} MB,pandas {rss_pandas:.0f} MB")
    bench_table("stats", f"重新计算 中位 {med(all_wall):.2f} s(最好 {best(all_wall):.2f} s,CPU {med(all_cpu):.2f} s);"
                f"数据未变时再取 {med(kept_wall):.3f} s;pandas 仅班级级 {med(pandas_wall):.2f} s",
                "中位 < 0.5 s", "达到" if med(all_wall) < 0.5 else "未达到")
