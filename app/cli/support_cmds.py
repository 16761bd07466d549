"""Commands for pupil support: support (学困生 转化 and 双困生 per school) and import-support."""
from __future__ import annotations

from app.cli.common import command, emit_json, with_db
from app.errors import invalid
from app.services.exams import find_exam
from app.services.schools import get_meta, school_by_code
from app.support.conversion import support_summary
from app.support.import_xlsx import import_support
from app.timetable.model import term_by_code


def register(sub) -> None:
    """Add support and import-support to the CLI."""
    p = command(sub, "support", cmd_support, json=True, help="培优补差:学困生转化与双困生占比(每校一行)",
                description="每所学校一行:某次统测的学困生人数、其中受过辅导的人数、到下一次统测已转化的人数"
                            "及比率,本学期双困生人数与占比,辅导次数与分钟数。")
    p.add_argument("--exam", metavar="EXAM", help="列出学困生的那次统测(名称或编号;默认:最近一次已有下一次统测的统测)")
    p.add_argument("--term", metavar="CODE", help="双困生与辅导记录的学期,如 2026-2027-1(默认:当前学期)")

    p = command(sub, "import-support", cmd_import_support, dry_run="只检查,不写入", json=True, user=True,
                help="导入辅导记录和双困生名单(.xlsx/.xls/.csv)",
                description="辅导记录表:日期、教师(姓名或工号)、学生(可写多人)、学科、时长(分钟)、辅导内容、效果;"
                            "双困生表:学生、类型(行为/家庭/行为和家庭)、原因、日期。全部无误才写入。")
    p.add_argument("file", metavar="FILE", help="表格文件")
    p.add_argument("--school", metavar="CODE", help="学校代码(乡镇数据库中必填)")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def cmd_support(args) -> int:
    """schoolq support: one row per school with 学困生 listed / tutored / converted and the 双困生 share."""
    with with_db(args, write=False) as session:
        db = session.db
        exam_id = find_exam(db, args.exam)["id"] if args.exam else None
        summary = support_summary(db, exam_id=exam_id, term=term_by_code(db, args.term))
    if args.json:
        emit_json(summary["schools"])
        return 0
    if summary["exam"] is None:
        print("还没有任何有成绩的统测,无法统计学困生转化。")
    else:
        later = summary["next_exam"] or "(尚无下一次统测)"
        print(f"学困生:{summary['exam']} → {later};双困生与辅导:{summary['term']}")
    print("学校    学困生  受辅导  已转化  转化率   双困生  占比    辅导次数  分钟")
    for r in summary["schools"]:
        listed = "—" if r["struggling_listed"] is None else r["struggling_listed"]
        tutored = "—" if r["tutored"] is None else r["tutored"]
        converted = "—" if r["converted"] is None else r["converted"]
        print(f"{r['school_code']:<7} {listed:>6} {tutored:>7} {converted:>7} {_percent(r['converted_rate']):>8}"
              f" {r['difficulty_pupils']:>6} {_percent(r['difficulty_share']):>7} {r['tutoring_sessions']:>9}"
              f" {r['tutoring_minutes']:>5}")
    return 0


def _school_for_import(db, actor, code: str | None) -> str:
    if code:
        return school_by_code(db, code)["id"]
    if get_meta(db, "kind", "school") == "school":
        return school_by_code(db, get_meta(db, "school_code") or "")["id"]
    if actor is not None and actor.school_id:
        return actor.school_id
    raise invalid("乡镇数据库中导入时请用 --school 指明学校代码。", "school")


def cmd_import_support(args) -> int:
    """schoolq import-support: check tutoring records and 双困生 and write them when all are accepted."""
    with with_db(args, write=True) as session:
        db = session.db
        plan = import_support(db, session.actor, args.file, _school_for_import(db, session.actor, args.school),
                              dry_run=args.dry_run)
    summary = plan.summary()
    if args.json:
        emit_json(plan.to_dict())
        return 2 if plan.problems else 0
    verb = "已" if plan.written else "将"
    print(f"{verb}导入辅导记录 {summary['tutoring']} 条(学生 {summary['tutoring_pupils']} 人次,"
          f"{summary['minutes']} 分钟),双困生 {summary['difficulties']} 人。")
    for problem in plan.problems:
        print(str(problem))
    for warning in plan.warnings:
        print(f"提醒:{warning}")
    if plan.problems:
        print(f"发现 {len(plan.problems)} 个问题,未写入任何数据。请改正后重新导入。")
        return 2
    if args.dry_run:
        print("这是试运行(--dry-run),未写入任何数据。")
    return 0
