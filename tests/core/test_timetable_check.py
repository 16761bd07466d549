"""The compliance checker reports exactly the violation planted, at the right place; a clean
timetable gives no findings. Teacher rules use a small two-site township built here; plan rules
use the demo township's central school, whose timetable follows the shipped plan."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM
from app.services import schools
from app.services.classes import create_class
from app.services.setup import init_township
from app.services.teachers import add_teacher
from app.timetable.check import RULES, check_timetable
from app.timetable.edit import day_plan, ensure_day_plan, preview_cell, set_cell, set_day_plan, set_travel_time

LESSONS = (2, 3, 5, 6, 8, 9)  # lesson slots of the default day plan: 08:20 09:10 | 10:30 11:20 | 14:00 14:50

# Two clean grade-1 timetables (26 periods each, by the shipped plan), one row per day.
GRID_A = [["yw", "sx", "yl", "ty", "df", None],
          ["yw", "yw", "sx", "ms", "ty", "zh"],
          ["yw", "sx", "ty", "kx", "df", None],
          ["yw", "yw", "ms", "yl", "ty", "ld"],
          ["yw", "sx", "yw", "xbkc", None, None]]
TEACHER_A = {"yw": "王一", "df": "王一", "ld": "王一", "zh": "王一", "xbkc": "王一", "sx": "李二", "ty": "赵三",
             "yl": "钱四", "ms": "钱四", "kx": "孙五"}
GRID_B = [["yw", "sx", "yw", "df", "yl", "ty"],
          ["yw", "sx", "ty", "kx", "ms", None],
          ["yw", "yw", "sx", "df", "yl", "ty"],
          ["yw", "sx", "ld", "zh", "ms", "ty"],
          ["yw", "yw", "xbkc", None, None, None]]
TEACHER_B = {code: "周六" for code in ("yw", "sx", "df", "kx", "ty", "ld", "zh", "xbkc")} | {"yl": "钱四", "ms": "钱四"}


class Town:
    """The small township: ids of its schools, classes, teachers and subjects."""

    def __init__(self, db):
        self.db = db
        self.subject = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM subject")}
        self.school = {r["code"]: r["id"] for r in db.query("SELECT id, code FROM school")}
        self.teacher = {r["name"]: r["id"] for r in db.query("SELECT id, name FROM teacher")}
        self.cls = {r["code"]: r["id"] for r in db.query(
            "SELECT c.id, s.code FROM class c JOIN school s ON s.id = c.school_id")}

    def put(self, school: str, day: int, slot: int, code: str | None, teacher: str | None) -> list:
        return set_cell(self.db, SYSTEM, class_id=self.cls[school], day=day, slot=slot,
                        subject_id=self.subject[code] if code else None,
                        teacher_id=self.teacher[teacher] if teacher else None)

    def findings(self, **kwargs) -> list:
        return check_timetable(self.db, **kwargs).findings


@pytest.fixture(scope="module")
def town_template(tmp_path_factory):
    """The small township, built once (through the services) and copied for each test."""
    path = tmp_path_factory.mktemp("town") / "town.sqlite"
    db = init_township(path, code="XTZ", name="小塘镇", passphrase="demo", demo=True, today=dt.date(2026, 11, 16))
    township_id = db.execute("SELECT id FROM township").fetchone()[0]
    a = schools.create_school(db, SYSTEM, code="XTZ01", name="小塘镇中心小学", type="中心校本部", township_id=township_id)
    b = schools.create_school(db, SYSTEM, code="XTZ02", name="柳湾教学点", type="教学点", township_id=township_id)
    for school_id in (a, b):
        ensure_day_plan(db, SYSTEM, school_id)
    for school_id, staff_no, name, subjects, sites in (
            (a, "A01", "王一", "语文、道德与法治", ""), (a, "A02", "李二", "数学", ""), (a, "A03", "赵三", "体育", ""),
            (a, "A04", "钱四", "音乐、美术", "XTZ02"), (a, "A05", "孙五", "科学", ""),
            (b, "B01", "周六", "语文、数学、道德与法治、科学、体育", "")):
        add_teacher(db, SYSTEM, school_id, {"staff_no": staff_no, "name": name, "gender": "女", "subjects": subjects,
                                            "sites": sites})
    year = schools.current_term(db)["academic_year_id"]
    create_class(db, SYSTEM, school_id=a, academic_year_id=year, grades=[1], number=1)
    create_class(db, SYSTEM, school_id=b, academic_year_id=year, grades=[1, 2], number=1)
    town = Town(db)
    for school, grid, teachers in (("XTZ01", GRID_A, TEACHER_A), ("XTZ02", GRID_B, TEACHER_B)):
        for day, row in enumerate(grid, start=1):
            for slot, code in zip(LESSONS, row):
                if code:
                    town.put(school, day, slot, code, teachers[code])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def town(town_template, tmp_path):
    target = tmp_path / "town.sqlite"
    shutil.copy(town_template, target)
    db = open_database(target)
    yield Town(db)
    db.close()


def where(finding) -> tuple:
    return finding.rule, finding.school_code, finding.class_name, finding.teacher, finding.day, finding.period


def test_clean_small_township_has_no_findings(town):
    assert town.findings() == []


def test_clash_across_sites_of_an_itinerant_teacher(town):
    # 钱四 teaches 一(1)班 at the central school on Monday 10:30; move the 教学点's Monday music to 10:30 too.
    town.put("XTZ02", 1, 5, "yl", "钱四")
    town.put("XTZ02", 1, 8, "yw", "周六")
    found = town.findings()
    assert [where(f) for f in found] == [("teacher_clash", "XTZ01", "一(1)班", "钱四", 1, 5)]
    assert found[0].severity == "error"
    assert (found[0].related[0]["school_code"], found[0].related[0]["class_name"], found[0].related[0]["period"]) == \
        ("XTZ02", "一二年级复式班", 5)
    assert "柳湾教学点" in found[0].message and "小塘镇中心小学" in found[0].message
    # The 教学点's own check sees the clash too, since it names one of its lessons.
    assert [f.rule for f in town.findings(school_id=town.school["XTZ02"])] == ["teacher_clash"]


def test_clash_in_one_school(town):
    # 赵三 teaches PE in 一(1)班 on Monday 11:20; a second class of the central school gets PE from him then too.
    year = schools.current_term(town.db)["academic_year_id"]
    other = create_class(town.db, SYSTEM, school_id=town.school["XTZ01"], academic_year_id=year, grades=[1], number=2)
    set_cell(town.db, SYSTEM, class_id=other, day=1, slot=6, subject_id=town.subject["ty"],
             teacher_id=town.teacher["赵三"])
    clashes = [f for f in town.findings() if f.rule == "teacher_clash"]
    assert [(f.school_code, f.teacher, f.day, f.period) for f in clashes] == [("XTZ01", "赵三", 1, 6)]
    assert {clashes[0].class_name, clashes[0].related[0]["class_name"]} == {"一(1)班", "一(2)班"}


def test_travel_gap_uses_default_or_configured_travel_time(town):
    # 钱四 leaves the central school at 11:10 (Monday 第3节) and is due at the 教学点 at 11:20.
    town.put("XTZ02", 1, 6, "yl", "钱四")
    town.put("XTZ02", 1, 8, "df", "周六")
    found = town.findings()
    assert [where(f) for f in found] == [("travel_gap", "XTZ02", "一二年级复式班", "钱四", 1, 6)]
    assert found[0].related[0]["school_code"] == "XTZ01" and found[0].related[0]["period"] == 5
    assert "10 分钟" in found[0].message and "30 分钟" in found[0].message
    assert town.findings(travel_minutes=10) == []
    set_travel_time(town.db, SYSTEM, town.school["XTZ02"], town.school["XTZ01"], 5)
    assert town.findings() == []
    set_travel_time(town.db, SYSTEM, town.school["XTZ01"], town.school["XTZ02"], 15)
    assert [f.rule for f in town.findings()] == ["travel_gap"]


def test_teacher_daily_max_follows_the_school_limit(town):
    schools.update_school(town.db, SYSTEM, town.school["XTZ01"], daily_max_periods=2)
    expected = set()
    for day, row in enumerate(GRID_A, start=1):
        per_teacher: dict[str, int] = {}
        for code in filter(None, row):
            per_teacher[TEACHER_A[code]] = per_teacher.get(TEACHER_A[code], 0) + 1
        expected |= {(name, day) for name, n in per_teacher.items() if n > 2 and name != "钱四"}
    # 钱四 belongs to the central school: his lessons at the 教学点 count towards his day as well.
    for day in range(1, 6):
        count = sum(1 for c in GRID_A[day - 1] if c in ("yl", "ms")) + sum(1 for c in GRID_B[day - 1] if c in ("yl", "ms"))
        if count > 2:
            expected.add(("钱四", day))
    found = town.findings()
    assert {f.rule for f in found} == {"teacher_daily_max"}
    assert {(f.teacher, f.day) for f in found} == expected == {("王一", 2), ("王一", 4), ("王一", 5), ("钱四", 4)}
    assert all(f.school_code == "XTZ01" and f.severity == "warning" for f in found)


def test_lesson_in_self_study_time(town):
    plan = day_plan(town.db, town.school["XTZ01"])
    set_day_plan(town.db, SYSTEM, town.school["XTZ01"],
                 [{**p, "start": p["start_time"]} for p in plan]
                 + [{"slot": 11, "label": "晚自习", "kind": "自习", "start": "16:20", "minutes": 40}])
    town.put("XTZ01", 3, 11, "sx", "李二")
    assert [where(f) for f in town.findings()] == [("selfstudy_teaching", "XTZ01", "一(1)班", "李二", 3, 11)]


def test_lesson_without_teacher(town):
    town.put("XTZ01", 2, 3, "yw", None)
    found = town.findings()
    assert [where(f) for f in found] == [("class_without_teacher", "XTZ01", "一(1)班", None, 2, 3)]
    assert "语文" in found[0].message


def test_teacher_not_qualified_is_a_warning_once_per_class_and_subject(town):
    town.put("XTZ01", 3, 6, "kx", "李二")   # 李二 teaches 数学 only
    found = town.findings()
    assert [where(f) for f in found] == [("teacher_not_qualified", "XTZ01", "一(1)班", "李二", 3, 6)]
    assert found[0].severity == "warning" and "科学" in found[0].message


def test_set_cell_returns_the_clash_it_causes(town):
    shown = town.put("XTZ02", 1, 5, "yl", "钱四")
    assert "teacher_clash" in {f.rule for f in shown}


def test_preview_shows_the_clash_before_anything_is_written(town):
    before = town.db.execute("SELECT COUNT(*), MAX(updated_at) FROM timetable_slot").fetchone()
    shown = preview_cell(town.db, class_id=town.cls["XTZ02"], day=1, slot=5, subject_id=town.subject["yl"],
                         teacher_id=town.teacher["钱四"])
    assert [(f.rule, f.school_code, f.period) for f in shown] == [("teacher_clash", "XTZ01", 5)]
    assert preview_cell(town.db, class_id=town.cls["XTZ02"], day=5, slot=9, subject_id=town.subject["yl"],
                        teacher_id=town.teacher["钱四"]) == []
    assert town.db.execute("SELECT COUNT(*), MAX(updated_at) FROM timetable_slot").fetchone() == before


def test_set_cell_refuses_a_teacher_of_another_school(town):
    from app.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        town.put("XTZ02", 5, 9, "sx", "李二")
    assert "走教" in str(caught.value)


# --- plan rules on the demo's central school -----------------------------------------------------

def _central(db):
    return db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]


def _class(db, name):
    return db.execute("SELECT c.id FROM class c JOIN school s ON s.id = c.school_id JOIN academic_year y"
                      " ON y.id = c.academic_year_id WHERE s.code = 'QSZ01' AND y.code = '2026-2027' AND c.name = ?",
                      [name]).fetchone()[0]


def _cells(db, class_id, code):
    return db.execute("SELECT t.day, t.slot, t.teacher_id FROM timetable_slot t JOIN subject s ON s.id = t.subject_id"
                      " WHERE t.class_id = ? AND s.code = ? ORDER BY t.day, t.slot", [class_id, code]).fetchall()


def _sid(db, code):
    return db.execute("SELECT id FROM subject WHERE code = ?", [code]).fetchone()[0]


def _central_findings(db):
    return check_timetable(db, school_id=_central(db)).findings


def test_demo_township_has_no_errors_and_central_school_is_clean(demo_db):
    assert _central_findings(demo_db) == []
    found = check_timetable(demo_db).findings
    assert [f for f in found if f.severity == "error"] == []
    # The village schools keep their genuine findings: 班主任 who also teach PE, music or art.
    qualified = {(r[0], r[1]) for r in demo_db.execute("SELECT ts.teacher_id, s.code FROM teacher_subject ts"
                                                       " JOIN subject s ON s.id = ts.subject_id")}
    open_to_all = {"ld", "zh", "dfkc", "xbkc", "xl"}
    expected = {(r[0], r[1], r[2]) for r in demo_db.execute(
        "SELECT DISTINCT t.teacher_id, t.class_id, s.code FROM timetable_slot t JOIN subject s ON s.id = t.subject_id")
        if (r[0], r[2]) not in qualified and r[2] not in open_to_all
        and not (r[2] == "sf" and (r[0], "yw") in qualified)}
    code_of = dict(demo_db.execute("SELECT name, code FROM subject").fetchall())
    assert {(f.teacher_id, f.class_id, code_of[f.subject]) for f in found} == expected
    assert {f.rule for f in found} == {"teacher_not_qualified"}


def test_plan_subject_missing(demo_db):
    cls = _class(demo_db, "一(1)班")
    (day, slot, _), = _cells(demo_db, cls, "kx")
    set_cell(demo_db, SYSTEM, class_id=cls, day=day, slot=slot, subject_id=None)
    found = _central_findings(demo_db)
    assert [where(f) for f in found] == [("subject_missing", "QSZ01", "一(1)班", None, None, None)]
    assert found[0].severity == "error" and "科学" in found[0].message and "每周 1 节" in found[0].message


@pytest.mark.parametrize("code, rule, severity", [("yw", "subject_under_plan", "warning"),
                                                 ("df", "untested_subject_under_plan", "error")])
def test_plan_one_period_short(demo_db, code, rule, severity):
    cls = _class(demo_db, "二(2)班")
    day, slot, _ = _cells(demo_db, cls, code)[0]
    set_cell(demo_db, SYSTEM, class_id=cls, day=day, slot=slot, subject_id=None)
    found = _central_findings(demo_db)
    assert [where(f) for f in found] == [(rule, "QSZ01", "二(2)班", None, None, None)]
    assert found[0].severity == severity and "少 1 节" in found[0].message


@pytest.mark.parametrize("code, rule, severity", [("yw", "tested_subject_over_plan", "error"),
                                                 ("df", "subject_over_plan", "warning")])
def test_plan_one_period_over(demo_db, code, rule, severity):
    cls = _class(demo_db, "一(2)班")
    head = demo_db.execute("SELECT head_teacher_id FROM class WHERE id = ?", [cls]).fetchone()[0]
    taken = {(d, s) for d, s in demo_db.execute("SELECT day, slot FROM timetable_slot WHERE class_id = ?"
                                                 " OR teacher_id = ?", [cls, head])}
    day, slot = next((d, s) for d in range(1, 6) for s in LESSONS if (d, s) not in taken)
    set_cell(demo_db, SYSTEM, class_id=cls, day=day, slot=slot, subject_id=_sid(demo_db, code), teacher_id=head)
    found = _central_findings(demo_db)
    assert [where(f) for f in found] == [(rule, "QSZ01", "一(2)班", None, None, None)]
    assert found[0].severity == severity and "多 1 节" in found[0].message


def test_labour_under_one_period_or_half_of_practice(demo_db):
    cls = _class(demo_db, "三(1)班")
    (day, slot, teacher), = _cells(demo_db, cls, "ld")
    set_cell(demo_db, SYSTEM, class_id=cls, day=day, slot=slot, subject_id=_sid(demo_db, "zh"), teacher_id=teacher)
    found = _central_findings(demo_db)
    assert [where(f) for f in found] == [("labour_weekly", "QSZ01", "三(1)班", None, None, None)]
    assert "每周 0 节" in found[0].message and "一半" in found[0].message
    # Labour back, but 校本课程 turned into a third 综合实践 period: 1 < 3 / 2.
    set_cell(demo_db, SYSTEM, class_id=cls, day=day, slot=slot, subject_id=_sid(demo_db, "ld"), teacher_id=teacher)
    (day, slot, teacher), = _cells(demo_db, cls, "xbkc")
    set_cell(demo_db, SYSTEM, class_id=cls, day=day, slot=slot, subject_id=_sid(demo_db, "zh"), teacher_id=teacher)
    found = _central_findings(demo_db)
    assert [where(f) for f in found] == [("labour_weekly", "QSZ01", "三(1)班", None, None, None)]
    assert "综合实践活动(3 节)的一半" in found[0].message


def test_pe_daily_hour_counts_pe_lessons_and_big_breaks(demo_db):
    school = _central(demo_db)
    plan = day_plan(demo_db, school)
    shorter = [{**p, "start": p["start_time"], "minutes": 20 if p["label"] == "下午大课间" else p["minutes"]}
               for p in plan]
    set_day_plan(demo_db, SYSTEM, school, shorter)
    # 30 + 20 minutes of 大课间 a day: only days with a PE lesson reach the hour.
    expected = set()
    for cls_id, name in demo_db.execute("SELECT c.id, c.name FROM class c JOIN academic_year y ON y.id ="
                                        " c.academic_year_id WHERE c.school_id = ? AND y.code = '2026-2027'", [school]):
        pe_days = {d for d, _, _ in _cells(demo_db, cls_id, "ty")}
        expected |= {(name, d) for d in range(1, 6) if d not in pe_days}
    found = _central_findings(demo_db)
    assert expected and {f.rule for f in found} == {"pe_daily_hour"}
    assert {(f.class_name, f.day) for f in found} == expected
    assert all("50 分钟" in f.message for f in found)


def test_cli_check_json(demo_path, capsys):
    assert main(["timetable", "check", str(demo_path), "--school", "QSZ01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["timetable", "check", str(demo_path), "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert findings and all(f["rule"] in RULES for f in findings)
    assert all({"rule", "severity", "school_code", "class_name", "teacher", "day", "period", "message"} <= set(f)
               for f in findings)
    assert {f["school_code"] for f in findings} <= {"QSZ02", "QSZ03", "QSZ04", "QSZ05", "QSZ06"}
    assert main(["timetable", "check", str(demo_path), "--school", "NOPE", "--json"]) == 2
