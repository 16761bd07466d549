"""Composite scores from the seed plans, each driven by its preset (see resources/presets/scoring).

- teacher_scores: 000 篇17 教学业绩得分 = (平均分×50% + 优生率×100×30% + 及格率×100×20% + 进步值) × 权重,
  a teacher of several classes taking the mean of the class scores; banded A/B/C within 低/中/高段.
- township_subject_scores: 000 篇7 单科成绩 = 巩固率 10% + 人均分 50% + 优秀率 20% + 前50名人数 20%,
  each item scaled to the best school of the same grade and subject in the township (= 100);
  school total = sum over grades and subjects; ranked in two groups; reward and penalty margins.
- central_school_scores: 000 篇20 中心小学得分 = 校本部 × 60% + 村级学校平均 × 40%.
"""
from __future__ import annotations

import math
from collections import defaultdict

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import invalid
from app.services.exams import get_exam
from app.services.schools import current_term
from app.stats.groups import group_stats
from app.stats.presets import Preset, resolve
from app.stats.progress import progress_values
from app.stats.ranking import competition_ranks, exam_may_rank


def _band(rank: int, count: int, bands: list[dict]) -> dict:
    """Return the band of competition rank `rank` among `count`: the first whose cumulative share
    of `count` (rounded half up) reaches the rank."""
    cumulative = 0.0
    for band in bands:
        cumulative += band["share"]
        if rank <= math.floor(cumulative * count + 0.5):
            return band
    return bands[-1]


def teacher_scores(db: Database, exam_id: str, baseline_exam_id: str | None = None, *,
                   preset: Preset | str | None = None) -> list[dict]:
    """Return one record per teacher of the preset's grades and subjects (000 篇17).

    Each record: teacher_id, teacher_name, school_code, stage (低段/中段/高段), classes (each with
    class_name, grade, subject, n, mean, excellent_rate, pass_rate, progress, score), base_score
    (mean of the class scores), weight and weight_reasons, score (base × weight), rank_in_stage,
    stage_size, band, bonus (the three None for a 抽测, which is never ranked), band_scope (本校: ranked
    within the teacher's school and stage, the default; 全乡镇 when the preset's band_scope says
    township), has_baseline, preset_id, preset_hash. Without a baseline exam, or for a class and
    subject none of whose pupils sat it in the baseline exam, the 进步值 is 0.
    Raises NotFound, ValidationError.
    """
    chosen = resolve(db, "teacher_composite", preset)
    exam = get_exam(db, exam_id)
    policy = exam["policy"] if chosen["denominator"] == "exam" else chosen["denominator"]
    records = [r for r in group_stats(db, exam_id, "class", policy=policy, min_size=1)
               if r["grade"] in chosen["grades"] and r["subject_code"] in chosen["subjects"] and r["n"]
               and r["grades"] is None]
    progress = {}
    if baseline_exam_id:
        for p in progress_values(db, exam_id, baseline_exam_id, "class", min_size=1, policy=policy):
            progress[(p["class_id"], p["grade"], p["subject_code"])] = p["progress"]
    subject_ids = {s["code"]: s["subject_id"] for s in exam["subjects"]}
    as_percent = chosen.content.get("mean_term", "points") == "percent"
    subject_names = {r[0]: r[1] for r in db.execute("SELECT code, name FROM subject")}
    assignments = list(db.query(
        "SELECT a.teacher_id, a.class_id, a.subject_id, s.code AS subject_code, s.is_main, t.name, sc.code AS school_code"
        " FROM teaching_assignment a JOIN subject s ON s.id = a.subject_id JOIN teacher t ON t.id = a.teacher_id"
        " JOIN school sc ON sc.id = t.school_id WHERE a.term_id = ?", [exam["term_id"]]))
    class_grades: dict[str, list[int]] = defaultdict(list)
    for class_id, grade in db.execute("SELECT class_id, grade FROM class_grade"):
        class_grades[class_id].append(grade)
    teacher_of = {(a["class_id"], a["subject_id"]): a["teacher_id"] for a in assignments}
    w = chosen["weights"]
    scored: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        teacher = teacher_of.get((r["class_id"], subject_ids[r["subject_code"]]))
        if teacher is None:
            continue
        value = progress.get((r["class_id"], r["grade"], r["subject_code"]))
        mean = 100 * r["mean_pct"] if as_percent else r["mean"]
        score = (mean * w["mean"] + 100 * r["excellent_rate"] * w["excellent_rate"]
                 + 100 * r["pass_rate"] * w["pass_rate"] + (value or 0.0))
        scored[teacher].append({"class_name": r["class_name"], "grade": r["grade"], "subject": r["subject"],
                                "n": r["n"], "mean": r["mean"], "excellent_rate": r["excellent_rate"],
                                "pass_rate": r["pass_rate"], "progress": value, "score": score})
    stage_of = {g: name for name, grades in chosen["stages"].items() for g in grades}
    out = []
    for teacher, classes in scored.items():
        mine = [a for a in assignments if a["teacher_id"] == teacher]
        reasons = []
        mains = {a["subject_code"] for a in mine if a["is_main"]}
        if len(mains) >= chosen["multi_main_subjects"]:
            reasons.append(f"任教 {len(mains)} 个主科")
        stages = {stage_of.get(g) for a in mine for g in class_grades[a["class_id"]]} - {None}
        if len(stages) > 1:
            reasons.append("跨级段任教")
        for code, need in chosen["multi_class_counts"].items():
            taught = {a["class_id"] for a in mine if a["subject_code"] == code}
            if len(taught) >= need:
                reasons.append(f"{subject_names.get(code, code)}任教 {len(taught)} 个班")
        weight = chosen["multi_weight"] if reasons else 1.0
        base = sum(c["score"] for c in classes) / len(classes)
        out.append({"teacher_id": teacher, "teacher_name": mine[0]["name"], "school_code": mine[0]["school_code"],
                    "stage": stage_of.get(max(c["grade"] for c in classes)), "classes": classes, "base_score": base,
                    "weight": weight, "weight_reasons": reasons, "score": base * weight,
                    "has_baseline": bool(baseline_exam_id), "mean_term": "percent" if as_percent else "points",
                    **chosen.stamp()})
    # 篇17's bands are a school's own scheme: drawn within one school unless the preset says township.
    township_wide = chosen.content.get("band_scope", "school") == "township"
    by_stage: dict[tuple, list[dict]] = defaultdict(list)
    for record in out:
        by_stage[(None if township_wide else record["school_code"], record["stage"])].append(record)
    ranked = exam_may_rank(exam)
    for members in by_stage.values():
        for record, rank in zip(members, competition_ranks([m["score"] for m in members])):
            band = _band(rank, len(members), chosen["bands"]) if ranked else {"name": None, "bonus": None}
            record.update({"rank_in_stage": rank if ranked else None, "stage_size": len(members),
                           "band": band["name"], "bonus": band["bonus"],
                           "band_scope": "全乡镇" if township_wide else "本校"})
    out.sort(key=lambda r: (r["school_code"] if not township_wide else "",
                            list(chosen["stages"]).index(r["stage"]) if r["stage"] in chosen["stages"] else 9,
                            r["rank_in_stage"] or 0, -r["score"]))
    return out


def retention(db: Database, exam: dict) -> dict[tuple[str, int], float]:
    """Return {(school_id, grade in the exam): 巩固率} for the cohort of each grade: pupils still
    enrolled (在读, 转入, 休学) ÷ those plus the lost (流失); legitimate transfers out (转出) are
    netted out. Grades without any such pupil are left out."""
    year_of = lambda code: int(code[:4])  # noqa: E731
    shift = year_of(current_term(db)["code"]) - year_of(exam["term_code"])
    out = {}
    for school_id, grade, kept, lost in db.execute(
            "SELECT school_id, grade - ?, SUM(status IN ('在读', '转入', '休学')), SUM(status = '流失')"
            " FROM pupil GROUP BY school_id, grade - ?", [shift, shift]):
        if kept + lost:
            out[(school_id, grade)] = kept / (kept + lost)
    return out


def _top_counts(db: Database, exam_id: str, top_n: int) -> dict[tuple, int]:
    """Return {(school_code, grade, subject_code): pupils within the top `top_n` (ties included) of
    their township, grade and subject}."""
    groups: dict[tuple, list[tuple[float, str]]] = defaultdict(list)
    for township, school_code, grade, code, score in db.execute(
            "SELECT IFNULL(s.township_id, ''), s.code, m.grade, sj.code, m.score FROM mark m"
            " JOIN school s ON s.id = m.school_id JOIN subject sj ON sj.id = m.subject_id"
            f" WHERE m.exam_no = {number_of('exam')} AND m.status = '正常'", [exam_id]):
        groups[(township, grade, code)].append((score, school_code))
    out: dict[tuple, int] = defaultdict(int)
    for (_, grade, code), members in groups.items():
        for (_, school_code), rank in zip(members, competition_ranks([m[0] for m in members])):
            if rank is not None and rank <= top_n:
                out[(school_code, grade, code)] += 1
    return out


def township_subject_scores(db: Database, exam_id: str, *, preset: Preset | str | None = None) -> dict:
    """Return the 000 篇7 scores of an exam: {"items": [...], "schools": [...], preset_id, preset_hash}.

    items: one per school, grade and subject: township_code, school_code, school_name, school_type,
    grade, subject, subject_code, retention, mean, excellent_rate, top_n (count), the four item
    scores (0-100, best school = 100), score (weighted), rank and rank_of within the school's rank
    group and township, reward_eligible (rank within the top fraction), exempt_from_penalty (within
    the subject margin of the township mean score). schools: school_code, school_name, school_type,
    township_code, total (sum of item scores), items, rank and rank_of within the rank group,
    reward_eligible, exempt_from_penalty (within the school margin of the township mean total).
    Raises NotFound, ValidationError.
    """
    chosen = resolve(db, "township_subject", preset)
    exam = get_exam(db, exam_id)
    kept = retention(db, exam)
    tops = _top_counts(db, exam_id, int(chosen["top_n"]))
    school_ids = {r[1]: r[0] for r in db.execute("SELECT id, code FROM school")}
    items = []
    for r in group_stats(db, exam_id, "grade", min_size=1):
        if not r["n"] or r["grades"] is not None:  # graded subjects have no 人均分 or 优秀率
            continue
        items.append({
            "township_code": r["township_code"], "school_code": r["school_code"], "school_name": r["school_name"],
            "school_type": r["school_type"], "grade": r["grade"], "subject": r["subject"],
            "subject_code": r["subject_code"], "retention": kept.get((school_ids[r["school_code"]], r["grade"]), 1.0),
            "mean": r["mean"], "excellent_rate": r["excellent_rate"],
            "top_n": tops.get((r["school_code"], r["grade"], r["subject_code"]), 0)})
    weights = chosen["weights"]
    group_of = {kind: i for i, kinds in enumerate(chosen["rank_groups"]) for kind in kinds}
    by_item: dict[tuple, list[dict]] = defaultdict(list)
    for item in items:
        by_item[(item["township_code"], item["grade"], item["subject_code"])].append(item)
    for members in by_item.values():
        for field in ("retention", "mean", "excellent_rate", "top_n"):
            best = max(m[field] for m in members)
            for m in members:
                m[f"{field}_score"] = 100.0 * m[field] / best if best > 0 else 0.0
        township_mean = 0.0
        for m in members:
            m["score"] = sum(weights[f] * m[f"{f}_score"] for f in ("retention", "mean", "excellent_rate", "top_n"))
            township_mean += m["score"] / len(members)
        _rank_in_groups(members, group_of, chosen["reward_top_fraction"])
        for m in members:
            m["exempt_from_penalty"] = m["score"] >= township_mean - chosen["subject_margin"]
    totals: dict[str, dict] = {}
    for item in items:
        school = totals.setdefault(item["school_code"], {
            "school_code": item["school_code"], "school_name": item["school_name"],
            "school_type": item["school_type"], "township_code": item["township_code"], "total": 0.0, "items": 0})
        school["total"] += item["score"]
        school["items"] += 1
    by_township: dict[str, list[dict]] = defaultdict(list)
    for school in totals.values():
        by_township[school["township_code"]].append(school)
    for members in by_township.values():
        _rank_in_groups(members, group_of, chosen["reward_top_fraction"], field="total")
        mean_total = sum(m["total"] for m in members) / len(members)
        for m in members:
            m["exempt_from_penalty"] = m["total"] >= mean_total - chosen["school_margin"]
    items.sort(key=lambda i: (i["township_code"] or "", i["school_code"], i["grade"], i["subject_code"]))
    return {"items": items, "schools": sorted(totals.values(), key=lambda s: (s["township_code"] or "", s["rank_group"],
                                                                              s["rank"])),
            **chosen.stamp()}


def _rank_in_groups(members: list[dict], group_of: dict[str, int], fraction: float, field: str = "score") -> None:
    groups: dict[int, list[dict]] = defaultdict(list)
    for m in members:
        groups[group_of.get(m["school_type"], len(group_of))].append(m)
    for index, group in groups.items():
        eligible = math.ceil(len(group) * fraction - 1e-9)
        for m, rank in zip(group, competition_ranks([g[field] for g in group])):
            m.update({"rank_group": index, "rank": rank, "rank_of": len(group), "reward_eligible": rank <= eligible})


def central_school_scores(db: Database, school_scores: dict[str, float], *,
                          preset: Preset | str | None = None) -> list[dict]:
    """Return the 000 篇20 score of each township's central school from per-school scores (keyed by
    school code, e.g. each school's mean 三率一分 or its 篇7 total): township_code, central_school_code,
    central_score, village_mean, villages (count), score, preset_id, preset_hash. A township whose
    central school has no score is left out; with no village score the central score stands alone.
    Raises ValidationError when no township has a scored central school.
    """
    chosen = resolve(db, "central_school", preset)
    w = chosen["weights"]
    out = []
    rows = db.execute("SELECT t.code, s.code, s.type FROM school s JOIN township t ON t.id = s.township_id"
                      " ORDER BY t.code, s.code").fetchall()
    townships: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for township, code, kind in rows:
        townships[township].append((code, kind))
    for township, schools in townships.items():
        central = [c for c, kind in schools if kind == "中心校本部" and c in school_scores]
        if not central:
            continue
        villages = [school_scores[c] for c, kind in schools if kind != "中心校本部" and c in school_scores]
        village_mean = sum(villages) / len(villages) if villages else None
        central_score = school_scores[central[0]]
        score = central_score if village_mean is None else w["central"] * central_score + w["villages"] * village_mean
        out.append({"township_code": township, "central_school_code": central[0], "central_score": central_score,
                    "village_mean": village_mean, "villages": len(villages), "score": score, **chosen.stamp()})
    if not out:
        raise invalid("没有可计算的中心小学:请提供中心校本部的得分。", "school_scores")
    return out
