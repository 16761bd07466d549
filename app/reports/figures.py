"""Figures the reports gather from the statistics engine (app.stats), read once per report and
looked up by school, grade, class and subject. Nothing here computes a statistic of its own."""
from __future__ import annotations

from sqlite_utils import Database

from app.errors import ValidationError
from app.queries.history import earlier_exams, exam_label
from app.reports.common import resolve_baseline
from app.reports.model import Column, Section, Table, Text
from app.stats.groups import group_stats, kept_group_stats
from app.stats.presets import Preset
from app.stats.lists import borderline, struggling
from app.stats.progress import progress_values, value_added
from app.stats.pupils import pupil_results
from app.stats.vocabulary import SMALL_SAMPLE


def by_key(records: list[dict], *fields: str) -> dict[tuple, dict]:
    """Return {(record[f] for f in fields): record}."""
    return {tuple(r[f] for f in fields): r for r in records}


def township_reference(levels: dict[str, list[dict]], township_code: str | None) -> dict[tuple, dict]:
    """Return the township records of one township keyed by (grade, subject_code); grade None is
    the township with all grades pooled."""
    return by_key([r for r in levels["township"] if r["township_code"] == township_code], "grade", "subject_code")


def progress_or_note(db: Database, exam: dict, baseline: dict | None, level: str, preset: Preset,
                     **scope) -> tuple[list, str]:
    """Return (progress records of `level`, "") or ([], why there are none); `scope` (school_ids,
    township_id) narrows the groups read as in progress_values."""
    if baseline is None:
        return [], "没有更早的同类考试(同一批学生、同一范围)作基线,无法计算进步值和增值;可以指定基线考试。"
    try:
        return progress_values(db, exam["id"], baseline["id"], level, preset=preset, **scope), ""
    except ValidationError as exc:
        return [], str(exc)



def school_gains(db: Database, exam: dict, baseline_id: str | None, level: str, preset: Preset,
                 school_id: str) -> tuple[dict | None, list, str, list]:
    """Return one school's (baseline (resolve_baseline), progress records of `level`, "" or why there
    are none (progress_or_note), value-added records per class (none without progress)).
    Raises NotFound for an unknown `baseline_id`."""
    baseline = resolve_baseline(db, exam, baseline_id)
    mine = [school_id]
    gains, gain_note = progress_or_note(db, exam, baseline, level, preset, school_ids=mine)
    added = [] if gain_note else value_added(db, exam["id"], baseline["id"], "class", preset=preset, school_ids=mine)
    return baseline, gains, gain_note, added


def watch_lists(db: Database, exam: dict, baseline: dict | None, preset: Preset, *, school_id: str | None = None,
                class_id: str | None = None) -> tuple[list, list, list]:
    """Return (pupil results, borderline records in the main subjects, struggling pupils) of the
    school or the class, the pupils' results read once for both lists."""
    main_codes = {s["code"] for s in exam["subjects"] if s["is_main"]} or {s["code"] for s in exam["subjects"]}
    results = pupil_results(db, exam["id"], school_id=school_id, class_id=class_id, preset=preset)
    near = [r for r in borderline(db, exam["id"], school_id=school_id, class_id=class_id, preset=preset,
                                  results=results) if r["subject_code"] in main_codes]
    weak = struggling(db, exam["id"], baseline["id"] if baseline else None, school_id=school_id, class_id=class_id,
                      preset=preset, results=results)
    return results, near, weak

def trend(db: Database, exam: dict, preset: Preset, levels: dict[str, list[dict]], *,
          school_code: str | None = None,
          township_code: str | None = None) -> tuple[list[str], dict[str, list[float | None]]]:
    """Return (exam labels, {subject: mean as percent of full marks per exam}) over the earlier
    exams, for the main subjects of `exam`, of one school (all grades) or one township; `levels`
    are the figures of `exam` itself, already computed."""
    school_id, school_ids = None, None
    if school_code:
        row = db.execute("SELECT id FROM school WHERE code = ?", [school_code]).fetchone()
        school_id = row[0] if row else None
        school_ids = [school_id] if school_id else None
    elif township_code:  # a township's figures need its schools only
        school_ids = [r[0] for r in db.execute(
            "SELECT s.id FROM school s JOIN township t ON t.id = s.township_id WHERE t.code = ?", [township_code])]
    exams = earlier_exams(db, exam, school_id=school_id)
    subjects = [s for s in exam["subjects"] if s["is_main"]] or exam["subjects"][:3]
    series: dict[str, list[float | None]] = {s["name"]: [] for s in subjects}
    level = "school" if school_code else "township"
    for past in exams:
        figures = levels[level] if past["id"] == exam["id"] else _past_figures(db, past["id"], level, preset,
                                                                                 school_ids)
        records = [r for r in figures if r["grade"] is None and (
            r["school_code"] == school_code if school_code else r["township_code"] == township_code)]
        found = {r["subject_code"]: r for r in records}
        for s in subjects:
            r = found.get(s["code"])
            series[s["name"]].append(None if r is None or r["mean_pct"] is None else 100 * r["mean_pct"])
    return [exam_label(e) for e in exams], series


def _past_figures(db: Database, exam_id: str, level: str, preset: Preset, school_ids: list[str] | None) -> list[dict]:
    """Return an earlier exam's records of `level`: the kept figures of every school when a batch of
    reports has them (app.reports.all_schools), else only those of `school_ids` (no ranks needed)."""
    shared = kept_group_stats(db, exam_id, preset=preset)
    if shared is not None:
        return shared[level]
    return group_stats(db, exam_id, level, preset=preset, school_ids=school_ids)


def care_group_section(title: str, records: list[dict], min_size: int) -> Section:
    """Return the section of results by 留守儿童 / 寄宿 / 随迁子女 / 残疾 beside the other pupils
    (app.stats.care_groups): one row per subject and group; a group below `min_size` shows its n only."""
    columns = [Column("学科"), Column("群体"), Column("人数", "int"), Column("平均分", "num"), Column("及格率", "pct"),
               Column("优秀率", "pct"), Column("其他学生人数", "int"), Column("其他平均分", "num"),
               Column("其他及格率", "pct"), Column("平均分差", "signed"), Column("及格率差", "signed_pct"), Column("说明")]
    rows: list[list] = []
    muted: set[int] = set()
    for r in records:
        mine, rest = r["flagged"], r["others"]
        if mine["small_sample"] or rest["small_sample"]:
            muted.add(len(rows))
        rows.append([r["subject"], r["label"], mine["n"], mine["mean"], mine["pass_rate"], mine["excellent_rate"],
                     rest["n"], rest["mean"], rest["pass_rate"], r["mean_gap"], r["pass_gap"],
                     SMALL_SAMPLE if r["mean_gap"] is None else ""])
    note = (f"实考学生的成绩(缺考、免考不计);学生情况以学籍登记为准。人数少于 {min_size} 的群体只列人数,不列成绩,"
            "以免认出个人,也不作比较。")
    if not rows:
        return Section(title, [Text("这次考试没有可比较的学科。", "note")])
    return Section(title, [Table("各群体主科成绩与其他学生对比", columns, rows, sheet="群体对比", muted=muted, note=note)])
