"""Importing exam marks from the workbooks teachers and townships really send round.

The pupils come from the demo township; every expected mark is written into the file by the
test itself, and what is stored is read back with plain SQL.
"""
from __future__ import annotations

import json

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import SYSTEM
from app.errors import PermissionDenied, ValidationError
from app.marks.reading import read_marks
from app.marks.entry import set_mark
from app.marks.writing import apply_marks
from app.importing.workbook import NotAWorkbook
from app.services import pupils as pupil_service
from app.services.exams import create_exam
from app.services.users import actor_for
from test_import_helpers import write_csv, write_xlsx


def class_pupils(db, school: str, class_name: str, year: str = "2026-2027") -> list[tuple[str, str]]:
    """Return (学籍号, 姓名) of the enrolled pupils of a class, by 学籍号."""
    return [tuple(r) for r in db.execute(
        "SELECT p.student_no, p.name FROM pupil p JOIN class c ON c.id = p.class_id"
        " JOIN school s ON s.id = p.school_id JOIN academic_year y ON y.id = c.academic_year_id"
        " WHERE s.code = ? AND c.name = ? AND y.code = ? AND p.status IN ('在读', '转入') ORDER BY p.student_no",
        [school, class_name, year])]


def stored(db, exam_id: str) -> dict[tuple[str, str], tuple]:
    """Return {(学籍号, 科目): (score, status)} of an exam."""
    return {(r[0], r[1]): (r[2], r[3]) for r in db.execute(
        "SELECT p.student_no, s.name, m.score, m.status FROM mark m JOIN pupil p ON p.id = m.pupil_id"
        " JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ?", [exam_id])}


def counts(db) -> tuple[int, int]:
    """(mark rows, audit entries): what a refused import must leave alone."""
    return (db.execute("SELECT COUNT(*) FROM mark").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])


@pytest.fixture
def exam(demo_db) -> str:
    """A new township exam for grades 3-4: 语文, 数学 (full marks 100) and 英语 (full marks 120)."""
    return create_exam(demo_db, SYSTEM, name="十一月单元测试", type="单元", grades="3,4",
                       subjects="语文:100,数学:100,英语:120")


@pytest.mark.parametrize("statement_rows", [2000, 5], ids=["one-statement", "several-statements"])
def test_a_messy_workbook_imports_exactly_the_marks_written(demo_db, exam, tmp_path, monkeypatch, statement_rows):
    # With 5 rows per INSERT statement the 18 marks go in as three full statements and a shorter one.
    monkeypatch.setattr("app.db.writes.BULK_ROWS", statement_rows)
    a = class_pupils(demo_db, "QSZ01", "三(1)班")[:4]
    b = class_pupils(demo_db, "QSZ02", "三(1)班")[:2]
    rows = [
        ["序号", "学籍号（必填）", "姓 名", "班级", "语文成绩", "数学(满分100)", "英语", "总分", "班级名次", "备注"],
        [1, a[0][0], a[0][1], "三(1)班", 87, "９２", " 78 ", 257, 1, None],
        [2, a[1][0], f" {a[1][1][0]}\u3000{a[1][1][1:]} ", "3.1", "87.5", 60.5, "缺考", 148, 2, "病假"],
        [3, a[2][0], a[2][1], "301", "缺", "免考", 120, 999, 3, None],
        [4, a[3][0], a[3][1], "三年级1班", 0, "作弊", "118.5", None, 4, None],
        [5, b[0][0], b[0][1], "三(1)班", 100, 100, 0, 200, 5, None],
        [6, b[1][0], b[1][1], "三(1)班", "59", "\u300061 ", 99.5, None, 6, None],
        [None, None, "平均分", None, 66.9, 78.1, 83.2, None, None, None],
        ["注:本表由各校教务处填写,学籍号以全国学籍系统为准。"],
    ]
    path = write_xlsx(tmp_path / "十一月单元测试成绩.xlsx", {"成绩汇总": rows}, title="青山镇十一月单元测试成绩表")
    plan = read_marks(demo_db, path, exam)
    assert plan.problems == []
    assert plan.summary()["add"] == 18 and plan.summary()["pupils"] == 6
    warnings = [str(w) for w in plan.warnings]
    # Row 6 (third pupil) says 总分 999; the marks add up to 120 (缺考 and 免考 count nothing).
    assert any("第 6 行" in w and "总分 999 与各科成绩之和 120 不一致" in w for w in warnings)
    assert not any("第 4 行" in w and "总分" in w for w in warnings)
    assert any("第 10 行是统计行" in w for w in warnings)
    before = counts(demo_db)
    assert apply_marks(demo_db, SYSTEM, plan) == {"add": 18, "update": 0, "unchanged": 0}
    assert stored(demo_db, exam) == {
        (a[0][0], "语文"): (87.0, "正常"), (a[0][0], "数学"): (92.0, "正常"), (a[0][0], "英语"): (78.0, "正常"),
        (a[1][0], "语文"): (87.5, "正常"), (a[1][0], "数学"): (60.5, "正常"), (a[1][0], "英语"): (None, "缺考"),
        (a[2][0], "语文"): (None, "缺考"), (a[2][0], "数学"): (None, "免考"), (a[2][0], "英语"): (120.0, "正常"),
        (a[3][0], "语文"): (0.0, "正常"), (a[3][0], "数学"): (None, "作弊"), (a[3][0], "英语"): (118.5, "正常"),
        (b[0][0], "语文"): (100.0, "正常"), (b[0][0], "数学"): (100.0, "正常"), (b[0][0], "英语"): (0.0, "正常"),
        (b[1][0], "语文"): (59.0, "正常"), (b[1][0], "数学"): (61.0, "正常"), (b[1][0], "英语"): (99.5, "正常"),
    }
    after = counts(demo_db)
    # 18 new marks and a single audit entry for the whole file, naming it.
    assert (after[0] - before[0], after[1] - before[1]) == (18, 1)
    entry = demo_db.execute("SELECT action, table_name, username, note FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert entry[:3] == ("bulk", "mark", "system") and "十一月单元测试成绩.xlsx" in entry[3]
    # Each new mark has its own id and its time stamps.
    assert demo_db.execute("SELECT COUNT(DISTINCT id), COUNT(created_at), COUNT(updated_at) FROM mark"
                           " WHERE exam_id = ?", [exam]).fetchone() == (18, 18, 18)


def test_each_mark_keeps_the_pupils_school_class_and_grade(demo_db, exam, tmp_path):
    pupils = class_pupils(demo_db, "QSZ04", "三四年级复式班")
    rows = [["学籍号", "姓名", "语文", "数学", "英语"]] + [[no, name, 80, 81, 82] for no, name in pupils]
    apply_marks(demo_db, SYSTEM, read_marks(demo_db, write_xlsx(tmp_path / "m.xlsx", {"黄土岭": rows}), exam))
    expected = {(r[0], r[1], r[2], r[3]) for r in demo_db.execute(
        "SELECT p.id, p.school_id, p.class_id, p.grade FROM pupil p JOIN class c ON c.id = p.class_id"
        " WHERE c.name = '三四年级复式班' AND p.school_id = (SELECT id FROM school WHERE code = 'QSZ04')"
        " AND p.status IN ('在读', '转入')")}
    got = {(r[0], r[1], r[2], r[3]) for r in demo_db.execute(
        "SELECT pupil_id, school_id, class_id, grade FROM mark WHERE exam_id = ?", [exam])}
    assert got == expected and {g for *_, g in got} == {3, 4}


def test_one_sheet_per_class_matches_pupils_by_name(demo_db, exam, tmp_path):
    one = class_pupils(demo_db, "QSZ02", "三(1)班")
    four = class_pupils(demo_db, "QSZ02", "四(1)班")
    sheets = {"三(1)班": [["姓名", "语", "数", "英"]] + [[name, 70 + i % 30, 60, 90] for i, (_, name) in enumerate(one)],
              "4.1": [["姓名", "语文", "数学", "英语"]] + [[name, 50, 51.5, "缺考"] for _, name in four]}
    plan = read_marks(demo_db, write_xlsx(tmp_path / "油溪.xlsx", sheets), exam, school_id=school(demo_db, "QSZ02"))
    assert plan.problems == []
    apply_marks(demo_db, SYSTEM, plan)
    marks = stored(demo_db, exam)
    assert len(marks) == 3 * (len(one) + len(four))
    assert all(marks[(no, "语文")] == (70.0 + i % 30, "正常") for i, (no, _) in enumerate(one))
    assert all(marks[(no, "英语")] == (None, "缺考") and marks[(no, "数学")] == (51.5, "正常") for no, _ in four)


def test_long_form_one_row_per_pupil_and_subject(demo_db, exam, tmp_path):
    pupils = class_pupils(demo_db, "QSZ01", "四(2)班")[:5]
    rows = [["考号", "姓名", "科目", "成绩"]]
    expected = {}
    for i, (no, name) in enumerate(pupils):
        for subject, value, mark in (("语文", 60 + i, (60.0 + i, "正常")), ("数学成绩", f"{70 + i}.5", (70.5 + i, "正常")),
                                     ("英", "免考" if i == 2 else 100 + i, (None, "免考") if i == 2 else (100.0 + i, "正常"))):
            rows.append([no, name, subject, value])
            expected[(no, subject[:2] if subject != "英" else "英语")] = mark
    apply_marks(demo_db, SYSTEM, read_marks(demo_db, write_xlsx(tmp_path / "long.xlsx", {"Sheet1": rows}), exam))
    assert stored(demo_db, exam) == expected


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_csv_in_gbk_or_utf8_with_class_written_302(demo_db, exam, tmp_path, encoding):
    pupils = class_pupils(demo_db, "QSZ03", "三(1)班")
    rows = [["学校", "班别", "姓名", "语文", "数学", "英语"]]
    rows += [["乌龙完全小学", "301", name, 88, "87.5", "缺"] for _, name in pupils]
    path = write_csv(tmp_path / "乌龙.csv", rows, encoding)
    plan = read_marks(demo_db, path, exam)
    assert plan.problems == []
    apply_marks(demo_db, SYSTEM, plan)
    marks = stored(demo_db, exam)
    assert {marks[(no, "数学")] for no, _ in pupils} == {(87.5, "正常")}
    assert {marks[(no, "英语")] for no, _ in pupils} == {(None, "缺考")}
    assert len(marks) == 3 * len(pupils)


def test_township_workbook_with_one_sheet_per_school(demo_db, exam, tmp_path):
    """Every school has a 三(1)班; the sheet's name says which school's class a name belongs to."""
    sheets, expected = {}, {}
    for code, sheet in (("QSZ01", "青山镇中心小学"), ("QSZ02", "油溪完全小学"), ("QSZ05", "竹林教学点")):
        pupils = class_pupils(demo_db, code, "三(1)班")
        sheets[sheet] = [["班级", "姓名", "语文", "数学", "英语"]] + [["三(1)班", n, 90, 80, 70] for _, n in pupils]
        expected.update({(no, s): (v, "正常") for no, _ in pupils for s, v in (("语文", 90.0), ("数学", 80.0),
                                                                              ("英语", 70.0))})
    plan = read_marks(demo_db, write_xlsx(tmp_path / "全镇.xlsx", sheets), exam)
    assert plan.problems == []
    apply_marks(demo_db, SYSTEM, plan)
    assert stored(demo_db, exam) == expected


def test_pupils_of_a_class_missing_from_the_file_are_named_in_a_warning(demo_db, exam, tmp_path):
    pupils = class_pupils(demo_db, "QSZ05", "三(1)班")
    rows = [["学籍号", "姓名", "语文", "数学", "英语"]] + [[no, name, 1, 2, 3] for no, name in pupils[1:]]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "m.xlsx", {"竹林": rows}), exam)
    assert plan.problems == []
    assert [w.message for w in plan.warnings] == [
        f"竹林教学点三(1)班:名册上有 1 名学生没有成绩(考试当天在班、未免考;按应考人数统计时计为缺考 0 分):"
        f"{pupils[0][1]}({pupils[0][0]})。"]



def test_a_pupil_given_only_some_subjects_is_named_with_the_ones_missing(demo_db, exam, tmp_path):
    # The second sheet has no 英语 column: its one pupil still lacks 英语; the first pupil is in
    # neither sheet; everyone on the first sheet has every subject and is not named.
    pupils = class_pupils(demo_db, "QSZ05", "三(1)班")
    full = [["学籍号", "姓名", "语文", "数学", "英语"]] + [[no, name, 1, 2, 3] for no, name in pupils[2:]]
    part = [["学籍号", "姓名", "语文", "数学"], [*pupils[1], 4, 5]]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "m.xlsx", {"竹林": full, "补": part}), exam)
    assert plan.problems == []
    assert [w.message for w in plan.warnings] == [
        f"竹林教学点三(1)班:名册上有 2 名学生没有成绩(考试当天在班、未免考;按应考人数统计时计为缺考 0 分):"
        f"{pupils[0][1]}({pupils[0][0]})、{pupils[1][1]}({pupils[1][0]},缺英语)。"]

def test_reimport_changes_nothing_and_a_changed_cell_updates_one_mark_audited(demo_db, exam, tmp_path):
    pupils = class_pupils(demo_db, "QSZ05", "三(1)班")
    rows = [["学籍号", "姓名", "语文", "数学", "英语"]] + [[no, name, 75, 76, 77] for no, name in pupils]
    path = write_xlsx(tmp_path / "m.xlsx", {"竹林": rows})
    apply_marks(demo_db, SYSTEM, read_marks(demo_db, path, exam))
    before, marks_before = counts(demo_db), stored(demo_db, exam)
    plan = read_marks(demo_db, path, exam)
    assert plan.summary()["add"] == 0 and plan.summary()["update"] == 0
    assert plan.summary()["unchanged"] == 3 * len(pupils)
    assert apply_marks(demo_db, SYSTEM, plan) == {"add": 0, "update": 0, "unchanged": 3 * len(pupils)}
    assert counts(demo_db) == before and stored(demo_db, exam) == marks_before

    rows[2][3] = "缺考"  # second pupil's 数学
    plan = read_marks(demo_db, write_xlsx(tmp_path / "m2.xlsx", {"竹林": rows}), exam)
    assert [(u["student_no"], u["subject"], u["old"], u["new"]) for u in plan.updates] == \
        [(pupils[1][0], "数学", "76", "缺考")]
    apply_marks(demo_db, SYSTEM, plan)
    assert stored(demo_db, exam)[(pupils[1][0], "数学")] == (None, "缺考")
    assert counts(demo_db) == (before[0], before[1] + 1)
    old, new = demo_db.execute("SELECT old_value, new_value FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert json.loads(old) == {"score": 76.0, "status": "正常"} and json.loads(new) == {"score": None, "status": "缺考"}


def test_apply_refuses_when_another_user_changed_a_previewed_mark(demo_db, demo_path, exam, tmp_path):
    # The preview says 数学 50 → 80; meanwhile a colleague at another window enters 95 for that
    # pupil, and 语文 for a pupil the file adds. Applying the preview must not overwrite 95 with 80.
    pupils = class_pupils(demo_db, "QSZ05", "三(1)班")[:3]
    first = [["学籍号", "姓名", "数学"]] + [[no, name, 50] for no, name in pupils]
    apply_marks(demo_db, SYSTEM, read_marks(demo_db, write_xlsx(tmp_path / "first.xlsx", {"s": first}), exam))
    second = [["学籍号", "姓名", "语文", "数学"]] + [[no, name, 70, 80] for no, name in pupils]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "second.xlsx", {"s": second}), exam)
    assert [(u["name"], u["old"], u["new"]) for u in plan.updates] == [(n, "50", "80") for _, n in pupils]

    other = open_database(demo_path)  # the colleague's own connection
    try:
        pupil_id = other.execute("SELECT id FROM pupil WHERE student_no = ?", [pupils[0][0]]).fetchone()[0]
        set_mark(other, SYSTEM, exam_id=exam, pupil_id=pupil_id, subject_id=subject_id(other, "数学"), value=95)
    finally:
        other.close()
    before = counts(demo_db)
    with pytest.raises(ValidationError) as refused:
        apply_marks(demo_db, SYSTEM, plan)
    message = str(refused.value.problems[0].message)
    assert f"{pupils[0][1]}(学籍号 {pupils[0][0]})的数学成绩(预览时为 50,现为 95)" in message
    assert "未写入任何数据" in message
    assert counts(demo_db) == before
    assert stored(demo_db, exam)[(pupils[0][0], "数学")] == (95.0, "正常")
    assert stored(demo_db, exam)[(pupils[1][0], "数学")] == (50.0, "正常")
    assert (pupils[0][0], "语文") not in stored(demo_db, exam)

    # Read again, the preview shows 95 → 80; applying that writes every mark of the file.
    plan = read_marks(demo_db, write_xlsx(tmp_path / "second.xlsx", {"s": second}), exam)
    assert [(u["old"], u["new"]) for u in plan.updates] == [("95", "80"), ("50", "80"), ("50", "80")]
    assert apply_marks(demo_db, SYSTEM, plan) == {"add": 3, "update": 3, "unchanged": 0}
    assert {k: v for k, v in stored(demo_db, exam).items() if k[0] == pupils[0][0]} == \
        {(pupils[0][0], "数学"): (80.0, "正常"), (pupils[0][0], "语文"): (70.0, "正常")}


def test_apply_refuses_a_mark_another_user_entered_where_the_preview_adds_one(demo_db, demo_path, exam, tmp_path):
    pupils = class_pupils(demo_db, "QSZ05", "三(1)班")[:2]
    rows = [["学籍号", "姓名", "英语"]] + [[no, name, 100] for no, name in pupils]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "e.xlsx", {"s": rows}), exam)
    assert plan.summary()["add"] == 2
    other = open_database(demo_path)
    try:
        pupil_id = other.execute("SELECT id FROM pupil WHERE student_no = ?", [pupils[1][0]]).fetchone()[0]
        set_mark(other, SYSTEM, exam_id=exam, pupil_id=pupil_id, subject_id=subject_id(other, "英语"), value="缺考")
    finally:
        other.close()
    with pytest.raises(ValidationError, match=f"{pupils[1][1]}(.学籍号 {pupils[1][0]}.)的英语成绩"
                                              "(.预览时没有成绩,现为 缺考.)"):
        apply_marks(demo_db, SYSTEM, plan)
    assert (pupils[0][0], "英语") not in stored(demo_db, exam)


def subject_id(db, name: str) -> str:
    """Return the id of the catalogue subject called `name`."""
    return db.execute("SELECT id FROM subject WHERE name = ?", [name]).fetchone()[0]


def test_last_years_exam_stores_last_years_class_and_grade(demo_db, tmp_path):
    exam_id = create_exam(demo_db, SYSTEM, name="上学年补测", type="抽测", grades="2,3,4,5", term="2025-2026-2",
                          subjects="语文:100")
    # This year's 四(1)班 of the central school were last year's third graders.
    pupils = class_pupils(demo_db, "QSZ01", "四(1)班")
    last_year = dict(demo_db.execute(
        "SELECT p.student_no, c.name || '/' || m.grade FROM mark m JOIN pupil p ON p.id = m.pupil_id"
        " JOIN class c ON c.id = m.class_id JOIN exam e ON e.id = m.exam_id WHERE e.name LIKE '2025—2026%期末%'"
        " GROUP BY p.id").fetchall())
    rows = [["学籍号", "姓名", "语文"]] + [[no, name, 66] for no, name in pupils if no in last_year]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "m.xlsx", {"成绩": rows}), exam_id)
    assert plan.problems == []
    apply_marks(demo_db, SYSTEM, plan)
    got = dict(demo_db.execute(
        "SELECT p.student_no, c.name || '/' || m.grade FROM mark m JOIN pupil p ON p.id = m.pupil_id"
        " JOIN class c ON c.id = m.class_id WHERE m.exam_id = ?", [exam_id]).fetchall())
    assert got == {no: last_year[no] for no in got} and len(got) == len(rows) - 1
    assert {v.split("/")[1] for v in got.values()} == {"3"}


# --- refusals: each names sheet, row and column, and nothing is written ----------------------------

def refusal_rows(db) -> tuple[list[list], list[tuple[str, str]]]:
    pupils = class_pupils(db, "QSZ01", "三(2)班")
    rows = [["学籍号", "姓名", "班级", "语文", "数学", "英语"]]
    rows += [[no, name, "三(2)班", 80, 80, 80] for no, name in pupils[:6]]
    return rows, pupils


@pytest.mark.parametrize("case", ["above", "below", "unknown", "twice", "empty", "quarter", "word", "wrong_name",
                                  "grade", "subject", "class"])
def test_every_refusal_names_where_and_writes_nothing(demo_db, exam, tmp_path, case):
    rows, pupils = refusal_rows(demo_db)
    expected_where = {
        "above": (4, "语文", "分数 100.5 超过满分 100。"),
        "below": (5, "英语", "分数 -2 小于 0。"),
        "unknown": (4, "学籍号", "学籍号“G000000000000000000”不在数据库中"),
        "twice": (10, "学籍号", "这名学生在表中出现了两次(另见工作表“成绩”第 4 行)"),
        "empty": (6, "数学", "成绩为空:请填写分数,或填写“缺考”“免考”。"),
        "quarter": (7, "英语", "分数 87.25 只能精确到 0.5 分。"),
        "word": (4, "数学", "“良好”不是分数"),
        "wrong_name": (5, "姓名", f"在数据库中是“{pupils[1][1]}”,表中姓名为“张冠李戴”"),
        "grade": (10, "学籍号", "是1年级学生,考试“十一月单元测试”不考1年级"),
        "subject": (3, "科学", "科目“科学”不在考试“十一月单元测试”中"),
        "class": (6, "班级", "班级“三(X)班”无法识别"),
    }[case]
    if case == "above":
        rows[1][3] = 100.5
    elif case == "below":
        rows[2][5] = -2
    elif case == "unknown":
        rows[1][0] = "G000000000000000000"
    elif case == "twice":
        rows.append(list(rows[1]))
    elif case == "empty":
        rows[3][4] = None
    elif case == "quarter":
        rows[4][5] = "87.25"
    elif case == "word":
        rows[1][4] = "良好"
    elif case == "wrong_name":
        rows[2][1] = "张冠李戴"
    elif case == "grade":
        first_grader = demo_db.execute("SELECT student_no, name FROM pupil WHERE grade = 1 LIMIT 1").fetchone()
        rows.append([first_grader[0], first_grader[1], None, 1, 2, 3])
    elif case == "subject":
        rows[0].append("科学")
        for row in rows[1:]:
            row.append(90)
    elif case == "class":
        rows[3][0] = None
        rows[3][2] = "三(X)班"
    path = write_xlsx(tmp_path / "bad.xlsx", {"成绩": rows})
    before = counts(demo_db)
    plan = read_marks(demo_db, path, exam)
    assert [(p.sheet, p.row, p.column) for p in plan.problems] == [("成绩",) + expected_where[:2]]
    assert expected_where[2] in plan.problems[0].message
    with pytest.raises(ValidationError):
        apply_marks(demo_db, SYSTEM, plan)
    assert counts(demo_db) == before and stored(demo_db, exam) == {}


def test_an_ambiguous_name_in_a_class_is_refused(demo_db, exam, tmp_path):
    rows, pupils = refusal_rows(demo_db)
    twin = next(demo_db.query("SELECT * FROM pupil WHERE student_no = ?", [pupils[0][0]]))
    pupil_service.add_pupil(demo_db, SYSTEM, twin["school_id"], {
        "student_no": "G2099", "name": twin["name"], "gender": twin["gender"], "grade": 3, "class_id": twin["class_id"]})
    rows[1][0] = None  # the first pupil by name only
    before = counts(demo_db)
    plan = read_marks(demo_db, write_xlsx(tmp_path / "bad.xlsx", {"成绩": rows}), exam)
    assert [(p.sheet, p.row, p.column) for p in plan.problems] == [("成绩", 4, "姓名")]
    assert f"有 2 名学生叫“{twin['name']}”" in plan.problems[0].message and "G2099" in plan.problems[0].message
    assert counts(demo_db) == before


def test_no_header_and_not_a_workbook(demo_db, exam, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", {"Sheet1": [["甲", "乙", "丙"], [1, 2, 3]]})
    plan = read_marks(demo_db, path, exam)
    assert [(p.sheet, p.code, p.message[:5]) for p in plan.problems] == [("Sheet1", "no_header", "找不到表头")]
    # The marks importer says what a marks file needs, found by the problem's code, not its words.
    assert "以及各科成绩列(如“语文”“数学”)" in plan.problems[0].message
    assert plan.to_dict()["problems"][0]["code"] == "no_header"
    fake = tmp_path / "成绩.xlsx"
    fake.write_bytes(b"<html><table><tr><td>1</td></tr></table></html>")
    with pytest.raises(NotAWorkbook, match="网页"):
        read_marks(demo_db, fake, exam)
    zipped = tmp_path / "成绩2.xlsx"
    zipped.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(NotAWorkbook):
        read_marks(demo_db, zipped, exam)


def test_a_teacher_may_only_import_marks_of_classes_and_subjects_taught(demo_db, exam, tmp_path):
    teacher = actor_for(demo_db, "laoshi")
    taught = demo_db.execute(
        "SELECT c.name, s.name FROM teaching_assignment t JOIN class c ON c.id = t.class_id"
        " JOIN subject s ON s.id = t.subject_id WHERE t.teacher_id = ? AND c.name LIKE '三%'",
        [teacher.teacher_id]).fetchall()
    assert taught, "the demo's teacher teaches a third-grade class"
    class_name, subject = taught[0]
    other = "数学" if subject != "数学" else "语文"
    pupils = class_pupils(demo_db, "QSZ01", class_name)
    rows = [["学籍号", "姓名", subject]] + [[no, name, 77] for no, name in pupils]
    apply_marks(demo_db, teacher, read_marks(demo_db, write_xlsx(tmp_path / "own.xlsx", {"s": rows}), exam))
    assert {v for (no, s), v in stored(demo_db, exam).items() if s == subject} == {(77.0, "正常")}
    rows = [["学籍号", "姓名", other]] + [[no, name, 77] for no, name in pupils]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "other.xlsx", {"s": rows}), exam)
    before = counts(demo_db)
    with pytest.raises(PermissionDenied, match="任教"):
        apply_marks(demo_db, teacher, plan)
    assert counts(demo_db) == before


def test_a_teacher_may_only_change_stored_marks_of_classes_and_subjects_taught(demo_db, exam, tmp_path):
    """The marks are already stored (written by the 教务): the file only changes them."""
    teacher = actor_for(demo_db, "laoshi")
    class_name, subject = demo_db.execute(
        "SELECT c.name, s.name FROM teaching_assignment t JOIN class c ON c.id = t.class_id"
        " JOIN subject s ON s.id = t.subject_id WHERE t.teacher_id = ? AND c.name LIKE '三%'",
        [teacher.teacher_id]).fetchone()
    other = "数学" if subject != "数学" else "语文"
    pupils = class_pupils(demo_db, "QSZ01", class_name)
    first = [["学籍号", "姓名", subject, other]] + [[no, name, 70, 70] for no, name in pupils]
    apply_marks(demo_db, SYSTEM, read_marks(demo_db, write_xlsx(tmp_path / "first.xlsx", {"s": first}), exam))
    own = [["学籍号", "姓名", subject]] + [[no, name, 71] for no, name in pupils]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "own.xlsx", {"s": own}), exam)
    assert not plan.inserts and len(plan.updates) == len(pupils)
    apply_marks(demo_db, teacher, plan)
    assert {v for (no, s), v in stored(demo_db, exam).items() if s == subject} == {(71.0, "正常")}
    rows = [["学籍号", "姓名", other]] + [[no, name, 71] for no, name in pupils]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "other.xlsx", {"s": rows}), exam)
    assert not plan.inserts and len(plan.updates) == len(pupils)
    before = stored(demo_db, exam)
    with pytest.raises(PermissionDenied, match="任教"):
        apply_marks(demo_db, teacher, plan)
    assert stored(demo_db, exam) == before

def school(db, code: str) -> str:
    return db.execute("SELECT id FROM school WHERE code = ?", [code]).fetchone()[0]


# --- the command line --------------------------------------------------------------------------------

def test_cli_dry_run_import_and_refusal_exit_codes(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db = open_database(demo_path)
    exam_id = create_exam(db, SYSTEM, name="命令行测试", type="单元", grades="3", subjects="语文,数学")
    pupils = class_pupils(db, "QSZ02", "三(1)班")
    db.close()
    rows = [["学籍号", "姓名", "语文", "数学"]] + [[no, name, 90, 91] for no, name in pupils]
    good = write_xlsx(tmp_path / "good.xlsx", {"成绩": rows})
    assert main(["import-marks", str(demo_path), str(good), "--exam", exam_id, "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["written"] is False and out["summary"]["add"] == 2 * len(pupils) and out["problems"] == []
    assert main(["import-marks", str(demo_path), str(good), "--exam", "命令行测试"]) == 0
    assert f"已新增 {2 * len(pupils)} 条成绩,更新 0 条,未变 0 条(共 {len(pupils)} 名学生)。" in capsys.readouterr().out
    rows[3][3] = 101
    bad = write_xlsx(tmp_path / "bad.xlsx", {"成绩": rows})
    assert main(["import-marks", str(demo_path), str(bad), "--exam", exam_id]) == 2
    text = capsys.readouterr().out
    assert "工作表“成绩” 第 6 行 “数学”列:分数 101 超过满分 100。" in text and "未写入任何数据" in text
    junk = tmp_path / "junk.xlsx"
    junk.write_text("不是表格", encoding="utf-8")
    assert main(["import-marks", str(demo_path), str(junk), "--exam", exam_id, "--json"]) == 2
    assert "不是 Excel 工作簿" in json.loads(capsys.readouterr().out)["problems"][0]["message"]
    db = open_database(demo_path)
    assert {v for v in stored(db, exam_id).values()} == {(90.0, "正常"), (91.0, "正常")}
    db.close()


def test_schools_of_the_same_name_in_a_county_are_told_apart_by_the_pupils(demo_db, exam, tmp_path):
    """Counties have a 观音阁完全小学 in more than one township: the 学校 column names both."""
    demo_db.execute("UPDATE school SET name = '油溪完全小学' WHERE code = 'QSZ03'")
    two = class_pupils(demo_db, "QSZ02", "三(1)班")[:2]
    three = class_pupils(demo_db, "QSZ03", "三(1)班")[:2]
    rows = [["学校", "学籍号", "班级", "姓名", "语文", "数学", "英语"],
            ["油溪完全小学", two[0][0], "三(1)班", two[0][1], 61, 62, 63],
            ["油溪完全小学", three[0][0], "三(1)班", three[0][1], 71, 72, 73],
            ["油溪完全小学", None, "三(1)班", three[1][1], 81, 82, 83]]
    plan = read_marks(demo_db, write_xlsx(tmp_path / "county.xlsx", {"成绩": rows}), exam)
    assert plan.problems == []
    apply_marks(demo_db, SYSTEM, plan)
    marks = stored(demo_db, exam)
    assert (marks[(two[0][0], "语文")], marks[(three[0][0], "数学")], marks[(three[1][0], "英语")]) == \
        ((61.0, "正常"), (72.0, "正常"), (83.0, "正常"))


def test_ids_handed_out_in_bulk_are_distinct_uuid4_and_follow_the_demo_seed():
    import uuid

    from app.db.writes import deterministic, new_ids

    ids = new_ids(5000)
    assert len(set(ids)) == 5000
    assert all(uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122 and str(uuid.UUID(i)) == i
               for i in ids)
    with deterministic(7, "2026-01-01T00:00:00+00:00"):
        first = new_ids(3)
    with deterministic(7, "2026-01-01T00:00:00+00:00"):
        assert new_ids(3) == first


def test_a_student_number_two_schools_share_needs_the_school_unless_one_pupil_has_left(demo_db, exam, tmp_path):
    """Two pupils of two schools with one 学籍号 (a number typed twice): without a 学校 column the
    row is refused naming both schools; with it each row finds its own pupil; once one of them has
    left (转出), the one still enrolled is meant."""
    (no, name), = class_pupils(demo_db, "QSZ01", "三(1)班")[:1]
    (other_no, other_name), = class_pupils(demo_db, "QSZ02", "三(1)班")[:1]
    demo_db.execute("UPDATE pupil SET student_no = ? WHERE student_no = ?", [no, other_no])
    first, second = (demo_db.execute("SELECT name FROM school WHERE code = ?", [code]).fetchone()[0]
                     for code in ("QSZ01", "QSZ02"))
    without = write_xlsx(tmp_path / "无学校列.xlsx", {"成绩": [["学籍号", "语文"], [no, 80]]}, title=None)
    plan = read_marks(demo_db, without, exam)
    assert [p.message for p in plan.problems] == [
        f"学籍号“{no}”在多所学校都有({first}、{second})。请在表中增加“学校”列。"]
    with_school = write_xlsx(tmp_path / "有学校列.xlsx", {"成绩": [
        ["学校", "学籍号", "姓名", "语文"], [first, no, name, 80], [second, no, other_name, 61.5]]}, title=None)
    plan = read_marks(demo_db, with_school, exam)
    assert plan.problems == []
    apply_marks(demo_db, SYSTEM, plan)
    assert {(school, score) for school, score in demo_db.execute(
        "SELECT s.code, m.score FROM mark m JOIN school s ON s.id = m.school_id WHERE m.exam_id = ?", [exam])} == {
        ("QSZ01", 80.0), ("QSZ02", 61.5)}
    demo_db.execute("UPDATE pupil SET status = '转出' WHERE name = ? AND student_no = ?", [other_name, no])
    plan = read_marks(demo_db, without, exam)
    assert plan.problems == [] and plan.summary()["unchanged"] == 1  # QSZ01's pupil: 80 as stored
