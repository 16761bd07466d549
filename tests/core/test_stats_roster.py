"""应考 is the class roster on the exam date: pupils left off the marks sheet are 缺考 = 0.

三(1)班 of 甲村小学, exam 期中 on 2026-11-12. Fifteen pupils have been in the class this year:
- P01-P11 在读 all year; P12 转出 on 2026-12-01 (after the exam: on the roster that day);
- P13 转出 on 2026-10-20 and P14 休学 on 2026-10-25 (before the exam: not on the roster);
- P15 转入 on 2026-11-20 (after the exam: not on the roster).
So the roster on the exam date holds 12 pupils: P01-P12.

The marks workbook is messy (merged title rows, blank rows, full-width digits, a 缺考 word, a
statistics row) and lists ten pupils; two of the roster (P11, P12) are missing from it.

语文 of the ten: 95 88 85 80 76 72 65 60 54 50 — total 725.
  sat:    n 10, mean 72.5, 及格 8/10 = 80 %, 优秀 3/10 = 30 %, 低分 0/10.
  roster: n 12 (two 缺考 = 0), mean 725/12 = 60.4167, 及格 8/12 = 66.7 %, 优秀 3/12 = 25 %,
          低分 2/12 = 16.7 %, min 0.
数学 of the ten: 90 70 缺考 100 65 40 35.5 58 61 80 — nine papers, total 599.5.
  sat:    n 9, mean 66.611, 及格 6/9, 优秀 2/9, 低分 1/9 (35.5; 40 is not low).
  roster: n 12 (缺考 + two missing), mean 599.5/12 = 49.958, 及格 6/12 = 50 %, 优秀 2/12,
          低分 4/12 (35.5 and three zeros).
名册 12 / 有成绩 10 / 缺考 2 in 语文; 名册 12 / 有成绩 9 / 缺考 3 in 数学.
"""
from __future__ import annotations

import datetime as dt
import json
import statistics

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM, insert_row
from app.marks.reading import read_marks
from app.marks.writing import apply_marks
from app.services import classes, exams, pupils
from app.services.setup import init_school
from app.stats.groups import group_stats
from app.stats.roster import enrolled_on, missing_marks, pupils_without_marks
from test_import_helpers import write_xlsx

# (学籍号, 姓名, status, status_date, enrol_date)
PUPILS = [(f"G2026{i:02d}", name, "在读", None, "2026-09-01") for i, name in enumerate(
    ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十", "褚十一"], start=1)] + [
    ("G202612", "卫十二", "转出", "2026-12-01", "2026-09-01"),
    ("G202613", "蒋十三", "转出", "2026-10-20", "2026-09-01"),
    ("G202614", "沈十四", "休学", "2026-10-25", "2026-09-01"),
    ("G202615", "韩十五", "转入", "2026-11-20", "2026-11-20"),
]
ROSTER = [p[0] for p in PUPILS[:12]]
CHINESE = ["９５", 88, "85", 80, " 76 ", 72, 65, "６０", 54, 50]
MATHS = ["９０", 70, "缺考", 100, "６５", 40, 35.5, 58, "61", 80]


def _value(cell):
    text = str(cell).strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return None if text == "缺考" else float(text)


def _independent(values: list, roster_size: int, basis: str) -> dict:
    """The figures computed the plain way: scores of those who wrote, zeros for the rest on roster."""
    written = [v for v in (_value(c) for c in values) if v is not None]
    counted = written + ([0.0] * (roster_size - len(written)) if basis == "roster" else [])
    n = len(counted)
    return {"n": n, "mean": sum(counted) / n, "pass_rate": sum(v >= 60 for v in counted) / n,
            "excellent_rate": sum(v >= 85 for v in counted) / n, "low_rate": sum(v < 40 for v in counted) / n,
            "median": statistics.median(counted), "sd": statistics.pstdev(counted), "max": max(counted),
            "min": min(counted), "total": sum(counted),
            "bands": [sum(1 for v in counted if min(9, int(v // 10)) == k) for k in range(10)]}


@pytest.fixture
def school(tmp_path):
    db = init_school(tmp_path / "s.sqlite", code="S1", name="甲村小学", type="完小", passphrase="demo", demo=True,
                     township_code="T1", township_name="甲乡", today=dt.date(2026, 11, 1))
    school_id = db.execute("SELECT id FROM school").fetchone()[0]
    year = db.execute("SELECT academic_year_id FROM term").fetchone()[0]
    class_id = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year, grades=[3], number=1)
    for student_no, name, status, status_date, enrol in PUPILS:
        pupils.add_pupil(db, SYSTEM, school_id, {
            "student_no": student_no, "name": name, "gender": "男", "birth_date": "2018-03-01", "grade": 3,
            "class_id": class_id, "status": status, "status_date": status_date, "enrol_date": enrol})
    exam_id = exams.create_exam(db, SYSTEM, name="期中考试", type="期中", grades="3", subjects="语文:100,数学:100",
                                date="2026-11-12", scope="校")
    rows = [["序号", "学籍号", "姓 名", "语文成绩", "数学(满分100)"]]
    rows += [[i + 1, PUPILS[i][0], PUPILS[i][1], CHINESE[i], MATHS[i]] for i in range(10)]
    rows += [[None, None, "平均分", 72.5, 66.6]]
    path = write_xlsx(tmp_path / "期中成绩.xlsx", {"三(1)班": rows}, title="甲村小学期中考试成绩表", blank_rows=2)
    yield db, exam_id, path, tmp_path / "s.sqlite"
    db.close()


def test_the_exam_type_chooses_the_roster_basis(school):
    db, exam_id, _, _ = school
    assert exams.get_exam(db, exam_id)["policy"] == "roster"
    unit = exams.create_exam(db, SYSTEM, name="第一单元", type="单元", grades="3", subjects="语文", scope="校")
    assert exams.get_exam(db, unit)["policy"] == "sat"


def test_status_on_the_exam_date_not_today():
    assert enrolled_on("2026-11-12", "转出", "2026-12-01", "2026-09-01", [])
    assert not enrolled_on("2026-11-12", "转出", "2026-10-20", "2026-09-01", [])
    assert not enrolled_on("2026-11-12", "转入", "2026-11-20", "2026-11-20", [])
    assert not enrolled_on("2026-11-12", "在读", None, "2026-12-01", [])
    # 休学 in October, back in December: away on the exam date.
    assert not enrolled_on("2026-11-12", "在读", "2026-12-03", None, [("2026-10-02", "休学"), ("2026-12-03", "在读")])


@pytest.mark.parametrize("basis", ["roster", "sat"])
def test_every_class_figure_of_a_messy_sheet_with_missing_pupils(school, basis):
    db, exam_id, path, _ = school
    plan = read_marks(db, path, exam_id)
    assert plan.problems == []
    apply_marks(db, SYSTEM, plan)
    records = {r["subject"]: r for r in group_stats(db, exam_id, "class", policy=basis, min_size=1)}
    assert set(records) == {"语文", "数学"}
    # Hand-worked numbers first (see the module docstring) ...
    chinese, maths = records["语文"], records["数学"]
    assert (chinese["n_roster"], chinese["n_sat"], chinese["n_absent"], chinese["n_missing"]) == (12, 10, 2, 2)
    assert (maths["n_roster"], maths["n_sat"], maths["n_absent"], maths["n_missing"]) == (12, 9, 3, 2)
    if basis == "roster":
        assert chinese["n"] == 12 and chinese["mean"] == pytest.approx(60.4167, abs=1e-4)
        assert chinese["pass_rate"] == pytest.approx(0.6667, abs=1e-4) and chinese["min"] == 0
        assert maths["n"] == 12 and maths["mean"] == pytest.approx(49.9583, abs=1e-4)
        assert maths["low_rate"] == pytest.approx(4 / 12) and maths["pass_rate"] == pytest.approx(0.5)
    else:
        assert chinese["n"] == 10 and chinese["mean"] == pytest.approx(72.5) and chinese["pass_rate"] == 0.8
        assert maths["n"] == 9 and maths["mean"] == pytest.approx(599.5 / 9) and maths["low_rate"] == pytest.approx(1 / 9)
    # ... then every figure against a plain second computation.
    for subject, values in (("语文", CHINESE), ("数学", MATHS)):
        expected = _independent(values, len(ROSTER), basis)
        got = records[subject]
        for key, value in expected.items():
            assert got[key] == pytest.approx(value), (subject, key)


def test_autumn_roster_counts_the_pupils_who_left_after_the_intake(school):
    db, exam_id, path, _ = school
    apply_marks(db, SYSTEM, read_marks(db, path, exam_id))
    [chinese] = [r for r in group_stats(db, exam_id, "class", preset="sanlv-yifen-autumn-roster", min_size=1)
                 if r["subject"] == "语文"]
    # On 2026-09-01 P01-P14 were in the class (P13, P14 left in October); P15 came later.
    assert (chinese["n_roster"], chinese["n_absent"], chinese["n"]) == (14, 4, 14)
    assert chinese["mean"] == pytest.approx(725 / 14)


def test_the_pupils_without_a_mark_are_listed_by_class(school):
    db, exam_id, path, _ = school
    apply_marks(db, SYSTEM, read_marks(db, path, exam_id))
    [entry] = pupils_without_marks(db, exams.get_exam(db, exam_id))
    assert entry["class_name"] == "三(1)班" and entry["school_name"] == "甲村小学"
    assert [(p["name"], p["subjects"]) for p in entry["pupils"]] == [("褚十一", ["语文", "数学"]),
                                                                     ("卫十二", ["语文", "数学"])]


def test_cli_import_and_stats_show_roster_marks_and_absent(school, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db, exam_id, path, db_path = school
    db.close()
    assert main(["import-marks", str(db_path), str(path), "--exam", exam_id]) == 0
    out = capsys.readouterr().out
    assert "三(1)班:名册上有 2 名学生没有成绩" in out and "褚十一(G202611)、卫十二(G202612)" in out
    assert "韩十五" not in out  # came after the exam
    assert main(["stats", str(db_path), "--exam", exam_id]) == 0
    out = capsys.readouterr().out
    assert "名册" in out and "有成绩" in out and "缺考" in out
    assert main(["stats", str(db_path), "--exam", exam_id, "--json"]) == 0
    [chinese] = [r for r in json.loads(capsys.readouterr().out) if r["subject"] == "语文"]
    assert (chinese["n_roster"], chinese["n_sat"], chinese["n_absent"], round(chinese["mean"], 1)) == (12, 10, 2, 60.4)
    reopened = open_database(db_path)
    try:
        # The two missing pupils are counted, not written: the sheet's 20 marks (one 缺考) are all there is.
        assert reopened.execute("SELECT COUNT(*) FROM mark").fetchone()[0] == 20
    finally:
        reopened.close()


def test_the_class_report_lists_roster_pupils_without_any_mark(school, tmp_path):
    """Two pupils of the roster (P11, P12) are not on the sheet: the 班主任's pupil list shows them
    last, 缺考 in both subjects with a total of 0, ranked with the zeros, so nobody vanishes from the list."""
    from openpyxl import load_workbook

    from app.reports import write_report
    from app.reports.class_report import build

    db, exam_id, path, _ = school
    apply_marks(db, SYSTEM, read_marks(db, path, exam_id))
    out = tmp_path / "班级报告.xlsx"
    write_report(build(db, exam_id, "三(1)班"), out)
    sheet = load_workbook(out)["学生成绩"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r and "学籍号" in r)
    # The list is internal: the 学籍号 shows masked (first two and last two of these short numbers).
    listed = {r[header.index("姓名")]: r for r in rows[rows.index(header) + 1:] if r and r[0]}
    pupils = [name for name, r in listed.items() if str(r[header.index("学籍号")]).startswith("G2")]
    assert pupils[-2:] == ["褚十一", "卫十二"]
    for no, name in (("G2****11", "褚十一"), ("G2****12", "卫十二")):
        row = listed[name]
        assert row[header.index("学籍号")] == no
        assert (row[header.index("语文")], row[header.index("数学")]) == ("缺考", "缺考")
        assert row[header.index("总分")] == 0
        # 缺考 = 0 under the roster basis: the two zeros tie behind the ten who wrote (all totals > 0).
        assert row[header.index("班内名次")] == 11
    assert "韩十五" not in listed  # came after the exam
    assert len(pupils) == 12


class _Undo(Exception):
    pass


def test_a_pupil_added_in_an_open_transaction_is_on_the_roster_it_reads(school):
    """The roster check runs beside the marks read on a second connection only where that sees the
    same data: inside a transaction the pupil just added (not committed) is counted, 缺考 in both."""
    db, exam_id, path, _ = school
    apply_marks(db, SYSTEM, read_marks(db, path, exam_id))
    school_id, class_id = db.execute("SELECT school_id, id FROM class").fetchone()

    def chinese() -> dict:
        [record] = [r for r in group_stats(db, exam_id, "class", min_size=1) if r["subject"] == "语文"]
        return record

    assert (chinese()["n_roster"], chinese()["n_missing"]) == (12, 2)
    with pytest.raises(_Undo), db.atomic():
        pupils.add_pupil(db, SYSTEM, school_id, {
            "student_no": "G202616", "name": "杨十六", "gender": "女", "birth_date": "2018-05-01", "grade": 3,
            "class_id": class_id, "status": "在读", "enrol_date": "2026-09-01"})
        assert (chinese()["n_roster"], chinese()["n_missing"], chinese()["mean"]) == (13, 3, pytest.approx(725 / 13))
        raise _Undo
    assert (chinese()["n_roster"], chinese()["n_missing"]) == (12, 2)


@pytest.mark.parametrize("more_subjects", [0, 70])
def test_pupils_lacking_some_subjects_are_found_however_many_subjects_the_catalogue_holds(school, more_subjects):
    """A pupil with some marks but not every subject of the grade is 缺考 in the others. The check sums
    each pupil's subjects as bits of their numbers; past 61 subject numbers it lists them as text:
    both give the same pupils. 围棋 (added last) is marked for P01-P05 only, 语文 for P01-P10."""
    db, _, _, db_path = school
    for i in range(more_subjects):
        insert_row(db, SYSTEM, "subject", {"code": f"X{i:02d}", "name": f"校本{i:02d}", "aliases": "", "tested": 1,
                                          "assessment": "考试", "is_main": 0, "sort_order": 100 + i})
    insert_row(db, SYSTEM, "subject", {"code": "WQ", "name": "围棋", "aliases": "", "tested": 1,
                                      "assessment": "考试", "is_main": 0, "sort_order": 200})
    top = db.execute("SELECT MAX(no) FROM subject_number").fetchone()[0]
    assert (top >= 62) == bool(more_subjects)
    exam_id = exams.create_exam(db, SYSTEM, name="围棋测试", type="期中", grades="3", subjects="语文:100,围棋:100",
                                date="2026-11-12", scope="校")
    # Two sheets, as two teachers hand them in: 语文 for P01-P10, 围棋 for P01-P05.
    for subject, marked in (("语文", 10), ("围棋", 5)):
        rows = [["学籍号", "姓名", subject]] + [[PUPILS[i][0], PUPILS[i][1], 80 + i] for i in range(marked)]
        plan = read_marks(db, write_xlsx(db_path.parent / f"{subject}.xlsx", {"三(1)班": rows}), exam_id)
        assert plan.problems == []
        apply_marks(db, SYSTEM, plan)
    lacking = [(m.student_no, m.subject_id) for m in missing_marks(db, exams.get_exam(db, exam_id))]
    chinese, go = (db.execute("SELECT id FROM subject WHERE name = ?", [name]).fetchone()[0]
                            for name in ("语文", "围棋"))
    assert lacking == [*((PUPILS[i][0], go) for i in range(5, 10)),
                       (PUPILS[10][0], chinese), (PUPILS[10][0], go),
                       (PUPILS[11][0], chinese), (PUPILS[11][0], go)]
    [record] = [r for r in group_stats(db, exam_id, "class", min_size=1) if r["subject"] == "围棋"]
    assert (record["n_roster"], record["n_sat"], record["n_missing"]) == (12, 5, 7)
