"""The school's 篇10 self-assessment and its teachers' 篇11 survey scores go up in the school's data
package: the township then holds the school's items and 自评 beside its own 乡镇评分 (kept), and the
survey scores feed its appraisal of the school's teachers; a later package that drops a score
removes it there, and a bad row is refused with its place and nothing written."""
from __future__ import annotations

import pytest

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.packages.export import export_package
from app.packages.signing import own_public_pem
from app.packages.township_import import import_package
from app.packages.trust import register_key
from app.services import setup
from app.errors import ValidationError
from app.services.appraisal_surveys import receive_from_package as receive_surveys
from app.services.appraisal_surveys import save_surveys, survey_scores
from app.services.scheme_sheets import evaluation_rows, save_evaluation
from app.services.scheme_sheets import receive_from_package as receive_sheets
from app.services.targets import list_targets, set_targets
from app.services.users import actor_for
from app.stats.presets import resolve
from app.stats.school_evaluation import evaluate

YEAR = "2026-2027"
TOWNSHIP = [15, 15, 15, 10, 10, 5, 20, 30, 20, 10, 10]


def _items(db, township: list | None) -> list[dict]:
    items = resolve(db, "school_evaluation", None)["items"]
    return [{"school": "QSZ01", "part": i["part"], "item": i["name"], "max": float(i["max"]), "self": i["max"] - 1.0,
             "township": None if township is None else float(township[n])} for n, i in enumerate(items)]


def test_the_self_assessment_and_survey_scores_go_up_and_the_townships_scores_stay(demo_dir, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    township = setup.init_township(tmp_path / "t.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    admin = actor_for(township)
    school = open_database(demo_dir / "schools" / "QSZ01.sqlite")
    try:
        register_key(township, admin, level="school", code="QSZ01", pem=own_public_pem(school))
        head = actor_for(school)
        save_evaluation(school, head, YEAR, _items(school, None))
        save_surveys(school, head, YEAR, [{"staff_no": "QSZ01009", "self": 90, "pupils": 70},
                                          {"staff_no": "QSZ01007", "self": 80}])
        first = export_package(school, head, "demo", usb, unencrypted=True).path
        assert import_package(township, admin, first).status == "accepted"
        result = evaluate(township, evaluation_rows(township, YEAR))["schools"][0]
        assert (result["school_code"], result["self_total"], result["township_total"]) == ("QSZ01", 229, None)
        teacher, school_id = township.execute("SELECT id, school_id FROM teacher WHERE staff_no = 'QSZ01009'").fetchone()
        assert survey_scores(township, YEAR)[teacher] == {"self": 90, "pupils": 70}
        # the township scores; the school lowers its 自评 and drops a score: the next package keeps the
        # township's column, takes the school's 自评, and removes the dropped score
        save_evaluation(township, admin, YEAR, _items(township, TOWNSHIP))
        save_evaluation(school, head, YEAR, [{**row, "self": row["max"] - 2.0} for row in _items(school, None)])
        save_surveys(school, head, YEAR, [{"staff_no": "QSZ01009", "self": 95, "pupils": None}])
        second = export_package(school, head, "demo", usb, unencrypted=True).path
        assert import_package(township, admin, second).status == "accepted"
        result = evaluate(township, evaluation_rows(township, YEAR))["schools"][0]
        assert (result["self_total"], result["township_total"], result["township_band"]) == (240 - 22, 160, "基本达标")
        assert survey_scores(township, YEAR)[teacher] == {"self": 95}
    finally:
        school.close()
    # a bad row of the 多方评价 sheet (a score above 100) is refused with its place, nothing written
    bad = [{"sheet": "多方评价", "row": 2, "school_id": school_id, "teacher_id": teacher, "rater": "self", "score": 160.0,
            "year_code": YEAR}]
    with pytest.raises(ValidationError, match="工作表“多方评价” 第 2 行"):
        receive_surveys(township, admin, bad, {school_id}, YEAR)
    assert survey_scores(township, YEAR)[teacher] == {"self": 95}
    township.close()


def test_the_schools_package_keeps_the_teacher_on_each_target(demo_dir, tmp_path):
    """A school's targets (set by the township, come down in its config package) go back up in the
    school's data package with the teacher of each teacher's target, 进步值 and 名次 included."""
    usb = tmp_path / "usb"
    usb.mkdir()
    township = setup.init_township(tmp_path / "t.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    admin = actor_for(township)
    school = open_database(demo_dir / "schools" / "QSZ01.sqlite")
    try:
        register_key(township, admin, level="school", code="QSZ01", pem=own_public_pem(school))
        set_targets(school, SYSTEM, [
            {"school": "QSZ01", "teacher": "QSZ01009", "grade": 3, "subject": "语文", "metric": "进步值", "target": 3},
            {"school": "QSZ01", "teacher": "QSZ01009", "metric": "平均分", "target": 75},
            {"school": "QSZ01", "grade": 3, "metric": "名次", "target": 2},
        ])
        package = export_package(school, actor_for(school), "demo", usb, unencrypted=True).path
        assert import_package(township, admin, package).status == "accepted"
        got = sorted((t["teacher_staff_no"] or "", t["grade"] or 0, t["subject"] or "", t["metric_name"], t["target"])
                     for t in list_targets(township))
    finally:
        school.close()
        township.close()
    assert got == [("", 3, "", "名次", 2), ("QSZ01009", 0, "", "平均分", 75), ("QSZ01009", 3, "语文", "进步值", 3)]


def test_a_schools_package_may_not_bring_a_pian20_sheet(demo_db):
    """篇20 is the township's to fill: a 考核评估表 row of kind annual from a school is refused with its place."""
    school_id = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ02'").fetchone()[0]
    row = {"sheet": "考核评估表", "row": 2, "school_id": school_id, "year_code": YEAR, "kind": "annual",
           "content": '{"index": 85, "dynamic": 90}'}
    before = demo_db.execute("SELECT COUNT(*) FROM scheme_sheet").fetchone()[0]
    with pytest.raises(ValidationError, match="工作表“考核评估表” 第 2 行"):
        receive_sheets(demo_db, SYSTEM, [row], {school_id}, from_school=True)
    assert demo_db.execute("SELECT COUNT(*) FROM scheme_sheet").fetchone()[0] == before
