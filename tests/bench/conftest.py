"""Benchmarks: collected from bench_*.py, run with `.venv/bin/python -m pytest -q -s tests/bench`.

The county demo (~60,000 pupils) takes about a minute to build, so it is built once and cached:
under $SCHOOLQ_BENCH_CACHE, else /tmp/schoolq-bench-cache, named by a digest of the demo generator's
source and the schema migrations, so a changed generator or schema builds a fresh one.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from app.db.migrations import known_migration_names


def pytest_collect_file(file_path: Path, parent):
    """Collect bench_*.py files as test modules (pytest itself collects one named on the command line)."""
    if file_path.name.startswith("bench_") and file_path.suffix == ".py" and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def _demo_digest() -> str:
    digest = hashlib.sha256()
    demo = Path(__file__).resolve().parents[2] / "app" / "demo"
    for path in sorted(demo.glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(",".join(known_migration_names()).encode())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def county_demo() -> Path:
    """Path of the cached county demo database (seed 1), built on first use.

    Other digests' databases are left alone (another worktree's generator or schema may need them),
    and the build holds a lock on the folder, so two runs never build, or delete, the same file."""
    from app.demo import generate

    folder = Path(os.environ.get("SCHOOLQ_BENCH_CACHE", "/tmp/schoolq-bench-cache"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"county-seed1-{_demo_digest()}.sqlite"
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run building the same file: wait for it
        if not path.exists():
            print(f"\n构建县级演示数据库(约一分钟,仅首次):{path}")
            building = path.with_suffix(".building.sqlite")
            for leftover in folder.glob(building.name + "*"):  # an interrupted build of this digest
                leftover.unlink()
            generate(building, seed=1, scale="county")
            conn = sqlite3.connect(building)  # fold the write-ahead log in before renaming the file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            building.rename(path)
    return path


# The table (18): each benchmark adds its figures beside their targets; printed at the end of
# the run, in this order, with what was not measured in this run said as such.
TABLE_ROWS = {
    "report": "一所学校的考试质量分析报告(县库)",
    "township": "一个乡镇的汇总报告(县库,新进程)",
    "all_schools": "全县每校一份报告(--all-schools)",
    "import": "县期中统考成绩导入",
    "stats": "全县统计(四级)",
    "bundle": "打包体积(不含排课求解器 / 含)",
    "bundle_windows": "打包体积,Windows(Wine 下构建,不含排课求解器 / 含)",
}
_table: dict[str, tuple[str, str, str, str]] = {}


@pytest.fixture(scope="session")
def bench_table():
    """Return add(key, now, target, verdict): put a figure of the issue's table (TABLE_ROWS) with what
    was measured, the target and whether it was met (in words); the load average when it is put
    is printed beside it."""
    def add(key: str, now: str, target: str, verdict: str) -> None:
        load = os.getloadavg()
        _table[key] = (now, target, verdict, f"负载 {load[0]:.1f}/{load[1]:.1f}")
    return add


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the issue's table: every figure measured in this run beside its target."""
    if not _table:
        return
    load = os.getloadavg()
    terminalreporter.write_line("")
    terminalreporter.write_line(f"议题 18 的指标(本次运行,结束时负载 {load[0]:.1f}/{load[1]:.1f};墙钟受同机负载影响,"
                                "倍数为同一次运行中测得;每行末尾是测得该行时的负载):")
    for key, work in TABLE_ROWS.items():
        now, target, verdict, when = _table.get(key, ("本次未测", "", "", ""))
        terminalreporter.write_line(f"  {work}:{now}" + (f" | 目标 {target} | {verdict} | {when}" if target else ""))
