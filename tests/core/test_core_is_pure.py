"""The core never loads Qt: the CLI, tests and other tools use app/ without PySide6."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
import app
for module in pkgutil.walk_packages(app.__path__, "app."):
    if module.name != "app.__main__":
        importlib.import_module(module.name)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("PySide6", "shiboken6"))
print(len([m for m in sys.modules if m.startswith("app")]), loaded)
"""


def test_importing_every_core_module_does_not_load_pyside6():
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    count, loaded = result.stdout.split(" ", 1)
    assert int(count) > 20  # the probe really imported the core's modules
    assert loaded.strip() == "[]"
