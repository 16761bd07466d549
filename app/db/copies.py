"""Copies of a database file that are either complete or absent: the safety copy written before a
migration, and the backups of `schoolq backup` and the 设置 page.

A copy is made with SQLite's backup API from an open connection (so it holds what is still in the
WAL of a database the GUI has open), into `NAME.part`, switched to a single self-contained file,
fsynced, and only then renamed to its final name. A program killed at any moment leaves at most a
`.part` file, which the next copy removes: nothing named like a finished copy is ever incomplete.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import sqlite3
from pathlib import Path

from app.db.media import explain

# Safety copies written before migrations that are kept per database (the oldest go first).
SAFETY_KEEP = 3


def fsync_folder(folder: Path) -> None:
    """Flush `folder`'s entries (a rename) to disk where the system allows it."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (FAT on some kernels) refuse fsync on a folder; the file itself is synced
    finally:
        os.close(fd)


def write_copy(conn: sqlite3.Connection, target: Path) -> Path:
    """Write a consistent copy of the database open on `conn` to `target` (through `target.part`);
    return `target`.

    Raises DiskFull or ReadOnlyMedia (see app.db.media) when the destination cannot take it, and
    leaves neither `target` nor the `.part` file behind then.
    """
    temp = target.with_name(target.name + ".part")
    try:
        temp.unlink(missing_ok=True)
        dest = sqlite3.connect(temp)
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
        fsync_folder(target.parent)
    except (sqlite3.Error, OSError) as exc:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        raise (explain(exc, target.parent) or exc) from exc
    return target


def stamp() -> str:
    """Return the local time as YYYYmmdd-HHMMSS, for copy names."""
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def prune(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` files of `folder` matching `pattern` (and any `.part` left
    by an interrupted copy of that pattern); return the paths deleted."""
    found = sorted(folder.glob(pattern), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    gone = list(found[keep:]) + list(folder.glob(pattern + ".part"))
    deleted = []
    for path in gone:
        with contextlib.suppress(OSError):
            path.unlink()
            deleted.append(path)
    return deleted


def safety_copy(conn: sqlite3.Connection, path: Path, version: int, keep: int = SAFETY_KEEP) -> Path:
    """Write the copy taken before migrating the database at `path` (schema version `version`):
    `NAME.vN-TIMESTAMP.bak.sqlite` beside it; keep the newest `keep` of them. Returns its path.
    Raises DiskFull or ReadOnlyMedia (the database is then not migrated)."""
    target = path.with_name(f"{path.stem}.v{version}-{stamp()}.bak{path.suffix}")
    write_copy(conn, target)
    prune(path.parent, f"{glob.escape(path.stem)}.v*-*.bak{path.suffix}", keep)
    return target
