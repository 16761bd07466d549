"""Full disks, write-protected sticks and busy databases: every command says what happened (磁盘已满,
只读, 被占用) and exits 2, the database is unchanged, read-only commands still work, and nothing half
made is left behind. Full and read-only disks are real small tmpfs mounts (skipped where the test
cannot mount, e.g. not root); the busy database is another connection holding the write lock."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from app.cli import main
from app.db import database
from app.db.database import open_database
from app.packages.export import export_package, next_sequence
from app.services.users import actor_for


@pytest.fixture
def small_disk(tmp_path):
    """Mount a tmpfs of the size asked for at tmp_path/disk; yield a function (size) -> folder, and a
    `read_only(folder)` remount. Skips where mounting is not allowed."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip("this machine does not let the test mount a small disk (needs root)")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def fill(folder: Path) -> None:
    """Take every free byte of the disk holding `folder` (unbuffered: a buffer holding the tail of the
    last write would fail again when the file closes, depending on how much space the database left)."""
    with open(folder / "filler.bin", "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass


def rows(path: Path) -> dict:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in tables}
    finally:
        conn.close()


def school_db(demo_dir: Path, folder: Path, code: str = "QSZ05") -> Path:
    target = folder / f"{code}.sqlite"
    shutil.copy(demo_dir / "schools" / f"{code}.sqlite", target)
    return target


INIT = ["--code", "S1234", "--name", "石门村小学", "--type", "完小", "--township", "QSZ", "--township-name", "青山镇"]


def test_init_on_a_full_disk_says_so_and_leaves_nothing_that_blocks_the_retry(small_disk, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo-passphrase")
    disk = small_disk("200k")
    assert main(["init", str(disk / "shimen.sqlite"), *INIT]) == 2
    err = capsys.readouterr().err
    assert "磁盘已满" in err and "程序内部错误" not in err and "不是本程序的数据库文件" not in err
    assert list(disk.iterdir()) == []
    bigger = small_disk("20m")
    assert main(["init", str(bigger / "shimen.sqlite"), *INIT]) == 0


def test_demo_on_a_full_disk_removes_its_partial_file(small_disk, capsys):
    disk = small_disk("2m")
    assert main(["demo", str(disk / "demo.sqlite")]) == 2
    assert "磁盘已满" in capsys.readouterr().err
    assert list(disk.iterdir()) == []


def test_a_write_on_a_full_disk_is_refused_and_reads_still_work(demo_dir, small_disk, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    disk = small_disk("8m")
    path = school_db(demo_dir, disk)
    assert main(["info", str(path)]) == 0
    capsys.readouterr()
    before = rows(path)
    fill(disk)
    code = main(["exam", "create", str(path), "--name", "单元测试", "--type", "单元", "--grades", "3",
                 "--subjects", "语文:100,数学:100"])
    err = capsys.readouterr().err
    assert code == 2 and "磁盘已满" in err, err
    assert "程序内部错误" not in err and "不是本程序的数据库文件" not in err
    assert rows(path) == before
    assert main(["info", str(path), "--json"]) == 0
    assert '"school_code": "QSZ05"' in capsys.readouterr().out


def test_a_read_only_stick_is_read_and_never_written(demo_dir, small_disk, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    disk = small_disk("20m")
    path = school_db(demo_dir, disk)
    read_only(disk)
    assert main(["info", str(path), "--json"]) == 0
    assert '"school_code": "QSZ05"' in capsys.readouterr().out
    assert main(["exam", "list", str(path)]) == 0
    capsys.readouterr()
    code = main(["exam", "create", str(path), "--name", "单元测试", "--type", "单元", "--grades", "3",
                 "--subjects", "语文:100"])
    err = capsys.readouterr().err
    assert code == 2 and "只读" in err and "不是本程序的数据库文件" not in err


def test_export_to_a_write_protected_stick_says_so_and_keeps_its_number(demo_dir, small_disk, tmp_path, monkeypatch,
                                                                        capsys):
    stick = small_disk("4m")
    read_only(stick)
    path = school_db(demo_dir, tmp_path)
    db = open_database(path)
    first = next_sequence(db)
    db.close()
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["package", "export", str(path), "--out", str(stick), "--unencrypted"]) == 2
    err = capsys.readouterr().err
    assert "只读" in err and "程序内部错误" not in err
    db = open_database(path)
    try:
        assert next_sequence(db) == first
    finally:
        db.close()


def test_an_export_to_a_full_stick_leaves_no_package_and_keeps_its_number(demo_dir, small_disk, tmp_path):
    stick = small_disk("1m")
    fill(stick)
    db = open_database(school_db(demo_dir, tmp_path))
    try:
        first = next_sequence(db)
        from app.db.media import DiskFull

        with pytest.raises(DiskFull, match="磁盘已满"):
            export_package(db, actor_for(db), "demo", stick, unencrypted=True)
        assert next_sequence(db) == first
        assert sorted(p.name for p in stick.iterdir()) == ["filler.bin"]
    finally:
        db.close()


def test_a_write_waits_for_another_program_then_says_it_is_busy(demo_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    monkeypatch.setattr(database, "BUSY_WAIT_SECONDS", 0.3)
    monkeypatch.setattr(database, "BUSY_NOTICE_SECONDS", 0.1)
    path = school_db(demo_dir, tmp_path)
    before = rows(path)
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")
    try:
        code = main(["exam", "create", str(path), "--name", "单元测试", "--type", "单元", "--grades", "3",
                     "--subjects", "语文:100"])
        err = capsys.readouterr().err
        assert code == 2
        assert "正在等待" in err and "数据库正被另一个程序使用" in err and "database is locked" not in err
        # Reading goes on while another program writes.
        assert main(["exam", "list", str(path)]) == 0
    finally:
        other.rollback()
        other.close()
    assert rows(path) == before


def test_a_write_started_while_another_ends_soon_waits_and_succeeds(demo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    path = school_db(demo_dir, tmp_path)
    other = sqlite3.connect(path, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    # Long enough to outlast the log-in the command does before it writes (scrypt: 0.3 s, 1.5 s on a
    # loaded machine).
    release = threading.Timer(6.0, lambda: (other.rollback(), other.close()))
    release.start()
    try:
        assert main(["exam", "create", str(path), "--name", "单元测试", "--type", "单元", "--grades", "3",
                     "--subjects", "语文:100"]) == 0
    finally:
        release.join()
    assert "正在等待" in capsys.readouterr().err
    db = open_database(path)
    try:
        assert db.execute("SELECT COUNT(*) FROM exam WHERE name = '单元测试'").fetchone()[0] == 1
    finally:
        db.close()


def test_a_stick_holding_unwritten_changes_in_a_wal_file_is_not_read_stale(demo_dir, small_disk, tmp_path, capsys):
    source = school_db(demo_dir, tmp_path)
    window = sqlite3.connect(source)
    window.execute("PRAGMA wal_autocheckpoint = 0")
    window.execute("UPDATE pupil SET name = '王小明' WHERE rowid = 1")
    window.commit()
    disk = small_disk("20m")
    for suffix in ("", "-wal"):
        shutil.copy(f"{source}{suffix}", disk / f"QSZ05.sqlite{suffix}")
    window.close()
    read_only(disk)
    assert main(["info", str(disk / "QSZ05.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "只读" in err and "QSZ05.sqlite-wal" in err and "复制到本地磁盘" in err
