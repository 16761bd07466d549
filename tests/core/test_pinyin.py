"""Pinyin order without ICU (app.pinyin): names, classes and codes sorted as a Chinese reader expects."""
from __future__ import annotations

from app.pinyin import pinyin_key


def test_names_sort_by_pinyin():
    names = ["张三", "李四", "王五", "赵六", "阿明", "欧阳娜娜", "陈晨", "张伟", "章子怡", "黄芳", "何静"]
    # By hand: a, chen, he, huang, li, ou, wang, zhang (三 san < 伟 wei), zhang (章), zhao.
    assert sorted(names, key=pinyin_key) == ["阿明", "陈晨", "何静", "黄芳", "李四", "欧阳娜娜", "王五", "张三", "张伟",
                                            "章子怡", "赵六"]


def test_numbers_inside_names_sort_by_value_and_codes_before_chinese():
    classes = ["三(10)班", "三(2)班", "三(1)班", "二(3)班", "初一(11)班", "初一(9)班", "三（2）班", "三(１)班"]
    # Full-width brackets and digits as typed in WPS count as the ASCII ones (only breaking ties).
    assert sorted(classes, key=pinyin_key) == ["初一(9)班", "初一(11)班", "二(3)班", "三(1)班", "三(１)班", "三(2)班",
                                              "三（2）班", "三(10)班"]
    mixed = ["青山镇中心小学", "T0102", "t0101", "", " 王五", "2026届", "Abc", "abd", "(1)", "é", "_x"]
    # Punctuation, numbers, Chinese, then Latin letters (é as e, lower case first on a tie).
    assert sorted(mixed, key=pinyin_key) == ["", " 王五", "_x", "(1)", "2026届", "青山镇中心小学", "Abc", "abd", "é",
                                            "t0101", "T0102"]


def test_rare_characters_come_after_common_ones_and_never_fail():
    rare = "\U00020000"  # 𠀀, CJK extension B: not in the table
    names = [rare + "明", "张明", "㐀明", "〇号", "王明"]
    ordered = sorted(names, key=pinyin_key)
    assert ordered[:3] == ["〇号", "王明", "张明"]  # 〇 líng, wang, zhang
    assert set(ordered[3:]) == {rare + "明", "㐀明"}
