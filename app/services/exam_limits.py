"""How many unified exams a grade may sit in a term (000 篇13 "小学一二年级每学期学校可组织1次统一考试,
其他年级每学期不超过2次统一考试"; 篇15 goes further: no paper exam in grades 1–2).

The limits are numbers in the active quality preset (exam_limits: grades 1–2, other grades), so a
township following 篇15 sets the first to 0. Creating an exam is not refused: the check returns
warnings that quote the rule, and the township sees every school's count (unified_exam_counts).
"""
from __future__ import annotations

from collections import defaultdict

from sqlite_utils import Database

from app.stats.presets import active_preset

UNIFIED_TYPES = ("统考", "期中", "期末", "毕业考")
LOW_GRADES = (1, 2)
DEFAULT_LIMITS = {"grades_1_2": 1, "other_grades": 2}


def exam_limits(db: Database | None) -> dict:
    """Return {"grades_1_2": n, "other_grades": n, "rule": the quoted rule} from the active quality preset."""
    preset = active_preset(db, "quality")
    limits = {**DEFAULT_LIMITS, **{k: v for k, v in preset.content.get("exam_limits", {}).items() if k != "note"}}
    source = preset.content.get("policy_names", {}).get("exam_limits", "义务教育质量提升实施方案")
    low = int(limits["grades_1_2"])
    low_text = "小学一二年级不进行纸笔考试" if low == 0 else f"小学一二年级每学期至多 {low} 次统一考试"
    limits["rule"] = f"{source}:{low_text},其他年级每学期不超过 {int(limits['other_grades'])} 次统一考试"
    return limits


def _unified(db: Database, term_id: str, school_ids: list[str] | None, exclude: str | None) -> dict:
    """Return {(school_id, grade): number of unified exams of the term} over the given schools (None:
    every school); an exam of a township or the county counts for every school it covers."""
    schools = [dict(r) for r in db.query("SELECT id, township_id FROM school")]
    wanted = set(school_ids) if school_ids is not None else {s["id"] for s in schools}
    counts: dict[tuple, int] = defaultdict(int)
    for exam_id, school_id, township_id, grades in db.execute(
            "SELECT e.id, e.school_id, e.township_id, (SELECT group_concat(grade) FROM exam_grade g"
            " WHERE g.exam_id = e.id) FROM exam e WHERE e.term_id = ?"
            f" AND e.type IN ({','.join('?' * len(UNIFIED_TYPES))})", [term_id, *UNIFIED_TYPES]):
        if exam_id == exclude:
            continue
        covered = [s["id"] for s in schools if s["id"] in wanted and (
            s["id"] == school_id if school_id else (township_id is None or s["township_id"] == township_id))]
        for sid in covered:
            for grade in (int(g) for g in (grades or "").split(",") if g):
                counts[(sid, grade)] += 1
    return counts


def limit_warnings(db: Database, *, type: str, grades: list[int], term_id: str, school_id: str | None = None,
                   township_id: str | None = None, exclude_exam_id: str | None = None) -> list[str]:
    """Return the warnings (quoting the rule) for a unified exam of `type` in `grades` of a term, at a
    school (school_id) or at every school of a township (township_id) or the database: one per grade
    that would go over the preset's limit, naming the schools. Empty for 单元, 月考 and 抽测."""
    if type not in UNIFIED_TYPES:
        return []
    limits = exam_limits(db)
    if school_id:
        scope = [school_id]
    elif township_id:
        scope = [r[0] for r in db.execute("SELECT id FROM school WHERE township_id = ?", [township_id])]
    else:
        scope = [r[0] for r in db.execute("SELECT id FROM school")]
    counts = _unified(db, term_id, scope, exclude_exam_id)
    names = dict(db.execute("SELECT id, name FROM school").fetchall())
    out = []
    for grade in sorted(set(grades)):
        most = int(limits["grades_1_2"] if grade in LOW_GRADES else limits["other_grades"])
        over = [names[s] for s in scope if counts.get((s, grade), 0) + 1 > most]
        if over:
            already = max(counts.get((s, grade), 0) for s in scope)
            where = "、".join(over[:5]) + (f" 等 {len(over)} 所学校" if len(over) > 5 else "")
            out.append(f"{grade}年级本学期已有 {already} 次统一考试,再加这一次将超过规定({limits['rule']})。"
                       f"涉及:{where}。")
    return out


def unified_exam_counts(db: Database, term_id: str) -> list[dict]:
    """Return, per school and grade with a unified exam in the term, the count and the limit:
    [{school_code, school_name, grade, count, limit, over}], by school code and grade."""
    limits = exam_limits(db)
    schools = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, code, name FROM school")}
    out = []
    for (school_id, grade), count in _unified(db, term_id, None, None).items():
        most = int(limits["grades_1_2"] if grade in LOW_GRADES else limits["other_grades"])
        code, name = schools[school_id]
        out.append({"school_code": code, "school_name": name, "grade": grade, "count": count, "limit": most,
                    "over": count > most})
    return sorted(out, key=lambda r: (r["school_code"], r["grade"]))
