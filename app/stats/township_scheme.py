"""The township quality scheme of 000 篇7 (镇质量检测), driven by its preset (township-000-7 or a copy).

- Subjects (考核科目): grades 1–2 语文、数学; grades 3–6 语文、数学、英语 and 综合 — "语数英之外的学科",
  taken as the sum of a pupil's marks in the exam's other scored subjects of that grade (their full
  marks and excellent lines added likewise). Graded subjects (等级) have no score and stay out.
- 参评学生数: the class roster at the autumn intake ("以秋季入学班级学生数为准"): every pupil enrolled
  in the grade on the academic year's first day counts, a pupil without a mark counts 0
  (app.stats.roster under the autumn-intake roster day, the roster policy).
- 单科成绩 = 巩固率 10% + 人均分 50% + 优秀率 20% + 前50名人数 20%. 篇7 does not say how the four
  items are made comparable; each is scaled to the best school of the same grade and subject in the
  township (= 100), as the preset's source says. 巩固率 is the cohort's retention from the status
  history on the exam day, as 控辍保学 counts it (app.records.retention).
- 学校总评 = the sum of the school's grade × subject scores ("各年级各科目得分之和"; the preset may
  take the mean instead); 教学点 do not enter it ("教学点不参与学校总评"): no total_rank.
- Ranks within the preset's two groups (校本部; 完小、教学点); flags for rewards and penalties, each
  with the rule quoted from the preset: the first two in a subject, below the top third no share of
  the bonus, the last two in a subject unless within 5 points of the township mean, the first two
  and the last school overall unless within 10 points of the mean of the schools in 学校总评. A place
  among the first two wins: the last places are judged only after them (in a group of two schools
  nobody is penalised), so no school is rewarded and penalised for the same result.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import invalid
from app.presets import make_preset
from app.records.retention import retention as cohort_retention
from app.services.exams import get_exam
from app.stats.groups import group_stats
from app.stats.presets import Preset, active_preset, resolve
from app.stats.ranking import competition_ranks, rank_refusal
from app.stats.roster import roster_day

ITEMS = ("retention", "mean", "excellent_rate", "top_n")
COMPOSITE = "综合"
MAIN = ("yw", "sx", "yy")


def retention(db: Database, exam: dict) -> dict[tuple[str, int], float]:
    """Return {(school_id, grade in the exam): 巩固率} of the exam's academic year counted on the exam
    day (the end of its term when undated): app.records.retention, the one definition (autumn intake
    less transfers out as the base; a pupil who leaves after the exam still counts as kept). Grades
    without an intake are left out."""
    year_code, term_end = db.execute("SELECT y.code, t.end_date FROM term t JOIN academic_year y"
                                     " ON y.id = t.academic_year_id WHERE t.id = ?", [exam["term_id"]]).fetchone()
    as_of = dt.date.fromisoformat(exam.get("date") or term_end)
    figures = cohort_retention(db, year_code=year_code, as_of=as_of)
    return {(row.school_id, row.grade): row.retention_rate for row in figures.grades if row.retention_rate is not None}


def _autumn_quality(db: Database, exam: dict) -> Preset:
    """Return the quality preset in force, pinned to the autumn-intake roster for this exam's type."""
    quality = active_preset(db, "quality")
    types = sorted({*quality.content.get("autumn_roster_types", []), exam["type"]})
    return make_preset({**quality.content, "autumn_roster_types": types}, "quality", scope=quality.scope)


def _pupil_scores(db: Database, exam: dict, wanted: dict[int, list[str]]) -> tuple[dict, dict]:
    """Return ({(school_code, grade, item): {pupil: score}}, {(grade, item): (full marks, excellent line)})
    for the items of `wanted` (subject codes or 综合), counting a mark that is not 正常 as 0."""
    scored = [s for s in exam["subjects"] if s["assessment"] == "分数"]
    item_of: dict[tuple[str, int], str] = {}
    lines: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for subject in scored:
        for grade in subject["grades"]:
            items = wanted.get(grade, [])
            item = subject["code"] if subject["code"] in items else (
                COMPOSITE if COMPOSITE in items and subject["code"] not in MAIN else None)
            if item is None:
                continue
            item_of[(subject["subject_id"], grade)] = item
            line = lines[(grade, item)]
            line[0] += subject["full_marks"]
            line[1] += subject["full_marks"] * subject["cutoffs"][grade]["excellent_pct"] / 100
    scores: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for pupil, school_code, grade, subject_id, status, score in db.execute(
            "SELECT m.pupil_id, s.code, m.grade, m.subject_id, m.status, m.score FROM mark m"
            f" JOIN school s ON s.id = m.school_id WHERE m.exam_no = {number_of('exam')}", [exam["id"]]):
        item = item_of.get((subject_id, grade))
        if item is not None:
            scores[(school_code, grade, item)][pupil] += score if status == "正常" and score is not None else 0.0
    return scores, {key: (full, excellent) for key, (full, excellent) in lines.items()}


def _flag(code: str, text: str, rule: str) -> dict:
    return {"code": code, "text": text, "rule": rule}


def _rank_groups(members: list[dict], group_of, field: str, rank_key: str) -> dict[int, list[dict]]:
    groups: dict[int, list[dict]] = defaultdict(list)
    for m in members:
        groups[group_of(m)].append(m)
    for group in groups.values():
        for m, rank in zip(group, competition_ranks([g[field] for g in group])):
            m[rank_key], m[f"{rank_key}_of"] = rank, len(group)
    return groups


def township_subject_scores(db: Database, exam_id: str, *, preset: Preset | str | None = None) -> dict:
    """Return the 000 篇7 scores of an exam: {"items", "schools", "roster_day", preset_id, preset_hash,
    quality_preset_id, quality_preset_hash}.

    items: one per school × grade × 篇7 subject (综合 for the other subjects of grades 3–6):
    school_code, school_name, school_type, group (its Chinese name), grade, subject (name), item
    (subject code or 综合), n (参评学生数), retention, mean (人均分), excellent_rate, top_n (pupils among
    the township's first top_n of the grade and subject, ties included), the four *_score (best
    school = 100), score, rank and rank_of within the group, township_mean, flags. schools: one per
    school with items: school_code, school_name, school_type, group, items (count), total, in_total
    (False for a 教学点), total_rank and total_rank_of (None outside 学校总评), flags. A flag is
    {code, text, rule}: rule quotes 篇7. Raises NotFound, ValidationError (also for a 抽测, which is
    never ranked).
    """
    chosen = resolve(db, "township_subject", preset)
    exam = get_exam(db, exam_id)
    refusal = rank_refusal(exam)
    if refusal:
        raise invalid(f"{refusal}:篇7 的单科成绩和学校总评要给学校排名,这次考试不能计算。", "exam")
    quality = _autumn_quality(db, exam)
    wanted = {int(g): list(v) for g, v in chosen["subjects_by_grade"].items()}
    roster: dict[tuple[str, int], int] = {}
    for r in group_stats(db, exam_id, "grade", preset=quality, policy="roster", min_size=1):
        key = (r["school_code"], r["grade"])
        roster[key] = max(roster.get(key, 0), r["n"] or 0)
    schools = {r["code"]: dict(r) for r in db.query(
        "SELECT s.id, s.code, s.name, s.type, IFNULL(t.code, '') AS township FROM school s"
        " LEFT JOIN township t ON t.id = s.township_id")}
    day = roster_day(db, exam, quality)
    kept = retention(db, exam)
    scores, lines = _pupil_scores(db, exam, wanted)
    names = {s["code"]: s["name"] for s in exam["subjects"]}
    items = []
    for (school_code, grade, item), by_pupil in scores.items():
        n = max(roster.get((school_code, grade), 0), len(by_pupil))
        school = schools[school_code]
        full, excellent = lines[(grade, item)]
        items.append({"township_code": school["township"], "school_code": school_code, "school_name": school["name"],
                      "school_type": school["type"], "grade": grade, "item": item,
                      "subject": names.get(item, item), "n": n,
                      "retention": kept.get((school["id"], grade), 1.0),
                      "mean": sum(by_pupil.values()) / n,
                      "excellent_rate": sum(v >= excellent - 1e-9 for v in by_pupil.values()) / n,
                      "full_marks": full, "pupils": by_pupil})
    _top_counts(items, int(chosen["top_n"]))
    return _score(items, chosen, quality, day)


def _top_counts(items: list[dict], top_n: int) -> None:
    """Set each item's top_n: its pupils among the first `top_n` of the township, grade and item."""
    cohorts: dict[tuple, list[tuple[float, dict]]] = defaultdict(list)
    for item in items:
        for value in item.pop("pupils").values():
            cohorts[(item["township_code"], item["grade"], item["item"])].append((value, item))
        item["top_n"] = 0
    for members in cohorts.values():
        for (_, item), rank in zip(members, competition_ranks([m[0] for m in members])):
            if rank is not None and rank <= top_n:
                item["top_n"] += 1


def _score(items: list[dict], chosen: Preset, quality: Preset, day: str) -> dict:
    weights, rules = chosen["weights"], chosen["rules"]
    group_names = chosen["group_names"]
    group_index = {kind: i for i, kinds in enumerate(chosen["rank_groups"]) for kind in kinds}
    group_of = lambda m: group_index.get(m["school_type"], len(group_names) - 1)  # noqa: E731
    by_cell: dict[tuple, list[dict]] = defaultdict(list)
    for item in items:
        item["group"] = group_names[group_of(item)]
        by_cell[(item["township_code"], item["grade"], item["item"])].append(item)
    third = chosen["reward_top_fraction"]
    for members in by_cell.values():
        for field in ITEMS:
            best = max(m[field] for m in members)
            for m in members:
                m[f"{field}_score"] = 100.0 * m[field] / best if best > 0 else 0.0
        for m in members:
            m["score"] = sum(weights[f] * m[f"{f}_score"] for f in ITEMS)
        township_mean = sum(m["score"] for m in members) / len(members)
        for group in _rank_groups(members, group_of, "score", "rank").values():
            for m in group:
                m["township_mean"] = township_mean
                m["flags"] = _item_flags(m, len(group), third, township_mean, chosen["subject_margin"], rules)
    totals = _school_totals(items, chosen, group_of, rules)
    items.sort(key=lambda i: (i["township_code"], i["school_code"], i["grade"], _item_order(i["item"])))
    return {"items": items, "schools": totals, "roster_day": day, **chosen.stamp(),
            "quality_preset_id": quality.id, "quality_preset_hash": quality.hash}


def _item_order(item: str) -> int:
    return (*MAIN, COMPOSITE).index(item) if item in (*MAIN, COMPOSITE) else 9


def _item_flags(m: dict, size: int, third: float, mean: float, margin: float, rules: dict) -> list[dict]:
    flags = []
    rank = m["rank"]
    if size >= 2 and rank <= 2:
        flags.append(_flag("subject_reward", f"单科第{'一' if rank == 1 else '二'}名,学科教师获奖", rules["subject_reward"]))
    if rank > math.ceil(size * third - 1e-9):
        flags.append(_flag("subject_top_third", "单科排名在前三分之一之外,不参与分配学校集体奖金", rules["subject_top_third"]))
    if rank > 2 and rank >= size - 1:
        if m["score"] >= mean - margin:
            flags.append(_flag("subject_exempt", f"倒数后两名,但在全镇平均分值 {margin:g} 分之内,免于处罚",
                               rules["subject_exempt"]))
        else:
            flags.append(_flag("subject_penalty", f"倒数第{'一' if rank == size else '二'}名,科任教师受罚",
                               rules["subject_penalty"]))
    return flags


def _school_totals(items: list[dict], chosen: Preset, group_of, rules: dict) -> list[dict]:
    outside = set(chosen["outside_total"])
    totals: dict[str, dict] = {}
    for item in items:
        school = totals.setdefault(item["school_code"], {
            "township_code": item["township_code"], "school_code": item["school_code"],
            "school_name": item["school_name"], "school_type": item["school_type"], "group": item["group"],
            "items": 0, "total": 0.0, "in_total": item["school_type"] not in outside,
            "total_rank": None, "total_rank_of": None})
        school["total"] += item["score"]
        school["items"] += 1
    if chosen.content.get("total_method", "sum") == "mean":
        for school in totals.values():
            school["total"] /= school["items"]
    by_township: dict[str, list[dict]] = defaultdict(list)
    for school in totals.values():
        school["flags"] = [] if school["in_total"] else [_flag("outside_total", "教学点不参与学校总评",
                                                               rules["outside_total"])]
        if school["in_total"]:
            by_township[school["township_code"]].append(school)
    margin = chosen["school_margin"]
    for members in by_township.values():
        mean = sum(m["total"] for m in members) / len(members)
        for group in _rank_groups(members, group_of, "total", "total_rank").values():
            size = len(group)
            for m in group:
                rank = m["total_rank"]
                if size >= 2 and rank <= 2:
                    m["flags"].append(_flag("school_reward", f"学校总评第{'一' if rank == 1 else '二'}名,学校获奖",
                                            rules["school_reward"]))
                if rank > 2 and rank == size:
                    if m["total"] >= mean - margin:
                        m["flags"].append(_flag("school_exempt", f"总评倒数第一,但在全镇平均分值 {margin:g} 分之内,"
                                                                 "免于处罚", rules["school_exempt"]))
                    else:
                        m["flags"].append(_flag("school_penalty", "学校总评倒数第一,校长、教导主任、包校人员受罚",
                                                rules["school_penalty"]))
    return sorted(totals.values(), key=lambda s: (s["township_code"], s["group"] != chosen["group_names"][0],
                                                  s["total_rank"] is None, s["total_rank"] or 0, s["school_code"]))


def school_rows(result: dict) -> list[dict]:
    """Return one row per school of a township_subject_scores result, as `schoolq township score
    --json` prints it: school_code, school_name, school_type, group, items (each grade × subject with
    its figures, item scores, score, rank, rank_of and flags), total, total_rank (None for a school
    outside 学校总评), total_rank_of, in_total, flags, preset_id, preset_hash."""
    mine: dict[str, list[dict]] = defaultdict(list)
    for item in result["items"]:
        mine[item["school_code"]].append({k: v for k, v in item.items() if k not in (
            "township_code", "school_code", "school_name", "school_type", "group")})
    return [{**{k: school[k] for k in ("school_code", "school_name", "school_type", "group", "total", "total_rank",
                                       "total_rank_of", "in_total", "flags")},
             "items": mine[school["school_code"]], "preset_id": result["preset_id"],
             "preset_hash": result["preset_hash"]} for school in result["schools"]]
