"""自动排课 on small townships with known answers, and on the demo township.

The small township: a central school whose music and art teacher 韦建国 travels (走教) to three
teaching points, each with one grade-1 class and its own teacher for everything else; he can only
teach on Thursday and Friday, and the points are 20 minutes apart, so his week (2 + 2 lessons at
each point, each subject at most once a day) fits only as three two-lesson visits a day, moving
at 大课间 and at lunch. A fifth site is a teaching point with one teacher and one 复式 class
(grades 1 and 2).
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM, insert_row
from app.services import schools
from app.services.classes import create_class
from app.services.setup import init_township
from app.services.teachers import add_teacher
from app.timetable.check import check_timetable
from app.timetable.edit import ensure_day_plan, set_travel_time, set_unavailable
from app.timetable.generate import generate, save_generated
from app.timetable.model import term_by_code
from app.timetable.plans import copy_preset, set_hours

ROOT = Path(__file__).resolve().parents[2]
# The default day plan: slot → (start, end) in minutes; 大课间 after slot 3, lunch after slot 6.
TIMES = {2: (500, 540), 3: (550, 590), 5: (630, 670), 6: (680, 720), 8: (840, 880), 9: (890, 930)}
LESSONS = sorted(TIMES)
LOCAL = {"yw": 8, "sx": 4, "df": 2, "kx": 1, "ty": 4, "ld": 1, "zh": 1, "xbkc": 1}  # grade 1: 22 of 26


@pytest.fixture(scope="module")
def town_template(tmp_path_factory):
    """The small township, built through the services once per module."""
    path = tmp_path_factory.mktemp("gen") / "town.sqlite"
    db = init_township(path, code="XTZ", name="小塘镇", passphrase="demo", demo=True, today=dt.date(2026, 11, 16))
    township = db.execute("SELECT id FROM township").fetchone()[0]
    ids = {}
    for code, name, kind in (("XTZ01", "小塘镇中心小学", "中心校本部"), ("XTZ02", "柳湾教学点", "教学点"),
                             ("XTZ03", "石门教学点", "教学点"), ("XTZ04", "竹林教学点", "教学点"),
                             ("XTZ05", "高山教学点", "教学点")):
        ids[code] = schools.create_school(db, SYSTEM, code=code, name=name, type=kind, township_id=township)
        ensure_day_plan(db, SYSTEM, ids[code])
    for a, b in (("XTZ02", "XTZ03"), ("XTZ02", "XTZ04"), ("XTZ03", "XTZ04")):
        set_travel_time(db, SYSTEM, ids[a], ids[b], 20)
    term = schools.current_term(db)
    subject = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM subject")}
    wei = add_teacher(db, SYSTEM, ids["XTZ01"], {"staff_no": "A01", "name": "韦建国", "gender": "男",
                                                "subjects": "音乐、美术", "sites": "XTZ02、XTZ03、XTZ04"})
    for day in (1, 2, 3):
        set_unavailable(db, SYSTEM, teacher_id=wei, day=day, reason="中心校教研")

    def assign(school: str, class_id: str, teacher: str, periods: dict) -> None:
        for code, n in periods.items():
            insert_row(db, SYSTEM, "teaching_assignment", {
                "school_id": ids[school], "term_id": term["id"], "teacher_id": teacher, "class_id": class_id,
                "subject_id": subject[code], "weekly_periods": n})

    for number, (code, name) in enumerate((("XTZ02", "柳青"), ("XTZ03", "石磊"), ("XTZ04", "竹梅")), start=2):
        local = add_teacher(db, SYSTEM, ids[code], {"staff_no": f"B0{number}", "name": name, "gender": "女",
                                                    "subjects": "语文、数学、道德与法治、科学、体育"})
        cls = create_class(db, SYSTEM, school_id=ids[code], academic_year_id=term["academic_year_id"], grades=[1],
                           number=1)
        assign(code, cls, local, LOCAL)
        assign(code, cls, wei, {"yl": 2, "ms": 2})
    alone = add_teacher(db, SYSTEM, ids["XTZ05"], {"staff_no": "E01", "name": "高秀兰", "gender": "女",
                                                  "subjects": "语文、数学、道德与法治、科学、体育、音乐、美术"})
    mixed = create_class(db, SYSTEM, school_id=ids["XTZ05"], academic_year_id=term["academic_year_id"], grades=[1, 2],
                         number=1)
    assign("XTZ05", mixed, alone, {**LOCAL, "yl": 2, "ms": 2})
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def town(town_template, tmp_path):
    path = tmp_path / "town.sqlite"
    shutil.copy(town_template, path)
    db = open_database(path)
    yield db
    db.close()


def _ids(db, table: str, column: str = "code") -> dict:
    return {r[column]: r["id"] for r in db.query(f"SELECT id, {column} FROM {table}")}


def test_one_teacher_teaching_point_with_two_grades_in_one_class(town):
    school = _ids(town, "school")["XTZ05"]
    result = generate(town, [school], term_by_code(town, None), time_limit=60, seed=3, improve=False)
    assert result.ok(), result.explanation
    lessons = result.lessons
    teacher = town.execute("SELECT id FROM teacher WHERE name = '高秀兰'").fetchone()[0]
    assert len(lessons) == 26 and {s.teacher_id for s in lessons} == {teacher}
    count = defaultdict(int)
    for s in lessons:
        count[s.subject] += 1
    assert dict(count) == {**LOCAL, "yl": 2, "ms": 2}
    for day in range(1, 6):
        taken = sorted(LESSONS.index(s.slot) for s in lessons if s.day == day)
        assert taken == list(range(taken[0], taken[0] + len(taken))), f"星期{day}的课之间不应有空节:{taken}"
        per_subject = defaultdict(int)
        for s in lessons:
            if s.day == day:
                per_subject[s.subject] += 1
        assert max(per_subject.values()) <= 2 and all(n == 1 for c, n in per_subject.items() if c not in ("yw", "sx"))
    # 26 lessons in 5 days of 6: four days of 5 and one of 6, or three of 5 ... never more than 6 a day
    assert sorted(sum(1 for s in lessons if s.day == d) for d in range(1, 6))[-1] == 6


def test_events_and_unavailability_set_on_the_command_line_are_kept(town, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    path = str(Path(town.conn.execute("PRAGMA database_list").fetchone()[2]))
    for args in (["event", path, "--school", "XTZ05", "--day", "1", "--slot", "2", "--label", "升旗"],
                 ["event", path, "--school", "XTZ05", "--day", "5", "--slot", "9", "--label", "班会",
                  "--subject", "综合实践活动"],
                 ["unavailable", path, "--teacher", "E01", "--day", "3", "--slot", "8", "--reason", "送教"]):
        assert main(["timetable", *args]) == 0, capsys.readouterr()
    assert main(["timetable", "event", path, "--school", "XTZ05", "--day", "1", "--slot", "4", "--label", "集会"]) == 2
    assert "不是上课时段" in capsys.readouterr().err
    school = _ids(town, "school")["XTZ05"]
    result = generate(town, [school], term_by_code(town, None), time_limit=60, seed=5, improve=False)
    assert result.ok(), result.explanation
    cells = {(s.day, s.slot): s.subject for s in result.lessons}
    assert (1, 2) not in cells and cells[(5, 9)] == "zh" and (3, 8) not in cells
    monday = sorted(LESSONS.index(s) for d, s in cells if d == 1)  # 升旗 takes slot 2: no gap across the rest
    assert monday == list(range(monday[0], monday[0] + len(monday))) and monday[0] >= 1


def test_itinerant_teacher_across_three_sites_fits_only_with_the_travel_time(town):
    term = term_by_code(town, None)
    school = _ids(town, "school")
    everything = [school[c] for c in ("XTZ01", "XTZ02", "XTZ03", "XTZ04")]
    result = generate(town, everything, term, time_limit=60, seed=1, improve=False)
    assert result.ok(), result.explanation
    wei = town.execute("SELECT id FROM teacher WHERE name = '韦建国'").fetchone()[0]
    mine = sorted((s.day, TIMES[s.slot], s.school_id, s.subject) for s in result.lessons if s.teacher_id == wei)
    assert len(mine) == 12 and {d for d, *_ in mine} == {4, 5}
    for day in (4, 5):
        today = [m for m in mine if m[0] == day]
        assert [t for _, t, _, _ in today] == [TIMES[s] for s in LESSONS]  # all six lessons of the day
        assert len({s for _, _, s, _ in today}) == 3  # three sites a day, two lessons at each
        for (_, (_, end), a, _), (_, (start, _), b, _) in zip(today, today[1:]):
            assert a == b or start - end >= 20
    assert save_generated(town, SYSTEM, result)["lessons"] == 3 * 26
    assert check_timetable(town).errors() == []
    # 50 minutes between the points: he could change site only at lunch, two sites a day: 8 < 12.
    for a, b in (("XTZ02", "XTZ03"), ("XTZ02", "XTZ04"), ("XTZ03", "XTZ04")):
        set_travel_time(town, SYSTEM, school[a], school[b], 50)
    refused = generate(town, everything, term, time_limit=30, seed=1)  # proven at once; the limit only guards a loaded machine
    assert not refused.ok() and refused.lessons is None
    text = "".join(refused.explanation)
    assert "韦建国" in text and "路程" in text


def test_improving_a_township_school_by_school_leaves_no_teacher_gap(town):
    # Whatever the days of 韦建国's visits, each point's own teacher can teach the rest of the class's day
    # without a gap: a visit at 5-6 leaves that class a four-lesson day (2-3 or 8-9 to its own teacher),
    # and the class's 26 lessons in 30 cells leave the four empty cells two such days need. So 0 gaps exist,
    # and each school alone can reach them with the others held.
    term = term_by_code(town, None)
    school = _ids(town, "school")
    everything = [school[c] for c in ("XTZ01", "XTZ02", "XTZ03", "XTZ04")]
    result = generate(town, everything, term, time_limit=8, seed=4)
    assert result.ok(), result.explanation
    assert result.metrics["teacher_gap"] == 0 and result.metrics["pupil_gap"] == 0
    wei = town.execute("SELECT id FROM teacher WHERE name = '韦建国'").fetchone()[0]
    assert {s.day for s in result.lessons if s.teacher_id == wei} == {4, 5}


def test_a_plan_one_period_too_large_is_named(demo_db):
    school = _ids(demo_db, "school")["QSZ01"]
    term = term_by_code(demo_db, None)
    copy_preset(demo_db, SYSTEM, school)
    item = demo_db.execute("SELECT id FROM curriculum_item WHERE school_id = ? AND name = '道德与法治'", [school]).fetchone()[0]
    set_hours(demo_db, SYSTEM, item, 3, "3")
    result = generate(demo_db, [school], term, time_limit=30)
    assert not result.ok()
    assert any("三(1)班“道德与法治”任课安排每周 2 节,少于课程计划的 3 节" in line for line in result.explanation)
    demo_db.execute("UPDATE teaching_assignment SET weekly_periods = 3 WHERE subject_id ="
                    " (SELECT id FROM subject WHERE code = 'df') AND class_id IN (SELECT class_id FROM class_grade"
                    " WHERE grade = 3) AND school_id = ?", [school])
    result = generate(demo_db, [school], term, time_limit=30)
    assert result.lessons is None
    assert any("三(1)班按课程计划和任课安排每周要上 31 节课,但作息时间每周只有 30 个上课时段(5 天 × 6 节)" in line
               for line in result.explanation), result.explanation


def test_demo_township_generated_timetable_passes_the_checker(demo_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db = open_database(demo_path)
    try:
        class_id, day, slot = db.execute("SELECT class_id, day, slot FROM timetable_slot LIMIT 1").fetchone()
        kept = db.execute("SELECT subject_id, teacher_id FROM timetable_slot WHERE class_id = ? AND day = ? AND slot = ?",
                          [class_id, day, slot]).fetchone()
        cls, school = db.execute("SELECT c.name, s.code FROM class c JOIN school s ON s.id = c.school_id"
                                 " WHERE c.id = ?", [class_id]).fetchone()
    finally:
        db.close()
    lock = ["timetable", "lock", str(demo_path), "--school", school, "--class", cls, "--day", str(day), "--slot", str(slot)]
    assert main(lock) == 0 and "已锁定" in capsys.readouterr().out
    assert main([*lock[:3], "--school", school, "--class", "九(9)班", *lock[7:]]) == 2
    assert "没有班级“九(9)班”" in capsys.readouterr().err
    db = open_database(demo_path)
    try:
        everything = [r[0] for r in db.execute("SELECT id FROM school")]
        result = generate(db, everything, term_by_code(db, None), time_limit=120, seed=2, improve=False)
        assert result.ok(), result.explanation
        assert result.metrics["pupil_gap"] == 0
        written = save_generated(db, SYSTEM, result)
        assert written["lessons"] == 881 and written["replaced"] == 881
        assert check_timetable(db).errors() == []
        assert db.execute("SELECT subject_id, teacher_id, locked FROM timetable_slot WHERE class_id = ? AND day = ?"
                          " AND slot = ?", [class_id, day, slot]).fetchone() == (*kept, 1)
        rows = db.execute("SELECT class_id, day, slot FROM timetable_slot").fetchall()
    finally:
        db.close()
    by_day = defaultdict(list)
    for cls, d, s in rows:
        by_day[(cls, d)].append(LESSONS.index(s))
    for positions in by_day.values():  # primary classes: no empty period between two lessons of a day
        assert sorted(positions) == list(range(min(positions), max(positions) + 1))
    # The command line on one teaching point: written in one transaction, every row audited.
    code = main(["timetable", "generate", str(demo_path), "--school", "QSZ04", "--time-limit", "3", "--seed", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "硬性违规 0 条" in out and "学生空节 0 节" in out and "已写入 56 节课" in out
    db = open_database(demo_path)
    try:
        assert check_timetable(db).errors() == []
        inserted = db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'timetable_slot' AND action = 'insert'"
                              ).fetchone()[0]
        assert inserted == 881 + 56
    finally:
        db.close()


def test_solver_imports_without_pandas_as_in_the_frozen_bundle(tmp_path):
    script = tmp_path / "no_pandas.py"
    script.write_text(
        "import sys\n"
        "sys.modules['pandas'] = None  # no pandas to import, as in the frozen bundle\n"
        "from app.timetable.solver.cpsat import cp_model\n"
        "m = cp_model.CpModel(); x = m.new_bool_var('x'); m.add(x == 1)\n"
        "s = cp_model.CpSolver(); print(s.status_name(s.solve(m)), sys.modules.get('pandas') is not None)\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["OPTIMAL", "False"], done.stderr


@pytest.mark.skipif(shutil.which("fet-cl") is None, reason="FET (fet-cl) is not installed: apt-get install fet")
def test_fet_file_solved_by_fet_cl_comes_back_as_a_checked_timetable(town, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    # FET counts travel in whole hours (a free hour between two sites here), so 韦建国's packed
    # Thursday and Friday do not fit FET; free on every day, his week does.
    wei = town.execute("SELECT id FROM teacher WHERE name = '韦建国'").fetchone()[0]
    for day in (1, 2, 3):
        set_unavailable(town, SYSTEM, teacher_id=wei, day=day, unavailable=False)
    path = Path(town.conn.execute("PRAGMA database_list").fetchone()[2])
    town.close()
    out = tmp_path / "小塘镇.fet"
    assert main(["timetable", "export-fet", str(path), "--township", "--out", str(out)]) == 0
    assert "104 个活动" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert text.count("<Activity>") == 4 * 26 and "ConstraintTeacherMinGapsBetweenBuildingChanges" in text
    done = subprocess.run(["fet-cl", f"--inputfile={out}", f"--outputdir={tmp_path / 'fet'}", "--timelimitseconds=60",
                           "--htmllevel=0"], capture_output=True, text=True, timeout=120)
    solved = tmp_path / "fet" / "timetables" / "小塘镇" / "小塘镇_data_and_timetable.fet"
    assert solved.is_file(), done.stdout + done.stderr
    assert main(["timetable", "import-fet", str(path), str(solved)]) == 0
    printed = capsys.readouterr().out
    assert "硬性违规 0 条" in printed and "已写入 104 节课" in printed
    db = open_database(path)
    try:
        assert check_timetable(db).errors() == []
        assert db.execute("SELECT COUNT(*) FROM timetable_slot WHERE teacher_id = ?", [wei]).fetchone()[0] == 12
    finally:
        db.close()
    broken = tmp_path / "其他学校.fet"
    broken.write_text(text.replace("schoolq-scope", "other"), encoding="utf-8")
    assert main(["timetable", "import-fet", str(path), str(broken)]) == 2
    assert "不是由 SchoolQ 导出的 FET 文件" in capsys.readouterr().err
