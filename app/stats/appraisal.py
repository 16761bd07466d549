"""Teacher appraisal for a school year (000 篇16, issue 20 §5): one row per active teacher combining
what SchoolQ already records, weighted by the teacher_appraisal preset in force.

Items, each on a 0-100 scale (None when the teacher has nothing to assess in it):
- routine: the mean total of the teacher's routine checks (备讲批辅考思研) in the year's terms;
- observation: lessons observed over the year's quota (both terms summed), at most 100 %;
  None for a teacher without an observation quota;
- quality: the mean 000 篇17 教学业绩得分 over the year's unified exams (the preset's
  quality_exam_types, each against its previous exam of the same kind), kept within 0-100;
- workload: the weighted weekly load over the standard (mean of the terms), at most 100 %;
- the 360° survey of 篇11 (教师自评, 同事互评, 领导评价, 学生评价, 家长评价): the year's scores the school
  entered or imported (app.services.appraisal_surveys), each 0-100.
A preset assesses the items its weights name: appraisal-000-16 the first four, appraisal-000-11
the five survey sides at 篇11's 40 / 10 / 10 / 30 / 10 %.

The total is the weighted mean of the items the teacher has (a missing item's weight is shared out
over the others, so nobody loses points for a task they were never given).

篇16's 优秀 quota, as the text draws it: "按教師總人數12%的標準我校評定6名教師為優秀。分別從語文組、
數學組、綜合組中分別評出2名德能勤績突出的教師。每個組別……提出侯選人;再由全體教師進行民主評議、
不記名投票,按得票數評出優秀人選" (58 teachers × 12 % = 6.96 → 6). So the number of places is drawn
per school, from all its active teachers, rounded down as the text does (8 × 12 % = 0.96 → 0: a
school of 8 has no 优秀 place of its own; the township may raise the share in a copy of the preset),
and the places are then shared out among the 教研组 (the preset's `groups`; a teacher belongs to the
group of the subject they teach most periods of in the year) in equal parts, as 6 → 2 + 2 + 2. The
text does not say where places go that do not divide evenly (7 places over 3 groups) or that a
small group cannot fill; here they go one at a time to the group with the most ranked teachers still
without a place (ties: the preset's group order) — our reading, for the township to confirm.
Within a group the computer proposes by total; teachers whose total ties across the group's line are
all 优秀候选(并列待评议), since 篇16 settles the choice by the teachers' vote (按得票數) — the quota is
never exceeded by the computer. Everyone else assessed is 称职. A teacher assessed in fewer items
than the preset's min_items keeps the total but is not ranked and gets the band 考核项目不足 (one high
item alone must not take an 优秀 place); they still count in the number the quota is drawn from.
A preset copy made before `groups` existed draws every place from the whole school as one group.
003 §11 (考核结果作为评先选优的主要条件) and 篇11 (the 360° weights) set no quota of their own.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import defaultdict

from sqlite_utils import Database

from app.db.writes import Actor
from app.errors import NotFound
from app.preset_names import display_name
from app.routine.observations import observation_progress
from app.services.appraisal_surveys import RATERS, survey_scores
from app.stats.lists import previous_exam
from app.stats.presets import Preset, resolve
from app.stats.ranking import competition_ranks
from app.stats.scoring import teacher_scores
from app.workload.compute import teacher_workloads

ITEMS = {"routine": "教学常规", "observation": "听课任务", "quality": "教学业绩", "workload": "工作量", **RATERS}
EXCELLENT, TIED, COMPETENT = "优秀", "优秀候选(并列待评议)", "称职"
FEW_ITEMS = "考核项目不足"


def _clip(value: float) -> float:
    return max(0.0, min(100.0, value))


def combine(items: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Return the weighted mean of the items present (None items left out, their weight shared out
    over the others), or None when no item with a weight is present."""
    present = [(weights[k], v) for k, v in items.items() if v is not None and weights.get(k, 0) > 0]
    total_weight = sum(w for w, _ in present)
    if not total_weight:
        return None
    return sum(w * v for w, v in present) / total_weight


def _band_group(totals: list[float | None], places: int) -> list[str | None]:
    ranks = competition_ranks(totals)
    last: dict[int, int] = {}  # rank -> the last position its tie group reaches
    for rank in ranks:
        if rank is not None:
            last[rank] = last.get(rank, rank - 1) + 1
    out: list[str | None] = []
    for rank in ranks:
        if rank is None:
            out.append(None)
        elif rank > places:
            out.append(COMPETENT)
        else:
            out.append(EXCELLENT if last[rank] <= places else TIED)
    return out


def group_places(quota: int, sizes: dict[str, int]) -> dict[str, int]:
    """Return the 优秀 places each 教研组 gets of a school's `quota`, given each group's number of ranked
    teachers (`sizes`, in the preset's group order): equal parts over the groups that have ranked
    teachers (篇16: 6 → 2 each), never more than a group's size; places left over go one at a time
    to the group with the most ranked teachers still without a place (ties: the earlier group)."""
    groups = [g for g, n in sizes.items() if n > 0]
    places = {g: (min(quota // len(groups), n) if g in groups else 0) for g, n in sizes.items()}
    left = quota - sum(places.values())
    while left > 0 and groups:
        waiting = [g for g in groups if places[g] < sizes[g]]
        if not waiting:
            break
        best = max(waiting, key=lambda g: (sizes[g] - places[g], -groups.index(g)))
        places[best] += 1
        left -= 1
    return places


def band_school(totals: list[float | None], share: float, groups: list[str] | None = None,
                order: list[str] | None = None) -> list[str | None]:
    """Return the band of each total among one school's active teachers (`totals` lists every one
    of them, None for a teacher not ranked; `groups` each one's 教研组, None for one group; `order` the
    preset's group order, default as they first appear): the school's quota floor(share × len(totals)) shared out by group_places, then within each group
    优秀 up to its places, 优秀候选(并列待评议) for those tied across its line, 称职 for the rest,
    None when not ranked."""
    quota = math.floor(share * len(totals) + 1e-9)
    groups = groups or [""] * len(totals)
    order = order or list(dict.fromkeys(groups))
    sizes = {g: sum(1 for t, m in zip(totals, groups) if m == g and t is not None) for g in order}
    places = group_places(quota, sizes)
    out: list[str | None] = [None] * len(totals)
    for group in order:
        members = [i for i, m in enumerate(groups) if m == group]
        for i, band in zip(members, _band_group([totals[i] for i in members], places[group])):
            out[i] = band
    return out


def teacher_groups(db: Database, term_ids: list[str], teacher_ids: list[str], groups: list[dict]) -> dict[str, str]:
    """Return each teacher's 教研组 name: the group (of the preset's `groups`, each with its subject
    names; an empty list takes every other subject) of the subject the teacher teaches most weekly
    periods of in the terms, else of the first subject on their record, else the catch-all group."""
    catch_all = next((g["name"] for g in groups if not g["subjects"]), groups[-1]["name"])
    of_subject = {name: g["name"] for g in groups for name in g["subjects"]}
    periods: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for teacher, subject, weekly in db.execute(
            "SELECT ta.teacher_id, s.name, SUM(ta.weekly_periods) FROM teaching_assignment ta"
            " JOIN subject s ON s.id = ta.subject_id WHERE ta.term_id IN (SELECT value FROM json_each(?))"
            " GROUP BY ta.teacher_id, s.name", [json.dumps(term_ids)]):
        periods[teacher][of_subject.get(subject, catch_all)] += weekly
    listed = dict(db.execute(
        "SELECT ts.teacher_id, s.name FROM teacher_subject ts JOIN subject s ON s.id = ts.subject_id"
        " ORDER BY s.sort_order DESC, s.name DESC").fetchall())
    order = [g["name"] for g in groups]
    out = {}
    for teacher in teacher_ids:
        if periods[teacher]:
            out[teacher] = max(periods[teacher].items(), key=lambda kv: (kv[1], -order.index(kv[0])))[0]
        else:
            out[teacher] = of_subject.get(listed.get(teacher, ""), catch_all)
    return out


def _year_terms(db: Database, year: str) -> list[dict]:
    terms = list(db.query("SELECT t.* FROM term t JOIN academic_year y ON y.id = t.academic_year_id"
                          " WHERE y.code = ? ORDER BY t.seq", [year]))
    if not terms:
        raise NotFound(f"数据库中没有学年“{year}”(学年写作 2026-2027)。")
    return terms


def _quality(db: Database, terms: list[dict], types: list[str]) -> dict[str, float]:
    """Return each teacher's mean 篇17 score over the unified exams of the terms."""
    exams = [r[0] for r in db.execute(
        "SELECT id FROM exam WHERE term_id IN (SELECT value FROM json_each(?))"
        " AND type IN (SELECT value FROM json_each(?)) ORDER BY date, id",
        [json.dumps([t["id"] for t in terms]), json.dumps(types)])]
    scores: dict[str, list[float]] = defaultdict(list)
    for exam_id in exams:
        baseline = previous_exam(db, exam_id)
        for record in teacher_scores(db, exam_id, baseline["id"] if baseline else None):
            scores[record["teacher_id"]].append(record["score"])
    return {t: _clip(statistics.fmean(v)) for t, v in scores.items()}


def appraisal(db: Database, year: str, *, school_id: str | None = None,
              preset: Preset | str | None = None) -> list[dict]:
    """Return one record per active teacher (of `school_id`, or of every school) for school year
    `year` ('2026-2027'): teacher_id, school_id, staff_no, name, school_code, school_name, items (those the preset
    weighs, of ITEMS: routine, observation, quality, workload, self, peers, leaders, pupils, parents;
    each 0-100 or None), observed and observation_quota, total (rounded to 0.01;
    None with no item), rank_in_school (None when not ranked), band (优秀, 优秀候选(并列待评议), 称职,
    考核项目不足, or None with no item), group (the 教研组), school_places (the school's 优秀 quota) and
    group_places (the group's share of it), preset_name, preset_id, preset_hash — ordered by school,
    then total descending.
    Raises NotFound for an unknown year, ValidationError for a preset of another kind.
    """
    chosen = resolve(db, "teacher_appraisal", preset)
    keys = [k for k in ITEMS if k in chosen["weights"]]
    terms = _year_terms(db, year)
    term_ids = [t["id"] for t in terms]
    routine = dict(db.execute(
        "SELECT teacher_id, AVG(total) FROM routine_check WHERE term_id IN (SELECT value FROM json_each(?))"
        " GROUP BY teacher_id", [json.dumps(term_ids)]).fetchall())
    observed: dict[str, int] = defaultdict(int)
    quota: dict[str, int] = defaultdict(int)
    loads: dict[str, list[float]] = defaultdict(list)
    for term in terms if {"observation", "workload"} & set(keys) else ():
        end = dt.date.fromisoformat(term["end_date"])
        for progress in observation_progress(db, school_id=school_id, term=term, as_of=end):
            observed[progress.teacher_id] += progress.done
            quota[progress.teacher_id] += progress.quota
        for load in teacher_workloads(db, school_id=school_id, term=term).teachers:
            if load.standard > 0:
                loads[load.teacher_id].append(_clip(100 * load.weighted / load.standard))
    quality = _quality(db, terms, chosen["quality_exam_types"]) if "quality" in keys else {}
    surveys = survey_scores(db, year) if set(RATERS) & set(keys) else {}
    teachers = list(db.query(
        "SELECT t.id, t.staff_no, t.name, t.school_id, s.code AS school_code, s.name AS school_name FROM teacher t"
        " JOIN school s ON s.id = t.school_id WHERE t.active = 1 AND (? IS NULL OR t.school_id = ?)"
        " ORDER BY s.code, t.staff_no", [school_id, school_id]))
    out = []
    for t in teachers:
        found = {
            "routine": round(routine[t["id"]], 2) if routine.get(t["id"]) is not None else None,
            "observation": round(_clip(100 * observed[t["id"]] / quota[t["id"]]), 2) if quota[t["id"]] else None,
            "quality": round(quality[t["id"]], 2) if t["id"] in quality else None,
            "workload": round(statistics.fmean(loads[t["id"]]), 2) if loads[t["id"]] else None,
            **{rater: surveys.get(t["id"], {}).get(rater) for rater in RATERS},
        }
        items = {k: found[k] for k in keys}
        total = combine(items, chosen["weights"])
        out.append({"teacher_id": t["id"], "school_id": t["school_id"], "staff_no": t["staff_no"], "name": t["name"],
                    "school_code": t["school_code"], "school_name": t["school_name"], "year": year,
                    "items": items, "observed": observed[t["id"]], "observation_quota": quota[t["id"]],
                    "total": round(total, 2) if total is not None else None, "preset_name": display_name(chosen.name),
                    **chosen.stamp()})
    by_school: dict[str, list[dict]] = defaultdict(list)
    for record in out:
        by_school[record["school_code"]].append(record)
    groups = chosen.content.get("groups") or [{"name": "全校", "subjects": []}]
    group_of = teacher_groups(db, term_ids, [r["teacher_id"] for r in out], groups)
    for members in by_school.values():
        totals = [m["total"] if sum(v is not None for v in m["items"].values()) >= chosen["min_items"] else None
                  for m in members]
        mine = [group_of[m["teacher_id"]] for m in members]
        school_places = math.floor(chosen["excellent_share"] * len(members) + 1e-9)
        places = group_places(school_places, {g["name"]: sum(1 for t, m in zip(totals, mine) if m == g["name"] and t is not None)
                                      for g in groups})
        for record, rank, band, group in zip(members, competition_ranks(totals),
                                             band_school(totals, chosen["excellent_share"], mine, list(places)), mine):
            few = band is None and record["total"] is not None
            record.update({"rank_in_school": rank, "band": FEW_ITEMS if few else band, "group": group,
                           "school_places": school_places, "group_places": places[group]})
    out.sort(key=lambda r: (r["school_code"], r["rank_in_school"] is None, r["rank_in_school"] or 0,
                            -(r["total"] or 0), r["staff_no"]))
    return out


def visible_to(rows: list[dict], actor: Actor) -> list[dict]:
    """Return the rows `actor` may see: a teacher only their own, a school's staff their school's,
    a township administrator every row (000 篇14: a teacher's results go to the teacher and their
    leaders only)."""
    if actor.role == "township_admin":
        return rows
    if actor.role == "teacher":
        return [r for r in rows if actor.teacher_id and r["teacher_id"] == actor.teacher_id]
    return [r for r in rows if actor.school_id and r["school_id"] == actor.school_id]


def school_years(db: Database) -> list[str]:
    """Return the school years the database holds ('2026-2027'), newest first."""
    return [r[0] for r in db.execute("SELECT code FROM academic_year ORDER BY start_date DESC")]
