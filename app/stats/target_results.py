"""Each quality target of an exam's term beside the exam's result: 完成 / 未完成 and the difference.

The result of a target is the figure of its school's group in the exam (app.stats.groups): a grade
and subject → that grade's record of the subject, no grade → the school's record of the subject
(all grades), no subject → the mean over the school's scored subjects at that level. 进步值 comes
from app.stats.progress against the baseline given (none: no result). 名次 is the group's rank
among the schools in that subject (lower is better, like 低分率); without a subject, its place by
the mean 三率一分 composite over its subjects. A teacher's target is measured on the class records of
the classes and subjects the teacher is assigned in the exam's term (their mean; of the target's
grade and subject when it names them), 进步值 likewise on those classes. A target whose group sat
nothing is 无结果.
"""
from __future__ import annotations

import json
from collections import defaultdict

from sqlite_utils import Database

from app.services.exams import get_exam
from app.services.targets import LOWER_IS_BETTER, list_targets
from app.stats.groups import all_group_stats, kept_group_stats
from app.stats.progress import progress_values
from app.stats.ranking import competition_ranks

DONE, MISSED, NO_RESULT = "完成", "未完成", "无结果"


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def target_results(db: Database, exam_id: str, *, school_ids: list[str] | None = None,
                   baseline_id: str | None = None) -> list[dict]:
    """Return every target of the exam's term (of `school_ids` if given) with its result: the target
    row (see app.services.targets.list_targets) plus result, difference (result − target; for 低分率
    and 名次 target − result, so a positive difference is always better) and status (完成, 未完成,
    无结果). Raises NotFound."""
    exam = get_exam(db, exam_id)
    targets = [t for t in list_targets(db, term_id=exam["term_id"])
               if school_ids is None or t["school_id"] in school_ids]
    if not targets:
        return []
    # Read only: the kept figures of every school when a report (or a batch of them) has them.
    levels = kept_group_stats(db, exam_id) or all_group_stats(db, exam_id)
    records: dict[tuple, list[dict]] = defaultdict(list)
    for level in ("grade", "school"):
        for r in levels[level]:
            if r["grades"] is None and r["n"]:
                records[(r["school_code"], r["grade"], r["subject"])].append(r)
                records[(r["school_code"], r["grade"], None)].append(r)
    classes: dict[tuple, dict] = {(r["class_id"], r["subject"]): r for r in levels["class"]
                                  if r["grades"] is None and r["n"]}
    taught = _taught(db, exam["term_id"], {t["teacher_id"] for t in targets if t["teacher_id"]})
    gains: dict[tuple, list[float]] = defaultdict(list)
    if baseline_id and any(t["metric"] == "progress" for t in targets):
        for level in ("class", "grade", "school"):
            for p in progress_values(db, exam_id, baseline_id, level, school_ids=school_ids):
                if p["progress"] is None:
                    continue
                if level == "class":
                    gains[("class", p["class_id"], p["subject"])].append(p["progress"])
                    continue
                gains[(p["school_code"], p["grade"], p["subject"])].append(p["progress"])
                gains[(p["school_code"], p["grade"], None)].append(p["progress"])
    standing = _school_standing(levels)
    out = []
    for t in targets:
        key = (t["school_code"], t["grade"], t["subject"])
        if t["teacher_id"]:
            mine = [(c, s) for c, s in taught.get(t["teacher_id"], ()) if t["subject"] in (None, s)
                    and (c, s) in classes and t["grade"] in (None, classes[(c, s)]["grade"])]
            result = _mean([v for c, s in mine for v in gains.get(("class", c, s), [])]) \
                if t["metric"] == "progress" else _mean([classes[m][t["metric"]] for m in mine])
        elif t["metric"] == "progress":
            result = _mean(gains.get(key, []))
        elif t["metric"] == "rank" and t["subject"] is None:
            result = standing.get((t["school_code"], t["grade"]))
        else:
            result = _mean([r[t["metric"]] for r in records.get(key, [])])
        if result is None:
            out.append({**t, "result": None, "difference": None, "status": NO_RESULT})
            continue
        difference = t["target"] - result if t["metric"] in LOWER_IS_BETTER else result - t["target"]
        out.append({**t, "result": result, "difference": difference,
                    "status": DONE if difference >= -1e-9 else MISSED})
    return out


def _taught(db: Database, term_id: str, teacher_ids: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Return {teacher id: [(class id, subject name)]} of the teachers' assignments in the term."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for teacher, klass, subject in db.execute(
            "SELECT ta.teacher_id, ta.class_id, sj.name FROM teaching_assignment ta JOIN subject sj ON sj.id = ta.subject_id"
            " WHERE ta.term_id = ? AND ta.teacher_id IN (SELECT value FROM json_each(?))",
            [term_id, json.dumps(sorted(teacher_ids))]):
        out[teacher].append((klass, subject))
    return out


def _school_standing(levels: dict) -> dict[tuple, int | None]:
    """Return {(school_code, grade or None): the school's place among the exam's schools by its mean
    三率一分 composite over the scored subjects} (the 名次 of a target naming no subject)."""
    composites: dict[tuple, list[float]] = defaultdict(list)
    for level in ("grade", "school"):
        for r in levels[level]:
            if r["grades"] is None and r["composite"] is not None:
                composites[(r["grade"], r["school_code"])].append(r["composite"])
    by_grade: dict[int | None, list[tuple[str, float]]] = defaultdict(list)
    for (grade, code), values in composites.items():
        by_grade[grade].append((code, sum(values) / len(values)))
    out: dict[tuple, int | None] = {}
    for grade, schools in by_grade.items():
        for (code, _), rank in zip(schools, competition_ranks([v for _, v in schools])):
            out[(code, grade)] = rank
    return out
