"""Commands that import the pupil roster and the teacher list from Excel/CSV files.

Exit code 0 when the file was written (or a --dry-run found no problem), 2 when it was refused
(nothing written); every problem is printed on its own line with sheet, row and column.
"""
from __future__ import annotations

from app.cli.common import add_sheet_arguments, command, emit_json, report_plan, school_id_of, with_db, write_plan
from app.importing.roster import apply_roster, read_roster
from app.importing.teachers import apply_teachers, read_teachers


def register(sub) -> None:
    """Add the import-roster and import-teachers commands to the CLI."""
    for name, what, func in (("import-roster", "学生名册", cmd_import_roster),
                             ("import-teachers", "教师名册", cmd_import_teachers)):
        p = command(sub, name, func, dry_run="只检查并显示将做的修改,不写入", json=True, user=True,
                    help=f"从 Excel/CSV 导入{what}",
                    description=f"从 Excel(.xlsx)或 CSV 文件导入{what}。先检查整个文件,"
                                "有任何问题就不写入,并逐条列出问题所在的工作表、行和列。")
        add_sheet_arguments(p, "导入到哪所学校(学校代码);乡镇数据库中表内没有“学校”列时需要")


def cmd_import_roster(args) -> int:
    """Check a roster file and, unless refused or --dry-run, import it; return the exit code."""
    return _run(args, read_roster, apply_roster, "名学生")


def cmd_import_teachers(args) -> int:
    """Check a teacher list and, unless refused or --dry-run, import it; return the exit code."""
    return _run(args, read_teachers, apply_teachers, "名教师")


def _run(args, read, apply, unit: str) -> int:
    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        school_id = school_id_of(db, args.school)
        plan = read(db, args.file, school_id=school_id)
        written = write_plan(session, plan, apply, args.dry_run)
    if args.json:
        emit_json({**plan.to_dict(), "written": written})
        return 2 if plan.problems else 0
    summary = plan.summary()
    verb = "已" if written else "将"
    line = f"{verb}新增 {summary['add']} {unit},更新 {summary['update']} 名,未变 {summary['unchanged']} 名"
    new_classes = getattr(plan, "new_classes", [])
    if new_classes:
        line += f";{verb}新建班级 {'、'.join(new_classes)}"
    print(line + "。")
    return report_plan(plan, args.dry_run, summary["rows_with_problems"])
