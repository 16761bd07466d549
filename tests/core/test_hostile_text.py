"""Hostile text in imported cells (issue 14): control characters, bidi overrides, ANSI escapes,
overlong values, formula-like names and G-form 全国学籍号 with a wrong check digit.

Each refusal must name sheet, row and column, exit 2 on the command line and leave the database
byte-for-byte unchanged.
"""
from __future__ import annotations

import unicodedata

import pytest

from app.cli import main
from app.importing.roster import read_roster
from app.validation.text import code_problem, forbidden_char, person_name_problem, phone_text, text_problem
from hostile_helpers import db_fingerprint, write_rows
from test_import_helpers import make_id, write_csv, wrong_check

pytest_plugins = ["test_import_helpers"]

ROSTER_HEADER = ["学籍号", "姓名", "性别", "出生日期", "年级", "班级"]
TEACHER_HEADER = ["工号", "姓名", "性别", "联系电话", "任教学科"]


@pytest.mark.parametrize("name", ["-", "-inf", "\x7f", "=HYPERLINK(\"http://x\",\"点我\")", "+1", "@SUM(A1)",
                                  "张\u202e三", "李\x00四", "\x1b[31m王五", "赵" * 21, "(张)", "张三3"])
def test_names_that_are_not_names_are_refused(name):
    assert person_name_problem(name) is not None


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "Mary-Jane", "O'Neil", "𠮷野"])
def test_real_names_pass(name):
    assert person_name_problem(name) is None


def test_every_control_and_format_character_of_unicode_is_caught():
    # Independent listing: every control, format, surrogate or line/paragraph separator code point
    # (tab and line breaks excepted, since cleaning removes them) and the two non-characters.
    for code in range(0x110000):
        char = chr(code)
        expected = (unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") and char not in "\t\n\r"
                    or char in "\ufffe\uffff")
        assert (forbidden_char("a" + char) is not None) == expected, hex(code)


def test_length_limits_and_other_fields():
    assert "40000" in text_problem("x" * 40000)
    assert code_problem("T-001", "工号") is None
    assert code_problem("A-1", "工号") is None and code_problem("-1", "工号") is not None
    assert code_problem("\x00", "工号") is not None and "U+0000" in code_problem("\x00", "工号")
    assert phone_text("0731-1234567转801") == ("0731-1234567转801", None)
    assert phone_text("+86 138 0000 1111") == ("+8613800001111", None)
    assert phone_text("无") == (None, None)
    for hostile in ("=1+1", "1" * 50, "\x1b[2J138", "138\u202e0000"):
        assert phone_text(hostile)[1] is not None, hostile


@pytest.fixture(autouse=True)
def _administrator(monkeypatch):
    """The imports below run as the school database's administrator (passphrase demo)."""
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    """Return (exit code, everything printed): problems go to stdout, errors to stderr."""
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_roster_with_hostile_names_is_refused_naming_each_cell(school_path, tmp_path, capsys):
    rows = [ROSTER_HEADER]
    hostile = ["-", "-inf", "\x7f", "=HYPERLINK(\"http://evil\",\"成绩\")", "张\u202e三", "\x1b[31m李四",
               "王" * 10000, "赵\x00六"]
    for number, name in enumerate(hostile, start=1):
        rows.append([f"2016{number:04d}", name, "男", "2016-03-08", 3, "三(1)班"])
    path = write_rows(tmp_path / "名册.xlsx", rows, "学生名单")
    before = db_fingerprint(school_path)
    code, err = _run(capsys, ["import-roster", str(school_path), str(path)])
    assert code == 2
    assert "Traceback" not in err
    for number in range(len(hostile)):
        assert f"工作表“学生名单” 第 {number + 2} 行 “姓名”列" in err
    assert "公式" in err and "U+202E" in err and "U+001B" in err and "10000 个字符" in err and "U+0000" in err
    assert db_fingerprint(school_path) == before


def test_csv_roster_with_an_overlong_field_is_refused_not_crashed(school_path, tmp_path, capsys):
    path = write_csv(tmp_path / "名册.csv", [ROSTER_HEADER, ["20160001", "张" * 200_000, "男", "2016-03-08", 3,
                                                           "三(1)班"]], "utf-8-sig")
    before = db_fingerprint(school_path)
    code, err = _run(capsys, ["import-roster", str(school_path), str(path)])
    assert code == 2 and "Traceback" not in err
    assert "第 2 行" in err
    assert db_fingerprint(school_path) == before


def test_teacher_list_with_hostile_codes_and_phones_is_refused(school_path, tmp_path, capsys):
    rows = [TEACHER_HEADER,
            ["T\x0001", "张老师", "男", "13800001111", "语文"],
            ["T002", "李老师", "女", "1" * 20000, "数学"],
            ["T003", "王老师", "女", "\x1b[31m13800001111", "数学"],
            ["T" * 40, "赵老师", "男", None, "数学"]]
    path = write_rows(tmp_path / "教师.xlsx", rows, "教师")
    before = db_fingerprint(school_path)
    code, err = _run(capsys, ["import-teachers", str(school_path), str(path)])
    assert code == 2 and "Traceback" not in err
    assert "第 2 行 “工号”列" in err and "U+0000" in err
    assert "第 3 行 “联系电话”列" in err and "20000 个字符" in err
    assert "第 4 行 “联系电话”列" in err and "U+001B" in err
    assert "第 5 行 “工号”列" in err and "最多 30 个" in err
    assert db_fingerprint(school_path) == before


def test_g_number_with_a_wrong_check_digit_is_refused(school_db, tmp_path):
    good = make_id("20160308", 1, male=True)
    rows = [ROSTER_HEADER, [f"G{wrong_check(good)}", "张三", "男", "2016-03-08", 3, "三(1)班"]]
    plan = read_roster(school_db, write_rows(tmp_path / "名册.xlsx", rows))
    assert [(p.row, p.column) for p in plan.problems] == [(2, "学籍号")]
    assert "校验位" in plan.problems[0].message


def test_g_number_whose_birth_date_differs_from_the_birth_date_column_is_a_warning(school_db, tmp_path):
    inside = make_id("20160308", 1, male=True)
    rows = [ROSTER_HEADER, [f"G{inside}", "张三", "男", "2016-04-09", 3, "三(1)班"],
            [f"G{make_id('20160510', 2, male=False)}", "李四", "女", "2016-05-10", 3, "三(1)班"]]
    plan = read_roster(school_db, write_rows(tmp_path / "名册.xlsx", rows))
    assert plan.problems == []
    assert [(w.row, w.column) for w in plan.warnings] == [(2, "出生日期")]
    assert "2016-03-08" in plan.warnings[0].message and "2016-04-09" in plan.warnings[0].message


def test_importing_valid_rows_only_still_skips_a_row_with_hostile_text(school_db, tmp_path):
    from app.db.writes import SYSTEM
    from app.importing.roster import apply_roster

    rows = [ROSTER_HEADER, ["20160001", "张三", "男", "2016-03-08", 3, "三(1)班"],
            ["20160002", "李四", "女", "2016-03-08\x00", 3, "三(1)班"]]
    plan = read_roster(school_db, write_rows(tmp_path / "名册.xlsx", rows))
    assert [(p.row, p.column) for p in plan.problems] == [(3, "出生日期")]
    assert apply_roster(school_db, SYSTEM, plan, accept_valid_rows=True)["add"] == 1
    assert [r[0] for r in school_db.execute("SELECT name FROM pupil")] == ["张三"]


def test_messages_quoting_hostile_cells_never_reach_the_terminal_raw(school_path, tmp_path, capsys):
    # A class cell with an ANSI “clear screen” and a sheet name with a direction override: the
    # messages that quote them show the invisible characters as �.
    rows = [ROSTER_HEADER, ["20160001", "张三", "男", "2016-03-08", 3, "\x1b[2J三(1)班"]]
    path = write_rows(tmp_path / "名册.xlsx", rows, "名单\u202e")
    code, output = _run(capsys, ["import-roster", str(school_path), str(path)])
    assert code == 2
    assert "\x1b" not in output and "\u202e" not in output
    assert "工作表“名单\ufffd” 第 2 行 “班级”列" in output
