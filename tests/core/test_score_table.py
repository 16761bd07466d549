"""一分一段表: counts per whole point and at or above it, worked out by hand; the xlsx export."""
from __future__ import annotations

from openpyxl import load_workbook

from app.db.writes import SYSTEM
from app.marks.entry import set_mark
from app.services.exams import create_exam
from app.stats.score_table import score_table, write_score_table_xlsx


def _exam_with_marks(db, values: list[object]) -> tuple[str, str, str]:
    exam_id = create_exam(db, SYSTEM, name="三年级语文测验", type="单元", grades="3", subjects="语文:100")
    school_id, class_id = db.execute(
        "SELECT c.school_id, c.id FROM class c JOIN class_grade g ON g.class_id = c.id JOIN school s"
        " ON s.id = c.school_id WHERE s.code = 'QSZ01' AND g.grade = 3 AND EXISTS (SELECT 1 FROM pupil p"
        " WHERE p.class_id = c.id AND p.status IN ('在读', '转入')) ORDER BY c.name LIMIT 1").fetchone()
    pupils = [r[0] for r in db.execute("SELECT id FROM pupil WHERE class_id = ? AND status IN ('在读', '转入')"
                                       " ORDER BY student_no", [class_id])]
    subject_id = db.execute("SELECT subject_id FROM exam_subject WHERE exam_id = ?", [exam_id]).fetchone()[0]
    for pupil_id, value in zip(pupils, values):
        set_mark(db, SYSTEM, exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value=value)
    return exam_id, school_id, subject_id


def test_counts_at_or_above_each_score_by_hand(demo_db):
    exam_id, school_id, subject_id = _exam_with_marks(demo_db, [95, 89.5, 89, 70, "缺考", 89])
    table = score_table(demo_db, exam_id, 3, subject_id, school_ids=[school_id])
    assert table["n"] == 5  # 缺考 has no score to place
    rows = {r["score"]: (r["count"], r["at_or_above"]) for r in table["rows"]}
    assert [r["score"] for r in table["rows"]] == list(range(95, 69, -1))  # highest to lowest, no gaps
    assert rows[95] == (1, 1)
    assert rows[90] == (0, 1)
    assert rows[89] == (3, 4)   # 89.5, 89 and 89 fall in the 89 segment
    assert rows[88] == (0, 4)
    assert rows[70] == (1, 5)
    assert table["rows"][6]["share"] == 4 / 5


def test_other_schools_are_left_out_and_an_empty_table_has_no_rows(demo_db):
    exam_id, school_id, subject_id = _exam_with_marks(demo_db, [60])
    other = demo_db.execute("SELECT id FROM school WHERE id != ? LIMIT 1", [school_id]).fetchone()[0]
    assert score_table(demo_db, exam_id, 3, subject_id, school_ids=[other]) == {
        "exam": "三年级语文测验", "grade": 3, "subject": "语文", "full_marks": 100.0, "n": 0, "rows": []}


def test_the_export_writes_numbers_as_numbers_and_text_as_text(demo_db, tmp_path):
    exam_id, school_id, subject_id = _exam_with_marks(demo_db, [95, 89])
    path = tmp_path / "一分一段.xlsx"
    write_score_table_xlsx(score_table(demo_db, exam_id, 3, subject_id, school_ids=[school_id]), path, "=青山镇中心小学")
    sheet = load_workbook(path).active
    assert sheet["A1"].value == "三年级语文测验 3年级语文 一分一段表(=青山镇中心小学,2 人)"
    assert sheet["A1"].data_type == "s"  # a leading = stays text, never a formula
    assert [c.value for c in sheet[2]] == ["分数", "人数", "累计人数", "累计百分比"]
    assert [c.value for c in sheet[3]] == [95, 1, 1, 0.5]
    assert [c.value for c in sheet[9]] == [89, 1, 2, 1.0]
