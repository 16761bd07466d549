"""Measure the unpacked size of the bundle and what dominates it.

    python installer/bundle_size.py dist/SchoolQ

build.sh and build_windows.ps1 print this after every build; the build test asserts both targets: the
whole folder, and the folder without the timetabling solver (OR-Tools: the parts a build without 自动排课
would leave out).
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

TARGET_MB = 220
TARGET_WITHOUT_SOLVER_MB = 150
SOLVER_PARTS = ("ortools", "ortools.libs")


def bundle_size(bundle: Path) -> tuple[int, list[tuple[str, int]]]:
    """Return the total size in bytes of the files in `bundle` and its parts, largest first.

    A part is a top-level entry of the bundle's _internal folder (Qt's lib, plugins and translations
    folders counted separately); symbolic links are not counted twice. Raises FileNotFoundError when
    `bundle` does not exist.
    """
    if not bundle.is_dir():
        raise FileNotFoundError(f"no bundle at {bundle}")
    inside = bundle / "_internal"
    parts: Counter[str] = Counter()
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(inside if inside in path.parents else bundle)
        part = rel.parts[0] if len(rel.parts) > 1 else rel.name
        if part == "PySide6" and len(rel.parts) > 3 and rel.parts[1] == "Qt":
            part = "/".join(rel.parts[:3])
        parts[part] += path.stat().st_size
    return sum(parts.values()), parts.most_common()


def solver_size(parts: list[tuple[str, int]]) -> int:
    """Return the bytes of the timetabling solver among `parts` (as bundle_size returns them)."""
    return sum(size for name, size in parts if name in SOLVER_PARTS)


def report(bundle: Path, largest: int = 12) -> str:
    """Return a few lines: the total in MB and the total without the solver against their targets, then
    the largest parts."""
    total, parts = bundle_size(bundle)
    lines = [f"Bundle size: {total / 2**20:.1f} MB unpacked (target ≤ {TARGET_MB} MB), "
             f"{(total - solver_size(parts)) / 2**20:.1f} MB without the timetabling solver "
             f"(target < {TARGET_WITHOUT_SOLVER_MB} MB). Largest parts:"]
    lines += [f"  {size / 2**20:7.1f} MB  {name}" for name, size in parts[:largest]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1] if len(sys.argv) > 1 else "dist/SchoolQ")))
