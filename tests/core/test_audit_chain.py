"""The record that cannot be quietly rewritten: a mark changed with the sqlite3 shell, an audit row
deleted or edited, triggers dropped and put back, the chain cut back: `schoolq audit verify` says
what was changed outside the program and when (exit 2); a database used only through the program
verifies clean (exit 0)."""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess

import pytest
from sqlite_utils import Database

from app.cli import main
from app.db import audit_chain
from app.db.database import open_database
from app.marks.entry import set_mark
from app.services.users import actor_for


@pytest.fixture
def school(demo_dir, monkeypatch):
    """The central school's own demo database, after one CLI write by its administrator (which
    signs the chain's head), and a mark of it: (path, exam id, pupil id, subject id, score)."""
    path = demo_dir / "schools" / "QSZ01.sqlite"
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["exam", "create", str(path), "--name", "单元测验", "--type", "单元", "--grades", "3",
                 "--subjects", "语文:100"]) == 0
    monkeypatch.delenv("SCHOOLQ_PASSPHRASE")
    conn = sqlite3.connect(path)
    mark = conn.execute("SELECT exam_id, pupil_id, subject_id, score FROM mark WHERE status = '正常'"
                        " ORDER BY pupil_id LIMIT 1").fetchone()
    conn.close()
    return path, *mark


def _shell(path, sql: str) -> None:
    """Run `sql` with the sqlite3 command-line shell, as someone with the file would."""
    if shutil.which("sqlite3"):
        subprocess.run(["sqlite3", str(path), sql], check=True, capture_output=True)
    else:
        conn = sqlite3.connect(path)
        conn.executescript(sql)
        conn.close()


def _verify(path, capsys) -> tuple[int, dict]:
    code = main(["audit", "verify", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_database_used_through_the_program_verifies_clean(school, capsys):
    path, exam_id, pupil_id, subject_id, score = school
    db = open_database(path)
    set_mark(db, actor_for(db, "admin"), exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value=score + 1)
    heads = db.execute("SELECT COUNT(*) FROM audit_head").fetchone()[0]
    db.close()
    assert heads == 1, "the administrator's CLI session signed the chain's head"
    code, report = _verify(path, capsys)
    assert (code, report["findings"]) == (0, [])
    assert main(["audit", "verify", str(path)]) == 0
    assert "审计记录完整" in capsys.readouterr().out


def test_a_mark_changed_with_the_sqlite3_shell_is_reported_with_when(school, capsys):
    path, exam_id, pupil_id, subject_id, score = school
    _shell(path, f"UPDATE mark SET score = 100 WHERE exam_id = '{exam_id}' AND pupil_id = '{pupil_id}'"
                 f" AND subject_id = '{subject_id}';")
    code, report = _verify(path, capsys)
    assert code == 2
    [finding] = report["findings"]
    [change] = finding["changes"]
    assert (finding["kind"], change["table"], change["op"]) == ("outside", "mark", "U")
    assert change["row"] == f"{exam_id}/{pupil_id}/{subject_id}"
    assert f"score {score!r} → 100.0" in change["text"] and change["at"][:4] == "20" + change["at"][2:4]
    # The program's next transaction seals it as someone else's: it stays reported.
    db = open_database(path)
    set_mark(db, actor_for(db, "admin"), exam_id=exam_id, pupil_id=pupil_id, subject_id=subject_id, value=95)
    db.close()
    code, report = _verify(path, capsys)
    assert code == 2 and [f["kind"] for f in report["findings"]] == ["outside"]
    assert "不是本程序做的" in report["findings"][0]["message"]
    assert main(["audit", "verify", str(path)]) == 2
    assert f"score {score!r} → 100.0" in capsys.readouterr().out


def test_a_deleted_or_edited_audit_row_is_reported(school, capsys):
    path, *_ = school
    with pytest.raises(subprocess.CalledProcessError):
        _shell(path, "DELETE FROM change_log WHERE seq = 5;")       # the record refuses it
    _shell(path, "DROP TRIGGER audit_guard_change_log_delete; DELETE FROM change_log WHERE seq = 5;")
    code, report = _verify(path, capsys)
    assert code == 2
    messages = " ".join(f["message"] for f in report["findings"])
    assert "第 1 批审计记录" in messages and "修改记录被删除或改动" in messages and "少了 1 条" in messages
    assert "记录修改的触发器被删除或改动(1 个,如 audit_guard_change_log_delete)" in messages
    # The program, opening the file for writing, puts the trigger back and records that it was gone.
    open_database(path).close()
    code, report = _verify(path, capsys)
    texts = [c["text"] for f in report["findings"] for c in f["changes"]]
    assert code == 2 and any(t.startswith("触发器 audit_guard_change_log_delete:记录修改的触发器被删除或改动")
                             for t in texts)


def test_an_edited_audit_log_entry_is_a_change_outside_the_program(school, capsys):
    path, *_ = school
    _shell(path, "UPDATE audit_log SET username = 'someone' WHERE id = (SELECT MAX(id) FROM audit_log);")
    code, report = _verify(path, capsys)
    assert code == 2
    [change] = report["findings"][0]["changes"]
    assert change["table"] == "audit_log" and "username 'admin' → 'someone'" in change["text"]


def test_triggers_dropped_and_put_back_do_not_hide_an_edit(school, capsys):
    path, exam_id, pupil_id, subject_id, score = school
    conn = sqlite3.connect(path)
    saved = [sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE name LIKE 'audit_mark_%'")]
    conn.close()
    _shell(path, "DROP TRIGGER audit_mark_update; "
                 f"UPDATE mark SET score = 99 WHERE exam_id = '{exam_id}' AND pupil_id = '{pupil_id}'"
                 f" AND subject_id = '{subject_id}'; "
                 + "".join(s + ";" for s in saved if "AFTER UPDATE" in s))
    code, report = _verify(path, capsys)
    assert code == 2
    finding = next(f for f in report["findings"] if f["kind"] == "state")
    assert "表 mark 有 1 行与审计记录不符" in finding["message"]
    assert "score " + repr(score) + " → 99.0" in finding["changes"][0]["text"]


def test_the_program_records_an_edit_made_while_triggers_were_gone(school, capsys):
    path, exam_id, pupil_id, subject_id, score = school
    _shell(path, "DROP TRIGGER audit_mark_update; "
                 f"UPDATE mark SET score = 98 WHERE exam_id = '{exam_id}' AND pupil_id = '{pupil_id}'"
                 f" AND subject_id = '{subject_id}';")
    open_database(path).close()                                      # puts the triggers back, noting the edit
    code, report = _verify(path, capsys)
    assert code == 2
    [finding] = report["findings"]
    trigger, edit = finding["changes"]
    assert finding["kind"] == "outside" and (trigger["op"], trigger["row"], edit["op"]) == ("T", "audit_mark_update", "X")
    assert "score " + repr(score) + " → 98.0" in edit["text"]


def test_a_chain_cut_back_below_its_signed_head_is_reported(school, capsys):
    path, *_ = school
    _shell(path, "DROP TRIGGER audit_guard_audit_chain_delete; DROP TRIGGER audit_guard_change_log_delete;"
                 " DELETE FROM change_log WHERE seq > (SELECT last FROM audit_chain WHERE seq = 1);"
                 " DELETE FROM audit_chain WHERE seq > 1;"
                 " CREATE TRIGGER audit_guard_audit_chain_delete BEFORE DELETE ON audit_chain BEGIN"
                 " SELECT RAISE(ABORT, '审计记录只能追加,不能修改或删除。'); END;"
                 " CREATE TRIGGER audit_guard_change_log_delete BEFORE DELETE ON change_log BEGIN"
                 " SELECT RAISE(ABORT, '审计记录只能追加,不能修改或删除。'); END;")
    code, report = _verify(path, capsys)
    assert code == 2
    assert any(f["kind"] == "head" and "被截断或重写" in f["message"] for f in report["findings"])


def test_the_township_flags_a_package_whose_chain_was_edited_outside_or_does_not_continue(demo_dir, tmp_path):
    from app.packages.export import export_package
    from app.packages.signing import own_public_pem
    from app.packages.township_import import import_package
    from app.packages.trust import register_key
    from app.services import setup

    usb = tmp_path / "usb"
    usb.mkdir()
    township = setup.init_township(tmp_path / "t.sqlite", code="QSZ", name="青山镇", passphrase="demo", demo=True)
    admin = actor_for(township)
    path = demo_dir / "schools" / "QSZ01.sqlite"
    school = open_database(path)
    register_key(township, admin, level="school", code="QSZ01", pem=own_public_pem(school))
    first = export_package(school, actor_for(school), "demo", usb, unencrypted=True).path
    school.close()
    result = import_package(township, admin, first)
    assert result.status == "accepted" and "审计记录提醒" not in result.message
    conn = sqlite3.connect(path)
    mark = _a_mark(conn)
    conn.close()
    _shell(path, f"UPDATE mark SET score = 100 WHERE exam_id = '{mark['exam_id']}' AND pupil_id = '{mark['pupil_id']}'"
                 f" AND subject_id = '{mark['subject_id']}';")
    school = open_database(path)
    second = export_package(school, actor_for(school), "demo", usb, unencrypted=True).path
    school.close()
    result = import_package(township, admin, second)
    assert result.status == "accepted"
    assert "审计记录提醒:发送方数据库有 1 批修改不是用本程序做的" in result.message
    # Someone rewrites the school's record from batch 1 on (and could recompute every hash): the next
    # package's chain no longer continues from the one the township accepted.
    _shell(path, "DROP TRIGGER audit_guard_audit_chain_delete; DROP TRIGGER audit_guard_change_log_delete;"
                 " DELETE FROM change_log WHERE seq > (SELECT last FROM audit_chain WHERE seq = 1);"
                 " DELETE FROM audit_chain WHERE seq > 1;")
    school = open_database(path)
    set_mark(school, actor_for(school, "admin"), **_a_mark(school), value=61)
    third = export_package(school, actor_for(school), "demo", usb, unencrypted=True).path
    school.close()
    result = import_package(township, admin, third)
    assert result.status == "accepted" and "审计记录没有接着上一个数据包" in result.message
    township.close()


def _a_mark(db) -> dict:
    exam_id, pupil_id, subject_id = db.execute(
        "SELECT m.exam_id, m.pupil_id, m.subject_id FROM mark m JOIN exam e ON e.id = m.exam_id"
        " JOIN term t ON t.id = e.term_id WHERE m.status = '正常' ORDER BY t.code DESC, m.pupil_id LIMIT 1").fetchone()
    return {"exam_id": exam_id, "pupil_id": pupil_id, "subject_id": subject_id}


def test_a_clerks_session_signs_the_head_with_the_clerks_own_key(school, monkeypatch, capsys):
    from app.services.users import change_own_passphrase, create_user

    path = school[0]
    db = open_database(path)
    admin = actor_for(db)
    create_user(db, admin, username="jiaowu", display_name="教务王", role="academic", school_id=admin.school_id,
                passphrase="jiaowu-pass-1")
    school_fingerprint = db.execute("SELECT fingerprint FROM school_key").fetchone()[0]
    db.close()

    def heads():
        conn = sqlite3.connect(path)
        rows = conn.execute("SELECT fingerprint FROM audit_head ORDER BY id").fetchall()
        signers = dict(conn.execute("SELECT fingerprint, cert IS NOT NULL FROM audit_signer").fetchall())
        conn.close()
        return [r[0] for r in rows], signers

    def verified() -> tuple[int, dict]:
        capsys.readouterr()
        return _verify(path, capsys)

    # 教务 cannot open the school's key; the end of their command is signed with their own key
    before, _ = heads()
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "jiaowu-pass-1")
    assert main(["exam", "create", str(path), "--user", "jiaowu", "--name", "教务测验", "--type", "单元",
                 "--grades", "4", "--subjects", "数学:100"]) == 0
    after, signers = heads()
    assert len(after) == len(before) + 1 and after[-1] != school_fingerprint
    assert signers == {after[-1]: 0}, "made now, not yet certified by an administrator"
    code, report = verified()
    assert (code, report["findings"]) == (0, [])
    # the administrator's next session certifies it with the school's key
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["exam", "create", str(path), "--name", "管理员测验", "--type", "单元", "--grades", "5",
                 "--subjects", "语文:100"]) == 0
    final, signers = heads()
    assert final[-1] == school_fingerprint and signers == {after[-1]: 1}
    code, report = verified()
    assert (code, report["findings"]) == (0, [])
    # a new passphrase: the old key is retired, the next session makes and uses a new one
    db = open_database(path)
    change_own_passphrase(db, actor_for(db, "jiaowu"), "jiaowu-pass-1", "jiaowu-pass-2")
    db.close()
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "jiaowu-pass-2")
    assert main(["exam", "create", str(path), "--user", "jiaowu", "--name", "教务测验二", "--type", "单元",
                 "--grades", "4", "--subjects", "数学:100"]) == 0
    latest, signers = heads()
    assert latest[-1] not in (after[-1], school_fingerprint) and set(signers) == {after[-1], latest[-1]}
    assert verified()[0] == 0
    # someone with the file swaps the clerk's certified public key for their own: verify says so
    _shell(path, "UPDATE audit_signer SET public_raw = 'Gb9ECWmEzf6FQbrBZ9w7lshQhqowtB+xA4ouKyg+JDM='"
                 f" WHERE fingerprint = '{after[-1]}';")
    code, report = verified()
    assert code == 2
    assert any("账号“jiaowu”的审计签名密钥与管理员确认的不符" in f["message"] for f in report["findings"])


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16le"])
def test_a_batch_digest_is_the_sha256_of_its_entries_text(encoding):
    # Two entries written out by hand: fields joined by U+001F, NULL as U+0000, each ended by U+001E.
    db = Database(sqlite3.connect(":memory:"))
    db.execute(f"PRAGMA encoding = '{encoding}'")
    db.execute(audit_chain.SCHEMA[0])
    db.execute("INSERT INTO change_log (seq, at, tbl, op, row_key, old, new) VALUES"
               " (7, '2026-12-07T08:00:00Z', 'mark', 'I', 'e/p/s', NULL, '[\"语文\",92.5]'),"
               " (8, '2026-12-07T08:00:01Z', 'pupil', 'D', 'p', '[\"张三\"]', NULL)")
    text = ("7\x1f2026-12-07T08:00:00Z\x1fmark\x1fI\x1fe/p/s\x1f\x00\x1f[\"语文\",92.5]\x1e"
            "8\x1f2026-12-07T08:00:01Z\x1fpupil\x1fD\x1fp\x1f[\"张三\"]\x1f\x00\x1e")
    assert db.execute("PRAGMA encoding").fetchone()[0] == encoding
    assert audit_chain._digest(db, 7, 8) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert audit_chain._digest(db, 9, 30) == hashlib.sha256(b"").hexdigest()  # entries deleted: none left
