"""Per-pupil results of an exam: score, z and T scores, ranks in class and grade, total, 等级.

- z and T (= 50 + 10 z) compare a pupil's paper with every paper written in the same grade and
  subject within the exam's scope (校: the school; 乡: the township; 县: the whole database).
  Only real scores (正常) form that population and get a z: 缺考, 免考 and 作弊 have none.
- Ranks (competition ranking, 1, 2, 2, 4) are within the pupil's class and within the grade of the
  school. They are for staff only (000 篇13, 篇15: pupils' ranks are not published); what a pupil
  or parent sees is the 等级 (parent_view).
- 等级: 优秀 at or above the exam's excellent line, 良好 at or above the preset's good line (never
  above the excellent line), 合格 at or above the pass line, else 待提高.
- Graded subjects (等级, app.stats.graded) give the pupil's level only: no score, z, rank, and they
  never enter the total.
- Total: the sum of the pupil's scores, 作弊 counting 0, and 缺考 counting 0 under the roster
  policy. A total is ranked only when it is comparable: no 免考 subject, and no 缺考 under the sat
  policy (the pupil did not write every paper).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from sqlite_utils import Database

from app.db.keys import number_of
from app.services.exams import get_exam
from app.stats.cache import kept
from app.stats.ranking import competition_ranks, exam_may_rank
from app.stats.graded import is_graded, level_name
from app.stats.presets import Preset, resolve

LEVEL_WORDS = ("优秀", "良好", "合格", "待提高")


def grade_level(score: float, full_marks: float, cuts: dict, good_pct: float) -> str:
    """Return 优秀 / 良好 / 合格 / 待提高 for `score` under the cut-offs (percent of full marks)."""
    pct = score * 100
    if pct >= cuts["excellent_pct"] * full_marks:
        return "优秀"
    if pct >= min(good_pct, cuts["excellent_pct"]) * full_marks:
        return "良好"
    if pct >= cuts["pass_pct"] * full_marks:
        return "合格"
    return "待提高"


def _population(scores: Iterable[tuple]) -> dict[tuple, tuple[int, float, float]]:
    """Return {(unit, grade, subject_id): (n, mean, population sd)} of real scores given as (unit,
    grade, subject_id, score). The sums are exactly rounded (math.fsum), so they do not depend on the
    order the scores come in: the same unit gives the same figures whether it is read alone or with
    every other."""
    groups: dict[tuple, list[float]] = defaultdict(list)
    for unit, grade, subject_id, score in scores:
        groups[(unit, grade, subject_id)].append(score)
    out = {}
    for key, values in groups.items():
        n = len(values)
        mean = math.fsum(values) / n
        square = math.fsum(v * v for v in values) / n
        out[key] = (n, mean, math.sqrt(max(0.0, square - mean * mean)))
    return out


def _unit_scores(db: Database, exam: dict, school_id: str, grade: int | None) -> list[tuple]:
    """Return (unit, grade, subject_id, score) of the real scores of the unit `school_id` belongs to
    under the exam's scope (its school, its township, or the whole database), of one grade if given."""
    unit = {"校": "m.school_id", "乡": "IFNULL(s.township_id, '')", "县": "''"}[exam["scope"]]
    where, args = "", [exam["id"]]
    if exam["scope"] == "校":
        where, args = f" AND m.school_no = {number_of('school')}", [*args, school_id]
    elif exam["scope"] == "乡":
        # By the mark's school number (the index's second key): only the township's marks are read.
        where = (" AND m.school_no IN (SELECT n.no FROM school_number n JOIN school o ON o.id = n.id"
                 " WHERE IFNULL(o.township_id, '') = (SELECT IFNULL(township_id, '') FROM school WHERE id = ?))")
        args.append(school_id)
    if grade is not None:
        where += " AND m.grade = ?"
        args.append(str(int(grade)))
    return db.execute(f"SELECT {unit}, m.grade, m.subject_id, m.score FROM mark m JOIN school s ON s.id = m.school_id"
                      f" WHERE m.exam_no = {number_of('exam')}"
                      f" AND m.status = '正常'{where}", args).fetchall()


def pupil_results(db: Database, exam_id: str, *, school_id: str | None = None, class_id: str | None = None,
                  grade: int | None = None, preset: Preset | str | None = None) -> list[dict]:
    """Return one record per pupil of the exam (of one school / class / grade if given), ordered by
    school, grade, class and 学籍号.

    Each record: pupil_id, student_no, name, gender, school_code, school_id, class_id, class_name,
    grade, subjects (list in exam order of {subject, subject_code, full_marks, status, score, z, t,
    rank_class, rank_grade, level}), total, total_rankable, total_rank_class, total_rank_grade,
    mean_t (mean T over the subjects with a z), preset_id, preset_hash.
    Raises NotFound (exam, preset).
    """
    chosen = resolve(db, "quality", preset)
    exam = get_exam(db, exam_id)
    good_pct = float(chosen["good_pct"])
    subjects = {s["subject_id"]: s for s in exam["subjects"]}
    order = {s["subject_id"]: i for i, s in enumerate(exam["subjects"])}
    where, args = [f"m.exam_no = {number_of('exam')}"], [exam_id]
    if class_id and not school_id:
        row = db.execute("SELECT school_id FROM class WHERE id = ?", [class_id]).fetchone()
        school_id = row[0] if row else None
    if school_id:
        where.append(f"m.school_no = {number_of('school')}")
        args.append(school_id)
    if grade is not None:
        where.append("m.grade = ?")
        args.append(str(int(grade)))
    rows = db.execute(
        "SELECT m.pupil_id, p.student_no, p.name, p.gender, m.school_id, s.code, IFNULL(s.township_id, ''),"
        " m.class_id, c.name, IFNULL(c.number, 0), m.grade, m.subject_id, m.status, m.score"
        " FROM mark m JOIN pupil p ON p.id = m.pupil_id JOIN school s ON s.id = m.school_id"
        f" LEFT JOIN class c ON c.id = m.class_id WHERE {' AND '.join(where)}", args).fetchall()
    # z compares with the exam's whole scope: read the unit of the school, or (without a school) it
    # is all in the rows already read.
    scope = exam["scope"]
    if school_id:  # kept while the database is unchanged: the schools of a township share it
        unit = school_id if scope == "校" else "" if scope == "县" else (db.execute(
            "SELECT IFNULL(township_id, '') FROM school WHERE id = ?", [school_id]).fetchone() or ("",))[0]
        population = kept(db, ("z population", exam_id, scope, unit, grade),
                          lambda: _population(_unit_scores(db, exam, school_id, grade)))
    else:
        population = _population(({"校": r[4], "乡": r[6], "县": ""}[scope], r[10], r[11], r[13])
                                 for r in rows if r[12] == "正常")

    pupils: dict[str, dict] = {}
    for pid, student_no, name, gender, sid, scode, township, cid, cname, cnum, g, subject_id, status, score in rows:
        spec = subjects.get(subject_id)
        if spec is None:
            continue
        pupil = pupils.get(pid)
        if pupil is None:
            pupil = pupils[pid] = {
                "pupil_id": pid, "student_no": student_no, "name": name, "gender": gender, "school_id": sid,
                "school_code": scode, "class_id": cid, "class_name": cname, "grade": g, "subjects": [],
                "_sort": (scode, g, cnum, cname or "", student_no)}
        full = spec["full_marks"]
        if is_graded(spec):  # a level, not a score: no z, no total, no rank
            pupil["subjects"].append({
                "subject": spec["name"], "subject_code": spec["code"], "subject_id": subject_id, "full_marks": None,
                "status": status, "score": None, "z": None, "t": None, "rank_class": None, "rank_grade": None,
                "graded": True, "level": level_name(score, spec["levels"]) if status == "正常" else None})
            continue
        unit = {"校": sid, "乡": township, "县": ""}[exam["scope"]]
        n, mean, sd = population.get((unit, g, subject_id), (0, 0.0, 0.0))
        z = (score - mean) / sd if status == "正常" and sd > 0 else None
        cuts = spec["cutoffs"].get(g, spec["default_cutoffs"])
        pupil["subjects"].append({
            "subject": spec["name"], "subject_code": spec["code"], "subject_id": subject_id, "full_marks": full,
            "status": status, "score": score, "z": z, "t": None if z is None else 50 + 10 * z,
            "rank_class": None, "rank_grade": None, "graded": False,
            "level": grade_level(score, full, cuts, good_pct) if status == "正常" else None})
    _rank_pupils(list(pupils.values()), exam["policy"], ranked=exam_may_rank(exam))
    out = []
    for pupil in sorted(pupils.values(), key=lambda p: p.pop("_sort")):
        if class_id and pupil["class_id"] != class_id:
            continue
        pupil["subjects"].sort(key=lambda s: order[s["subject_id"]])
        ts = [s["t"] for s in pupil["subjects"] if s["t"] is not None]
        pupil["mean_t"] = sum(ts) / len(ts) if ts else None
        pupil.update(chosen.stamp())
        out.append(pupil)
    return out


def _rank_pupils(pupils: list[dict], policy: str, ranked: bool) -> None:
    """Set each pupil's total and, when `ranked` (app.stats.ranking: never for a 抽测), the ranks of
    every mark and of the total in class and grade."""
    by_class: dict[tuple, list[tuple[dict, dict]]] = defaultdict(list)
    by_grade: dict[tuple, list[tuple[dict, dict]]] = defaultdict(list)
    totals_class: dict[tuple, list[dict]] = defaultdict(list)
    totals_grade: dict[tuple, list[dict]] = defaultdict(list)
    for pupil in pupils:
        total, rankable = 0.0, True
        for mark in pupil["subjects"]:
            if mark["graded"]:
                continue  # 等级 subjects never enter the 总分 (000 篇17)
            if mark["status"] == "正常":
                total += mark["score"]
                by_class[(pupil["class_id"], pupil["grade"], mark["subject_id"])].append((pupil, mark))
                by_grade[(pupil["school_id"], pupil["grade"], mark["subject_id"])].append((pupil, mark))
            elif mark["status"] == "免考" or (mark["status"] == "缺考" and policy == "sat"):
                rankable = False
        pupil["total"], pupil["total_rankable"] = total, rankable and ranked
        pupil["total_rank_class"] = pupil["total_rank_grade"] = None
        if rankable and ranked:
            totals_class[(pupil["class_id"], pupil["grade"])].append(pupil)
            totals_grade[(pupil["school_id"], pupil["grade"])].append(pupil)
    if not ranked:
        return
    for marks, field in ((by_class, "rank_class"), (by_grade, "rank_grade")):
        for members in marks.values():
            for (_, mark), rank in zip(members, competition_ranks([m["score"] for _, m in members])):
                mark[field] = rank
    for totals, field in ((totals_class, "total_rank_class"), (totals_grade, "total_rank_grade")):
        for ranked_pupils in totals.values():
            for pupil, rank in zip(ranked_pupils, competition_ranks([p["total"] for p in ranked_pupils])):
                pupil[field] = rank


def parent_view(result: dict) -> dict:
    """Return what a pupil or parent may see of a pupil record: name, class and each subject's
    等级 (or its status word), without scores, z, T or ranks."""
    return {
        "name": result["name"], "class_name": result["class_name"], "grade": result["grade"],
        "subjects": [{"subject": s["subject"], "level": s["level"] or s["status"]} for s in result["subjects"]],
    }
