"""成绩通知单 (report slips) for parents: one slip per pupil of a class (or of every class of a school),
one or two per A4 page. A slip carries the pupil's own name, class and 学籍号 and each subject's 等级
(优秀 / 良好 / 合格 / 待提高, or 缺考 / 免考) — never a score, a rank or anything of another pupil
(000 篇13, 篇15: pupils' scores and ranks are not published) — and lines for the teacher's comment.
The 等级 are app.stats.pupils.parent_view of each pupil's results."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlite_utils import Database

from app.errors import invalid
from app.progress import CancelCheck, Progress, check
from app.reports.common import find_class, find_school, make_stamp
from app.reports.model import Report, Section, Slip
from app.services.exams import get_exam
from app.stats.presets import active_preset
from app.stats.pupils import parent_view, pupil_results
from app.validation.mask import PERSONAL_NOTE


def legend(exam: dict, good_pct: float) -> str:
    """Return the slip's explanation of the 等级 under the exam's lines (the common ones)."""
    cuts = exam["subjects"][0]["default_cutoffs"] if exam["subjects"] else {"excellent_pct": 85, "pass_pct": 60}
    return (f"等级说明:优秀 — 达到满分的 {cuts['excellent_pct']:g}%;良好 — 达到 {min(good_pct, cuts['excellent_pct']):g}%;"
            f"合格 — 达到 {cuts['pass_pct']:g}%;待提高 — 未达到合格线。本通知单只列本人各科等级。")


def build(db: Database, exam_id: str, *, school_code: str | None = None, class_name: str | None = None,
          per_page: int = 2, made: dt.datetime | None = None, progress: Progress | None = None,
          cancelled: CancelCheck | None = None) -> Report:
    """Return the slips of one class (or of every class of the school when no class is named), in
    class and 学籍号 order. Raises NotFound (exam, school, class), ValidationError (per_page not 1 or
    2, no pupil), Cancelled."""
    if per_page not in (1, 2):
        raise invalid("每页只能印 1 张或 2 张成绩通知单。", "per_page")
    exam = get_exam(db, exam_id)
    school = find_school(db, school_code)
    klass = find_class(db, exam, school, class_name) if class_name else None
    preset = active_preset(db, "quality")
    if progress:
        progress(0.1, "正在读取学生等级")
    results = pupil_results(db, exam_id, school_id=school["id"], class_id=klass["id"] if klass else None,
                            preset=preset)
    if not results:
        raise invalid(f"{school['name']}{klass['name'] if klass else ''}在“{exam['name']}”中没有学生成绩。", "class")
    check(cancelled)
    text = legend(exam, float(preset["good_pct"]))
    slips = []
    for result in results:
        view = parent_view(result)
        slips.append(Slip(name=view["name"], class_name=view["class_name"] or "", grade=view["grade"],
                          student_no=result["student_no"],
                          levels=[(s["subject"], s["level"]) for s in view["subjects"]], legend=text))
    stamp = replace(make_stamp(db, [exam_id], [preset], made=made, school_ids=[school["id"]]), personal=PERSONAL_NOTE)
    scope = klass["name"] if klass else "全校"
    return Report(kind="slips", title="成绩通知单", subtitle=f"{school['name']} {scope} · {exam['name']}",
                  header=f"{school['name']} · {exam['name']}", stamp=stamp, sections=[Section(None, slips)],
                  slips_per_page=per_page, cover=False, file_title=f"{school['name']}{scope}{exam['name']}成绩通知单")
