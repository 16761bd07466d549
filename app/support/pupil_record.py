"""Each pupil's record (成长记录, 学业档案): status history, every exam's marks and 等级 with z and T
against the grade (app.stats.pupils: the papers of the same grade and subject in the exam's scope),
the trend, tutoring, 双困生 flags and the pupil's flags (寄宿, 留守儿童, 随迁子女, 残疾, 体育免修).

The printable record for a parents' meeting never shows a rank (class or grade) nor anything of
another pupil; what else it shows (scores, T, the chart, tutoring, home visits, status history,
flags) is chosen by the records preset in force for the pupil's school (its `pupil_record` part,
edited in the preset store like every other preset).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from reportlab.lib.units import mm
from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import NotFound
from app.reports.charts import trend_lines
from app.reports.common import make_stamp
from app.reports.model import Chart, Column, Report, Section, Table, Text
from app.presets import Preset
from app.records.common import records_rules
from app.records.visits import pupil_visits
from app.stats.presets import active_preset
from app.stats.pupils import pupil_results
from app.support.records import list_difficulties, list_tutoring
from app.validation.mask import PERSONAL_NOTE, mask_student_no

FLAGS = (("boarding", "寄宿"), ("left_behind", "留守儿童"), ("migrant", "随迁子女"), ("disabled", "残疾"),
         ("pe_exempt", "体育免修"))


SHOWN = {"scores": "成绩", "t_scores": "T 分", "chart": "成绩走势图", "tutoring": "辅导记录", "home_visits": "家访记录",
         "status": "学籍变动", "flags": "留守、寄宿等情况"}


def shown_parts(db: Database, school_id: str) -> tuple[list[str], Preset]:
    """Return (the keys of SHOWN the parents' copy prints, in SHOWN's order; the records preset that
    chose them) for a pupil of `school_id`."""
    preset = records_rules(db, school_id)
    chosen = preset.content.get("pupil_record", {})
    return [key for key in SHOWN if chosen.get(key) == "show"], preset


def _exams(db: Database, pupil_id: str) -> list[dict]:
    """Return the pupil's results in every exam with a mark, oldest first (no ranks)."""
    out = []
    for exam_id, class_id, grade, name, date, term_code in db.execute(
            "SELECT m.exam_id, m.class_id, m.grade, e.name, e.date, t.code FROM mark m JOIN exam e ON e.id = m.exam_id"
            f" JOIN term t ON t.id = e.term_id WHERE m.pupil_no = {number_of('pupil')}"
            " GROUP BY m.exam_id ORDER BY t.code, IFNULL(e.date, ''), e.name", [pupil_id]).fetchall():
        found = [r for r in pupil_results(db, exam_id, class_id=class_id, grade=grade) if r["pupil_id"] == pupil_id] \
            if class_id else [r for r in pupil_results(db, exam_id, grade=grade) if r["pupil_id"] == pupil_id]
        if not found:
            continue
        result = found[0]
        subjects = [{k: s[k] for k in ("subject", "subject_code", "full_marks", "status", "score", "z", "t", "level",
                                       "graded")} for s in result["subjects"]]
        out.append({"exam_id": exam_id, "name": name, "date": date, "term_code": term_code, "grade": grade,
                    "class_name": result["class_name"], "subjects": subjects, "mean_t": result["mean_t"]})
    return out


def pupil_record(db: Database, pupil_id: str) -> dict:
    """Return one pupil's record: pupil (the row with school_name, class_name), flags (the names of
    the flags set), status (history [{date, status, note}], enrolment first), exams (see _exams:
    per exam name, date, grade, class_name, subjects [{subject, score, level, z, t, status}],
    mean_t), tutoring (every term, newest first), visits (家访, every term, newest first),
    difficulties (双困生 flags, every term).
    Raises NotFound."""
    rows = list(db.query("SELECT p.*, s.name AS school_name, s.code AS school_code, c.name AS class_name FROM pupil p"
                         " JOIN school s ON s.id = p.school_id LEFT JOIN class c ON c.id = p.class_id WHERE p.id = ?",
                         [pupil_id]))
    if not rows:
        raise NotFound("找不到这名学生,可能已被删除。")
    pupil = dict(rows[0])
    status = [{"date": pupil["enrol_date"], "status": "入学", "note": None}] if pupil["enrol_date"] else []
    status += [dict(r) for r in db.query("SELECT date, status, note FROM pupil_status_change WHERE pupil_id = ?"
                                         " ORDER BY date, created_at", [pupil_id])]
    if pupil["status"] != "在读" and pupil["status_date"] and not any(
            s["date"] == pupil["status_date"] and s["status"] == pupil["status"] for s in status):
        status.append({"date": pupil["status_date"], "status": pupil["status"], "note": None})
    return {"pupil": pupil, "flags": [label for key, label in FLAGS if pupil.get(key)], "status": status,
            "exams": _exams(db, pupil_id), "tutoring": list_tutoring(db, pupil_id=pupil_id, all_terms=True),
            "visits": pupil_visits(db, pupil_id),
            "difficulties": list_difficulties(db, pupil_id=pupil_id, all_terms=True)}


def trend(record: dict) -> tuple[list[str], dict[str, list[float | None]]]:
    """Return (exam names, {subject: score as percent of full marks per exam}) of the scored subjects."""
    names = [e["name"] for e in record["exams"]]
    series: dict[str, list[float | None]] = {}
    for index, exam in enumerate(record["exams"]):
        for subject in exam["subjects"]:
            if subject["graded"]:
                continue
            values = series.setdefault(subject["subject"], [None] * len(names))
            if subject["status"] == "正常" and subject["full_marks"]:
                values[index] = round(subject["score"] * 100 / subject["full_marks"], 1)
    return names, series


def _exam_table(exam: dict, shown: list[str]) -> Table:
    columns = [Column("学科"), Column("等级")]
    if "scores" in shown:
        columns.insert(1, Column("成绩", "score"))
    if "t_scores" in shown:
        columns.append(Column("T 分", "num"))
    rows = []
    for s in exam["subjects"]:
        row: list = [s["subject"]]
        if "scores" in shown:
            row.append(s["score"] if s["status"] == "正常" and not s["graded"] else s["status"]
                       if s["status"] != "正常" else None)
        row.append(s["level"] or s["status"])
        if "t_scores" in shown:
            row.append(s["t"])
        rows.append(row)
    return Table(f"{exam['name']}({exam['date'] or exam['term_code']})", columns, rows)


def parent_report(db: Database, pupil_id: str, made: dt.datetime | None = None) -> Report:
    """Return the pupil's record for a parents' meeting: the pupil's own 等级 exam by exam and what
    the records preset in force for the school adds (shown_parts), never a rank nor another pupil's
    data; the stamp names both presets used. Raises NotFound."""
    record = pupil_record(db, pupil_id)
    pupil = record["pupil"]
    shown, rules = shown_parts(db, pupil["school_id"])
    blocks: list = [Text(f"{pupil['name']},{pupil['school_name']} {pupil['class_name'] or ''},"
                         f"学籍号 {mask_student_no(pupil['student_no'])}。")]
    if "flags" in shown and record["flags"]:
        blocks.append(Text("情况:" + "、".join(record["flags"]) + "。"))
    sections = [Section(None, blocks)]
    sections += [Section(None, [_exam_table(exam, shown)]) for exam in record["exams"]]
    if "chart" in shown and len(record["exams"]) > 1:
        names, series = trend(record)
        drawing = trend_lines("各科得分率(占满分的百分比)", names, series, width=170 * mm)
        sections.append(Section(None, [Chart([drawing], "本人各次考试各科得分占满分的百分比。")]))
    if "tutoring" in shown and record["tutoring"]:
        rows = [[r["date"], r["subject_name"] or "", r["teacher_name"], r["minutes"], r["content"]]
                for r in record["tutoring"]]
        sections.append(Section(None, [Table("辅导记录", [Column("日期"), Column("学科"), Column("教师"),
                                                        Column("分钟", "int"), Column("辅导内容", "para")], rows)]))
    if "home_visits" in shown and record["visits"]:
        rows = [[v["date"], v["way"], v["teacher_name"], v["notes"] or ""] for v in record["visits"]]
        sections.append(Section(None, [Table("家访记录", [Column("日期"), Column("方式"), Column("教师"),
                                                        Column("记录", "para")], rows)]))
    if "status" in shown and record["status"]:
        rows = [[s["date"] or "", s["status"], s["note"] or ""] for s in record["status"]]
        sections.append(Section(None, [Table("学籍变动", [Column("日期"), Column("学籍状态"), Column("备注", "para")],
                                             rows)]))
    sections.append(Section(None, [Text("等级:优秀、良好、合格、待提高。本表只含本人成绩,不含排名,也不含其他学生的任何信息。",
                                        "note")]))
    stamp = replace(make_stamp(db, [e["exam_id"] for e in record["exams"]], [active_preset(db, "quality"), rules],
                               made=made, school_ids=[pupil["school_id"]]), personal=PERSONAL_NOTE)
    return Report(kind="pupil", title=f"{pupil['name']}的学业档案", subtitle=f"{pupil['school_name']} · 家长会用",
                  header=f"{pupil['school_name']} · {pupil['name']}", stamp=stamp, sections=sections,
                  file_title=f"{pupil['name']}学业档案")
