"""Helpers for the report and statistics tests: read a PDF's text page by page and its fonts, render
a page to PNG, work out group figures from the marks with plain SQL (independently of app.stats),
and make a pupil have changed school between two exams."""
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


def move_pupil_back(db, exam_id: str, baseline_id: str, *, school: str = "QSZ01", grade: int = 4,
                    to: str = "QSZ02", struggling: bool = False) -> str:
    """Return a pupil of `school` (in `grade` in exam `exam_id`) whose marks of the earlier exam
    `baseline_id` are now written at `to`, in a class of that school's grade then: a pupil who
    changed school between the two exams. With `struggling`, one with two main subjects below 60
    in both exams."""
    below = ("(SELECT COUNT(*) FROM mark x JOIN subject j ON j.id = x.subject_id WHERE x.exam_id = {} AND"
             " x.pupil_id = a.pupil_id AND j.is_main AND x.status = '正常' AND x.score < 60) >= 2")
    extra = f" AND {below.format('a.exam_id')} AND {below.format('b.exam_id')}" if struggling else ""
    pupil_id, old_grade = db.execute(
        "SELECT a.pupil_id, b.grade FROM mark a JOIN mark b ON b.pupil_id = a.pupil_id AND b.subject_id = a.subject_id"
        " JOIN school s ON s.id = a.school_id WHERE a.exam_id = ? AND b.exam_id = ? AND s.code = ? AND a.grade = ?"
        f" AND a.status = '正常' AND b.status = '正常'{extra} ORDER BY a.pupil_id LIMIT 1",
        [exam_id, baseline_id, school, grade]).fetchone()
    school_id, class_id = db.execute(
        "SELECT m.school_id, m.class_id FROM mark m JOIN school s ON s.id = m.school_id WHERE m.exam_id = ?"
        " AND s.code = ? AND m.grade = ? LIMIT 1", [baseline_id, to, old_grade]).fetchone()
    db.execute("UPDATE mark SET school_id = ?, class_id = ? WHERE exam_id = ? AND pupil_id = ?",
               [school_id, class_id, baseline_id, pupil_id])
    return pupil_id
