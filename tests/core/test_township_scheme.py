"""000 篇7's township scheme on a five-school township worked out by hand: 单科成绩 from 巩固率, 人均分
(over the autumn-intake roster), 优秀率 and 前N名人数, each scaled to the best school; 学校总评 without the
教学点; two groups; reward and penalty flags with the rule quoted; `schoolq township score --json`."""
from __future__ import annotations

import json
import re

import pytest
from openpyxl import load_workbook
from report_helpers import line_with, pages_text
from scheme_helpers import build_township

from app.cli import main
from app.db.writes import SYSTEM
from app.preset_store import edit_preset
from app.reports import make_report
from app.services.exams import create_exam
from app.stats.township_scheme import township_subject_scores

@pytest.fixture(scope="module")
def township(tmp_path_factory):
    """The five-school township of scheme_helpers (篇7 preset copied with top_n = 3, in force)."""
    return build_township(tmp_path_factory.mktemp("p7"))


def _open(township):
    from app.db.database import open_database
    return open_database(township["path"])


# Worked by hand. Best values: 巩固率 1 (C has 3 of 4 left), 人均分 80 (E), 优秀率 0.5, 前3名 1 pupil
# (95 B, 90 A, 88 C).
#   A: 人均分 75 → 93.75; 0.1×100 + 0.5×93.75 + 0.2×100 + 0.2×100 = 96.875
#   B: 人均分 70 → 87.5;  10 + 43.75 + 20 + 20 = 93.75
#   C: 巩固率 .75, 人均分 230/4 = 57.5 (the pupil who left counts 0) → 71.875, 优秀率 .25 → 50, 前3名 1:
#      7.5 + 35.9375 + 10 + 20 = 73.4375
#   D: 人均分 60 → 75, no 优秀, none in the first 3: 10 + 37.5 = 47.5
#   E: 人均分 80 → 100, 优秀率 .5, none in the first 3: 10 + 50 + 20 = 80
EXPECTED = {"SA": 96.875, "SB": 93.75, "SC": 73.4375, "SD": 47.5, "SE": 80.0}


def test_single_subject_scores_ranks_and_flags_worked_by_hand(township):
    db = _open(township)
    try:
        result = township_subject_scores(db, township["exam"])
    finally:
        db.close()
    items = {i["school_code"]: i for i in result["items"]}
    assert {c: round(i["score"], 4) for c, i in items.items()} == EXPECTED
    assert (items["SC"]["n"], items["SC"]["retention"], items["SC"]["mean"]) == (4, 0.75, 57.5)
    # D's pupil who left after the exam was there on the exam day: 巩固率 stays 1 (today's status alone
    # would say 3 of 4).
    assert (items["SD"]["n"], items["SD"]["retention"]) == (4, 1.0)
    assert [items[c]["top_n"] for c in ("SA", "SB", "SC", "SD", "SE")] == [1, 1, 1, 0, 0]
    assert (items["SA"]["group"], items["SB"]["group"]) == ("校本部", "完小、教学点")
    # Group 2 (完小、教学点): B 93.75, E 80, C 73.4375, D 47.5; township mean 391.5625 / 5 = 78.3125.
    assert [(c, items[c]["rank"]) for c in ("SB", "SE", "SC", "SD")] == [("SB", 1), ("SE", 2), ("SC", 3), ("SD", 4)]
    flags = {c: [f["code"] for f in i["flags"]] for c, i in items.items()}
    assert flags == {"SA": [], "SB": ["subject_reward"], "SE": ["subject_reward"],
                     "SC": ["subject_top_third", "subject_exempt"],  # 73.4375 ≥ 78.3125 − 5
                     "SD": ["subject_top_third", "subject_penalty"]}
    penalty = next(f for f in items["SD"]["flags"] if f["code"] == "subject_penalty")
    assert "倒数后两名的教师予以处罚" in penalty["rule"] and penalty["text"] == "倒数第一名,科任教师受罚"
    assert result["preset_hash"] == township["preset"].hash and result["roster_day"] == "2026-09-01"


def test_school_total_leaves_the_teaching_point_out(township):
    db = _open(township)
    try:
        schools = {s["school_code"]: s for s in township_subject_scores(db, township["exam"])["schools"]}
    finally:
        db.close()
    assert {c: round(s["total"], 4) for c, s in schools.items()} == EXPECTED
    assert (schools["SE"]["in_total"], schools["SE"]["total_rank"]) == (False, None)
    assert [f["code"] for f in schools["SE"]["flags"]] == ["outside_total"]
    assert "教学点不参与学校总评" in schools["SE"]["flags"][0]["rule"]
    # In 学校总评 group 2 holds B, C, D only; the mean of the four schools in it is 311.5625 / 4 = 77.89.
    assert [(c, schools[c]["total_rank"], schools[c]["total_rank_of"]) for c in ("SB", "SC", "SD")] == \
        [("SB", 1, 3), ("SC", 2, 3), ("SD", 3, 3)]
    assert [f["code"] for f in schools["SD"]["flags"]] == ["school_penalty"]  # 47.5 < 77.89 − 10
    assert [f["code"] for f in schools["SB"]["flags"]] == ["school_reward"]
    assert (schools["SA"]["total_rank"], schools["SA"]["flags"]) == (1, [])


def test_composite_subject_adds_the_other_subjects(township):
    db = _open(township)
    try:
        items = township_subject_scores(db, township["zh_exam"])["items"]
    finally:
        db.close()
    # 科学 50, 40, 30, 20 plus 道德与法治 40 each: 90, 80, 70, 60 of 200; the excellent line 160.
    assert [(i["school_code"], i["subject"], i["full_marks"], i["mean"], i["excellent_rate"]) for i in items] == \
        [("SA", "综合", 200.0, 75.0, 0.0)]


def test_report_prints_totals_flags_with_their_rule_and_the_preset(township, tmp_path):
    db = _open(township)
    try:
        pdf = make_report(db, "township-score", township["exam"], tmp_path / "篇7.pdf")
        book = make_report(db, "township-score", township["exam"], tmp_path / "篇7.xlsx")
    finally:
        db.close()
    text = "\n".join(pages_text(pdf))
    assert line_with(text, "D校", "47.5", "3/3", "学校总评倒数第一")
    assert line_with(text, "E校", "教学点", "不参与")
    assert "学校总评位居倒数第一名的学校校长、教导主任、包校人员分别处罚200元" in text.replace("\n", "").replace(" ", "")
    # The seed's file name ("000 篇7") never reaches a reader; the data hash printed on the page may hold "000".
    assert "测试镇篇7" in text and not re.search(r"000\s*篇", text)
    sheet = load_workbook(book)["学校总评"]
    totals = {row[0].value: row[4].value for row in sheet.iter_rows(min_row=2)}
    assert totals["D校"] == pytest.approx(47.5) and totals["A校"] == pytest.approx(96.875)


def test_cli_json_and_a_preset_edit_change_scores_and_stamp(township, capsys, monkeypatch):
    capsys.readouterr()
    assert main(["township", "score", str(township["path"]), "--exam", township["exam"], "--json"]) == 0
    rows = {r["school_code"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(EXPECTED)
    row = rows["SD"]
    assert (row["group"], round(row["total"], 4), row["total_rank"], row["preset_hash"]) == \
        ("完小、教学点", 47.5, 3, township["preset"].hash)
    assert rows["SE"]["total_rank"] is None and rows["SE"]["items"][0]["subject"] == "语文"
    assert {"retention", "mean", "excellent_rate", "top_n", "score", "rank", "flags"} <= set(row["items"][0])

    db = _open(township)
    try:
        edited = edit_preset(db, SYSTEM, township["preset"].id, {"weights.mean": 0.6, "weights.top_n": 0.1})
        scores = {i["school_code"]: i["score"] for i in township_subject_scores(db, township["exam"])["items"]}
    finally:
        db.close()
    # A: 0.1×100 + 0.6×93.75 + 0.2×100 + 0.1×100 = 96.25
    assert scores["SA"] == pytest.approx(96.25)
    capsys.readouterr()
    assert main(["township", "score", str(township["path"]), "--exam", township["exam"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["preset_hash"] == edited.hash != township["preset"].hash


def test_a_sample_test_is_not_ranked(township, capsys):
    db = _open(township)
    try:
        exam = create_exam(db, SYSTEM, name="抽测", type="抽测", grades=[3], subjects="语文:100", date="2026-12-01")
    finally:
        db.close()
    capsys.readouterr()
    assert main(["township", "score", str(township["path"]), "--exam", exam]) == 2
    assert "抽测不排名" in capsys.readouterr().err

