"""Helpers for the report tests: read a PDF's text page by page and its fonts, render a page to
PNG, and work out group figures from the marks with plain SQL (independently of app.stats)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pypdf

from app.db.database import open_database


def copy_demo(template: Path, target: Path):
    """Return an open copy of the demo township database (for a module's read-only reports)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in template.glob("township.sqlite*"):
        shutil.copy(path, target / path.name)
    return open_database(target / "township.sqlite")


def exam_ids(db) -> dict[str, str]:
    """Return {exam type: id} of the demo: 统考 (this term's midterm), 月考, 期末 (last year's final)."""
    return {r[1]: r[0] for r in db.execute("SELECT id, type FROM exam")}


def pages_text(path: Path) -> list[str]:
    """Return the text of each page, columns kept on their lines (pdftotext -layout)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
        pages = out.decode("utf-8").split("\f")
        return pages[:-1] if pages and not pages[-1].strip() else pages
    return [page.extract_text(extraction_mode="layout") for page in pypdf.PdfReader(str(path)).pages]


def line_with(text: str, *parts: str) -> str | None:
    """Return the first line of `text` that contains every one of `parts` (in order), else None."""
    for line in text.splitlines():
        position = 0
        for part in parts:
            position = line.find(part, position)
            if position < 0:
                break
            position += len(part)
        else:
            return line
    return None


def fonts(path: Path) -> list[tuple[str, bool]]:
    """Return (BaseFont, embedded?) for every font resource of every page."""
    out = []
    for page in pypdf.PdfReader(str(path)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            out.append((str(font["/BaseFont"]), embedded))
    return out


def render_page(pdf: Path, page: int, target: Path) -> Path | None:
    """Render one page of `pdf` to `target` (PNG, 60 dpi) with pdftoppm; None without pdftoppm."""
    if not shutil.which("pdftoppm"):
        return None
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(stem)], check=True)
    return stem.with_suffix(".png")


def ink_share(png: Path) -> float:
    """Return the share of the page's pixels that are not white (a blank page gives 0)."""
    from PIL import Image

    image = Image.open(png).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


def roster_figures(db, exam_id: str, subject: str, *, school: str | None = None, grade: int | None = None,
                   class_id: str | None = None) -> dict:
    """Return n, mean, pass_rate, excellent_rate of a group under the roster policy (缺考 and 作弊 count
    0, 免考 left out) with the default lines (60 % and 85 % of 100 points), from the mark rows."""
    where, args = ["m.exam_id = ?", "s.name = ?", "m.status != '免考'"], [exam_id, subject]
    if school:
        where.append("sc.code = ?")
        args.append(school)
    if grade is not None:
        where.append("m.grade = ?")
        args.append(grade)
    if class_id:
        where.append("m.class_id = ?")
        args.append(class_id)
    values = [score if status == "正常" else 0.0 for status, score in db.execute(
        "SELECT m.status, m.score FROM mark m JOIN subject s ON s.id = m.subject_id"
        " JOIN school sc ON sc.id = m.school_id"
        f" WHERE {' AND '.join(where)}", args)]
    n = len(values)
    return {"n": n, "mean": sum(values) / n, "pass_rate": sum(v >= 60 for v in values) / n,
            "excellent_rate": sum(v >= 85 for v in values) / n}
