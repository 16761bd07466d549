"""The appraisal sheet of one teacher for a school year (000 篇16), confidential (内部资料, with the
teacher's personal-data line in the basis; the footer's personal-data note speaks of pupils): each
item with its weight and what it was worked from, the total, the rank in the school and the band
with the 优秀 quota it was drawn under. Every figure comes from app.stats.appraisal."""
from __future__ import annotations

import datetime as dt
from sqlite_utils import Database

from app.db.writes import Actor
from app.errors import NotFound, PermissionDenied
from app.preset_names import display_name
from app.reports.common import make_stamp
from app.reports.model import Column, Report, Section, Table, Text
from app.stats.appraisal import ITEMS, appraisal, visible_to
from app.stats.presets import active_preset

_HOW = {"routine": "本学年教学常规检查(备讲批辅考思研)各次得分的平均",
        "observation": "听课节数 ÷ 本学年听课任务(最多算 100%)",
        "quality": "本学年各次统一考试教学业绩得分的平均,限 0-100",
        "workload": "折算课时 ÷ 标准工作量(两学期平均,最多算 100%)"}


def _number(value: float | None) -> str:
    return "未考核" if value is None else f"{value:.2f}"


def build(db: Database, year: str, staff_no: str, actor: Actor, *, made: dt.datetime | None = None) -> Report:
    """Return the appraisal sheet of the active teacher with 工号 `staff_no` for `year`, asked for by
    `actor`: a teacher gets only their own sheet, a school's staff those of their school, a township
    administrator any (the rule of app.stats.appraisal.visible_to).

    Raises NotFound for an unknown year or a 工号 that is not an active teacher's, PermissionDenied
    when the sheet is not the actor's to see.
    """
    found = db.execute("SELECT school_id FROM teacher WHERE staff_no = ? AND active = 1", [staff_no.strip()]).fetchone()
    if not found:
        raise NotFound(f"没有工号为“{staff_no}”的在职教师。")
    preset = active_preset(db, "teacher_appraisal")
    rows = appraisal(db, year, school_id=found[0], preset=preset)
    row = next(r for r in rows if r["staff_no"] == staff_no.strip())
    if not visible_to([row], actor):
        raise PermissionDenied("教师年度考核表只发给教师本人和本校领导:您不能打印这位教师的考核表。")
    weights = preset["weights"]
    items = []
    for key, name in ITEMS.items():
        if key not in row["items"]:
            continue
        how = _HOW.get(key, f"篇11 多方评价:问卷汇总的{name}得分(0-100)")
        if key == "observation" and row["observation_quota"]:
            how += f":{row['observed']} / {row['observation_quota']} 节"
        items.append([name, _number(row["items"][key]), f"{weights[key] * 100:g}%", how])
    ranked = sum(1 for r in rows if r["rank_in_school"] is not None)
    result = [["加权总分", _number(row["total"])],
              ["校内名次", f"{row['rank_in_school']} / {ranked}" if row["rank_in_school"] else "不排名"],
              ["等次", row["band"] or "未考核"],
              ["教研组", row["group"]],
              ["优秀名额", f"全校 {len(rows)} 名在职教师 × {preset['excellent_share'] * 100:g}% = "
                           f"{row['school_places']} 名(向下取整),{row['group']}分得 {row['group_places']} 名"]]
    sections = [
        Section("一、考核项目", [Table("考核项目", [Column("项目"), Column("得分"), Column("权重"),
                                                     Column("计算方法", "para")], items, sheet="考核项目"),
                                 Text("没有分数的项目不计入总分,其权重按比例分给其他项目。", "note")]),
        Section("二、总分与等次", [Table("总分与等次", [Column("项目"), Column("结果")], result, sheet="总分与等次"),
                                   Text("优秀名额按全校在职教师人数计算,再平均分到各教研组(篇16:"
                                        "“分别从语文组、数学组、综合组中分别评出”);组内分数并列跨过名额线的教师"
                                        "都列为“优秀候选(并列待评议)”,由全体教师评议决定。", "note")]),
    ]
    basis = [("教师", f"{row['name']}(工号 {row['staff_no']},{row['school_name']})"), ("学年", year),
             ("评分方案", display_name(preset.name)), ("密级", "内部资料:只发给教师本人和学校领导"),
             ("个人信息", "含教师本人的考核结果,请妥善保管,勿外传")]
    stamp = make_stamp(db, [], [preset], made=made, school_ids=[found[0]],
                       extra=[(year, row["staff_no"], *row["items"].values(), row["total"], row["band"])])
    title = "教师年度考核表"
    return Report(kind="appraisal", title=title, subtitle=f"{row['school_name']} {row['name']} · {year} 学年",
                  header=f"{row['school_name']} {row['name']} · {year} 学年", stamp=stamp, sections=sections,
                  basis=basis, confidential=True, file_title=f"{row['name']}{year}{title}")
