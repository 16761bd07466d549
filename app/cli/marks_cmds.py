"""The import-marks command: one exam's marks from an Excel/CSV file.

Exit code 0 when the file was written (or a --dry-run found no problem), 2 when it was refused
(nothing written); every problem is printed on its own line with sheet, row and column.
"""
from __future__ import annotations

from app.cli.common import add_db_argument, add_json_argument, add_user_argument, emit_json, with_db
from app.errors import Problem
from app.importing.workbook import NotAWorkbook
from app.marks.reading import read_marks
from app.marks.writing import import_marks
from app.services.schools import school_by_code

_SHOWN_UPDATES = 20


def register(sub) -> None:
    """Add the import-marks command to the CLI."""
    p = sub.add_parser("import-marks", help="从 Excel/CSV 导入一次考试的成绩",
                       description="从 Excel(.xlsx)或 CSV 文件导入一次考试的成绩:每名学生一行、每科一列"
                                   "(可一班一个工作表、一校一个工作表),或每名学生每科一行(“科目”“成绩”两列)。"
                                   "先检查整个文件,有任何问题就不写入,并逐条列出问题所在的工作表、行和列。")
    add_db_argument(p)
    p.add_argument("file", metavar="FILE", help="要导入的 .xlsx / .xlsm / .csv 文件")
    p.add_argument("--exam", required=True, metavar="EXAM_ID",
                   help="考试编号(schoolq exam list 中的 id,或完整的考试名称)")
    p.add_argument("--school", metavar="CODE", help="表中所有行属于哪所学校(学校代码);乡镇数据库中可省略")
    p.add_argument("--dry-run", action="store_true", help="只检查并显示将做的修改,不写入")
    add_json_argument(p)
    add_user_argument(p)
    p.set_defaults(func=cmd_import_marks)


def cmd_import_marks(args) -> int:
    """Check a marks file and, unless refused or --dry-run, import it; return the exit code."""
    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        school_id = school_by_code(db, args.school)["id"] if args.school else None
        try:
            if args.dry_run:
                plan, result = read_marks(db, args.file, args.exam, school_id=school_id), None
            else:
                plan, result = import_marks(db, session.actor, args.file, args.exam, school_id=school_id)
        except NotAWorkbook as exc:
            if not args.json:
                raise
            emit_json({"problems": [Problem(str(exc), code="not_a_workbook").to_dict()], "written": False})
            return 2
        refused = bool(plan.problems)
        written = result is not None
    if args.json:
        emit_json({**plan.to_dict(), "written": written, "result": result})
        return 2 if refused else 0
    print(f"考试:{plan.exam_name}")
    print(plan.describe(written))
    for change in plan.updates[:_SHOWN_UPDATES]:
        print(f"  修改:{change['name']}({change['student_no']}){change['subject']} "
              f"{change['old']} → {change['new']}(工作表“{change['sheet']}”第 {change['row']} 行)")
    if len(plan.updates) > _SHOWN_UPDATES:
        print(f"  …… 另有 {len(plan.updates) - _SHOWN_UPDATES} 条修改(用 --json 查看全部)")
    for problem in plan.problems:
        print(str(problem))
    for warning in plan.warnings:
        print(f"提醒:{warning}")
    if refused:
        print(f"发现 {len(plan.problems)} 个问题(涉及 {plan.rows_with_problems} 行),未写入任何数据。"
              "请改正后重新导入。")
        return 2
    if args.dry_run:
        print("这是试运行(--dry-run),未写入任何数据。")
    return 0
