"""Composite scores from the seed plans, each driven by its preset (see resources/presets/scoring).

- teacher_scores: 000 篇17 教学业绩得分 = (平均分×50% + 优生率×100×30% + 及格率×100×20% + 进步值) × 权重,
  a teacher of several classes taking the mean of the class scores; banded A/B/C within 低/中/高段.
- (000 篇7's township scheme is app.stats.township_scheme.)
- central_school_scores: 000 篇20 中心小学得分 = 校本部 × 60% + 村级学校平均 × 40%.
"""
from __future__ import annotations

import math
from collections import defaultdict

from sqlite_utils import Database

from app.errors import invalid
from app.services.exams import get_exam
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
