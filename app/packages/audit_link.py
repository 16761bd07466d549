"""The audit chain travels with every data package: the sender's signed manifest holds the chain's
head and the batches since its previous export (app.db.audit_chain), and the township checks that
the chain continues from the head of the last package it accepted from that sender.

A break is flagged on the import (the package is still accepted, the result and the import log say
why): batches made outside the program, a chain that does not add up to the head the manifest
signs, or a chain that does not continue from the previous package (the sender's record was
rewritten, or its database restored from a backup)."""
from __future__ import annotations

import json

from sqlite_utils import Database

from app.db import audit_chain
from app.db.writes import Actor
from app.services.schools import get_meta, set_meta

# Batches a manifest carries at most (each ~90 bytes of JSON; the manifest may hold 256 KB).
MAX_BATCHES = 2000
_META = "audit_exported"


def manifest_audit(db: Database) -> dict:
    """Return the manifest's `audit` part: {"from": the head at the previous export, "to": the
    head now, "batches": the batches between (audit_chain.segment rows)}. When more than
    MAX_BATCHES lie between, only the newest are sent and `from` is the head just before them."""
    if not audit_chain.recording(db):
        return {}
    audit_chain.seal_pending(db)
    start = json.loads(get_meta(db, _META) or "null") or {"seq": 0, "hash": audit_chain.GENESIS}
    current = audit_chain.head(db)
    if start["seq"] > current["seq"]:  # a database restored from an older backup: start over
        start = {"seq": 0, "hash": audit_chain.GENESIS}
    batches = audit_chain.segment(db, start["seq"])
    if len(batches) > MAX_BATCHES:
        batches = batches[-MAX_BATCHES:]
        seq = batches[0][0] - 1
        start = {"seq": seq, "hash": db.execute("SELECT hash FROM audit_chain WHERE seq = ?", [seq]).fetchone()[0]}
    return {"from": start, "to": current, "batches": batches}


def remember_export(db: Database, actor: Actor, audit: dict) -> None:
    """Note the head a written package carried, so the next package's chain starts there."""
    if audit:
        set_meta(db, actor, _META, json.dumps(audit["to"], sort_keys=True))


def check_link(previous: dict | None, audit: dict | None) -> list[str]:
    """Return the flags (Chinese sentences) for a package's `audit` part, given the head of the
    last package accepted from its sender (`previous`, None when this is the first)."""
    if not audit:
        return ["数据包没有附带审计记录(发送方的程序版本较旧),无法核对是否有程序之外的修改。"]
    flags = []
    batches = audit.get("batches") or []
    current, passed = audit["from"]["hash"], {audit["from"]["seq"]: audit["from"]["hash"]}
    expected = audit["from"]["seq"] + 1
    for seq, first, last, origin, digest in batches:
        if seq != expected:
            break
        current = audit_chain.batch_hash(current, seq, first, last, origin, digest)
        passed[seq] = current
        expected += 1
    if current != audit["to"]["hash"] or expected - 1 != audit["to"]["seq"]:
        flags.append("数据包中的审计记录与它签名的记录头对不上:发送方的修改记录被改动过。")
    outside = [b[0] for b in batches if b[3] == "outside"]
    if outside:
        flags.append(f"发送方数据库有 {len(outside)} 批修改不是用本程序做的(审计记录第 "
                     f"{'、'.join(str(s) for s in outside[:10])}{' 等' if len(outside) > 10 else ''} 批):"
                     "请向发送方核实,可在发送方运行 schoolq audit verify 查看改了什么。")
    if previous and passed.get(previous["seq"]) != previous["hash"]:
        if audit["from"]["seq"] > previous["seq"]:
            flags.append("上次导入之后发送方还导出过数据包(本乡镇没有导入),审计记录无法与上一个数据包衔接核对。")
        else:
            flags.append("审计记录没有接着上一个数据包:发送方数据库的修改记录被重写,或数据库从备份恢复过。")
    return flags


def last_head(db: Database, level: str, code: str) -> dict | None:
    """Return the audit head of the last package accepted from this sender (None when none carried one)."""
    row = db.execute("SELECT changes FROM package_import WHERE kind = 'data' AND sender_level = ? AND sender_code = ?"
                     " ORDER BY sequence DESC LIMIT 1", [level, code]).fetchone()
    return (json.loads(row[0]).get("audit") or {}).get("to") if row and row[0] else None
