"""考试概览: one exam at a glance for one school (or the whole township), from the statistics engine.

For each grade and subject the unit's 三率一分 beside the township's (the reference) and the
school's targets (quality_target rows of the exam's term, if any); the score bands; the trend of
the same cohort over the earlier exams; the classes (or, for the township, the schools) and the
subjects that need attention; and how many pupils are 临界生 and 学困生. Every figure comes from
app.stats; this module only picks and compares them.

"Needs attention" is read off the figures, not a new statistic: a group whose 平均分 (as a share of
full marks) and 及格率 are both below the reference's (the township's; for a class in a school's
own database, its grade's), ordered by how far below the 及格率 is.
"""
from __future__ import annotations

from app.db.database import Database
from app.db.writes import Actor
from app.progress import CancelCheck, Progress, check
from app.queries.quality import may_see_pupils
from app.queries.history import earlier_exams, exam_label
from app.services.exams import get_exam
from app.stats.groups import shared_group_stats
from app.stats.lists import list_counts
from app.stats.presets import Preset, active_preset

FIGURES = ("mean", "mean_pct", "pass_rate", "excellent_rate", "low_rate", "composite")
TREND_EXAMS = 5
# Above this many schools a comparison shows the first and last TOP_BOTTOM only.
MANY_SCHOOLS = 20
TOP_BOTTOM = 10


def _targets(db: Database, school_id: str | None, term_id: str) -> dict[tuple, float]:
    """Return {(grade, subject_id, metric): target} of a school in a term."""
    if school_id is None:
        return {}
    return {(r[0], r[1], r[2]): r[3] for r in db.execute(
        "SELECT grade, subject_id, metric, target FROM quality_target WHERE school_id = ? AND term_id = ?",
        [school_id, term_id])}


def _below(unit: dict, reference: dict | None) -> bool:
    """Return True when both the mean (share of full marks) and the pass rate are below the reference."""
    if reference is None or unit.get("n", 0) == 0 or reference.get("n", 0) == 0:
        return False
    return (unit["mean_pct"] is not None and reference["mean_pct"] is not None and unit["mean_pct"] < reference["mean_pct"]
            and unit["pass_rate"] is not None and reference["pass_rate"] is not None
            and unit["pass_rate"] < reference["pass_rate"])


def load_overview(db: Database, exam_id: str, actor: Actor, *, school_id: str | None = None,
                  township_code: str | None = None, progress: Progress | None = None,
                  cancelled: CancelCheck | None = None) -> dict:
    """Return the 考试概览 of `exam_id` for the school `school_id` (a user bound to a school always
    gets their own), or without a school for the township `township_code` (default: the first
    township of the database by code: a county database shows one township at a time).

    {"exam", "unit": {kind: school|township, code, name}, "rows": [per grade and subject: grade,
    subject, subject_code, subject_id, full_marks, n, the FIGURES, bands (10 counts), grades ({level:
    pupils} of a graded (等级) subject, whose FIGURES and bands are None; None when scored), small_sample,
    reference (the township's record, None when
    the township has no other school here), targets {metric: value}, below (bool)}],
    "attention": [{kind: 班级|学校, name, school_code, class_id, grade, subject, subject_code, pass_rate,
    reference_pass_rate, mean_pct, reference_mean_pct, against: 乡 or 年级}], "groups": {(grade, subject_code): [records
    of the classes (school) or schools (township)]}, "trend": {(grade, subject_code): (labels,
    {平均分(占满分%), 及格率, 优秀率: percents})}, "counts": {临界生, 学困生} (None for a teacher),
    "preset": the quality preset's name}. Raises NotFound (exam), Cancelled.
    """
    school_id = actor.school_id or school_id
    exam = get_exam(db, exam_id)
    preset = active_preset(db, "quality")
    if progress:
        progress(0.05, "正在统计本次考试")
    levels = shared_group_stats(db, exam_id, preset)
    check(cancelled)
    school = db.execute("SELECT code, name, township_id FROM school WHERE id = ?", [school_id]).fetchone() \
        if school_id else None
    township_codes = {r["township_code"] for r in levels["township"]}
    town_code = None
    if school is not None:
        town_code = db.execute("SELECT code FROM township WHERE id = ?", [school[2]]).fetchone()
        town_code = town_code[0] if town_code else None
    elif township_codes:
        town_code = township_code if township_code in township_codes else min(township_codes)
    town = {(r["grade"], r["subject_code"]): r for r in levels["township"]
            if r["township_code"] == town_code and r["grade"] is not None}
    # In a school's own database the township holds that school alone: its figures would be the
    # school's again, so there is no reference.
    alone = len({r["school_code"] for r in levels["grade"] if r["township_code"] == town_code}) <= 1
    if school is not None:
        unit = {"kind": "school", "code": school[0], "name": school[1]}
        mine = [r for r in levels["grade"] if r["school_code"] == school[0]]
        groups_of = [r for r in levels["class"] if r["school_code"] == school[0]]
        reference = {} if alone else town
    else:
        name = next((r["township_name"] for r in levels["township"] if r["township_code"] == town_code), "全部学校")
        unit = {"kind": "township", "code": town_code, "name": name}
        mine = list(town.values()) if town_code else [r for r in levels["township"] if r["grade"] is not None]
        groups_of = [r for r in levels["grade"] if town_code is None or r["township_code"] == town_code]
        reference = {}
    subjects = {s["code"]: s for s in exam["subjects"]}
    order = {s["code"]: i for i, s in enumerate(exam["subjects"])}
    targets = _targets(db, school_id, exam["term_id"])
    rows = []
    for r in sorted(mine, key=lambda r: (r["grade"], order.get(r["subject_code"], 99))):
        subject = subjects.get(r["subject_code"])
        ref = reference.get((r["grade"], r["subject_code"]))
        mine_targets = {metric: value for (g, sid, metric), value in targets.items()
                        if (g in (None, r["grade"])) and (sid in (None, subject and subject["subject_id"]))}
        rows.append({"grade": r["grade"], "subject": r["subject"], "subject_code": r["subject_code"],
                     "subject_id": subject["subject_id"] if subject else None, "full_marks": r["full_marks"],
                     "n": r["n"], **{k: r[k] for k in FIGURES}, "bands": r["bands"], "grades": r.get("grades"),
                     "small_sample": r["small_sample"], "reference": ref, "targets": mine_targets,
                     "below": _below(r, ref)})
    groups: dict[tuple, list[dict]] = {}
    for g in groups_of:
        groups.setdefault((g["grade"], g["subject_code"]), []).append(g)
    attention = []
    own = {(r["grade"], r["subject_code"]): r for r in mine}
    for g in groups_of:
        key = (g["grade"], g["subject_code"])
        # A class is compared with the township, or (in a school's own database) with its grade.
        ref = (reference.get(key) or own.get(key)) if school is not None else town.get(key)
        if g["small_sample"] or not _below(g, ref):
            continue
        attention.append({"kind": "班级" if school is not None else "学校",
                          "name": g["class_name"] if school is not None else g["school_name"],
                          "school_code": g["school_code"], "class_id": g.get("class_id"), "grade": g["grade"],
                          "subject": g["subject"], "subject_code": g["subject_code"], "pass_rate": g["pass_rate"],
                          "reference_pass_rate": ref["pass_rate"], "mean_pct": g["mean_pct"],
                          "reference_mean_pct": ref["mean_pct"], "against": "年级" if school is not None and ref is own.get(key) else "乡"})
    attention.sort(key=lambda a: a["pass_rate"] - a["reference_pass_rate"])
    trend = _trend(db, exam, preset, unit, town_code, progress, cancelled)
    counts = None
    if may_see_pupils(actor):
        if progress:
            progress(0.8, "正在统计临界生、学困生")
        # Only the pupils of the unit shown: a county's whole database took most of a minute.
        if school is not None:
            scope = [school_id]
        elif town_code is not None:
            scope = [r[0] for r in db.execute("SELECT s.id FROM school s JOIN township t ON t.id = s.township_id"
                                              " WHERE t.code = ?", [town_code])]
        else:
            scope = None
        counts = list_counts(db, exam_id, school_ids=scope, preset=preset)
    return {"exam": exam, "unit": unit, "rows": rows, "attention": attention, "groups": groups, "trend": trend,
            "counts": counts, "preset": preset.name}


def _trend(db: Database, exam: dict, preset: Preset, unit: dict, town_code: str | None,
           progress: Progress | None, cancelled: CancelCheck | None) -> dict[tuple, tuple[list[str], dict]]:
    """Return the cohort trend of every grade and subject of the unit over the last exams (the
    pupils of a grade now were one grade lower a school year earlier)."""
    past = earlier_exams(db, exam)[-TREND_EXAMS:]
    now_year = int(str(exam["term_code"])[:4])
    series: dict[tuple, tuple[list[str], dict]] = {}
    for i, then in enumerate(past):
        check(cancelled)
        if progress:
            progress(0.3 + 0.5 * i / max(len(past), 1), "正在读取历次考试")
        levels = shared_group_stats(db, then["id"], preset)
        shift = now_year - int(str(then["term_code"])[:4])
        if unit["kind"] == "school":
            records = [r for r in levels["grade"] if r["school_code"] == unit["code"]]
        else:
            records = [r for r in levels["township"] if r["grade"] is not None
                       and (town_code is None or r["township_code"] == town_code)]
        for r in records:
            if not r["n"] or r.get("grades") is not None:  # a graded subject has no mean to follow
                continue
            key = (r["grade"] + shift, r["subject_code"])
            labels, lines = series.setdefault(key, ([], {"平均分(占满分%)": [], "及格率": [], "优秀率": []}))
            labels.append(exam_label(then))
            for name, field in (("平均分(占满分%)", "mean_pct"), ("及格率", "pass_rate"), ("优秀率", "excellent_rate")):
                lines[name].append(None if r[field] is None else 100 * r[field])
    return series
