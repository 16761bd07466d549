"""考试质量分析报告 for one school and exam: findings, the 三率一分 of the school, of every grade and
subject (with n, the township mean and a rank that leaves small samples out), score bands, class
comparison, progress against a baseline exam of the same pupils and value-added with 95 %
intervals, the 临界生 and 学困生 lists, and the results of 留守儿童, 寄宿, 随迁子女 and 残疾 pupils beside
the rest (app.stats.care_groups). Every figure comes from app.stats."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlite_utils import Database

from app.errors import invalid
from app.preset_names import display_name
from app.presets import Preset
from app.progress import CancelCheck, Progress, check
from app.reports import charts, findings
from app.reports.common import (cutoff_text, exam_when, find_school, grade_name, make_stamp, policy_text,
                                township_schools)
from app.reports.figures import care_group_section, school_gains, township_reference, trend, watch_lists
from app.reports.layout import PAGE_WIDTH
from app.reports.targets import target_table
from app.reports.model import Chart, Column, Findings, Report, Section, Stamp, Table, Text, figure_column, pct
from app.services.exams import get_exam
from app.stats.care_groups import care_group_results
from app.stats.graded import is_graded
from app.stats.target_results import target_results
from app.stats.groups import school_group_stats
from app.stats.presets import active_preset
from app.stats.ranking import exam_may_rank, rank_refusal
from app.stats.vocabulary import NO_BASELINE, SMALL_SAMPLE, cite, grades_text, value_added_verdict
from app.validation.mask import PERSONAL_NOTE, mask_student_no


def remark(record: dict, exam: dict) -> str:
    """Return the 备注 of a group row: why it carries no rank (抽测不排名, 样本过小, app.stats.ranking),
    or empty."""
    return rank_refusal(exam, grade=record["grade"]) or (SMALL_SAMPLE if record["small_sample"] else "")


def _breaks(rows: list[list], column: int = 0) -> set[int]:
    return {i for i in range(1, len(rows)) if rows[i][column] != rows[i - 1][column]}


def overall_table(records: list[dict], town: dict[tuple, dict], title: str) -> Table:
    """Return the table of one group's figures per subject beside the township (all grades pooled)."""
    columns = [Column("学科"), figure_column("n_roster"), figure_column("n_sat"), figure_column("n_absent"),
               figure_column("n_exempt"), figure_column("n"), figure_column("mean"), figure_column("sd"),
               figure_column("pass_rate"), figure_column("excellent_rate"), figure_column("low_rate"),
               figure_column("composite"),
               figure_column("mean", "全乡平均分"), figure_column("pass_rate", "全乡及格率")]
    rows = []
    for r in records:
        t = town.get((None, r["subject_code"]), {})
        rows.append([r["subject"], r["n_roster"], r["n_sat"], r["n_absent"], r["n_exempt"], r["n"], r["mean"], r["sd"],
                     r["pass_rate"], r["excellent_rate"], r["low_rate"], r["composite"], t.get("mean"),
                     t.get("pass_rate")])
    return Table(title, columns, rows, sheet="总体情况")


def roster_table(records: list[dict], first: str, label) -> Table:
    """Return who counted per group and subject: 名册 / 有成绩 / 缺考 (of them 未上表: on the roster
    without a mark) / 免考 and the 统计人数 the figures divide by."""
    rows = [[label(r), r["subject"], r["n_roster"], r["n_sat"], r["n_absent"], r["n_missing"], r["n_exempt"], r["n"]]
            for r in records]
    return Table("名册、有成绩与缺考人数", [Column(first), Column("学科"), *(figure_column(k) for k in (
        "n_roster", "n_sat", "n_absent", "n_missing", "n_exempt", "n"))], rows, sheet="名册与缺考", breaks=_breaks(rows),
        note="名册为考试当天在班的学生;没有成绩的学生记为缺考(“未上表”为名册上有、成绩表中没有的),"
             "按应考人数统计时计 0 分。")


def grade_table(records: list[dict], town: dict[tuple, dict], exam: dict) -> Table:
    """Return the 三率一分 per grade and subject with the township mean and the rank among schools
    (no rank column when the exam may not be ranked)."""
    ranked = exam_may_rank(exam)
    columns = [Column("年级"), Column("学科"), figure_column("n"), figure_column("mean"), figure_column("sd"),
               figure_column("pass_rate"), figure_column("excellent_rate"), figure_column("low_rate"),
               figure_column("composite"),
               figure_column("mean", "全乡平均分"), figure_column("pass_rate", "全乡及格率"),
               *([figure_column("rank"), figure_column("rank_of", "参评校数")] if ranked else []), Column("备注")]
    rows: list[list] = []
    muted: set[int] = set()
    for r in records:
        t = town.get((r["grade"], r["subject_code"]), {})
        if r["small_sample"]:
            muted.add(len(rows))
        rows.append([grade_name(r["grade"]), r["subject"], r["n"], r["mean"], r["sd"], r["pass_rate"],
                     r["excellent_rate"], r["low_rate"], r["composite"], t.get("mean"), t.get("pass_rate"),
                     *([r["rank"], r["rank_of"] if r["rank"] else None] if ranked else []), remark(r, exam)])
    return Table("各年级各学科三率一分", columns, rows, sheet="各年级三率一分", muted=muted, breaks=_breaks(rows),
                 note="名次按三率一分综合分在全乡同年级同学科的学校中排列;样本过小的组不参加排名。" if ranked
                 else f"{rank_refusal(exam)}。")


def graded_table(records: list[dict], first: str = "年级") -> Table | None:
    """Return the level distribution of the graded subjects (等级评价: 音乐、美术、体育 …) per group, or
    None when the exam has none. Levels are counted, never averaged or ranked."""
    rows = [[grade_name(r["grade"]) if first == "年级" else r.get("class_name") or "", r["subject"], r["n_sat"],
             grades_text(r["grades"])] for r in records if r["grades"] is not None]
    if not rows:
        return None
    return Table("等级评价科目(各等级人数)", [Column(first), Column("学科"), figure_column("n_sat"),
                                           figure_column("grades")], rows, sheet="等级评价", breaks=_breaks(rows),
                 note="等级评价的科目只统计各等级人数,不算平均分和三率,不排名,不计入总分和综合分。")


def band_table(records: list[dict], title: str = "各年级各学科分数段人数", first: str = "年级") -> Table:
    """Return the ten score bands (percent of full marks) per group and subject."""
    labels = ["<10%", "10-", "20-", "30-", "40-", "50-", "60-", "70-", "80-", "90-100%"]
    columns = [Column(first), Column("学科"), figure_column("n")] + [Column(b, "int") for b in labels]
    rows = []
    for r in records:
        if r["grades"] is not None:  # graded subjects: see graded_table
            continue
        head = grade_name(r["grade"]) if first == "年级" else r.get("class_name") or ""
        rows.append([head, r["subject"], r["n"], *r["bands"]])
    return Table(title, columns, rows, sheet="分数段", breaks=_breaks(rows),
                 note="分数段按得分占满分的百分比划分,每段含下限不含上限,满分计入最高段。")


def class_table(records: list[dict], grades: dict[tuple, dict], exam: dict) -> Table:
    """Return every class × subject beside its grade mean in the school."""
    columns = [Column("年级"), Column("班级"), Column("学科"), figure_column("n"), figure_column("mean"),
               figure_column("pass_rate"), figure_column("excellent_rate"), figure_column("low_rate"),
               figure_column("composite"),
               Column("比年级均分", "signed"), Column("备注")]
    rows: list[list] = []
    muted: set[int] = set()
    for r in records:
        g = grades.get((r["grade"], r["subject_code"]), {})
        diff = r["mean"] - g["mean"] if r["mean"] is not None and g.get("mean") is not None else None
        if r["small_sample"]:
            muted.add(len(rows))
        rows.append([grade_name(r["grade"]), r["class_name"], r["subject"], r["n"], r["mean"], r["pass_rate"],
                     r["excellent_rate"], r["low_rate"], r["composite"], diff, remark(r, exam)])
    return Table("班级对比", columns, rows, sheet="班级对比", muted=muted, breaks=_breaks(rows))


def progress_table(records: list[dict], first: str, label) -> Table:
    """Return 进步值 rows: the same pupils' figures now and in the baseline exam (means on a
    100-point scale, rates), and the 进步值."""
    columns = [Column(first), Column("学科"), Column("匹配人数", "int"), figure_column("mean", "本次均分"),
               figure_column("mean", "上次均分"), figure_column("excellent_rate", "本次优秀率"),
               figure_column("excellent_rate", "上次优秀率"),
               figure_column("pass_rate", "本次合格率"), figure_column("pass_rate", "上次合格率"), figure_column("progress"),
               Column("备注")]
    rows: list[list] = []
    muted: set[int] = set()
    for p in records:
        if p["small_sample"]:
            muted.add(len(rows))
        if p.get("no_baseline"):
            rows.append([label(p), p["subject"], None, None, None, None, None, None, None, NO_BASELINE,
                         "不在基线考试中"])
            continue
        rows.append([label(p), p["subject"], p["n"], p["current"]["mean"], p["baseline"]["mean"],
                     p["current"]["excellent_rate"], p["baseline"]["excellent_rate"], p["current"]["pass_rate"],
                     p["baseline"]["pass_rate"], p["progress"], SMALL_SAMPLE if p["small_sample"] else ""])
    return Table("进步值(同一批学生与基线考试相比)", columns, rows, sheet="进步值", muted=muted, breaks=_breaks(rows),
                 note="进步值 = [(本次平均分 − 上次平均分) + (本次优秀率 − 上次优秀率) + (本次合格率 − 上次合格率)] ÷ 3"
                      f"({cite(None, '篇17')});平均分折算为百分制,率以百分点计;只计两次都参加统计的学生。")


def value_added_table(records: list[dict], first: str, label) -> Table:
    """Return value-added rows with n and the 95 % interval."""
    columns = [Column(first), Column("学科"), figure_column("n"), figure_column("value_added"),
               Column("95%下限", "signed2"), Column("95%上限", "signed2"), Column("判断")]
    rows: list[list] = []
    muted: set[int] = set()
    for r in records:
        if r["small_sample"]:
            muted.add(len(rows))
        rows.append([label(r), r["subject"], r["n"], r["value_added"], r["ci_low"], r["ci_high"], value_added_verdict(r)])
    return Table("增值评价(95% 置信区间)", columns, rows, sheet="增值评价", muted=muted, breaks=_breaks(rows),
                 note="增值:同年级同学科内,本次成绩(标准分)对基线成绩(标准分)作线性回归,一个组的增值是其学生残差的平均,"
                      "单位为标准差;区间不含 0 才说明明显高于或低于预期。")


def borderline_table(records: list[dict], margin: float) -> Table:
    """Return 临界生 one row per pupil: the subjects just below the pass line and the excellent line."""
    pupils: dict[str, dict] = {}
    for r in records:
        p = pupils.setdefault(r["pupil_id"], {"grade": r["grade"], "class": r["class_name"] or "", "name": r["name"],
                                               "no": r["student_no"], "及格线": [], "优秀线": []})
        p[r["line"]].append(f"{r['subject']} {r['score']:g}(差 {r['gap']:g})")
    columns = [Column("班级"), Column("姓名"), Column("学籍号"), Column("接近及格线", "para"),
               Column("接近优秀线", "para")]
    ordered = sorted(pupils.values(), key=lambda p: (p["grade"], p["class"], p["no"]))
    rows = [[p["class"], p["name"], mask_student_no(p["no"]), "、".join(p["及格线"]), "、".join(p["优秀线"])]
            for p in ordered]
    return Table("临界生名单", columns, rows, sheet="临界生", breaks=_breaks(rows),
                 note=f"临界生:主科得分低于及格线或优秀线,但差距不超过满分的 {margin:g}%。名单仅供教师培优补差使用,不得公开。")


def struggling_table(records: list[dict], need: int, baseline_name: str) -> Table:
    """Return 学困生: pupils below the pass line in `need` or more main subjects now and before."""
    columns = [Column("班级"), Column("姓名"), Column("学籍号"), Column("本次不及格主科", "para"),
               Column("上次不及格主科", "para")]
    rows = [[r["class_name"] or "", r["name"], mask_student_no(r["student_no"]), "、".join(r["subjects_now"]),
             "、".join(r["subjects_before"])] for r in records]
    return Table("学困生名单", columns, rows, sheet="学困生", breaks=_breaks(rows),
                 note=f"学困生:本次和上次({baseline_name})都有 {need} 科及以上主科低于及格线。缺考不作为依据。"
                      "名单仅供教师使用,不得公开。")


def _findings(exam: dict, school: dict, preset: Preset, baseline: dict | None, gains: list[dict], gain_note: str,
              added: list[dict], overall: list[dict], grades: list[dict], classes: list[dict], town: dict,
              near: list[dict], weak: list[dict]) -> list[str]:
    """Return the 主要发现 of a school's exam report: who sat, the best and worst subject, the
    pass-rate and class-spread findings, value-added, the pupil lists and small samples."""
    baseline_name = baseline["name"] if baseline else None
    min_size = int(preset["min_group_size"])
    gain_by_key = {(p["grade"], p["subject_code"]): p for p in gains}
    items = [f"{school['name']}本次共有 {max(r['n_roster'] for r in overall)} 名学生参加 {len(overall)} 个学科的考试"
             f"({policy_text(exam['policy'])})。"]
    counted = [r for r in overall if r["pass_rate"] is not None]
    if counted:
        best = max(counted, key=lambda r: r["pass_rate"])
        worst = min(counted, key=lambda r: r["pass_rate"])
        items.append(f"全校及格率最高的学科是{best['subject']}({pct(best['pass_rate'])}),"
                     f"最低的是{worst['subject']}({pct(worst['pass_rate'])})。")
    if baseline:
        items.append(f"下文“较上次”指与基线考试“{baseline_name}”相比,只比较两次都参加考试的同一批学生。")
    items += findings.pass_rate_findings(grades, town, gain_by_key)
    items += findings.class_spread_findings(classes)
    if added:
        items += findings.value_added_findings(added)
    elif gain_note:
        items.append(gain_note)
    items.append(f"主科临界生 {len({r['pupil_id'] for r in near})} 人(距及格线或优秀线不超过满分的 "
                 f"{preset['borderline_margin_pct']:g}%),学困生 {len(weak)} 人,名单见第六部分,请纳入培优补差计划。")
    small = [dict(r, label=f"{grade_name(r['grade'])}{r['subject']}") for r in grades if r["small_sample"]]
    small += [dict(r, label=f"{r['class_name']}{r['subject']}") for r in classes if r["small_sample"]]
    note = findings.small_sample_note(small, min_size=min_size)
    if note:
        items.append(note)
    return items


def _grade_pictures(grades: list[dict], classes: list[dict], by_grade: dict[tuple, dict],
                    main: list[dict]) -> list[Chart]:
    """Return per grade the chart of the main subjects' score bands, beside the classes' means when
    the grade has more than one class."""
    pictures = []
    for grade in sorted({r["grade"] for r in grades}):
        bands = {s["name"]: by_grade[(grade, s["code"])]["bands"] for s in main
                 if (grade, s["code"]) in by_grade and not is_graded(s)}
        band = charts.band_bars(f"{grade_name(grade)}主科分数段(占人数 %)", bands, width=PAGE_WIDTH / 2 - 4)
        mine = [r for r in classes if r["grade"] == grade]
        names = sorted({r["class_name"] for r in mine})
        if len(names) > 1:
            means = {(r["class_name"], r["subject_code"]): r["mean_pct"] for r in mine}
            series = {n: [None if means.get((n, s["code"])) is None else 100 * means[(n, s["code"])] for s in main]
                      for n in names}
            compare = charts.grouped_bars(f"{grade_name(grade)}各班主科平均分(占满分 %)", [s["name"] for s in main],
                                          series, width=PAGE_WIDTH / 2 - 4)
            pictures.append(Chart([band, compare], f"{grade_name(grade)}:分数段分布与班级对比"))
        else:
            pictures.append(Chart([band], f"{grade_name(grade)}:分数段分布(本年级只有一个班,不作班级对比)"))
    return pictures


def school_basis(db: Database, exam: dict, baseline: dict | None, preset: Preset, school: dict,
                 made: dt.datetime | None, first: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], Stamp]:
    """Return the 依据 rows of a report on one school's exam — `first`, then the exam, its time and
    type, counting policy, lines, baseline, preset and smallest group, last the data check — and the
    report's stamp (marked as holding personal data)."""
    basis = [*first, ("考试", exam["name"]),
             ("时间与类型", exam_when(exam)), ("统计口径", policy_text(exam["policy"])), ("分数线", cutoff_text(exam)),
             ("基线考试", f"{baseline['name']}({baseline['term_name']})" if baseline else "无"),
             ("评分方案", f"{display_name(preset.name)}(校验 {preset.hash[:16]})"),
             ("最小样本", f"{int(preset['min_group_size'])} 人")]
    stamp = replace(make_stamp(db, [exam["id"]] + ([baseline["id"]] if baseline else []), [preset], made=made,
                               school_ids=township_schools(db, [school["id"]])), personal=PERSONAL_NOTE)
    basis.append(("数据校验", stamp.data_hash))
    return basis, stamp


def build(db: Database, exam_id: str, *, school_code: str | None = None, baseline_id: str | None = None,
          made: dt.datetime | None = None, progress: Progress | None = None,
          cancelled: CancelCheck | None = None) -> Report:
    """Return the 考试质量分析报告 of one school (the database's only school when no code is given).

    Raises NotFound (exam, school, baseline), ValidationError (no code in a database of several
    schools, no marks of the school in the exam), Cancelled.
    """
    exam = get_exam(db, exam_id)
    school = find_school(db, school_code)
    preset = active_preset(db, "quality")
    min_size = int(preset["min_group_size"])
    if progress:
        progress(0.05, "正在统计三率一分")
    levels = school_group_stats(db, exam_id, school["code"], preset=preset)  # and every township's
    grades = [r for r in levels["grade"] if r["school_code"] == school["code"]]
    if not grades:
        raise invalid(f"{school['name']}在“{exam['name']}”中没有成绩,无法生成质量分析报告。", "school")
    classes = [r for r in levels["class"] if r["school_code"] == school["code"]]
    overall = [r for r in levels["school"] if r["school_code"] == school["code"]]
    town = township_reference(levels, grades[0]["township_code"])
    check(cancelled)
    if progress:
        progress(0.15, "正在计算进步值与增值")
    baseline, gains, gain_note, added = school_gains(db, exam, baseline_id, "grade", preset, school["id"])
    check(cancelled)
    if progress:
        progress(0.3, "正在整理临界生与学困生名单")
    _, near, weak = watch_lists(db, exam, baseline, preset, school_id=school["id"])
    labels, lines = trend(db, exam, preset, levels, school_code=school["code"])
    check(cancelled)
    if progress:
        progress(0.4, "正在撰写分析")

    baseline_name = baseline["name"] if baseline else None
    by_grade = {(r["grade"], r["subject_code"]): r for r in grades}
    items = _findings(exam, school, preset, baseline, gains, gain_note, added, overall, grades, classes, town, near,
                      weak)
    need = int(preset["struggling_min_subjects"])

    sections = [Section("一、主要发现", [Findings(items)])]
    blocks: list = [overall_table(overall, town, "全校各学科总体情况")]
    if len(labels) > 1:
        blocks.append(Chart([charts.trend_lines("全校主科平均分(占满分的百分比)", labels, lines, width=PAGE_WIDTH)],
                            "图 1 历次考试全校主科平均分走势(各次考试年级构成不同,仅看大势)"))
    targets = target_results(db, exam_id, school_ids=[school["id"]], baseline_id=baseline["id"] if baseline else None)
    if targets:
        blocks.append(target_table(targets))
    sections.append(Section("二、全校总体情况", blocks))
    graded = graded_table(grades)
    sections.append(Section("三、各年级各学科三率一分", [grade_table([r for r in grades if r["grades"] is None], town, exam),
                                                  *([graded] if graded else [])]))
    main = [s for s in exam["subjects"] if s["is_main"]] or exam["subjects"][:3]
    pictures = _grade_pictures(grades, classes, by_grade, main)
    sections.append(Section("四、分数段与班级对比", [band_table(grades), *pictures,
                                               class_table(classes, by_grade, exam)], new_page=True))
    growth: list = []
    if gain_note:
        growth.append(Text(gain_note, "warning"))
    else:
        growth.append(Text(f"基线考试:{baseline_name}({baseline['term_name']})。比较的是两次都参加考试的同一批学生,"
                           "年级按本次考试计。"))
        growth.append(progress_table(gains, "年级", lambda p: grade_name(p["grade"])))
        growth.append(Findings(findings.progress_findings(
            [dict(p, label=f"{grade_name(p['grade'])}{p['subject']}") for p in gains], "label", baseline_name)))
        growth.append(value_added_table(added, "班级", lambda r: r["class_name"]))
    sections.append(Section("五、进步值与增值评价", growth, new_page=True))
    lists: list = [borderline_table(near, float(preset["borderline_margin_pct"]))]
    if baseline:
        lists.append(struggling_table(weak, need, baseline_name))
    else:
        lists.append(Text("没有可比的上次考试,无法认定学困生(需本次和上次都有多科主科不及格)。", "note"))
    sections.append(Section("六、临界生与学困生名单(仅供教师使用)", lists, new_page=True))
    sections.append(care_group_section("七、留守儿童、寄宿生、随迁子女、残疾学生的成绩",
                                       care_group_results(db, exam_id, school_ids=[school["id"]], preset=preset), min_size))
    sections.append(Section("附:指标说明", [Text(
        f"平均分 = 总分 ÷ 统计人数;及格率、优秀率、低分率 = 相应人数 ÷ 统计人数。统计人数:{policy_text(exam['policy'])};"
        "免考不计入,作弊按 0 分计入。综合分(三率一分)= 100 ×(平均分占满分比 × "
        f"{preset['composite']['mean']:g} + 及格率 × {preset['composite']['pass_rate']:g} + 优秀率 × "
        f"{preset['composite']['excellent_rate']:g} + (1 − 低分率) × {preset['composite']['not_low_rate']:g})。"
        f"人数少于 {min_size} 的组为“样本过小”,数据仅供参考,不参加排名和比较。")]))
    check(cancelled)
    basis, stamp = school_basis(db, exam, baseline, preset, school, made,
                                [("学校", f"{school['name']}({school['code']},{school['type']})")])
    title = "考试质量分析报告"
    return Report(kind="exam-school", title=title, confidential=True, subtitle=f"{school['name']} · {exam['name']}",
                  header=f"{school['name']} · {exam['name']}", stamp=stamp, sections=sections, basis=basis,
                  file_title=f"{school['name']}{exam['name']}{title}")

