"""The tamper-evident record seen from the services: signing the chain's head when an
administrator's session ends, and checking the whole record (`schoolq audit verify`)."""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from sqlite_utils import Database

from app.db import audit_chain
from app.db.writes import Actor
from app.errors import NotFound, ValidationError
from app.services import keys
from app.services.permissions import require_database_admin


def chain_head(db: Database) -> dict | None:
    """Return the audit chain's head now (None for a database without the record): what a session
    notes when it starts, to tell at its end whether it changed anything."""
    return audit_chain.head(db) if audit_chain.recording(db) else None


def sign_session_end(db: Database, actor: Actor, passphrase: str, started: dict | None = None) -> bool:
    """Sign the audit chain's head with the database's key (opened with `passphrase`) as an
    administrator's session ends. Returns False, signing nothing, when the session changed nothing
    (the head is still `started`, see chain_head), the database has no key or the passphrase does
    not open it. Raises PermissionDenied unless the actor administers the database."""
    require_database_admin(db, actor)
    if not audit_chain.recording(db) or (started is not None and audit_chain.head(db) == started):
        return False
    try:
        private = keys.unlock(db, passphrase)
        fingerprint = keys.own_key(db)["fingerprint"]
    except (ValidationError, NotFound):
        return False
    audit_chain.sign_head(db, private, fingerprint)
    return True


def _public_key(db: Database):
    return serialization.load_pem_public_key(keys.own_key(db)["public_pem"].encode("ascii"))


def verify(db: Database) -> list[dict]:
    """Return the findings of audit_chain.verify as dicts, each change described in words
    (`text`): table, row, what it was and what it became, when. Empty: the record is whole and
    nothing was changed outside the program. Raises NotFound when the database has no key."""
    if not audit_chain.recording(db):
        return [{"kind": "none", "message": "这个数据库还没有审计记录:用本版程序以可写方式打开一次(如登录或导入)后,"
                                            "数据库开始自己记录每一处修改。", "at": None, "changes": []}]
    findings = audit_chain.verify(db, _public_key(db))
    columns = {}
    for finding in findings:
        for change in finding.changes:
            table = change["table"]
            if table not in columns and change.get("op") != "T":
                columns[table] = audit_chain.table_columns(db, table)
            change["text"] = describe(change, columns.get(table, []))
    return [f.to_dict() for f in findings]


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
