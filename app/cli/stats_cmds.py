"""`schoolq stats`: the quality figures of one exam per class, grade, school or township."""
from __future__ import annotations

import unicodedata

from app.cli.common import command, emit_json, with_db
from app.services.exams import find_exam
from app.stats.presets import resolve
from app.stats.groups import LEVEL_NAMES, LEVELS, group_stats
from app.stats.vocabulary import BASIS_WORDS, format_figure, grades_text, label, rank_text


def register(sub) -> None:
    """Add the `stats` command to the parser."""
    p = command(sub, "stats", cmd_stats, json=True, help="考试质量统计(三率一分、分数段、名次)", description=(
        "按班级、年级、学校或乡镇统计一次考试各科的应考/实考/缺考/免考人数,平均分、标准差、中位数、"
        "最高最低分,及格率、优秀率、低分率,十个分数段人数和三率一分综合分。人数少于最小样本的组标注"
        "“样本过小”,不参加排名。"))
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


def cmd_stats(args) -> int:
    """Print the group figures of one exam at one level, as a Chinese table or JSON. Returns the
    exit code."""
    with with_db(args, write=False) as session:
        db = session.db
        exam = find_exam(db, args.exam)
        records = group_stats(db, exam["id"], args.level, preset=args.preset, policy=args.policy,
                              min_size=args.min_size)
        preset_name = resolve(db, "quality", args.preset).name
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
          f"{BASIS_WORDS[policy]};免考不计入,作弊按 0 分计入。")
    if not records:
        print("没有符合条件的成绩。")
        return 0
    keys = ["n_roster", "n_sat", "n_absent", "n_exempt", "n", "mean", "sd", "median", "max", "min", "pass_rate",
            "excellent_rate", "low_rate", "composite"]
    graded = any(r["grades"] is not None for r in records)
    headers = ["单位", "年级", "学科", *(label(k) for k in keys), label("rank"), *([label("grades")] if graded else [])]
    rows = []
    for r in records:
        unit = r["township_name"] if r["level"] == "township" else r["school_name"]
        if r["class_name"]:
            unit = f"{unit} {r['class_name']}"
        rows.append([unit or "—", "全部" if r["grade"] is None else f"{r['grade']}年级", r["subject"],
                     *(format_figure(k, r[k]) for k in keys), rank_text(r),
                     *([grades_text(r["grades"]) if r["grades"] is not None else ""] if graded else [])])
    print(format_table(headers, rows, right_from=3))
    if graded:
        print("注:等级评价的科目只列各等级人数,不算平均分和三率,不排名,不计入总分。")
    small = sum(1 for r in records if r["small_sample"])
    if small:
        print(f"注:{small} 个组人数少于最小样本,标为“样本过小”,不参加排名,数据仅供参考。")
    missing = sum(r["n_missing"] for r in records)
    if missing:
        print(f"注:缺考中有 {missing} 人次是名册上有、成绩表中没有的学生(考试当天在班);"
              f"{'按应考人数统计,计 0 分。' if policy == 'roster' else '按实考人数统计,不计入。'}")
    print(f"评分方案:{preset_name}(内容校验 {records[0]['preset_hash'][:12]})")
    return 0
