"""平行编班 (seed 001): are the classes of a grade alike, and an S-shaped (蛇形) split of a new intake.

The check compares the classes of each grade of a school on one exam (an intake test or the
baseline exam): each pupil's score as a percentage of full marks (one subject, or the mean over the
subjects the pupil wrote), then per class n, mean and sd, boys and girls. A grade is flagged when
the class means, or the class sds, differ by more than the preset's thresholds (percentage points).

The S-shaped assignment sorts boys and girls each by score, best first, and deals them out
1, 2, …, k, k, …, 2, 1, 1, 2, … — the girls continuing where the boys stopped — so class sizes differ
by at most one, boys and girls are spread evenly, and every class gets the same mix of strong and
weak pupils. The suggestion then swaps pupils of the same gender between classes while that brings
the class means closer, because the plain S shape can leave the weakest tail in one class.
"""
from __future__ import annotations

import math
from collections import defaultdict

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import invalid
from app.services.exams import get_exam
from app.services.subjects import SubjectIndex
from app.stats.graded import is_graded
from app.stats.presets import Preset, resolve


def _pupil_scores(db: Database, exam: dict, subject: str | None, school_id: str | None,
                  grade: int | None) -> dict[str, dict]:
    """Return {pupil_id: {score (percent of full marks), school_id, class_id, grade, gender, name}}."""
    specs = {s["subject_id"]: s for s in exam["subjects"]}
    wanted = None
    if subject:
        found = SubjectIndex.load(db).find(subject)
        if found is None or found["id"] not in specs:
            raise invalid(f"考试“{exam['name']}”没有科目“{subject}”。", "subject")
        if is_graded(specs[found["id"]]):
            raise invalid(f"“{found['name']}”在这次考试中只评等级,没有分数,不能作为编班依据。", "subject")
        wanted = found["id"]
    where, args = [f"m.exam_no = {number_of('exam')}", "m.status = '正常'"], [exam["id"]]
    if school_id:
        where.append(f"m.school_no = {number_of('school')}")
        args.append(school_id)
    if grade is not None:
        where.append("m.grade = ?")
        args.append(int(grade))
    parts: dict[str, list[float]] = defaultdict(list)
    info: dict[str, dict] = {}
    for pid, sid, school, class_id, g, score, gender, name, student_no in db.execute(
            "SELECT m.pupil_id, m.subject_id, m.school_id, m.class_id, m.grade, m.score, p.gender, p.name,"
            f" p.student_no FROM mark m JOIN pupil p ON p.id = m.pupil_id WHERE {' AND '.join(where)}", args):
        if sid not in specs or is_graded(specs[sid]) or (wanted and sid != wanted):
            continue
        parts[pid].append(score * 100.0 / specs[sid]["full_marks"])
        info[pid] = {"school_id": school, "class_id": class_id, "grade": g, "gender": gender, "name": name,
                     "student_no": student_no}
    return {pid: {**info[pid], "score": sum(v) / len(v)} for pid, v in parts.items()}


def scored_subjects(db: Database, exam_id: str, grade: int | None = None) -> list[str]:
    """Return the names of the exam's subjects marked with scores (not 等级 only), of `grade` when given,
    in the exam's order: the subjects a class split or balance check may be based on. Raises NotFound."""
    return [s["name"] for s in get_exam(db, exam_id)["subjects"]
            if not is_graded(s) and (grade is None or not s.get("grades") or grade in s["grades"])]


def balance_check(db: Database, exam_id: str, *, subject: str | None = None, school_id: str | None = None,
                  preset: Preset | str | None = None) -> list[dict]:
    """Return one record per school and grade with two or more classes: school_code, school_name,
    grade, subject (or 各科平均), classes [{class_id, class_name, n, boys, girls, mean, sd}] (percent of
    full marks), mean_spread, sd_spread (percentage points), flagged, reasons (Chinese sentences),
    preset_id, preset_hash. Raises NotFound, ValidationError (subject not in the exam).
    """
    chosen = resolve(db, "quality", preset)
    limits = chosen["balance"]
    exam = get_exam(db, exam_id)
    scores = _pupil_scores(db, exam, subject, school_id, None)
    classes = {r[0]: r[1:] for r in db.execute("SELECT id, name, number FROM class")}
    schools = {r[0]: r[1:] for r in db.execute("SELECT id, code, name FROM school")}
    groups: dict[tuple, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for pupil in scores.values():
        if pupil["class_id"]:
            groups[(pupil["school_id"], pupil["grade"])][pupil["class_id"]].append(pupil)
    out = []
    for (sid, grade), members in groups.items():
        if len(members) < 2:
            continue
        rows = []
        for class_id, pupils in members.items():
            values = [p["score"] for p in pupils]
            mean = sum(values) / len(values)
            rows.append({"class_id": class_id, "class_name": classes[class_id][0], "n": len(values),
                         "boys": sum(p["gender"] == "男" for p in pupils),
                         "girls": sum(p["gender"] == "女" for p in pupils), "mean": mean,
                         "sd": math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)),
                         "_number": classes[class_id][1]})
        rows.sort(key=lambda r: (r.pop("_number"), r["class_name"]))
        mean_spread = max(r["mean"] for r in rows) - min(r["mean"] for r in rows)
        sd_spread = max(r["sd"] for r in rows) - min(r["sd"] for r in rows)
        reasons = []
        if mean_spread > limits["mean_spread_pct"]:
            reasons.append(f"各班平均分相差 {mean_spread:.1f} 个百分点,超过 {limits['mean_spread_pct']:g}。")
        if sd_spread > limits["sd_spread_pct"]:
            reasons.append(f"各班标准差相差 {sd_spread:.1f} 个百分点,超过 {limits['sd_spread_pct']:g}:"
                           "有的班强弱更悬殊。")
        out.append({"school_code": schools[sid][0], "school_name": schools[sid][1], "grade": grade,
                    "subject": subject or "各科平均", "classes": rows, "mean_spread": mean_spread,
                    "sd_spread": sd_spread, "flagged": bool(reasons), "reasons": reasons, "exam_id": exam_id,
                    **chosen.stamp()})
    out.sort(key=lambda r: (r["school_code"], r["grade"]))
    return out


def snake_assign(candidates: list[dict], n_classes: int, *, even_out: bool = False) -> list[int]:
    """Return the class index (0 … n_classes − 1) of each candidate, in the candidates' order.

    Each candidate is a dict with gender ('男' / '女') and score (None when unknown: such pupils
    are dealt out after the scored ones of their gender). Ties in score keep the given order.
    With `even_out`, pupils of the same gender are then swapped between classes while a swap brings
    the class means closer together (sizes and gender counts stay as dealt): the plain S shape can
    leave the weakest tail in one class. Raises ValidationError when n_classes < 1.
    """
    if n_classes < 1:
        raise invalid("班级数至少为 1。", "n_classes")
    order: list[int] = []
    for gender in ("男", "女"):
        mine = [i for i, c in enumerate(candidates) if c.get("gender") == gender]
        order += sorted(mine, key=lambda i: (candidates[i].get("score") is None, -(candidates[i].get("score") or 0)))
    order += [i for i, c in enumerate(candidates) if c.get("gender") not in ("男", "女")]
    result = [0] * len(candidates)
    for k, i in enumerate(order):
        lap, position = divmod(k, n_classes)
        result[i] = position if lap % 2 == 0 else n_classes - 1 - position
    if even_out and n_classes > 1:
        _even_out(candidates, result, n_classes)
    return result


def _even_out(candidates: list[dict], result: list[int], n_classes: int, rounds: int = 20) -> None:
    scored = [i for i, c in enumerate(candidates) if c.get("score") is not None]
    sums, counts = [0.0] * n_classes, [0] * n_classes
    for i in scored:
        sums[result[i]] += candidates[i]["score"]
        counts[result[i]] += 1
    if not scored or 0 in counts:
        return
    overall = sum(sums) / len(scored)

    def spread(a: int, sum_a: float, b: int, sum_b: float) -> float:
        return (sum_a / counts[a] - overall) ** 2 + (sum_b / counts[b] - overall) ** 2

    for _ in range(rounds):
        improved = False
        for x, i in enumerate(scored):
            for j in scored[x + 1:]:
                a, b = result[i], result[j]
                if a == b or candidates[i].get("gender") != candidates[j].get("gender"):
                    continue
                diff = candidates[j]["score"] - candidates[i]["score"]
                if spread(a, sums[a] + diff, b, sums[b] - diff) < spread(a, sums[a], b, sums[b]) - 1e-9:
                    sums[a] += diff
                    sums[b] -= diff
                    result[i], result[j] = b, a
                    improved = True
        if not improved:
            return


def suggest_classes(db: Database, exam_id: str, *, school_id: str, grade: int, n_classes: int,
                    subject: str | None = None) -> dict:
    """Return an S-shaped split (evened out by same-gender swaps) of the pupils of one school and grade
    in an exam into `n_classes`: {"assignments": [{pupil_id, student_no, name, gender, score,
    class_number}], "classes": [{class_number, n, boys, girls, scored, mean}]}, class numbers from 1,
    assignments in the pupils' 学籍号 order. `score` is the percent of full marks (of `subject`, else
    the mean over the written subjects); a pupil with no usable mark (缺考 in every subject used) is
    placed too, after the scored pupils of their gender, with score None, and a class's mean is over
    its scored pupils. Raises NotFound, ValidationError (no pupil of the grade in the exam, fewer
    than 1 class)."""
    exam = get_exam(db, exam_id)
    scores = _pupil_scores(db, exam, subject, school_id, grade)
    absent = {pid: {"gender": gender, "name": name, "student_no": student_no, "score": None}
              for pid, gender, name, student_no in db.execute(
                  "SELECT DISTINCT m.pupil_id, p.gender, p.name, p.student_no FROM mark m JOIN pupil p ON p.id = m.pupil_id"
                  f" WHERE m.exam_no = {number_of('exam')} AND m.school_no = {number_of('school')} AND m.grade = ?",
                  [exam_id, school_id, int(grade)]) if pid not in scores}
    pupils = sorted(({"pupil_id": pid, **p} for pid, p in {**scores, **absent}.items()),
                    key=lambda p: p["student_no"] or "")
    if not pupils:
        raise invalid(f"考试“{exam['name']}”中没有该校 {grade} 年级学生的成绩。", "grade")
    classes = snake_assign(pupils, n_classes, even_out=True)
    assignments = [{"pupil_id": p["pupil_id"], "student_no": p["student_no"], "name": p["name"],
                    "gender": p["gender"], "score": p["score"], "class_number": c + 1} for p, c in zip(pupils, classes)]
    summary = []
    for number in range(1, n_classes + 1):
        mine = [a for a in assignments if a["class_number"] == number]
        scored = [a["score"] for a in mine if a["score"] is not None]
        summary.append({"class_number": number, "n": len(mine), "boys": sum(a["gender"] == "男" for a in mine),
                        "girls": sum(a["gender"] == "女" for a in mine), "scored": len(scored),
                        "mean": sum(scored) / len(scored) if scored else None})
    return {"assignments": assignments, "classes": summary}
