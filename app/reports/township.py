"""Township summary across schools. Following 000 篇5 (承认差异看进步) progress per school comes first
and the raw ranking second; schools are compared as the quality preset says (app.stats.ranking: no
ranking, 校本部 apart from 完小 / 教学点 by default, or one list), never for a 抽测; small schools are
flagged and left out of both rankings; schools missing data and pupils without a mark are listed;
the central school's score follows the 60/40 preset of 000 篇20. Every figure comes from app.stats."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace

from sqlite_utils import Database

from app.errors import ValidationError, invalid
from app.preset_names import display_name
from app.presets import Preset
from app.progress import CancelCheck, Progress, check
from app.queries.township import schools_missing_exam
from app.reports import charts, findings
from app.reports.common import cutoff_text, exam_when, grade_name, make_stamp, policy_text, resolve_baseline
from app.reports.figures import care_group_section, progress_or_note, trend
from app.reports.layout import PAGE_WIDTH
from app.reports.targets import target_table
from app.reports.model import Chart, Column, Findings, Report, Section, Table, Text, figure_column
from app.services.exams import get_exam
from app.services.schools import get_meta
from app.stats.care_groups import care_group_results
from app.stats.groups import group_stats_of_schools
from app.stats.presets import active_preset
from app.stats.ranking import COMPARISONS, comparison, comparison_groups, exam_may_rank, rank_refusal, rank_schools
from app.stats.roster import pupils_without_marks
from app.stats.scoring import central_school_scores
from app.stats.target_results import target_results
from app.stats.vocabulary import NO_BASELINE, cite
from app.validation.mask import PERSONAL_NOTE


def find_township(db: Database, code: str | None) -> dict:
    """Return the township with `code`, else the database's own (meta township_code) or its only one.

    Raises ValidationError when none can be chosen.
    """
    rows = [dict(r) for r in db.query("SELECT * FROM township ORDER BY code")]
    wanted = (code or get_meta(db, "township_code") or "").strip().upper()
    for row in rows:
        if row["code"].upper() == wanted:
            return row
    if not code and len(rows) == 1:
        return rows[0]
    known = "、".join(f"{r['code']} {r['name']}" for r in rows[:10]) or "(没有)"
    raise invalid(f"请指明乡镇(命令行用 --township 乡镇代码;数据库中有:{known})。", "township")


def data_status(db: Database, exam: dict, schools: list[dict], grade_records: list[dict]) -> list[dict]:
    """Return one row per school: code, name, type, grades with marks, missing (grade, subject)
    pairs among the grades it has classes in, and whether it has no marks at all (with the date of
    its last data package)."""
    absent = {r["code"]: r for r in schools_missing_exam(db, exam["id"])}
    have: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for r in grade_records:
        if r["n_roster"]:
            have[r["school_code"]].add((r["grade"], r["subject_code"]))
    expected: dict[str, set[int]] = defaultdict(set)
    for code, grade in db.execute(
            "SELECT s.code, g.grade FROM class c JOIN class_grade g ON g.class_id = c.id"
            " JOIN school s ON s.id = c.school_id"
            " WHERE c.academic_year_id = ? AND EXISTS (SELECT 1 FROM pupil p WHERE p.class_id = c.id)",
            [exam["academic_year_id"]]):
        if grade in exam["grades"]:
            expected[code].add(grade)
    out = []
    for s in schools:
        marked = sorted({g for g, _ in have[s["code"]]})
        missing = []
        for grade in sorted(expected[s["code"]] | set(marked)):
            for subject in exam["subjects"]:
                if grade in subject["grades"] and (grade, subject["code"]) not in have[s["code"]]:
                    missing.append((grade, subject["name"]))
        out.append({**s, "grades": marked, "missing": missing, "no_marks": s["code"] in absent or not marked,
                    "last_package": absent.get(s["code"], {}).get("last_imported_at")})
    return out


def _missing_text(row: dict) -> str:
    if row["no_marks"]:
        when = f",最近一次收到数据包:{row['last_package'][:10]}" if row["last_package"] else ",尚未收到数据包"
        return "没有本次考试的成绩" + when
    if not row["missing"]:
        return "完整"
    by_grade: dict[int, list[str]] = defaultdict(list)
    for grade, subject in row["missing"]:
        by_grade[grade].append(subject)
    return "缺:" + ";".join(f"{grade_name(g)}{'、'.join(names)}" for g, names in by_grade.items())


def _per_school(schools: list[dict], school_records: list[dict], grade_records: list[dict],
                min_size: int) -> dict[str, dict]:
    """Return {school code: the school with its n, small groups, whether it is small, and the
    mean over its subjects of each figure}."""
    per_school: dict[str, dict] = {}
    for s in schools:
        # 等级 subjects (音乐、美术、体育) have no mean or rates: they stay out of a school's figures.
        mine = [r for r in school_records if r["school_code"] == s["code"] and r["n"] and r["grades"] is None]
        grades_mine = [r for r in grade_records if r["school_code"] == s["code"] and r["n"] and r["grades"] is None]
        small_groups = sum(r["small_sample"] for r in grades_mine)
        n = max([r["n"] for r in mine] or [0])
        mean = (lambda key: sum(r[key] for r in mine) / len(mine) if mine else None)  # noqa: E731
        per_school[s["code"]] = {
            **s, "n": n, "small_groups": small_groups,
            "groups": len(grades_mine), "small": bool(mine) and (n < min_size or 2 * small_groups >= len(grades_mine)),
            "mean_pct": mean("mean_pct"), "pass_rate": mean("pass_rate"), "excellent_rate": mean("excellent_rate"),
            "low_rate": mean("low_rate"), "composite": mean("composite"), "has_data": bool(mine)}
    return per_school


def _findings(exam: dict, baseline: dict | None, gains: list[dict], gain_note: str, ordered: list[dict],
              per_school: dict[str, dict], group_names: list[str], ranked: bool, mode: str, min_size: int,
              status: list[dict], central: list[dict], central_preset: Preset) -> list[str]:
    """Return the 主要发现 of the township report: progress first, then each group's leader, small
    schools, missing data and the 中心小学 score."""
    items: list[str] = []
    if gains:
        items += findings.progress_findings([dict(r, label=r["name"], small_sample=r["small"]) for r in ordered
                                             if r["progress"] is not None], "label", baseline["name"])
    elif gain_note:
        items.append(gain_note)
    for g, name in enumerate(group_names):
        leaders = [r for r in per_school.values() if r["group"] == g and r["rank"]]
        if len(leaders) > 1:
            best = min(leaders, key=lambda r: r["rank"])
            items.append(f"{name}组按三率一分综合分,{best['name']}居首({best['composite']:.1f});"
                         "综合分只作参考,评价学校先看进步。")
    if not ranked:
        items.append(f"{rank_refusal(exam) or COMPARISONS[mode]}:各校数字只与自己的过去比较。")
    small = [r for r in per_school.values() if r["small"]]
    if small:
        items.append("、".join(f"{r['name']}(参考 {r['n']} 人,{r['small_groups']}/{r['groups']} 个年级学科组少于 "
                              f"{min_size} 人)" for r in small) + " 为小规模学校(样本过小),列出数字,但不参加进步值和综合分排名。")
    missing = [r for r in status if r["no_marks"] or r["missing"]]
    if missing:
        items.append("数据不完整的学校:" + ";".join(f"{r['name']}({_missing_text(r)})" for r in missing) + "。")
    else:
        items.append("全乡各校本次考试的成绩都已收齐。")
    if central:
        c = central[0]
        items.append(f"中心小学本次考试综合分 {c['score']:.1f} = 校本部 {c['central_score']:.1f} × "
                     f"{central_preset['weights']['central']:g} + 村级学校平均 "
                     f"{(c['village_mean'] or 0):.1f} × {central_preset['weights']['villages']:g}"
                     f"({c['villages']} 所村级学校;只是本次考试的三率一分,不是年度绩效考核的中心小学得分)。")
    return items


def _status_tables(db: Database, exam: dict, schools: list[dict], status: list[dict],
                   school_records: list[dict]) -> tuple[Table, Table | None]:
    """Return the 各校数据情况 table (名册, 有成绩, 缺考 of each school's largest subject) and the
    table of pupils on the rosters without marks (None when every pupil has marks)."""
    counted: dict[str, list[dict]] = defaultdict(list)
    for r in school_records:
        counted[r["school_code"]].append(r)
    status_rows = [[r["name"], r["type"], *(max([x[k] for x in counted[r["code"]]] or [0])
                                             for k in ("n_roster", "n_sat", "n_absent")),
                    "、".join(grade_name(g) for g in r["grades"]), _missing_text(r)] for r in status]
    status_table = Table("各校数据情况", [Column("学校"), Column("类型"), figure_column("n_roster"), figure_column("n_sat"),
                                      figure_column("n_absent"), Column("有成绩的年级", "para"), Column("数据情况", "para")],
                         status_rows, sheet="数据情况",
                         note="名册、有成绩、缺考为人数最多的学科的人数(各学科考的年级不同)。",
                         muted={i for i, r in enumerate(status) if r["no_marks"]})
    without = pupils_without_marks(db, exam, school_ids=[s["id"] for s in schools])
    without_table = Table("名册上有、没有成绩的学生(按班级)", [
        Column("学校"), Column("班级"), figure_column("n_missing", "人数"), Column("学生(缺哪些科)", "para")],
        [[c["school_name"], c["class_name"], len(c["pupils"]), "、".join(
            f"{p['name']}({'、'.join(p['subjects'])})" for p in c["pupils"])] for c in without],
        sheet="没有成绩的学生",
        note="考试当天在班、未免考的学生;按应考人数统计时计为缺考 0 分,不能因为没有上表而不计。")
    return status_table, without_table if without else None


def _progress_block(ordered: list[dict], gains_by_school: dict[str, list[dict]], main: list[dict],
                    group_names: list[str], ranked: bool, gain_note: str, baseline: dict | None,
                    preset: Preset) -> list:
    """Return the 各校进步值 block: each school's 进步值 per main subject (无基线 where the baseline
    lacks it), their mean and, when the exam is ranked, the rank in its group; or why there is none."""
    progress_columns = [Column("组别"), Column("学校"), Column("匹配人数", "int")] + [
        Column(f"{s['name']}进步值", "signed") for s in main] + [Column("各科平均进步值", "signed")] + (
        [figure_column("rank", "组内名次")] if ranked else []) + [Column("备注")]
    progress_rows: list[list] = []
    muted: set[int] = set()
    for r in ordered:
        subject_gains = {p["subject_code"]: p["progress"] for p in gains_by_school.get(r["code"], [])
                         if not p.get("no_baseline")}
        if r["small"]:
            muted.add(len(progress_rows))
        progress_rows.append([group_names[r["group"]] if r["group"] < len(group_names) else "其他", r["name"],
                              r["matched"], *[subject_gains.get(s["code"], NO_BASELINE) for s in main], r["progress"],
                              *([r["progress_rank"]] if ranked else []),
                              "小规模,不排名" if r["small"] else (NO_BASELINE if r["progress"] is None else "")])
    progress_block: list = []
    if gain_note or baseline is None:
        progress_block.append(Text(gain_note or "没有基线考试,无法计算进步值。", "warning"))
    else:
        progress_block += [
            Text(f"基线考试:{baseline['name']}({baseline['term_name']})。各校与自己同一批学生的上次成绩相比,"
                 f"不做学校之间的横向结果对比({cite(preset, '篇5')})。"),
            Table("各校进步值", progress_columns, progress_rows, sheet="各校进步值", muted=muted,
                  breaks={i for i in range(1, len(progress_rows)) if progress_rows[i][0] != progress_rows[i - 1][0]},
                  note="进步值按学校全部年级合计;各科平均进步值为学校各学科进步值的平均;"
                       + ("名次在组内排列。" if ranked else "不排名。")),
            Chart([charts.signed_bars("各校各科平均进步值", [r["name"] for r in ordered if r["progress"] is not None],
                                      [r["progress"] for r in ordered if r["progress"] is not None], width=PAGE_WIDTH,
                                      muted=[r["small"] for r in ordered if r["progress"] is not None])],
                  "绿色为进步,红色为退步,灰色为小规模学校(不排名)")]
    return progress_block


def _raw_table(exam: dict, raw_ordered: list[dict], group_names: list[str], ranked: bool, mode: str) -> Table:
    """Return the table of each school's 三率一分 (the mean over its subjects), with the group ranks
    when the exam is ranked."""
    raw_rows: list[list] = []
    raw_muted: set[int] = set()
    for r in raw_ordered:
        if r["small"] or not r["has_data"]:
            raw_muted.add(len(raw_rows))
        raw_rows.append([group_names[r["group"]] if r["group"] < len(group_names) else "其他", r["name"], r["type"],
                         r["n"], r["mean_pct"], r["pass_rate"], r["excellent_rate"], r["low_rate"], r["composite"],
                         *([r["rank"], r.get("rank_of") if r["rank"] else None] if ranked else []),
                         "没有成绩" if not r["has_data"] else "小规模,不排名" if r["small"] else ""])
    return Table("各校三率一分(各学科平均)" + ("与组内排名" if ranked else ""), [
        Column("组别"), Column("学校"), Column("类型"), figure_column("n"), figure_column("mean_pct", "平均得分率"),
        figure_column("pass_rate"), figure_column("excellent_rate"), figure_column("low_rate"),
        figure_column("composite"),
        *([figure_column("rank", "组内名次"), figure_column("rank_of", "参评校数")] if ranked else []), Column("备注")], raw_rows,
        sheet="各校三率一分", muted=raw_muted,
        breaks={i for i in range(1, len(raw_rows)) if raw_rows[i][0] != raw_rows[i - 1][0]},
        note="各项为学校各学科(全部年级合计)数值的平均;各校年级构成不同,"
             + ("排名只作参考。" if ranked else f"本次不排名({rank_refusal(exam) or COMPARISONS[mode]})。"))


def _central_block(central: list[dict], central_note: str, per_school: dict[str, dict],
                   central_preset: Preset, preset: Preset) -> list:
    """Return the table of the central school's exam composite weighted 校本部 / 村级学校 by the 篇20
    preset (cited by the name in the quality `preset`), labelled as what it is — this exam's 三率一分,
    not 篇20's annual 中心小学得分 — or a note saying why there is none."""
    central_block: list = []
    if central:
        c = central[0]
        central_block.append(Table("中心小学本次考试综合分", [
            Column("中心校本部"), Column("校本部综合分", "num"), Column("村级学校数", "int"), Column("村级学校平均综合分", "num"),
            Column("中心小学综合分", "num")], [[per_school[c["central_school_code"]]["name"], c["central_score"],
                                           c["villages"], c["village_mean"], c["score"]]], sheet="中心小学综合分",
            note=f"按{cite(preset, '篇20')}中心小学得分的比例合成:校本部 × {central_preset['weights']['central']:g} + "
                 f"辖区村级学校平均 × {central_preset['weights']['villages']:g};该方案的比例用于年度绩效考核得分,"
                 "此处只借用同一比例合成本次考试的三率一分综合分,不是年度的中心小学得分。村级学校平均含小规模学校。"))
    else:
        central_block.append(Text(central_note or "没有中心校本部的成绩,无法合成中心小学本次考试综合分。", "note"))
    return central_block


def _detail_tables(exam: dict, school_records: list[dict], raw_ordered: list[dict],
                   town: list[dict]) -> tuple[list[Table], Table]:
    """Return the wide tables of each school's subjects (平均分, 及格率, 优秀率) and the table of the
    township's grades and subjects."""
    subjects = exam["subjects"]
    figures = {(x["school_code"], x["subject_code"]): x for x in school_records}
    wide = [Table(f"各校各学科{label}", [Column("学校")] + [Column(s["name"], kind) for s in subjects],
                  [[r["name"], *[figures[(r["code"], s["code"])][key] if (r["code"], s["code"]) in figures else None
                                 for s in subjects]] for r in raw_ordered], sheet=f"各校各学科{label}")
            for label, key, kind in (("平均分", "mean", "num"), ("及格率", "pass_rate", "pct"),
                                     ("优秀率", "excellent_rate", "pct"))]
    town_rows = [[grade_name(r["grade"]), r["subject"], r["n"], r["mean"], r["sd"], r["pass_rate"], r["excellent_rate"],
                  r["low_rate"], r["composite"], *r["bands"][5:]] for r in town]
    town_table = Table("全乡各年级各学科三率一分", [
        Column("年级"), Column("学科"), figure_column("n"), figure_column("mean"), figure_column("sd"),
        figure_column("pass_rate"), figure_column("excellent_rate"), figure_column("low_rate"),
        figure_column("composite"),
        Column("50-59%", "int"), Column("60-69%", "int"), Column("70-79%", "int"), Column("80-89%", "int"),
        Column("90-100%", "int")], town_rows, sheet="全乡各年级",
        breaks={i for i in range(1, len(town_rows)) if town_rows[i][0] != town_rows[i - 1][0]})
    return wide, town_table


def build(db: Database, exam_id: str, *, township_code: str | None = None, baseline_id: str | None = None,
          made: dt.datetime | None = None, progress: Progress | None = None,
          cancelled: CancelCheck | None = None) -> Report:
    """Return the township summary of an exam. Raises NotFound (exam, baseline), ValidationError (no
    township chosen, no marks in the township), Cancelled."""
    exam = get_exam(db, exam_id)
    township = find_township(db, township_code)
    preset = active_preset(db, "quality")
    central_preset = active_preset(db, "central_school")
    min_size = int(preset["min_group_size"])
    schools = [dict(r) for r in db.query(
        "SELECT id, code, name, type FROM school WHERE township_id = ? ORDER BY"
        " CASE type WHEN '中心校本部' THEN 0 WHEN '完小' THEN 1 ELSE 2 END, code", [township["id"]])]
    if progress:
        progress(0.05, "正在统计各校三率一分")
    # Only the township's schools are read: the report ranks them itself, among themselves.
    levels = group_stats_of_schools(db, exam_id, [s["id"] for s in schools], ("grade", "school", "township"),
                                    preset=preset)
    codes = {s["code"] for s in schools}
    grade_records = [r for r in levels["grade"] if r["school_code"] in codes]
    school_records = [r for r in levels["school"] if r["school_code"] in codes]
    if not school_records:
        raise invalid(f"{township['name']}在“{exam['name']}”中没有任何成绩。", "exam")
    town = [r for r in levels["township"] if r["township_code"] == township["code"] and r["grade"] is not None
            and r["grades"] is None]
    status = data_status(db, exam, schools, grade_records)
    check(cancelled)
    if progress:
        progress(0.2, "正在计算各校进步值")
    baseline = resolve_baseline(db, exam, baseline_id)
    gains, gain_note = progress_or_note(db, exam, baseline, "school", preset, township_id=township["id"])
    labels, lines = trend(db, exam, preset, levels, township_code=township["code"])
    check(cancelled)

    groups = comparison_groups(preset)
    group_names = ["、".join("校本部" if k == "中心校本部" else k for k in kinds) for kinds in groups]
    mode = comparison(preset)
    ranked = mode != "none" and exam_may_rank(exam)
    per_school = _per_school(schools, school_records, grade_records, min_size)
    gains_by_school: dict[str, list[dict]] = defaultdict(list)
    for p in gains:
        gains_by_school[p["school_code"]].append(p)
    for code, row in per_school.items():
        mine = [p for p in gains_by_school.get(code, []) if p["progress"] is not None]
        row["progress"] = sum(p["progress"] for p in mine) / len(mine) if mine else None
        row["matched"] = max([p["n"] for p in mine] or [0])
    rank_schools(exam, list(per_school.values()), "progress", preset, rank_key="progress_rank")
    rank_schools(exam, list(per_school.values()), "composite", preset)
    scored = {c: r["composite"] for c, r in per_school.items() if r["composite"] is not None}
    try:
        central = [c for c in central_school_scores(db, scored, preset=central_preset)
                   if c["township_code"] == township["code"]]
    except ValidationError as exc:  # no central school with marks in this township
        central, central_note = [], str(exc)
    else:
        central_note = ""

    main = [s for s in exam["subjects"] if s["is_main"]] or exam["subjects"][:3]
    ordered = sorted(per_school.values(), key=lambda r: (r["group"], r["progress_rank"] or 999, r["code"]))
    items = _findings(exam, baseline, gains, gain_note, ordered, per_school, group_names, ranked, mode, min_size,
                      status, central, central_preset)

    status_table, without_table = _status_tables(db, exam, schools, status, school_records)
    progress_block = _progress_block(ordered, gains_by_school, main, group_names, ranked, gain_note, baseline,
                                     preset)
    raw_ordered = sorted(per_school.values(), key=lambda r: (r["group"], r["rank"] or 999, r["code"]))
    raw_table = _raw_table(exam, raw_ordered, group_names, ranked, mode)
    central_block = _central_block(central, central_note, per_school, central_preset, preset)
    targets = target_results(db, exam_id, school_ids=[s["id"] for s in schools],
                             baseline_id=baseline["id"] if baseline else None)
    missed = [t for t in targets if t["status"] == "未完成"]
    if targets:
        central_block.append(target_table(missed, "未完成的质量目标", with_school=True) if missed
                             else Text("各校本次考试的质量目标均已完成。"))
    wide, town_table = _detail_tables(exam, school_records, raw_ordered, town)
    trend_block: list = []
    if len(labels) > 1:
        trend_block.append(Chart([charts.trend_lines("全乡主科平均分(占满分的百分比)", labels, lines, width=PAGE_WIDTH)],
                                 "历次考试全乡主科平均分走势(各次考试年级构成不同,仅看大势)"))
    sections = [
        Section("一、主要发现", [Findings(items)]),
        Section("二、数据收齐情况", [status_table, without_table] if without_table else
                [status_table, Text("各校名册上的学生都有成绩。", "note")]),
        Section("三、各校进步(先看进步)", progress_block),
        Section("四、各校三率一分" + ("与排名" if ranked else "") + "(其次看结果)", [raw_table, *central_block]),
        Section("五、各校各学科明细", wide, landscape=True),
        Section("六、全乡各年级各学科", [town_table, *trend_block]),
        care_group_section("七、留守儿童、寄宿生、随迁子女、残疾学生的成绩(全乡)",
                           care_group_results(db, exam_id, school_ids=[s["id"] for s in schools], preset=preset),
                           min_size),
    ]
    basis = [("乡镇", f"{township['name']}({township['code']})"), ("考试", exam["name"]), ("时间与类型", exam_when(exam)),
             ("统计口径", policy_text(exam["policy"])), ("分数线", cutoff_text(exam)),
             ("基线考试", f"{baseline['name']}({baseline['term_name']})" if baseline else "无"),
             ("学校比较", rank_refusal(exam) or f"{COMPARISONS[mode]}"
              + (f":{' / '.join(group_names)}" if mode == "groups" else "")),
             ("评分方案", f"{display_name(preset.name)};{display_name(central_preset.name)}"),
             ("最小样本", f"{min_size} 人;参考人数少于此数、或半数以上年级学科组少于此数的学校为小规模学校")]
    stamp = make_stamp(db, [exam_id] + ([baseline["id"]] if baseline else []), [preset, central_preset],
                       made=made, school_ids=[r[0] for r in db.execute("SELECT id FROM school WHERE township_id = ?",
                                                                       [township["id"]])])
    if without_table is not None:  # pupils named: the footer says so
        stamp = replace(stamp, personal=PERSONAL_NOTE)
    basis.append(("数据校验", stamp.data_hash))
    title = "教学质量汇总报告"
    return Report(kind="township", title=title, subtitle=f"{township['name']} · {exam['name']}",
                  header=f"{township['name']} · {exam['name']}", stamp=stamp, sections=sections, basis=basis,
                  file_title=f"{township['name']}{exam['name']}{title}")
