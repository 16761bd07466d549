"""What every report shares: the CJK font, the footer stamp (program version, scoring presets, a hash
of the data read, time made), finding the school / class / teacher a report is about, and the
baseline exam it compares with.

The data hash is the sha256 of every exam definition the report reads (subjects, full marks,
cut-offs, policy) and of every mark of those exams at the schools it covers, with the pupil's 学籍号,
name, school, class and grade, in a fixed order; a report made twice from unchanged data names the
same hash, and a changed mark, name or cut-off changes it. A school's, class's or teacher's report
covers every school of the township(s) involved, since it compares with the township: in a
township database that is all its data. Slips cover their own school (a 等级 depends only on the
pupil's own marks). In a county database ranks among all its schools are not covered: hashing a
whole county's marks would cost seconds for every report.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from sqlite_utils import Database

from app import __version__
from app.db.keys import number_of, numbers_in
from app.errors import NotFound, invalid
from app.paths import font_path
from app.preset_names import display_name
from app.reports.model import Stamp
from app.services.exams import get_exam
from app.services.schools import school_by_code
from app.stats.cache import lasting
from app.stats.lists import previous_exam
from app.stats.presets import Preset
from app.validation.classnames import class_name, parse_class

FONT = "WQYMicroHei"


def register_font() -> str:
    """Register WenQuanYi Micro Hei (TrueType outlines; reportlab embeds the used glyphs as a
    subset) once per process and return its name."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path()), subfontIndex=0))
    return FONT


def made_text(made: dt.datetime | None) -> str:
    """Return the time a report is made as 'YYYY-MM-DD HH:MM' (now when `made` is None)."""
    return (made or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")


def _exam_definition(exam: dict) -> dict:
    return {k: exam[k] for k in ("id", "name", "type", "scope", "policy", "term_code", "date", "grades")} | {
        "subjects": [{"code": s["code"], "full_marks": s["full_marks"], "grades": s["grades"],
                      "cutoffs": {str(g): c for g, c in sorted(s["cutoffs"].items())}} for s in exam["subjects"]]}


def township_schools(db: Database, school_ids: Iterable[str]) -> list[str]:
    """Return the ids of every school in the townships of `school_ids` (a school without a township
    stands for itself)."""
    wanted = list(set(school_ids))
    marks = ",".join("?" * len(wanted))
    return sorted({r[0] for r in db.execute(
        f"SELECT s.id FROM school s WHERE s.id IN ({marks}) OR s.township_id IN"
        f" (SELECT township_id FROM school WHERE id IN ({marks}) AND township_id IS NOT NULL)", wanted * 2)})


def data_hash(db: Database, exam_ids: Iterable[str], *, school_ids: Iterable[str] | None = None,
              extra: Iterable[tuple] = ()) -> str:
    """Return the sha256 (hex) of the exams' definitions and marks (of the schools in `school_ids`,
    else of all), with each mark's pupil 学籍号, name, school, class and grade, plus any `extra` rows.
    Raises NotFound."""
    exams = tuple(sorted(set(exam_ids)))
    schools = sorted(set(school_ids)) if school_ids is not None else None
    rows = tuple("|".join(map(str, row)) for row in extra)
    # Kept while what it reads is unchanged (another exam or a timetable may change), in this process
    # and later ones: every school of a township shares its township's hash.
    return lasting(db, ("data hash", exams, tuple(schools) if schools is not None else None, rows),
                   lambda: _data_hash(db, exams, schools, rows), exams=exams)


def _data_hash(db: Database, exam_ids: tuple[str, ...], schools: list[str] | None, extra: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for exam_id in exam_ids:
        exam = get_exam(db, exam_id)
        digest.update(json.dumps(_exam_definition(exam), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        where, args = f"m.exam_no = {number_of('exam')}", [exam_id]
        if schools is not None:
            where += f" AND m.school_no IN {numbers_in('school', ','.join('?' * len(schools)))}"
            args += schools
        rows = db.execute(
            "SELECT p.student_no, p.name, s.code, IFNULL(c.name, ''), m.grade, sj.code, m.status, IFNULL(m.score, '')"
            " FROM mark m JOIN pupil p ON p.id = m.pupil_id JOIN school s ON s.id = m.school_id"
            " JOIN subject sj ON sj.id = m.subject_id LEFT JOIN class c ON c.id = m.class_id"
            f" WHERE {where} ORDER BY m.pupil_id, sj.code", args)
        digest.update("\n".join("|".join(map(str, r)) for r in rows).encode("utf-8"))
    for row in extra:
        digest.update(("\n" + row).encode("utf-8"))
    return digest.hexdigest()


def make_stamp(db: Database, exam_ids: Iterable[str], presets: Iterable[Preset], *, made: dt.datetime | None = None,
               school_ids: Iterable[str] | None = None, extra: Iterable[tuple] = ()) -> Stamp:
    """Return the footer stamp of a report reading `exam_ids` (marks of `school_ids`, else all)
    under `presets`."""
    return Stamp(version=__version__, presets=[(display_name(p.name), p.hash) for p in presets],
                 data_hash=data_hash(db, exam_ids, school_ids=school_ids, extra=extra), made=made_text(made))


def find_school(db: Database, code: str | None) -> dict:
    """Return the school with `code`; without a code, the database's only school.

    Raises NotFound for an unknown code, ValidationError when no code is given and the database
    holds several schools.
    """
    if code:
        return dict(school_by_code(db, code.strip()))
    rows = [dict(r) for r in db.query("SELECT * FROM school ORDER BY code")]
    if len(rows) == 1:
        return rows[0]
    codes = "、".join(f"{r['code']} {r['name']}" for r in rows[:8])
    raise invalid(f"这个数据库有多所学校,请用 --school 指明学校代码(如 {codes})。", "school")


def find_class(db: Database, exam: dict, school: dict, written: str) -> dict:
    """Return the class of `school` named `written` ('三(1)班', '3.1', '三年级1班', or the exact name
    of a 复式 class) that has marks in `exam`: id, name, number, grades.

    Raises NotFound listing the classes that sat the exam.
    """
    rows = [dict(r) for r in db.query(
        "SELECT c.id, c.name, c.number, MIN(m.grade) AS grade FROM class c JOIN class_number n ON n.id = c.id"
        f" JOIN mark m ON m.class_no = n.no AND m.school_no = {number_of('school', 'c.school_id')}"
        f" WHERE m.exam_no = {number_of('exam')} AND c.school_id = ?"
        " GROUP BY c.id ORDER BY MIN(m.grade), c.number",
        [exam["id"], school["id"]])]
    text = (written or "").strip()
    parsed = parse_class(text)
    wanted = {text}
    if parsed:
        wanted.add(class_name(*parsed))
    for row in rows:
        if row["name"] in wanted or row["id"] == text:
            row["grades"] = [g for (g,) in db.execute(
                f"SELECT DISTINCT grade FROM mark WHERE exam_no = {number_of('exam')}"
                f" AND class_no = {number_of('class')} ORDER BY grade",
                [exam["id"], row["id"]])]
            return row
    names = "、".join(r["name"] for r in rows) or "(没有)"
    raise NotFound(f"{school['name']}没有参加“{exam['name']}”的班级“{text}”。参加考试的班级:{names}。")


def find_teacher(db: Database, staff_no: str, school: dict | None = None) -> dict:
    """Return the teacher with 工号 `staff_no` (in `school` if given): id, staff_no, name,
    school_id, school_code, school_name.

    Raises NotFound, ValidationError when the 工号 is used in several schools and none is named.
    """
    where, args = ["t.staff_no = ?"], [(staff_no or "").strip()]
    if school:
        where.append("t.school_id = ?")
        args.append(school["id"])
    rows = [dict(r) for r in db.query(
        "SELECT t.id, t.staff_no, t.name, t.school_id, s.code AS school_code, s.name AS school_name FROM teacher t"
        f" JOIN school s ON s.id = t.school_id WHERE {' AND '.join(where)}", args)]
    if not rows:
        raise NotFound(f"找不到工号为“{staff_no}”的教师,请核对工号(教师名单中可查)。")
    if len(rows) > 1:
        raise invalid(f"工号“{staff_no}”在几所学校都有,请用 --school 指明学校。", "teacher")
    return rows[0]


def resolve_baseline(db: Database, exam: dict, baseline_id: str | None) -> dict | None:
    """Return the baseline exam: the one named, else the latest earlier exam sharing pupils
    (None when there is none). Raises NotFound for an unknown id."""
    if baseline_id:
        return get_exam(db, baseline_id)
    return previous_exam(db, exam["id"])


def grade_name(grade: int | None) -> str:
    """Return '三年级' for 3, '全部年级' for None."""
    if grade is None:
        return "全部年级"
    return "一二三四五六七八九"[grade - 1] + "年级"


def cutoff_text(exam: dict) -> str:
    """Return the exam's lines as one sentence (the common lines, and any subject that differs)."""
    seen: dict[tuple, list[str]] = {}
    for s in exam["subjects"]:
        for cuts in s["cutoffs"].values() or [s["default_cutoffs"]]:
            key = (cuts["excellent_pct"], cuts["pass_pct"], cuts["low_pct"])
            names = seen.setdefault(key, [])
            if s["name"] not in names:
                names.append(s["name"])
    parts = []
    for (excellent, passing, low), names in sorted(seen.items(), key=lambda kv: -len(kv[1])):
        where = "" if len(seen) == 1 else "、".join(names) + ":"
        parts.append(f"{where}优秀 ≥ {excellent:g}%,及格 ≥ {passing:g}%,低分 < {low:g}%(占满分)")
    return ";".join(parts)


def policy_text(policy: str) -> str:
    """Return the denominator policy in words."""
    return "按应考人数统计,缺考按 0 分计" if policy == "roster" else "按实考人数统计,缺考不计入"


def exam_when(exam: dict) -> str:
    """Return '2026—2027 学年第一学期 · 2026-11-12 · 统考' for the header lines."""
    return " · ".join(x for x in (exam["term_name"], exam["date"], exam["type"]) if x)

