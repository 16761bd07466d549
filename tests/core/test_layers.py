"""Which part of the core may use which: queries and statistics never reach up into reports or the
CLI, and a report builder never loads the PDF renderer (it sizes charts from app.reports.layout)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported(path: Path) -> set[str]:
    """Return every module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def offenders(folder: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    """Return 'file: module' for each import under app/<folder> of a module in `forbidden`."""
    out = []
    for path in sorted((ROOT / "app" / folder).rglob("*.py")):
        if path.name in allowed:
            continue
        for module in sorted(imported(path)):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(ROOT)}: {module}")
    return out


def test_queries_and_statistics_never_import_reports_or_the_cli():
    assert offenders("queries", ("app.reports", "app.cli")) == []
    assert offenders("stats", ("app.reports", "app.queries", "app.cli")) == []
    assert offenders("marks", ("app.reports", "app.cli")) == []


def test_report_builders_do_not_load_the_pdf_renderer():
    # Only make_report (app/reports/__init__.py) picks the renderer, when a .pdf is asked for.
    assert offenders("reports", ("app.reports.pdf", "reportlab.lib.pagesizes"),
                     allowed=("pdf.py", "__init__.py", "charts.py")) == []
