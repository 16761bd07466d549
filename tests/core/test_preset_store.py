"""The one preset store: every kind listed with id, version, hash and source; copies edited by field,
from JSON or from an xlsx sheet given back (each change a new version); a township's config package
carries its presets down and the school sees them as the township's without being able to change them."""
from __future__ import annotations

import hashlib
import json

import pytest
from openpyxl import load_workbook

from app.cli import main
from app.db.database import open_database
from app.errors import PermissionDenied, ValidationError
from app.paths import resource_path
from app.preset_store import activate, catalogue, copy_preset, edit_preset
from app.presets import effective, store
from app.services import setup
from app.services.targets import list_targets, set_targets
from app.services.users import actor_for
from app.stats.groups import group_stats


def _sha(content: dict) -> str:
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_json_names_every_kind_with_id_version_hash_and_source(demo_path, capsys):
    code, out, _ = _run(capsys, "preset", "list", str(demo_path), "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    files = {"timetable-rules-default": "timetable.json", "workload-default": "workload.json",
             "observation-default": "observation.json", "routine-default": "routine.json",
             "records-default": "records.json",
             "township-000-7": "scoring/township-000-7.json", "teacher-000-17": "scoring/teacher-000-17.json",
             "central-000-20": "scoring/central-000-20.json", "sanlv-yifen-default": "scoring/sanlv-yifen-default.json",
             "evaluation-000-10": "scoring/evaluation-000-10.json",
             "appraisal-000-16": "scoring/appraisal-000-16.json", "appraisal-000-11": "scoring/appraisal-000-11.json"}
    for preset_id, name in files.items():
        content = json.loads(resource_path("presets", *name.split("/")).read_text(encoding="utf-8"))
        row = rows[preset_id]
        assert (row["version"], row["hash"], row["source"]) == (1, _sha(content), content["source"])
        assert row["origin"] == "shipped" and row["active"] == (preset_id != "appraisal-000-11")
    assert not rows["sanlv-yifen-autumn-roster"]["active"]
    assert {r["kind"] for r in rows.values()} == {"quality", "teacher_composite", "township_subject",
                                                  "central_school", "school_evaluation", "teacher_appraisal", "timetable", "workload", "observation",
                                                  "routine", "records", "curriculum"}


def test_an_edit_is_a_new_version_and_changes_results_and_their_stamp(demo_db, system):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    copy = copy_preset(demo_db, system, "sanlv-yifen-default", "本乡三率一分")
    assert copy.version == 1 and copy.content["based_on"] == "sanlv-yifen-default"
    activate(demo_db, system, copy.id)
    before = group_stats(demo_db, exam_id, "school")[0]
    edited = edit_preset(demo_db, system, copy.id, {"composite.mean": "50%", "composite.not_low_rate": 0})
    assert edited.version == 2 and edited.hash == _sha(edited.content) != copy.hash
    after = group_stats(demo_db, exam_id, "school")[0]
    assert (before["preset_hash"], after["preset_hash"]) == (copy.hash, edited.hash)
    # 50 % mean share + 30 % pass + 20 % excellent, worked from the figures themselves
    assert after["composite"] == pytest.approx(100 * (0.5 * after["mean"] / after["full_marks"]
                                                      + 0.3 * after["pass_rate"] + 0.2 * after["excellent_rate"]))
    assert edit_preset(demo_db, system, copy.id, {"composite.mean": 0.5}).version == 2, "no change, no new version"


def test_a_rule_set_copy_in_force_and_its_edits_reach_the_rule_users(demo_db, system):
    copy = copy_preset(demo_db, system, "workload-default", "山区工作量")
    activate(demo_db, system, copy.id)
    assert (effective(demo_db, "workload").id, effective(demo_db, "workload").version) == (copy.id, 1)
    edited = edit_preset(demo_db, system, copy.id, {"subject_coefficients.yw": 1.5, "standard.教学点": 22})
    in_force = effective(demo_db, "workload")
    assert (in_force.id, in_force.version, in_force.hash) == (copy.id, 2, edited.hash)
    assert in_force["subject_coefficients"]["yw"] == 1.5 and in_force["standard"]["教学点"] == 22
    listed = {(e.preset.id, e.preset.version): e.active for e in catalogue(demo_db, "workload")}
    assert listed == {("workload-default", 1): False, (copy.id, 2): True}
    with pytest.raises(ValidationError) as caught:
        edit_preset(demo_db, system, copy.id, {"standard.教学点": 0, "solver.weights.pupil_gap": 3})
    text = str(caught.value)
    assert "教学点标准工作量(节/周)" in text and "1 到 60" in text and "不是这个方案中可以修改的项目" in text
    activate(demo_db, system, "workload-default")
    assert effective(demo_db, "workload").id == "workload-default"


def test_xlsx_sheet_round_trip_with_messy_cells(demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db = str(demo_path)
    code, out, _ = _run(capsys, "preset", "copy", db, "teacher-000-17", "--name", "本校篇17", "--json")
    copy_id = json.loads(out)["id"]
    sheet = tmp_path / "p.xlsx"
    assert _run(capsys, "preset", "show", db, copy_id, "--xlsx", str(sheet))[0] == 0
    book = load_workbook(sheet)
    rows = {r[4].value: r for r in book["方案"].iter_rows(min_row=2)}
    assert rows["bands.0.bonus"][0].value == "A 档加分" and rows["multi_class_counts.yw"][0].value == "语文计权重的班级数"
    rows["bands.0.bonus"][3].value = " 22 "          # typed with spaces, as text
    rows["weights.mean"][3].value = "40%"           # a percentage
    rows["weights.pass_rate"][3].value = 0.3
    rows["mean_term"][3].value = "percent"
    book.save(sheet)
    code, out, err = _run(capsys, "preset", "edit", db, copy_id, "--from", str(sheet))
    assert code == 0, err
    assert "A 档加分:20 → 22" in out and "第 2 版" in out
    code, out, _ = _run(capsys, "preset", "show", db, copy_id, "--json")
    content = json.loads(out)["content"]
    assert content["bands"][0]["bonus"] == 22 and content["weights"] == {"mean": 0.4, "excellent_rate": 0.3,
                                                                           "pass_rate": 0.3}
    assert content["mean_term"] == "percent" and json.loads(out)["hash"] == _sha(content)

    rows = {r[4].value: r for r in book["方案"].iter_rows(min_row=2)}
    row_number = rows["multi_weight"][3].row
    rows["multi_weight"][3].value = "一点一"
    rows["bands.1.bonus"][4].value = "bands.9.bonus"
    book.save(sheet)
    code, _, err = _run(capsys, "preset", "edit", db, copy_id, "--from", str(sheet))
    assert code == 2
    assert f"工作表“方案” 第 {row_number} 行 “数值”列:“多学科、跨学段教师的权重”应为数字" in err
    assert "“bands.9.bonus”不是这个方案中可以修改的项目" in err
    code, out, _ = _run(capsys, "preset", "show", db, copy_id, "--json")
    assert json.loads(out)["version"] == 2, "nothing written"


@pytest.fixture
def school_with_township_presets(demo_path, tmp_path, monkeypatch, capsys):
    """A fresh school S1234 that imported a config package from the demo township, whose 三率一分 copy
    (mean weight 0.5, not-low 0) and workload copy (语文 1.5) are in force."""
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    school_path = tmp_path / "S1234.sqlite"
    setup.init_school(school_path, code="S1234", name="石门村小学", type="完小", passphrase="demo", demo=True,
                      township_code="QSZ", township_name="青山镇").close()
    assert main(["keys", "export-public", str(school_path), "--out", str(tmp_path / "s1234.pem")]) == 0
    assert main(["township", "register", str(demo_path), "--school-code", "S1234", "--pubkey",
                 str(tmp_path / "s1234.pem"), "--name", "石门村小学", "--type", "完小"]) == 0
    township = open_database(demo_path)
    admin = actor_for(township)
    quality = copy_preset(township, admin, "sanlv-yifen-default", "青山镇三率一分")
    quality = edit_preset(township, admin, quality.id, {"composite.mean": 0.5, "composite.not_low_rate": 0})
    activate(township, admin, quality.id)
    workload = copy_preset(township, admin, "workload-default", "青山镇工作量")
    workload = edit_preset(township, admin, workload.id, {"subject_coefficients.yw": 1.5})
    activate(township, admin, workload.id)
    records = copy_preset(township, admin, "records-default", "青山镇作业家访要求")
    records = edit_preset(township, admin, records.id, {"home_visits.quota.班主任": 12, "pupil_record.t_scores": "show"})
    activate(township, admin, records.id)
    set_targets(township, admin, [{"school": "S1234", "grade": 3, "subject": "数学", "metric": "及格率",
                                   "target": "90%", "note": "乡镇下达"}])
    township.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    code, out, err = _run(capsys, "township", "export-config", str(demo_path), "--out", str(usb), "--json")
    assert code == 0, err
    code, out, err = _run(capsys, "import-config", str(school_path), json.loads(out)["path"], "--yes")
    assert code == 0, err
    assert "乡镇指定使用 11 项" in out and "质量目标 1 条" in out
    return {"school": school_path, "quality": quality, "workload": workload, "records": records}


def test_a_school_sees_the_townships_presets_and_cannot_change_them(school_with_township_presets, capsys):
    env = school_with_township_presets
    code, out, _ = _run(capsys, "preset", "list", str(env["school"]), "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    quality, workload = rows[env["quality"].id], rows[env["workload"].id]
    assert (quality["origin"], quality["township"], quality["active"], quality["prescribed_by"]) == \
        ("township", "QSZ", True, "QSZ")
    assert (quality["version"], quality["hash"]) == (2, env["quality"].hash)
    assert (workload["active"], workload["hash"]) == (True, env["workload"].hash)
    assert rows["teacher-000-17"]["prescribed_by"] == "QSZ" and rows["teacher-000-17"]["origin"] == "shipped"
    code, out, _ = _run(capsys, "preset", "list", str(env["school"]))
    assert "乡镇下发(QSZ);乡镇(QSZ)指定" in out

    db = open_database(env["school"])
    try:
        admin = actor_for(db)
        assert admin.role == "school_admin"
        with pytest.raises(PermissionDenied, match="乡镇"):
            edit_preset(db, admin, env["quality"].id, {"composite.mean": 0.4, "composite.not_low_rate": 0.1})
        with pytest.raises(PermissionDenied, match="乡镇"):
            activate(db, admin, "sanlv-yifen-default")
        with pytest.raises(PermissionDenied, match="乡镇"):
            store(db, admin, "workload", {**env["workload"].content, "homeroom_allowance": 9})
        own = copy_preset(db, admin, env["quality"].id, "本校试算")
        assert edit_preset(db, admin, own.id, {"good_pct": 80}).version == 2, "a school's own copy stays editable"
        with pytest.raises(PermissionDenied):
            activate(db, admin, own.id)
        assert effective(db, "workload").hash == env["workload"].hash
        # The records preset travels like the others: the school's 家访 quota and parents' copy follow it.
        assert effective(db, "records").hash == env["records"].hash
        assert effective(db, "records")["home_visits"]["quota"]["班主任"] == 12
        with pytest.raises(PermissionDenied, match="乡镇"):
            store(db, admin, "records", {**env["records"].content, "prep_sessions": {"per_month": 1}})
        targets = list_targets(db)
        assert [(t["grade"], t["subject"], t["metric_name"], t["target"], t["note"]) for t in targets] == \
            [(3, "数学", "及格率", 0.9, "乡镇下达")]
        with pytest.raises(PermissionDenied):
            set_targets(db, admin, [{"school": "S1234", "metric": "平均分", "target": 99}])
    finally:
        db.close()
