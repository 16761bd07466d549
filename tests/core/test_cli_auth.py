"""Who may write: every writing command proves the acting account with its passphrase; passphrases a
person sets are at least 8 characters; failed log-ins slow down; the recovery code brings back a
forgotten administrator passphrase with the signing key."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.cli import main
from app.db.database import open_database
from app.errors import PermissionDenied, ValidationError
from app.packages.signing import unlock_private_key
from app.services import users
from app.services.exams import create_exam
from app.services import keys
from app.services.keys import own_key
from app.services.passphrases import strength


def _marks(path) -> int:
    db = open_database(path)
    try:
        return db.execute("SELECT count(*) FROM mark").fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def marks_file(demo_path, tmp_path):
    from tests.core.test_marks_import import class_pupils, write_xlsx

    db = open_database(demo_path)

    exam_id = create_exam(db, users.actor_for(db), name="口令测试", type="单元", grades="3", subjects="语文,数学")
    pupils = class_pupils(db, "QSZ01", "三(1)班")
    db.close()
    rows = [["学籍号", "姓名", "语文", "数学"]] + [[no, name, 80, 70] for no, name in pupils]
    return exam_id, write_xlsx(tmp_path / "marks.xlsx", {"成绩": rows}), len(pupils)


def test_writing_without_or_with_a_wrong_passphrase_is_refused_and_writes_nothing(demo_path, marks_file, monkeypatch,
                                                                                  capsys):
    exam_id, path, _ = marks_file
    before = _marks(demo_path)
    assert main(["import-marks", str(demo_path), str(path), "--exam", exam_id]) == 2
    assert "需要口令" in capsys.readouterr().err
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "wrong-passphrase")
    assert main(["import-marks", str(demo_path), str(path), "--exam", exam_id, "--user", "laoshi"]) == 2
    assert "用户名或口令不正确" in capsys.readouterr().err
    assert _marks(demo_path) == before
    # Reading needs no passphrase; a dry run only reads.
    monkeypatch.delenv("SCHOOLQ_PASSPHRASE")
    assert main(["import-marks", str(demo_path), str(path), "--exam", exam_id, "--dry-run"]) == 0
    assert main(["exam", "list", str(demo_path), "--json"]) == 0


def test_a_teacher_writes_as_themself_only(demo_path, marks_file, monkeypatch, capsys):
    exam_id, path, n = marks_file
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    db = open_database(demo_path)
    laoshi = users.actor_for(db, "laoshi")
    taught = db.execute("SELECT c.name FROM teaching_assignment a JOIN class c ON c.id = a.class_id"
                        " JOIN subject s ON s.id = a.subject_id WHERE a.teacher_id = ? AND s.name = '语文'",
                        [laoshi.teacher_id]).fetchall()
    db.close()
    assert "三(1)班" not in {r[0] for r in taught}
    assert main(["import-marks", str(demo_path), str(path), "--exam", exam_id, "--user", "laoshi"]) == 2
    assert "任教" in capsys.readouterr().err
    assert main(["import-marks", str(demo_path), str(path), "--exam", exam_id, "--user", "jiaowu"]) == 0
    assert _marks(demo_path) > 0
    db = open_database(demo_path)
    who = {r["username"] for r in db.query("SELECT username FROM audit_log WHERE table_name = 'mark'")}
    db.close()
    assert "jiaowu" in who and "laoshi" not in who


def test_replacing_a_trusted_key_needs_the_township_administrator_and_shows_both_fingerprints(
        demo_dir, tmp_path, monkeypatch, capsys):
    from app.services import setup

    township = demo_dir / "township.sqlite"
    fresh = setup.init_school(tmp_path / "new.sqlite", code="QSZ02", name="换了电脑", type="完小",
                              passphrase="新电脑上的新口令")
    new_pem = tmp_path / "new.pem"
    new_pem.write_text(own_key(fresh)["public_pem"], encoding="ascii")
    new_fp = own_key(fresh)["fingerprint"]
    fresh.close()
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    old_pem = tmp_path / "old.pem"
    assert main(["keys", "export-public", str(demo_dir / "schools" / "QSZ02.sqlite"), "--out", str(old_pem)]) == 0
    assert main(["township", "register", str(township), "--school-code", "QSZ02", "--pubkey", str(old_pem)]) == 0
    old_fp = capsys.readouterr().out.split("公钥指纹:")[1].split()[:8]
    old_fp = " ".join(old_fp)
    args = ["township", "register", str(township), "--school-code", "QSZ02", "--pubkey", str(new_pem), "--replace"]
    assert main([*args, "--user", "xiaozhang"]) == 2
    assert "乡镇管理员" in capsys.readouterr().err
    monkeypatch.delenv("SCHOOLQ_PASSPHRASE")
    assert main(args) == 2 and "需要口令" in capsys.readouterr().err
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"旧密钥指纹:{old_fp}" in out and f"新密钥指纹:{new_fp}" in out


def test_a_passphrase_a_person_sets_has_eight_characters(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "1234567")
    args = ["init", str(tmp_path / "s.sqlite"), "--code", "S1", "--name", "甲村小学", "--type", "完小"]
    assert main(args) == 2
    assert "至少需要 8 个字符" in capsys.readouterr().err and not (tmp_path / "s.sqlite").exists()
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "11111111")
    assert main(args) == 2 and "同一个字符" in capsys.readouterr().err
    assert [strength(p)[1] for p in ("abc", "abcdefgh", "abcdefgh1234", "abcdefgh123!", "李老师的口令2025",
                                     "甲村小学2026年秋季学期abc")] == ["太短", "弱", "一般", "较强", "较强", "强"]


def test_failed_log_ins_make_the_next_try_wait_and_an_administrator_can_lock(demo_db):
    for _ in range(3):
        with pytest.raises(ValidationError, match="用户名或口令不正确"):
            users.login(demo_db, "jiaowu", "guess")
    with pytest.raises(ValidationError, match="请 1 秒后再试"):
        users.login(demo_db, "jiaowu", "demo")      # refused without even checking the right passphrase
    failed_at = dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.timezone.utc)
    stamp = failed_at.isoformat()
    assert [users.login_wait(n, stamp, failed_at) for n in (2, 3, 4, 5, 12, 30)] == [0, 1, 2, 4, 300, 300]
    assert users.login_wait(5, stamp, failed_at + dt.timedelta(seconds=3)) == 1
    assert users.login_wait(5, stamp, failed_at + dt.timedelta(seconds=4)) == 0
    time.sleep(1.1)
    assert users.login(demo_db, "jiaowu", "demo").role == "academic"
    assert demo_db.execute("SELECT failed_logins FROM app_user WHERE username = 'jiaowu'").fetchone()[0] == 0
    admin = users.actor_for(demo_db, "xiaozhang")
    users.set_locked(demo_db, admin, "jiaowu", True)
    with pytest.raises(ValidationError, match="已被管理员锁定"):
        users.login(demo_db, "jiaowu", "demo")
    with pytest.raises(PermissionDenied):
        users.set_locked(demo_db, users.actor_for(demo_db, "laoshi"), "jiaowu", False)
    users.set_locked(demo_db, admin, "jiaowu", False)
    assert users.login(demo_db, "jiaowu", "demo").username == "jiaowu"
    users.reset_passphrase(demo_db, admin, "laoshi", "新学期的新口令呀")
    assert users.login(demo_db, "laoshi", "新学期的新口令呀").role == "teacher"
    with pytest.raises(ValidationError, match="8 个字符"):
        users.reset_passphrase(demo_db, admin, "laoshi", "short")


def test_a_wrong_guess_at_the_key_costs_at_least_100_ms(demo_db, monkeypatch):
    monkeypatch.setitem(keys.KDF, "n", 2**16)  # the product's cost; the suite runs at a lower one (conftest)
    admin = users.login(demo_db, "admin", "demo")
    with demo_db.atomic():                              # re-wraps the key at the product's cost
        keys.change_key_passphrase(demo_db, admin, "demo", "demo")
    assert own_key(demo_db)["private_pem_encrypted"].startswith("schoolq-key/2$65536$8$1$")
    started = time.perf_counter()
    with pytest.raises(ValidationError):
        unlock_private_key(demo_db, "1234")
    assert time.perf_counter() - started >= 0.1
    assert isinstance(unlock_private_key(demo_db, "demo"), Ed25519PrivateKey)


def test_an_old_pkcs8_key_is_upgraded_on_the_next_log_in(demo_db):
    key = unlock_private_key(demo_db, "demo")
    old = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"demo")).decode("ascii")
    demo_db.execute("UPDATE school_key SET private_pem_encrypted = ? WHERE private_pem_encrypted IS NOT NULL", [old])
    users.login(demo_db, "laoshi", "demo")          # a teacher's passphrase does not open it: left alone
    assert own_key(demo_db)["private_pem_encrypted"] == old
    users.login(demo_db, "admin", "demo")
    assert own_key(demo_db)["private_pem_encrypted"].startswith("schoolq-key/2$")
    assert unlock_private_key(demo_db, "demo").public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw) == key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_a_forgotten_administrator_passphrase_comes_back_with_the_recovery_code(tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.sqlite"
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "石门村小学2026")
    assert main(["init", str(path), "--code", "S1234", "--name", "石门村小学", "--type", "完小"]) == 0
    out = capsys.readouterr().out
    code = next(line.split(":", 1)[1] for line in out.splitlines() if line.startswith("恢复码"))
    assert len(code) == 29 and code.count("-") == 4
    assert main(["keys", "fingerprint", str(path), "--json"]) == 0
    fingerprint = json.loads(capsys.readouterr().out)["fingerprint"]
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "忘了旧的这是新口令")
    monkeypatch.setenv("SCHOOLQ_RECOVERY_CODE", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
    assert main(["recover", str(path)]) == 2
    assert "恢复码不正确" in capsys.readouterr().err
    monkeypatch.setenv("SCHOOLQ_RECOVERY_CODE", code.lower().replace("-", " "))
    assert main(["recover", str(path)]) == 0
    db = open_database(path)
    try:
        assert users.login(db, "admin", "忘了旧的这是新口令").role == "school_admin"
        assert isinstance(unlock_private_key(db, "忘了旧的这是新口令"), Ed25519PrivateKey)
        assert own_key(db)["fingerprint"] == fingerprint
        with pytest.raises(ValidationError):
            users.login(db, "admin", "石门村小学2026")
    finally:
        db.close()
    assert main(["keys", "recovery-sheet", str(path), "--out", str(tmp_path / "恢复单.pdf")]) == 0
    assert (tmp_path / "恢复单.pdf").read_bytes().startswith(b"%PDF")
    monkeypatch.setenv("SCHOOLQ_RECOVERY_CODE", code)
    assert main(["recover", str(path)]) == 2, "a new sheet makes the old code useless"
