"""Downward: the township sends unified exams, scoring presets and curriculum plans; a school trusts the
township's key once a person has compared the fingerprint, and only that key afterwards."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from app.db.database import open_database
from app.db.writes import update_row
from app.packages.config import NeedsConfirmation, import_config
from app.packages.format import PackageRefused
from app.services import setup
from app.services.users import actor_for
from app.preset_store import copy_preset
from app.timetable.plans import copy_preset as copy_plan


@pytest.fixture
def env(demo_path, tmp_path, monkeypatch, capsys):
    """The demo township with an edited scoring preset and a curriculum plan for a new school S1234,
    its config package on a stick, and S1234's own fresh database."""
    return config_env(demo_path, tmp_path, monkeypatch, capsys)


def config_env(demo_path, tmp_path, monkeypatch, capsys) -> dict:
    """Set up what the `env` fixture describes; return its paths (also used by test_packages_sealed)."""
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    school_path = tmp_path / "S1234.sqlite"
    setup.init_school(school_path, code="S1234", name="石门村小学", type="完小", passphrase="demo", demo=True,
                      township_code="QSZ", township_name="青山镇").close()
    assert main(["keys", "export-public", str(school_path), "--out", str(tmp_path / "s1234.pem")]) == 0
    assert main(["township", "register", str(demo_path), "--school-code", "S1234", "--pubkey",
                 str(tmp_path / "s1234.pem"), "--name", "石门村小学", "--type", "完小"]) == 0
    township = open_database(demo_path)
    admin = actor_for(township)
    preset = copy_preset(township, admin, "sanlv-yifen-default", "青山镇三率一分")
    school_id = township.execute("SELECT id FROM school WHERE code = 'S1234'").fetchone()[0]
    copy_plan(township, admin, school_id)
    fingerprint = township.execute("SELECT fingerprint FROM school_key").fetchone()[0]
    township.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    capsys.readouterr()
    assert main(["township", "export-config", str(demo_path), "--out", str(usb), "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["path"].endswith("QSZ_2026-2027-1_0001_config.zip") and exported["counts"]["exams"] == 2
    return {"township": demo_path, "school": school_path, "usb": usb, "package": exported["path"],
            "fingerprint": fingerprint, "preset": preset, "tmp": tmp_path}


def test_first_config_asks_for_the_fingerprint_then_brings_exams_presets_and_plan(env, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["import-config", str(env["school"]), env["package"]]) == 2
    out = capsys.readouterr()
    assert env["fingerprint"] in out.out and "--yes" in out.err
    school = open_database(env["school"])
    assert school.execute("SELECT COUNT(*) FROM exam").fetchone()[0] == 0, "nothing written before confirmation"
    school.close()

    assert main(["import-config", str(env["school"]), env["package"], "--yes", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "accepted" and result["first_time"] and result["fingerprint"] == env["fingerprint"]
    township, school = open_database(env["township"]), open_database(env["school"])
    try:
        current = "term_id = (SELECT id FROM term WHERE code = '2026-2027-1')"
        wanted = {tuple(r) for r in township.execute(f"SELECT id, name, type, scope, date, policy FROM exam WHERE {current}")}
        assert {tuple(r) for r in school.execute("SELECT id, name, type, scope, date, policy FROM exam")} == wanted
        columns = "id, exam_id, subject_id, full_marks, grades, excellent_pct, pass_pct, low_pct"
        assert set(school.execute(f"SELECT {columns} FROM exam_subject").fetchall()) == set(township.execute(
            f"SELECT {columns} FROM exam_subject WHERE exam_id IN (SELECT id FROM exam WHERE {current})").fetchall())
        assert school.execute("SELECT content_hash FROM scoring_preset WHERE id = ?",
                              [env["preset"].id]).fetchone()[0] == env["preset"].hash
        plan_sql = ("SELECT i.name, i.subjects, h.grade, h.min_periods, h.max_periods FROM curriculum_hours h"
                    " JOIN curriculum_item i ON i.id = h.item_id JOIN school s ON s.id = h.school_id"
                    " WHERE s.code = 'S1234'")
        assert set(school.execute(plan_sql).fetchall()) == set(township.execute(plan_sql).fetchall())
        assert len(school.execute(plan_sql).fetchall()) > 20
        trusted = school.execute("SELECT code, fingerprint FROM trusted_key WHERE active = 1").fetchall()
        assert [tuple(t) for t in trusted] == [("QSZ", env["fingerprint"])]
    finally:
        township.close()
        school.close()

    assert main(["import-config", str(env["school"]), env["package"]]) == 0
    assert "重复" in capsys.readouterr().out


def test_later_configs_update_exams_and_must_be_signed_by_the_trusted_key(env, tmp_path, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    school = open_database(env["school"])
    actor = actor_for(school)
    with pytest.raises(NeedsConfirmation) as asked:
        import_config(school, actor, env["package"])
    assert asked.value.fingerprint == env["fingerprint"]
    import_config(school, actor, env["package"], trust_new=True)

    township = open_database(env["township"])
    line = township.execute("SELECT es.id FROM exam_subject es JOIN exam e ON e.id = es.exam_id"
                            " JOIN subject s ON s.id = es.subject_id WHERE e.name LIKE '%期中%' AND s.code = 'yw'"
                            ).fetchone()[0]
    with township.atomic():
        update_row(township, actor_for(township), "exam_subject", line, {"full_marks": 120.0})
    township.close()
    later = tmp_path / "later"
    later.mkdir()
    assert main(["township", "export-config", str(env["township"]), "--out", str(later)]) == 0
    result = import_config(school, actor, next(later.glob("*.zip")))
    assert result.status == "accepted" and result.sequence == 2 and not result.first_time
    assert result.summary["exams"]["changed"] >= 1
    assert school.execute("SELECT full_marks FROM exam_subject WHERE id = ?", [line]).fetchone()[0] == 120.0

    # Another township database calling itself QSZ: a different key, refused, nothing written.
    impostor = setup.init_township(tmp_path / "fake.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    impostor.close()
    fake = tmp_path / "fake"
    fake.mkdir()
    assert main(["township", "export-config", str(tmp_path / "fake.sqlite"), "--out", str(fake)]) == 0
    before = school.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    with pytest.raises(PackageRefused) as refused:
        import_config(school, actor, next(fake.glob("*.zip")))
    assert refused.value.code == "wrong_key"
    far = setup.init_township(tmp_path / "far.sqlite", code="YSZ", name="远山镇", passphrase="demo", demo=True)
    far.close()
    far_usb = tmp_path / "far"
    far_usb.mkdir()
    assert main(["township", "export-config", str(tmp_path / "far.sqlite"), "--out", str(far_usb)]) == 0
    with pytest.raises(PackageRefused) as other:
        import_config(school, actor, next(far_usb.glob("*.zip")), trust_new=True)
    assert other.value.code == "other_township"
    assert school.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] == before
    school.close()


def test_a_config_package_is_not_a_data_package(env, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["township", "import", str(env["township"]), env["package"], "--json"]) == 2
    result = json.loads(capsys.readouterr().out)[0]
    assert result["status"] == "refused" and result["reason_code"] == "wrong_kind"
