"""No name is used that is not defined, and nothing is imported that is not used (pyflakes), in the
program, its installer scripts and its tests: a misspelt name would otherwise surface only when a
user reaches that line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pyflakes_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "pyflakes", "app", "ui", "installer", "tests"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
