"""The township refuses every forged, altered, broken or hostile package and then holds exactly what it
held before: every table compared row by row."""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from app.db.database import open_database
from app.packages.export import export_package
from app.packages.format import MEMBER_LIMITS, encode_manifest
from app.packages.signing import own_public_pem, sign, unlock_private_key
from app.packages.township_import import import_package
from app.packages.trust import register_key
from app.services import setup
from app.services.users import actor_for

CODE, OTHER = "QSZ05", "QSZ06"
MEMBERS = ("data.xlsx", "manifest.json", "manifest.sig", "school.pem")


@pytest.fixture(scope="module")
def world(demo_template, tmp_path_factory):
    """A fresh township with QSZ01 and QSZ05 registered and QSZ05's packages 1 (last term) and 2, 3
    (this term) imported except 2; QSZ06's packages (registered too); a school of another township."""
    root = tmp_path_factory.mktemp("tamper")
    shutil.copytree(demo_template / "schools", root / "schools")
    usb = root / "usb"
    usb.mkdir()
    township = setup.init_township(root / "township.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    admin = actor_for(township)
    packages = {}
    for code in (CODE, OTHER):
        db = open_database(root / "schools" / f"{code}.sqlite")
        register_key(township, admin, level="school", code=code, pem=own_public_pem(db))
        packages[code] = [export_package(db, actor_for(db), "demo", usb, term_code=term, unencrypted=True).path
                          for term in ("2025-2026-2", "2026-2027-1", "2026-2027-1")]
        db.close()
    # QSZ05's 走教 teachers come from the central school, whose own package must be in first.
    central = open_database(root / "schools" / "QSZ01.sqlite")
    register_key(township, admin, level="school", code="QSZ01", pem=own_public_pem(central))
    for term in ("2025-2026-2", "2026-2027-1"):
        path = export_package(central, actor_for(central), "demo", usb, term_code=term, unencrypted=True).path
        assert import_package(township, admin, path).status == "accepted"
    central.close()
    for path in (packages[CODE][0], packages[CODE][2]):
        assert import_package(township, admin, path).status == "accepted"
    township.close()
    far = setup.init_school(root / "far.sqlite", code="YSZ01", name="远山小学", type="完小", passphrase="demo", demo=True,
                            township_code="YSZ", township_name="远山镇")
    far_package = export_package(far, actor_for(far), "demo", usb, unencrypted=True).path
    far_pem = own_public_pem(far)
    far.close()
    return {"root": root, "usb": usb, "good": packages[CODE][2], "old": packages[CODE][0],
            "skipped": packages[CODE][1], "other": packages[OTHER][1], "far": far_package, "far_pem": far_pem}


@pytest.fixture
def township(world, tmp_path):
    path = tmp_path / "township.sqlite"
    source = open_database(world["root"] / "township.sqlite")
    source.execute("VACUUM INTO ?", [str(path)])
    source.close()
    db = open_database(path)
    yield db
    db.close()


def dump(db) -> dict:
    """Every row of every table, sorted: what 'unchanged in content' means."""
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: sorted(map(repr, db.execute(f"SELECT * FROM [{t}]").fetchall())) for t in tables}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_zip(path: Path, content: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in content.items():
            zf.writestr(name, data)
    return path


def flip(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def refuse(township, path: Path, code: str | tuple, words: str = "") -> None:
    before = dump(township)
    result = import_package(township, actor_for(township), path)
    assert result.status == "refused", result.message
    assert result.reason_code in ((code,) if isinstance(code, str) else code), result.message
    assert result.message.startswith("拒收:") and words in result.message
    assert dump(township) == before


@pytest.mark.parametrize("member", MEMBERS)
def test_a_flipped_byte_in_any_member_is_refused(world, township, tmp_path, member):
    content = members(world["good"])
    content[member] = flip(content[member])
    expected = {"data.xlsx": "hash_mismatch", "school.pem": "hash_mismatch", "manifest.sig": "bad_signature",
                "manifest.json": ("bad_signature", "bad_manifest", "hash_mismatch")}[member]
    refuse(township, write_zip(tmp_path / world["good"].name, content), expected)


def test_an_edited_manifest_is_refused_by_its_signature(world, township, tmp_path):
    content = members(world["good"])
    manifest = json.loads(content["manifest.json"])
    manifest["sender"]["name"] = "竹林小学"
    content["manifest.json"] = encode_manifest(manifest)
    refuse(township, write_zip(tmp_path / "x.zip", content), "bad_signature", "签名校验失败")


def test_a_rewritten_data_file_with_a_matching_hash_is_refused_by_the_signature(world, township, tmp_path):
    from app.packages.format import sha256_hex

    content = members(world["good"])
    content["data.xlsx"] = flip(content["data.xlsx"], 100)
    manifest = json.loads(content["manifest.json"])
    manifest["members"]["data.xlsx"] = {"size": len(content["data.xlsx"]), "sha256": sha256_hex(content["data.xlsx"])}
    content["manifest.json"] = encode_manifest(manifest)
    refuse(township, write_zip(tmp_path / "x.zip", content), "bad_signature")


@pytest.mark.parametrize("member", MEMBERS)
def test_a_missing_member_is_refused(world, township, tmp_path, member):
    content = members(world["good"])
    del content[member]
    refuse(township, write_zip(tmp_path / "x.zip", content), "missing_member", "缺少")


def test_an_extra_or_renamed_member_is_refused(world, township, tmp_path):
    content = members(world["good"])
    refuse(township, write_zip(tmp_path / "a.zip", {**content, "readme.txt": b"hello"}), "extra_member", "多余")
    renamed = {("数据.xlsx" if k == "data.xlsx" else k): v for k, v in content.items()}
    refuse(township, write_zip(tmp_path / "b.zip", renamed), "missing_member")
    duplicated = tmp_path / "c.zip"
    with zipfile.ZipFile(duplicated, "w") as zf:
        for name, data in content.items():
            zf.writestr(name, data)
        with pytest.warns(UserWarning):
            zf.writestr("data.xlsx", b"second copy")
    refuse(township, duplicated, "extra_member", "重名")


def test_truncated_empty_and_non_zip_files_are_refused(world, township, tmp_path):
    data = world["good"].read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 100, 0):
        path = tmp_path / f"cut{cut}.zip"
        path.write_bytes(data[:cut])
        refuse(township, path, "not_zip", "不完整")
    text = tmp_path / "notes.zip"
    text.write_text("这不是数据包", encoding="utf-8")
    refuse(township, text, "not_zip")


def test_an_old_package_replayed_is_refused_and_a_repeat_is_a_duplicate(world, township):
    refuse(township, world["skipped"], "old_sequence", "更旧")
    before = dump(township)
    again = import_package(township, actor_for(township), world["old"])
    assert again.status == "duplicate" and "未做任何改动" in again.message
    assert dump(township) == before


def test_a_package_signed_by_another_school_is_refused(world, township, tmp_path):
    school = open_database(world["root"] / "schools" / f"{OTHER}.sqlite")
    other_key = unlock_private_key(school, "demo")
    other_pem = own_public_pem(school)
    other_fp = school.execute("SELECT fingerprint FROM school_key").fetchone()[0]
    school.close()
    content = members(world["good"])
    manifest = json.loads(content["manifest.json"])
    # Signed by QSZ06 and saying so: not the key registered for QSZ05.
    forged = {**manifest, "key_fingerprint": other_fp}
    from app.packages.format import sha256_hex

    pem = other_pem.encode("ascii")
    forged["members"] = {**manifest["members"], "school.pem": {"size": len(pem), "sha256": sha256_hex(pem)}}
    raw = encode_manifest(forged)
    refuse(township, write_zip(tmp_path / "a.zip", {**content, "school.pem": pem, "manifest.json": raw,
                                                    "manifest.sig": sign(other_key, raw)}), "wrong_key", "登记的密钥")
    # Signed by QSZ06 while claiming QSZ05's fingerprint: the signature does not check.
    raw = encode_manifest(manifest)
    refuse(township, write_zip(tmp_path / "b.zip", {**content, "manifest.sig": sign(other_key, raw)}),
           "bad_signature")


def test_zip_slip_names_are_refused(world, township, tmp_path):
    content = members(world["good"])
    for name in ("../data.xlsx", "/etc/passwd", "sub/../../evil.txt", "C:\\evil.txt", "..\\evil.txt"):
        refuse(township, write_zip(tmp_path / "x.zip", {**content, name: b"x"}), "unsafe_name", "不安全")
    assert not (tmp_path.parent / "data.xlsx").exists()


def test_zip_bombs_are_refused_without_unpacking_them(world, township, tmp_path, monkeypatch):
    content = members(world["good"])
    monkeypatch.setitem(MEMBER_LIMITS, "data.xlsx", 2 * 1024 * 1024)
    bomb = b"\0" * (8 * 1024 * 1024)
    refuse(township, write_zip(tmp_path / "a.zip", {**content, "data.xlsx": bomb}), "too_large", "上限")
    # A bomb whose directory lies about its size: the real bytes are never unpacked beyond the lie.
    liar = write_zip(tmp_path / "b.zip", {**content, "data.xlsx": bomb})
    raw = bytearray(liar.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as zf:
        info = zf.getinfo("data.xlsx")
    size = len(bomb).to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    assert raw.count(size) == 2  # local header and central directory
    liar.write_bytes(bytes(raw).replace(size, small))
    assert info.file_size == len(bomb)
    refuse(township, liar, ("not_zip", "hash_mismatch"))


def test_unknown_school_and_another_townships_package_are_refused(world, township, tmp_path):
    refuse(township, world["far"], "other_township", "不是发给本单位")
    # Registering the far school does not help: the package is addressed to 远山镇.
    register_key(township, actor_for(township), level="school", code="YSZ01", pem=world["far_pem"])
    refuse(township, world["far"], "other_township")
    fresh = setup.init_township(tmp_path / "second.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    try:
        refuse(fresh, world["good"], "unknown_sender", "尚未登记")
    finally:
        fresh.close()


def test_a_sequence_reused_for_different_content_is_refused(world, township, tmp_path):
    # The school restores its database from a backup and exports number 4 twice with different data.
    backup = tmp_path / "backup.sqlite"
    live = open_database(world["root"] / "schools" / f"{CODE}.sqlite")
    live.execute("VACUUM INTO ?", [str(backup)])
    usb_a, usb_b = tmp_path / "a", tmp_path / "b"
    usb_a.mkdir()
    usb_b.mkdir()
    first = export_package(live, actor_for(live), "demo", usb_a, unencrypted=True)
    live.close()
    restored = open_database(backup)
    restored.execute("UPDATE pupil SET name = '改名' WHERE id = (SELECT MIN(id) FROM pupil)")
    second = export_package(restored, actor_for(restored), "demo", usb_b, unencrypted=True)
    restored.close()
    assert first.sequence == second.sequence
    assert import_package(township, actor_for(township), first.path).status == "accepted"
    refuse(township, second.path, "sequence_conflict", "内容不同")


def test_a_school_database_refuses_data_packages(world, township):
    school = open_database(world["root"] / "schools" / f"{CODE}.sqlite")
    try:
        result = import_package(school, actor_for(township), world["good"])
        assert result.status == "refused" and result.reason_code == "wrong_database"
    finally:
        school.close()


def test_after_a_key_is_replaced_the_old_key_is_refused(world, township, tmp_path, capsys):
    from app.cli import main
    from app.errors import ValidationError

    fresh = setup.init_school(tmp_path / "reinstalled.sqlite", code=CODE, name="竹林教学点", type="教学点",
                              passphrase="demo", demo=True, township_code="QSZ", township_name="青山镇")
    new_pem = own_public_pem(fresh)
    fresh.close()
    with pytest.raises(ValidationError, match="已登记另一把密钥"):
        register_key(township, actor_for(township), level="school", code=CODE, pem=new_pem)
    result = register_key(township, actor_for(township), level="school", code=CODE, pem=new_pem, replace=True)
    assert result.replaced and result.fingerprint != result.replaced
    refuse(township, world["skipped"], "wrong_key", "登记的密钥")
    township.close()
    assert main(["keys", "trusted", str(tmp_path / "township.sqlite"), "--json"]) == 0
    keys = [k for k in json.loads(capsys.readouterr().out) if k["code"] == CODE]
    assert [(k["fingerprint"], k["active"]) for k in keys] == [(result.fingerprint, 1), (result.replaced, 0)]
