"""Printable reports: 考试质量分析报告 (school), class report for the 班主任, confidential teacher
report, 成绩通知单 (slips), the township summary, the township score of 000 篇7 and the 平行编班 split of a
grade (分班建议); each as an A4 PDF or an .xlsx workbook.

Each kind builds one report model (app.reports.model) from the statistics engine; app.reports.pdf
and app.reports.xlsx draw the same model, so both files carry the same figures.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlite_utils import Database

from app.errors import invalid
from app.progress import CancelCheck, Cancelled, Progress, check
from app.reports.model import Report

KINDS = {
    "exam-school": "考试质量分析报告",
    "class": "班级质量报告(班主任)",
    "teacher": "教师教学质量报告(内部资料)",
    "slips": "成绩通知单",
    "township": "乡镇教学质量汇总",
    "township-score": "乡镇质量检测评分",
    "class-split": "平行编班分班建议",
}
FORMATS = (".pdf", ".xlsx")


def build_report(db: Database, kind: str, exam_id: str, *, school: str | None = None, class_name: str | None = None,
                 teacher: str | None = None, township: str | None = None, baseline: str | None = None,
                 slips_per_page: int = 2, grade: int | None = None, classes: int | None = None,
                 subject: str | None = None, made: dt.datetime | None = None, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> Report:
    """Return the report model of `kind` for an exam (see KINDS). `school` is a school code,
    `class_name` a class as written (三(1)班, 3.1), `teacher` a 工号, `township` a township code
    (default: the database's own), `baseline` an exam id (default: the latest earlier exam sharing
    pupils), `slips_per_page` 1 or 2; the 分班建议 (class-split) takes `grade`, `classes` (how many) and
    `subject` (default: the mean of the written subjects).

    Raises ValidationError (unknown kind, missing scope), NotFound, Cancelled.
    """
    # Only the module of the kind asked for is imported: a report in a fresh process (the CLI) does
    # not load the six others and what they import.
    if kind not in KINDS:
        raise invalid(f"报表种类“{kind}”不对,只能是 {' / '.join(KINDS)}。", "kind")
    if kind == "exam-school":
        from app.reports import exam_school
        return exam_school.build(db, exam_id, school_code=school, baseline_id=baseline, made=made,
                                 progress=progress, cancelled=cancelled)
    if kind == "class":
        if not class_name:
            raise invalid("班级报告需要指明班级,如 --class 三(1)班。", "class")
        from app.reports import class_report
        return class_report.build(db, exam_id, class_name, school_code=school, baseline_id=baseline, made=made,
                                  progress=progress, cancelled=cancelled)
    if kind == "teacher":
        if not teacher:
            raise invalid("教师报告需要指明教师工号,如 --teacher QSZ01001。", "teacher")
        from app.reports import teacher_report
        return teacher_report.build(db, exam_id, teacher, school_code=school, baseline_id=baseline, made=made,
                                    progress=progress, cancelled=cancelled)
    if kind == "slips":
        from app.reports import slips
        return slips.build(db, exam_id, school_code=school, class_name=class_name, per_page=slips_per_page,
                           made=made, progress=progress, cancelled=cancelled)
    if kind == "class-split":
        from app.reports import class_split
        return class_split.build(db, exam_id, school_code=school, grade=grade, n_classes=classes, subject=subject,
                                 made=made, progress=progress, cancelled=cancelled)
    if kind == "township-score":
        from app.reports import township_score
        return township_score.build(db, exam_id, made=made, progress=progress, cancelled=cancelled)
    from app.reports import township as township_report
    return township_report.build(db, exam_id, township_code=township, baseline_id=baseline, made=made,
                                 progress=progress, cancelled=cancelled)


def write_report(report: Report, path: str | Path, *, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> Path:
    """Write `report` to `path` as PDF or xlsx by the file's extension and return the path.

    Raises ValidationError for another extension, Cancelled, OSError.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise invalid(f"报表文件“{path.name}”的扩展名应为 .pdf 或 .xlsx。", "out")
    check(cancelled)
    if suffix == ".pdf":
        from app.reports.pdf import write_pdf

        return write_pdf(report, path, progress=progress, cancelled=cancelled)
    from app.reports.xlsx import write_xlsx  # openpyxl takes half a second to import: only when needed

    return write_xlsx(report, path, progress=progress, cancelled=cancelled)


def make_report(db: Database, kind: str, exam_id: str, path: str | Path, *, progress: Progress | None = None,
                cancelled: CancelCheck | None = None, **scope) -> Path:
    """Build the report of `kind` (see build_report for `scope`) and write it to `path` (.pdf or
    .xlsx); return the path. Raises as build_report and write_report."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise invalid(f"报表文件“{Path(path).name}”的扩展名应为 .pdf 或 .xlsx。", "out")
    report = build_report(db, kind, exam_id, progress=progress, cancelled=cancelled, **scope)
    written = write_report(report, path, progress=progress, cancelled=cancelled)
    if progress is not None:
        progress(1.0, "完成")
    return written


__all__ = ["FORMATS", "KINDS", "Cancelled", "build_report", "make_report", "write_report"]
