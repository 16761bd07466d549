"""Progress against a baseline exam of the same cohort: 进步值 (000 篇17) and value-added.

Pupils are matched by pupil and subject across the two exams, so a class is compared with its own
pupils' earlier results even when classes were re-formed or pupils moved up a grade; groups are
the pupils' class and grade in the current exam.

进步值 = [(本次平均分 − 上次平均分) + (本次优秀率 − 上次优秀率) + (本次合格率 − 上次合格率)] ÷ 3, with the
rates in percentage points and the means put on a 100-point scale (so a 120-point paper compares
with a 100-point one). Each exam counts its pupils under its own denominator policy; a pupil counts
only when counted in both exams (免考 in either leaves the pupil out).

Value-added: within each grade and subject, current and baseline scores of the pupils who wrote
both papers are standardised (z), the current z is regressed on the baseline z by least squares,
and a class's (or teacher's) value-added is the mean residual of its pupils, with n and a 95 %
interval (mean ± t₀.₉₇₅,ₙ₋₁ × sd ÷ √n). Teachers come from the teaching assignments of the current
exam's term.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from itertools import repeat

import numpy as np
from sqlite_utils import Database

from app.db.keys import ids_by_number, number_of, numbers_in
from app.errors import invalid
from app.services.exams import get_exam
from app.stats.cache import lasting
from app.stats.graded import is_graded
from app.stats.groups import LEVELS
from app.stats.presets import Preset, resolve
from app.stats.scope import schools_in


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                          -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: int) -> float:
    """Return P(T ≤ t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


@lru_cache(maxsize=512)
def t_quantile(p: float, df: int) -> float:
    """Return the `p` quantile (0.5 < p < 1) of Student's t with `df` ≥ 1 degrees of freedom."""
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(64):
        mid = (low + high) / 2.0
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


# The same pupil's mark of the same subject in the baseline exam: one lookup in the unique index of
# the integer keys (app.db.keys); the marks of the exam are found the same way.
_BASELINE_JOIN = (f"JOIN mark b ON b.exam_no = {number_of('exam')} AND b.pupil_no = m.pupil_no"
                  " AND b.subject_no = m.subject_no")
_OF_EXAM = f"m.exam_no = {number_of('exam')}"
# Schools in table order, then each school's marks in the order of idx_mark_stats: the order the marks
# were always summed in. Fixing it makes a group's figures the same to the last bit whether the
# whole database or only the group's school is read.
_ORDER = " ORDER BY s.rowid, m.class_id, m.grade, m.subject_id, m.status, m.score, m.rowid"


def _paired_marks(db: Database, exam_id: str, baseline_exam_id: str, scope: tuple[str, list]):
    """Yield every mark of `exam_id` at the schools of `scope` (see app.stats.scope) that has a mark
    of the same pupil and subject in the baseline exam: pupil_id, subject_id, school_id, school code,
    school name, township code, class_id, class name, class number, grade, status, score, then the
    baseline mark's grade, status and score."""
    where, args = scope
    return db.execute(
        "SELECT m.pupil_id, m.subject_id, m.school_id, s.code, s.name, IFNULL(t.code, ''), m.class_id, c.name,"
        " IFNULL(c.number, 0), m.grade, m.status, m.score, b.grade, b.status, b.score"
        " FROM mark m JOIN school s ON s.id = m.school_id LEFT JOIN township t ON t.id = s.township_id"
        f" LEFT JOIN class c ON c.id = m.class_id {_BASELINE_JOIN} WHERE {_OF_EXAM}{where}{_ORDER}",
        [baseline_exam_id, exam_id, *args])


def _counted(status: str, score: float | None, policy: str) -> float | None:
    """Return the value a mark counts as under `policy`, or None when it is left out."""
    if status == "正常":
        return score
    if status == "作弊" or (status == "缺考" and policy == "roster"):
        return 0.0
    return None


def _counted_pair(row: tuple, specs: dict, now_policy: str, then_policy: str) -> tuple[float, float] | None:
    """Return what a paired mark (see _paired_marks) counts as now and in the baseline exam, or None
    when its subject is not in both exams or either mark is left out."""
    if row[1] not in specs:
        return None
    value = _counted(row[10], row[11], now_policy)
    old_value = _counted(row[13], row[14], then_policy)
    return None if value is None or old_value is None else (value, old_value)


def _check_pair(db: Database, exam_id: str, baseline_exam_id: str) -> tuple[dict, dict]:
    if exam_id == baseline_exam_id:
        raise invalid("基线考试不能是同一次考试。", "baseline")
    current, baseline = get_exam(db, exam_id), get_exam(db, baseline_exam_id)
    if (baseline["term_code"], baseline["date"] or "") > (current["term_code"], current["date"] or ""):
        raise invalid(f"基线考试“{baseline['name']}”晚于本次考试“{current['name']}”,请选择更早的考试作基线。",
                      "baseline")
    return current, baseline


def _level_key(level: str, row: tuple) -> tuple:
    school_id, township, class_id, grade = row[2], row[5], row[6], row[9]
    return {"class": (school_id, class_id, grade), "grade": (school_id, None, grade),
            "school": (school_id, None, None), "township": (township, None, grade)}[level]


def progress_values(db: Database, exam_id: str, baseline_exam_id: str, level: str = "class", *,
                    preset: Preset | str | None = None, min_size: int | None = None,
                    policy: str | None = None, school_ids: Iterable[str] | None = None,
                    township_id: str | None = None) -> list[dict]:
    """Return the 进步值 of every group of `level` and subject, over the pupils matched in both exams.

    Each exam counts its pupils under its own denominator policy unless `policy` (sat / roster)
    is given for both. With `school_ids` and / or `township_id` only the groups at those schools
    are read and returned, each with exactly the figures it has without them (a pupil's baseline
    mark counts wherever it was written); a township's figures need all its schools, so at the
    township level only `township_id` may narrow.

    Each record: level, township_code, school_code, school_name, grade, class_id, class_name,
    subject, subject_code, n (matched pupils), current and baseline {mean (100-point scale),
    excellent_rate, pass_rate} (rates 0-1), progress (points), no_baseline, small_sample, exam_id,
    baseline_exam_id, preset_id, preset_hash. A group's subject without any mark of its pupils in the
    baseline exam gets a record with n 0, current / baseline / progress None and no_baseline True (无基线).
    Raises NotFound, ValidationError (same exam, baseline
    later than the exam, unknown level, school_ids at the township level, no pupil in common).
    """
    if level not in LEVELS:
        raise invalid(f"统计层级“{level}”不对:只能是 {' / '.join(LEVELS)}。", "level")
    if policy not in (None, "sat", "roster"):
        raise invalid(f"统计口径“{policy}”不对:只能是 sat 或 roster。", "policy")
    if level == "township" and school_ids is not None:
        raise invalid("乡镇层级的进步值要用全乡各校的学生,只能按乡镇选择范围,不能只选几所学校。", "school_ids")
    chosen = resolve(db, "quality", preset)
    min_size = int(chosen["min_group_size"] if min_size is None else min_size)
    current, baseline = _check_pair(db, exam_id, baseline_exam_id)
    base_specs = {s["subject_id"]: s for s in baseline["subjects"]}
    specs = {s["subject_id"]: s for s in current["subjects"]
             if s["subject_id"] in base_specs and not is_graded(s) and not is_graded(base_specs[s["subject_id"]])}
    now_policy, then_policy = policy or current["policy"], policy or baseline["policy"]
    groups: dict[tuple, dict] = {}
    inside = schools_in(db, school_ids, township_id)
    # The marks of the schools inside, found by the mark's school number (idx_mark_stats) rather than
    # by reading every mark of the exam; _ORDER keeps the order the figures are summed in.
    wanted = sorted(inside or ())
    scope = ("", []) if inside is None else (
        f" AND m.school_no IN {numbers_in('school', ','.join('?' * len(wanted)))}", wanted)
    for row in _paired_marks(db, exam_id, baseline_exam_id, scope):
        counted = _counted_pair(row, specs, now_policy, then_policy)
        if counted is None:
            continue
        _, sid, _, scode, sname, township, class_id, cname, cnum, grade, _, _, old_grade, _, _ = row
        key = (_level_key(level, row), sid)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"identity": (township, scode, sname, class_id, cname, cnum, grade), "now": [],
                                   "then": []}
        group["now"].append(_judge(counted[0], specs[sid], grade))
        group["then"].append(_judge(counted[1], base_specs[sid], old_grade))
    if not groups:
        # Outside the scope the two exams may still share pupils: then the scope simply has no group.
        scoped = school_ids is not None or township_id is not None
        if scoped and any(_counted_pair(row, specs, now_policy, then_policy) is not None
                          for row in _paired_marks(db, exam_id, baseline_exam_id, ("", []))):
            return []
        raise invalid(f"“{current['name']}”与“{baseline['name']}”没有共同的学生和学科,无法计算进步值。", "baseline")
    order = {s["subject_id"]: i for i, s in enumerate(current["subjects"])}
    out: list[dict] = []
    for (key, sid), group in groups.items():
        township, scode, sname, class_id, cname, cnum, grade = group["identity"]
        now, then = _summary(group["now"]), _summary(group["then"])
        progress = ((now["mean"] - then["mean"]) + 100 * (now["excellent_rate"] - then["excellent_rate"])
                    + 100 * (now["pass_rate"] - then["pass_rate"])) / 3
        out.append({
            "level": level, "township_code": township or None,
            "school_code": scode if level != "township" else None,
            "school_name": sname if level != "township" else None,
            "grade": key[2], "class_id": class_id if level == "class" else None,
            "class_name": cname if level == "class" else None, "_order": (township, scode if level != "township"
                                                                          else "", key[2] or 0, cnum, order[sid]),
            "subject": specs[sid]["name"], "subject_code": specs[sid]["code"], "n": len(group["now"]),
            "current": now, "baseline": then, "progress": progress, "no_baseline": False,
            "small_sample": len(group["now"]) < min_size,
            "exam_id": exam_id, "baseline_exam_id": baseline_exam_id, **chosen.stamp()})
    out += _without_baseline(level, groups, current, order, exam_id, baseline_exam_id, chosen)
    out.sort(key=lambda r: r.pop("_order"))
    return out


def _without_baseline(level: str, groups: dict, current: dict, order: dict, exam_id: str,
                      baseline_exam_id: str, chosen: Preset) -> list[dict]:
    """Return a record with progress None (shown as 无基线, never 0) for every group and subject of the
    exam that has no mark of its pupils in the baseline exam (the subject is not in it, or was not
    examined in the cohort's grade then)."""
    identities = {key: group["identity"] for (key, _), group in groups.items()}
    out = []
    for key, (township, scode, sname, class_id, cname, cnum, _) in identities.items():
        for spec in current["subjects"]:
            if is_graded(spec) or (key, spec["subject_id"]) in groups or (key[2] is not None and key[2] not in spec["grades"]):
                continue
            out.append({
                "level": level, "township_code": township or None,
                "school_code": scode if level != "township" else None,
                "school_name": sname if level != "township" else None,
                "grade": key[2], "class_id": class_id if level == "class" else None,
                "class_name": cname if level == "class" else None,
                "_order": (township, scode if level != "township" else "", key[2] or 0, cnum,
                           order[spec["subject_id"]]),
                "subject": spec["name"], "subject_code": spec["code"], "n": 0, "current": None, "baseline": None,
                "progress": None, "no_baseline": True, "small_sample": False, "exam_id": exam_id,
                "baseline_exam_id": baseline_exam_id, **chosen.stamp()})
    return out


def _judge(value: float, spec: dict, grade: int) -> tuple[float, bool, bool]:
    """Return (score on a 100-point scale, excellent?, passed?) under the exam's lines for `grade`."""
    cuts = spec["cutoffs"].get(grade, spec["default_cutoffs"])
    full = spec["full_marks"]
    return (value * 100.0 / full, value * 100 >= cuts["excellent_pct"] * full, value * 100 >= cuts["pass_pct"] * full)


def _summary(items: list[tuple[float, bool, bool]]) -> dict:
    n = len(items)
    return {"mean": sum(i[0] for i in items) / n, "excellent_rate": sum(i[1] for i in items) / n,
            "pass_rate": sum(i[2] for i in items) / n}


def residuals(db: Database, exam_id: str, baseline_exam_id: str, *, school_ids: Iterable[str] | None = None,
              township_id: str | None = None) -> list[dict]:
    """Return one row per pupil and subject with a real score in both exams: pupil_id, subject_id,
    school_id, class_id, grade (current), z_now, z_then, residual (of the within-grade least-squares
    fit of z_now on z_then). Grades with fewer than 3 such pupils, or no spread, are left out.

    The fit is always over every such pupil of the grade in the database; `school_ids` and / or
    `township_id` only choose whose rows are returned (the same rows, with the same values, as
    without them). Raises NotFound, ValidationError (same exam, baseline later).
    """
    _check_pair(db, exam_id, baseline_exam_id)
    return _residual_rows(db, exam_id, baseline_exam_id, schools_in(db, school_ids, township_id))


_PAIRS = ("SELECT m.pupil_id, m.subject_id, m.school_id, m.class_id, m.grade, m.score, b.score"
          f" FROM mark m JOIN school s ON s.id = m.school_id {_BASELINE_JOIN}"
          " WHERE {of_exam} AND m.status = '正常' AND b.status = '正常'{where}" + _ORDER)


# A pair's score as whole hundredths when that is exactly the stored score (hundredths ÷ 100.0 gives
# the same double), else -1: the few such scores are read as they are (_exact_scores).
_HUNDREDTHS = ("CASE WHEN {t}.score = CAST({t}.score * 100 + 0.5 AS INTEGER) / 100.0"
               " THEN CAST({t}.score * 100 + 0.5 AS INTEGER) ELSE -1 END")


def _fit_pairs(db: Database, exam_id: str, baseline_exam_id: str) -> dict[tuple[int, str], tuple[np.ndarray, ...]]:
    """Return per (grade (current), subject_id) the current and the baseline scores of every pair of
    real scores of the two exams, as arrays in the order of _PAIRS (school, class, score, mark), so
    every sum is taken in the order it always was.

    SQLite goes through the exam with fewer marks and looks each one's pair up in the key index: a
    county's 155,000 baseline marks rather than the 490,000 of its midterm, most of which have none.
    It hands over each column of the 146,000 pairs as one text of integers (the keys, the mark's
    rowid, the scores in hundredths), which numpy parses at once and sorts; a row per pair through
    Python cost twice the time (0.45 s with the fit's sums)."""
    exams = f"m.exam_no = {number_of('exam')} AND b.exam_no = {number_of('exam')}"
    size = {e: db.execute(f"SELECT COUNT(*) FROM mark WHERE exam_no = {number_of('exam')}", [e]).fetchone()[0]
            for e in (exam_id, baseline_exam_id)}
    tables = ("mark b CROSS JOIN mark m ON m.pupil_no = b.pupil_no AND m.subject_no = b.subject_no"
              if size[baseline_exam_id] < size[exam_id] else
              "mark m JOIN mark b ON b.pupil_no = m.pupil_no AND b.subject_no = m.subject_no")
    row = db.execute(
        "SELECT COUNT(*), group_concat(m.school_no), group_concat(IFNULL(m.class_no, -1)), group_concat(m.grade),"
        f" group_concat(m.subject_no), group_concat(m.rowid), group_concat({_HUNDREDTHS.format(t='m')}),"
        f" group_concat({_HUNDREDTHS.format(t='b')}) FROM {tables}"
        f" WHERE {exams} AND m.status = '正常' AND b.status = '正常'", [exam_id, baseline_exam_id]).fetchone()
    if not row[0]:
        return {}
    school_no, class_no, grade, subject_no, rowid, now_h, then_h = (
        np.fromstring(text, sep=",", dtype=np.int64) for text in row[1:])
    if not all(len(column) == row[0] for column in (school_no, class_no, grade, subject_no, rowid, now_h, then_h)):
        raise ValueError("成绩数据读取不完整")
    now, then = now_h / 100.0, then_h / 100.0
    _exact_scores(db, baseline_exam_id, rowid, now, now_h < 0, then, then_h < 0)
    # The order of _PAIRS within a grade and subject: the school's table order (a mark of a school no
    # longer in it is left out, as the join left it out), the class id (none first), score, mark.
    school_rows = dict(db.execute("SELECT n.no, s.rowid FROM school_number n JOIN school s ON s.id = n.id").fetchall())
    school_order = np.array([school_rows.get(no, -1) for no in range(int(school_no.max()) + 1)], np.int64)[school_no]
    class_ids = ids_by_number(db, "class")
    ranked = {no: i for i, no in enumerate(sorted(class_ids, key=class_ids.__getitem__))}
    class_rank = np.array([ranked.get(no, -1) for no in range(int(class_no.max()) + 1)], np.int64)
    class_order = np.where(class_no < 0, -1, class_rank[np.maximum(class_no, 0)])
    order = np.lexsort((rowid, now, class_order, school_order))
    order = order[school_order[order] >= 0]
    subjects = ids_by_number(db, "subject")
    cells: dict[tuple[int, str], tuple[np.ndarray, ...]] = {}
    cell = grade[order] * (int(subject_no.max()) + 1) + subject_no[order]
    for key in dict.fromkeys(cell.tolist()):  # in the order cells first appear, as the rows gave them
        chosen = order[cell == key]
        cells[(int(grade[chosen[0]]), subjects[int(subject_no[chosen[0]])])] = (now[chosen], then[chosen])
    return cells


def _exact_scores(db: Database, baseline_exam_id: str, rowid: np.ndarray, now: np.ndarray, now_odd: np.ndarray,
                  then: np.ndarray, then_odd: np.ndarray) -> None:
    """Put into `now` and `then` the stored scores of the pairs whose score is not whole hundredths
    (`now_odd`, `then_odd`), found by the current mark's rowid."""
    for values, odd, sql, args in (
            (now, now_odd, "SELECT m.rowid, m.score FROM mark m WHERE m.rowid IN ({})", []),
            (then, then_odd, f"SELECT m.rowid, b.score FROM mark m {_BASELINE_JOIN} WHERE m.rowid IN ({{}})",
             [baseline_exam_id])):
        where = np.flatnonzero(odd)
        for start in range(0, len(where), 500):
            chunk = where[start:start + 500]
            rows = rowid[chunk].tolist()
            found = dict(db.execute(sql.format(",".join("?" * len(rows))), [*args, *rows]).fetchall())
            values[chunk] = [found[r] for r in rows]


def _standardised(values: np.ndarray) -> tuple[float, float, np.ndarray] | None:
    """Return (mean, sd, z of each value) of `values`, or None when they have no spread. The sums are
    Python's, value after value (sum over a list), and each square is Python's ** 2: numpy's pairwise
    sums and its squares differ from them in the last bit."""
    n = len(values)
    mean = sum(values.tolist()) / n
    deviations = values - mean
    sd = math.sqrt(sum(map(pow, deviations.tolist(), repeat(2))) / n)
    return None if sd == 0 else (mean, sd, deviations / sd)


def _fit(db: Database, exam_id: str, baseline_exam_id: str) -> dict[tuple[int, str], tuple]:
    """Return per (grade, subject_id) of the current exam the within-grade fit over every pair of real
    scores in the database: (mean now, sd now, mean then, sd then, slope), or None for a grade with
    fewer than 3 pairs or no spread."""
    fits: dict[tuple[int, str], tuple | None] = {}
    for key, (now, then) in _fit_pairs(db, exam_id, baseline_exam_id).items():
        current, baseline = (_standardised(now), _standardised(then)) if len(now) >= 3 else (None, None)
        if current is None or baseline is None:
            fits[key] = None
            continue
        slope = sum((current[2] * baseline[2]).tolist()) / len(now)  # z's have mean 0 and variance 1
        fits[key] = (current[0], current[1], baseline[0], baseline[1], slope)
    return fits


def value_added_fit(db: Database, exam_id: str, baseline_exam_id: str) -> dict[tuple[int, str], tuple | None]:
    """Return _fit of the exam against its baseline, computed once while what it reads is unchanged, in
    this process and in later ones (app.stats.cache.lasting)."""
    stored: list[list] = lasting(db, ("value-added fit", exam_id, baseline_exam_id), lambda: [
        [grade, sid, fit] for (grade, sid), fit in _fit(db, exam_id, baseline_exam_id).items()],
        exams=[exam_id, baseline_exam_id])
    return {(grade, sid): tuple(fit) if fit else None for grade, sid, fit in stored}


def _residual_rows(db: Database, exam_id: str, baseline_exam_id: str, inside: set[str] | None) -> list[dict]:
    """Return the residuals (see residuals) of the pupils at the schools `inside` (None: all).

    The fit of each grade and subject needs every pair of real scores in the database (the database
    does the matching); it is computed once while the database is unchanged, in this process and
    in later ones (app.stats.cache.lasting), and then only the pairs of the schools inside are read."""
    fits = value_added_fit(db, exam_id, baseline_exam_id)
    where, args = "", []
    if inside is not None:
        if not inside:
            return []
        wanted = sorted(inside)
        where = f" AND m.school_no IN {numbers_in('school', ','.join('?' * len(wanted)))}"
        args = wanted
    out = []
    for pid, sid, school_id, class_id, grade, now, then in db.execute(
            _PAIRS.format(of_exam=_OF_EXAM, where=where), [baseline_exam_id, exam_id, *args]):
        fit = fits.get((grade, sid))
        if fit is None:
            continue
        mean_now, sd_now, mean_then, sd_then, slope = fit
        z_now, z_then = (now - mean_now) / sd_now, (then - mean_then) / sd_then
        out.append({"pupil_id": pid, "subject_id": sid, "school_id": school_id, "class_id": class_id,
                    "grade": grade, "z_now": z_now, "z_then": z_then, "residual": z_now - slope * z_then})
    return out


def _interval(values: list[float]) -> dict:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return {"n": n, "value_added": mean, "se": None, "ci_low": None, "ci_high": None}
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    se = sd / math.sqrt(n)
    half = t_quantile(0.975, n - 1) * se
    return {"n": n, "value_added": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half}


def value_added(db: Database, exam_id: str, baseline_exam_id: str, by: str = "class", *,
                preset: Preset | str | None = None, min_size: int | None = None,
                school_ids: Iterable[str] | None = None, township_id: str | None = None) -> list[dict]:
    """Return value-added per class (by='class') or per teacher (by='teacher') and subject.

    Class records: school_code, class_id, class_name, grade, subject, subject_code, n, value_added
    (mean residual, in standard deviations), se, ci_low, ci_high (95 %), small_sample. Teacher records
    have teacher_id, teacher_name, school_code and classes (names) instead of the class fields; a
    teacher's pupils of all their classes in that subject are pooled. With `school_ids` and / or
    `township_id` only the classes at those schools are returned (teachers: those all of whose classes
    of the subject are there), each with exactly the figures it has without them: the residuals still
    come from the fit over the whole grade (see residuals). Raises NotFound, ValidationError (unknown
    `by`, same exam, baseline later).
    """
    if by not in ("class", "teacher"):
        raise invalid("增值评价只能按班级(class)或教师(teacher)统计。", "by")
    chosen = resolve(db, "quality", preset)
    min_size = int(chosen["min_group_size"] if min_size is None else min_size)
    exam = get_exam(db, exam_id)
    subjects = {s["subject_id"]: s for s in exam["subjects"]}
    order = {s["subject_id"]: i for i, s in enumerate(exam["subjects"])}
    _check_pair(db, exam_id, baseline_exam_id)
    inside = schools_in(db, school_ids, township_id)
    rows = _residual_rows(db, exam_id, baseline_exam_id, inside)
    classes = {r[0]: r[1:] for r in db.execute(
        "SELECT c.id, c.name, c.number, s.code FROM class c JOIN school s ON s.id = c.school_id")}
    # Levels have no residual; a mark of a subject the exam no longer has (old data) counts nowhere, as in
    # the exam's own figures (app.stats.frame.load_cells).
    rows = [r for r in rows if r["subject_id"] in subjects and not is_graded(subjects[r["subject_id"]])]
    groups: dict[tuple, list[float]] = defaultdict(list)
    if by == "class":
        for r in rows:
            groups[(r["class_id"], r["grade"], r["subject_id"])].append(r["residual"])
    else:
        teacher_of = {(c, s): t for c, s, t in db.execute(
            "SELECT class_id, subject_id, teacher_id FROM teaching_assignment WHERE term_id = ?", [exam["term_id"]])}
        for r in rows:
            teacher = teacher_of.get((r["class_id"], r["subject_id"]))
            if teacher:
                groups[(teacher, r["subject_id"])].append(r["residual"])
        teachers = {r[0]: r[1:] for r in db.execute(
            "SELECT t.id, t.name, s.code FROM teacher t JOIN school s ON s.id = t.school_id")}
        taught: dict[tuple, list[str]] = defaultdict(list)
        elsewhere = set()  # (teacher, subject) with a class outside the scope: their pool is incomplete
        for teacher, class_id, subject_id, school_id in db.execute(
                "SELECT a.teacher_id, a.class_id, a.subject_id, c.school_id FROM teaching_assignment a"
                " LEFT JOIN class c ON c.id = a.class_id WHERE a.term_id = ?", [exam["term_id"]]):
            taught[(teacher, subject_id)].append(classes.get(class_id, ("",))[0])
            if inside is not None and school_id not in inside:
                elsewhere.add((teacher, subject_id))
        groups = {key: values for key, values in groups.items() if key not in elsewhere}
    out = []
    for key, values in groups.items():
        subject_id = key[-1]
        record = {"subject": subjects[subject_id]["name"], "subject_code": subjects[subject_id]["code"],
                  **_interval(values), "exam_id": exam_id, "baseline_exam_id": baseline_exam_id, **chosen.stamp()}
        record["small_sample"] = record["n"] < min_size
        if by == "class":
            name, number, school_code = classes.get(key[0], (None, 0, None))
            record.update({"school_code": school_code, "class_id": key[0], "class_name": name, "grade": key[1],
                           "_order": (school_code or "", key[1], number, order[subject_id])})
        else:
            name, school_code = teachers.get(key[0], (None, None))
            record.update({"teacher_id": key[0], "teacher_name": name, "school_code": school_code,
                           "classes": sorted(taught[key]), "_order": (school_code or "", name or "", order[subject_id])})
        out.append(record)
    out.sort(key=lambda r: r.pop("_order"))
    return out
