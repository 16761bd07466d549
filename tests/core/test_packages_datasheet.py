"""data.xlsx as a person opens it and as the township reads it back."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from app.packages.datasheet import read_workbook, write_workbook

PUPIL = {"student_no": "0012345", "name": "张\x01三 _x0041_", "gender": "男", "birth_date": "=1+1",
         "id_number": "http://example.cn", "grade": 3, "boarding": 1, "status": "在读", "id": "p-1",
         "school_id": "s-1", "class_id": "c-1"}


def test_text_stays_text_and_numbers_stay_numbers_through_a_round_trip():
    data = write_workbook({"学生": [PUPIL]}, [("发送单位", "竹林教学点(QSZ05)")])
    rows, problems = read_workbook(data)
    assert problems == []
    read = rows["学生"][0]
    assert read.row == 2
    # A leading zero, a control character, a literal “_x0041_”, text that looks like a formula or
    # a link: all come back exactly as stored.
    assert {k: read.values[k] for k in ("student_no", "name", "birth_date")} == {
        "student_no": "0012345", "name": "张\x01三 _x0041_", "birth_date": "=1+1"}
    assert "id_number" not in read.values
    assert (read.values["grade"], read.values["boarding"], read.values["id"]) == (3, 1, "p-1")


def test_header_is_bold_ids_grey_and_frozen_and_cells_typed_for_people():
    book = load_workbook(io.BytesIO(write_workbook({"学生": [PUPIL]}, [("发送单位", "竹林教学点(QSZ05)")])))
    sheet = book["学生"]
    header = [c for c in sheet[1]]
    assert [c.value for c in header[:3]] == ["学籍号", "姓名", "性别"]
    assert all(c.font.b for c in header)
    grey = {c.value for c in header if c.fill.fgColor.rgb == "FFEEEEEE"}
    assert grey == {"学生ID", "学校ID", "班级ID"}
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["B"].width  # 学籍号 wider than 姓名
    assert "身份证号" not in [c.value for c in header], "the 身份证号 never travels on the stick"
    assert "http://example.cn" not in [c.value for row in sheet.iter_rows() for c in row]
    values = {h.value: c.value for h, c in zip(header, sheet[2])}
    assert values["学籍号"] == "0012345" and values["年级"] == 3 and values["寄宿"] == "是"
    assert values["出生日期"] == "=1+1" and sheet["D2"].data_type == "s"  # text, not a formula
    assert book["说明"]["A1"].value == "发送单位" and book["说明"]["B1"].value == "竹林教学点(QSZ05)"


def test_a_package_from_before_the_school_records_reads_without_their_sheets():
    """A school still on the program before 作业时间, 家访 and 集体备课 sends data.xlsx without those
    sheets: it is read as holding none of those rows, while a missing older sheet is refused."""
    def without(*names: str) -> bytes:
        book = load_workbook(io.BytesIO(write_workbook({"学生": [PUPIL]}, [("发送单位", "竹林教学点(QSZ05)")])))
        for name in names:
            del book[name]
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    rows, problems = read_workbook(without("作业时间", "家访", "集体备课"))
    assert problems == [] and rows["学生"][0].values["id"] == "p-1" and "家访" not in rows
    _rows, problems = read_workbook(without("教学常规"))
    assert [(p.sheet, p.message) for p in problems] == [("教学常规", "缺少这个工作表。")]


def test_a_package_written_before_timetable_conditions_travelled_still_reads():
    """Packages of older versions have no 固定活动 or 教师不能上课 sheet and no 锁定 column in 课表."""
    lesson = {"term_code": "2026-2027-1", "class_name": "一(1)班", "day": 1, "slot": 2, "subject": "语文",
              "locked": 1, "id": "t-1", "school_id": "s-1", "class_id": "c-1", "teacher_id": "x-1"}
    book = load_workbook(io.BytesIO(write_workbook({"课表": [lesson]}, [])))
    del book["固定活动"], book["教师不能上课"]
    sheet = book["课表"]
    column = [c.value for c in sheet[1]].index("锁定") + 1
    sheet.delete_cols(column)
    old = io.BytesIO()
    book.save(old)
    rows, problems = read_workbook(old.getvalue())
    assert problems == []
    assert "固定活动" not in rows and "教师不能上课" not in rows
    read = rows["课表"][0].values
    assert (read["day"], read["slot"], read["subject"], read["id"]) == (1, 2, "语文", "t-1") and "locked" not in read


def test_a_teachers_target_travels_with_its_teacher_and_an_older_sheet_still_reads():
    """质量指标 carries the target's teacher and the 进步值 and 名次 metrics; a package written before
    teachers' targets has no 教师ID column and reads as the school's own targets."""
    targets = [{"term_code": "2026-2027-1", "grade": 3, "subject": "语文", "teacher_name": "王老师", "metric": "progress",
                "target": 5.0, "note": None, "id": "q-1", "school_id": "s-1", "teacher_id": "t-1"},
               {"term_code": "2026-2027-1", "grade": None, "subject": None, "teacher_name": None, "metric": "rank",
                "target": 2.0, "note": "全乡前二", "id": "q-2", "school_id": "s-1", "teacher_id": None}]
    book = load_workbook(io.BytesIO(write_workbook({"质量指标": targets}, [])))
    sheet = book["质量指标"]
    header = [c.value for c in sheet[1]]
    shown = [{h: c.value for h, c in zip(header, row)} for row in sheet.iter_rows(min_row=2)]
    assert [(r["教师"], r["指标"], r["目标值"]) for r in shown] == [("王老师", "进步值", 5), (None, "名次", 2)]
    rows, problems = read_workbook(_saved(book))
    assert problems == []
    assert [(r.values["metric"], r.values["teacher_id"]) for r in rows["质量指标"]] == [("progress", "t-1"), ("rank", None)]
    sheet.delete_cols(header.index("教师ID") + 1)
    rows, problems = read_workbook(_saved(book))
    assert problems == []
    assert [(r.values["id"], r.values["metric"], "teacher_id" in r.values) for r in rows["质量指标"]] == [
        ("q-1", "progress", False), ("q-2", "rank", False)]


def _saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
