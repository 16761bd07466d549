"""`schoolq appraisal DB --year 2026-2027`: the teacher appraisal of a school year (000 篇16), one
row per active teacher with the items, the total and the band (app.stats.appraisal)."""
from __future__ import annotations

from app.cli.common import command, emit_json, with_db
from app.cli.stats_cmds import format_table
from app.errors import invalid
from app.reports import write_report
from app.reports.appraisal_sheet import build as build_sheet
from app.services.appraisal_surveys import import_surveys
from app.services.schools import school_by_code
from app.services.users import actor_for
from app.stats.appraisal import ITEMS, appraisal


def register(sub) -> None:
    """Add the `appraisal` command to the CLI parser."""
    p = command(sub, "appraisal", cmd_appraisal, json=True,
                help="教师年度考核:常规检查、听课、教学业绩、工作量加权,按 12%% 评优秀",
                description="每位在职教师一行:各项得分(0-100)、加权总分、校内名次与等次(优秀 / "
                            "优秀候选(并列待评议) / 称职)。权重与优秀比例取“教师年度考核”方案"
                            "(schoolq preset list 查看,可复制修改)。")
    p.add_argument("--year", required=True, help="学年,如 2026-2027")
    p.add_argument("--school", help="只看这所学校(学校代码)")
    p.add_argument("--sheet", metavar="工号", help="打印这位教师的年度考核表(内部资料),需同时给 --out")
    p.add_argument("--out", metavar="FILE", help="考核表写到哪个 .pdf 或 .xlsx 文件")
    p.add_argument("--import-survey", metavar="FILE",
                   help="导入篇11 多方评价得分表(列:工号、教师自评、同事互评、领导评价、学生评价、家长评价;全部无误才写入)")
    p.add_argument("--user", help="以哪个账号打印考核表(教师只能打印自己的;默认数据库管理员)")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def cmd_appraisal(args) -> int:
    """Print the year's appraisal, one row per active teacher (or import survey scores). Returns the exit code."""
    if args.import_survey:
        with with_db(args, write=True) as session:
            changed = import_surveys(session.db, session.actor, args.year.strip(), args.import_survey)
        print(f"已导入多方评价得分:{changed} 项有变化。")
        return 0
    if args.sheet or args.out:
        if not (args.sheet and args.out):
            raise invalid("打印考核表需要同时给出 --sheet 工号 和 --out 文件。", "sheet")
        with with_db(args, write=False) as session:
            actor = actor_for(session.db, args.user)
            report = build_sheet(session.db, args.year.strip(), args.sheet, actor)
        print(f"已写出:{write_report(report, args.out)}")
        return 0
    with with_db(args, write=False) as session:
        school_id = school_by_code(session.db, args.school)["id"] if args.school else None
        rows = appraisal(session.db, args.year.strip(), school_id=school_id)
    if args.json:
        emit_json([{k: v for k, v in r.items() if k not in ("teacher_id", "school_id")} for r in rows])
        return 0
    if not rows:
        print("没有在职教师。")
        return 0
    keys = list(rows[0]["items"])
    headers = ["学校", "工号", "姓名", "教研组", *(ITEMS[k] for k in keys), "总分", "名次", "等次"]
    table = [[r["school_name"], r["staff_no"], r["name"], r["group"], *(_number(r["items"][k]) for k in keys),
              _number(r["total"]), str(r["rank_in_school"] or "—"), r["band"] or "—"] for r in rows]
    print(format_table(headers, table, 4))
    return 0
