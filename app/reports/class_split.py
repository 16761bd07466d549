"""平行编班分班建议 (seed 001: classes are formed in parallel by intake score, no fast or slow streams): the
S-shaped split of one school's grade in an exam (app.stats.balance.suggest_classes) as a report the 教务处
prints or opens in WPS — each suggested class's size, boys, girls and mean, then the list of pupils by
suggested class. Pupils' 学籍号 are masked as in the other internal lists."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlite_utils import Database

from app.errors import invalid
from app.progress import CancelCheck, Progress, check
from app.reports.common import exam_when, find_school, grade_name, make_stamp
from app.reports.model import Column, Report, Section, Table, Text
from app.services.exams import get_exam
from app.stats.balance import suggest_classes
from app.validation.mask import PERSONAL_NOTE, mask_student_no

MAX_CLASSES = 20
METHOD = ("男生、女生各按成绩从高到低,依次按 1、2、…、k、k、…、2、1 的蛇形顺序分到各班(女生接着男生的位置继续),"
          "各班人数最多差 1 人,男女生均匀;再在各班之间对调同性别学生,只要对调使各班平均成绩更接近。"
          "没有成绩(各科都缺考)的学生排在同性别有成绩的学生之后,照样分班。")


def build(db: Database, exam_id: str, *, school_code: str | None, grade: int | None, n_classes: int | None,
          subject: str | None = None, made: dt.datetime | None = None, progress: Progress | None = None,
          cancelled: CancelCheck | None = None) -> Report:
    """Return the 分班建议 report of one school's `grade` in an exam split into `n_classes` classes by
    `subject` (default: the mean of the written subjects). Raises ValidationError (grade or class count
    missing or out of range, a subject the exam lacks, no pupil of the grade), NotFound, Cancelled."""
    if grade is None:
        raise invalid("分班建议需要指明年级,如 --grade 1。", "grade")
    if n_classes is None or not 2 <= n_classes <= MAX_CLASSES:
        raise invalid(f"分班建议需要指明分成几个班:2 到 {MAX_CLASSES} 个,如 --classes 3。", "classes")
    exam = get_exam(db, exam_id)
    school = find_school(db, school_code)
    if progress:
        progress(0.2, "正在分班")
    split = suggest_classes(db, exam_id, school_id=school["id"], grade=grade, n_classes=n_classes, subject=subject)
    check(cancelled)
    basis_text = f"{subject}成绩" if subject else "各科成绩的平均"
    classes = Table("各班情况", [Column("建议班级"), Column("人数", "int"), Column("男生", "int"), Column("女生", "int"),
                                 Column("有成绩", "int"), Column("平均成绩(占满分%)", "num")],
                    [[f"第 {c['class_number']} 班", c["n"], c["boys"], c["girls"], c["scored"], c["mean"]]
                     for c in split["classes"]], sheet="各班情况",
                    note=f"平均成绩为{basis_text}占满分的百分比,只计有成绩的学生。")
    rows: list[list] = []
    breaks: set[int] = set()
    by_class = sorted(split["assignments"], key=lambda a: (a["class_number"], a["student_no"] or ""))
    for k, pupil in enumerate(by_class):
        if k and pupil["class_number"] != by_class[k - 1]["class_number"]:
            breaks.add(len(rows))
        rows.append([f"第 {pupil['class_number']} 班", mask_student_no(pupil["student_no"]), pupil["name"],
                     pupil["gender"], "缺考" if pupil["score"] is None else round(pupil["score"], 1)])
    pupils = Table("分班名单", [Column("建议班级"), Column("学籍号"), Column("姓名"), Column("性别"),
                                Column("成绩(占满分%)", "score")], rows, sheet="分班名单", breaks=breaks)
    title = "平行编班分班建议"
    scope = f"{school['name']} {grade_name(grade)}"
    basis = [("考试", exam["name"]), ("时间与类型", exam_when(exam)), ("学校与年级", scope),
             ("学生", f"{len(rows)} 名(这次考试有该年级成绩记录的学生)"), ("分成", f"{n_classes} 个班"),
             ("依据", f"{basis_text}(占满分的百分比)"), ("方法", METHOD)]
    stamp = replace(make_stamp(db, [exam_id], [], made=made, school_ids=[school["id"]]), personal=PERSONAL_NOTE)
    basis.append(("数据校验", stamp.data_hash))
    sections = [Section("一、各班情况", [classes, Text("禁止分快慢班、重点班:这份建议只按成绩和性别均衡分班。"
                                                   "个别学生(如兄弟姐妹、随班就读)需要调整时,请在同性别、成绩相近的学生之间对调。",
                                                   "note")]),
                Section("二、分班名单", [pupils], new_page=True)]
    return Report(kind="class-split", title=title, subtitle=f"{scope} · {exam['name']}",
                  header=f"{scope} · {exam['name']} · {title}", stamp=stamp, sections=sections, basis=basis,
                  file_title=f"{scope}{title}")
