"""ID numbers, class names and cell text as people type them."""
from __future__ import annotations

import pytest

from app.validation.classnames import class_name, parse_class, parse_grade
from app.validation.idcard import id_problem
from app.validation.text import clean, clean_code, parse_date


def test_gb11643_example_number_is_valid():
    # The worked example of GB 11643-1999: weights sum 167, 167 mod 11 = 2 → check character X.
    assert id_problem("11010519491231002X") is None


def test_wrong_check_digit_is_named():
    assert "校验位" in id_problem("110105194912310021")


@pytest.mark.parametrize("number, words", [("1101051949123100", "18 位"), ("11010519491331002X", "出生日期"),
                                           ("1101051949123100AX", "数字")])
def test_malformed_id_numbers(number, words):
    assert words in id_problem(number)


@pytest.mark.parametrize("text", ["三(2)班", "三（２）班", "3.2", "302", "三年级2班", "三年级二班", "3年级(2)班", " 3-2 "])
def test_class_spellings_resolve(text):
    assert parse_class(text) == (3, 2)


def test_bare_class_number_needs_the_grade_column():
    assert parse_class("2班") is None
    assert parse_class("2班", grade_hint=5) == (5, 2)
    assert parse_class("一年级") == (1, 1)
    assert class_name(6, 1) == "六(1)班"


def test_grades():
    assert [parse_grade(t) for t in ("三年级", "3", "初二", "十年级")] == [3, 3, 8, None]


def test_cleaning_full_width_digits_and_spaces():
    assert clean(" 张\u3000三 ") == "张三"
    assert clean_code("４３０１２３") == "430123"
    assert clean_code(123456.0) == "123456"
    assert parse_date("2015年3月8日").isoformat() == "2015-03-08"
    assert parse_date("20150308").isoformat() == "2015-03-08"


def test_impossible_dates_are_refused_in_chinese_naming_the_text(tmp_path):
    from app.services.setup import init_school
    from app.services.teachers import check_teacher

    for text in ("2015-13-01", "2015-02-30", "2015年0月8日"):
        with pytest.raises(ValueError) as caught:
            parse_date(text)
        assert str(caught.value) == text
    db = init_school(tmp_path / "s.sqlite", code="S1", name="甲校", type="完小", passphrase="secret-pass")
    _row, _links, problems = check_teacher(db, "S", {"staff_no": "T1", "name": "李明", "gender": "男",
                                                     "birth_date": "1980-13-01"})
    message = next(p.message for p in problems if p.field == "birth_date")
    assert message == "出生日期“1980-13-01”无法识别,请写成 2010-09-01 的形式。"
    assert "month" not in message
    db.close()


def test_a_student_number_is_masked_for_internal_lists():
    from app.validation.mask import mask_student_no

    assert mask_student_no("G433101201503150218X") == "G4331****218X"
    assert mask_student_no("G202611") == "G2****11"
    assert mask_student_no("") == ""
