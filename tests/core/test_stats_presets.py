"""Scoring presets: shipped as data with a content hash, copied and edited in the database with
validation, chosen as active, and named by every result they produce."""
from __future__ import annotations

import hashlib
import json

import pytest

from app.db.writes import Actor
from app.errors import PermissionDenied, ValidationError
from app.paths import resource_path
from app import preset_store as store
from app.stats import presets
from app.stats.groups import group_stats


def _sha(content: dict) -> str:
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_shipped_presets_cover_the_seed_formulas():
    by_id = {p.id: p for p in presets.shipped_presets()}
    assert set(by_id) == {"sanlv-yifen-default", "sanlv-yifen-autumn-roster", "teacher-000-17", "township-000-7",
                          "central-000-20", "evaluation-000-10", "appraisal-000-16", "appraisal-000-11"}
    for preset in by_id.values():
        content = json.loads(resource_path("presets", "scoring", f"{preset.id}.json").read_text(encoding="utf-8"))
        assert preset.hash == _sha(content) and preset.content == content
    teacher = by_id["teacher-000-17"]
    assert teacher["weights"] == {"mean": 0.5, "excellent_rate": 0.3, "pass_rate": 0.2}
    assert teacher["multi_weight"] == 1.1
    assert [(b["name"], b["share"], b["bonus"]) for b in teacher["bands"]] == [("A", 0.3, 20), ("B", 0.5, 18),
                                                                                ("C", 0.2, 16)]
    assert by_id["township-000-7"]["weights"] == {"retention": 0.1, "mean": 0.5, "excellent_rate": 0.2, "top_n": 0.2}
    assert by_id["central-000-20"]["weights"] == {"central": 0.6, "villages": 0.4}
    assert by_id["sanlv-yifen-default"]["good_pct"] == 75
    assert by_id["appraisal-000-16"]["excellent_share"] == 0.12  # 篇16: 按教师总人数 12%


def test_copy_edit_and_activate_changes_the_figures_and_their_stamp(demo_db, system):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    before = group_stats(demo_db, exam_id, "school")[0]
    copy = store.copy_preset(demo_db, system, "sanlv-yifen-default", "本乡三率一分")
    assert copy.content["based_on"] == "sanlv-yifen-default" and not copy.shipped
    edited = store.edit_preset(demo_db, system, copy.id, {"composite.mean": 0.5, "composite.not_low_rate": 0.0})
    assert edited.hash == _sha(edited.content) and edited.hash != copy.hash
    assert presets.active_preset(demo_db, "quality").id == "sanlv-yifen-default"
    store.activate(demo_db, system, edited.id)
    after = group_stats(demo_db, exam_id, "school")[0]
    assert (after["preset_id"], after["preset_hash"]) == (edited.id, edited.hash)
    expected = 100 * (0.5 * after["mean"] / after["full_marks"] + 0.3 * after["pass_rate"]
                      + 0.2 * after["excellent_rate"])
    assert after["composite"] == pytest.approx(expected)
    assert before["mean"] == after["mean"] and before["composite"] != after["composite"]
    stored = demo_db.execute("SELECT content, content_hash FROM scoring_preset WHERE id = ?", [copy.id]).fetchone()
    assert stored[1] == edited.hash == _sha(json.loads(stored[0]))
    assert demo_db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'scoring_preset'").fetchone()[0] == 2


def test_edits_are_validated(demo_db, system):
    copy = store.copy_preset(demo_db, system, "teacher-000-17", "本校教师业绩")
    with pytest.raises(ValidationError) as caught:
        store.edit_preset(demo_db, system, copy.id, {"weights.mean": 0.6})
    assert "100%" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        store.edit_preset(demo_db, system, copy.id, {"multi_weight": "很多", "bands.3.bonus": 5, "kind": 1})
    text = str(caught.value)
    assert "不是数字" in text and "“bands.3.bonus”不是这个方案中可以修改的项目" in text and "“kind”不是" in text
    with pytest.raises(ValidationError):
        store.edit_preset(demo_db, system, copy.id, {"bands.0.share": 0.4})
    edited = store.edit_preset(demo_db, system, copy.id, {"bands.0.share": 0.4, "bands.1.share": 0.4,
                                                            "bands.0.bonus": 25, "name": "新名称"})
    assert edited["bands"][0] == {"name": "A", "share": 0.4, "bonus": 25} and edited.name == "新名称"
    with pytest.raises(ValidationError) as caught:
        store.edit_preset(demo_db, system, "teacher-000-17", {"multi_weight": 1.2})
    assert "复制" in str(caught.value)
    with pytest.raises(ValidationError):
        store.copy_preset(demo_db, system, "teacher-000-17", "新名称")


def test_only_administrators_change_presets(demo_db):
    teacher = Actor(username="laoshi", role="teacher", school_id="x")
    with pytest.raises(PermissionDenied):
        store.copy_preset(demo_db, teacher, "sanlv-yifen-default", "我的方案")
    with pytest.raises(PermissionDenied):
        store.activate(demo_db, teacher, "sanlv-yifen-default")


def test_a_preset_of_the_wrong_kind_is_refused(demo_db):
    exam_id = demo_db.execute("SELECT id FROM exam WHERE type = '统考'").fetchone()[0]
    with pytest.raises(ValidationError) as caught:
        group_stats(demo_db, exam_id, "school", preset="teacher-000-17")
    assert "三率一分" in str(caught.value)
