"""000 篇7's township scheme on a five-school township worked out by hand: 单科成绩 from 巩固率, 人均分
(over the autumn-intake roster), 优秀率 and 前N名人数, each scaled to the best school; 学校总评 without the
教学点; two groups; reward and penalty flags with the rule quoted; `schoolq township score --json`."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from report_helpers import line_with, pages_text

from app.cli import main
from app.db.writes import SYSTEM
from app.marks.entry import set_mark
from app.preset_store import activate, copy_preset, edit_preset
from app.reports import make_report
from app.services import setup
from app.services.classes import create_class
from app.services.exams import create_exam
from app.services.pupils import add_pupil
from app.services.schools import create_school
from app.stats.township_scheme import township_subject_scores

# Grade 3 语文 marks per school (None: on the autumn roster, left in October as 流失, no mark).
MARKS = {
    "A": ("中心校本部", [90, 80, 70, 60]),
    "B": ("完小", [95, 85, 50, 50]),
    "C": ("完小", [88, 72, 70, None]),
    "D": ("完小", [60, 60, 60, 60]),
    "E": ("教学点", [82, 78]),
}


@pytest.fixture(scope="module")
def township(tmp_path_factory):
    """The township: five schools with one grade-3 class each, a 统考 of 语文 (and a second one of
    科学 + 道德与法治 at school A only), and the 篇7 preset copied with top_n = 3 and put in force."""
    path = tmp_path_factory.mktemp("p7") / "t.sqlite"
    db = setup.init_township(path, code="TST", name="测试镇", passphrase="demo", demo=True, today=dt.date(2026, 10, 20))
    township_id = db.execute("SELECT id FROM township").fetchone()[0]
    year_id = db.execute("SELECT id FROM academic_year WHERE code LIKE '2026%'").fetchone()[0]
    yw_exam = create_exam(db, SYSTEM, name="期中统考", type="统考", grades=[3], subjects="语文:100", date="2026-11-10",
                          policy="roster", cutoffs={"excellent_pct": 80, "pass_pct": 60, "low_pct": 40})
    zh_exam = create_exam(db, SYSTEM, name="综合测试", type="统考", grades=[3], subjects="科学:100,道德与法治:100",
                          date="2026-11-12", policy="roster", cutoffs={"excellent_pct": 80, "pass_pct": 60, "low_pct": 40})
    subjects = {r[0]: r[1] for r in db.execute("SELECT code, id FROM subject")}
    for n, (code, (kind, marks)) in enumerate(MARKS.items()):
        school_id = create_school(db, SYSTEM, code=f"S{code}", name=f"{code}校", type=kind, township_id=township_id)
        class_id = create_class(db, SYSTEM, school_id=school_id, academic_year_id=year_id, grades=[3])
        for i, mark in enumerate(marks):
            values = {"student_no": f"P{n}{i}00", "name": "张" + "一二三四"[i] + "甲乙丙丁戊"[n], "gender": "男", "grade": 3,
                      "class_id": class_id, "enrol_date": "2023-09-01"}
            if mark is None:
                values.update(status="流失", status_date="2026-10-10")
            pupil_id = add_pupil(db, SYSTEM, school_id, values)
            if mark is not None:
                set_mark(db, SYSTEM, exam_id=yw_exam, pupil_id=pupil_id, subject_id=subjects["yw"], value=mark)
            if code == "A":
                set_mark(db, SYSTEM, exam_id=zh_exam, pupil_id=pupil_id, subject_id=subjects["kx"], value=50 - 10 * i)
                set_mark(db, SYSTEM, exam_id=zh_exam, pupil_id=pupil_id, subject_id=subjects["df"], value=40)
    copy = copy_preset(db, SYSTEM, "township-000-7", "测试镇篇7")
    copy = edit_preset(db, SYSTEM, copy.id, {"top_n": 3})
    activate(db, SYSTEM, copy.id)
    db.close()
    return {"path": path, "exam": yw_exam, "zh_exam": zh_exam, "preset": copy}


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
    assert "测试镇篇7" in text and "000" not in text.replace("1000", "").replace("2000", "")
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

