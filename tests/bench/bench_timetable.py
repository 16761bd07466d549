"""Timetable checker and teacher workload speed on the county demo (~200 schools, ~1,300 classes,
~38,000 placed lessons). Target: each under 2 s.

Run: .venv/bin/python -m pytest -q -s tests/bench/bench_timetable.py

Prints best and median wall time of several runs for: reading the term's timetable into memory,
the whole compliance check (every rule, every school), the workload of every teacher; and beside
them a peer measured in the same run: one SQL query finding the same-school teacher clashes
(a single rule done by SQLite alone), so the ratio shows what the thirteen rules cost on top.
Figures are printed, not asserted; the checker's same-school clashes are checked equal to the
query's.
"""
from __future__ import annotations

import statistics
import time

from app.db.database import open_database
from app.timetable.check import check_timetable
from app.timetable.model import load_timetable
from app.workload.compute import teacher_workloads

RUNS = 5
CLASH_SQL = ("SELECT COUNT(*) FROM (SELECT a.teacher_id FROM timetable_slot a JOIN timetable_slot b"
             " ON b.teacher_id = a.teacher_id AND b.term_id = a.term_id AND b.day = a.day AND b.slot = a.slot"
             " AND b.school_id = a.school_id AND b.class_id > a.class_id"
             " JOIN timetable_period p ON p.school_id = a.school_id AND p.term_id = a.term_id AND p.slot = a.slot"
             " WHERE a.term_id = ? AND p.kind = 'lesson' AND a.subject_id IS NOT NULL AND b.subject_id IS NOT NULL"
             " AND NOT (a.room IS NOT NULL AND a.room = b.room))")


def _timed(run) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def test_checker_and_workload_on_the_county(county_demo):
    db = open_database(county_demo)
    try:
        term = dict(next(iter(db.query("SELECT t.* FROM term t JOIN meta m ON m.value = t.code"
                                       " WHERE m.key = 'current_term'"))))
        load_best, load_median, data = _timed(lambda: load_timetable(db, term))
        check_best, check_median, result = _timed(lambda: check_timetable(db, term=term))
        work_best, work_median, loads = _timed(lambda: teacher_workloads(db, term=term))
        sql_best, sql_median, sql_clashes = _timed(lambda: db.execute(CLASH_SQL, [term["id"]]).fetchone()[0])
    finally:
        db.close()
    same_school = sum(1 for f in result.findings if f.rule == "teacher_clash"
                      and f.related[0]["school_id"] == f.school_id)
    print(f"\n县级演示:{len(data.schools)} 所学校,{len(data.classes)} 个班,{len(data.teachers)} 位教师,"
          f"{len(data.slots)} 节课;检查发现 {len(result.findings)} 条(错误 {len(result.errors())} 条)")
    print(f"  读入课表        最快 {load_best:6.3f} s  中位 {load_median:6.3f} s")
    print(f"  课表合规检查    最快 {check_best:6.3f} s  中位 {check_median:6.3f} s  (目标 < 2 s)")
    print(f"  全部教师工作量  最快 {work_best:6.3f} s  中位 {work_median:6.3f} s  ({len(loads.teachers)} 人,目标 < 2 s)")
    print(f"  对照:SQL 查同校教师冲突 最快 {sql_best:6.3f} s  中位 {sql_median:6.3f} s;"
          f"全部规则 / 单条 SQL = {check_best / max(sql_best, 1e-6):.1f} 倍")
    assert same_school == sql_clashes
