"""`schoolq exam create | list | cutoff`: set up exams and their cut-offs."""
from __future__ import annotations

import sys

from app.cli.common import command, emit_json, listed, with_db
from app.services import exams
from app.services.exam_limits import exam_limit_warnings


def register(sub) -> None:
    """Add the `exam` command and its create / list / cutoff actions to the parser."""
    p = sub.add_parser("exam", help="考试设置(新建、列出、分数线)", description="新建考试、列出考试、修改分数线。")
    actions = p.add_subparsers(dest="exam_command", metavar="操作", required=True)

    c = command(actions, "create", cmd_create, json=True, user=True, help="新建考试", description=(
        "新建一次考试,输出它的编号。科目写作 科目:满分,只考部分年级的科目写作 科目:满分:年级,"
        "如 --subjects 语文:100,数学:100,英语:100:3-6。分数线默认 优秀≥85%、及格≥60%、低分<40%(占满分)。"))
    c.add_argument("--name", required=True, help="考试名称")
    c.add_argument("--type", required=True, choices=exams.EXAM_TYPES, help="考试类型")
    c.add_argument("--term", help="学期代码,如 2026-2027-1(默认:当前学期)")
    c.add_argument("--grades", required=True, help="参考年级,如 3,4 或 3-6")
    c.add_argument("--subjects", required=True, help="科目与满分,如 语文:100,数学:100,英语:100:3-6")
    c.add_argument("--date", help="考试日期,如 2026-11-12")
    c.add_argument("--scope", choices=exams.SCOPES, help="考试范围(默认:学校库为 校,乡镇库为 乡,县级库为 县)")
    c.add_argument("--school", help="校级考试所属学校代码(乡镇库中设置校级考试时需要)")
    c.add_argument("--policy", choices=exams.POLICIES,
                   help="统计口径:sat 按实考人数;roster 按应考人数(名册全员,缺考按 0 分计)。默认按考试类型:"
                        "统考/期中/期末/抽测/毕业考为 roster,单元/月考为 sat(评分方案中可改)")
    c.add_argument("--excellent", type=float, help="优秀线(满分的百分比,默认 85)")
    c.add_argument("--pass", dest="pass_pct", type=float, help="及格线(满分的百分比,默认 60)")
    c.add_argument("--low", type=float, help="低分线(满分的百分比,默认 40)")

    ls = command(actions, "list", cmd_list, json=True, help="列出考试", description="列出数据库中的考试(最新的在前)。")
    ls.add_argument("--term", help="只列出这一学期的考试,如 2026-2027-1")

    k = command(actions, "cutoff", cmd_cutoff, user=True, help="修改分数线", description=(
        "修改一次考试某科目的分数线(满分的百分比);加 --grade 只改这一年级。"))
    k.add_argument("--exam", required=True, help="考试编号或名称")
    k.add_argument("--subject", required=True, help="科目")
    k.add_argument("--grade", type=int, help="只改这一年级")
    k.add_argument("--excellent", type=float, required=True, help="优秀线(%%)")
    k.add_argument("--pass", dest="pass_pct", type=float, required=True, help="及格线(%%)")
    k.add_argument("--low", type=float, required=True, help="低分线(%%)")


def cmd_create(args) -> int:
    """Create an exam; print its id (or {"id": ...}). Returns the exit code."""
    with with_db(args, write=True) as session:
        db = session.db
        cutoffs = {k: v for k, v in (("excellent_pct", args.excellent), ("pass_pct", args.pass_pct),
                                     ("low_pct", args.low)) if v is not None}
        exam_id = exams.create_exam(db, session.actor, name=args.name, type=args.type, grades=args.grades,
                                    subjects=args.subjects, scope=args.scope, term=args.term, date=args.date,
                                    policy=args.policy, school=args.school, cutoffs=cutoffs or None)
        warnings = exam_limit_warnings(db, exam_id)
    if args.json:
        emit_json({"id": exam_id, "warnings": warnings})
    else:
        print(exam_id)
        for warning in warnings:
            print(f"提醒:{warning}", file=sys.stderr)
    return 0


def cmd_list(args) -> int:
    """List the exams, newest first, as text or JSON. Returns the exit code."""
    with with_db(args, write=False) as session:
        rows = exams.list_exams(session.db, args.term)
    if listed(args, rows, "没有考试。"):
        return 0
    for row in rows:
        grades = "、".join(f"{g}年级" for g in row["grades"])
        print(f"{row['id']}  {row['term_code']}  {row['date'] or '(未定日期)'}  {row['name']}({row['type']},"
              f"{row['scope']}级,{exams.POLICY_NAMES[row['policy']]})")
        print(f"    {grades};{'、'.join(row['subjects'])};成绩 {row['n_marks']} 条")
    return 0


def cmd_cutoff(args) -> int:
    """Change the cut-offs of one exam subject (one grade or all). Returns the exit code."""
    with with_db(args, write=True) as session:
        db = session.db
        exam = exams.find_exam(db, args.exam)
        exams.set_cutoffs(db, session.actor, exam["id"], args.subject, excellent_pct=args.excellent,
                          pass_pct=args.pass_pct, low_pct=args.low, grade=args.grade)
    where = f"{args.grade} 年级" if args.grade else "所有年级"
    print(f"已修改“{exam['name']}”{args.subject}({where})的分数线:优秀 ≥ {args.excellent:g}%,"
          f"及格 ≥ {args.pass_pct:g}%,低分 < {args.low:g}%。")
    return 0
