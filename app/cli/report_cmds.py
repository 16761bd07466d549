"""`schoolq report`: print a report (考试质量分析报告, class, teacher, 成绩通知单, township summary) to a
PDF or an .xlsx workbook, chosen by the file's extension."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from app.cli.common import command, with_db
from app.errors import invalid
from app.reports import KINDS, make_report
from app.reports.all_schools import write_all_school_reports
from app.services.exams import find_exam


def register(sub) -> None:
    """Add the `report` command to the parser."""
    kinds = ";".join(f"{k} {v}" for k, v in KINDS.items())
    p = command(sub, "report", cmd_report, help="生成报表(PDF 或 Excel)", description=(
        f"生成一次考试的报表,按 --out 的扩展名写成 PDF(A4,可直接打印)或 .xlsx。报表种类:{kinds}。"
        "进步值与增值默认与同一批学生上一次同类、同范围的考试比较(统测比上一次统测,中间的月考不算),可用 --baseline 指定基线考试;报告上印出所用的基线。"))
    p.add_argument("--kind", required=True, choices=list(KINDS), help="报表种类")
    p.add_argument("--exam", required=True, help="考试编号或名称(schoolq exam list 可查)")
    p.add_argument("--out", required=True, help="输出文件,扩展名 .pdf 或 .xlsx;与 --all-schools 同用时为文件夹")
    p.add_argument("--all-schools", action="store_true",
                   help="考试质量分析报告:为参加考试的每所学校各写一个文件到 --out 文件夹,另附 报告目录.xlsx")
    p.add_argument("--format", choices=("pdf", "xlsx"), default="pdf", help="与 --all-schools 同用:文件格式(默认 pdf)")
    p.add_argument("--school", help="学校代码(数据库中有多所学校时,学校、班级、通知单报表需要)")
    p.add_argument("--class", dest="class_name", help="班级,如 三(1)班 或 3.1(班级报告必填;通知单不填则全校)")
    p.add_argument("--teacher", help="教师工号(教师报告必填)")
    p.add_argument("--township", help="乡镇代码(乡镇汇总;默认本库的乡镇)")
    p.add_argument("--baseline", help="基线考试编号或名称(默认:同一批学生上一次同类、同范围的考试,如统测与上一次统测比)")
    p.add_argument("--per-page", type=int, choices=(1, 2), default=2, help="成绩通知单每页几张(默认 2)")
    p.add_argument("--grade", type=int, metavar="N", help="年级 1-9(分班建议必填)")
    p.add_argument("--classes", type=int, metavar="K", help="分成几个班(分班建议必填,2-20)")
    p.add_argument("--subject", help="分班依据的科目(分班建议;默认各科成绩的平均)")


def cmd_report(args) -> int:
    """Write the report (or, with --all-schools, every school's); print where it went. Returns 0.
    Raises ValidationError for --all-schools with another kind."""
    started = time.perf_counter()
    if args.all_schools:
        return _all_schools(args, started)
    with with_db(args, write=False) as session:
        db = session.db
        exam = find_exam(db, args.exam)
        baseline = find_exam(db, args.baseline)["id"] if args.baseline else None
        path = make_report(db, args.kind, exam["id"], Path(args.out), school=args.school, class_name=args.class_name,
                           teacher=args.teacher, township=args.township, baseline=baseline,
                           slips_per_page=args.per_page, grade=args.grade, classes=args.classes,
                           subject=args.subject)
    size = path.stat().st_size / 1024
    print(f"已生成{KINDS[args.kind]}:{path}({size:.0f} KB,用时 {time.perf_counter() - started:.1f} 秒)")
    return 0


def _all_schools(args, started: float) -> int:
    if args.kind != "exam-school":
        raise invalid("--all-schools 只用于考试质量分析报告(--kind exam-school)。", "all_schools")
    if args.school:
        raise invalid("--all-schools 为每所学校各写一份,不能同时用 --school 指定学校。", "school")
    with with_db(args, write=False) as session:
        db = session.db
        exam = find_exam(db, args.exam)
        baseline = find_exam(db, args.baseline)["id"] if args.baseline else None

        def progress(fraction: float, message: str) -> None:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

        done = write_all_school_reports(db, exam["id"], Path(args.out), suffix=f".{args.format}", baseline=baseline,
                                        progress=progress)
    print(f"已生成 {len(done['files'])} 所学校的考试质量分析报告:{done['folder']}"
          f"(目录 {Path(done['index']).name},用时 {time.perf_counter() - started:.1f} 秒)")
    return 0
