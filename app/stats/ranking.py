"""What may be ranked, and the ranking of schools: one rule for every output.

A figure carries no rank when (the first reason found is given):
- the exam is a sample test (抽测: 000 篇9 "统计结果不进行排队");
- the subject is assessed by grade (等级), not by score (篇17, 篇13, 篇15), or the group is of grade 1
  or 2 (篇13, 篇15: their results are 等级; a paper test there is never ranked);
- the group is smaller than the preset's minimum size (篇5: small groups swing wildly);
- it is a pupil's rank and the output is not for staff only (篇13, 篇15: pupils' scores and ranks
  are not published).

Schools are compared as the quality preset's `school_comparison` says: "none" (篇5 承认差异看进步,
no side-by-side ranking), "groups" (篇7: 中心校本部 apart from 完小 and 教学点, the default; progress
comes first) or "one_list".
"""
from __future__ import annotations

from collections import defaultdict

from app.stats.presets import Preset

NO_RANK_TYPES = ("抽测",)
LOW_GRADES = (1, 2)
COMPARISONS = {"none": "不做学校之间的横向排名", "groups": "中心校本部与完小、教学点分两组排名",
               "one_list": "全部学校一起排名"}
DEFAULT_GROUPS = [["中心校本部"], ["完小", "教学点"]]


def rank_refusal(exam: dict, *, n: int | None = None, min_size: int | None = None, graded: bool = False,
                 grade: int | None = None, pupils: bool = False, staff_only: bool = False) -> str | None:
    """Return why a figure of `exam` may not carry a rank (a short Chinese reason), or None when it
    may. `n` and `min_size`: the group's size and the smallest ranked; `graded`: a 等级 subject;
    `grade`: the group's grade (grades 1–2 are assessed by 等级, never ranked on a paper test);
    `pupils`: a pupil's rank, allowed only in `staff_only` outputs."""
    if exam.get("type") in NO_RANK_TYPES:
        return "抽测不排名"
    if graded:
        return "等级评价,不排名"
    if grade in LOW_GRADES:
        return "一二年级实行等级评价,不排名"
    if pupils and not staff_only:
        return "学生名次不公开"
    if n is not None and min_size is not None and n < min_size:
        return "样本过小"
    return None


def exam_may_rank(exam: dict) -> bool:
    """Return whether any figure of `exam` may carry a rank (not a 抽测)."""
    return rank_refusal(exam) is None


def competition_ranks(values: list[float | None], descending: bool = True) -> list[int | None]:
    """Return competition ranks (1, 2, 2, 4) of `values`; None values get None.

    Values equal to 9 decimal places tie.
    """
    keyed = [(round(v, 9), i) for i, v in enumerate(values) if v is not None]
    keyed.sort(key=lambda item: -item[0] if descending else item[0])
    ranks: list[int | None] = [None] * len(values)
    previous, previous_rank = None, 0
    for position, (value, i) in enumerate(keyed, start=1):
        if value != previous:
            previous, previous_rank = value, position
        ranks[i] = previous_rank
    return ranks


def comparison(preset: Preset) -> str:
    """Return the school comparison the quality preset asks for: none / groups / one_list."""
    chosen = preset.content.get("school_comparison", "groups")
    return chosen if chosen in COMPARISONS else "groups"


def comparison_groups(preset: Preset) -> list[list[str]]:
    """Return the school types ranked together, one list per group, under the preset's comparison
    (one group of every type for one_list; the preset's groups, default 篇7's two, for groups)."""
    if comparison(preset) == "one_list":
        return [["中心校本部", "完小", "教学点"]]
    return preset.content.get("rank_groups") or DEFAULT_GROUPS


def rank_schools(exam: dict, schools: list[dict], key: str, preset: Preset, *, rank_key: str = "rank") -> None:
    """Rank `schools` (dicts with type, small and the figure `key`) in place on `key`, descending,
    as the preset's school comparison says: sets rank_key, rank_key + '_of' (None when not ranked)
    and `group` (index into comparison_groups). A small school, a school without the figure, any
    school under "none" and every school of a 抽测 get no rank."""
    groups = comparison_groups(preset)
    group_of = {kind: i for i, kinds in enumerate(groups) for kind in kinds}
    members: dict[int, list[dict]] = defaultdict(list)
    for school in schools:
        school["group"] = group_of.get(school["type"], len(groups))
        school[rank_key] = school[rank_key + "_of"] = None
        if school.get(key) is not None and not school.get("small"):
            members[school["group"]].append(school)
    if comparison(preset) == "none" or not exam_may_rank(exam):
        return
    for group in members.values():
        for school, rank in zip(group, competition_ranks([s[key] for s in group])):
            school[rank_key], school[rank_key + "_of"] = rank, len(group)
