"""Local users and their passphrases. Roles: township_admin, school_admin, academic (教务), teacher."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

from sqlite_utils import Database

from app.db.writes import ROLES, Actor, insert_row
from app.errors import NotFound, PermissionDenied, invalid

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_passphrase(passphrase: str) -> str:
    """Return a salted scrypt hash of `passphrase` as text (scrypt$salt$hash, base64)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_passphrase(stored: str | None, passphrase: str) -> bool:
    """Return True when `passphrase` matches the stored hash."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_b64, digest_b64 = stored.split("$")
    digest = hashlib.scrypt(passphrase.encode("utf-8"), salt=base64.b64decode(salt_b64), dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def create_user(db: Database, actor: Actor, *, username: str, display_name: str, role: str,
                school_id: str | None = None, teacher_id: str | None = None,
                passphrase: str | None = None) -> str:
    """Create a local user and return its id.

    A township administrator may create any account; a school administrator only accounts of their
    own school below administrator (教务, 教师). Raises ValidationError for a bad name or role and
    PermissionDenied otherwise.
    """
    if actor.role != "township_admin" and not (
            actor.role == "school_admin" and school_id == actor.school_id and role in ("academic", "teacher")):
        raise PermissionDenied("只有乡镇管理员,或本校管理员为本校教务和教师,才能新建账号。")
    username = username.strip()
    if not username:
        raise invalid("用户名不能为空。", "username")
    if role not in ROLES:
        raise invalid(f"未知的角色“{role}”。", "role")
    if role != "township_admin" and not school_id:
        raise invalid("学校账号必须属于一所学校。", "school_id")
    if role == "teacher" and not teacher_id:
        raise invalid("教师账号必须对应一名教师。", "teacher_id")
    if db.execute("SELECT 1 FROM app_user WHERE username = ?", [username]).fetchone():
        raise invalid(f"用户名“{username}”已存在。", "username")
    with db.atomic():
        return insert_row(db, actor, "app_user", {
            "username": username, "display_name": display_name or username, "role": role,
            "school_id": school_id, "teacher_id": teacher_id,
            "passphrase_hash": hash_passphrase(passphrase) if passphrase else None, "active": 1,
        })


def actor_for(db: Database, username: str | None = None) -> Actor:
    """Return the Actor of `username`, or of the database's first administrator when None.

    Raises NotFound when there is no such active user.
    """
    if username:
        rows = list(db.query("SELECT * FROM app_user WHERE username = ? AND active = 1", [username]))
    else:
        rows = list(db.query(
            "SELECT * FROM app_user WHERE active = 1 AND role IN ('township_admin', 'school_admin')"
            " ORDER BY CASE role WHEN 'township_admin' THEN 0 ELSE 1 END, created_at, username LIMIT 1"))
    if not rows:
        raise NotFound(f"找不到用户“{username}”。" if username else "数据库中没有管理员账号。")
    row = rows[0]
    return Actor(username=row["username"], role=row["role"], user_id=row["id"], school_id=row["school_id"],
                 teacher_id=row["teacher_id"], display_name=row["display_name"])


def verify_user(db: Database, username: str, passphrase: str) -> Actor:
    """Return the Actor when the passphrase is right. Raises ValidationError otherwise."""
    rows = list(db.query("SELECT passphrase_hash FROM app_user WHERE username = ? AND active = 1", [username]))
    if not rows or not check_passphrase(rows[0]["passphrase_hash"], passphrase):
        raise invalid("用户名或口令不正确。")
    return actor_for(db, username)


def list_users(db: Database) -> list[dict]:
    """Return every user (without passphrase hashes), administrators first."""
    return [dict(r) for r in db.query(
        "SELECT id, username, display_name, role, school_id, teacher_id, active FROM app_user"
        " ORDER BY role, username")]


