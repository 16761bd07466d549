"""篇11's 360° appraisal as a preset (自评 40 %, 同事 10 %, 领导 10 %, 学生 30 %, 家长 10 %) whose survey
scores are typed or imported per teacher, feeding the year's appraisal: totals worked by hand, the
import refused whole with its cell named, and only a school's own staff may enter its scores."""
from __future__ import annotations

import pytest
from openpyxl import Workbook

from app.db.writes import SYSTEM, Actor
from app.errors import PermissionDenied, ValidationError
from app.preset_store import activate, copy_preset, edit_preset
from app.services.appraisal_surveys import import_surveys, save_surveys, survey_scores
from app.stats.appraisal import FEW_ITEMS, appraisal

YEAR = "2026-2027"


def _by_staff(db) -> dict:
    school = db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    return {r["staff_no"]: r for r in appraisal(db, YEAR, school_id=school)}


def test_the_360_preset_weighs_the_five_sides_as_the_seed_says(demo_db, system):
    save_surveys(demo_db, system, YEAR, [
        {"staff_no": "QSZ01009", "self": 90, "peers": 80, "leaders": 85, "pupils": 70, "parents": 100},
        {"staff_no": "QSZ01007", "self": 80, "pupils": 60, "parents": 90},
        {"staff_no": "QSZ01013", "self": 90, "peers": 80}])
    before = _by_staff(demo_db)["QSZ01009"]
    assert set(before["items"]) == {"routine", "observation", "quality", "workload"}, "篇16's preset is in force"
    activate(demo_db, system, "appraisal-000-11")
    rows = _by_staff(demo_db)
    full = rows["QSZ01009"]
    assert full["items"] == {"self": 90, "peers": 80, "leaders": 85, "pupils": 70, "parents": 100}
    # 90 × 40 % + 80 × 10 % + 85 × 10 % + 70 × 30 % + 100 × 10 % = 36 + 8 + 8.5 + 21 + 10
    assert full["total"] == 83.5 and full["preset_id"] == "appraisal-000-11"
    # three sides: (80 × 0.4 + 60 × 0.3 + 90 × 0.1) ÷ 0.8 = 59 ÷ 0.8
    assert rows["QSZ01007"]["total"] == 73.75 and rows["QSZ01007"]["rank_in_school"] == 2
    # two sides (fewer than the preset's 3): (90 × 0.4 + 80 × 0.1) ÷ 0.5 = 88, listed but not ranked
    assert (rows["QSZ01013"]["total"], rows["QSZ01013"]["band"]) == (88, FEW_ITEMS)
    assert rows["QSZ01009"]["rank_in_school"] == 1
    copy = copy_preset(demo_db, system, "appraisal-000-11", "本校多方评价")
    activate(demo_db, system, copy.id)
    edited = edit_preset(demo_db, system, copy.id, {"weights.self": "50%", "weights.pupils": "20%"})
    # 45 + 8 + 8.5 + 14 + 10
    assert _by_staff(demo_db)["QSZ01009"]["total"] == 85.5
    assert _by_staff(demo_db)["QSZ01009"]["preset_hash"] == edited.hash


def test_survey_scores_are_entered_by_the_schools_staff_and_cleared_by_an_empty_cell(demo_db):
    school = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
    other = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ02'").fetchone()[0]
    head = Actor(username="head", role="school_admin", school_id=school)
    assert save_surveys(demo_db, head, YEAR, [{"staff_no": "QSZ01009", "self": 90, "pupils": 70}]) == 2
    assert save_surveys(demo_db, head, YEAR, [{"staff_no": "QSZ01009", "self": 95, "pupils": None}]) == 2
    teacher = demo_db.execute("SELECT id FROM teacher WHERE staff_no = 'QSZ01009'").fetchone()[0]
    assert survey_scores(demo_db, YEAR)[teacher] == {"self": 95}
    with pytest.raises(PermissionDenied):
        save_surveys(demo_db, Actor(username="x", role="school_admin", school_id=other), YEAR,
                     [{"staff_no": "QSZ01009", "self": 10}])
    with pytest.raises(PermissionDenied):
        save_surveys(demo_db, Actor(username="t", role="teacher", school_id=school, teacher_id=teacher), YEAR,
                     [{"staff_no": "QSZ01009", "self": 100}])
    with pytest.raises(ValidationError, match="应为 0 到 100 之间"):
        save_surveys(demo_db, head, YEAR, [{"staff_no": "QSZ01009", "self": 101}])
    assert demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'appraisal_survey'").fetchone()[0] == 4


def test_an_imported_sheet_is_stored_whole_or_refused_naming_its_cell(demo_db, tmp_path):
    book = Workbook()
    ws = book.active
    ws.title = "多方评价"
    ws.append(["工号", "姓名", "教师自评", "同事互评", "领导评价", "学生评价", "家长评价"])
    ws.append(["QSZ01009", "邓梓", 90, 80, 85, "70分", 100])
    ws.append(["QSZ01007", "曹瑶", 80, None, None, "优", 90])
    ws.append(["NOBODY", "某某", 80, None, None, None, None])
    path = tmp_path / "评价.xlsx"
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        import_surveys(demo_db, SYSTEM, YEAR, path)
    text = str(caught.value)
    assert "工作表“多方评价” 第 3 行 “学生评价”列:“优”不是 0 到 100 之间的分数" in text
    assert "工作表“多方评价” 第 4 行 “工号”列:没有工号为“NOBODY”的在职教师" in text
    assert survey_scores(demo_db, YEAR) == {}, "nothing written"
    ws.delete_rows(3, 2)
    book.save(path)
    assert import_surveys(demo_db, SYSTEM, YEAR, path) == 5
    teacher = demo_db.execute("SELECT id FROM teacher WHERE staff_no = 'QSZ01009'").fetchone()[0]
    assert survey_scores(demo_db, YEAR)[teacher] == {"self": 90, "peers": 80, "leaders": 85, "pupils": 70, "parents": 100}
