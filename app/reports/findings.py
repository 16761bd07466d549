"""Written findings in Chinese, generated from the figures of the statistics engine.

Every sentence is worked out from figures passed in (records of app.stats), never typed in. The
rules follow the seeds: groups below the minimum size (样本过小) are never compared or ranked — the
findings name them and say so — and progress against the same pupils' earlier results comes
before raw comparison. A difference is only called out when it reaches a threshold (rates: 5
percentage points; means: 5 % of full marks), so the findings stay short enough to read.
"""
from __future__ import annotations

from app.reports.common import grade_name
from app.reports.model import pct
from app.stats.vocabulary import NO_BASELINE

RATE_STEP = 0.05       # a 5-percentage-point difference in a rate is worth a sentence
MEAN_STEP = 0.05       # so is a difference of 5 % of full marks in a mean
MAX_ITEMS = 8          # pass-rate sentences in one report
MAX_SPREAD = 4         # class-gap sentences in one report
NO_COMMON_PUPILS = "这些班级的学生在基线考试中没有成绩(如一年级新生),无法计算进步值和增值。"


def points(diff: float) -> str:
    """Return a rate difference (fractions) as '12.5 个百分点'."""
    return f"{abs(diff) * 100:.1f} 个百分点"


def _group(record: dict) -> str:
    grade = record.get("grade")
    return f"{grade_name(grade) if grade else ''}{record['subject']}"


def small_sample_note(records: list[dict], what: str = "组", min_size: int | None = None) -> str | None:
    """Return the sentence naming the groups below the minimum size and saying they are neither
    compared nor ranked, or None when there is none. Records need label (or grade + subject) and n."""
    small = [r for r in records if r.get("small_sample")]
    if not small:
        return None
    names = "、".join(f"{r.get('label') or _group(r)}({r['n']} 人)" for r in small[:10])
    more = f"等 {len(small)} 个{what}" if len(small) > 10 else ""
    limit = f"少于 {min_size} 人" if min_size else "人数过少"
    return f"{names}{more}{limit}(样本过小),只列出数字,不作比较,也不参加排名。"


def pass_rate_findings(records: list[dict], township: dict[tuple, dict], progress: dict[tuple, dict]) -> list[str]:
    """Return sentences on the pass rate of each grade × subject of a school that moved against
    the baseline (same pupils) or differs from the township mean of the grade by 5 points or more.

    `records`: grade-level group records of the school; `township`: {(grade, subject_code): township
    record}; `progress`: {(grade, subject_code): progress record}. Small samples are left out (see
    small_sample_note). Ordered by the size of the change, at most MAX_ITEMS sentences.
    """
    scored = []
    for r in records:
        if r["small_sample"] or r["pass_rate"] is None:
            continue
        key = (r["grade"], r["subject_code"])
        parts, weight = [], 0.0
        p = progress.get(key)
        if p and not p["small_sample"] and not p.get("no_baseline"):
            change = p["current"]["pass_rate"] - p["baseline"]["pass_rate"]
            if abs(change) >= RATE_STEP:
                word = "上升" if change > 0 else "下降"
                parts.append(f"较上次{word} {points(change)}")
                weight = max(weight, abs(change))
        t = township.get(key)
        if t and t["pass_rate"] is not None:
            diff = r["pass_rate"] - t["pass_rate"]
            if abs(diff) >= RATE_STEP:
                word = "高于" if diff > 0 else "低于"
                parts.append(f"{word}全乡同年级平均({pct(t['pass_rate'])}){points(diff)}")
                weight = max(weight, abs(diff))
        if parts:
            scored.append((weight, f"{_group(r)}及格率 {pct(r['pass_rate'])}," + ",".join(parts) + "。"))
    scored.sort(key=lambda item: -item[0])
    out = [text for _, text in scored[:MAX_ITEMS]]
    if len(scored) > MAX_ITEMS:
        out.append(f"另有 {len(scored) - MAX_ITEMS} 项变化较小或差距较小的学科,见各年级表格。")
    return out


def class_spread_findings(class_records: list[dict]) -> list[str]:
    """Return, per grade and subject with two or more classes of adequate size, the class with the
    highest and the lowest mean when they differ by 5 % of full marks or more (largest gaps first,
    at most MAX_SPREAD sentences). Classes with small samples are left out of the comparison and
    the sentence says how many were."""
    groups: dict[tuple, list[dict]] = {}
    for r in class_records:
        if r["mean"] is not None:
            groups.setdefault((r["grade"], r["subject_code"]), []).append(r)
    scored = []
    for members in groups.values():
        ranked = [m for m in members if not m["small_sample"]]
        if len(ranked) < 2:
            continue
        best = max(ranked, key=lambda m: m["mean"])
        worst = min(ranked, key=lambda m: m["mean"])
        gap = best["mean"] - worst["mean"]
        if gap < MEAN_STEP * best["full_marks"]:
            continue
        left_out = len(members) - len(ranked)
        note = f"({left_out} 个班样本过小,未参加比较)" if left_out else ""
        scored.append((gap / best["full_marks"], f"{_group(best)}各班平均分差距较大:{best['class_name']} "
                       f"{best['mean']:.1f} 分,{worst['class_name']} {worst['mean']:.1f} 分,相差 {gap:.1f} 分{note}。"))
    scored.sort(key=lambda item: -item[0])
    out = [text for _, text in scored[:MAX_SPREAD]]
    if len(scored) > MAX_SPREAD:
        out.append(f"另有 {len(scored) - MAX_SPREAD} 个年级学科的班级差距达到满分的 5%,见“班级对比”表;"
                   "平行编班的年级班级差距较大时,应查找原因。")
    return out


def value_added_findings(records: list[dict], label_key: str = "class_name") -> list[str]:
    """Return sentences for the groups whose 95 % value-added interval lies wholly above or below 0
    (small samples left out): they did better or worse than their earlier results predicted."""
    out = []
    for r in records:
        if r["small_sample"] or r["ci_low"] is None:
            continue
        if r["ci_low"] > 0 or r["ci_high"] < 0:
            word = "高于" if r["ci_low"] > 0 else "低于"
            grade = grade_name(r["grade"]) if r.get("grade") and label_key != "class_name" else ""
            out.append(f"{r[label_key]}{grade}{r['subject']}增值 {r['value_added']:+.2f} 个标准差(95% 区间 "
                       f"{r['ci_low']:+.2f} 至 {r['ci_high']:+.2f},{r['n']} 人),明显{word}按前次成绩预期的水平。")
    if not out and records:
        out.append("各组的增值 95% 区间都包含 0:与按前次成绩预期的水平相比,没有明显高于或低于预期的组。")
    return out


def comparison_findings(own: list[dict], references: dict[str, dict[str, dict]], prefix: str = "") -> list[str]:
    """Return, per subject of a group (a class or a teacher's class), how its mean and pass rate
    compare with reference groups, e.g. {'本校同年级': {...}, '全乡同年级': {...}} keyed by subject
    code; largest differences first, at most MAX_ITEMS sentences, each starting with `prefix`. A
    small group gets one sentence saying it is not compared."""
    scored, small = [], []
    for r in own:
        if r["mean"] is None:
            continue
        if r["small_sample"]:
            small.append(f"{r['subject']}({r['n']} 人)")
            continue
        parts, weight = [], 0.0
        for name, by_subject in references.items():
            ref = by_subject.get(r["subject_code"])
            if not ref or ref["mean"] is None:
                continue
            diff = r["mean"] - ref["mean"]
            if abs(diff) >= MEAN_STEP * r["full_marks"]:
                parts.append(f"比{name}{'高' if diff > 0 else '低'} {abs(diff):.1f} 分")
                weight = max(weight, abs(diff) / r["full_marks"])
            rate = r["pass_rate"] - ref["pass_rate"]
            if abs(rate) >= RATE_STEP:
                parts.append(f"及格率{'高于' if rate > 0 else '低于'}{name} {points(rate)}")
                weight = max(weight, abs(rate))
        if parts:
            scored.append((weight, f"{prefix}{r['subject']}平均分 {r['mean']:.1f},及格率 {pct(r['pass_rate'])}:"
                                   + ",".join(parts) + "。"))
    scored.sort(key=lambda item: -item[0])
    out = [text for _, text in scored[:MAX_ITEMS]]
    if len(scored) > MAX_ITEMS:
        out.append(f"{prefix}另有 {len(scored) - MAX_ITEMS} 个学科与参照组有差距,见对比表。")
    if small:
        out.append(f"{prefix}{'、'.join(small)}人数过少(样本过小),只列数字,不作比较。")
    if not scored and not small:
        out.append(f"{prefix}各学科的平均分和及格率与参照组相差都不大(平均分差不到满分的 5%,及格率差不到 5 个百分点)。")
    return out


def progress_findings(records: list[dict], label_key: str, baseline_name: str | None) -> list[str]:
    """Return the largest gain and the largest loss in 进步值 among groups of adequate size (by
    `label_key`), naming how many groups were left out as small samples."""
    ranked = [r for r in records if not r["small_sample"] and r.get("progress") is not None]
    if not ranked:
        return []
    source = f"与{baseline_name}相比" if baseline_name else "与上次相比"
    best = max(ranked, key=lambda r: r["progress"])
    worst = min(ranked, key=lambda r: r["progress"])
    out = [f"{source},进步值最高的是{best[label_key]}({best['progress']:+.1f}),"
           f"最低的是{worst[label_key]}({worst['progress']:+.1f})。"]
    falling = [r for r in ranked if r["progress"] <= -5]
    if falling:
        out.append("进步值低于 −5 的有:" + "、".join(f"{r[label_key]}({r['progress']:+.1f})" for r in falling[:8])
                   + ",建议分析原因,列入质量预警。")
    left_out = sum(1 for r in records if r["small_sample"])
    if left_out:
        out.append(f"另有 {left_out} 个组样本过小,未参加进步值比较。")
    absent = sorted({r["subject"] for r in records if r.get("no_baseline")})
    if absent:
        out.append(f"{'、'.join(absent)}不在基线考试中:{NO_BASELINE},没有进步值。")
    return out
