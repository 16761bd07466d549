"""篇7 乡镇质量检测评分 as a report: each school's 学校总评 and place in its group, the reward and penalty
flags with the rule they rest on, and every grade × subject score with its four items
(app.stats.township_scheme)."""
from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from app.preset_names import display_name
from app.progress import CancelCheck, Progress, check
from app.reports.common import exam_when, grade_name, make_stamp
from app.reports.model import Column, Findings, Report, Section, Table, Text
from app.services.exams import get_exam
from app.stats.presets import resolve
from app.stats.township_scheme import township_subject_scores

RULE_NOTE = "奖惩标记只列出依方案应受奖或受罚的情形,数额与最终认定以乡镇文件和集体研究为准。"


def _flag_lines(result: dict) -> list[str]:
    lines = []
    for school in result["schools"]:
        for flag in school["flags"]:
            if flag["code"] != "outside_total":
                lines.append(f"{school['school_name']}:{flag['text']}。依据:“{flag['rule']}”")
    for item in result["items"]:
        for flag in item["flags"]:
            if flag["code"] != "subject_top_third":
                lines.append(f"{item['school_name']} {grade_name(item['grade'])}{item['subject']}:{flag['text']}。"
                             f"依据:“{flag['rule']}”")
    return lines


def build(db: Database, exam_id: str, *, preset: str | None = None, made: dt.datetime | None = None,
          progress: Progress | None = None, cancelled: CancelCheck | None = None) -> Report:
    """Return the 篇7 township score report of an exam. Raises NotFound, ValidationError (a 抽测,
    an exam without marks), Cancelled."""
    exam = get_exam(db, exam_id)
    chosen = resolve(db, "township_subject", preset)
    if progress:
        progress(0.1, "正在计算各校单科成绩")
    result = township_subject_scores(db, exam_id, preset=chosen)
    check(cancelled)
    total_word = "之和" if chosen.content.get("total_method", "sum") == "sum" else "的平均"
    schools = Table("学校总评", [Column("学校"), Column("类型"), Column("分组"), Column("科目数", "int"),
                                 Column("学校总评", "num"), Column("组内名次"), Column("奖惩标记", "para")],
                    [[s["school_name"], s["school_type"], s["group"], s["items"], s["total"],
                      f"{s['total_rank']}/{s['total_rank_of']}" if s["total_rank"] else "不参与",
                      ";".join(f["text"] for f in s["flags"]) or "—"] for s in result["schools"]],
                    sheet="学校总评", note=f"学校总评 = 各年级各科目得分{total_word};教学点不参与学校总评,"
                                             "分组排名:" + " / ".join(chosen["group_names"]) + "。")
    rows, breaks = [], set()
    last = None
    for item in sorted(result["items"], key=lambda i: (i["grade"], i["item"] != "yw", i["item"] != "sx",
                                                         i["item"] != "yy", i["group"], i["rank"])):
        if last is not None and (item["grade"], item["subject"]) != last:
            breaks.add(len(rows))
        last = (item["grade"], item["subject"])
        rows.append([grade_name(item["grade"]), item["subject"], item["school_name"], item["n"], item["retention"],
                     item["mean"], item["excellent_rate"], item["top_n"], item["score"],
                     f"{item['rank']}/{item['rank_of']}", ";".join(f["text"] for f in item["flags"]) or "—"])
    items = Table("各年级各科目单科成绩", [
        Column("年级"), Column("科目"), Column("学校"), Column("参评人数", "int"), Column("巩固率", "pct"),
        Column("人均分", "num"), Column("优秀率", "pct"), Column(f"前{chosen['top_n']}名人数", "int"),
        Column("单科成绩", "num"), Column("组内名次"), Column("标记", "para")], rows, sheet="单科成绩", breaks=breaks,
        note="各项以同年级同科目全乡镇最好学校为 100 折算后加权:巩固率 {r:.0%}、人均分 {m:.0%}、优秀率 {e:.0%}、"
             "前若干名人数 {t:.0%}。“综合”为语数英以外各计分科目之和。".format(
                 r=chosen["weights"]["retention"], m=chosen["weights"]["mean"],
                 e=chosen["weights"]["excellent_rate"], t=chosen["weights"]["top_n"]))
    flags = _flag_lines(result)
    sections = [
        Section("一、学校总评", [schools]),
        Section("二、奖惩标记及依据", [Findings(flags) if flags else Text("没有应受奖或受罚的情形。"),
                                   Text(RULE_NOTE, "note")]),
        Section("三、单科成绩", [items], landscape=True),
    ]
    basis = [("考试", exam["name"]), ("时间与类型", exam_when(exam)),
             ("参评学生数", f"以秋季入学名册为准({result['roster_day']} 在读的学生,缺考计 0 分)"),
             ("巩固率", "本年级学生中仍在读(含转入、休学)者占在读与流失之和的比例,转出不计"),
             ("评分方案", f"{display_name(chosen.name)}(第 {chosen.version} 版)")]
    stamp = make_stamp(db, [exam_id], [chosen], made=made)
    basis.append(("数据校验", stamp.data_hash))
    title = "乡镇质量检测评分"
    return Report(kind="township-score", title=title, subtitle=exam["name"], header=f"{exam['name']} · {title}",
                  stamp=stamp, sections=sections, basis=basis, file_title=f"{exam['name']}{title}")
