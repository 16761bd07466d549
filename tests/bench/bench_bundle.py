"""The frozen bundle's size and the console program's cold start, from the last build (dist/SchoolQ,
made by `bash installer/build.sh`; this benchmark does not build it).

Run: .venv/bin/python -m pytest -q -s tests/bench/bench_bundle.py

Printed: the unpacked size, what it is without the timetabling solver (the ortools folder, which a
build without 自动排课 would leave out), the largest parts (installer/bundle_size.py), and the best of
three cold starts of `schoolq --help` (a fresh process each time; the GUI's start is bench_gui's).
The Windows bundle's size too, when `bash installer/build_windows_wine.sh` left one in its folder
(SCHOOLQ_WINE_DIR, default /tmp/schoolq-wine; this benchmark does not build it).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "SchoolQ"
SOLVER_PARTS = ("ortools", "ortools.libs")
WINDOWS_BUNDLE = Path(os.environ.get("SCHOOLQ_WINE_DIR", "/tmp/schoolq-wine")) / "dist" / "SchoolQ"


def test_bundle_size_and_cold_start(bench_table):
    """Print the bundle's size with and without the solver, its largest parts and a cold start."""
    if not (BUNDLE / "_internal").is_dir():
        bench_table("bundle", "本次未测(先运行 bash installer/build.sh)", "", "")
        pytest.skip("no bundle: run bash installer/build.sh first")
    sys.path.insert(0, str(ROOT / "installer"))
    from bundle_size import bundle_size

    total, parts = bundle_size(BUNDLE)
    solver = sum(size for name, size in parts if name in SOLVER_PARTS)
    starts = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([str(BUNDLE / "schoolq"), "--help"], capture_output=True, check=True)
        starts.append(time.perf_counter() - started)
    mb = 2 ** 20
    print()
    print(f"打包目录 {BUNDLE}:{total / mb:.1f} MB,不含排课求解器(ortools){(total - solver) / mb:.1f} MB;"
          f"schoolq --help 冷启动最好 {min(starts):.2f} s。最大的部分:")
    for name, size in parts[:12]:
        print(f"  {size / mb:7.1f} MB  {name}")
    bench_table("bundle", f"{(total - solver) / mb:.0f} MB / {total / mb:.0f} MB;schoolq 冷启动 {min(starts):.2f} s",
                "< 150 MB / ≤ 220 MB,冷启动 < 1 s",
                "达到" if total - solver < 150 * mb and total <= 220 * mb and min(starts) < 1 else "未达到")


def test_windows_bundle_size(bench_table):
    """Print the size of the Windows bundle built under Wine (installer/build_windows_wine.sh), with and
    without the solver, measured as build_windows.ps1 measures it (installer/bundle_size.py)."""
    if not (WINDOWS_BUNDLE / "_internal").is_dir():
        bench_table("bundle_windows", "本次未测(先运行 bash installer/build_windows_wine.sh)", "", "")
        pytest.skip("no Windows bundle: run bash installer/build_windows_wine.sh first")
    sys.path.insert(0, str(ROOT / "installer"))
    from bundle_size import bundle_size, solver_size

    total, parts = bundle_size(WINDOWS_BUNDLE)
    solver, mb = solver_size(parts), 2 ** 20
    print()
    print(f"Windows 打包目录 {WINDOWS_BUNDLE}:{total / mb:.1f} MB,不含排课求解器 {(total - solver) / mb:.1f} MB。最大的部分:")
    for name, size in parts[:8]:
        print(f"  {size / mb:7.1f} MB  {name}")
    bench_table("bundle_windows", f"{(total - solver) / mb:.0f} MB / {total / mb:.0f} MB", "< 150 MB / ≤ 220 MB",
                "达到" if total - solver < 150 * mb and total <= 220 * mb else "未达到")
