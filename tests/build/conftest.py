"""Fixtures for the build test: the bundle built once (skipped when up to date) and its measurements."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 1800

# What the build test measured, printed in the summary at the end of the test run.
_MEASUREMENTS: list[str] = []


@pytest.fixture(scope="session")
def measurements() -> list[str]:
    """Return the list of lines printed under "SchoolQ bundle" at the end of the test run."""
    return _MEASUREMENTS


@pytest.fixture(scope="session")
def bundle_root(measurements) -> Path:
    """Build dist/SchoolQ with installer/build.sh unless it is newer than every source file; return it.

    The build installs PyInstaller (the 'build' extra) into this interpreter's environment when missing.
    """
    env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run(["bash", "installer/build.sh", "--if-stale"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"installer/build.sh failed (exit {result.returncode}):\n{output[-6000:]}"
    measurements.extend(line for line in output.splitlines()
                        if line.startswith(("Built ", "dist/SchoolQ is up to date", "Rebuilding")))
    return ROOT / "dist" / "SchoolQ"


def pytest_terminal_summary(terminalreporter) -> None:
    """Print what the build test measured (build time, bundle size, start-up time)."""
    if _MEASUREMENTS:
        terminalreporter.section("SchoolQ bundle")
        for line in _MEASUREMENTS:
            terminalreporter.write_line(line)
