"""Teacher appraisal (000 篇16, issue 20 §5): items weighted by the preset, 12 % 优秀 with its tie
rule, worked by hand; the CLI's rows checked against plain SQL on the demo township."""
from __future__ import annotations

import json
import math

import pytest

from app.cli import main
from app.preset_store import activate, copy_preset, edit_preset
from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied
from app.stats.appraisal import EXCELLENT, FEW_ITEMS, TIED, COMPETENT, band_school, combine, group_places

WEIGHTS = {"routine": 0.3, "observation": 0.1, "quality": 0.4, "workload": 0.2}  # appraisal-000-16 as shipped


def test_the_total_is_the_weighted_mean_of_the_items_a_teacher_has():
    # 90×0.3 + 80×0.1 + 70×0.4 + 100×0.2 = 27 + 8 + 28 + 20
    assert combine({"routine": 90, "observation": 80, "quality": 70, "workload": 100}, WEIGHTS) == pytest.approx(83)
    # no observation quota: (80×0.3 + 90×0.4 + 50×0.2) / 0.9 = 70 / 0.9
    assert combine({"routine": 80, "observation": None, "quality": 90, "workload": 50}, WEIGHTS) \
        == pytest.approx(77.7777778)
    assert combine({"routine": None, "observation": None, "quality": None, "workload": None}, WEIGHTS) is None


def test_twelve_percent_excellent_and_ties_across_the_line_go_to_the_vote():
    # 篇16: 58 teachers at 12 % → 6 优秀 (6.96 rounded down)
    totals = [100 - i for i in range(58)]
    bands = band_school(totals, 0.12)
    assert bands.count(EXCELLENT) == 6 and bands[:6] == [EXCELLENT] * 6 and bands[6] == COMPETENT
    # 17 teachers → 2 places; the 2nd and 3rd tie on 90: neither is chosen by the computer
    seventeen = [95, 90, 90, 85] + [80.0] * 12 + [None]
    assert band_school(seventeen, 0.12)[:5] == [EXCELLENT, TIED, TIED, COMPETENT, COMPETENT]
    assert band_school(seventeen, 0.12)[-1] is None
    # a tie inside the quota is fine: 95, 95 both 优秀
    assert band_school([95, 95, 90] + [80.0] * 14, 0.12)[:3] == [EXCELLENT, EXCELLENT, COMPETENT]
    # 8 teachers → floor(0.96) = 0: a small teaching point has no 优秀 place of its own
    assert set(band_school([90.0] * 8, 0.12)) == {COMPETENT}


def test_the_places_are_drawn_per_school_and_shared_out_among_the_teaching_groups():
    # 篇16: 58 × 12 % → 6, "分別從語文組、數學組、綜合組中分別評出2名"
    assert group_places(6, {"语文组": 20, "数学组": 20, "综合组": 18}) == {"语文组": 2, "数学组": 2, "综合组": 2}
    # 7 places: 2 each, the 7th to the group with most teachers still without a place (数学 25 − 2 = 23)
    assert group_places(7, {"语文组": 20, "数学组": 25, "综合组": 13}) == {"语文组": 2, "数学组": 3, "综合组": 2}
    # a 语文组 of one takes one place; its spare one goes to 数学组 (8 left, like 综合组: the earlier group)
    assert group_places(6, {"语文组": 1, "数学组": 10, "综合组": 10}) == {"语文组": 1, "数学组": 3, "综合组": 2}
    assert group_places(2, {"语文组": 0, "数学组": 0, "综合组": 5}) == {"语文组": 0, "数学组": 0, "综合组": 2}
    # 25 teachers × 12 % = 3 places → one per group. The 综合组's 98 is above the 语文组's 95 but
    # its one place went to 99; the 数学组's two 93s tie across its line: both go to the vote.
    groups = ["语文组"] * 8 + ["数学组"] * 8 + ["综合组"] * 9
    totals = [95.0, 90.0] + [80.0] * 6 + [93.0, 93.0] + [80.0] * 6 + [99.0, 98.0] + [80.0] * 7
    bands = band_school(totals, 0.12, groups, ["语文组", "数学组", "综合组"])
    assert bands[:2] == [EXCELLENT, COMPETENT]
    assert bands[8:10] == [TIED, TIED]
    assert bands[16:18] == [EXCELLENT, COMPETENT]
    assert bands.count(EXCELLENT) == 2 and bands.count(TIED) == 2


def _rows(capsys, path, *extra):
    assert main(["appraisal", str(path), "--year", "2026-2027", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_lists_every_active_teacher_with_items_total_and_band(demo_path, demo_db, capsys):
    rows = _rows(capsys, demo_path)
    active = dict(demo_db.execute("SELECT staff_no, s.code FROM teacher t JOIN school s ON s.id = t.school_id"
                                  " WHERE t.active = 1").fetchall())
    assert {r["staff_no"]: r["school_code"] for r in rows} == active and len(rows) == len(active)
    routine = dict(demo_db.execute(
        "SELECT t.staff_no, AVG(r.total) FROM routine_check r JOIN teacher t ON t.id = r.teacher_id"
        " JOIN term ON term.id = r.term_id JOIN academic_year y ON y.id = term.academic_year_id"
        " WHERE y.code = '2026-2027' GROUP BY t.staff_no").fetchall())
    assert routine, "the demo has routine checks"
    for r in rows:
        assert set(r["items"]) == set(WEIGHTS) and r["preset_id"] == "appraisal-000-16"
        assert r["items"]["routine"] == (pytest.approx(routine[r["staff_no"]], abs=0.005)
                                         if r["staff_no"] in routine else None)
        present = {k: v for k, v in r["items"].items() if v is not None}
        if present:
            expected = sum(WEIGHTS[k] * v for k, v in present.items()) / sum(WEIGHTS[k] for k in present)
            assert r["total"] == pytest.approx(expected, abs=0.01)
        if r["items"]["observation"] is not None:
            assert r["items"]["observation"] == pytest.approx(min(100, 100 * r["observed"] / r["observation_quota"]),
                                                              abs=0.005)
        assert (r["band"] == FEW_ITEMS) == (r["total"] is not None and len(present) < 2)
    for code in set(active.values()):
        mine = [r for r in rows if r["school_code"] == code]
        assert sum(r["band"] == EXCELLENT for r in mine) <= math.floor(0.12 * len(mine))
        ranked = [r["total"] for r in mine if r["rank_in_school"] is not None]
        assert ranked == sorted(ranked, reverse=True)
    assert any(r["band"] == EXCELLENT for r in rows)


def test_an_edited_preset_changes_the_quota_and_the_stamp(demo_path, demo_db, system, capsys):
    copy = copy_preset(demo_db, system, "appraisal-000-16", "本校年度考核")
    activate(demo_db, system, copy.id)
    edited = edit_preset(demo_db, system, copy.id, {"excellent_share": "25%"})
    rows = [r for r in _rows(capsys, demo_path) if r["school_code"] == "QSZ01"]
    assert {r["preset_hash"] for r in rows} == {edited.hash}
    # 25 % of QSZ01's active teachers instead of 12 % (the demo's totals do not tie at the line)
    places = math.floor(0.25 * len(rows))
    assert places > math.floor(0.12 * len(rows)) and {r["school_places"] for r in rows} == {places}
    groups = {r["group"]: r["group_places"] for r in rows}
    assert sum(groups.values()) == places
    for group, share in groups.items():
        ranked = [r for r in rows if r["group"] == group and r["rank_in_school"] is not None]
        ranked.sort(key=lambda r: -r["total"])
        assert [r["band"] for r in ranked[:share]] == [EXCELLENT] * share
    assert sum(r["band"] == EXCELLENT for r in rows) == places and TIED not in {r["band"] for r in rows}


def test_an_unknown_year_is_refused_in_chinese(demo_path, capsys):
    assert main(["appraisal", str(demo_path), "--year", "2030-2031"]) == 2
    assert "没有学年“2030-2031”" in capsys.readouterr().err


def test_the_sheet_of_one_teacher_is_confidential_and_carries_their_row(demo_path, demo_db, capsys, tmp_path):
    from app.reports.appraisal_sheet import build

    row = next(r for r in _rows(capsys, demo_path) if r["band"] == EXCELLENT)
    report = build(demo_db, "2026-2027", row["staff_no"], SYSTEM)
    assert report.confidential and row["name"] in report.header
    items, result = report.tables()
    assert [line[1] for line in items.rows] == [f"{v:.2f}" if v is not None else "未考核" for v in row["items"].values()]
    assert [line[2] for line in items.rows] == ["30%", "10%", "40%", "20%"]
    assert result.rows[0][1] == f"{row['total']:.2f}" and result.rows[2][1] == "优秀"
    assert result.rows[3][1] == row["group"] and f"{row['group']}分得 {row['group_places']} 名" in result.rows[4][1]
    out = tmp_path / "考核表.pdf"
    assert main(["appraisal", str(demo_path), "--year", "2026-2027", "--sheet", row["staff_no"], "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert main(["appraisal", str(demo_path), "--year", "2026-2027", "--sheet", row["staff_no"]]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["appraisal", str(demo_path), "--year", "2026-2027", "--sheet", "NOBODY", "--out", str(out)]) == 2


def test_a_teacher_gets_only_their_own_sheet(demo_db):
    from app.reports.appraisal_sheet import build

    (me, my_no, school), (_other, other_no, _s2) = demo_db.execute(
        "SELECT id, staff_no, school_id FROM teacher WHERE active = 1 ORDER BY school_id, staff_no LIMIT 2").fetchall()
    teacher = Actor(username="t", role="teacher", teacher_id=me, school_id=school)
    assert build(demo_db, "2026-2027", my_no, teacher).confidential
    with pytest.raises(PermissionDenied, match="教师本人"):
        build(demo_db, "2026-2027", other_no, teacher)
    elsewhere = demo_db.execute("SELECT staff_no FROM teacher WHERE active = 1 AND school_id != ? LIMIT 1",
                                [school]).fetchone()[0]
    with pytest.raises(PermissionDenied):
        build(demo_db, "2026-2027", elsewhere, Actor(username="a", role="school_admin", school_id=school))
