"""Teacher workload: lessons counted from the timetable (or the assignments), weighted as the
preset says, judged against the standard; leaders below their minimum are named."""
from __future__ import annotations

import hashlib
import json
import statistics

from app.cli import main
from app.db.writes import SYSTEM
from app.presets import content_hash, shipped, store
from app.workload.compute import teacher_workloads

PRESET = shipped("workload")


def _by_staff_no(result):
    return {t.staff_no: t for t in result.teachers}


def _expected(db, teacher_id, preset=PRESET):
    """Work out one teacher's weighted load from the raw rows, as a clerk would on paper."""
    teacher = db.execute("SELECT t.school_id, s.type FROM teacher t JOIN school s ON s.id = t.school_id"
                         " WHERE t.id = ?", [teacher_id]).fetchone()
    lessons = db.execute(
        "SELECT t.day, t.school_id, sj.code,"
        " (SELECT COUNT(*) FROM pupil p WHERE p.class_id = t.class_id AND p.status IN ('在读', '转入')),"
        " (SELECT COUNT(*) FROM class_grade g WHERE g.class_id = t.class_id)"
        " FROM timetable_slot t JOIN subject sj ON sj.id = t.subject_id"
        " JOIN timetable_period p ON p.school_id = t.school_id AND p.term_id = t.term_id AND p.slot = t.slot"
        " WHERE t.teacher_id = ? AND p.kind = 'lesson'", [teacher_id]).fetchall()
    weight = 0.0
    for _, _, code, pupils, grades in lessons:
        factor = preset["subject_coefficients"].get(code, preset["default_subject_coefficient"])
        factor *= 1.2 if pupils > 55 else 1.1 if pupils > 45 else 1.0
        factor *= 1 + 0.2 * (grades - 1)
        weight += factor
    trips = {(day, school) for day, school, *_ in lessons if school != teacher[0]}
    heads = db.execute("SELECT COUNT(*) FROM class WHERE head_teacher_id = ?", [teacher_id]).fetchone()[0]
    roles = [r[0] for r in db.execute("SELECT role FROM teacher_role WHERE teacher_id = ?", [teacher_id])]
    total = weight + preset["homeroom_allowance"] * heads + len(trips) + sum(
        preset["role_allowance"].get(r, 0) for r in roles)
    return len(lessons), round(total, 2), preset["standard"][teacher[1]]


def test_weighted_load_of_an_itinerant_teacher_and_a_multigrade_head(demo_db):
    result = _by_staff_no(teacher_workloads(demo_db))
    itinerant = demo_db.execute("SELECT t.id, t.staff_no FROM teacher t JOIN teacher_site ts ON ts.teacher_id = t.id"
                                " ORDER BY t.staff_no LIMIT 1").fetchone()
    multigrade_head = demo_db.execute(
        "SELECT t.id, t.staff_no FROM teacher t JOIN class c ON c.head_teacher_id = t.id"
        " WHERE (SELECT COUNT(*) FROM class_grade g WHERE g.class_id = c.id) > 1 ORDER BY t.staff_no LIMIT 1").fetchone()
    for teacher_id, staff_no in (itinerant, multigrade_head):
        periods, weighted, standard = _expected(demo_db, teacher_id)
        load = result[staff_no]
        assert (load.periods, load.weighted, load.standard) == (periods, weighted, standard)
        tolerance = PRESET["tolerance"]
        assert load.status == ("over" if weighted > standard * (1 + tolerance)
                               else "under" if weighted < standard * (1 - tolerance) else "ok")
    assert result[itinerant[1]].trips > 0


def test_school_without_timetable_falls_back_to_assignments(demo_db):
    school = demo_db.execute("SELECT id FROM school WHERE code = 'QSZ02'").fetchone()[0]
    with demo_db.atomic():
        demo_db.execute("DELETE FROM timetable_slot WHERE school_id = ?", [school])
    expected = dict(demo_db.execute("SELECT t.staff_no, SUM(a.weekly_periods) FROM teaching_assignment a"
                                    " JOIN teacher t ON t.id = a.teacher_id WHERE a.school_id = ? GROUP BY t.id",
                                    [school]).fetchall())
    loads = teacher_workloads(demo_db, school_id=school).teachers
    assert {t.staff_no: t.periods for t in loads} == expected
    assert {t.source for t in loads} == {"assignments"}


def test_weights_and_leader_minimum_are_configurable(demo_db):
    before = _by_staff_no(teacher_workloads(demo_db))
    principal = demo_db.execute("SELECT t.id, t.staff_no FROM teacher t JOIN teacher_role r ON r.teacher_id = t.id"
                                " JOIN school s ON s.id = t.school_id WHERE r.role = '校长' AND s.code = 'QSZ02'").fetchone()
    assert not before[principal[1]].leader_short
    content = json.loads(json.dumps(PRESET))
    content["subject_coefficients"]["sx"] = 1.5
    content["leader_min_periods"]["校长"] = before[principal[1]].periods + 1
    store(demo_db, SYSTEM, "workload", content)
    after = teacher_workloads(demo_db)
    loads = _by_staff_no(after)
    assert (loads[principal[1]].periods, loads[principal[1]].weighted) == \
        _expected(demo_db, principal[0], content)[:2]
    assert loads[principal[1]].weighted > before[principal[1]].weighted
    assert loads[principal[1]].leader_short
    minimum = content["leader_min_periods"]["校长"]
    short = {r[0] for r in demo_db.execute(
        "SELECT t.staff_no FROM teacher t JOIN teacher_role r ON r.teacher_id = t.id WHERE r.role = '校长'"
        " AND (SELECT COUNT(*) FROM timetable_slot x WHERE x.teacher_id = t.id) < ?", [minimum])}
    assert principal[1] in short
    assert {t["staff_no"] for t in after.balance()["leaders_short"]} == short


def test_balance_figures(demo_db):
    result = teacher_workloads(demo_db)
    balance = result.balance()
    central = [t.weighted for t in result.teachers if t.school_code == "QSZ01"]
    figures = balance["by_school"]["QSZ01"]
    assert figures["n"] == len(central) == demo_db.execute(
        "SELECT COUNT(*) FROM teacher t JOIN school s ON s.id = t.school_id WHERE s.code = 'QSZ01'").fetchone()[0]
    assert figures["mean"] == round(statistics.fmean(central), 2)
    assert figures["sd"] == round(statistics.pstdev(central), 2)
    assert (figures["max"], figures["min"]) == (max(central), min(central))
    assert sum(s["n"] for s in balance["by_subject"].values()) == balance["all"]["n"]
    assert {t["staff_no"] for t in balance["over"]} == {t.staff_no for t in result.teachers if t.status == "over"}


def test_cli_workload_json(demo_path, capsys):
    assert main(["workload", str(demo_path), "--school", "QSZ01", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all({"staff_no", "name", "school_code", "periods", "weighted", "standard", "status"} <= set(r)
                        for r in rows)
    assert {r["school_code"] for r in rows} == {"QSZ01"}
    assert {r["status"] for r in rows} <= {"over", "under", "ok"}
    assert main(["workload", str(demo_path), "--balance", "--json"]) == 0
    balance = json.loads(capsys.readouterr().out)
    assert set(balance["by_school"]) == {"QSZ01", "QSZ02", "QSZ03", "QSZ04", "QSZ05", "QSZ06"}


def test_saving_weights_validates_them(demo_db):
    import pytest

    from app.errors import PermissionDenied, ValidationError
    from app.services.users import actor_for
    from app.workload.settings import save_workload_preset, workload_preset

    content = json.loads(json.dumps(PRESET))
    content["standard"]["教学点"] = 0
    content["subject_coefficients"]["zz"] = 1.1
    with pytest.raises(ValidationError) as caught:
        save_workload_preset(demo_db, SYSTEM, content)
    assert {p.field for p in caught.value.problems} == {"standard", "subject_coefficients"}
    assert workload_preset(demo_db).scope == "shipped"
    content = json.loads(json.dumps(PRESET))
    content["standard"]["教学点"] = 24
    with pytest.raises(PermissionDenied):
        save_workload_preset(demo_db, actor_for(demo_db, "jiaowu"), content)
    saved = save_workload_preset(demo_db, SYSTEM, content)
    assert saved.scope == "database" and saved.content["standard"]["教学点"] == 24
    assert workload_preset(demo_db).hash == saved.hash != content_hash(PRESET)
    point = demo_db.execute("SELECT staff_no FROM teacher t JOIN school s ON s.id = t.school_id"
                            " WHERE s.type = '教学点' LIMIT 1").fetchone()[0]
    assert _by_staff_no(teacher_workloads(demo_db))[point].standard == 24
    assert demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'preset_setting'").fetchone()[0] == 1


def test_packages_record_the_adjusted_workload_preset_a_school_works_with(demo_db):
    from app.presets import presets_used

    school_id, code = demo_db.execute("SELECT id, code FROM school WHERE code = 'QSZ05'").fetchone()
    content = json.loads(json.dumps(PRESET))
    content["standard"]["教学点"] = 22
    store(demo_db, SYSTEM, "workload", content, school_id)
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    workload = [p for p in presets_used(demo_db) if p["kind"] == "workload"]
    # Every other school still works with the shipped file; 竹林 with its own copy, named by its code.
    assert sorted((p["scope"], p.get("school")) for p in workload) == [("school", code), ("shipped", None)]
    own = next(p for p in workload if p["scope"] == "school")
    assert own["sha256"] == hashlib.sha256(canonical).hexdigest()
