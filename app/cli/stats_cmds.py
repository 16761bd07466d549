"""`schoolq stats`: the quality figures of one exam per class, grade, school or township."""
from __future__ import annotations

import unicodedata

from app.cli.common import add_db_argument, add_json_argument, emit_json, with_db
from app.services.exams import find_exam
from app.stats.groups import LEVEL_NAMES, LEVELS, group_stats


def register(sub) -> None:
    """Add the `stats` command to the parser."""
    p = sub.add_parser("stats", help="考试质量统计(三率一分、分数段、名次)", description=(
        "按班级、年级、学校或乡镇统计一次考试各科的应考/实考/缺考/免考人数,平均分、标准差、中位数、"
        "最高最低分,及格率、优秀率、低分率,十个分数段人数和三率一分综合分。人数少于最小样本的组标注"
        "“样本过小”,不参加排名。"))
    add_db_argument(p)
    p.add_argument("--exam", required=True, help="考试编号或名称(schoolq exam list 可查)")
    p.add_argument("--level", choices=LEVELS, default="class",
                   help="统计层级:class 班级(默认)、grade 学校的年级、school 学校、township 乡镇")
    p.add_argument("--policy", choices=("sat", "roster"),
                   help="改用另一统计口径:sat 按实考人数,roster 按应考人数(缺考计 0 分);默认用考试设置的口径")
    p.add_argument("--min-size", type=int, help="最小样本人数(默认取评分方案中的值,通常为 10)")
    p.add_argument("--preset", help="三率一分评分方案编号(默认:当前使用的方案)")
    p.add_argument("--grade", type=int, help="只看这一年级")
    p.add_argument("--subject", help="只看这一学科")
    p.add_argument("--school", help="只看这所学校(学校代码)")
    add_json_argument(p)
    p.set_defaults(func=cmd_stats)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def format_table(headers: list[str], rows: list[list[str]], right_from: int) -> str:
    """Return a plain-text table whose columns line up with Chinese text (columns from
    `right_from` on are right-aligned numbers)."""
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, widths[i], i >= right_from) for i, h in enumerate(headers))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, widths[i], i >= right_from) for i, c in enumerate(r)) for r in rows]
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def cmd_stats(args) -> int:
    """Print the group figures of one exam at one level, as a Chinese table or JSON. Returns the
    exit code."""
    with with_db(args, write=False) as session:
        db = session.db
        exam = find_exam(db, args.exam)
        records = group_stats(db, exam["id"], args.level, preset=args.preset, policy=args.policy,
                              min_size=args.min_size)
    if args.grade is not None:
        records = [r for r in records if r["grade"] == args.grade]
    if args.subject:
        records = [r for r in records if args.subject in (r["subject"], r["subject_code"])]
    if args.school:
        records = [r for r in records if (r["school_code"] or "").upper() == args.school.upper()]
    if args.json:
        emit_json(records)
        return 0
    policy = records[0]["policy"] if records else (args.policy or exam["policy"])
    print(f"{exam['name']}({exam['term_code']})— {LEVEL_NAMES[args.level]}统计,"
          f"{'按应考人数(缺考计 0 分)' if policy == 'roster' else '按实考人数'};免考不计入,作弊按 0 分计入。")
    if not records:
        print("没有符合条件的成绩。")
        return 0
    headers = ["单位", "年级", "学科", "应考", "实考", "缺考", "免考", "统计人数", "平均分", "标准差", "中位数",
               "最高", "最低", "及格率", "优秀率", "低分率", "综合分", "名次"]
    rows = []
    for r in records:
        unit = r["township_name"] if r["level"] == "township" else r["school_name"]
        if r["class_name"]:
            unit = f"{unit} {r['class_name']}"
        rank = f"{r['rank']}/{r['rank_of']}" if r["rank"] else ("样本过小" if r["small_sample"] else "—")
        rows.append([unit or "—", "全部" if r["grade"] is None else f"{r['grade']}年级", r["subject"],
                     str(r["n_roster"]), str(r["n_sat"]), str(r["n_absent"]), str(r["n_exempt"]), str(r["n"]),
                     _num(r["mean"]), _num(r["sd"]), _num(r["median"]), _num(r["max"]), _num(r["min"]),
                     _pct(r["pass_rate"]), _pct(r["excellent_rate"]), _pct(r["low_rate"]), _num(r["composite"]),
                     rank])
    print(format_table(headers, rows, right_from=3))
    small = sum(1 for r in records if r["small_sample"])
    if small:
        print(f"注:{small} 个组人数少于最小样本,标为“样本过小”,不参加排名,数据仅供参考。")
    print(f"评分方案:{records[0]['preset_id']}(内容校验 {records[0]['preset_hash'][:12]})")
    return 0
