"""Results of the pupils 002 asks to be guarded — 留守儿童, 寄宿, 随迁子女, 残疾 — beside the rest.

For every scored main subject of an exam (every scored subject when none is main) and every flag:
the pupils with the flag and the others, each with n, 平均分, 及格率, 优秀率 and 低分率 over the real
scores written (实考: 缺考 and 免考 are not papers; the cut-offs are the exam's for the pupil's
grade), and the difference 有 − 其他 in 平均分 and 及格率. The flags are the pupil's as recorded now.

Small-group rule: a group of fewer pupils than the quality preset's minimum (min_group_size) is
listed with its n only — no figures and no difference — so that nobody can read a single pupil's
marks out of it and no conclusion is drawn from a handful of papers.
"""
from __future__ import annotations

from collections import defaultdict

from sqlite_utils import Database

from app.db.keys import number_of, numbers_in
from app.services.exams import get_exam
from app.stats.graded import is_graded
from app.stats.presets import Preset, resolve

CARE_FLAGS = (("left_behind", "留守儿童"), ("boarding", "寄宿"), ("migrant", "随迁子女"), ("disabled", "残疾"))


def _figures(papers: list[tuple[float, float, dict]], min_size: int) -> dict:
    n = len(papers)
    if n < min_size:
        return {"n": n, "small_sample": True, "mean": None, "pass_rate": None, "excellent_rate": None,
                "low_rate": None}
    return {"n": n, "small_sample": False, "mean": sum(s for s, _, _ in papers) / n,
            "pass_rate": sum(s * 100 >= c["pass_pct"] * f for s, f, c in papers) / n,
            "excellent_rate": sum(s * 100 >= c["excellent_pct"] * f for s, f, c in papers) / n,
            "low_rate": sum(s * 100 < c["low_pct"] * f for s, f, c in papers) / n}


def care_group_results(db: Database, exam_id: str, *, school_ids: list[str] | None = None,
                       preset: Preset | str | None = None) -> list[dict]:
    """Return one record per subject and flag: subject, subject_code, flag (key), label, flagged
    and others (each {n, small_sample, mean, pass_rate, excellent_rate, low_rate}), mean_gap and
    pass_gap (flagged − others; None when either group is below the minimum), min_size.
    `school_ids` limits the papers to those schools (default: every school of the exam).
    Raises NotFound."""
    chosen = resolve(db, "quality", preset)
    min_size = int(chosen["min_group_size"])
    exam = get_exam(db, exam_id)
    scored = [s for s in exam["subjects"] if not is_graded(s)]
    subjects = {s["subject_id"]: s for s in ([s for s in scored if s["is_main"]] or scored)}
    where, args = "", [exam_id]
    if school_ids is not None:
        where = f" AND m.school_no IN {numbers_in('school', ','.join('?' * len(school_ids)) or 'NULL')}"
        args += list(school_ids)
    papers: dict[tuple[str, str, bool], list[tuple[float, float, dict]]] = defaultdict(list)
    for subject_id, grade, score, *flags in db.execute(
            "SELECT m.subject_id, m.grade, m.score, " + ", ".join(f"p.{key}" for key, _ in CARE_FLAGS)
            + f" FROM mark m JOIN pupil p ON p.id = m.pupil_id WHERE m.exam_no = {number_of('exam')}"
            f" AND m.status = '正常'{where}", args):
        spec = subjects.get(subject_id)
        if spec is None:
            continue
        paper = (score, spec["full_marks"], spec["cutoffs"].get(grade, spec["default_cutoffs"]))
        for (key, _label), flagged in zip(CARE_FLAGS, flags):
            papers[(subject_id, key, bool(flagged))].append(paper)
    out = []
    for subject_id, spec in subjects.items():
        for key, label in CARE_FLAGS:
            flagged = _figures(papers.get((subject_id, key, True), []), min_size)
            others = _figures(papers.get((subject_id, key, False), []), min_size)
            if not flagged["n"] and not others["n"]:
                continue
            comparable = not flagged["small_sample"] and not others["small_sample"]
            out.append({"subject": spec["name"], "subject_code": spec["code"], "flag": key, "label": label,
                        "flagged": flagged, "others": others, "min_size": min_size,
                        "mean_gap": flagged["mean"] - others["mean"] if comparable else None,
                        "pass_gap": flagged["pass_rate"] - others["pass_rate"] if comparable else None})
    return out
