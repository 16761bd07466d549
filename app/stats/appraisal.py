"""Teacher appraisal for a school year (000 篇16, issue 20 §5): one row per active teacher combining
what SchoolQ already records, weighted by the teacher_appraisal preset in force.

Items, each on a 0-100 scale (None when the teacher has nothing to assess in it):
- routine: the mean total of the teacher's routine checks (备讲批辅考思研) in the year's terms;
- observation: lessons observed over the year's quota (both terms summed), at most 100 %;
  None for a teacher without an observation quota;
- quality: the mean 000 篇17 教学业绩得分 over the year's unified exams (the preset's
  quality_exam_types, each against its previous exam of the same kind), kept within 0-100;
- workload: the weighted weekly load over the standard (mean of the terms), at most 100 %.

The total is the weighted mean of the items the teacher has (a missing item's weight is shared out
over the others, so nobody loses points for a task they were never given). 篇16's 优秀 quota: at
most floor(share × active teachers of the school) teachers (58 × 12 % → 6, as 篇16 counts) are
优秀. Ties: teachers whose total ties across the quota line are all 优秀候选(并列待评议) — the quota
is never exceeded by the computer, the vote 篇16 prescribes settles them; everyone else assessed is
称职. A teacher assessed in fewer items than the preset's min_items keeps the total but is not
ranked and gets the band 考核项目不足 (one high item alone must not take an 优秀 place); they still
count in the school's number of teachers the quota is drawn from.
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
from app.stats.lists import previous_exam
from app.stats.presets import Preset, resolve
from app.stats.ranking import competition_ranks
from app.stats.scoring import teacher_scores
from app.workload.compute import teacher_workloads

ITEMS = {"routine": "教学常规", "observation": "听课任务", "quality": "教学业绩", "workload": "工作量"}
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


def band_school(totals: list[float | None], share: float) -> list[str | None]:
    """Return the band of each total among one school's active teachers (`totals` lists every one
    of them, None for a teacher not ranked): 优秀 within the quota floor(share × len(totals)),
    优秀候选(并列待评议) for those tied across the quota line, 称职 for the rest, None when not ranked."""
    quota = math.floor(share * len(totals) + 1e-9)
    ranks = competition_ranks(totals)
    last: dict[int, int] = {}  # rank -> the last position its tie group reaches
    for rank in ranks:
        if rank is not None:
            last[rank] = last.get(rank, rank - 1) + 1
    out: list[str | None] = []
    for rank in ranks:
        if rank is None:
            out.append(None)
        elif rank > quota:
            out.append(COMPETENT)
        else:
            out.append(EXCELLENT if last[rank] <= quota else TIED)
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
    `year` ('2026-2027'): teacher_id, school_id, staff_no, name, school_code, school_name, items (routine, observation,
    quality, workload; each 0-100 or None), observed and observation_quota, total (rounded to 0.01;
    None with no item), rank_in_school (None when not ranked), band (优秀, 优秀候选(并列待评议), 称职,
    考核项目不足, or None with no item), preset_name, preset_id, preset_hash — ordered by school, then total descending.
    Raises NotFound for an unknown year, ValidationError for a preset of another kind.
    """
    chosen = resolve(db, "teacher_appraisal", preset)
    terms = _year_terms(db, year)
    term_ids = [t["id"] for t in terms]
    routine = dict(db.execute(
        "SELECT teacher_id, AVG(total) FROM routine_check WHERE term_id IN (SELECT value FROM json_each(?))"
        " GROUP BY teacher_id", [json.dumps(term_ids)]).fetchall())
    observed: dict[str, int] = defaultdict(int)
    quota: dict[str, int] = defaultdict(int)
    loads: dict[str, list[float]] = defaultdict(list)
    for term in terms:
        end = dt.date.fromisoformat(term["end_date"])
        for progress in observation_progress(db, school_id=school_id, term=term, as_of=end):
            observed[progress.teacher_id] += progress.done
            quota[progress.teacher_id] += progress.quota
        for load in teacher_workloads(db, school_id=school_id, term=term).teachers:
            if load.standard > 0:
                loads[load.teacher_id].append(_clip(100 * load.weighted / load.standard))
    quality = _quality(db, terms, chosen["quality_exam_types"])
    teachers = list(db.query(
        "SELECT t.id, t.staff_no, t.name, t.school_id, s.code AS school_code, s.name AS school_name FROM teacher t"
        " JOIN school s ON s.id = t.school_id WHERE t.active = 1 AND (? IS NULL OR t.school_id = ?)"
        " ORDER BY s.code, t.staff_no", [school_id, school_id]))
    out = []
    for t in teachers:
        items = {
            "routine": round(routine[t["id"]], 2) if routine.get(t["id"]) is not None else None,
            "observation": round(_clip(100 * observed[t["id"]] / quota[t["id"]]), 2) if quota[t["id"]] else None,
            "quality": round(quality[t["id"]], 2) if t["id"] in quality else None,
            "workload": round(statistics.fmean(loads[t["id"]]), 2) if loads[t["id"]] else None,
        }
        total = combine(items, chosen["weights"])
        out.append({"teacher_id": t["id"], "school_id": t["school_id"], "staff_no": t["staff_no"], "name": t["name"],
                    "school_code": t["school_code"], "school_name": t["school_name"], "year": year,
                    "items": items, "observed": observed[t["id"]], "observation_quota": quota[t["id"]],
                    "total": round(total, 2) if total is not None else None, "preset_name": display_name(chosen.name),
                    **chosen.stamp()})
    by_school: dict[str, list[dict]] = defaultdict(list)
    for record in out:
        by_school[record["school_code"]].append(record)
    for members in by_school.values():
        totals = [m["total"] if sum(v is not None for v in m["items"].values()) >= chosen["min_items"] else None
                  for m in members]
        for record, rank, band in zip(members, competition_ranks(totals),
                                      band_school(totals, chosen["excellent_share"])):
            few = band is None and record["total"] is not None
            record.update({"rank_in_school": rank, "band": FEW_ITEMS if few else band})
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
