"""Backups of a database on the local disk, and restoring one after a preview of what it holds.

`schoolq backup`, `schoolq restore` and the 设置 page call these. A backup is a complete copy made
with SQLite's backup API (app.db.copies: through a .part file, fsynced, renamed), named
`NAME.backup-YYYYmmdd-HHMMSS.sqlite` in a `备份` folder beside the database unless another folder is
given; automatic backups (设置: daily, keep N) prune the oldest. Restoring first keeps a copy of the
current file (`NAME.before-restore-….sqlite`), then writes the backup's pages into the live database
through the backup API under its write lock, so a window that has it open simply sees the restored data.
Only the database's administrator may back up or restore.
"""
from __future__ import annotations

import datetime as dt
import glob
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from app.db import copies
from app.db.copies import prune, write_copy
from app.db.database import begin_immediate, open_database, remove_database
from app.db.media import explain
from app.db.writes import Actor, audit
from app.errors import NotADatabase, PermissionDenied, invalid
from app.services.schools import get_meta, set_meta

FOLDER_NAME = "备份"
DEFAULT_KEEP = 7
DAY = dt.timedelta(days=1)


def database_path(db: Database) -> Path:
    """Return the file `db` is open on."""
    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2])


def default_folder(path: Path) -> Path:
    """Return the folder backups of the database at `path` go to by default (`备份` beside it)."""
    return path.parent / FOLDER_NAME


def require_database_admin(db: Database, actor: Actor) -> None:
    """Raise PermissionDenied unless `actor` administers the whole database: the township (county)
    administrator, or in a school's database its school administrator."""
    if actor.role == "township_admin":
        return
    if actor.role == "school_admin" and get_meta(db, "kind", "school") == "school":
        own = db.execute("SELECT id FROM school WHERE code = ?", [get_meta(db, "school_code") or ""]).fetchone()
        if own and own[0] == actor.school_id:
            return
    raise PermissionDenied("只有本数据库的管理员可以备份或恢复数据库。")


def _pattern(path: Path) -> str:
    return f"{glob.escape(path.stem)}.backup-*{path.suffix}"


def make_backup(db: Database, actor: Actor, folder: str | Path | None = None, keep: int | None = None) -> Path:
    """Write a backup of `db` into `folder` (default: `备份` beside it); with `keep`, delete all but
    the newest `keep` backups there. Returns the backup's path.

    Raises PermissionDenied, DiskFull or ReadOnlyMedia (no backup file left then).
    """
    require_database_admin(db, actor)
    path = database_path(db)
    target_folder = Path(folder) if folder else default_folder(path)
    try:
        target_folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise explain(exc, target_folder) or exc from exc
    target = target_folder / f"{path.stem}.backup-{copies.stamp()}{path.suffix}"
    write_copy(db.conn, target)
    if keep:
        prune(target_folder, _pattern(path), keep)
    return target


def list_backups(path: str | Path, folder: str | Path | None = None) -> list[Path]:
    """Return the backups of the database at `path` in `folder` (default `备份` beside it), newest first."""
    path = Path(path)
    where = Path(folder) if folder else default_folder(path)
    if not where.is_dir():
        return []
    return sorted(where.glob(_pattern(path)), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def _count(conn: sqlite3.Connection, sql: str) -> int | None:
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.Error:
        return None


def describe_backup(path: str | Path) -> dict:
    """Return what the database file at `path` holds, read without changing it: kind, school or
    township code and name, current term, counts (schools, classes, pupils, teachers, exams,
    marks), the time of its last change, the file's time and size.

    Raises NotADatabase for a file that is not an intact SchoolQ database, FileNotFoundError.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(str(path))
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise NotADatabase(f"“{path.name}”不是本程序的数据库文件。") from exc
    try:
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise NotADatabase(f"备份“{path.name}”已损坏(完整性检查未通过),不能用来恢复。")
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise NotADatabase(f"“{path.name}”不是本程序的数据库文件。") from exc
        kind = meta.get("kind", "school")
        code = meta.get("school_code") if kind == "school" else meta.get("township_code") or meta.get("county_code")
        table = "school" if kind == "school" else "township"
        name = conn.execute(f"SELECT name FROM {table} WHERE code = ?", [code]).fetchone() if code else None
        term = conn.execute("SELECT name FROM term WHERE code = ?", [meta.get("current_term")]).fetchone()
        counts = {key: _count(conn, f"SELECT COUNT(*) FROM {key}")
                  for key in ("school", "class", "pupil", "teacher", "exam", "mark")}
        changed = _count(conn, "SELECT MAX(at) FROM audit_log")
    finally:
        conn.close()
    stat = path.stat()
    return {"path": str(path), "kind": kind, "code": code, "name": name[0] if name else None,
            "term_code": meta.get("current_term"), "term_name": term[0] if term else None, "counts": counts,
            "last_change": changed, "file_time": dt.datetime.fromtimestamp(stat.st_mtime).isoformat(timespec="seconds"),
            "size": stat.st_size}


def preview_text(info: dict) -> str:
    """Return describe_backup's dict as Chinese lines for a confirmation."""
    kind = {"school": "学校", "township": "乡镇", "county": "县"}.get(info["kind"], info["kind"])
    counts = info["counts"]
    labels = (("school", "学校", "所"), ("class", "班级", "个"), ("pupil", "学生", "名"), ("teacher", "教师", "名"),
              ("exam", "考试", "次"), ("mark", "成绩", "条"))
    held = "、".join(f"{label} {counts[key]:,} {unit}" for key, label, unit in labels if counts.get(key) is not None)
    return "\n".join([
        f"{kind}:{info['name'] or '—'}({info['code'] or '—'})",
        f"当前学期:{info['term_name'] or info['term_code'] or '—'}",
        f"内容:{held}",
        f"最后修改:{(info['last_change'] or '—').replace('T', ' ')[:19]};备份时间:{info['file_time'].replace('T', ' ')}",
    ])


def restore_backup(db: Database, actor: Actor, backup: str | Path) -> dict:
    """Replace the content of the database `db` is open on by the backup file `backup`, after keeping
    a copy of the current content (`NAME.before-restore-….sqlite` in the backups folder). Returns
    {"restored": describe_backup of the backup, "kept": path of the copy of the old content}.

    The backup must be a SchoolQ database of the same kind and school (or township) and not newer
    than this program. Raises PermissionDenied, NotADatabase, SchemaTooNew, ValidationError (another
    school's backup), DatabaseBusy (another program has the database open for writing), DiskFull,
    ReadOnlyMedia.
    """
    require_database_admin(db, actor)
    backup = Path(backup)
    info = describe_backup(backup)
    kind = get_meta(db, "kind", "school")
    code = get_meta(db, "school_code") if kind == "school" else get_meta(db, "township_code") or get_meta(
        db, "county_code")
    if (info["kind"], info["code"]) != (kind, code):
        raise invalid(f"备份“{backup.name}”属于 {info['name'] or info['code']}({info['code']}),不是本数据库"
                      f"({code})的备份,不能用来恢复。")
    path = database_path(db)
    folder = default_folder(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise explain(exc, folder) or exc from exc
    kept = write_copy(db.conn, folder / f"{path.stem}.before-restore-{copies.stamp()}{path.suffix}")
    # The backup itself is never changed: a staging copy beside the database is brought up to this
    # program's schema (a backup made by an older version is migrated there), then written in.
    staging = path.with_name(f"{path.stem}.restoring{path.suffix}")
    remove_database(staging)
    reader = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    try:
        write_copy(reader, staging)
    finally:
        reader.close()
    try:
        source = open_database(staging)
        try:
            # Wait (boundedly) until no other program is writing, then copy every page in; SQLite's
            # backup would otherwise retry for as long as another writer holds the database.
            begin_immediate(db)
            db.conn.rollback()
            source.conn.backup(db.conn)
        except sqlite3.Error as exc:
            raise explain(exc, path) or exc from exc
        finally:
            source.close()
    finally:
        remove_database(staging)
        for leftover in path.parent.glob(f"{glob.escape(staging.stem)}.v*-*.bak{path.suffix}"):
            remove_database(leftover)
    with db.atomic():
        audit(db, actor, "update", "database", path.name, None, {"restored_from": backup.name},
              note=f"从备份“{backup.name}”恢复;恢复前的内容保存在“{kept.name}”")
    return {"restored": info, "kept": kept}


def auto_settings(db: Database) -> tuple[bool, int]:
    """Return (automatic daily backups on, how many to keep)."""
    return get_meta(db, "backup_auto", "0") == "1", int(get_meta(db, "backup_keep", str(DEFAULT_KEEP)))


def set_auto_settings(db: Database, actor: Actor, enabled: bool, keep: int) -> None:
    """Turn automatic daily backups on or off and set how many are kept (1–365), audited.
    Raises PermissionDenied, ValidationError."""
    require_database_admin(db, actor)
    if not 1 <= keep <= 365:
        raise invalid("保留份数应在 1 到 365 之间。", "keep")
    with db.atomic():
        set_meta(db, actor, "backup_auto", "1" if enabled else "0")
        set_meta(db, actor, "backup_keep", str(keep))


def backup_if_due(db: Database, actor: Actor, now: dt.datetime | None = None) -> Path | None:
    """Write the automatic backup when it is on and the newest backup is a day old or more (keeping
    the newest N); return its path, or None when none was due. Raises what make_backup raises."""
    enabled, keep = auto_settings(db)
    if not enabled:
        return None
    now = now or dt.datetime.now()
    newest = list_backups(database_path(db))[:1]
    if newest and now - dt.datetime.fromtimestamp(newest[0].stat().st_mtime) < DAY:
        return None
    return make_backup(db, actor, keep=keep)

