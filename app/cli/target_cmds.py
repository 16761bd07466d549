"""`schoolq target …`: quality targets set by the township (one at a time or from a sheet), listed,
set beside an exam's results (完成 / 未完成), and printed as each school's 教学质量目标责任书."""
from __future__ import annotations

from pathlib import Path

from app.cli.common import command, emit_json, listed, school_id_of, with_db
from app.cli.stats_cmds import format_table
from app.errors import invalid
from app.reports.targets import build_letter, build_teacher_letter
from app.services.exams import find_exam
from app.services.schools import school_by_code
from app.services.targets import METRICS, import_targets, list_targets, set_targets, target_text
from app.stats.lists import previous_exam
from app.stats.target_results import target_results


def register(sub) -> None:
    """Add the `target` command group to the CLI parser."""
    target = sub.add_parser("target", help="质量目标:乡镇设定、导入、查看完成情况、打印责任书",
                            description="质量目标按 学校 × 学期 × 年级 × 学科 × 指标 设定(指标:"
                                        + "、".join(METRICS.values()) + ");由乡镇设定,随配置包下发到学校。")
    group = target.add_subparsers(dest="target_command", metavar="子命令", required=True)
    p = command(group, "set", cmd_set, user=True, help="设定一条目标(同一学校、学期、年级、学科、指标已有目标时改为新值)")
    p.add_argument("--school", required=True, help="学校代码")
    p.add_argument("--metric", required=True, help="指标:" + "、".join(METRICS.values()))
    p.add_argument("--target", required=True, help="目标值:比率写 85%% 或 85,名次写 3")
    p.add_argument("--grade", help="年级(不写:全校)")
    p.add_argument("--subject", help="学科(不写:各学科)")
    p.add_argument("--term", help="学期,如 2026-2027-1(默认当前学期)")
    p.add_argument("--note", help="说明")
    p.add_argument("--teacher", help="教师工号:这是这位教师的目标(按其任教班级核算;不写:学校的目标)")

    p = command(group, "import", cmd_import, json=True, user=True, help="从表格导入目标(列:学校代码、学期、年级、学科、指标、目标值、备注;全部无误才写入)")
    p.add_argument("file", metavar="FILE", help=".xlsx/.xls/.csv 文件")

    p = command(group, "list", cmd_list, json=True, help="列出目标")
    p.add_argument("--school", help="只看这所学校")

    p = command(group, "results", cmd_results, json=True, help="目标与考试结果对照:完成 / 未完成 及差额")
    p.add_argument("--exam", required=True, help="考试编号或名称")
    p.add_argument("--school", help="只看这所学校")
    p.add_argument("--baseline", help="进步值目标的基线考试(默认:上一次有共同学生的考试)")
    p.add_argument("--missed", action="store_true", help="只列未完成的目标")

    p = command(group, "letter", cmd_letter, help="打印一所学校(或一位教师)的教学质量目标责任书(PDF)")
    p.add_argument("--school", help="学校代码(打印学校的责任书)")
    p.add_argument("--teacher", help="教师工号(打印学校与这位教师的责任书;在用的三率一分方案须规定签到教师)")
    p.add_argument("--term", help="学期(默认当前学期)")
    p.add_argument("--out", required=True, metavar="FILE", help="写到哪个 .pdf 文件")


def cmd_set(args) -> int:
    """Set one target. Returns the exit code."""
    row = {"school": args.school, "metric": args.metric, "target": args.target, "grade": args.grade,
           "subject": args.subject, "term": args.term, "note": args.note, "teacher": args.teacher}
    with with_db(args, write=True) as session:
        result = set_targets(session.db, session.actor, [row])
    print("已新增目标。" if result["added"] else "已修改目标。" if result["changed"] else "目标没有变化。")
    return 0


def cmd_import(args) -> int:
    """Import targets from a sheet, all or none. Returns the exit code."""
    with with_db(args, write=True) as session:
        result = import_targets(session.db, session.actor, args.file)
    if args.json:
        emit_json(result)
    else:
        print(f"已导入 {result['rows']} 行:新增 {result['added']} 条,修改 {result['changed']} 条。")
    return 0


def _rows_text(rows: list[dict], results: bool) -> list[list[str]]:
    out = []
    for r in rows:
        line = [r["school_name"] + (f" {r['teacher_name']}" if r["teacher_id"] else ""),
                f"{r['grade']}年级" if r["grade"] else "全校", r["subject"] or "各学科",
                r["metric_name"], target_text(r["metric"], r["target"])]
        if results:
            line += [target_text(r["metric"], r["result"]), r["status"]]
        out.append(line)
    return out


def cmd_list(args) -> int:
    """Print the current term's targets. Returns the exit code."""
    with with_db(args, write=False) as session:
        school_id = school_id_of(session.db, args.school)
        rows = list_targets(session.db, school_id=school_id)
    if listed(args, rows, "本学期还没有质量目标。"):
        return 0
    print(format_table(["学校", "年级", "学科", "指标", "目标"], _rows_text(rows, False), 99))
    return 0


def cmd_results(args) -> int:
    """Print each target of the exam's term beside the result. Returns the exit code."""
    with with_db(args, write=False) as session:
        db = session.db
        exam = find_exam(db, args.exam)
        school_ids = [school_by_code(db, args.school)["id"]] if args.school else None
        if args.baseline:
            baseline = find_exam(db, args.baseline)["id"]
        else:
            found = previous_exam(db, exam["id"])
            baseline = found["id"] if found else None
        rows = target_results(db, exam["id"], school_ids=school_ids, baseline_id=baseline)
    if args.missed:
        rows = [r for r in rows if r["status"] == "未完成"]
    if listed(args, rows, "没有可对照的质量目标。" if not args.missed else "目标都已完成。"):
        return 0
    print(format_table(["学校", "年级", "学科", "指标", "目标", "实际", "完成情况"], _rows_text(rows, True), 99))
    return 0


def cmd_letter(args) -> int:
    """Write one school's 教学质量目标责任书 as a PDF. Returns the exit code."""
    from app.reports import write_report

    with with_db(args, write=False) as session:
        if args.teacher:
            report = build_teacher_letter(session.db, args.teacher, term_code=args.term)
        elif args.school:
            report = build_letter(session.db, args.school, term_code=args.term)
        else:
            raise invalid("请给出 --school 学校代码 或 --teacher 教师工号。", "school")
    path = write_report(report, Path(args.out))
    print(f"已生成责任书:{path}")
    return 0
