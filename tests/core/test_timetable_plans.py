"""Curriculum plans: the shipped preset matches the provincial table's weekly totals; a school
copies and adjusts it, and the checker follows the school's copy."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from app.db.writes import SYSTEM
from app.errors import PermissionDenied, ValidationError
from app.services.users import actor_for
from app.timetable.check import check_timetable
from app.timetable.plans import (add_line, copy_preset, delete_plan, list_presets, load_preset, parse_band,
                                 preset_plan, preset_problems, school_plan, set_hours, update_line)

# 义务教育课程方案(2022): weekly totals per grade.
TOTALS = {1: 26, 2: 26, 3: 30, 4: 30, 5: 30, 6: 30, 7: 34, 8: 34, 9: 34}


def test_shipped_plan_names_its_source_and_adds_up():
    presets = list_presets()
    assert presets[0].id == "curriculum-zhejiang-2023" and presets[0].kind == "curriculum"
    content = load_preset()
    assert "浙江省义务教育课程设置及比例(2023年版)" in content["source"] and content["source_url"].startswith("http")
    assert {int(g): v["total"] for g, v in content["grades"].items()} == TOTALS
    plan = preset_plan(content)
    for grade, total in TOTALS.items():
        low, high = plan.grade_total(grade)
        assert low <= total <= high
    assert plan.grade_total(1) == (26, 26) and plan.grade_total(5) == (30, 30)
    assert preset_problems(content, {s["code"] for s in json.load(open("resources/presets/subjects.json",
                                                                       encoding="utf-8"))["subjects"]}) == []
    tested = {line.name for line in plan.lines if line.tested}
    assert tested == {"语文", "数学", "外语", "科学"}
    assert plan.line_of("sf").name == "语文" and plan.line_of("ms").name == "艺术"


def test_parse_band():
    assert parse_band("4") == (4, 4) and parse_band("4-5") == (4, 5) and parse_band("４～５") == (4, 5)
    assert parse_band("") is None
    with pytest.raises(ValidationError):
        parse_band("5-4")
    with pytest.raises(ValidationError):
        parse_band("很多")


def _school(db, code="QSZ01"):
    return db.execute("SELECT id FROM school WHERE code = ?", [code]).fetchone()[0]


def test_school_copy_adjusted_and_used_by_the_checker(demo_db):
    school = _school(demo_db)
    assert school_plan(demo_db, school).plan_id is None
    plan_id = copy_preset(demo_db, SYSTEM, school)
    plan = school_plan(demo_db, school)
    assert plan.plan_id == plan_id and [l.name for l in plan.lines] == [l.name for l in preset_plan(load_preset()).lines]
    assert check_timetable(demo_db, school_id=school).findings == []
    with pytest.raises(ValidationError):
        copy_preset(demo_db, SYSTEM, school)
    # The school adds a 校本课程 line of one period in grade 1: its 校本课程 period now counts there,
    # so the combined line of grade 1 is one short in every grade-1 class.
    combined = next(l for l in plan.lines if l.name.startswith("劳动"))
    with pytest.raises(ValidationError) as caught:
        add_line(demo_db, SYSTEM, school, name="校本课程", subjects="校本课程")
    assert "已计入" in str(caught.value)
    update_line(demo_db, SYSTEM, combined.item_id, subjects="劳动、综合实践活动、地方课程、心理健康")
    line = add_line(demo_db, SYSTEM, school, name="校本课程", subjects="校本课程")
    set_hours(demo_db, SYSTEM, line, 1, "1")
    found = check_timetable(demo_db, school_id=school).findings
    grade1 = {r[0] for r in demo_db.execute(
        "SELECT c.name FROM class c JOIN class_grade g ON g.class_id = c.id JOIN academic_year y"
        " ON y.id = c.academic_year_id WHERE c.school_id = ? AND g.grade = 1 AND y.code = '2026-2027'", [school])}
    others = {r[0] for r in demo_db.execute(
        "SELECT c.name FROM class c JOIN class_grade g ON g.class_id = c.id JOIN academic_year y"
        " ON y.id = c.academic_year_id WHERE c.school_id = ? AND g.grade > 1 AND y.code = '2026-2027'", [school])}
    assert {(f.rule, f.class_name) for f in found} == \
        {("untested_subject_under_plan", c) for c in grade1 | others} | {("subject_over_plan", c) for c in others}
    assert all(f.basis.startswith("plan:") for f in found)
    assert delete_plan(demo_db, SYSTEM, school)
    assert check_timetable(demo_db, school_id=school).findings == []
    assert demo_db.execute("SELECT COUNT(*) FROM curriculum_item").fetchone()[0] == 0


def test_only_the_school_edits_its_plan(demo_db):
    with pytest.raises(PermissionDenied):
        copy_preset(demo_db, actor_for(demo_db, "jiaowu"), _school(demo_db, "QSZ02"))
    with pytest.raises(PermissionDenied):
        copy_preset(demo_db, actor_for(demo_db, "laoshi"), _school(demo_db))
    copy_preset(demo_db, actor_for(demo_db, "jiaowu"), _school(demo_db))


def test_cli_plan(demo_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["timetable", "plan", str(demo_path), "--school", "QSZ03", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["plan_id"] is None and shown["preset_id"] == "curriculum-zhejiang-2023"
    assert main(["timetable", "plan", str(demo_path), "--school", "QSZ03", "--copy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["plan_id"]
    assert main(["timetable", "plan", str(demo_path), "--school", "QSZ03", "--copy"]) == 2


def test_the_preset_store_lists_curriculum_plans_and_packages_record_what_a_school_holds(demo_db):
    from app.preset_store import catalogue, copy_preset as copy_in_store, find
    from app.presets import presets_used

    school = _school(demo_db)
    shipped = find(demo_db, "curriculum-zhejiang-2023")
    assert shipped.preset.kind == "curriculum" and shipped.origin == "shipped" and shipped.active
    assert shipped.preset.hash == preset_plan(load_preset()).preset_hash
    with pytest.raises(ValidationError, match="课程计划"):
        copy_in_store(demo_db, SYSTEM, "curriculum-zhejiang-2023", "我的课程计划")

    plan_id = copy_preset(demo_db, SYSTEM, school)
    own = [e for e in catalogue(demo_db, "curriculum") if e.preset.id == plan_id]
    assert len(own) == 1 and own[0].origin == "own" and own[0].preset.content["based_on"] == shipped.preset.id
    assert own[0].preset.name.endswith("(青山镇中心小学)")
    copied = next(p for p in presets_used(demo_db) if p["kind"] == "curriculum" and p.get("school") == "QSZ01")
    assert copied["sha256"] == own[0].preset.hash and copied["based_on_hash"] == shipped.preset.hash

    # One period more for 语文 in grade 1: the copy's hash changes, in the store and in what a package records.
    chinese = next(l for l in school_plan(demo_db, school).lines if l.name == "语文")
    set_hours(demo_db, SYSTEM, chinese.item_id, 1, "9")
    changed = next(p for p in presets_used(demo_db) if p["kind"] == "curriculum" and p.get("school") == "QSZ01")
    assert changed["sha256"] != copied["sha256"] and find(demo_db, plan_id).preset.hash == changed["sha256"]
    assert find(demo_db, plan_id).preset.content["grades"]["1"]["periods"]["语文"] == 9
