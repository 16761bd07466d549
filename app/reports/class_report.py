"""Class report for the 班主任: the class against its grade in the school and the township in every
subject, score bands, progress and value-added, the pupil list with scores, and the class's
临界生 and 学困生. Pupils' scores and ranks are for teachers only (000 篇13, 篇15), so the report
is marked 内部资料. Every figure comes from app.stats."""
from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from app.progress import CancelCheck, Progress, check
from app.reports import charts, findings
from app.reports.common import find_class, find_school, grade_name, policy_text
from app.reports.exam_school import (band_table, borderline_table, graded_table, progress_table, remark,
                                     roster_table, school_basis, struggling_table, value_added_table)
from app.reports.figures import by_key, school_gains, township_reference, watch_lists
from app.reports.layout import PAGE_WIDTH
from app.reports.model import Chart, Column, Findings, Report, Section, Table, Text, figure_column
from app.services.exams import get_exam
from app.stats.graded import is_graded
from app.stats.groups import all_group_stats
from app.stats.presets import active_preset
from app.stats.ranking import exam_may_rank, rank_refusal
from app.stats.roster import missing_marks
from app.stats.vocabulary import cite
from app.validation.mask import mask_student_no


def comparison_table(records: list[dict], grades: dict[tuple, dict], town: dict[tuple, dict], exam: dict,
                     title: str = "本班与本校同年级、全乡同年级对比") -> Table:
    """Return one row per grade and subject of the group beside its school grade and township grade
    (and its rank among the township's classes when the exam may be ranked)."""
    ranked = exam_may_rank(exam)
    columns = [Column("年级"), Column("学科"), figure_column("n"), figure_column("mean"), figure_column("pass_rate"),
               figure_column("excellent_rate"), figure_column("low_rate"), figure_column("composite"),
               figure_column("mean", "本校年级均分"),
               figure_column("pass_rate", "本校年级及格率"), figure_column("mean", "全乡均分"),
               figure_column("pass_rate", "全乡及格率"),
               *([figure_column("rank", "全乡班级名次"), figure_column("rank_of", "参评班数")] if ranked else []), Column("备注")]
    rows: list[list] = []
    muted: set[int] = set()
    for r in records:
        key = (r["grade"], r["subject_code"])
        g, t = grades.get(key, {}), town.get(key, {})
        if r["small_sample"]:
            muted.add(len(rows))
        rows.append([grade_name(r["grade"]), r["subject"], r["n"], r["mean"], r["pass_rate"], r["excellent_rate"],
                     r["low_rate"], r["composite"], g.get("mean"), g.get("pass_rate"), t.get("mean"),
                     t.get("pass_rate"), *([r["rank"], r["rank_of"] if r["rank"] else None] if ranked else []),
                     remark(r, exam)])
    return Table(title, columns, rows, sheet="对比", muted=muted,
                 note="名次按三率一分综合分在全乡同年级同学科的班级中排列;样本过小的班不参加排名。" if ranked
                 else f"{rank_refusal(exam)}。")


def unmarked_pupils(db: Database, exam: dict, klass: dict, school_id: str, marked: set[str]) -> list[dict]:
    """Return the pupils on the class's roster on the exam's roster day (app.stats.roster) who have no
    mark at all in the exam: {student_no, name, grade, subjects: {subject_id: 免考 or 缺考}}, in
    学籍号 order. Under the roster basis they count as 缺考 = 0, so the teacher must see them listed."""
    out: dict[str, dict] = {}
    for item in missing_marks(db, exam, reporting=[school_id]):
        if item.class_id != klass["id"] or item.pupil_id in marked:
            continue
        pupil = out.setdefault(item.pupil_id, {"student_no": item.student_no, "name": item.name,
                                               "grade": item.grade, "subjects": {}})
        pupil["subjects"][item.subject_id] = "免考" if item.exempt else "缺考"
    return list(out.values())


def pupil_table(pupils: list[dict], exam: dict, several_grades: bool, unmarked: list[dict] | None = None) -> Table:
    """Return the pupil list: each subject's score (or 缺考 / 免考 / 作弊), the total and the rank
    of the total in the class (only for comparable totals); then the roster's pupils without any mark
    (`unmarked`, see unmarked_pupils), shown as 缺考 with no rank."""
    unmarked = unmarked or []
    present = {s["subject_code"] for p in pupils for s in p["subjects"]}
    present |= {s["code"] for s in exam["subjects"] for p in unmarked if s["subject_id"] in p["subjects"]}
    subjects = [s for s in exam["subjects"] if s["code"] in present]
    ranked = exam_may_rank(exam)
    columns = [Column("学籍号"), Column("姓名"), Column("年级")] + [Column(s["name"], "score") for s in subjects] + [
        Column("总分", "score"), *([figure_column("rank", "班内名次")] if ranked else [])]
    rows = []
    for p in pupils:
        marks = {s["subject_code"]: s for s in p["subjects"]}
        cells = []
        for s in subjects:
            mark = marks.get(s["code"])
            cells.append(None if mark is None else mark["status"] if mark["status"] != "正常"
                         else mark["level"] if mark["graded"] else mark["score"])
        rows.append([mask_student_no(p["student_no"]), p["name"], grade_name(p["grade"]), *cells, p["total"],
                     *([p["total_rank_class"]] if ranked else [])])
    roster = exam["policy"] == "roster"
    for p in unmarked:
        cells = [p["subjects"].get(s["subject_id"]) for s in subjects]
        # Under the roster basis a pupil with no mark is 缺考 = 0 in every subject: the total 0 ranks
        # with the class's other zeros (competition rank), unless a subject is 免考.
        rank = (1 + sum(1 for q in pupils if q["grade"] == p["grade"] and q["total_rank_class"] is not None
                        and (q["total"] or 0) > 0)
                if roster and "免考" not in p["subjects"].values() else None)
        rows.append([mask_student_no(p["student_no"]), p["name"], grade_name(p["grade"]), *cells, 0 if roster else None,
                     *([rank] if ranked else [])])
    unranked = ("有免考学科的学生总分不排名次(缺考按 0 分计入总分)" if roster
                else "有缺考或免考学科的学生总分不排名次")
    if unmarked:
        unranked += (f";名册上另有 {len(unmarked)} 名学生没有任何成绩,列在最后"
                     + (",按应考人数统计时计为缺考 0 分" if roster else ",按实考人数统计时不计入"))
    return Table("学生成绩一览", columns, rows, sheet="学生成绩",
                 note=(f"学生成绩和名次仅供班主任和任课教师使用,不得公开张贴或排名公布({cite(None, '篇13')})。"
                       f"{unranked};作弊按 0 分计。" + ("复式班按年级分别排名。" if several_grades else "")) if ranked
                 else f"学生成绩仅供班主任和任课教师使用,不得公开张贴。作弊按 0 分计;{rank_refusal(exam)}。")


def build(db: Database, exam_id: str, class_name: str, *, school_code: str | None = None,
          baseline_id: str | None = None, made: dt.datetime | None = None, progress: Progress | None = None,
          cancelled: CancelCheck | None = None) -> Report:
    """Return the class report of `class_name` in the school (the database's only school when no
    code is given). Raises NotFound (exam, school, class, baseline), ValidationError, Cancelled."""
    exam = get_exam(db, exam_id)
    school = find_school(db, school_code)
    klass = find_class(db, exam, school, class_name)
    preset = active_preset(db, "quality")
    min_size = int(preset["min_group_size"])
    if progress:
        progress(0.05, "正在统计三率一分")
    levels = all_group_stats(db, exam_id, preset=preset)
    own = [r for r in levels["class"] if r["class_id"] == klass["id"]]
    grade_refs = by_key([r for r in levels["grade"] if r["school_code"] == school["code"]], "grade", "subject_code")
    town = township_reference(levels, own[0]["township_code"])
    check(cancelled)
    if progress:
        progress(0.2, "正在计算进步值与增值")
    baseline, gains, gain_note, added = school_gains(db, exam, baseline_id, "class", preset, school["id"])
    gains = [p for p in gains if p["class_id"] == klass["id"]]
    added = [r for r in added if r["class_id"] == klass["id"]]
    check(cancelled)
    if progress:
        progress(0.35, "正在整理学生名单")
    pupils, near, weak = watch_lists(db, exam, baseline, preset, class_id=klass["id"])
    check(cancelled)

    items = [f"{klass['name']}本次 {len(pupils)} 名学生参加考试({policy_text(exam['policy'])})。"]
    for grade in klass["grades"]:
        mine = [r for r in own if r["grade"] == grade]
        items += findings.comparison_findings(mine, {
            "本校同年级": {c: r for (g, c), r in grade_refs.items() if g == grade},
            "全乡同年级": {c: r for (g, c), r in town.items() if g == grade}},
            prefix=grade_name(grade) if len(klass["grades"]) > 1 else "")
    if gains:
        items += findings.progress_findings([dict(p, label=p["subject"]) for p in gains], "label",
                                            baseline["name"] if baseline else None)
    if added:
        items += findings.value_added_findings([dict(r, label=r["subject"]) for r in added], "label")
    elif gain_note:
        items.append(gain_note)
    elif not gains:
        items.append(findings.NO_COMMON_PUPILS)
    items.append(f"主科临界生 {len({r['pupil_id'] for r in near})} 人,学困生 {len(weak)} 人,名单见后。")
    note = findings.small_sample_note([dict(r, label=f"{grade_name(r['grade'])}{r['subject']}") for r in own],
                                      min_size=min_size)
    if note:
        items.append("本班" + note)

    pictures = []
    for grade in klass["grades"]:
        by_subject = {r["subject_code"]: r for r in own if r["grade"] == grade}
        shown = [s for s in exam["subjects"] if s["code"] in by_subject and not is_graded(s)]
        series = {
            "本班": [100 * by_subject[s["code"]]["mean_pct"] if by_subject[s["code"]]["mean_pct"] is not None else None
                   for s in shown],
            "本校同年级": [100 * grade_refs[(grade, s["code"])]["mean_pct"] for s in shown],
            "全乡同年级": [100 * town[(grade, s["code"])]["mean_pct"] if (grade, s["code"]) in town else None
                      for s in shown]}
        pictures.append(Chart([charts.grouped_bars(f"{grade_name(grade)}各学科平均分(占满分 %)",
                                                   [s["name"] for s in shown], series, width=PAGE_WIDTH)],
                              f"{klass['name']}{grade_name(grade)}与本校同年级、全乡同年级对比"))
    sections = [
        Section("一、主要发现", [Findings(items)]),
        Section("二、各学科对比", [roster_table(own, "年级", lambda r: grade_name(r["grade"])),
                             comparison_table([r for r in own if r["grades"] is None], grade_refs, town, exam),
                             *filter(None, [graded_table(own)]), *pictures]),
        Section("三、分数段", [band_table(own, title="本班各学科分数段人数")]),
    ]
    growth: list = []
    if gain_note:
        growth.append(Text(gain_note, "warning"))
    else:
        growth.append(Text(f"基线考试:{baseline['name']}({baseline['term_name']}),比较本班两次都参加考试的同一批学生。"))
        growth.append(progress_table(gains, "年级", lambda p: grade_name(p["grade"])))
        growth.append(value_added_table(added, "年级", lambda r: grade_name(r["grade"])))
    sections.append(Section("四、进步值与增值评价", growth))
    unmarked = unmarked_pupils(db, exam, klass, school["id"], {p["pupil_id"] for p in pupils})
    sections.append(Section("五、学生成绩一览(仅供教师使用)",
                            [pupil_table(pupils, exam, len(klass["grades"]) > 1, unmarked)], landscape=True))
    lists: list = [borderline_table(near, float(preset["borderline_margin_pct"]))]
    if baseline:
        lists.append(struggling_table(weak, int(preset["struggling_min_subjects"]), baseline["name"]))
    sections.append(Section("六、临界生与学困生", lists))
    basis, stamp = school_basis(db, exam, baseline, preset, school, made,
                                [("学校", f"{school['name']}({school['code']})"), ("班级", klass["name"])])
    title = "班级质量分析报告"
    return Report(kind="class", title=title, subtitle=f"{school['name']} {klass['name']} · {exam['name']}",
                  header=f"{school['name']} {klass['name']} · {exam['name']}", stamp=stamp, sections=sections,
                  basis=basis, confidential=True, file_title=f"{school['name']}{klass['name']}{exam['name']}{title}")
