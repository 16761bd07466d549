"""The stored item sheets in print: 篇20's 年度高质量发展绩效考核得分表 of the township's schools, and one
school's 篇10 学校教学质量评估表 (every item with its 满分, the school's 自评 and the township's score
beside it, the parts added up and banded, signature lines). Every figure comes from
app.stats.annual and app.stats.school_evaluation on the sheets app.services.scheme_sheets stored."""
from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from app.errors import invalid
from app.preset_names import SEED_000_TITLE, display_name
from app.reports.common import find_school, make_stamp
from app.reports.model import Column, Report, Section, Table, Text
from app.services.scheme_sheets import annual_rows, evaluation_rows, year_id
from app.stats.annual import LABELS, annual_scores
from app.stats.presets import resolve
from app.stats.school_evaluation import evaluate


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _plain(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def build_annual(db: Database, year: str, *, made: dt.datetime | None = None) -> Report:
    """Return the 篇20 score sheet of every school with a stored sheet for `year`: the items, 满意度,
    绩效得分, 等次 with its reason, and the 中心小学得分.
    Raises NotFound (year), ValidationError (no sheet stored for the year)."""
    year_id(db, year)
    rows = annual_rows(db, year)
    if not rows:
        raise invalid(f"{year} 学年还没有填写年度绩效考核表。", "year")
    preset = resolve(db, "central_school", None)
    result = annual_scores(db, rows, preset=preset)
    scores = Table("绩效得分与等次", [Column("学校"), Column("指标体系"), Column("动态考核"), Column("满意度"),
                                     Column("教育质量"), Column("绩效得分"), Column("等次"), Column("说明", "para")],
                   [[s["school_name"], _plain(s["index"]), _plain(s["dynamic"]), _score(s["satisfaction"]),
                     _plain(s["quality"]), _score(s["score"]), s["band"], s["band_note"]] for s in result["schools"]],
                   sheet="得分与等次")
    names = {s["school_code"]: s["school_name"] for s in result["schools"]}
    votes = Table("满意度测评票数", [Column("学校"), *[Column(LABELS[k][0].split(":")[1]) for k in
                                                       ("leaders_1", "leaders_2", "leaders_3", "leaders_votes")],
                                  *[Column("群众" + LABELS[k][0].split(":")[1]) for k in
                                    ("others_1", "others_2", "others_3", "others_votes")]],
                  [[names[r["school"]], *[_plain(r[f"{g}_{k}"]) for g in ("leaders", "others") for k in (1, 2, 3, "votes")]]
                   for r in rows], sheet="满意度票数",
                  note="前四列为班子成员与股室负责人(占 30%),后四列为教师、家长、学生(占 70%)。")
    central = [Text(f"{names[c['central_school_code']]}:中心小学得分 {c['score']:.1f} = 校本部 {c['central_score']:.1f} × 60% + "
                    f"辖区村级学校平均 {(c['village_mean'] or 0):.1f} × 40%({c['villages']} 所)") for c in result["central"]]
    sections = [Section("一、绩效得分与等次", [scores, Text(
                    "绩效得分 = 指标体系得分 × 60% + 动态考核得分 × 30% + 满意度测评得分 × 10% + 教育质量得分(不超过 10 分)。"
                    "等次:好 ≥ 90 且政治素质、党建均为“好”、无书面通报批评;较好 ≥ 80;一般 ≥ 70;其余为差。", "note")]),
                Section("二、满意度测评", [votes, Text("满意度 =(满意 × 1 + 较满意 × 0.8 + 基本满意 × 0.6)÷ 有效票数 × 100,"
                                                     "“不满意”不计分。", "note")])]
    if central:
        sections.append(Section("三、中心小学得分", central))
    stamp = make_stamp(db, [], [preset], made=made,
                       extra=[(r["school"], *(r[k] for k in sorted(r) if k != "school")) for r in rows])
    title = "年度高质量发展绩效考核得分表"
    return Report(kind="annual-score", title=title, subtitle=f"{year} 学年", header=f"{title} · {year} 学年", stamp=stamp,
                  sections=sections, basis=[("学年", year), ("评分方案", display_name(preset.name)),
                                            ("依据", f"{SEED_000_TITLE}篇20(高质量发展绩效考核)")],
                  file_title=f"{year}学年{title}")


def build_evaluation(db: Database, year: str, school_code: str | None, *, made: dt.datetime | None = None) -> Report:
    """Return one school's 篇10 evaluation sheet for `year`: each item with 满分, 自评 and 乡镇评分,
    the parts' sums, the totals with their 等级 and the signature lines.
    Raises NotFound (school, year), ValidationError (no sheet stored for the school and year)."""
    school = find_school(db, school_code)
    year_id(db, year)
    rows = evaluation_rows(db, year, school["id"])
    if not rows:
        raise invalid(f"{school['name']}在 {year} 学年还没有填写学校教学质量评估表。", "school")
    preset = resolve(db, "school_evaluation", None)
    result = evaluate(db, rows, preset=preset)["schools"][0]
    items = Table("评估项目", [Column("部分"), Column("评估项目", "para"), Column("满分"), Column("自评得分"),
                               Column("乡镇评分")],
                  [[r["part"], r["item"], _plain(r["max"]), _plain(r["self"]), _plain(r["township"])] for r in rows],
                  sheet="评估项目")
    parts = Table("各部分得分", [Column("部分"), Column("满分"), Column("自评"), Column("乡镇评分")],
                  [[f"{name}评估", _plain(p["max"]), _plain(p["self"]), _plain(p["township"])]
                   for name, p in result["parts"].items()]
                  + [["合计", _plain(sum(p["max"] for p in result["parts"].values())), _plain(result["self_total"]),
                      _plain(result["township_total"])]], sheet="各部分得分")
    bands = "、".join(f"{b['name']} ≥ {b['min']:g}" for b in preset["bands"]) + f",其余{preset['below']}"
    outcome = [Text(f"自评总分 {result['self_total']:g} 分,自评等级:{result['self_band']}。"),
               Text(f"乡镇评分 {result['township_total']:g} 分,评定等级:{result['township_band']}"
                    f"(与自评相差 {result['difference']:+g} 分)。" if result["township_total"] is not None
                    else "乡镇尚未评完全部项目,暂无评定等级。"),
               Text(f"满分 240 分(过程性 100、效益性 100、发展性 40);{bands}。", "note")]
    signatures = Table("签字", [Column(f"被评学校:{school['name']}(盖章)"), Column("乡镇评估组(盖章)")],
                       [["校长(签字):", "组长(签字):"], ["", ""], ["日期:      年    月    日", "日期:      年    月    日"]],
                       sheet="签字")
    sections = [Section("一、评估项目", [items]), Section("二、得分与等级", [parts, *outcome]),
                Section("三、签字", [signatures])]
    stamp = make_stamp(db, [], [preset], made=made, school_ids=[school["id"]],
                       extra=[(r["part"], r["item"], r["max"], r["self"], r["township"]) for r in rows])
    title = "学校教学质量评估表"
    return Report(kind="school-evaluation", title=title, subtitle=f"{school['name']} · {year} 学年",
                  header=f"{school['name']} · {title}", stamp=stamp, sections=sections,
                  basis=[("学校", f"{school['name']}({school['code']})"), ("学年", year),
                         ("评分方案", display_name(preset.name)), ("依据", f"{SEED_000_TITLE}篇10:学校先进行自评,然后复评")],
                  file_title=f"{school['name']}{year}学年{title}")
