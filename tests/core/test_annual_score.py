"""000 篇20's annual performance score from a filled item sheet, worked by hand on the five-school
township: 满意度 (two rater groups 30/70), 绩效得分 (60/30/10 + 教育质量 ≤ 10), 等次 with 篇20's other
conditions, and 中心小学得分 = 校本部 × 60 % + 村级学校平均 × 40 % applied to this annual score."""
from __future__ import annotations

import json

import pytest
from openpyxl import Workbook
from scheme_helpers import build_township

from app.cli import main

HEAD = ["学校代码", "指标体系得分", "动态考核得分", "班子满意", "班子较满意", "班子基本满意", "班子有效票数", "群众满意",
        "群众较满意", "群众基本满意", "群众有效票数", "教育质量得分", "政治素质等次", "党建等次", "通报批评", "严重事件"]
ROWS = [
    ["SA", 90, 95, 8, 2, 0, 10, 60, 30, 10, 100, 8, "好", "好", "否", "否"],
    ["SB", 80, 80, 5, 5, 0, 10, 50, 30, 10, 100, 12, "好", "好", "是", "否"],
    ["SC", 70, 60, None, None, None, None, 20, 20, 20, 100, 0, "好", "好", "否", "否"],
    ["SD", 85, 75, 10, 0, 0, 10, 100, 0, 0, 100, 5, "较好", "好", "否", "否"],
    ["SE", 70, 70, 2, 2, 2, 6, 10, 10, 10, 30, 2, None, None, None, None],
]


def _sheet(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "年度考核"
    sheet.append(HEAD)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def township(tmp_path_factory):
    return build_township(tmp_path_factory.mktemp("annual"))


def test_scores_bands_and_central_school_worked_by_hand(township, tmp_path, capsys):
    sheet = _sheet(tmp_path / "考核.xlsx", ROWS)
    capsys.readouterr()
    assert main(["township", "annual", str(township["path"]), "--sheet", str(sheet), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    schools = {s["school_code"]: s for s in result["schools"]}
    # SA: 满意度 0.3 × (8 + 2 × 0.8) / 10 × 100 + 0.7 × (60 + 30 × 0.8 + 10 × 0.6) = 28.8 + 63 = 91.8;
    #     0.6 × 90 + 0.3 × 95 + 0.1 × 91.8 + 8 = 99.68 → 好.
    assert schools["SA"]["satisfaction"] == pytest.approx(91.8) and schools["SA"]["score"] == pytest.approx(99.68)
    # SB: 满意度 27 + 56 = 83; 教育质量 12 counts 10; 48 + 24 + 8.3 + 10 = 90.3, but 通报批评 → 较好.
    assert (round(schools["SB"]["score"], 2), schools["SB"]["quality"], schools["SB"]["band"]) == (90.3, 10, "较好")
    assert "通报批评" in schools["SB"]["band_note"]
    # SC: no 班子 votes: 满意度 is the 群众's 48 alone; 42 + 18 + 4.8 = 64.8 → 差 (said why).
    assert (round(schools["SC"]["score"], 2), schools["SC"]["band"]) == (64.8, "差")
    assert "原文另要求" in schools["SC"]["band_note"]
    # SD: 100 each; 51 + 22.5 + 10 + 5 = 88.5 → 较好 (政治素质 较好).
    assert (round(schools["SD"]["score"], 2), schools["SD"]["band"]) == (88.5, "较好")
    # SE: 80 each; 42 + 21 + 8 + 2 = 73 → 一般.
    assert (round(schools["SE"]["score"], 2), schools["SE"]["band"]) == (73.0, "一般")
    # 中心小学得分 = 0.6 × 99.68 + 0.4 × (90.3 + 64.8 + 88.5 + 73) / 4 = 59.808 + 31.66.
    central = result["central"][0]
    assert (central["central_school_code"], central["villages"]) == ("SA", 4)
    assert central["score"] == pytest.approx(91.468)
    assert result["preset_id"] == "central-000-20"


def test_a_bad_sheet_names_its_cells_and_nothing_is_computed(township, tmp_path, capsys):
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[0][7] = 200        # 群众满意 above the valid votes
    rows[1][12] = "优秀"    # not a 篇20 等次
    sheet = _sheet(tmp_path / "坏.xlsx", rows)
    capsys.readouterr()
    assert main(["township", "annual", str(township["path"]), "--sheet", str(sheet)]) == 2
    err = capsys.readouterr().err
    assert "工作表“年度考核” 第 2 行 “群众有效票数”列:满意、较满意、基本满意的票数之和超过了有效票数" in err
    assert "第 3 行 “政治素质等次”列:等次“优秀”应为 好、较好、一般 或 差" in err


EVAL_HEAD = ["学校代码", "部分", "项目", "满分", "自评得分", "乡镇评分"]


def test_the_240_point_evaluation_self_first_then_the_township(township, tmp_path, capsys):
    rows = [["SA", "过程性", "课程实施", 60, 55, 50], ["SA", "过程性评估", "教学常规", 40, 38, 36],
            ["SA", "效益性", "学业水平", 100, 90, 80], ["SA", "发展性", "特色项目", 40, 30, 28],
            ["SB", "过程性", "全部", 100, 80, 70], ["SB", "效益性", "全部", 100, 70, 50], ["SB", "发展性", "全部", 40, 30, 24],
            ["SC", "过程性", "全部", 100, 60, None], ["SC", "效益性", "全部", 100, 50, None], ["SC", "发展性", "全部", 40, 20, None]]
    sheet = _sheet(tmp_path / "评估.xlsx", [])
    from openpyxl import load_workbook
    book = load_workbook(sheet)
    book.active.delete_rows(1)
    book.active.append(EVAL_HEAD)
    for row in rows:
        book.active.append(row)
    book.save(sheet)
    capsys.readouterr()
    assert main(["township", "evaluation", str(township["path"]), "--sheet", str(sheet), "--json"]) == 0
    schools = {s["school_code"]: s for s in json.loads(capsys.readouterr().out)["schools"]}
    # SA: self 93 + 90 + 30 = 213 (达标), township 86 + 80 + 28 = 194 (达标).
    assert (schools["SA"]["self_total"], schools["SA"]["self_band"]) == (213, "达标")
    assert (schools["SA"]["township_total"], schools["SA"]["township_band"], schools["SA"]["difference"]) == \
        (194, "达标", -19)
    assert schools["SA"]["parts"]["过程性"] == {"max": 100, "self": 93, "township": 86}
    # SB: self 180 (基本达标); township 144, the lower edge of 基本达标.
    assert (schools["SB"]["self_band"], schools["SB"]["township_total"], schools["SB"]["township_band"]) == \
        ("基本达标", 144, "基本达标")
    # SC: self 130 → 不达标; the township has not scored yet.
    assert (schools["SC"]["self_band"], schools["SC"]["township_total"], schools["SC"]["township_band"]) == \
        ("不达标", None, None)


def test_a_bad_evaluation_sheet_is_refused_with_its_cells(township, tmp_path, capsys):
    from openpyxl import Workbook as Book
    book = Book()
    book.active.title = "评估"
    book.active.append(EVAL_HEAD)
    for row in (["SA", "过程性", "一", 60, 70, None], ["SA", "管理性", "二", 10, 5, None]):
        book.active.append(row)
    path = tmp_path / "坏评估.xlsx"
    book.save(path)
    capsys.readouterr()
    assert main(["township", "evaluation", str(township["path"]), "--sheet", str(path)]) == 2
    err = capsys.readouterr().err
    assert "工作表“评估” 第 2 行 “自评得分”列:“70”应为 0 到满分之间的数" in err
    assert "第 3 行 “部分”列:部分“管理性”应为 过程性、效益性、发展性 之一" in err
    book.active.delete_rows(2, 2)
    for row in (["SA", "过程性", "一", 60, 50, None], ["SA", "过程性", "二", 50, 40, None]):
        book.active.append(row)
    book.save(path)
    assert main(["township", "evaluation", str(township["path"]), "--sheet", str(path)]) == 2
    assert "A校的过程性评估各项满分之和 110 超过了 100 分" in capsys.readouterr().err
