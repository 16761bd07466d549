"""Safety copies, `schoolq backup` and `schoolq restore`: a copy is complete or absent, holds what an open
window still has in its WAL, only the newest few are kept, and a restore shows what it will put back and
keeps the current data first."""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from app.db import copies
from app.db.copies import safety_copy, write_copy
from app.db.database import open_database
from app.services import backups
from app.services.users import actor_for


@pytest.fixture
def school(demo_dir, tmp_path) -> Path:
    path = tmp_path / "site" / "QSZ05.sqlite"
    path.parent.mkdir()
    shutil.copy(demo_dir / "schools" / "QSZ05.sqlite", path)
    return path


def pupils(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM pupil").fetchone()[0]
    finally:
        conn.close()


def test_a_copy_holds_what_an_open_window_has_only_in_its_wal(school, tmp_path):
    window = sqlite3.connect(school)
    window.execute("PRAGMA wal_autocheckpoint = 0")
    window.execute("UPDATE pupil SET name = '王小明' WHERE rowid = 1")
    window.commit()
    assert os.path.getsize(f"{school}-wal") > 0
    other = sqlite3.connect(school)
    target = write_copy(other, tmp_path / "copy.sqlite")
    other.close()
    window.close()
    assert not Path(f"{target}-wal").exists()
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT name FROM pupil WHERE rowid = 1").fetchone()[0] == "王小明"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()


class _KilledMidway:
    """A connection whose backup writes part of the copy, then the process 'dies'."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def backup(self, dest: sqlite3.Connection) -> None:
        self.conn.backup(dest, pages=3)
        raise KeyboardInterrupt


def test_a_copy_killed_midway_never_leaves_a_file_named_like_a_finished_one(school):
    conn = sqlite3.connect(school)
    with pytest.raises(KeyboardInterrupt):
        safety_copy(_KilledMidway(conn), school, 7)
    left = sorted(p.name for p in school.parent.iterdir() if ".bak" in p.name)
    assert len(left) == 1 and left[0].endswith(".bak.sqlite.part")
    done = safety_copy(conn, school, 7)
    conn.close()
    assert sorted(p.name for p in school.parent.iterdir() if ".bak" in p.name) == [done.name]
    copy = sqlite3.connect(done)
    assert copy.execute("SELECT COUNT(*) FROM pupil").fetchone()[0] == pupils(school) > 0
    copy.close()


def test_only_the_newest_three_safety_copies_are_kept(school, monkeypatch):
    conn = sqlite3.connect(school)
    made = []
    for n in range(5):
        monkeypatch.setattr(copies, "stamp", lambda n=n: f"2026010{n + 1}-080000")
        made.append(safety_copy(conn, school, 6))
        os.utime(made[-1], (1_700_000_000 + n * 3600,) * 2)
    conn.close()
    assert sorted(p.name for p in school.parent.glob("*.bak.sqlite")) == sorted(p.name for p in made[2:])


def test_backup_names_the_file_and_shows_what_it_holds(school, monkeypatch, capsys):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["backup", str(school)]) == 0
    out, err = capsys.readouterr()
    written = Path(out.strip())
    assert written.parent == school.parent / "备份" and written.name.startswith("QSZ05.backup-")
    assert "竹林教学点(QSZ05)" in err and f"学生 {pupils(school)} 名" in err and "2026—2027 学年第一学期" in err
    for n in range(3):
        monkeypatch.setattr(copies, "stamp", lambda n=n: f"2027010{n + 1}-080000")
        assert main(["backup", str(school), "--keep", "2"]) == 0
    assert sorted(p.name for p in (school.parent / "备份").iterdir()) == [
        "QSZ05.backup-20270102-080000.sqlite", "QSZ05.backup-20270103-080000.sqlite"]


def test_restore_shows_the_backup_keeps_the_current_data_and_puts_the_copy_back(school, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    assert main(["backup", str(school), "--out", str(tmp_path / "usb")]) == 0
    backup = Path(capsys.readouterr().out.strip())
    before = pupils(school)
    window = open_database(school)  # the GUI has the database open meanwhile
    window.execute("DELETE FROM mark")
    window.execute("DELETE FROM pupil_status_change")
    window.execute("UPDATE class SET head_teacher_id = NULL")
    window.conn.commit()
    with window.atomic():
        window.execute("DELETE FROM pupil")
    assert pupils(school) == 0

    assert main(["restore", str(school), str(backup)]) == 2  # no terminal and no --yes: only the preview
    err = capsys.readouterr().err
    assert f"学生 {before} 名" in err and "--yes" in err and pupils(school) == 0

    assert main(["restore", str(school), str(backup), "--yes"]) == 0
    out = capsys.readouterr().out
    assert pupils(school) == before
    assert window.execute("SELECT COUNT(*) FROM pupil").fetchone()[0] == before
    kept = Path(out.split("恢复前的数据已另存为:")[1].strip())
    assert kept.parent == school.parent / "备份" and pupils(kept) == 0
    note = window.execute("SELECT note FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert backup.name in note and kept.name in note
    window.close()
    assert sorted(p.name for p in school.parent.iterdir() if p.is_file() and "restoring" in p.name) == []


def test_restore_refuses_another_schools_backup_and_a_teacher(school, demo_dir, demo_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SCHOOLQ_PASSPHRASE", "demo")
    other = tmp_path / "QSZ01.sqlite"
    shutil.copy(demo_dir / "schools" / "QSZ01.sqlite", other)
    before = pupils(school)
    assert main(["restore", str(school), str(other), "--yes"]) == 2
    assert "不是本数据库(QSZ05)的备份" in capsys.readouterr().err
    assert pupils(school) == before
    assert main(["backup", str(demo_path), "--user", "laoshi"]) == 2
    assert "只有本数据库的管理员" in capsys.readouterr().err
    assert not (demo_path.parent / "备份").exists()


def test_a_daily_backup_is_written_once_a_day_and_keeps_n(school, monkeypatch):
    import datetime as dt

    db = open_database(school)
    try:
        admin = actor_for(db)
        assert backups.backup_if_due(db, admin) is None  # off until switched on
        backups.set_auto_settings(db, admin, True, 2)
        assert backups.auto_settings(db) == (True, 2)
        first = backups.backup_if_due(db, admin)
        assert first is not None and backups.backup_if_due(db, admin) is None
        later = dt.datetime.now() + dt.timedelta(days=1, minutes=1)
        for n in range(2):
            monkeypatch.setattr(copies, "stamp", lambda n=n: f"2099010{n + 1}-080000")
            assert backups.backup_if_due(db, admin, now=later + dt.timedelta(days=n)) is not None
        assert len(backups.list_backups(school)) == 2
    finally:
        db.close()
