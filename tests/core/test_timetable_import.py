"""Importing timetables: long form and printed grids as people keep them, all or nothing, every
problem naming its sheet, row and column."""
from __future__ import annotations

import json

from openpyxl import Workbook

from app.cli import main
from app.db.database import open_database
from app.timetable.check import check_timetable

LESSON_OF_SLOT = {2: 1, 3: 2, 5: 3, 6: 4, 8: 5, 9: 6}
DAY_TEXT = ["星期一", "周二", "三", 4, "Friday"]
CN = "一二三四五六"


def _lessons(db, school_code, class_names=None):
    """The timetable of a school as (class, day, slot, subject, teacher) tuples."""
    rows = db.execute(
        "SELECT c.name, t.day, t.slot, s.name, x.name FROM timetable_slot t JOIN class c ON c.id = t.class_id"
        " JOIN school sc ON sc.id = t.school_id JOIN subject s ON s.id = t.subject_id"
        " LEFT JOIN teacher x ON x.id = t.teacher_id WHERE sc.code = ?", [school_code]).fetchall()
    return {tuple(r) for r in rows if class_names is None or r[0] in class_names}


def _clear(db, school_code):
    with db.atomic():
        db.execute("DELETE FROM timetable_slot WHERE school_id = (SELECT id FROM school WHERE code = ?)", [school_code])


def test_long_form_with_titles_notes_and_mixed_spellings(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db = open_database(demo_path)
    original = _lessons(db, "QSZ01")
    aliases = {"道德与法治": "道法", "体育与健康": "体育", "信息科技": "信息技术"}
    book = Workbook()
    sheet = book.active
    sheet.title = "中心小学"
    sheet.append(["青山镇中心小学 2026学年第一学期课表"])
    sheet.merge_cells("A1:G1")
    sheet.append([])
    sheet.append(["序号", "班级(必填)", "星期", "节次", "学科", "任课\n教师", "备注"])
    for number, (cls, day, slot, subject, teacher) in enumerate(sorted(original), start=1):
        grade, klass = "一二三四五六".index(cls[0]) + 1, cls[2]
        written_class = [cls, f"{grade}.{klass}", f"{cls[0]}年级{klass}班"][number % 3]
        lesson = LESSON_OF_SLOT[slot]
        written_period = [f"第{lesson}节", lesson, f"第{CN[lesson - 1]}节"][number % 3]
        sheet.append([number, written_class, DAY_TEXT[day - 1], written_period, aliases.get(subject, subject),
                      f" {teacher} ", None])
    sheet.append(["注:本表由教务处编制"])
    path = tmp_path / "课表.xlsx"
    book.save(path)
    _clear(db, "QSZ01")
    db.close()

    assert main(["import-timetable", str(demo_path), str(path), "--school", "QSZ01", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["written"] and result["problems"] == []
    assert result["summary"]["lessons"] == len(original) and result["summary"]["classes"] == 12
    db = open_database(demo_path)
    assert _lessons(db, "QSZ01") == original
    assert check_timetable(db, school_id=db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
                           ).findings == []
    db.close()


def _grid_block(sheet, title, cls, lessons, style):
    """Append one printed class timetable: a title, a header, 早读, morning and afternoon lessons
    numbered 上午 1-4 / 下午 1-2, a merged 大课间 row."""
    if title:
        sheet.append([title])
    sheet.append(["节次", None, "星期一", "星期二", "星期三", "星期四", "星期五"])
    sheet.append(["早读", None, "晨读", "晨读", "晨读", "晨读", "晨读"])
    by_cell = {(day, slot): (subject, teacher) for c, day, slot, subject, teacher in lessons if c == cls}
    for slot in (2, 3, 4, 5, 6, 8, 9):
        if slot == 4:
            sheet.append(["大课间", None, "大课间活动"])
            row = sheet.max_row
            sheet.merge_cells(start_row=row, start_column=3, end_row=row, end_column=7)
            continue
        afternoon = slot >= 8
        number = LESSON_OF_SLOT[slot] - (4 if afternoon else 0)
        part = ("下午" if afternoon else "上午") if number == 1 else None
        cells = []
        for day in range(1, 6):
            if (day, slot) not in by_cell:
                cells.append(None)
                continue
            subject, teacher = by_cell[(day, slot)]
            cells.append([f"{subject} {teacher}", f"{subject}({teacher})", f"{subject}\n{teacher}", subject][
                (day + slot + style) % 4])
        sheet.append([part, f"第{CN[number - 1]}节", *cells])
    sheet.append([])


def test_printed_grids_several_blocks_and_cell_styles(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db = open_database(demo_path)
    wanted = {"三(1)班", "三(2)班", "四(1)班"}
    original = _lessons(db, "QSZ01", wanted)
    book = Workbook()
    sheet = book.active
    sheet.title = "三年级"
    _grid_block(sheet, "青山镇中心小学 三(1)班 课程表", "三(1)班", original, 0)
    _grid_block(sheet, "三年级2班课程表", "三(2)班", original, 1)
    _grid_block(book.create_sheet("四(1)班"), None, "四(1)班", original, 2)
    path = tmp_path / "课程表.xlsx"
    book.save(path)
    _clear(db, "QSZ01")
    db.close()

    assert main(["import-timetable", str(demo_path), str(path), "--school", "QSZ01", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["summary"]["form"] == "grid" and result["problems"] == []
    assert sorted(result["classes"]) == sorted(wanted)
    db = open_database(demo_path)
    assert _lessons(db, "QSZ01") == original
    db.close()


def test_problems_name_sheet_row_and_column_and_nothing_is_written(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db = open_database(demo_path)
    before = _lessons(db, "QSZ01")
    db.close()
    book = Workbook()
    sheet = book.active
    sheet.title = "五(1)班"
    sheet.append(["五(1)班课程表"])                                     # row 1
    sheet.append(["节次", "星期一", "星期二", "星期三", "星期四", "星期五"])  # row 2
    sheet.append(["第1节", "语文", "物里 张三", "数学", "语文", "数学"])       # row 3: unknown subject in 星期二
    sheet.append(["第2节", "语文 查无此人", "数学", "语文", "数学", "语文"])   # row 4: unknown teacher in 星期一
    sheet.append(["第8节", "语文", None, None, None, None])              # row 5: only 6 lessons a day
    other = book.create_sheet("另一张")
    other.append(["九(9)班课程表"])                                     # row 1: no such class
    other.append(["", "星期一", "星期二", "星期三"])
    other.append(["1", "语文", "语文", "语文"])
    path = tmp_path / "有问题的课表.xlsx"
    book.save(path)

    assert main(["import-timetable", str(demo_path), str(path), "--school", "QSZ01", "--json"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert not result["written"]
    where = [(p["sheet"], p["row"], p["column"]) for p in result["problems"]]
    assert where == [("五(1)班", 3, "星期二"), ("五(1)班", 4, "星期一"), ("五(1)班", 5, None), ("另一张", 2, None)]
    messages = [p["message"] for p in result["problems"]]
    assert "物里" in messages[0] and "查无此人" in messages[1] and "只有 6 节" in messages[2] and "班级" in messages[3]
    db = open_database(demo_path)
    assert _lessons(db, "QSZ01") == before
    db.close()


def test_long_form_duplicate_cell_and_bad_day(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    book = Workbook()
    sheet = book.active
    sheet.append(["班级", "星期", "节次", "科目", "教师"])
    sheet.append(["三(1)班", "星期一", "1", "语文", None])
    sheet.append(["三(1)班", "周一", "第1节", "数学", None])
    sheet.append(["三(1)班", "星期八", "2", "数学", None])
    path = tmp_path / "长表.xlsx"
    book.save(path)
    assert main(["import-timetable", str(demo_path), str(path), "--school", "QSZ01", "--json"]) == 2
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(3, "科目"), (4, "星期")]
    assert "第 2 行已经排了课" in problems[0]["message"]


def test_csv_in_gbk_into_a_school_database_without_a_day_plan(demo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    path = demo_dir / "schools" / "QSZ02.sqlite"
    db = open_database(path)
    original = _lessons(db, "QSZ02", {"一(1)班"})
    with db.atomic():
        db.execute("DELETE FROM timetable_slot")
        db.execute("DELETE FROM timetable_period")
    db.close()
    lines = ["班级,星期,节次,科目,教师"] + [f"{c},{d},{LESSON_OF_SLOT[s]},{subject},{t}"
                                         for c, d, s, subject, t in sorted(original)]
    csv_path = tmp_path / "一年级.csv"
    csv_path.write_bytes("\r\n".join(lines).encode("gb18030"))

    assert main(["import-timetable", str(path), str(csv_path), "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert not dry["written"] and dry["summary"]["new_day_plans"] == 1 and dry["summary"]["lessons"] == len(original)
    db = open_database(path)
    assert db.execute("SELECT COUNT(*) FROM timetable_slot").fetchone()[0] == 0
    db.close()

    assert main(["import-timetable", str(path), str(csv_path)]) == 0
    assert "默认作息时间" in capsys.readouterr().out
    db = open_database(path)
    assert _lessons(db, "QSZ02") == original
    assert [r[0] for r in db.execute("SELECT kind FROM timetable_period ORDER BY slot")].count("lesson") == 6
    db.close()
