"""The import-marks command: one exam's marks from an Excel/CSV file.

Exit code 0 when the file was written (or a --dry-run found no problem), 2 when it was refused
(nothing written); every problem is printed on its own line with sheet, row and column.
"""
from __future__ import annotations

from app.cli.common import add_sheet_arguments, command, emit_json, report_plan, school_id_of, with_db
from app.errors import Problem
from app.importing.workbook import NotAWorkbook
from app.marks.reading import read_marks
from app.marks.writing import import_marks

_SHOWN_UPDATES = 20


def register(sub) -> None:
    """Add the import-marks command to the CLI."""
    p = command(sub, "import-marks", cmd_import_marks, dry_run="只检查并显示将做的修改,不写入", json=True, user=True,
                help="从 Excel/CSV 导入一次考试的成绩",
                description="从 Excel(.xlsx)或 CSV 文件导入一次考试的成绩:每名学生一行、每科一列"
                            "(可一班一个工作表、一校一个工作表),或每名学生每科一行(“科目”“成绩”两列)。"
                            "先检查整个文件,有任何问题就不写入,并逐条列出问题所在的工作表、行和列。")
    add_sheet_arguments(p, "表中所有行属于哪所学校(学校代码);乡镇数据库中可省略")
    p.add_argument("--exam", required=True, metavar="EXAM_ID",
                   help="考试编号(schoolq exam list 中的 id,或完整的考试名称)")


def cmd_import_marks(args) -> int:
    """Check a marks file and, unless refused or --dry-run, import it; return the exit code."""
    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        school_id = school_id_of(db, args.school)
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
    return report_plan(plan, args.dry_run, plan.rows_with_problems)
