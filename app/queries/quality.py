"""What the 质量分析 screen shows for one exam, gathered from the statistics engine in one go.

`load_quality` reads the group figures at every level, the 平行编班 check, value-added against the
previous exam of the same pupils, the pupil lists (for staff only) and the figures of the earlier
exams that the cohort trend needs. Nothing here computes a statistic of its own: the numbers come
from app.stats; this module only selects what a user may see.

Who sees what (000 篇5, 篇13, 篇14, 篇15): ranks and pupil lists only for township and school
administrators and 教务; a teacher sees group figures without ranks, no pupil, and value-added
only for their own teaching. A user bound to one school sees that school and the township's
figures (the reference), not the other schools.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.db.database import Database
from app.db.writes import Actor
from app.errors import ValidationError
from app.progress import CancelCheck, Progress, check, scaled
from app.queries.history import earlier_exams, exam_label
from app.queries.roster import list_schools
from app.services.exams import get_exam
from app.stats.balance import balance_check
from app.stats.groups import shared_group_stats
from app.stats.lists import borderline, movers, previous_exam, struggling
from app.stats.presets import Preset, active_preset
from app.stats.progress import value_added
from app.stats.pupils import pupil_results

STAFF_ROLES = ("township_admin", "school_admin", "academic")


def may_see_pupils(actor: Actor) -> bool:
    """Return True when `actor` may see ranks, z-scores and pupil lists (staff roles only)."""
    return actor.role in STAFF_ROLES


@dataclass
class QualityData:
    """Everything the 质量分析 screen shows for one exam (see load_quality)."""

    exam: dict
    preset: Preset
    staff: bool
    levels: dict[str, list[dict]]
    balance: list[dict]
    baseline: dict | None
    value_added_note: str
    va_classes: list[dict] = field(default_factory=list)
    va_teachers: list[dict] = field(default_factory=list)
    lists: dict[str, list[dict]] = field(default_factory=dict)
    lists_note: str = ""
    history: list[tuple[dict, dict[str, list[dict]]]] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)

    @property
    def min_group_size(self) -> int:
        """Return the preset's smallest group that is ranked."""
        return int(self.preset.content.get("min_group_size", 0))


def _step(progress: Progress | None, cancelled: CancelCheck | None, fraction: float, message: str) -> None:
    check(cancelled)
    if progress is not None:
        progress(fraction, message)


def _own(records: list[dict], school_code: str | None) -> list[dict]:
    return records if school_code is None else [r for r in records if r.get("school_code") == school_code]


def _teaching_schools(db: Database, school_id: str | None, term_id: str) -> list[str] | None:
    """Return the schools where the teachers of `school_id` teach in the term (theirs and the 教学点
    they go to), or None for no school (every school)."""
    if school_id is None:
        return None
    return [school_id] + [r[0] for r in db.execute(
        "SELECT DISTINCT c.school_id FROM teaching_assignment a JOIN teacher t ON t.id = a.teacher_id"
        " JOIN class c ON c.id = a.class_id WHERE t.school_id = ? AND a.term_id = ?", [school_id, term_id])]


PARTS = ("balance", "value_added", "lists", "history")


def load_quality(db: Database, exam_id: str, actor: Actor, *, parts: tuple[str, ...] = PARTS,
                 baseline_id: str | None = None, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None) -> QualityData:
    """Return the QualityData of `exam_id` as `actor` may see it: the group figures of every level
    and, of PARTS, those in `parts` (the others are read later with load_part, when their tab opens:
    on a county database reading them all first kept 质量分析 closed for most of a minute).

    Ranks are removed for a teacher, pupil lists are only read for staff, and a user bound to a
    school gets only that school's records (plus the township's). Value-added and the pupil lists
    compare with `baseline_id`, else the previous exam of the same kind and scope for the same pupils
    (app.stats.lists.previous_exam); when there is none, or no pupil in common, value_added_note says
    why in Chinese. Raises NotFound for an unknown exam, Cancelled when `cancelled()` turns true.
    """
    staff = may_see_pupils(actor)
    own_code = _own_code(db, actor)
    _step(progress, cancelled, 0.05, "正在统计各班、各年级、各校的成绩")
    exam = get_exam(db, exam_id)
    preset = active_preset(db, "quality")
    levels = shared_group_stats(db, exam_id, preset)
    levels = {level: (records if level == "township" else _own(records, own_code)) for level, records in levels.items()}
    if not staff:
        levels = {level: [dict(r, rank=None, rank_of=None) for r in records] for level, records in levels.items()}
    baseline = get_exam(db, baseline_id) if baseline_id else previous_exam(db, exam_id)
    data = QualityData(exam, preset, staff, levels, [], baseline, "")
    for i, part in enumerate(parts):
        share = scaled(progress, 0.3 + 0.7 * i / len(parts), 0.3 + 0.7 * (i + 1) / len(parts))
        for name, value in load_part(db, data, part, actor, cancelled=cancelled, progress=share).items():
            setattr(data, name, value)
        data.loaded.add(part)
    return data



def _own_code(db: Database, actor: Actor) -> str | None:
    """Return the code of the school the actor is bound to (None for the township)."""
    if not actor.school_id:
        return None
    return next((s["code"] for s in list_schools(db) if s["id"] == actor.school_id), None)


def load_part(db: Database, data: QualityData, part: str, actor: Actor, *, progress: Progress | None = None,
              cancelled: CancelCheck | None = None, school_id: str | None = None) -> dict:
    """Return the fields of `data` that one of PARTS fills, as {field: value} (the caller sets them
    and adds `part` to data.loaded; nothing in `data` is changed here, so this may run on another
    thread while the window shows `data`). The pupil lists cover the school `school_id` when given
    (a county's every pupil took about a minute), else every school the actor may see; a user bound
    to a school always gets that school's. Raises Cancelled, ValueError for an unknown part."""
    exam, preset, baseline, exam_id = data.exam, data.preset, data.baseline, data.exam["id"]
    own_code = _own_code(db, actor)
    if part == "balance":
        _step(progress, cancelled, 0.0, "正在检查平行编班")
        return {"balance": balance_check(db, exam_id, school_id=actor.school_id, preset=preset)}
    if part == "value_added":
        _step(progress, cancelled, 0.0, "正在计算增值")
        va_classes: list[dict] = []
        va_teachers: list[dict] = []
        note = ""
        if baseline is None:
            note = "没有更早的同类考试(同一批学生、同一范围)作基线,无法计算增值;可以选择基线考试。"
        else:
            try:
                # A user bound to a school reads only the pupils of that school, and for its teachers
                # those of every school they teach at (走教); each grade's regression is still over all.
                mine = [actor.school_id] if actor.school_id else None
                va_classes = value_added(db, exam_id, baseline["id"], "class", preset=preset, school_ids=mine)
                va_teachers = _own(value_added(db, exam_id, baseline["id"], "teacher", preset=preset,
                                               school_ids=_teaching_schools(db, actor.school_id, exam["term_id"])),
                                   own_code)
            except ValidationError as exc:
                note = str(exc)
            if not data.staff:
                va_teachers = [r for r in va_teachers if actor.teacher_id and r["teacher_id"] == actor.teacher_id]
        return {"va_classes": va_classes, "va_teachers": va_teachers, "value_added_note": note}
    if part == "lists":
        lists: dict[str, list[dict]] = {}
        lists_note = ""
        if data.staff:
            _step(progress, cancelled, 0.0, "正在整理临界生、学困生名单")
            school_id = actor.school_id or school_id
            results = pupil_results(db, exam_id, school_id=school_id, preset=preset)  # once for all lists
            lists["borderline"] = borderline(db, exam_id, school_id=school_id, preset=preset, results=results)
            lists["struggling"] = struggling(db, exam_id, baseline["id"] if baseline else None,
                                             school_id=school_id, preset=preset, results=results)
            if baseline is not None:
                moved = movers(db, exam_id, baseline["id"], school_id=school_id, preset=preset, results=results)
                lists["risers"], lists["fallers"] = moved["risers"], moved["fallers"]
            else:
                lists["risers"], lists["fallers"] = [], []
                lists_note = "没有更早的同类考试作基线,无法列出进步、退步最大的学生和学困生。"
        return {"lists": lists, "lists_note": lists_note}
    if part == "history":
        history = []
        past_exams = [e for e in earlier_exams(db, exam) if e["id"] != exam_id]
        for i, past in enumerate(past_exams):
            _step(progress, cancelled, i / max(len(past_exams), 1), "正在读取历次考试")
            past_levels = shared_group_stats(db, past["id"], preset)
            history.append((past, {"grade": _own(past_levels["grade"], own_code), "township": past_levels["township"]}))
        history.append((exam, {"grade": data.levels["grade"], "township": data.levels["township"]}))
        return {"history": history}
    raise ValueError(part)


def _start_year(exam: dict) -> int:
    return int(str(exam["term_code"])[:4])


def cohort_trend(data: QualityData, grade: int, subject_code: str, *, school_code: str | None = None,
                 township_code: str | None = None) -> tuple[list[str], dict[str, list[float | None]]]:
    """Return (exam labels, {平均分 / 及格率 / 优秀率: percent per exam}) of one cohort over the exams.

    The cohort is the pupils in `grade` of the current exam: in an exam of an earlier school year
    they were in a lower grade (one per year). Figures are of one school's grade, or of the
    grade of the township `township_code` when `school_code` is None; exams the cohort did not write in that subject
    are left out. The mean is given as a percent of full marks so papers of different full marks
    compare.
    """
    labels: list[str] = []
    series: dict[str, list[float | None]] = {"平均分(占满分%)": [], "及格率": [], "优秀率": []}
    now = _start_year(data.exam)
    for exam, levels in data.history:
        then = grade - (now - _start_year(exam))
        records = levels["grade"] if school_code else levels["township"]
        found = [r for r in records if r["grade"] == then and r["subject_code"] == subject_code
                 and (r["school_code"] == school_code if school_code else r["township_code"] == township_code)]
        if not found or found[0]["n"] == 0:
            continue
        record = found[0]
        labels.append(exam_label(exam))
        for key, value in zip(series, (record["mean_pct"], record["pass_rate"], record["excellent_rate"])):
            series[key].append(None if value is None else 100 * value)
    return labels, series
