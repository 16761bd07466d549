"""`schoolq item-sheet import|show|print`: the filled item sheets of 000 篇20 (annual, 年度绩效考核) and
篇10 (evaluation, 240 分学校教学质量评估), stored per school and school year
(app.services.scheme_sheets), added up and banded, and printed."""
from __future__ import annotations

from app.cli.common import command, emit_json, with_db
from app.cli.stats_cmds import format_table
from app.reports import write_report
from app.reports.scheme_sheets import build_annual, build_evaluation
from app.services.scheme_sheets import KINDS, annual_rows, evaluation_rows, import_sheet
from app.services.schools import school_by_code
from app.stats.annual import annual_scores
from app.stats.school_evaluation import evaluate


def register(sub) -> None:
    """Add the `item-sheet` command group to the CLI parser."""
    sheet = sub.add_parser("item-sheet", help="年度绩效考核表(篇20)与学校教学质量评估表(篇10):导入、查看、打印",
                           description="annual:篇20 年度绩效考核表,由乡镇填写;evaluation:篇10 240 分评估表,"
                                       "学校先自评,乡镇再评分。表格每校每学年一份,保存在数据库中,随配置包下发。")
    group = sheet.add_subparsers(dest="sheet_command", metavar="子命令", required=True)
    p = _kind_and_year(command(group, "import", cmd_import, user=True, help="从填好的 Excel 表导入(全部无误才写入)"))
    p.add_argument("file", metavar="FILE", help="填好的 .xlsx/.xls/.csv(列见 schoolq township annual/evaluation -h)")
    p = _kind_and_year(command(group, "show", cmd_show, json=True, help="列出已保存表格的得分与等次"))
    p.add_argument("--school", help="只看这所学校(学校代码)")
    p = _kind_and_year(command(group, "print", cmd_print, help="打印为 PDF(或 .xlsx)"))
    p.add_argument("--school", help="evaluation:哪所学校的评估表(学校代码)")
    p.add_argument("--out", required=True, metavar="FILE", help="写到哪个 .pdf 或 .xlsx 文件")


def _kind_and_year(parser):
    parser.add_argument("--kind", required=True, choices=list(KINDS), help="annual(篇20)或 evaluation(篇10)")
    parser.add_argument("--year", required=True, help="学年,如 2026-2027")
    return parser


def cmd_import(args) -> int:
    """Store a filled sheet, all or nothing; return the exit code."""
    with with_db(args, write=True) as session:
        changed = import_sheet(session.db, session.actor, args.kind, args.year.strip(), args.file)
    print(f"已导入{KINDS[args.kind]}:{changed} 所学校的表格有变化。")
    return 0


def cmd_show(args) -> int:
    """Print the scores of the stored sheets; return the exit code."""
    year = args.year.strip()
    with with_db(args, write=False) as session:
        school_id = school_by_code(session.db, args.school)["id"] if args.school else None
        if args.kind == "annual":
            result = annual_scores(session.db, annual_rows(session.db, year, school_id))
        else:
            result = evaluate(session.db, evaluation_rows(session.db, year, school_id))
    if args.json:
        emit_json(result)
        return 0
    if not result["schools"]:
        print(f"{year} 学年还没有保存{KINDS[args.kind]}。")
        return 0
    if args.kind == "annual":
        table = [[s["school_name"], f"{s['satisfaction']:.1f}", f"{s['score']:.1f}", s["band"], s["band_note"]]
                 for s in result["schools"]]
        print(format_table(["学校", "满意度", "绩效得分", "等次", "说明"], table, 99))
    else:
        table = [[s["school_name"], f"{s['self_total']:g}", s["self_band"],
                  "—" if s["township_total"] is None else f"{s['township_total']:g}", s["township_band"] or "未评"]
                 for s in result["schools"]]
        print(format_table(["学校", "自评总分", "自评等级", "乡镇评分", "乡镇评定"], table, 99))
    return 0


def cmd_print(args) -> int:
    """Write the stored sheet(s) as a report; return the exit code."""
    year = args.year.strip()
    with with_db(args, write=False) as session:
        report = build_annual(session.db, year) if args.kind == "annual" else \
            build_evaluation(session.db, year, args.school)
    print(f"已写出:{write_report(report, args.out)}")
    return 0
