"""What went wrong with the disk, the stick or the database file, said in words a clerk can act on.

SQLite and the operating system report a full disk, a write-protected stick and a file another
program holds in a dozen ways (SQLITE_FULL, ENOSPC, SQLITE_READONLY, EROFS, SQLITE_BUSY, a Windows
sharing violation …). `explain` turns each into one of three errors with a Chinese sentence, so
no command says "程序内部错误" or "不是本程序的数据库文件" when the disk is full.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from app.errors import SchoolQError


class DiskFull(SchoolQError):
    """The disk (or stick) has no room left; nothing was changed."""


class ReadOnlyMedia(SchoolQError):
    """The file or folder cannot be written: a write-protected stick, a read-only folder or file."""


class DatabaseBusy(SchoolQError):
    """Another program holds the database (its write lock, or the file itself)."""


FULL = "磁盘已满:{where}没有剩余空间,操作未完成,数据库没有改动。请删除不需要的文件(或换一个有空间的位置)后重试。"
READ_ONLY = ("只读:{where}不能写入(U 盘写保护、文件夹或文件为只读,或没有写入权限),操作未完成。"
             "请把文件复制到本地磁盘,或取消写保护后重试。")
BUSY = ("数据库正被另一个程序使用(例如打开着的 SchoolQ 窗口正在保存,或另一条命令正在导入),"
        "等待后仍未释放,操作未完成,没有写入任何数据。请稍后重试。")
LOCKED_FILE = "被占用:{where}正被另一个程序打开(如 WPS、Excel 或杀毒软件),操作未完成。请关闭它后重试。"

_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 5, 6, 8, 10, 13, 14
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_WINDOWS_SHARING = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


def _where(path: str | Path | None) -> str:
    return f"“{path}”" if path else "磁盘"


def read_only_place(path: str | Path) -> bool:
    """Return True when `path` (a file, or the folder a new file would go into) cannot be written:
    a read-only file system, or no write permission for this user."""
    path = Path(path)
    target = path if path.exists() else path.parent
    try:
        if hasattr(os, "statvfs") and os.statvfs(target).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(target, os.W_OK) or (path.is_file() and not os.access(path.parent, os.W_OK))


def disk_full(path: str | Path) -> bool:
    """Return True when the file system holding `path` has (next to) no room left."""
    path = Path(path)
    target = path if path.exists() else path.parent
    try:
        if hasattr(os, "statvfs"):
            stat = os.statvfs(target)
            return stat.f_bavail * stat.f_frsize < 64 * 1024
    except OSError:
        return False
    return False


def explain(exc: BaseException, path: str | Path | None = None) -> SchoolQError | None:
    """Return DiskFull, ReadOnlyMedia or DatabaseBusy (with a Chinese sentence naming the file an OS
    error names, else `path`) for an sqlite3 or OS error that means one of them, or None for any
    other error."""
    if isinstance(exc, (DiskFull, ReadOnlyMedia, DatabaseBusy)):
        return exc
    where = _where(path)
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        text = str(exc).lower()
        if code == _SQLITE_FULL or "disk is full" in text:
            return DiskFull(FULL.format(where=where))
        if code == _SQLITE_READONLY or "readonly" in text:
            return ReadOnlyMedia(READ_ONLY.format(where=where))
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
            return DatabaseBusy(BUSY)
        if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN) or "disk i/o error" in text or "unable to open" in text:
            return _from_place(path)
        return None
    if isinstance(exc, OSError):
        where = _where(exc.filename or path)
        if exc.errno in _FULL_ERRNOS:
            return DiskFull(FULL.format(where=where))
        if getattr(exc, "winerror", None) in _WINDOWS_SHARING or exc.errno == errno.EBUSY:
            return DatabaseBusy(LOCKED_FILE.format(where=where))
        if exc.errno in _READ_ONLY_ERRNOS:
            return ReadOnlyMedia(READ_ONLY.format(where=where))
    return None


def _from_place(path: str | Path | None) -> SchoolQError | None:
    """An I/O error or a file SQLite could not open: say why, when the place tells."""
    if path is None:
        return None
    if read_only_place(path):
        return ReadOnlyMedia(READ_ONLY.format(where=_where(path)))
    if disk_full(path):
        return DiskFull(FULL.format(where=_where(path)))
    return None
