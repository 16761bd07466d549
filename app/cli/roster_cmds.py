"""Commands that import the pupil roster and the teacher list from Excel/CSV files.

Exit code 0 when the file was written (or a --dry-run found no problem), 2 when it was refused
(nothing written); every problem is printed on its own line with sheet, row and column.
"""
from __future__ import annotations

from app.cli.common import add_db_argument, add_json_argument, add_user_argument, emit_json, with_db
from app.importing.roster import apply_roster, read_roster
from app.importing.teachers import apply_teachers, read_teachers
from app.services.schools import school_by_code


def register(sub) -> None:
    """Add the import-roster and import-teachers commands to the CLI."""
    for name, what, func in (("import-roster", "学生名册", cmd_import_roster),
                             ("import-teachers", "教师名册", cmd_import_teachers)):
        p = sub.add_parser(name, help=f"从 Excel/CSV 导入{what}",
                           description=f"从 Excel(.xlsx)或 CSV 文件导入{what}。先检查整个文件,"
                                       "有任何问题就不写入,并逐条列出问题所在的工作表、行和列。")
        add_db_argument(p)
        p.add_argument("file", metavar="FILE", help="要导入的 .xlsx / .xlsm / .csv 文件")
        p.add_argument("--school", metavar="CODE", help="导入到哪所学校(学校代码);乡镇数据库中表内没有“学校”列时需要")
        p.add_argument("--dry-run", action="store_true", help="只检查并显示将做的修改,不写入")
        add_json_argument(p)
        add_user_argument(p)
        p.set_defaults(func=func)


def cmd_import_roster(args) -> int:
    """Check a roster file and, unless refused or --dry-run, import it; return the exit code."""
    return _run(args, read_roster, apply_roster, "名学生")


def cmd_import_teachers(args) -> int:
    """Check a teacher list and, unless refused or --dry-run, import it; return the exit code."""
    return _run(args, read_teachers, apply_teachers, "名教师")


def _run(args, read, apply, unit: str) -> int:
    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        school_id = school_by_code(db, args.school)["id"] if args.school else None
        plan = read(db, args.file, school_id=school_id)
        refused = bool(plan.problems)
        written = False
        if not refused and not args.dry_run:
            apply(db, session.actor, plan)
            written = True
    if args.json:
        emit_json({**plan.to_dict(), "written": written})
        return 2 if refused else 0
    summary = plan.summary()
    verb = "已" if written else "将"
    line = f"{verb}新增 {summary['add']} {unit},更新 {summary['update']} 名,未变 {summary['unchanged']} 名"
    new_classes = getattr(plan, "new_classes", [])
    if new_classes:
        line += f";{verb}新建班级 {'、'.join(new_classes)}"
    print(line + "。")
    for problem in plan.problems:
        print(str(problem))
    for warning in plan.warnings:
        print(f"提醒:{warning}")
    if refused:
        print(f"发现 {len(plan.problems)} 个问题(涉及 {summary['rows_with_problems']} 行),未写入任何数据。"
              "请改正后重新导入。")
        return 2
    if args.dry_run:
        print("这是试运行(--dry-run),未写入任何数据。")
    return 0
