"""Every school's 考试质量分析报告 of one exam in one go (`schoolq report --kind exam-school
--all-schools --out DIR`, and 报表 › 所有学校 in the window): one file per school with marks in the
exam, and 报告目录.xlsx listing the schools, their pupils and their files (each file name a link).

Every school's figures of the exam (with ranks and township means) and of the earlier exams are
computed before the first report, the value-added fit and each township's data hash for the first
school of it, and all are kept for the others (app.stats.cache): a county's 200 reports cost one
county-wide pass plus each school's own share. The files are written whole; on
取消 or an error the files this run wrote are removed again, so a folder never holds half a batch
that looks finished.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import invalid
from app.progress import CancelCheck, Progress, check, scaled
from app.reports import FORMATS, build_report, write_report
from app.reports.common import resolve_baseline
from app.queries.history import earlier_exams
from app.services.exams import get_exam
from app.stats.groups import shared_group_stats

INDEX_NAME = "报告目录.xlsx"


def file_name(school: dict, exam: dict, suffix: str) -> str:
    """Return the report file name of one school: '<code> <name> <exam>考试质量分析报告.pdf', without
    the characters Windows forbids."""
    text = re.sub(r'[\\/:*?"<>|\s]+', "", f"{school['code']}_{school['name']}_{exam['name']}考试质量分析报告")
    return text + suffix


def exam_schools(db: Database, exam_id: str) -> list[dict]:
    """Return the schools with marks in the exam, by code: id, code, name, type, township (name or
    empty) and pupils (pupils with a mark)."""
    return [dict(r) for r in db.query(
        "SELECT s.id, s.code, s.name, s.type, IFNULL(t.name, '') AS township, w.pupils FROM"
        f" (SELECT school_no, COUNT(DISTINCT pupil_no) AS pupils FROM mark WHERE exam_no = {number_of('exam')}"
        " GROUP BY school_no) w JOIN school_number n ON n.no = w.school_no JOIN school s ON s.id = n.id"
        " LEFT JOIN township t ON t.id = s.township_id ORDER BY s.code", [exam_id])]


def write_all_school_reports(db: Database, exam_id: str, folder: str | Path, *, suffix: str = ".pdf",
                             baseline: str | None = None, made: dt.datetime | None = None,
                             progress: Progress | None = None,
                             cancelled: CancelCheck | None = None) -> dict:
    """Write the 考试质量分析报告 of every school with marks in the exam into `folder` (created when
    missing) as `suffix` (.pdf or .xlsx), then the index 报告目录.xlsx. Return {"folder", "index",
    "files": [{code, name, type, township, pupils, file}]}.

    `baseline` is an exam id (default: each report's own, the latest earlier exam sharing pupils).
    Raises ValidationError (format, no school has marks), NotFound (exam, baseline), Cancelled, OSError;
    on any of them the files written by this call are removed.
    """
    if suffix not in FORMATS:
        raise invalid(f"报表格式“{suffix}”不对,只能是 .pdf 或 .xlsx。", "format")
    exam = get_exam(db, exam_id)
    schools = exam_schools(db, exam_id)
    if not schools:
        raise invalid(f"“{exam['name']}”还没有任何学校的成绩,无法生成报告。", "exam")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = made or dt.datetime.now()
    if baseline is None:  # the default does not depend on the school: found once
        found = resolve_baseline(db, exam, None)
        baseline = found["id"] if found else None
    written: list[Path] = []
    if progress:
        progress(0.0, "正在统计全部学校(各校报告共用)")
    # Every school's figures of the exam, kept: each report copies its school's records instead of
    # reading its marks again; and of the earlier exams, which each report's trend looks up.
    shared_group_stats(db, exam_id)
    for past in earlier_exams(db, exam):
        shared_group_stats(db, past["id"])
    try:
        for i, school in enumerate(schools):
            check(cancelled)
            part = scaled(progress, 0.97 * i / len(schools), 0.97 * (i + 1) / len(schools))
            part(0.0, f"第 {i + 1}/{len(schools)} 所:{school['name']}")
            report = build_report(db, "exam-school", exam_id, school=school["code"], baseline=baseline, made=made,
                                  cancelled=cancelled)
            path = folder / file_name(school, exam, suffix)
            write_report(report, path, cancelled=cancelled)
            written.append(path)
            school["file"] = path.name
        check(cancelled)
        if progress:
            progress(0.98, "正在写报告目录")
        index = write_index(folder / INDEX_NAME, exam, schools, made)
        written.append(index)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    if progress:
        progress(1.0, "完成")
    return {"folder": str(folder), "index": str(index), "files": schools}


def write_index(path: Path, exam: dict, schools: list[dict], made: dt.datetime) -> Path:
    """Write the index workbook: one row per school (乡镇, 代码, 学校, 类型, 参考学生, 文件 as a link to
    the file beside it) and return its path. Raises OSError."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "报告目录"
    sheet.append([f"{exam['name']} 考试质量分析报告目录(共 {len(schools)} 所学校,{made:%Y-%m-%d %H:%M} 生成)"])
    sheet.append(["乡镇", "学校代码", "学校", "类型", "参考学生", "文件"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row, school in enumerate(schools, start=3):
        sheet.append([school["township"], school["code"], school["name"], school["type"], school["pupils"],
                      school["file"]])
        link = sheet.cell(row=row, column=6)
        link.hyperlink = school["file"]
        link.font = Font(color="0563C1", underline="single")
    for letter, width in zip("ABCDEF", (14, 10, 24, 10, 10, 60)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    partial = path.with_name(path.name + ".part")
    book.save(partial)
    partial.replace(path)
    return path
