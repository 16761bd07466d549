"""Measure the unpacked size of the bundle and what dominates it.

    python installer/bundle_size.py dist/SchoolQ            print the size and the largest parts
    python installer/bundle_size.py --check dist/SchoolQ    the same, exit status 1 over either target

build.sh and build_windows.ps1 run it with --check after every build, so a bundle over target fails the
build on Linux and on Windows alike. The two targets: the whole folder, and the folder without the
timetabling solver (OR-Tools: the parts a build without 自动排课 would leave out).
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


def over_target(bundle: Path) -> list[str]:
    """Return one line per target the bundle at `bundle` exceeds (empty when both are met).

    Raises FileNotFoundError when `bundle` does not exist.
    """
    total, parts = bundle_size(bundle)
    without = total - solver_size(parts)
    over = []
    if total > TARGET_MB * 2**20:
        over.append(f"the bundle is {total / 2**20:.1f} MB, over the {TARGET_MB} MB target")
    if without >= TARGET_WITHOUT_SOLVER_MB * 2**20:
        over.append(f"without the timetabling solver it is {without / 2**20:.1f} MB, "
                    f"not under the {TARGET_WITHOUT_SOLVER_MB} MB target")
    return over


def main(argv: list[str]) -> int:
    """Print the report for the bundle named in `argv` (default dist/SchoolQ); return the exit status:
    1 when --check is given and a target is exceeded or the bundle is missing, else 0."""
    check = "--check" in argv
    names = [arg for arg in argv if arg != "--check"]
    bundle = Path(names[0] if names else "dist/SchoolQ")
    try:
        print(report(bundle))
        over = over_target(bundle) if check else []
    except FileNotFoundError as missing:
        print(f"Bundle size: {missing}", file=sys.stderr)
        return 1
    for line in over:
        print(f"Over target: {line}.", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
