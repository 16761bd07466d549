"""The tamper-evident record seen from the services: signing the chain's head when a session ends,
and checking the whole record (`schoolq audit verify`).

An administrator's session signs with the database's key. Another account (a teacher, 教务) cannot
open that key — its passphrase is the administrator's, and holding it would let anyone sign packages
as the school — so its session signs with the account's own key (`audit_signer`): made at its first
signed session and kept encrypted under the account's passphrase (a new one after the passphrase
changed), its public key certified with the database's key at the next administrator's session.
`verify` checks every head with the key that signed it, and each certificate.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlite_utils import Database

from app.db import audit_chain
from app.db.writes import Actor, insert_row, update_row
from app.errors import NotFound, PermissionDenied, ValidationError
from app.services import keys
from app.services.permissions import require_database_admin

ADMINS = ("township_admin", "school_admin")


def chain_head(db: Database) -> dict | None:
    """Return the audit chain's head now (None for a database without the record): what a session
    notes when it starts, to tell at its end whether it changed anything."""
    return audit_chain.head(db) if audit_chain.recording(db) else None


def signer_message(username: str, public_raw: bytes) -> bytes:
    """Return the bytes the database's key signs to certify an account's head-signing key."""
    return f"schoolq-audit-signer|{username}|{base64.b64encode(public_raw).decode('ascii')}".encode("utf-8")


def _raw(key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
    return (key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
            key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _account_key(db: Database, actor: Actor, passphrase: str) -> tuple[Ed25519PrivateKey, str]:
    """Return (private key, fingerprint) of the account's own head-signing key, opened with its
    passphrase; made now when it has none or its key is under an older passphrase (then retired)."""
    for row in db.query("SELECT * FROM audit_signer WHERE username = ? AND private_encrypted IS NOT NULL",
                        [actor.username]):
        try:
            raw = keys.unwrap(row["private_encrypted"], passphrase, base64.b64decode(row["public_raw"]))
            return Ed25519PrivateKey.from_private_bytes(raw), row["fingerprint"]
        except ValueError:
            update_row(db, actor, "audit_signer", row["id"], {"private_encrypted": None})
    private = Ed25519PrivateKey.generate()
    raw, public_raw = _raw(private)
    fingerprint = keys.fingerprint(private.public_key())
    insert_row(db, actor, "audit_signer", {"username": actor.username, "fingerprint": fingerprint,
                                           "public_raw": base64.b64encode(public_raw).decode("ascii"),
                                           "private_encrypted": keys.wrap(raw, passphrase, public_raw)})
    return private, fingerprint


def _certify(db: Database, actor: Actor, school_key: Ed25519PrivateKey) -> None:
    for row in db.query("SELECT id, username, public_raw FROM audit_signer WHERE cert IS NULL"):
        cert = school_key.sign(signer_message(row["username"], base64.b64decode(row["public_raw"])))
        update_row(db, actor, "audit_signer", row["id"], {"cert": base64.b64encode(cert).decode("ascii")})


def sign_session_end(db: Database, actor: Actor, passphrase: str, started: dict | None = None) -> bool:
    """Sign the audit chain's head as a session ends: an administrator's with the database's key
    (certifying the accounts' keys made since), anyone else's with the account's own key (see the
    module docstring); both opened with `passphrase`, the session's own. Returns False, signing
    nothing, when the session changed nothing (the head is still `started`, see chain_head), the
    database has no key or the passphrase does not open it. Raises PermissionDenied when an
    administrator's role does not administer this database, or the account is not this database's.
    """
    if actor.role in ADMINS:
        require_database_admin(db, actor)
    elif not db.execute("SELECT 1 FROM app_user WHERE username = ? AND id = ? AND active = 1",
                        [actor.username, actor.user_id]).fetchone():
        raise PermissionDenied("只有本数据库的账号可以签名自己的会话。")
    if not audit_chain.recording(db) or (started is not None and audit_chain.head(db) == started):
        return False
    if actor.role in ADMINS:
        try:
            private = keys.unlock(db, passphrase)
            fingerprint = keys.own_key(db)["fingerprint"]
        except (ValidationError, NotFound):
            return False
        with db.atomic():
            _certify(db, actor, private)
    else:
        with db.atomic():
            private, fingerprint = _account_key(db, actor, passphrase)
    audit_chain.sign_head(db, private, fingerprint)
    return True


def _signers(db: Database, school: Ed25519PublicKey) -> tuple[dict[str, Ed25519PublicKey], list[dict]]:
    """Return the accounts' head-signing keys whose certificate holds (or that no administrator's
    session has certified yet) by fingerprint, and a finding for each whose certificate fails."""
    found, bad = {}, []
    for row in db.query("SELECT username, fingerprint, public_raw, cert, created_at FROM audit_signer"):
        public_raw = base64.b64decode(row["public_raw"])
        if row["cert"]:
            try:
                school.verify(base64.b64decode(row["cert"]), signer_message(row["username"], public_raw))
            except (InvalidSignature, ValueError):
                bad.append({"kind": "head", "at": row["created_at"], "changes": [],
                            "message": f"账号“{row['username']}”的审计签名密钥与管理员确认的不符(被改动),"
                                       "它签名的记录头不予承认。"})
                continue
        found[row["fingerprint"]] = Ed25519PublicKey.from_public_bytes(public_raw)
    return found, bad


def _public_key(db: Database):
    return serialization.load_pem_public_key(keys.own_key(db)["public_pem"].encode("ascii"))


def verify(db: Database) -> list[dict]:
    """Return the findings of audit_chain.verify as dicts, each change described in words
    (`text`): table, row, what it was and what it became, when. Empty: the record is whole and
    nothing was changed outside the program. Raises NotFound when the database has no key."""
    if not audit_chain.recording(db):
        return [{"kind": "none", "message": "这个数据库还没有审计记录:用本版程序以可写方式打开一次(如登录或导入)后,"
                                            "数据库开始自己记录每一处修改。", "at": None, "changes": []}]
    school = _public_key(db)
    signers, bad = _signers(db, school) if db.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'audit_signer'").fetchone() else ({}, [])
    findings = audit_chain.verify(db, school, signers)
    columns = {}
    for finding in findings:
        for change in finding.changes:
            table = change["table"]
            if table not in columns and change.get("op") != "T":
                columns[table] = audit_chain.table_columns(db, table)
            change["text"] = describe(change, columns.get(table, []))
    return bad + [f.to_dict() for f in findings]


@dataclass(frozen=True)
class AuditCheck:
    """The audit record checked: how many changes it holds and what `verify` found (none: whole)."""

    entries: int
    findings: list[dict]

    @property
    def ok(self) -> bool:
        """Return whether the record is whole and nothing was changed outside the program."""
        return not self.findings

    def to_dict(self) -> dict:
        """Return the check as plain data (for --json): ok, entries and the findings."""
        return {"ok": self.ok, "entries": self.entries, "findings": self.findings}


def check(db: Database) -> AuditCheck:
    """Return the audit record checked (`verify`) with the number of changes it holds.
    Raises NotFound when the database has no key."""
    findings = verify(db)
    return AuditCheck(db.execute("SELECT COUNT(*) FROM change_log").fetchone()[0], findings)


def describe(change: dict, columns: list[str]) -> str:
    """Return one change in words: “表 mark 行 … 修改:score 88 → 100(2026-11-16T08:00:01Z)”."""
    old, new = change.get("old", change.get("recorded")), change.get("new", change.get("now"))
    op = audit_chain.OP_NAMES.get(change.get("op", "X"), "改动")
    if change.get("op") == "T":
        return f"触发器 {change['row']}:{op}({change['at']})"
    if old and new:
        parts = [f"{c} {a!r} → {b!r}" for c, a, b in zip(columns, old, new) if a != b]
    else:
        parts = [", ".join(f"{c}={v!r}" for c, v in zip(columns, old or new or []) if v is not None)]
    when = f"({change['at']})" if change.get("at") else ""
    return f"表 {change['table']} 行 {change['row']} {op}:{';'.join(parts) or '(内容相同)'}{when}"
