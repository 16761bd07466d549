"""The fields of each preset kind a person may change, with their Chinese names, explanations and ranges.

One table serves the editor form in the GUI, the xlsx sheet `schoolq preset show --xlsx` writes and
`preset edit --xlsx` reads back, and the range checks of every edit. A path is dotted; `*` stands for
any key or list position. A label may name `{name}` (the item's own "name"), `{parent}` (the
enclosing object's "name") and `{key}` (the key `*` matched, written as a subject's Chinese name when
it is a subject code) and `{n}` (the 1-based position `*` matched). A field not in this table cannot be edited: ids, sources, subject lists and
the structure of a preset stay as shipped.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from app.paths import resource_path


@dataclass(frozen=True)
class Field:
    """One editable kind of field: its path pattern, Chinese label and explanation, and its range
    (an integer field takes whole numbers only); `choices` lists the words a choice field takes
    ({word: Chinese meaning}), and such a field has no range; an `optional` field may be absent
    (a teacher-appraisal preset holds the weights of the items it assesses only)."""

    pattern: str
    label: str
    help: str
    low: float = 0.0
    high: float = 100.0
    integer: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    optional: bool = False


def _w(pattern: str, label: str, help_text: str, optional: bool = False) -> Field:
    return Field(pattern, label, help_text, 0, 1, optional=optional)


_SHOW = (("show", "印出"), ("hide", "不印"))

FIELDS: dict[str, list[Field]] = {
    "quality": [
        _w("composite.mean", "综合分中平均分的权重", "平均分占满分的比例在综合分中占多少(四项权重之和为 100%)"),
        _w("composite.pass_rate", "综合分中及格率的权重", "及格率在综合分中占多少"),
        _w("composite.excellent_rate", "综合分中优秀率的权重", "优秀率在综合分中占多少"),
        _w("composite.not_low_rate", "综合分中(1-低分率)的权重", "不是低分的学生比例在综合分中占多少"),
        Field("good_pct", "良好线(占满分的百分比)", "达到满分的这一百分比算良好", 1, 100),
        Field("min_group_size", "参与排名的最少人数", "人数少于此数的班级或学校只列出、不排名(小样本波动大)", 1, 1000, True),
        Field("borderline_margin_pct", "临界生幅度(占满分的百分比)", "离及格线或优秀线在此幅度之内的学生列为临界生",
              0.5, 50),
        Field("struggling_min_subjects", "学困生的不及格科目数", "这么多科及以上不及格的学生列为学困生", 1, 9, True),
        Field("movers_count", "进退步名单人数", "进步最大、退步最大的学生各列出多少名", 1, 1000, True),
        Field("balance.mean_spread_pct", "编班均衡:平均分差(占满分的百分比)", "同年级各班平均分之差超过此数即提示不均衡",
              0.1, 100),
        Field("balance.sd_spread_pct", "编班均衡:标准差之差(占满分的百分比)", "同年级各班标准差之差超过此数即提示不均衡",
              0.1, 100),
        Field("exam_limits.grades_1_2", "一二年级每学期统一考试次数上限", "新建考试时超过即提示;一二年级不进行纸笔考试时填 0",
              0, 10, True),
        Field("exam_limits.other_grades", "其他年级每学期统一考试次数上限", "新建考试时超过即提示", 0, 10, True),
        Field("school_comparison", "学校之间的比较", "质量分析中学校怎样排名", choices=(
            ("none", "不做横向排名"), ("groups", "中心校本部与完小、教学点分两组排名"), ("one_list", "全部学校一起排名"))),
        Field("responsibility_letters", "责任书签到哪一级", "教学质量目标责任书只与学校签订,还是目标分解到教师、与教师也签订",
              choices=(("school", "只与学校签订"), ("teacher", "学校与教师都签订"))),
    ],
    "teacher_composite": [
        _w("weights.mean", "平均分的权重", "教学业绩得分中平均分一项占多少(三项之和为 100%)"),
        _w("weights.excellent_rate", "优生率的权重", "优生率一项占多少"),
        _w("weights.pass_rate", "及格率的权重", "及格率一项占多少"),
        Field("multi_weight", "多学科、跨学段教师的权重", "任教两个及以上主科或跨学段的教师得分乘以此数", 1, 2),
        Field("multi_main_subjects", "计权重的主科门数", "任教这么多门及以上主科即乘以上面的权重", 2, 9, True),
        Field("multi_class_counts.*", "{key}计权重的班级数", "任教这一学科这么多个班及以上亦乘以权重", 1, 20, True),
        _w("bands.*.share", "{name} 档人数比例", "该档占同一学段教师的比例(各档之和为 100%)"),
        Field("bands.*.bonus", "{name} 档加分", "该档教师在业绩得分上加的分数", 0, 100),
        Field("band_scope", "A/B/C 档的划分范围", "在哪些教师中划分各档", choices=(
            ("school", "本校同一学段"), ("township", "全乡镇同一学段"))),
        Field("mean_term", "平均分一项取", "试卷满分不是 100 分时宜取百分比", choices=(
            ("points", "原始平均分"), ("percent", "平均分占满分的百分比"))),
    ],
    "township_subject": [
        _w("weights.retention", "巩固率的权重", "单科成绩中巩固率一项占多少(四项之和为 100%)"),
        _w("weights.mean", "人均分的权重", "单科成绩中人均分一项占多少"),
        _w("weights.excellent_rate", "优秀率的权重", "单科成绩中优秀率一项占多少"),
        _w("weights.top_n", "前若干名人数的权重", "单科成绩中进入全乡镇前若干名的人数一项占多少"),
        Field("top_n", "全乡镇前多少名", "统计各校进入全乡镇同年级同学科前这么多名的人数", 1, 100000, True),
        Field("reward_top_fraction", "参与奖励的名次范围", "单科排名在前这一比例之内才参与奖励(三分之一填 0.3333)",
              0.01, 1),
        Field("subject_margin", "单科免罚分差", "受罚学科得分与全乡镇平均相差在此之内免于处罚", 0, 100),
        Field("school_margin", "学校总评免罚分差", "学校总评与全乡镇平均相差在此之内免于处罚", 0, 1000),
        Field("total_method", "学校总评怎样合计", "原文为各年级各科目得分之和", choices=(
            ("sum", "各年级各科目得分之和"), ("mean", "各年级各科目得分的平均"))),
    ],
    "central_school": [
        _w("weights.central", "校本部得分的权重", "中心小学得分中校本部得分占多少(两项之和为 100%)"),
        _w("weights.villages", "村级学校平均得分的权重", "中心小学得分中辖区村级学校平均得分占多少"),
        _w("annual.weights.index", "年度考核:指标体系得分的权重", "三项之和为 100%"),
        _w("annual.weights.dynamic", "年度考核:动态考核得分的权重", "三项之和为 100%"),
        _w("annual.weights.satisfaction", "年度考核:满意度测评得分的权重", "三项之和为 100%"),
        Field("annual.quality_max", "年度考核:教育质量得分上限", "教育质量得分直接计入总分,不超过此数", 0, 100),
        _w("annual.satisfaction_votes.*", "满意度:“{key}”一票折算", "每张该意见的票折算的分值(满分 1)"),
        _w("annual.satisfaction_raters.leaders", "满意度:班子成员与股室负责人的权重", "两类测评主体之和为 100%"),
        _w("annual.satisfaction_raters.others", "满意度:教师、家长、学生的权重", "两类测评主体之和为 100%"),
        Field("annual.bands.*.min", "等次“{name}”的最低分", "年度得分达到此分(且满足其他条件)评为该等次", 0, 100),
    ],
    "school_evaluation": [
        Field("parts.*", "{key}评估满分", "这一部分各评估要点的分值之和不超过此数", 0, 1000),
        Field("bands.*.min", "“{name}”的最低总分", "总分达到此分评为该等级", 0, 1000),
        Field("items.*.max", "{name}(满分)", "评估表这一项目的满分;同一部分各项目之和不超过该部分满分", 0, 100),
    ],
    "teacher_appraisal": [
        _w("weights.routine", "教学常规检查的权重", "年度考核总分中“备讲批辅考思研”常规检查平均分占多少(四项之和为 100%)", True),
        _w("weights.observation", "听课任务完成的权重", "听课节数占学期任务的比例(最多算 100%)占多少;没有听课任务的教师不计此项", True),
        _w("weights.quality", "教学业绩(000 篇17)的权重", "本学年各次统一考试的教学业绩得分的平均(最多算 100 分)占多少", True),
        _w("weights.workload", "工作量的权重", "折算课时占标准工作量的比例(最多算 100%)占多少", True),
        _w("excellent_share", "优秀名额比例", "每校评为优秀的教师不超过在职教师人数的这一比例(向下取整),名额平均分到各教研组;"
           "组内分数并列跨过名额线时,并列者都列为“优秀候选(并列待评议)”,由全体教师评议决定"),
        _w("weights.self", "教师自评的权重(篇11:40%)", "问卷汇总的教师自评得分(0-100)占多少;各项之和为 100%", True),
        _w("weights.peers", "同事互评的权重(篇11:10%)", "以教研组或年段为单位互评的得分占多少", True),
        _w("weights.leaders", "领导评价的权重(篇11:10%)", "学校领导评价的得分占多少", True),
        _w("weights.pupils", "学生评价的权重(篇11:30%)", "学生问卷评价的得分占多少", True),
        _w("weights.parents", "家长评价的权重(篇11:10%)", "家长问卷评价的得分占多少", True),
        Field("min_items", "参与评优的最少考核项目数", "有分数的考核项目少于此数的教师只列出总分,不排名、不评优秀", 1, 9, True),
    ],
    "timetable": [
        Field("travel_minutes", "走教路程时间(分钟)", "走教教师两校之间默认需要的时间", 0, 240, True),
        Field("pe_daily_minutes", "每天体育活动时间(分钟)", "体育课加大课间每天至少这么多分钟", 0, 240, True),
        Field("labour_min_weekly", "每周劳动课至少节数", "劳动教育每周不少于这么多课时", 0, 10),
        Field("labour_share_of_practice", "劳动课占综合实践活动的比例", "劳动课时不少于综合实践活动的这一比例", 0, 1),
        Field("lesson_minutes", "每节课时长(分钟)", "小学一般 40 分钟", 20, 60, True),
        Field("solver.subject_daily.*", "自动排课:{key}每天最多节数", "同一班级这一学科每天最多排几节", 1, 4, True),
        Field("solver.weights.pupil_gap", "自动排课:班级空节的权重", "数值越大越避免", 0, 100),
        Field("solver.weights.late_start", "自动排课:上午开始晚的权重", "数值越大越避免", 0, 100),
        Field("solver.weights.teacher_gap", "自动排课:教师空堂的权重", "数值越大越避免", 0, 100),
        Field("solver.weights.subject_twice", "自动排课:同科一天两节的权重", "数值越大越避免", 0, 100),
        Field("solver.weights.main_afternoon", "自动排课:主科排在下午的权重", "数值越大越避免", 0, 100),
        Field("solver.weights.itinerant_day", "自动排课:走教多跑一天的权重", "数值越大越避免", 0, 100),
        Field("solver.weights.daily_spread", "自动排课:每天课量不均的权重", "数值越大越避免", 0, 100),
    ],
    "workload": [
        Field("subject_coefficients.*", "{key}课时系数", "该学科一节课折算的标准课时", 0.1, 5),
        Field("default_subject_coefficient", "其他学科课时系数", "未单列的学科一节课折算的标准课时", 0.1, 5),
        Field("class_size_steps.*.above", "班额第 {n} 档:超过多少人", "班额超过此数时加成", 0, 200, True),
        Field("class_size_steps.*.add", "班额第 {n} 档加成", "超过上面人数的班级每节课加的系数", 0, 2),
        Field("multigrade_add_per_extra_grade", "复式班每多一个年级的加成", "复式班每多一个年级每节课加的系数", 0, 2),
        Field("homeroom_allowance", "班主任折算节数", "班主任每周折算的课时", 0, 20),
        Field("itinerant_trip_allowance", "走教每次往返折算节数", "走教教师每次往返折算的课时", 0, 10),
        Field("role_allowance.*", "{key}职务折算节数", "担任该职务每周折算的课时", 0, 30),
        Field("standard.*", "{key}标准工作量(节/周)", "该类学校教师每周的标准课时", 1, 60),
        Field("tolerance", "允许偏差", "与标准工作量相差在此比例之内算正常", 0, 1),
        Field("leader_min_periods.*", "{key}最少上课节数", "学校领导每周至少上这么多节课(带足节次)", 0, 40),
    ],
    "observation": [
        Field("quotas.*", "{key}每学期听课任务(节)", "该职务每学期至少听这么多节课", 0, 200, True),
        Field("forms.*.items.*.max", "{parent}:{name}(满分)", "评价表这一项的满分", 0, 100),
        Field("forms.*.timing.*.max", "{parent}:{name}最多", "超过即在评价中注明", 0, 45, True),
        Field("forms.*.timing.*.min", "{parent}:{name}最少", "不足即在评价中注明", 0, 45, True),
        Field("bands.*.min", "“{name}”的最低分", "评价总分达到此分记为该等次", 0, 100),
    ],
    "records": [
        Field("homework.daily_minutes.*", "{key}年级书面作业每天最多(分钟)", "每天平均超过此数即为超标;不留书面作业填 0",
              0, 240, True),
        Field("home_visits.quota.*", "{key}每学期家访任务(户次)", "每学期至少家访这么多次", 0, 200, True),
        Field("prep_sessions.per_month", "每月集体备课次数", "每个教研组每月至少集体备课几次(常规“研”一项据此计分)",
              0, 20, True),
        Field("detailed_plans.years", "新教师写详案的年数", "入职这么多年之内的教师须写详案", 0, 10, True),
        *(Field(f"pupil_record.{key}", f"家长会用学业档案:{label}", help_text, choices=_SHOW) for key, label, help_text in (
            ("scores", "各科成绩", "不印时只印等级"),
            ("t_scores", "T 分", "与同年级相比的标准分"),
            ("chart", "成绩走势图", "两次及以上考试时印出各科得分率走势"),
            ("tutoring", "辅导记录", "本人的培优补差辅导记录"),
            ("home_visits", "家访记录", "家访日期、方式、教师和记录内容"),
            ("status", "学籍变动", "入学、转入、转出、休学等变动"),
            ("flags", "留守、寄宿等情况", "寄宿、留守儿童、随迁子女、残疾、体育免修"))),
    ],
    "routine": [
        Field("links.*.checks_per_term", "{name}每学期检查次数", "该环节每学期至少检查几次", 0, 20, True),
        Field("links.*.items.*.max", "{parent}:{name}(满分)", "评分表这一项的满分", 0, 100),
        Field("bands.*.min", "“{name}”的最低分", "检查得分达到此分记为该等次", 0, 100),
    ],
}


@lru_cache(maxsize=1)
def _subject_names() -> dict[str, str]:
    content = json.loads(resource_path("presets", "subjects.json").read_text(encoding="utf-8"))
    return {s["code"]: s["name"] for s in content["subjects"]}


@lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern:
    return re.compile("^" + r"\.".join("([^.]+)" if p == "*" else re.escape(p) for p in pattern.split(".")) + "$")


def field_of(kind: str, path: str) -> Field | None:
    """Return the Field of `kind` that `path` is an instance of, or None when it may not be edited."""
    return next((f for f in FIELDS.get(kind, []) if _regex(f.pattern).match(path)), None)


def _walk(node: object, path: tuple[str, ...] = ()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, str(i)))
    else:
        yield path, node


def _node(content: dict, parts: tuple[str, ...]) -> object:
    node: object = content
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    return node


def label_of(kind: str, content: dict, path: str) -> str:
    """Return the Chinese label of the field at `path` of a preset of `kind`, its placeholders filled
    from the content; the path itself when it is not an editable field."""
    field = field_of(kind, path)
    if field is None:
        return path
    parts = tuple(path.split("."))
    match = _regex(field.pattern).match(path)
    key = match.group(1) if match and match.groups() else ""
    own = _node(content, parts[:-1])
    parent = _node(content, parts[:-3]) if len(parts) >= 3 else {}
    name = own.get("name", "") if isinstance(own, dict) else ""
    parent_name = parent.get("name", "") if isinstance(parent, dict) else ""
    number = int(key) + 1 if key.isdigit() else ""
    return field.label.format(name=name, parent=parent_name, key=_subject_names().get(key, key), n=number)


def editable_fields(kind: str, content: dict) -> list[tuple[str, Field, object]]:
    """Return (path, Field, current value) of every editable field of a preset's content, in the
    order the content holds them."""
    out = []
    for parts, value in _walk(content):
        path = ".".join(parts)
        field = field_of(kind, path)
        if field is not None:
            out.append((path, field, value))
    return out


def describe_value(field: Field, value: object) -> str:
    """Return how a value of `field` reads for a person (a choice by its Chinese meaning)."""
    if field.choices:
        return dict(field.choices).get(str(value), str(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_value(field: Field, value: object, label: str) -> tuple[object, str | None]:
    """Return (the value as the field stores it, None), or (None, the Chinese reason it does not fit
    `field`, naming it by `label`). A number may be written as a percentage ('30%' is 0.3)."""
    if field.choices:
        words = dict(field.choices)
        if str(value).strip() in words:
            return str(value).strip(), None
        meanings = "、".join(f"{w}({m})" for w, m in field.choices)
        return None, f"“{label}”只能取 {meanings},“{value}”不在其中。"
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None, f"“{label}”应为数字,“{value}”不是数字。"
    if not math.isfinite(number) or not field.low <= number <= field.high \
            or (field.integer and not number.is_integer()):
        what = "整数" if field.integer else "数"
        return None, f"“{label}”应为 {field.low:g} 到 {field.high:g} 之间的{what},“{value}”不在其中。"
    return (int(number) if field.integer else number), None
