"""Pupil lists for 培优补差: 临界生, 学困生, and the biggest risers and fallers. For staff only.

- 临界生: a real score within the preset's margin (default 5 % of full marks) below the pass line or
  the excellent line.
- 学困生: below the pass line in at least N main subjects (default 2, subject.is_main) in this exam
  and in the previous one. Only real scores count: a 缺考 is not evidence either way.
- Risers and fallers: per grade, the pupils whose results moved most against a baseline exam,
  measured by the mean over subjects of their value-added residual (current z minus what their
  baseline z predicts), so that a strong pupil is not listed as falling merely by regressing
  towards the mean.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection

from sqlite_utils import Database

from app.db.keys import number_of, numbers_in
from app.errors import invalid
from app.services.exams import get_exam
from app.stats.graded import is_graded
from app.stats.presets import Preset, resolve
from app.stats.progress import residuals
from app.stats.pupils import pupil_results

_PUPIL_KEYS = ("pupil_id", "student_no", "name", "gender", "school_code", "class_id", "class_name", "grade")


def borderline(db: Database, exam_id: str, *, school_id: str | None = None, class_id: str | None = None,
               grade: int | None = None, margin_pct: float | None = None,
               preset: Preset | str | None = None, results: list[dict] | None = None) -> list[dict]:
    """Return 临界生: one record per pupil, subject and line (及格线 / 优秀线) the score is just below.
    `results`: pupil_results of the same exam, school, class and grade, when the caller has them.

    Each record: the pupil fields (pupil_id, student_no, name, gender, school_code, class_id,
    class_name, grade), subject, subject_code, score, line, cut (the line in points), gap (points
    still missing), preset_id, preset_hash. Ordered by class, subject and gap.
    Raises NotFound, ValidationError (margin not between 0 and 50).
    """
    chosen = resolve(db, "quality", preset)
    margin = float(chosen["borderline_margin_pct"] if margin_pct is None else margin_pct)
    if not 0 < margin <= 50:
        raise invalid("临界幅度应在 0 到 50(满分的百分比)之间。", "margin_pct")
    exam = get_exam(db, exam_id)
    specs = {s["subject_id"]: s for s in exam["subjects"]}
    out = []
    if results is None:
        results = pupil_results(db, exam_id, school_id=school_id, class_id=class_id, grade=grade, preset=chosen)
    for pupil in results:
        for mark in pupil["subjects"]:
            if mark["status"] != "正常" or mark["graded"]:
                continue
            spec = specs[mark["subject_id"]]
            cuts = spec["cutoffs"].get(pupil["grade"], spec["default_cutoffs"])
            full = spec["full_marks"]
            for line, pct in (("及格线", cuts["pass_pct"]), ("优秀线", cuts["excellent_pct"])):
                cut = pct * full / 100
                if (pct - margin) * full <= mark["score"] * 100 < pct * full:
                    out.append({**{k: pupil[k] for k in _PUPIL_KEYS}, "subject": mark["subject"],
                                "subject_code": mark["subject_code"], "score": mark["score"], "line": line,
                                "cut": cut, "gap": cut - mark["score"], **chosen.stamp()})
    out.sort(key=lambda r: (r["school_code"], r["grade"], r["class_name"] or "", r["subject_code"], r["gap"]))
    return out


# Exams compared for 进步值 are of the same kind (000 篇17 "进步值" compares 统测 with the previous 统测):
# the unified tests of a term (统考, 期中, 期末, 毕业考) form one kind; 月考, 单元 and 抽测 each their own.
EXAM_KINDS = {"统考": "统测", "期中": "统测", "期末": "统测", "毕业考": "统测", "月考": "月考", "单元": "单元",
              "抽测": "抽测"}


def same_kind_exams(db: Database, exam_id: str, *, later: bool) -> list[str]:
    """Return the ids of the exams of the same kind (EXAM_KINDS) and scope as `exam_id` held before it
    (by term, then date; nearest first), or after it when `later` (nearest first)."""
    exam = get_exam(db, exam_id)
    kind = EXAM_KINDS.get(exam["type"], exam["type"])
    types = [t for t, k in EXAM_KINDS.items() if k == kind] or [exam["type"]]
    side, order = (">", "") if later else ("<", " DESC")
    return [row[0] for row in db.execute(
        "SELECT e.id FROM exam e JOIN term t ON t.id = e.term_id WHERE e.id != ? AND e.scope = ?"
        f" AND e.type IN ({','.join('?' * len(types))})"
        f" AND (t.code {side} ? OR (t.code = ? AND IFNULL(e.date, '') {side} ?))"
        f" ORDER BY t.code{order}, IFNULL(e.date, ''){order}",
        [exam_id, exam["scope"], *types, exam["term_code"], exam["term_code"], exam["date"] or ""])]


def previous_exam(db: Database, exam_id: str) -> dict | None:
    """Return the baseline of `exam_id`: the latest earlier exam (by term, then date) of the same kind
    (EXAM_KINDS) and scope that shares pupils with it (the same cohort), or None. A 月考 between two
    统测 is never the baseline of the second."""
    for earlier in same_kind_exams(db, exam_id, later=False):
        shared = db.execute("SELECT 1 FROM mark a JOIN mark b ON b.pupil_no = a.pupil_no"
                            f" WHERE a.exam_no = {number_of('exam')}"
                            f" AND b.exam_no = {number_of('exam')} LIMIT 1",
                            [exam_id, earlier]).fetchone()
        if shared:
            return get_exam(db, earlier)
    return None


def baseline_choices(db: Database, exam_id: str) -> list[dict]:
    """Return the earlier exams that share pupils with `exam_id`, newest first, each with id, name,
    type, term_code and same_kind (of the same kind and scope, the ones previous_exam chooses from):
    what a user may pick as the baseline."""
    exam = get_exam(db, exam_id)
    kind = EXAM_KINDS.get(exam["type"], exam["type"])
    out = []
    for row in db.query(
            "SELECT e.id, e.name, e.type, e.scope, t.code AS term_code FROM exam e JOIN term t ON t.id = e.term_id"
            " WHERE e.id != ? AND (t.code < ? OR (t.code = ? AND IFNULL(e.date, '') < ?))"
            " ORDER BY t.code DESC, IFNULL(e.date, '') DESC",
            [exam_id, exam["term_code"], exam["term_code"], exam["date"] or ""]):
        shared = db.execute("SELECT 1 FROM mark a JOIN mark b ON b.pupil_no = a.pupil_no"
                            f" WHERE a.exam_no = {number_of('exam')}"
                            f" AND b.exam_no = {number_of('exam')} LIMIT 1", [exam_id, row["id"]]).fetchone()
        if shared:
            out.append({**dict(row), "same_kind": EXAM_KINDS.get(row["type"]) == kind
                        and row["scope"] == exam["scope"]})
    return out


def _below_pass(db: Database, exam: dict, main: set[str], pupils: tuple[str, list]) -> dict[str, list[str]]:
    """Return {pupil_id: names of main subjects with a real score below the pass line}, for the pupils
    chosen by `pupils` (an " AND pupil_id IN (…)" condition and its args, or ("", []) for all), each
    pupil's subjects in the order of idx_mark_stats as they always were."""
    specs = {s["subject_id"]: s for s in exam["subjects"] if s["subject_id"] in main}
    out: dict[str, list[str]] = defaultdict(list)
    where, args = pupils
    for pid, sid, grade, score in db.execute(
            "SELECT pupil_id, subject_id, grade, score FROM mark"
            f" WHERE exam_no = {number_of('exam')} AND status = '正常'{where}"
            " ORDER BY school_id, class_id, grade, subject_id", [exam["id"], *args]):
        spec = specs.get(sid)
        if spec is None:
            continue
        cuts = spec["cutoffs"].get(grade, spec["default_cutoffs"])
        if score * 100 < cuts["pass_pct"] * spec["full_marks"]:
            out[pid].append(spec["name"])
    return out


def _below_pass_twice(db: Database, exam: dict, before: dict,
                      pupils: tuple[str, list]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return _below_pass of `exam` and of `before` over the main subjects of both."""
    main = {s["subject_id"] for s in exam["subjects"] if s["is_main"]} & \
        {s["subject_id"] for s in before["subjects"] if s["is_main"]}
    return _below_pass(db, exam, main, pupils), _below_pass(db, before, main, pupils)


def list_counts(db: Database, exam_id: str, previous_exam_id: str | None = None, *,
                school_ids: Collection[str] | None = None, preset: Preset | str | None = None) -> dict[str, int]:
    """Return {"临界生": pupils, "学困生": pupils} of the schools `school_ids` (None: every school):
    how many different pupils borderline() and struggling() list for them, read straight from the
    marks of those schools (no per-pupil results: a county's 60,000 pupils took most of a minute).
    学困生 compare with `previous_exam_id`, else previous_exam(); 0 without one. Raises NotFound.
    """
    chosen = resolve(db, "quality", preset)
    margin = float(chosen["borderline_margin_pct"])
    need = int(chosen["struggling_min_subjects"])
    exam = get_exam(db, exam_id)
    specs = {s["subject_id"]: s for s in exam["subjects"] if not is_graded(s)}
    where, args = "", []
    if school_ids is not None:
        where = f" AND school_no IN {numbers_in('school', ','.join('?' * len(school_ids)))}"
        args = list(school_ids)
    near = set()
    for pupil_id, subject_id, grade, score in db.execute(
            "SELECT pupil_id, subject_id, grade, score FROM mark"
            f" WHERE exam_no = {number_of('exam')} AND status = '正常'{where}", [exam_id, *args]):
        spec = specs.get(subject_id)
        if spec is None or pupil_id in near:
            continue
        cuts = spec["cutoffs"].get(grade, spec["default_cutoffs"])
        full = spec["full_marks"]
        if any((pct - margin) * full <= score * 100 < pct * full for pct in (cuts["pass_pct"], cuts["excellent_pct"])):
            near.add(pupil_id)
    before = get_exam(db, previous_exam_id) if previous_exam_id else previous_exam(db, exam_id)
    weak = 0
    if before is not None:
        pupils: tuple[str, list] = ("", [])
        if school_ids is not None:
            pupils = (f" AND pupil_no IN (SELECT pupil_no FROM mark WHERE exam_no = {number_of('exam')}{where})",
                      [exam_id, *args])
        now, then = _below_pass_twice(db, exam, before, pupils)
        weak = sum(1 for pid, names in now.items() if len(names) >= need and len(then.get(pid, [])) >= need)
    return {"临界生": len(near), "学困生": weak}


def _pupil_fields(db: Database, exam_id: str, pupil_ids: Collection[str], *, school_id: str | None = None,
                  class_id: str | None = None) -> list[dict]:
    """Return the _PUPIL_KEYS of the pupils `pupil_ids` as pupil_results gives them (class and grade
    of this exam, marks of `school_id` / `class_id` only when given), in its order: school, grade,
    class and 学籍号. Reads only those pupils' marks, so a county's list takes no county results."""
    if not pupil_ids:
        return []
    where, args = [f"m.exam_no = {number_of('exam')}", f"m.pupil_no IN {numbers_in('pupil', 'SELECT value FROM json_each(?)')}"], \
        [exam_id, json.dumps(sorted(pupil_ids))]
    if school_id:
        where.append(f"m.school_no = {number_of('school')}")
        args.append(school_id)
    if class_id:
        where.append(f"m.class_no = {number_of('class')}")
        args.append(class_id)
    pupils: dict[str, tuple] = {}
    for row in db.execute(
            "SELECT m.pupil_id, p.student_no, p.name, p.gender, s.code, m.class_id, c.name, m.grade,"
            " IFNULL(c.number, 0) FROM mark m JOIN pupil p ON p.id = m.pupil_id JOIN school s ON s.id = m.school_id"
            f" LEFT JOIN class c ON c.id = m.class_id WHERE {' AND '.join(where)}", args):
        pupils.setdefault(row[0], row)
    ordered = sorted(pupils.values(), key=lambda r: (r[4], r[7], r[8], r[6] or "", r[1]))
    return [dict(zip(_PUPIL_KEYS, row[:8])) for row in ordered]


def struggling(db: Database, exam_id: str, previous_exam_id: str | None = None, *, school_id: str | None = None,
               class_id: str | None = None, min_subjects: int | None = None,
               preset: Preset | str | None = None, results: list[dict] | None = None) -> list[dict]:
    """Return 学困生: pupils below the pass line in at least `min_subjects` main subjects in this
    exam and in the previous one (the latest earlier exam sharing pupils, unless given).
    `results`: pupil_results of the same exam, school and class, when the caller has them.

    Each record: the pupil fields (class and grade of this exam), subjects_now, subjects_before
    (names), exam_id, previous_exam_id, preset_id, preset_hash. Empty when there is no previous
    exam. Raises NotFound.
    """
    chosen = resolve(db, "quality", preset)
    need = int(chosen["struggling_min_subjects"] if min_subjects is None else min_subjects)
    exam = get_exam(db, exam_id)
    before = get_exam(db, previous_exam_id) if previous_exam_id else previous_exam(db, exam_id)
    if before is None:
        return []
    # Only the pupils of the school or class are looked at, but each with every mark of the exam
    # wherever it was written (a pupil who changed school keeps the earlier exam's marks).
    pupils: tuple[str, list] = ("", [])
    if school_id or class_id:
        kind = "school" if school_id else "class"
        pupils = (" AND pupil_no IN (SELECT pupil_no FROM mark"
                  f" WHERE exam_no = {number_of('exam')}"
                  f" AND {kind}_no = {number_of(kind)})",
                  [exam_id, school_id or class_id])
    now, then = _below_pass_twice(db, exam, before, pupils)
    wanted = {pid for pid, names in now.items() if len(names) >= need and len(then.get(pid, [])) >= need}
    out = []
    if results is None:  # only the listed pupils' names and classes: no results, no ranks
        results = _pupil_fields(db, exam_id, wanted, school_id=school_id, class_id=class_id)
    for pupil in results:
        if pupil["pupil_id"] in wanted:
            out.append({**{k: pupil[k] for k in _PUPIL_KEYS}, "subjects_now": now[pupil["pupil_id"]],
                        "subjects_before": then[pupil["pupil_id"]], "exam_id": exam_id,
                        "previous_exam_id": before["id"], **chosen.stamp()})
    return out


def movers(db: Database, exam_id: str, baseline_exam_id: str, *, school_id: str | None = None,
           count: int | None = None, preset: Preset | str | None = None,
           results: list[dict] | None = None) -> dict[str, list[dict]]:
    """Return {"risers": [...], "fallers": [...]}: per grade, the `count` pupils (default from the
    preset) with the highest and the lowest mean residual against the baseline exam.
    `results`: pupil_results of the same exam and school, when the caller has them.

    Each record: the pupil fields, change (mean residual, in standard deviations), z_now and z_then
    (means over the same subjects), subjects (how many), preset_id, preset_hash. Raises NotFound,
    ValidationError (same exam, baseline later).
    """
    chosen = resolve(db, "quality", preset)
    count = int(chosen["movers_count"] if count is None else count)
    per_pupil: dict[str, list[dict]] = defaultdict(list)
    for row in residuals(db, exam_id, baseline_exam_id, school_ids=None if school_id is None else [school_id]):
        per_pupil[row["pupil_id"]].append(row)
    if results is None:
        results = pupil_results(db, exam_id, school_id=school_id, preset=chosen)
    info = {p["pupil_id"]: p for p in results}
    by_grade: dict[int, list[dict]] = defaultdict(list)
    for pid, rows in per_pupil.items():
        if pid not in info:
            continue
        n = len(rows)
        by_grade[rows[0]["grade"]].append({
            **{k: info[pid][k] for k in _PUPIL_KEYS}, "change": sum(r["residual"] for r in rows) / n,
            "z_now": sum(r["z_now"] for r in rows) / n, "z_then": sum(r["z_then"] for r in rows) / n,
            "subjects": n, **chosen.stamp()})
    risers, fallers = [], []
    for grade in sorted(by_grade):
        ordered = sorted(by_grade[grade], key=lambda r: (-r["change"], r["student_no"]))
        risers += ordered[:count]
        fallers += ordered[count:][::-1][:count]  # a small grade lists each pupil once
    return {"risers": risers, "fallers": fallers}
