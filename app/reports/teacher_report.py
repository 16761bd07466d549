"""Teacher report, one teacher, confidential (内部资料): the classes and subjects taught in the exam's
term with their figures beside the school grade and the township grade, the 教学业绩得分 from the
active teacher preset (000 篇17), value-added with its 95 % interval, and 进步值. A teacher's own
results go only to the teacher and their leaders (000 篇14). The teacher's own quality targets (003 三(一):
targets broken down to the teachers) stand beside their results with 完成 / 未完成 and the difference.
Every figure comes from app.stats."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlite_utils import Database

from app.errors import invalid
from app.preset_names import display_name, readable
from app.progress import CancelCheck, Progress, check
from app.reports import findings
from app.reports.common import (cutoff_text, exam_when, find_school, find_teacher, grade_name, make_stamp, policy_text,
                                resolve_baseline, township_schools)
from app.reports.exam_school import progress_table, remark, roster_table, value_added_table
from app.reports.figures import by_key, progress_or_note, township_reference
from app.reports.model import Column, Findings, Report, Section, Table, Text, figure_column
from app.reports.targets import target_table
from app.services.exams import get_exam
from app.stats.groups import all_group_stats
from app.stats.presets import active_preset
from app.stats.progress import value_added
from app.stats.ranking import rank_refusal
from app.stats.scoring import teacher_scores
from app.stats.target_results import DONE, MISSED, target_results
from app.stats.vocabulary import NO_BASELINE, cite
from app.validation.mask import STAFF_NOTE


def assignments(db: Database, exam: dict, teacher_id: str) -> list[dict]:
    """Return the teacher's teaching assignments in the exam's term that the exam examined:
    class_id, class_name, number, school_id (the class's), subject_id, subject_code, subject."""
    examined = {s["subject_id"] for s in exam["subjects"]}
    rows = [dict(r) for r in db.query(
        "SELECT a.class_id, c.name AS class_name, c.number, c.school_id, a.subject_id, s.code AS subject_code,"
        " s.name AS subject"
        " FROM teaching_assignment a JOIN class c ON c.id = a.class_id JOIN subject s ON s.id = a.subject_id"
        " WHERE a.term_id = ? AND a.teacher_id = ? ORDER BY c.number, c.name, s.sort_order",
        [exam["term_id"], teacher_id])]
    return [r for r in rows if r["subject_id"] in examined]


def class_label(record: dict, several_schools: bool) -> str:
    """Return the class name, with its school's name first when the teacher teaches at several
    schools (a 走教 teacher's 三(1)班 may be at two sites)."""
    return f"{record['school_name']} {record['class_name']}" if several_schools else record["class_name"]


def taught_table(records: list[dict], grades: dict[tuple, dict], town: dict[tuple, dict], exam: dict,
                 several_schools: bool) -> Table:
    """Return the teacher's class × subject figures beside the grade of the class's own school and
    the township grade."""
    columns = [Column("班级"), Column("年级"), Column("学科"), figure_column("n"), figure_column("mean"),
               figure_column("pass_rate"), figure_column("excellent_rate"), figure_column("low_rate"),
               figure_column("composite"),
               figure_column("mean", "所在校年级均分"), figure_column("mean", "全乡均分"), figure_column("pass_rate", "全乡及格率"),
               Column("备注")]
    rows: list[list] = []
    muted: set[int] = set()
    for r in records:
        g = grades.get((r["school_code"], r["grade"], r["subject_code"]), {})
        t = town.get((r["grade"], r["subject_code"]), {})
        if r["small_sample"]:
            muted.add(len(rows))
        rows.append([class_label(r, several_schools), grade_name(r["grade"]), r["subject"], r["n"], r["mean"],
                     r["pass_rate"],
                     r["excellent_rate"], r["low_rate"], r["composite"], g.get("mean"), t.get("mean"),
                     t.get("pass_rate"), remark(r, exam)])
    return Table("任教班级成绩", columns, rows, sheet="任教班级", muted=muted)


def score_table(score: dict, own: list[dict], several_schools: bool) -> Table:
    """Return the class items of the teacher's 教学业绩得分 (each matched to its class record by class
    name, grade, subject, n and mean to name the school)."""
    columns = [Column("班级"), Column("年级"), Column("学科"), figure_column("n"), figure_column("mean"),
               Column("优生率", "pct"), figure_column("pass_rate"), figure_column("progress"), Column("班级得分", "num")]
    rows = []
    for c in score["classes"]:
        match = next((r for r in own if (r["class_name"], r["grade"], r["subject"], r["n"], r["mean"]) ==
                      (c["class_name"], c["grade"], c["subject"], c["n"], c["mean"])), None)
        label = class_label(match, several_schools) if match else c["class_name"]
        rows.append([label, grade_name(c["grade"]), c["subject"], c["n"], c["mean"], c["excellent_rate"],
                     c["pass_rate"], NO_BASELINE if c["progress"] is None else c["progress"], c["score"]])
    mean_term = "平均分占满分的百分比" if score["mean_term"] == "percent" else "原始平均分(百分制试卷)"
    return Table("教学业绩得分各班明细", columns, rows, sheet="业绩得分",
                 note=f"平均分一项取{mean_term};“{NO_BASELINE}”:该班该科不在基线考试中,没有进步值(不按 0 计)。")


def own_targets(db: Database, exam_id: str, teacher: dict, baseline_id: str | None) -> list[dict]:
    """Return the teacher's own quality targets of the exam's term beside the exam's results (rows of
    app.stats.target_results.target_results; 进步值 against `baseline_id`, none without one)."""
    return [t for t in target_results(db, exam_id, school_ids=[teacher["school_id"]], baseline_id=baseline_id)
            if t["teacher_id"] == teacher["id"]]


def targets_finding(targets: list[dict]) -> str:
    """Return the finding that counts the teacher's targets met, missed and without a result."""
    done = sum(t["status"] == DONE for t in targets)
    missed = sum(t["status"] == MISSED for t in targets)
    rest = len(targets) - done - missed
    return f"个人质量目标 {len(targets)} 项:完成 {done} 项,未完成 {missed} 项" + (f",{rest} 项无结果。" if rest else "。")


def build(db: Database, exam_id: str, staff_no: str, *, school_code: str | None = None,
          baseline_id: str | None = None, made: dt.datetime | None = None, progress: Progress | None = None,
          cancelled: CancelCheck | None = None) -> Report:
    """Return the confidential report of the teacher with 工号 `staff_no` (in the school if a code is
    given). Raises NotFound (exam, school, teacher, baseline), ValidationError (the teacher taught
    no examined class and subject), Cancelled."""
    exam = get_exam(db, exam_id)
    school = find_school(db, school_code) if school_code else None
    teacher = find_teacher(db, staff_no, school)
    taught = assignments(db, exam, teacher["id"])
    if not taught:
        raise invalid(f"{teacher['name']}({teacher['staff_no']})在{exam['term_name']}没有任教“{exam['name']}”"
                      "考过的班级和学科,无法生成教师报告。", "teacher")
    preset = active_preset(db, "quality")
    teacher_preset = active_preset(db, "teacher_composite")
    min_size = int(preset["min_group_size"])
    if progress:
        progress(0.05, "正在统计三率一分")
    levels = all_group_stats(db, exam_id, preset=preset)
    pairs = {(a["class_id"], a["subject_code"]) for a in taught}
    own = [r for r in levels["class"] if (r["class_id"], r["subject_code"]) in pairs]
    if not own:
        raise invalid(f"{teacher['name']}任教的班级在“{exam['name']}”中没有成绩。", "teacher")
    grade_refs = by_key(levels["grade"], "school_code", "grade", "subject_code")
    several = len({r["school_code"] for r in own}) > 1
    town = township_reference(levels, own[0]["township_code"])
    check(cancelled)
    if progress:
        progress(0.2, "正在计算业绩得分、进步值与增值")
    baseline = resolve_baseline(db, exam, baseline_id)
    sites = [a["school_id"] for a in taught]  # a 走教 teacher's classes may be at several schools
    gains, gain_note = progress_or_note(db, exam, baseline, "class", preset, school_ids=sites)
    gains = [p for p in gains if (p["class_id"], p["subject_code"]) in pairs]
    added = [] if gain_note else [r for r in value_added(db, exam_id, baseline["id"], "teacher", preset=preset,
                                                         school_ids=sites) if r["teacher_id"] == teacher["id"]]
    scores = teacher_scores(db, exam_id, baseline["id"] if baseline and not gain_note else None,
                            preset=teacher_preset)
    score = next((s for s in scores if s["teacher_id"] == teacher["id"]), None)
    targets = own_targets(db, exam_id, teacher, baseline["id"] if baseline and not gain_note else None)
    check(cancelled)

    items = []
    for code, grade in sorted({(r["school_code"], r["grade"]) for r in own}):
        items += findings.comparison_findings(
            [dict(r, subject=f"{class_label(r, several)}{r['subject']}") for r in own
             if (r["school_code"], r["grade"]) == (code, grade)],
            {"所在校同年级": {c: r for (s, g, c), r in grade_refs.items() if (s, g) == (code, grade)},
             "全乡同年级": {c: r for (g, c), r in town.items() if g == grade}})
    all_small = score is not None and all(c["n"] < min_size for c in score["classes"])
    refusal = rank_refusal(exam) or (f"所任班级都少于 {min_size} 人(样本过小),得分仅供参考" if all_small else None)
    if score is None:
        names = {s["code"]: s["name"] for s in exam["subjects"]}
        grades = "、".join(grade_name(g) for g in teacher_preset["grades"])
        subjects = "、".join(names.get(code, code) for code in teacher_preset["subjects"])
        items.append(f"所任班级和学科不在“{teacher_preset.name}”的计分范围({grades}的{subjects})内,"
                     "未计算教学业绩得分。")
    elif refusal:
        items.append(f"教学业绩得分 {score['score']:.1f};{refusal},不列段内名次和档次。")
    else:
        items.append(f"教学业绩得分 {score['score']:.1f}(各班平均 {score['base_score']:.1f} × 权重 {score['weight']:g}),"
                     f"在{score['band_scope']}{score['stage']} {score['stage_size']} 位教师中列第 {score['rank_in_stage']} 位,"
                     f"{score['band']} 档(加 {score['bonus']:g} 分)。")
    if targets:
        items.append(targets_finding(targets))
    if added:
        items += findings.value_added_findings([dict(r, label="") for r in added], "label")
    elif gain_note:
        items.append(gain_note)
    elif not gains:
        items.append(findings.NO_COMMON_PUPILS)
    if gains:
        items += findings.progress_findings([dict(p, label=f"{class_label(p, several)}{p['subject']}") for p in gains],
                                            "label", baseline["name"] if baseline else None)

    sections = [Section("一、主要发现", [Findings(items)]),
                Section("二、任教班级成绩", [roster_table(own, "班级", lambda r: class_label(r, several)),
                                         taught_table(own, grade_refs, town, exam, several),
                                         *([target_table(targets, "个人质量目标完成情况")] if targets else [])])]
    method = f"{rank_refusal(exam)}:只计得分,不排段内位次、不分档。" if rank_refusal(exam) else teacher_preset["source"]
    merit: list = [Text(f"方案:{display_name(teacher_preset.name)}(校验 {teacher_preset.hash[:16]})。{readable(method)}",
                        "note")]
    if score is not None:
        rank = (f"{refusal},不排名" if refusal else
                f"{score['band_scope']}{score['stage']}第 {score['rank_in_stage']} / {score['stage_size']} 位,"
                f"{score['band']} 档,加 {score['bonus']:g} 分")
        reasons = "、".join(score["weight_reasons"]) or "无"
        merit += [score_table(score, own, several), Table("教学业绩得分汇总", [Column("项目"), Column("数值", "para")], [
            ["各班得分平均", f"{score['base_score']:.2f}"], ["权重", f"{score['weight']:g}(原因:{reasons})"],
            ["教学业绩得分", f"{score['score']:.2f}"], ["段内名次与档次" if not refusal else "名次", rank]],
            sheet="得分汇总")]
    else:
        merit.append(Text("所任班级和学科不在该方案的计分范围内,未计算教学业绩得分。", "body"))
    sections.append(Section("三、教学业绩得分", merit))
    growth: list = []
    if gain_note:
        growth.append(Text(gain_note, "warning"))
    else:
        growth.append(Text(f"基线考试:{baseline['name']}({baseline['term_name']}),比较同一批学生。"))
        growth.append(progress_table(gains, "班级", lambda p: class_label(p, several)))
        growth.append(value_added_table(added, "教师", lambda r: r["teacher_name"]))
    sections.append(Section("四、进步值与增值评价", growth))
    basis = [("教师", f"{teacher['name']}(工号 {teacher['staff_no']},{teacher['school_name']})"),
             ("考试", exam["name"]), ("时间与类型", exam_when(exam)), ("统计口径", policy_text(exam["policy"])),
             ("分数线", cutoff_text(exam)),
             ("基线考试", f"{baseline['name']}({baseline['term_name']})" if baseline else "无"),
             ("评分方案", f"{display_name(preset.name)};{display_name(teacher_preset.name)}"),
             ("最小样本", f"{min_size} 人"), ("密级", f"内部资料:只发给教师本人和学校领导({cite(preset, '篇14')})")]
    extra = [(a["class_name"], a["subject_code"]) for a in taught] + [(t["id"], t["target"]) for t in targets]
    stamp = replace(make_stamp(db, [exam_id] + ([baseline["id"]] if baseline else []), [preset, teacher_preset],
                               made=made, extra=extra,
                               school_ids=township_schools(db, [teacher["school_id"]] + [a["school_id"] for a in taught])),
                    personal=STAFF_NOTE)
    basis.append(("数据校验", stamp.data_hash))
    title = "教师教学质量报告"
    return Report(kind="teacher", title=title, subtitle=f"{teacher['school_name']} {teacher['name']} · {exam['name']}",
                  header=f"{teacher['school_name']} {teacher['name']} · {exam['name']}", stamp=stamp,
                  sections=sections, basis=basis, confidential=True,
                  file_title=f"{teacher['name']}{exam['name']}{title}")
