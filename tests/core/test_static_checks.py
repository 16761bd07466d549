"""Static checks in the test command: ruff with the rules the code's `# noqa` markers name, mypy on
app/ (both configured in pyproject.toml), and a length check in the spirit of Anki's: no function
over 120 lines and no module over 600 in app/ and ui/, so that each stays readable in one sitting."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 120
MAX_MODULE_LINES = 600


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "app", "ui", "installer", "tests"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_core():
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def too_long(folder: str) -> list[str]:
    """Return 'path: N lines' for each module, and 'path:line name: N lines' for each function or
    method, of `folder` that is longer than allowed."""
    out = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT).as_posix()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            out.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    out.append(f"{where}:{node.lineno} {node.name}: {length} lines")
    return out


def test_no_function_over_120_lines_and_no_module_over_600():
    assert too_long("app") + too_long("ui") == []


def test_the_length_check_sees_a_long_function(tmp_path, monkeypatch):
    # The check itself, on a module written here: a 121-line function is reported, a 120-line one not.
    body = "\n".join(f"    x{i} = {i}" for i in range(119))
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "long.py").write_text(f"def long():\n{body}\n    return 0\n", encoding="utf-8")
    (folder / "short.py").write_text(f"def short():\n{body}\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert too_long("pkg") == ["pkg/long.py:1 long: 121 lines"]
