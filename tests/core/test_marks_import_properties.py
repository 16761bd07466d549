"""Property tests: any messy-but-valid spelling of the same marks imports to exactly those marks,
and any single corruption of a valid file is refused with nothing written.

Each example sets up its own exam, so examples do not see each other's marks.
"""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db.writes import SYSTEM
from app.errors import ValidationError
from app.marks.reading import read_marks
from app.marks.writing import apply_marks
from app.services.exams import create_exam
from test_import_helpers import write_csv, write_xlsx

SUBJECTS = {"语文": ["语文", "语", "语文成绩", "语文(满分100)"], "数学": ["数学", "数", "数学成绩", "数学分数"]}
ID_HEADERS = ["学籍号", "学号", "考号", "学籍号（必填）"]
CLASS_SPELLINGS = ["三(1)班", "三（1）班", "3.1", "301", "三年级1班", "3年级一班"]
STATUS_SPELLINGS = {"缺考": ["缺考", "缺", " 缺考 "], "免考": ["免考", "免"], "作弊": ["作弊"]}
_counter = itertools.count()

marks = st.one_of(
    st.integers(0, 200).map(lambda half: (half / 2, "正常")),
    st.sampled_from([(None, "缺考"), (None, "免考"), (None, "作弊")]))


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "0" <= ch <= "9" or ch == "." else ch for ch in text)


@st.composite
def spelled(draw, mark: tuple) -> object:
    """A cell as someone might have typed `mark`."""
    score, status = mark
    if status != "正常":
        return draw(st.sampled_from(STATUS_SPELLINGS[status]))
    text = f"{score:g}"
    return draw(st.sampled_from([
        score if not score.is_integer() else int(score), score, text, full_width(text), f" {text} ",
        f"\u3000{text}", f"{text}.0" if score.is_integer() else text]))


@pytest.fixture
def class_a(demo_db) -> tuple[str, list[tuple[str, str]]]:
    """(school id, [(学籍号, 姓名)]) of 油溪完全小学 三(1)班, whose names are all different."""
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ02'").fetchone()[0]
    pupils = [tuple(r) for r in demo_db.execute(
        "SELECT p.student_no, p.name FROM pupil p JOIN class c ON c.id = p.class_id WHERE p.school_id = ?"
        " AND c.name = '三(1)班' AND p.status IN ('在读', '转入') ORDER BY p.student_no", [school_id])]
    assert len({name for _, name in pupils}) == len(pupils)
    return school_id, pupils


def new_exam(db) -> str:
    return create_exam(db, SYSTEM, name=f"性质测试{next(_counter)}", type="单元", grades="3",
                       subjects="语文:100,数学:100")


def stored(db, exam_id: str) -> dict[tuple[str, str], tuple]:
    return {(r[0], r[1]): (r[2], r[3]) for r in db.execute(
        "SELECT p.student_no, s.name, m.score, m.status FROM mark m JOIN pupil p ON p.id = m.pupil_id"
        " JOIN subject s ON s.id = m.subject_id WHERE m.exam_id = ?", [exam_id])}


def counts(db) -> tuple[int, int]:
    return (db.execute("SELECT COUNT(*) FROM mark").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])


@st.composite
def workbooks(draw, pupils: list[tuple[str, str]]):
    """Return (rows by sheet, file format, whether the school is given, expected marks)."""
    chosen = draw(st.lists(st.sampled_from(pupils), min_size=1, max_size=8, unique=True))
    expected = {(no, subject): draw(marks) for no, _ in chosen for subject in SUBJECTS}
    by_id = draw(st.booleans())
    long_form = draw(st.booleans())
    with_school = draw(st.booleans())
    head = [draw(st.sampled_from(ID_HEADERS))] if by_id else []
    head += ["姓名", "班级"] + (["学校"] if with_school else [])
    spellings = {s: draw(st.sampled_from(words)) for s, words in SUBJECTS.items()}
    rows = [head + (["科目", "成绩"] if long_form else [spellings[s] for s in SUBJECTS])]
    for no, name in draw(st.permutations(chosen)):
        start = ([no] if by_id else []) + [name, draw(st.sampled_from(CLASS_SPELLINGS))]
        start += ["油溪完全小学"] if with_school else []
        if long_form:
            for subject in SUBJECTS:
                rows.append(start + [spellings[subject], draw(spelled(expected[(no, subject)]))])
        else:
            rows.append(start + [draw(spelled(expected[(no, subject)])) for subject in SUBJECTS])
    fmt = draw(st.sampled_from(["xlsx", "csv-gbk", "csv-utf8"]))
    return rows, fmt, with_school, expected


def write(tmp_path, rows, fmt: str, title_rows: int):
    path = tmp_path / f"marks{next(_counter)}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    if fmt == "xlsx":
        return write_xlsx(path, {"成绩": rows}, title="三年级单元测试成绩" if title_rows else None,
                          blank_rows=max(title_rows - 1, 0))
    return write_csv(path, [["三年级单元测试成绩"]] * title_rows + rows, "gbk" if fmt == "csv-gbk" else "utf-8-sig")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), title_rows=st.integers(0, 3))
def test_messy_but_valid_files_import_to_the_same_marks(demo_db, class_a, tmp_path, data, title_rows):
    school_id, pupils = class_a
    rows, fmt, with_school, expected = data.draw(workbooks(pupils))
    exam_id = new_exam(demo_db)
    path = write(tmp_path, rows, fmt, title_rows)
    plan = read_marks(demo_db, path, exam_id, school_id=None if with_school else school_id)
    assert [str(p) for p in plan.problems] == []
    apply_marks(demo_db, SYSTEM, plan)
    assert stored(demo_db, exam_id) == expected


CORRUPTIONS = ["above", "negative", "empty", "quarter", "text", "unknown_pupil", "twice", "subject_not_in_exam",
               "unknown_class"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), corruption=st.sampled_from(CORRUPTIONS))
def test_any_corruption_is_refused_and_nothing_is_written(demo_db, class_a, tmp_path, data, corruption):
    school_id, pupils = class_a
    chosen = data.draw(st.lists(st.sampled_from(pupils), min_size=2, max_size=6, unique=True))
    rows = [["学籍号", "姓名", "班级", "语文", "数学"]]
    rows += [[no, name, "三(1)班", data.draw(st.integers(0, 100)), data.draw(st.integers(0, 100))] for no, name in chosen]
    victim = data.draw(st.integers(1, len(rows) - 1))
    column = data.draw(st.sampled_from([3, 4]))
    if corruption == "above":
        rows[victim][column] = data.draw(st.integers(201, 2000)) / 2
    elif corruption == "negative":
        rows[victim][column] = -data.draw(st.integers(1, 100))
    elif corruption == "empty":
        rows[victim][column] = data.draw(st.sampled_from([None, "", "  "]))
    elif corruption == "quarter":
        rows[victim][column] = f"{data.draw(st.integers(0, 99))}.{data.draw(st.sampled_from(['25', '75', '1', '3']))}"
    elif corruption == "text":
        rows[victim][column] = data.draw(st.sampled_from(["良", "A", "及格", "九十", "/", "88分"]))
    elif corruption == "unknown_pupil":
        rows[victim][0] = f"X{data.draw(st.integers(0, 10 ** 9))}"
    elif corruption == "twice":
        rows.insert(data.draw(st.integers(1, len(rows))), list(rows[victim]))
    elif corruption == "subject_not_in_exam":
        rows[0].append(data.draw(st.sampled_from(["英语", "科学", "道德与法治", "体育"])))
        for row in rows[1:]:
            row.append(90)
    elif corruption == "unknown_class":
        rows[victim][0] = None
        rows[victim][2] = data.draw(st.sampled_from(["三(9)班", "九(1)班", "火箭班"]))
    exam_id = new_exam(demo_db)
    path = write(tmp_path, rows, data.draw(st.sampled_from(["xlsx", "csv-gbk"])), 1)
    before = counts(demo_db)
    plan = read_marks(demo_db, path, exam_id, school_id=school_id)
    assert plan.problems, corruption
    assert all(p.sheet is not None and (p.row is not None) for p in plan.problems)
    with pytest.raises(ValidationError):
        apply_marks(demo_db, SYSTEM, plan)
    assert counts(demo_db) == before and stored(demo_db, exam_id) == {}
