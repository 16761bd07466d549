"""School records on the command line: `schoolq retention` (控辍保学: 巩固率, 流失率 per school and grade,
and who left), `schoolq records` (each school's homework, 家访 and 集体备课 this term, the township's
summary) and `schoolq import-records` (a homework, 家访 or 集体备课 sheet, checked whole before writing)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from app.cli.common import command, emit_json, with_db
from app.cli.stats_cmds import format_table
from app.errors import invalid
from app.records.homework import homework_summary, record_homework_days
from app.records.homework_import import read_homework
from app.records.prep import group_cadence, record_sessions
from app.records.records_import import read_sessions, read_visits
from app.records.retention import retention
from app.records.visits import record_visits, visit_summary
from app.services.schools import get_meta, school_by_code

KINDS = {"homework": ("作业时间", read_homework, record_homework_days, "个班级日", lambda plan: plan.days),
         "visits": ("家访记录", read_visits, record_visits, "条家访记录", lambda plan: plan.rows),
         "sessions": ("集体备课记录", read_sessions, record_sessions, "次集体备课", lambda plan: plan.rows)}


def register(sub) -> None:
    """Add the `retention` command to the parser."""
    p = command(sub, "retention", cmd_retention, json=True, help="控辍保学:巩固率、流失率与流失学生名单", description=(
        "以秋季开学(学年第一天)在籍学生为基数(篇7“以秋季入学班级学生数为准”),扣除此后正常转出的学生,"
        "统计至某日仍为“流失”的学生:巩固率 =(基数 − 流失)÷ 基数,流失率 = 流失 ÷ 基数。休学学生仍在籍。"))
    p.add_argument("--school", help="只看这所学校(学校代码)")
    p.add_argument("--year", help="学年,如 2026-2027(默认:当前学期所在学年)")
    p.add_argument("--as-of", help="统计到这一天(如 2026-11-30;默认今天)")
    p.add_argument("--grades", action="store_true", help="同时列出各校各年级")
    p = command(sub, "records", cmd_records, json=True, help="各校本学期作业、家访、集体备课汇总", description=(
        "每校一行:书面作业登记的班级周数与超时的班级,家访次数、户数与完成任务的教师,集体备课各教研组"
        "未达每月次数的月份。乡镇数据库汇总各校(数据来自各校数据包)。"))
    p.add_argument("--school", help="只看这所学校(学校代码)")
    p = command(sub, "import-records", cmd_import_records, dry_run="只检查,不写入", user=True,
                help="导入作业时间、家访或集体备课记录表", description=(
                    "从 Excel/CSV 导入一所学校的记录表。先检查整个文件,有任何问题就不写入,并逐条列出问题所在的工作表、行和列。"
                    "作业时间:班级、日期、各科分钟数、备注;家访:学籍号或学生姓名、家访教师、日期、方式、情况记录;"
                    "集体备课:教研组、日期、主备人、主题、参加教师、备注。"))
    p.add_argument("file", metavar="FILE", help="要导入的 .xlsx / .xls / .csv 文件")
    p.add_argument("--kind", required=True, choices=tuple(KINDS), help="homework 作业时间、visits 家访、sessions 集体备课")
    p.add_argument("--school", metavar="CODE", help="哪所学校(学校代码;学校数据库可不填)")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def cmd_retention(args) -> int:
    """Print the retention table (or JSON: one row per school, and per grade with --grades).
    Returns the exit code; refuses (2) a bad date, year or school code."""
    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise invalid(f"日期“{args.as_of}”无法识别,请写成 2026-11-30 的形式。") from None
    with with_db(args, write=False) as session:
        school_id = school_by_code(session.db, args.school)["id"] if args.school else None
        result = retention(session.db, school_id=school_id, year_code=args.year, as_of=as_of)
    if args.json:
        emit_json(result.to_dict(args.grades))
        return 0
    rows = result.rows(args.grades)
    print(f"{result.year_code} 学年控辍保学:秋季开学({result.intake_day})在籍为基数,统计至 {result.as_of}。")
    headers = ["学校", "年级", "开学在籍", "转出", "基数", "流失", "巩固率", "流失率"]
    table = [[r.school_name, "全校" if r.grade is None else f"{r.grade}年级", str(r.intake), str(r.transferred_out),
              str(r.base), str(r.left), _percent(r.retention_rate), _percent(r.loss_rate)] for r in rows]
    if len(result.schools) > 1:
        total = result.total()
        table.append(["合计", "", str(total.intake), str(total.transferred_out), str(total.base), str(total.left),
                      _percent(total.retention_rate), _percent(total.loss_rate)])
    print(format_table(headers, table, right_from=2))
    if result.left:
        print("\n流失学生:")
        print(format_table(["学校", "学籍号", "姓名", "年级", "班级", "流失日期", "原因"], [
            [p["school_name"], p["student_no"], p["name"], str(p["grade"]), p["class_name"], p["date"] or "",
             p["reason"]] for p in result.left], right_from=9))
    else:
        print("\n本学年没有流失学生。")
    return 0


def records_rows(db, school_id: str | None) -> list[dict]:
    """Return one summary row per school: homework (class-weeks, weeks over, classes over), 家访
    (visits, families, teachers who reached their quota of all) and 集体备课 (groups, groups with a
    month below the number asked), by school code."""
    out: dict[str, dict] = {}

    def entry(code: str, name: str) -> dict:
        return out.setdefault(code, {"school_code": code, "school_name": name, "homework_weeks": 0,
                                     "homework_weeks_over": 0, "classes_over": [], "visits": 0, "families": 0,
                                     "teachers": 0, "teachers_done": 0, "prep_groups": 0, "prep_groups_short": 0})
    for row in homework_summary(db, school_id=school_id):
        entry(row["school_code"], row["school_name"]).update(
            homework_weeks=row["weeks"], homework_weeks_over=row["weeks_over"], classes_over=row["classes_over"])
    for row in visit_summary(db, school_id=school_id):
        entry(row["school_code"], row["school_name"]).update(
            visits=row["visits"], families=row["families"], teachers=row["teachers"],
            teachers_done=row["teachers_done"])
    for row in group_cadence(db, school_id=school_id):
        item = entry(row["school_code"], row["school_name"])
        item["prep_groups"] += 1
        item["prep_groups_short"] += bool(row["short_months"])
    return [out[code] for code in sorted(out)]


def cmd_records(args) -> int:
    """Print each school's homework, 家访 and 集体备课 summary of the current term (or JSON)."""
    with with_db(args, write=False) as session:
        school_id = school_by_code(session.db, args.school)["id"] if args.school else None
        rows = records_rows(session.db, school_id)
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("本学期还没有作业、家访或集体备课记录。")
        return 0
    print(format_table(["学校", "作业周数", "超时周数", "超时班级", "家访次数", "家访户数", "完成任务教师", "教研组",
                        "未达次数的组"], [
        [r["school_name"], str(r["homework_weeks"]), str(r["homework_weeks_over"]), "、".join(r["classes_over"]),
         str(r["visits"]), str(r["families"]), f"{r['teachers_done']}/{r['teachers']}", str(r["prep_groups"]),
         str(r["prep_groups_short"])] for r in rows], right_from=1))
    return 0


def cmd_import_records(args) -> int:
    """Check a records sheet and, unless refused or --dry-run, write it all; return the exit code
    (2 when refused: every problem printed with sheet, row and column, nothing written)."""
    what, read, write, unit, rows_of = KINDS[args.kind]
    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        if args.school:
            school_id = school_by_code(db, args.school)["id"]
        elif session.actor is not None and session.actor.school_id:
            school_id = session.actor.school_id
        else:
            code = get_meta(db, "school_code")
            if code is None:
                raise invalid("乡镇数据库中导入记录表时请用 --school 指明学校。")
            school_id = school_by_code(db, code)["id"]
        plan: Any = read(db, args.file, school_id)
        rows = rows_of(plan)
        if plan.problems:
            for problem in plan.problems:
                print(str(problem))
            print(f"{what}中发现 {len(plan.problems)} 个问题,未写入任何数据。请改正后重新导入。")
            return 2
        written = 0 if args.dry_run else write(db, session.actor, rows)
    for warning in plan.warnings:
        print(f"提醒:{warning}")
    if args.dry_run:
        print(f"检查通过:将登记 {len(rows)} {unit}。这是试运行(--dry-run),未写入任何数据。")
    else:
        print(f"已登记 {len(rows)} {unit}(改动 {written} 条记录)。")
    return 0
