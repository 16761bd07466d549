"""一分一段表: for one grade and subject of an exam, how many pupils scored each whole point and how
many scored at or above it (the table 中考 and 高考 publish, used to place a pupil in the year group).

Only real scores (正常) count: 缺考, 免考 and 作弊 have no score to place. A score with a half point
falls in the segment of its whole point (89.5 is in the 89 segment), and "at or above 89" counts it.
The table runs from the highest whole point scored down to the lowest; segments nobody scored
inside that range are listed with 0 so the cumulative column reads straight down.
"""
from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import NotFound
from app.services.exams import get_exam
from app.stats.scope import school_condition


def score_table(db: Database, exam_id: str, grade: int, subject_id: str, *,
                school_ids: list[str] | None = None) -> dict:
    """Return the 一分一段表 of one grade and subject of `exam_id`, over the schools `school_ids`
    (None: every school in the database).

    {"exam", "grade", "subject", "full_marks", "n" (pupils with a real score), "rows": [{score,
    count, at_or_above, share}]} with `share` the fraction of n at or above the score, highest
    score first. Raises NotFound for an unknown exam or a subject the exam does not have.
    """
    exam = get_exam(db, exam_id)
    subject = next((s for s in exam["subjects"] if s["subject_id"] == subject_id), None)
    if subject is None:
        raise NotFound("这次考试没有这一科。")
    where, args = school_condition(school_ids)
    scores = [row[0] for row in db.execute(
        "SELECT m.score FROM mark m JOIN school s ON s.id = m.school_id"
        f" WHERE m.exam_no = {number_of('exam')} AND m.subject_no = {number_of('subject')}"
        f" AND m.grade = ? AND m.status = '正常'{where}",
        [exam_id, subject_id, int(grade), *args])]
    counts: dict[int, int] = {}
    for score in scores:
        point = math.floor(score + 1e-9)
        counts[point] = counts.get(point, 0) + 1
    rows, running, n = [], 0, len(scores)
    if counts:
        for point in range(max(counts), min(counts) - 1, -1):
            running += counts.get(point, 0)
            rows.append({"score": point, "count": counts.get(point, 0), "at_or_above": running,
                         "share": running / n})
    return {"exam": exam["name"], "grade": int(grade), "subject": subject["name"],
            "full_marks": subject["full_marks"], "n": n, "rows": rows}


def write_score_table_xlsx(table: dict, path: str | Path, scope_name: str) -> None:
    """Write a score_table result as an .xlsx workbook: a title line, then 分数 / 人数 / 累计人数 /
    累计百分比, numbers as numbers and every text as a text cell (never a formula).

    Raises OSError when the file cannot be written.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "一分一段表"
    title = f"{table['exam']} {table['grade']}年级{table['subject']} 一分一段表({scope_name},{table['n']} 人)"
    _text(ws.cell(row=1, column=1), title).font = Font(name="宋体", bold=True, size=12)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    for column, heading in enumerate(("分数", "人数", "累计人数", "累计百分比"), start=1):
        cell = _text(ws.cell(row=2, column=column), heading)
        cell.font = Font(name="宋体", bold=True)
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[cell.column_letter].width = 14
    for i, row in enumerate(table["rows"], start=3):
        ws.cell(row=i, column=1, value=row["score"])
        ws.cell(row=i, column=2, value=row["count"])
        ws.cell(row=i, column=3, value=row["at_or_above"])
        share = ws.cell(row=i, column=4, value=row["share"])
        share.number_format = "0.0%"
    ws.freeze_panes = "A3"
    wb.save(str(path))


def _text(cell: Cell, text: str) -> Cell:
    """Store `text` as a plain string cell, so a leading '=' is never read as a formula."""
    cell.value = text
    cell.data_type = "s"
    return cell
