"""Matching a block pasted into the marks grid to the grid's pupils and subjects (app.marks.paste)."""
from __future__ import annotations

from app.marks.paste import match_block

PUPILS = [{"student_no": "G1001", "name": "张伟"}, {"student_no": "G1002", "name": "李娜"},
          {"student_no": "G1003", "name": "王芳"}, {"student_no": "G1004", "name": "王芳"}]
SUBJECTS = [{"name": "语文"}, {"name": "数学"}, {"name": "英语"}]


def test_names_with_stray_spaces_and_a_heading_with_full_marks_are_matched():
    # As copied from a teacher's sheet: 序号 first, "姓 名" with a space, 数学 with its full marks,
    # a 总分 column that is not a subject, names with spaces around them.
    block = [["序号", "姓 名", "数学(120)", "总分"], ["1", " 李娜 ", "101", "190"], ["2", "张伟\u3000", "88", "170"]]
    match = match_block(block, PUPILS, SUBJECTS, 0)
    assert match.by == "姓名"
    assert match.cells == [(1, 1, "101"), (0, 1, "88")]
    assert match.ignored_columns == ["序号", "总分"]


def test_a_shared_name_without_student_number_is_not_guessed():
    match = match_block([["王芳", "80"], ["李娜", "70"]], PUPILS, SUBJECTS, 2)
    assert match.by == "姓名"
    assert match.unmatched == [(1, "王芳", "本班有同名学生,请连同学籍号一起复制")]
    assert match.cells == [(1, 2, "70")]  # scores after the name go to the subjects from 英语 on


def test_student_numbers_win_over_names_and_a_mismatch_is_reported():
    match = match_block([["G1003", "王芳", "90"], ["G1004", "张伟", "80"], ["G1003", "王芳", "70"]],
                        PUPILS, SUBJECTS, 0)
    assert match.by == "学籍号"
    assert match.cells == [(2, 0, "90")]
    assert match.unmatched == [(2, "G1004 张伟", "学籍号与姓名不是同一名学生"),
                               (3, "G1003 王芳", "与第 1 行是同一名学生")]


def test_a_block_of_scores_only_has_no_identifier():
    assert match_block([["90", "80"], ["70", "60"]], PUPILS, SUBJECTS, 0).by == ""
