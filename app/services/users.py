"""Local users and their passphrases. Roles: township_admin, school_admin, academic (教务), teacher."""
from __future__ import annotations

import base64
import hashlib
import hmac
import datetime as dt
import os

from sqlite_utils import Database

from app.db.writes import ROLES, SYSTEM, Actor, insert_row, update_row
from app.errors import NotFound, PermissionDenied, invalid
from app.services import keys
from app.services.passphrases import check_new_passphrase

# The same memory-hard cost as the signing key (app.services.keys.KDF): the log-in hash must not
# be a cheaper way to guess the passphrase than the key is.
_SCRYPT = keys.KDF


def hash_passphrase(passphrase: str) -> str:
    """Return a salted scrypt hash of `passphrase` as text (scrypt$n$r$p$salt$hash, base64)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, dklen=32, maxmem=2**28, **_SCRYPT)
    return "$".join(["scrypt", str(_SCRYPT["n"]), str(_SCRYPT["r"]), str(_SCRYPT["p"]),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def _outdated(stored: str | None) -> bool:
    """Return True for a hash written with weaker settings than hash_passphrase uses today."""
    return bool(stored) and stored.count("$") != 5 or (stored or "").split("$")[1] != str(_SCRYPT["n"])


def check_passphrase(stored: str | None, passphrase: str) -> bool:
    """Return True when `passphrase` matches the stored hash (today's form or the earlier
    scrypt$salt$hash with n = 16,384)."""
    if not stored or not stored.startswith("scrypt$"):
        return False
    parts = stored.split("$")
    n, r, p = (int(x) for x in parts[1:4]) if len(parts) == 6 else (2**14, 8, 1)
    salt_b64, digest_b64 = parts[-2:]
    digest = hashlib.scrypt(passphrase.encode("utf-8"), salt=base64.b64decode(salt_b64), dklen=32, n=n, r=r, p=p,
                            maxmem=2**28)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def create_user(db: Database, actor: Actor, *, username: str, display_name: str, role: str,
                school_id: str | None = None, teacher_id: str | None = None,
                passphrase: str | None = None, weak_passphrase_ok: bool = False) -> str:
    """Create a local user and return its id.

    A township administrator may create any account; a school administrator only accounts of their
    own school below administrator (教务, 教师). The passphrase, when given, must pass
    check_new_passphrase unless `weak_passphrase_ok` (the demo generator's documented accounts).
    Raises ValidationError for a bad name, role or passphrase and PermissionDenied otherwise.
    """
    _require_account_admin(actor, {"role": role, "school_id": school_id}, "新建账号")
    username = username.strip()
    if not username:
        raise invalid("用户名不能为空。", "username")
    if role not in ROLES:
        raise invalid(f"未知的角色“{role}”。", "role")
    if role != "township_admin" and not school_id:
        raise invalid("学校账号必须属于一所学校。", "school_id")
    if role == "teacher" and not teacher_id:
        raise invalid("教师账号必须对应一名教师。", "teacher_id")
    if passphrase and not weak_passphrase_ok:
        check_new_passphrase(passphrase)
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


# After this many failed log-ins in a row each further try waits, 1 s doubling up to _MAX_WAIT.
_FREE_TRIES = 3
_MAX_WAIT = 300


def login_wait(failed: int, last_failed_at: str | None, at: dt.datetime | None = None) -> int:
    """Return how many seconds an account with `failed` failed log-ins in a row, the last at
    `last_failed_at` (ISO text), must still wait before the next try (0: it may try now)."""
    if failed < _FREE_TRIES or not last_failed_at:
        return 0
    wait = min(_MAX_WAIT, 2 ** (failed - _FREE_TRIES))
    at = at or dt.datetime.now(dt.timezone.utc)
    passed = (at - dt.datetime.fromisoformat(last_failed_at)).total_seconds()
    return max(0, int(wait - passed + 0.999))


def login(db: Database, username: str, passphrase: str) -> Actor:
    """Return the Actor of `username` when `passphrase` is right and the account may log in.

    Every failed try is counted (and audited); after three in a row the next try must wait 1 s,
    then 2, 4 … up to 5 minutes, and a try made too early is refused without checking the
    passphrase. A right passphrase resets the count and brings the signing key's encryption up to
    date (see keys.upgrade_key), as well as the log-in hash's. Raises ValidationError (wrong name or passphrase, too early,
    locked or disabled account), with a Chinese message.
    """
    rows = list(db.query("SELECT * FROM app_user WHERE username = ?", [username.strip()]))
    row = rows[0] if rows else None
    if row is None:
        raise invalid("用户名或口令不正确。")
    wait = login_wait(row["failed_logins"], row["last_failed_at"])
    if wait:
        raise invalid(f"口令已连续输错 {row['failed_logins']} 次,请 {wait} 秒后再试。")
    if not check_passphrase(row["passphrase_hash"], passphrase):
        with db.atomic():
            # To the microsecond: at now()'s whole seconds the 1-second wait after the third wrong
            # try could be anything down to none.
            update_row(db, SYSTEM, "app_user", row["id"], {
                "failed_logins": row["failed_logins"] + 1,
                "last_failed_at": dt.datetime.now(dt.timezone.utc).isoformat()})
        raise invalid("用户名或口令不正确。")
    if row["locked"]:
        raise invalid(f"账号“{username}”已被管理员锁定,请联系管理员解锁。")
    if not row["active"]:
        raise invalid(f"账号“{username}”已停用,请联系管理员。")
    actor = actor_for(db, username)
    changes: dict[str, object] = {"failed_logins": 0, "last_failed_at": None} if row["failed_logins"] else {}
    if _outdated(row["passphrase_hash"]):
        changes["passphrase_hash"] = hash_passphrase(passphrase)
    with db.atomic():
        if changes:
            update_row(db, SYSTEM, "app_user", row["id"], changes)
        if actor.role in ("township_admin", "school_admin"):
            keys.upgrade_key(db, actor, passphrase)
    return actor


def _require_account_admin(actor: Actor, target: dict, what: str) -> None:
    """Raise PermissionDenied unless `actor` administers the account `target` (a township
    administrator any account; a school administrator the 教务 and 教师 accounts of their school)."""
    if actor.role == "township_admin":
        return
    if actor.role == "school_admin" and target["school_id"] == actor.school_id \
            and target["role"] in ("academic", "teacher"):
        return
    raise PermissionDenied(f"只有乡镇管理员,或本校管理员对本校教务和教师账号,才能{what}。")


def _account(db: Database, username: str) -> dict:
    rows = list(db.query("SELECT * FROM app_user WHERE username = ?", [username]))
    if not rows:
        raise NotFound(f"找不到账号“{username}”。")
    return dict(rows[0])


def change_own_passphrase(db: Database, actor: Actor, old: str, new: str) -> None:
    """Change the acting account's own passphrase from `old` to `new` (checked by
    check_new_passphrase). When `old` unlocks the database's signing key (the administrator's
    passphrase), the key is re-encrypted under `new` in the same transaction.

    Raises ValidationError (old passphrase wrong, new one too weak), NotFound.
    """
    row = _account(db, actor.username)
    if not check_passphrase(row["passphrase_hash"], old):
        raise invalid("原口令不正确。", "old")
    check_new_passphrase(new, "new")
    with db.atomic():
        update_row(db, actor, "app_user", row["id"], {"passphrase_hash": hash_passphrase(new),
                                                      "failed_logins": 0, "last_failed_at": None})
        if actor.role in ("township_admin", "school_admin"):  # only theirs opens the signing key
            keys.change_key_passphrase(db, actor, old, new)


def reset_passphrase(db: Database, actor: Actor, username: str, new: str) -> None:
    """Set another account's passphrase to `new` (a forgotten one), clear its failed log-ins and
    unlock it. Only the account's administrator may (see create_user). The signing key is not
    touched: it stays under the administrator's own passphrase (see keys.recover_key).

    Raises PermissionDenied, ValidationError (weak passphrase), NotFound.
    """
    row = _account(db, username)
    _require_account_admin(actor, row, "重设口令")
    if row["id"] == actor.user_id:
        raise invalid("不能重设自己的口令,请用“修改口令”。")
    check_new_passphrase(new, "new")
    with db.atomic():
        update_row(db, actor, "app_user", row["id"], {"passphrase_hash": hash_passphrase(new),
                                                      "failed_logins": 0, "last_failed_at": None, "locked": 0})


def recover_account(db: Database, username: str, code: str, new: str) -> Actor:
    """The forgotten administrator passphrase: with the recovery code printed at set-up, set the
    account `username` (an administrator) to `new` and put the signing key under it, in one
    transaction; returns the account's Actor. Raises ValidationError (wrong code, weak passphrase,
    not an administrator), NotFound."""
    row = _account(db, username)
    if row["role"] not in ("township_admin", "school_admin"):
        raise invalid("恢复码只能用于管理员账号;教师和教务的口令请让本校管理员重设。")
    check_new_passphrase(new, "new")
    actor = actor_for(db, username) if row["active"] else Actor(username=row["username"], role=row["role"],
                                                                 user_id=row["id"], school_id=row["school_id"])
    with db.atomic():
        keys.recover_key(db, actor, code, new)
        update_row(db, actor, "app_user", row["id"], {"passphrase_hash": hash_passphrase(new), "failed_logins": 0,
                                                      "last_failed_at": None, "locked": 0, "active": 1})
    return actor_for(db, username)


def set_locked(db: Database, actor: Actor, username: str, locked: bool) -> bool:
    """Lock (no log-in until unlocked) or unlock an account; unlocking also clears its failed
    log-ins. Returns True when something changed. Only the account's administrator may, and not
    for their own account. Raises PermissionDenied, NotFound, ValidationError.
    """
    row = _account(db, username)
    _require_account_admin(actor, row, "锁定或解锁账号")
    if row["id"] == actor.user_id:
        raise invalid("不能锁定或解锁自己的账号。")
    changes = {"locked": int(locked)} if locked else {"locked": 0, "failed_logins": 0, "last_failed_at": None}
    with db.atomic():
        return bool(update_row(db, actor, "app_user", row["id"], changes))


def set_active(db: Database, actor: Actor, username: str, active: bool) -> bool:
    """Disable (an account no longer used, e.g. a teacher who left) or re-enable an account.
    Returns True when something changed. Raises PermissionDenied, NotFound, ValidationError."""
    row = _account(db, username)
    _require_account_admin(actor, row, "停用或启用账号")
    if row["id"] == actor.user_id:
        raise invalid("不能停用自己的账号。")
    with db.atomic():
        return bool(update_row(db, actor, "app_user", row["id"], {"active": int(active)}))


def list_users(db: Database) -> list[dict]:
    """Return every user (without passphrase hashes), administrators first."""
    return [dict(r) for r in db.query(
        "SELECT id, username, display_name, role, school_id, teacher_id, active, locked, failed_logins"
        " FROM app_user"
        " ORDER BY role, username")]


