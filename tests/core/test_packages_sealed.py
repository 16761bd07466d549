"""A school's package on the stick is encrypted for its township with age: nothing readable without
the township's key, the township decrypts and imports it, and the standalone `age` tool decrypts it
with the identity the township exports (the README's check)."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile

import pytest
from openpyxl import load_workbook

from app.cli import main
from app.db.database import open_database
from app.packages.format import PackageRefused
from app.packages.sealing import unlock_identity
from app.packages.verify import open_package
from app.services import setup
from test_packages_config import config_env

AGE_MAGIC = b"age-encryption.org/v1\n"


@pytest.fixture
def env(demo_path, tmp_path, monkeypatch, capsys):
    """The demo township, a new school S1234 registered there, and the township's config package on a stick."""
    return config_env(demo_path, tmp_path, monkeypatch, capsys)


def _export(env, capsys, *extra) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["package", "export", str(env["school"]), "--out", str(env["usb"]), *extra])
    out = capsys.readouterr()
    return code, out.out.strip(), out.err


def test_school_without_township_key_is_told_and_can_choose_unencrypted(env, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    code, out, err = _export(env, capsys)
    assert code == 2 and "还没有乡镇的加密公钥" in err and "配置包" in err and "--unencrypted" in err
    assert sorted(p.name for p in env["usb"].iterdir()) == ["QSZ_2026-2027-1_0001_config.zip"], "nothing written"
    code, out, err = _export(env, capsys, "--unencrypted")
    assert code == 0 and out.endswith("S1234_2026-2027-1_0001.zip") and "未加密" in err
    assert zipfile.is_zipfile(out)


def test_package_is_encrypted_for_the_township_and_only_it_can_read_it(env, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["import-config", str(env["school"]), env["package"], "--yes"]) == 0
    assert "已保存乡镇的加密公钥" in capsys.readouterr().out
    code, out, err = _export(env, capsys)
    assert code == 0 and out.endswith("S1234_2026-2027-1_0001.zip.age") and "已为乡镇加密" in err
    raw = open(out, "rb").read()
    # A lost stick: no zip, no member names, no school name, nothing of the manifest.
    assert raw.startswith(AGE_MAGIC) and not zipfile.is_zipfile(out)
    for visible in (b"PK\x03\x04", b"data.xlsx", b"manifest.json", "石门村小学".encode(), b"S1234", b"QSZ"):
        assert visible not in raw
    with pytest.raises(PackageRefused) as refused:
        open_package(out)
    assert refused.value.code == "encrypted"
    other_path = tmp_path / "other.sqlite"
    setup.init_township(other_path, code="HSZ", name="红石镇", county="青山县", passphrase="otherpass1").close()
    other = open_database(other_path)
    with pytest.raises(PackageRefused) as refused:
        open_package(out, unlock_identity(other, "otherpass1"))
    other.close()
    assert refused.value.code == "not_for_us" and "不是为本单位加密的" in str(refused.value)

    capsys.readouterr()
    assert main(["township", "import", str(env["township"]), out, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)[0]
    assert result["status"] == "accepted" and result["sender_code"] == "S1234" and "没有加密" not in result["message"]
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "wrong-passphrase")
    assert main(["township", "import", str(env["township"]), out]) == 2
    assert "口令不正确" in capsys.readouterr().err


def test_the_age_tool_decrypts_with_the_exported_identity(env, capsys, monkeypatch, tmp_path):
    if shutil.which("age") is None:
        pytest.skip("the age tool is not installed (apt-get install age)")
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["import-config", str(env["school"]), env["package"], "--yes"]) == 0
    code, out, _ = _export(env, capsys)
    assert code == 0
    identity = tmp_path / "qsz-age.txt"
    assert main(["keys", "age-identity", str(env["township"]), "--out", str(identity)]) == 0
    plain = tmp_path / "S1234.zip"
    subprocess.run(["age", "-d", "-i", str(identity), "-o", str(plain), out], check=True)
    with zipfile.ZipFile(plain) as zf:
        assert sorted(zf.namelist()) == ["data.xlsx", "manifest.json", "manifest.sig", "school.pem"]
        notes = load_workbook(io.BytesIO(zf.read("data.xlsx")))["说明"]
    # the workbook itself says that it holds pupils' personal data
    assert any(str(c.value).startswith("含学生个人信息,请妥善保管,勿外传") for row in notes.iter_rows() for c in row)
    # the recipient the config package carried is the public half of that identity
    config = json.loads(zipfile.ZipFile(env["package"]).read("manifest.json"))
    public = subprocess.run(["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True)
    assert public.stdout.strip() == config["age_recipient"]
    capsys.readouterr()
    assert main(["package", "verify", out]) == 2
    assert "--identity" in capsys.readouterr().out
    assert main(["package", "verify", str(plain), "--pubkey", str(env["tmp"] / "s1234.pem")]) == 0
    assert main(["package", "verify", out, "--identity", str(identity), "--pubkey",
                 str(env["tmp"] / "s1234.pem")]) == 0
    assert "校验通过" in capsys.readouterr().out
