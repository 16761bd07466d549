"""`schoolq township …` (and `schoolq county init`): register schools' keys, import their packages,
send config down, and see which packages arrived and what does not add up across schools.

`township import` exits 0 when every file was accepted or a duplicate, 2 when any was refused.
The same commands work on a county database, which registers and imports townships' packages.
"""
from __future__ import annotations

import sys
from pathlib import Path

from app.cli.common import command, emit_json, new_database, with_db
from app.cli.stats_cmds import format_table
from app.packages.config import export_config
from app.packages.township_import import import_packages
from app.packages.trust import register_key
from app.queries import township as views
from app.queries.township_checks import check_lines, township_checks
from app.services import setup
from app.preset_names import display_name
from app.services.exams import find_exam
from app.services.schools import SCHOOL_TYPES
from app.stats.annual import annual_scores, read_items
from app.stats.presets import resolve
from app.stats.school_evaluation import evaluate, read_sheet
from app.stats.township_scheme import school_rows, township_subject_scores
from app.timestamps import shown


def register(sub) -> None:
    """Add the `township` and `county` command groups to the CLI parser."""
    township = sub.add_parser("township", help="乡镇中心校:登记学校公钥、导入数据包、下发配置、汇总检查",
                              description="乡镇(或县级)数据库的操作。")
    group = township.add_subparsers(dest="township_command", metavar="子命令", required=True)
    p = command(group, "init", cmd_init, db=False, help="新建乡镇数据库")
    p.add_argument("db", metavar="DB", help="新数据库文件路径")
    p.add_argument("--code", required=True, help="乡镇代码(字母和数字)")
    p.add_argument("--name", required=True, help="乡镇名称")
    p.add_argument("--county", help="所属县名称")

    p = command(group, "register", cmd_register, json=True, user=True, help="登记学校(或县级数据库中登记乡镇)的公钥,显示指纹以便核对")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--school-code", help="学校代码(乡镇数据库)")
    who.add_argument("--township-code", help="乡镇代码(县级数据库)")
    p.add_argument("--pubkey", required=True, metavar="FILE", help="对方导出的公钥文件(.pem)")
    p.add_argument("--name", help="学校(乡镇)名称;本数据库还没有这所学校时用来建立它,否则第一个数据包会建立它")
    p.add_argument("--type", choices=SCHOOL_TYPES, help="学校类型(与 --name 一起用)")
    p.add_argument("--replace", action="store_true", help="对方换了密钥:停用旧密钥,登记新密钥")

    p = command(group, "import", cmd_import, json=True, user=True, help="导入学校的数据包(可一次多个)",
                description="逐个检查并导入数据包:接受、重复或拒收(附原因)。全部接受或重复时退出码 0,"
                            "有拒收时 2。")
    p.add_argument("files", nargs="+", metavar="FILE", help="数据包文件(.zip.age 加密的,或 .zip)")
    p.add_argument("--accept-shrink", action="store_true",
                   help="确认导入会删除该校两成以上学生或成绩的数据包(不加时这样的包暂不导入,并显示数量)")

    p = command(group, "export-config", cmd_export_config, json=True, user=True,
                help="导出下发给学校的配置包(统考定义、评分预设、课程计划、乡镇公钥)")
    p.add_argument("--out", required=True, metavar="DIR", help="写到哪个文件夹(如 U 盘)")
    p.add_argument("--term", metavar="TERM", help="学期,如 2025-2026-1(默认:当前学期)")

    command(group, "status", cmd_status, json=True, help="各校数据包接收情况(最近一包、日期、缺号)")
    p = command(group, "log", cmd_log, json=True,
                help="导入记录:接受过的每个数据包(学校数据库:配置包),来自谁、第几号、何时导入、改了什么,最新的在前")
    p.add_argument("--limit", type=int, default=500, metavar="N", help="最多列出多少条(默认 500)")

    p = command(group, "checks", cmd_checks, json=True, help="跨校检查:同一学籍号在两校、走教教师同一时间排在两校;--exam 时列出缺数据的学校")
    p.add_argument("--exam", metavar="EXAM_ID", help="列出这次考试还没有成绩的学校")

    p = command(group, "score", cmd_score, json=True, help="篇7 乡镇质量检测评分:各校单科成绩、学校总评、奖惩标记",
                description="单科成绩 = 巩固率 10% + 人均分 50% + 优秀率 20% + 前50名人数 20%(参评学生数以秋季入学"
                            "名册为准);学校总评 = 各年级各科目得分之和,教学点不参与学校总评;分两组排名;"
                            "奖惩标记附原文。方案可用 schoolq preset 复制修改。")
    p.add_argument("--exam", required=True, help="考试编号或名称")
    p.add_argument("--preset", help="篇7 方案编号(默认:在用的方案)")

    p = command(group, "annual", cmd_annual, json=True, help="篇20 年度绩效考核:由考核表算出各校得分、等次和中心小学得分",
                description="绩效得分 = 指标体系得分×60% + 动态考核得分×30% + 满意度×10% + 教育质量得分(≤10);"
                            "满意度 =(满意×1 + 较满意×0.8 + 基本满意×0.6)÷有效票数×100,班子 30%、群众 70%;"
                            "中心小学得分 = 校本部×60% + 村级学校平均×40%。考核表列:学校代码、指标体系得分、动态考核得分、"
                            "班子满意、班子较满意、班子基本满意、班子有效票数、群众满意、群众较满意、群众基本满意、"
                            "群众有效票数、教育质量得分、政治素质等次、党建等次、通报批评、严重事件。")
    p.add_argument("--sheet", required=True, metavar="FILE", help="填好的考核表(.xlsx/.xls/.csv)")

    p = command(group, "evaluation", cmd_evaluation, json=True, help="篇10 学校教学质量评估(240 分):学校自评与乡镇评分、等级",
                description="过程性 100 + 效益性 100 + 发展性 40;达标 ≥ 192,基本达标 144–191,不达标 < 144。"
                            "评估表每行一个评估要点,列:学校代码、部分、项目、满分、自评得分、乡镇评分。")
    p.add_argument("--sheet", required=True, metavar="FILE", help="填好的评估表(.xlsx/.xls/.csv)")

    county = sub.add_parser("county", help="县级数据库:新建(登记与导入用 township register/import)")
    group = county.add_subparsers(dest="county_command", metavar="子命令", required=True)
    p = command(group, "init", cmd_county_init, db=False, help="新建县级数据库")
    p.add_argument("db", metavar="DB", help="新数据库文件路径")
    p.add_argument("--code", required=True, help="县代码(字母和数字)")
    p.add_argument("--name", required=True, help="县名称")


def cmd_init(args) -> int:
    """Create a township database; return the exit code."""
    return new_database(args.db, "乡镇数据库", lambda secret: setup.init_township(
        args.db, code=args.code, name=args.name, county=args.county, passphrase=secret))


def cmd_county_init(args) -> int:
    """Create a county database; return the exit code."""
    return new_database(args.db, "县级数据库", lambda secret: setup.init_county(
        args.db, code=args.code, name=args.name, passphrase=secret))


def cmd_register(args) -> int:
    """Register a school's (or township's) public key and print its fingerprint; return the exit code."""
    pem = Path(args.pubkey).read_bytes()
    level, code = ("school", args.school_code) if args.school_code else ("township", args.township_code)
    with with_db(args, write=True) as session:
        result = register_key(session.db, session.actor, level=level, code=code, pem=pem, replace=args.replace,
                              name=args.name, school_type=args.type)
    if args.json:
        emit_json(result.to_dict())
        return 0
    what = "学校" if level == "school" else "乡镇"
    print(f"{what} {code.upper()} 的公钥指纹:")
    print(f"  {result.fingerprint}")
    print("请与对方电话核对这八组数字;不一致时不要导入它的数据包。")
    if result.unchanged:
        print("(这把密钥此前已登记,未作改动。)")
    elif result.replaced:
        print(f"已换用新密钥。旧密钥指纹:{result.replaced}(已停用)")
        print(f"            新密钥指纹:{result.fingerprint}")
    if result.created:
        print(f"已在本数据库中建立{what}“{args.name}”。")
    return 0


def cmd_import(args) -> int:
    """Import package files; return 0 when all were accepted or duplicates, 2 when any was refused."""
    with with_db(args, write=True) as session:
        results = import_packages(session.db, session.actor, args.files, accept_shrink=args.accept_shrink,
                                  passphrase=session.passphrase)
    refused = any(r.status == "refused" for r in results)
    if args.json:
        emit_json([r.to_dict() for r in results])
        return 2 if refused else 0
    for result in results:
        stream = sys.stderr if result.status == "refused" else sys.stdout
        print(f"{result.file}:{result.message}", file=stream)
    accepted = sum(r.status == "accepted" for r in results)
    duplicate = sum(r.status == "duplicate" for r in results)
    print(f"共 {len(results)} 个文件:接受 {accepted},重复 {duplicate},拒收 {len(results) - accepted - duplicate}。")
    return 2 if refused else 0


def cmd_export_config(args) -> int:
    """Export the config package for the schools and print its path; return the exit code."""
    with with_db(args, write=True) as session:
        result = export_config(session.db, session.actor, session.passphrase, args.out, term_code=args.term)
    if args.json:
        emit_json(result.to_dict())
        return 0
    print(result.path)
    print(f"第 {result.sequence} 号配置包({result.term_code}):统考 {result.counts['exams']} 个,已读回校验;"
          f"乡镇密钥指纹 {result.fingerprint}。学校导入后,它们的数据包都加密给本乡镇。", file=sys.stderr)
    return 0


def cmd_status(args) -> int:
    """Print the packages received per school; return the exit code."""
    with with_db(args, write=False) as session:
        rows = views.package_status(session.db)
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        last = (f"第 {row['last_sequence']} 号({row['last_term']}),制作于 {row['last_made_at']}"
                if row["last_sequence"] else "—")
        print(f"{row['code']}  {row['name']}  最近数据包:{last}  {row['status']}")
    return 0


def cmd_log(args) -> int:
    """Print the accepted imports, newest first (JSON with --json); return the exit code."""
    with with_db(args, write=False) as session:
        rows = views.import_log(session.db, max(args.limit, 1))
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        print(f"{shown(row['created_at'])}  {row['kind_name']}  {row['sender_name']}"
              f"({row['sender_code']})第 {row['sequence']} 号({row['term_code']})  导入人 {row['username']}"
              f"  {row['what']}")
    if not rows:
        print("还没有导入过数据包或配置包。")
    return 0


def cmd_checks(args) -> int:
    """Print the cross-school checks (and who is missing for --exam); return the exit code."""
    with with_db(args, write=False) as session:
        report = township_checks(session.db, args.exam)
    if args.json:
        emit_json(report)
        return 0
    for line in check_lines(report):
        print(line)
    return 0


def cmd_score(args) -> int:
    """Print the 篇7 township scores of an exam, one row per school (JSON with --json); return the
    exit code."""
    with with_db(args, write=False) as session:
        exam = find_exam(session.db, args.exam)
        result = township_subject_scores(session.db, exam["id"], preset=args.preset)
        preset = resolve(session.db, "township_subject", args.preset)
    rows = school_rows(result)
    if args.json:
        emit_json(rows)
        return 0
    print(f"{exam['name']}:篇7 乡镇质量检测评分(参评学生数按 {result['roster_day']} 的秋季入学名册)")
    table = [[r["school_name"], r["group"], str(len(r["items"])), f"{r['total']:.1f}",
              f"{r['total_rank']}/{r['total_rank_of']}" if r["total_rank"] else "不参与",
              ";".join(f["text"] for f in r["flags"])] for r in rows]
    print(format_table(["学校", "分组", "科目数", "学校总评", "总评名次", "标记"], table, 2))
    for r in rows:
        for item in r["items"]:
            for flag in item["flags"]:
                if flag["code"] != "subject_top_third":
                    print(f"{r['school_name']} {item['grade']}年级{item['subject']}:{flag['text']}(依据:{flag['rule']})")
    print(f"评分方案:{display_name(preset.name)}(第 {preset.version} 版,校验码 {preset.hash[:12]})")
    return 0


def cmd_annual(args) -> int:
    """Print the 篇20 annual scores computed from an item sheet; return the exit code."""
    rows = read_items(args.sheet)
    with with_db(args, write=False) as session:
        result = annual_scores(session.db, rows)
    if args.json:
        emit_json(result)
        return 0
    table = [[s["school_name"], f"{s['index']:g}", f"{s['dynamic']:g}", f"{s['satisfaction']:.1f}", f"{s['quality']:g}",
              f"{s['score']:.1f}", s["band"], s["band_note"]] for s in result["schools"]]
    print(format_table(["学校", "指标体系", "动态考核", "满意度", "教育质量", "绩效得分", "等次", "说明"], table, 99))
    for c in result["central"]:
        print(f"中心小学得分 {c['score']:.1f} = 校本部 {c['central_score']:.1f} × 60% + 村级学校平均 "
              f"{(c['village_mean'] or 0):.1f} × 40%({c['villages']} 所村级学校)")
    return 0


def cmd_evaluation(args) -> int:
    """Print the 篇10 evaluation of each school from an item sheet; return the exit code."""
    with with_db(args, write=False) as session:
        preset = resolve(session.db, "school_evaluation", None)
        result = evaluate(session.db, read_sheet(args.sheet, preset), preset=preset)
    if args.json:
        emit_json(result)
        return 0
    parts = list(preset["parts"])
    table = [[s["school_name"], *[f"{s['parts'][p]['self']:g}" for p in parts], f"{s['self_total']:g}", s["self_band"],
              "—" if s["township_total"] is None else f"{s['township_total']:g}", s["township_band"] or "未评"]
             for s in result["schools"]]
    print(format_table(["学校", *[f"{p}(自评)" for p in parts], "自评总分", "自评等级", "乡镇评分", "乡镇评定"], table, 99))
    return 0
