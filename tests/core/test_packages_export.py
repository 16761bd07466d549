"""Exporting a school's signed data package: what is in it, who can verify it, and that a failure at
any moment never leaves a file on the stick that verifies but is incomplete."""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import signal
import subprocess
import time
import zipfile

import pytest
from openpyxl import load_workbook

from app import __version__
from app.cli import main
from app.db.database import open_database
from app.errors import ValidationError
from app.packages import export as export_module
from app.packages.export import ExportFailed, export_package
from app.packages.format import PackageRefused
from app.packages.signing import public_key_from_pem
from app.packages.verify import check_signature, open_package
from app.paths import resource_path
from app.services.users import actor_for

CODE = "QSZ05"  # the smallest demo school: the tests stay fast


@pytest.fixture
def school(demo_dir):
    db = open_database(demo_dir / "schools" / f"{CODE}.sqlite")
    yield db
    db.close()


@pytest.fixture
def usb(tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    return folder


def _export(db, folder, term=None):
    return export_package(db, actor_for(db), "demo", folder, term_code=term, unencrypted=True)


def _fully_verifies(path, pem: str) -> bool:
    try:
        check_signature(open_package(path), public_key_from_pem(pem))
    except PackageRefused:
        return False
    return True


def test_package_holds_four_members_and_verifies_with_openssl_and_sha256sum(school, usb, tmp_path):
    result = _export(school, usb)
    assert re.fullmatch(r"QSZ05_2026-2027-1_0001\.zip", result.path.name)
    assert os.listdir(usb) == [result.path.name]
    with zipfile.ZipFile(result.path) as zf:
        assert sorted(zf.namelist()) == ["data.xlsx", "manifest.json", "manifest.sig", "school.pem"]
        zf.extractall(tmp_path / "x")
    x = tmp_path / "x"
    assert (x / "manifest.sig").stat().st_size == 64
    ok = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "school.pem", "-rawin",
                         "-in", "manifest.json", "-sigfile", "manifest.sig"], cwd=x, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Signature Verified Successfully" in ok.stdout
    sums = subprocess.run(["sha256sum", "data.xlsx", "school.pem"], cwd=x, capture_output=True, text=True, check=True)
    manifest = json.loads((x / "manifest.json").read_text(encoding="utf-8"))
    for line in sums.stdout.splitlines():
        digest, name = line.split()
        assert manifest["members"][name] == {"sha256": digest, "size": (x / name).stat().st_size}
    # openssl refuses the same signature over a manifest changed by one character
    (x / "manifest.json").write_text((x / "manifest.json").read_text(encoding="utf-8").replace("竹林", "竹木"),
                                     encoding="utf-8")
    bad = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "school.pem", "-rawin",
                          "-in", "manifest.json", "-sigfile", "manifest.sig"], cwd=x, capture_output=True, text=True)
    assert bad.returncode != 0


def test_manifest_names_school_term_sequence_key_and_presets(school, usb):
    result = _export(school, usb)
    manifest = json.loads(zipfile.ZipFile(result.path).read("manifest.json"))
    assert manifest["format_version"] == 1 and manifest["kind"] == "data"
    assert manifest["program_version"] == __version__
    applied = school.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
    assert manifest["schema_version"] == applied
    assert manifest["sender"] == {"level": "school", "code": "QSZ05", "name": "竹林教学点", "type": "教学点"}
    assert manifest["recipient"]["code"] == "QSZ"
    assert manifest["term"]["code"] == "2026-2027-1" and manifest["sequence"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", manifest["created_at"])
    key = school.execute("SELECT fingerprint FROM school_key WHERE private_pem_encrypted IS NOT NULL").fetchone()[0]
    assert manifest["key_fingerprint"] == key and re.fullmatch(r"(\d{5} ){7}\d{5}", key)
    # Every preset the school works with: the four scoring kinds' defaults, the curriculum plan and
    # the five rule sets, each hashed as its shipped file's canonical JSON.
    files = {("quality", "sanlv-yifen-default"): "scoring/sanlv-yifen-default.json",
             ("teacher_composite", "teacher-000-17"): "scoring/teacher-000-17.json",
             ("township_subject", "township-000-7"): "scoring/township-000-7.json",
             ("central_school", "central-000-20"): "scoring/central-000-20.json",
             ("school_evaluation", "evaluation-000-10"): "scoring/evaluation-000-10.json",
             ("teacher_appraisal", "appraisal-000-16"): "scoring/appraisal-000-16.json",
             ("curriculum", "curriculum-zhejiang-2023"): "curriculum/zhejiang-2023.json",
             ("timetable", None): "timetable.json", ("workload", None): "workload.json",
             ("observation", None): "observation.json", ("routine", None): "routine.json",
             ("records", None): "records.json"}
    listed = {p["kind"]: p for p in manifest["presets"]}
    assert len(listed) == len(manifest["presets"]) == 12
    for (kind, preset_id), file in files.items():
        content = json.loads(resource_path("presets", file).read_text(encoding="utf-8"))
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        assert listed[kind]["id"] == (preset_id or content["id"]) and listed[kind]["scope"] == "shipped"
        assert listed[kind]["sha256"] == hashlib.sha256(canonical).hexdigest()


def test_data_xlsx_is_readable_with_numbers_as_numbers(school, usb):
    result = _export(school, usb)
    book = load_workbook(io.BytesIO(zipfile.ZipFile(result.path).read("data.xlsx")), read_only=True)
    for sheet in ("学校", "班级", "学生", "教师", "考试", "成绩", "任课", "课表", "听课记录", "教学常规", "质量指标", "作业时间",
                  "家访", "集体备课", "说明"):
        assert sheet in book.sheetnames
    pupils = list(book["学生"].iter_rows(values_only=True))
    assert pupils[0][:3] == ("学籍号", "姓名", "性别") and "学生ID" in pupils[0]
    expected = school.execute("SELECT COUNT(*) FROM pupil").fetchone()[0]
    assert len(pupils) - 1 == expected == 30
    grade = pupils[0].index("年级")
    assert all(isinstance(row[grade], int) for row in pupils[1:])
    marks = list(book["成绩"].iter_rows(values_only=True))
    score, status, name = marks[0].index("分数"), marks[0].index("状态"), marks[0].index("姓名")
    normal = [row for row in marks[1:] if row[status] == "正常"]
    assert normal and all(isinstance(row[score], (int, float)) for row in normal)
    assert all(row[score] is None for row in marks[1:] if row[status] != "正常")
    # only this term's marks travel, and they are the school's own
    assert len(marks) - 1 == school.execute(
        "SELECT COUNT(*) FROM mark m JOIN exam e ON e.id = m.exam_id JOIN term t ON t.id = e.term_id"
        " WHERE t.code = '2026-2027-1'").fetchone()[0]
    names = {r[0] for r in school.execute("SELECT name FROM pupil")}
    assert {row[name] for row in marks[1:]} <= names
    notes = [row for row in book["说明"].iter_rows(values_only=True) if row and row[0]]
    assert ("发送单位", "竹林教学点(QSZ05)") in [tuple(r[:2]) for r in notes]


def test_sequence_rises_by_one_never_repeats_and_is_audited(school, usb):
    first = _export(school, usb)
    second = _export(school, usb, "2025-2026-2")
    third = _export(school, usb)
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert sorted(os.listdir(usb)) == ["QSZ05_2025-2026-2_0002.zip", "QSZ05_2026-2027-1_0001.zip",
                                       "QSZ05_2026-2027-1_0003.zip"]
    audited = school.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'package_export'"
                             " AND action = 'insert'").fetchone()[0]
    assert audited == 3
    with pytest.raises(ValidationError, match="口令不正确"):
        export_package(school, actor_for(school), "wrong", usb, unencrypted=True)
    assert _export(school, usb).sequence == 4, "a wrong passphrase costs no number"


def test_failure_at_each_step_leaves_no_complete_looking_file(school, usb, monkeypatch):
    pem = school.execute("SELECT public_pem FROM school_key WHERE private_pem_encrypted IS NOT NULL").fetchone()[0]
    real_write, real_publish = export_module._write_temp, export_module._publish

    def half_write(temp, data):
        real_write(temp, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    def rename_fails(temp, final):
        raise OSError(5, "Input/output error")

    def stick_corrupts_after_rename(temp, final):
        real_publish(temp, final)
        data = bytearray(final.read_bytes())
        data[len(data) // 3] ^= 0xFF
        final.write_bytes(bytes(data))

    def stick_truncates_after_rename(temp, final):
        real_publish(temp, final)
        final.write_bytes(final.read_bytes()[:1000])

    for step in (("_write_temp", half_write), ("_publish", rename_fails), ("_publish", stick_corrupts_after_rename),
                 ("_publish", stick_truncates_after_rename)):
        monkeypatch.setattr(export_module, *step)
        with pytest.raises(ExportFailed):
            _export(school, usb)
        monkeypatch.undo()
        assert [p for p in usb.iterdir() if _fully_verifies(p, pem)] == []
        assert list(usb.glob("*.zip")) == []
    statuses = [r[0] for r in school.execute("SELECT status FROM package_export ORDER BY sequence")]
    assert statuses == ["reserved"] * 4
    good = _export(school, usb)
    assert good.sequence == 5 and _fully_verifies(good.path, pem)


def test_killing_the_export_at_random_moments_never_leaves_an_incomplete_verifying_file(demo_dir, usb):
    path = demo_dir / "schools" / f"{CODE}.sqlite"
    db = open_database(path)
    pem = db.execute("SELECT public_pem FROM school_key WHERE private_pem_encrypted IS NOT NULL").fetchone()[0]
    db.close()
    started = time.perf_counter()
    _run_export_child(path, usb, kill_after=None)
    duration = time.perf_counter() - started
    rng = random.Random(5)
    for _ in range(8):
        _run_export_child(path, usb, kill_after=rng.uniform(0, duration))
    zips = sorted(usb.glob("*.zip"))
    assert zips, "the uninterrupted export wrote its file"
    for candidate in usb.iterdir():
        if candidate.suffix == ".zip":
            assert _fully_verifies(candidate, pem), candidate.name
            assert zipfile.ZipFile(candidate).testzip() is None
        else:  # an interrupted write: never named .zip, so never offered for import
            assert candidate.suffix == ".tmp"
    names = [p.name for p in zips]
    assert len(names) == len(set(names))


def _slow_stick_write(temp, data):
    """Write like a slow USB stick, so that a kill often lands in the middle of the file."""
    with open(temp, "wb") as handle:
        for start in range(0, len(data), 4096):
            handle.write(data[start:start + 4096])
            handle.flush()
            time.sleep(0.02)
        os.fsync(handle.fileno())


def _run_export_child(db_path, folder, kill_after):
    pid = os.fork()
    if pid == 0:  # the child: one export, then leave without running pytest's exit handlers
        code = 1
        try:
            export_module._write_temp = _slow_stick_write
            db = open_database(db_path)
            export_package(db, actor_for(db), "demo", folder, unencrypted=True)
            db.close()
            code = 0
        finally:
            os._exit(code)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def test_cli_export_prints_the_path(demo_dir, usb, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db_path = str(demo_dir / "schools" / f"{CODE}.sqlite")
    assert main(["package", "export", db_path, "--out", str(usb), "--term", "2025-2026-2", "--unencrypted"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == str(usb / "QSZ05_2025-2026-2_0001.zip")
    assert main(["keys", "fingerprint", db_path]) == 0
    fingerprint = capsys.readouterr().out.splitlines()[1].strip()
    assert main(["keys", "export-public", db_path, "--out", str(usb.parent / "school.pem")]) == 0
    capsys.readouterr()
    assert main(["package", "verify", out, "--pubkey", str(usb.parent / "school.pem"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fingerprint"] == fingerprint
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "wrong")
    assert main(["package", "export", db_path, "--out", str(usb)]) == 2
    assert "口令不正确" in capsys.readouterr().err


def test_registration_sheet_prints_the_fingerprint_for_people_to_compare(demo_dir, tmp_path, capsys):
    db_path = str(demo_dir / "schools" / f"{CODE}.sqlite")
    assert main(["keys", "fingerprint", db_path, "--json"]) == 0
    fingerprint = json.loads(capsys.readouterr().out)["fingerprint"]
    pdf = tmp_path / "登记表.pdf"
    assert main(["keys", "sheet", db_path, "--out", str(pdf)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "数据包签名密钥登记表" in text and "竹林教学点(QSZ05)" in text
    groups = fingerprint.split()
    assert " ".join(groups[:4]) in " ".join(text.split()) and " ".join(groups[4:]) in " ".join(text.split())
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"\+WenQuanYiMicroHei\S*\s+TrueType\s+\S+\s+yes yes", fonts)  # embedded subset
