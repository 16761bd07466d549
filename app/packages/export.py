"""Exporting a signed package to a folder or USB stick, so that a half-written file never looks complete.

The sequence number is reserved (committed) first, so it is never used twice. The zip is written
to NAME.tmp in the destination, flushed and fsynced, renamed to NAME.zip, the folder fsynced, and
then read back from the destination and verified like the township will; only then is the export
recorded as written. A stick pulled out at any moment leaves at most a .tmp file, or a .zip that
fails verification (and is deleted when the program is still running to see it).
"""
from __future__ import annotations

import contextlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlite_utils import Database

from app import __version__
from app.db.copies import fsync_folder
from app.db.database import schema_version
from app.db.media import explain
from app.db.writes import Actor, insert_row, now, update_row
from app.errors import SchoolQError, invalid
from app.packages import datasheet, snapshot
from app.packages.audit_link import manifest_audit, remember_export
from app.packages.format import (DATA_MEMBER, FORMAT_NAME, FORMAT_VERSION, KEY_MEMBER, MANIFEST, SIGNATURE,
                                 PackageRefused, encode_manifest, package_file_name, sha256_hex)
from app.packages.signing import own_key, public_key_from_pem, sign, unlock_private_key
from app.packages.verify import check_signature, open_package
from app.presets import presets_used
from app.progress import Progress, no_progress
from app.services.permissions import require_database_admin, require_school_admin, require_township_admin



class ExportFailed(SchoolQError):
    """Writing or verifying the package at the destination failed; no complete-looking file was left."""


@dataclass
class ExportResult:
    """A package written and verified at its destination."""

    path: Path
    file_name: str
    sequence: int
    term_code: str
    size: int
    sha256: str
    fingerprint: str
    counts: dict

    def to_dict(self) -> dict:
        """Return the result as plain data (for --json): path, file, sequence, term, size,
        sha256, fingerprint and the counts of what the package holds."""
        return {"path": str(self.path), "file": self.file_name, "sequence": self.sequence, "term": self.term_code,
                "size": self.size, "sha256": self.sha256, "fingerprint": self.fingerprint, "counts": self.counts}


def local_scoring_presets(db: Database) -> list[dict]:
    """Return id, name, kind, version, content hash and origin (the township that sent it, or None)
    of the named preset copies held in this database (app.preset_store)."""
    return [dict(r) for r in db.query("SELECT id, name, kind, version, content_hash, origin FROM scoring_preset"
                                      " ORDER BY name")]


def next_sequence(db: Database, kind: str = "data") -> int:
    """Return the sequence number the next export of `kind` will get."""
    return db.execute("SELECT COALESCE(MAX(sequence), 0) + 1 FROM package_export WHERE kind = ?",
                      [kind]).fetchone()[0]


def list_exports(db: Database) -> list[dict]:
    """Return every export this database made (newest first), reserved numbers included."""
    return [dict(r) for r in db.query("SELECT * FROM package_export ORDER BY kind, sequence DESC")]


def _reserve(db: Database, actor: Actor, kind: str, code: str, term_code: str) -> tuple[str, int, str]:
    with db.atomic():
        sequence = next_sequence(db, kind)
        file_name = package_file_name(code, term_code, sequence, kind)
        row_id = insert_row(db, actor, "package_export", {
            "kind": kind, "sequence": sequence, "term_code": term_code, "file_name": file_name,
            "status": "reserved", "username": actor.username})
    return row_id, sequence, file_name


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in (MANIFEST, SIGNATURE, *sorted(set(members) - {MANIFEST, SIGNATURE})):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[name])
    return buffer.getvalue()


def _write_temp(temp: Path, data: bytes) -> None:
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _publish(temp: Path, final: Path) -> None:
    os.replace(temp, final)
    fsync_folder(final.parent)


def write_verified(folder: Path, file_name: str, data: bytes, public_pem: str) -> Path:
    """Write `data` to folder/file_name through a temporary file, read it back and verify it.

    Returns the final path. Raises ExportFailed (the destination holds no complete-looking file
    then) or ValidationError when the file already exists.
    """
    final = folder / file_name
    temp = folder / (Path(file_name).stem + ".tmp")
    if final.exists():
        raise invalid(f"目标位置已有同名文件“{file_name}”,为防止覆盖,未写入。")
    try:
        _write_temp(temp, data)
        _publish(temp, final)
    except OSError as exc:
        with contextlib.suppress(OSError):  # a write-protected stick refuses the clean-up too
            temp.unlink(missing_ok=True)
        reason = explain(exc, folder)
        raise ExportFailed(f"{reason}未留下完整的数据包。" if reason else
                           f"写入“{folder}”失败({exc.strerror or exc}):U 盘可能已拔出、已满或写保护。"
                           "未留下完整的数据包,请检查后重新导出。") from exc
    try:
        check_signature(open_package(final), public_key_from_pem(public_pem))
        if final.read_bytes() != data:
            raise PackageRefused("hash_mismatch", "读回的文件与写入的内容不同。")
    except (PackageRefused, OSError) as exc:
        with contextlib.suppress(OSError):
            final.unlink(missing_ok=True)
        raise ExportFailed(f"写入后读回校验失败({exc}):U 盘可能有坏块或已拔出。已删除这个文件,请换一个 U 盘重新导出。") from exc
    return final


def check_folder(folder: str | Path) -> Path:
    """Return `folder` as a Path once a small file could be written there and removed (before a
    sequence number is reserved, so a write-protected or full stick costs none).

    Raises ValidationError when it is not an existing folder, ReadOnlyMedia or DiskFull when it
    cannot be written.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise invalid(f"导出位置“{folder}”不存在或不是文件夹(U 盘是否已插好?)。", "out")
    probe = folder / f".schoolq-probe-{os.getpid()}.tmp"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise explain(exc, folder) or ExportFailed(
            f"无法写入“{folder}”({exc.strerror or exc}),没有导出,也没有占用序号。") from exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return folder


def build_and_write(db: Database, actor: Actor, private_key: Ed25519PrivateKey, folder: str | Path, *, kind: str,
                    sender: dict, recipient: dict, term: dict, payload: bytes, extra: dict,
                    progress: Progress | None = None) -> ExportResult:
    """Sign and write a package of `kind` whose data member holds `payload`; return the ExportResult.

    Reserves the sequence number (committed, never reused), writes and verifies.
    Raises PermissionDenied unless the actor administers the database, ValidationError (folder
    missing, existing file), ReadOnlyMedia, DiskFull, ExportFailed.
    """
    require_database_admin(db, actor)
    report = progress or no_progress
    folder = check_folder(folder)
    key_row = own_key(db)
    public_pem = key_row["public_pem"]
    export_id, sequence, file_name = _reserve(db, actor, kind, sender["code"], term["code"])
    members = {DATA_MEMBER[kind]: payload, KEY_MEMBER[sender["level"]]: public_pem.encode("ascii")}
    manifest = {
        "format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kind": kind,
        "schema_version": schema_version(db), "program_version": __version__,
        "sender": sender, "recipient": recipient, "term": term, "sequence": sequence, "created_at": now(),
        "key_fingerprint": key_row["fingerprint"], "presets": presets_used(db),
        "local_scoring_presets": local_scoring_presets(db), **extra,
        "members": {name: {"size": len(data), "sha256": sha256_hex(data)} for name, data in sorted(members.items())},
    }
    manifest_bytes = encode_manifest(manifest)
    members[MANIFEST] = manifest_bytes
    members[SIGNATURE] = sign(private_key, manifest_bytes)
    data = _zip_bytes(members)
    report(0.7, f"写入 {file_name}")
    for stale in folder.glob(f"{sender['code']}_*.tmp"):
        with contextlib.suppress(OSError):  # left by an interrupted export; never a package
            stale.unlink()
    path = write_verified(folder, file_name, data, public_pem)
    report(0.95, "校验完成")
    with db.atomic():
        update_row(db, actor, "package_export", export_id, {
            "status": "written", "size": len(data), "manifest_sha256": sha256_hex(manifest_bytes),
            "key_fingerprint": key_row["fingerprint"]})
    return ExportResult(path=path, file_name=file_name, sequence=sequence, term_code=term["code"], size=len(data),
                        sha256=sha256_hex(data), fingerprint=key_row["fingerprint"],
                        counts=extra.get("counts", {}))


def export_package(db: Database, actor: Actor, passphrase: str, folder: str | Path, *, term_code: str | None = None,
                   progress: Progress | None = None) -> ExportResult:
    """Export this school's (or township's) data of one term (default: the current term) as a signed
    data package into `folder`; return the ExportResult once the written file verified.

    Raises ValidationError (wrong passphrase, unknown term, folder missing, file exists),
    PermissionDenied, NotFound (database without school or key), ExportFailed.
    """
    report = progress or no_progress
    scope = snapshot.sender_scope(db, term_code)
    if scope.level == "school":
        require_school_admin(actor, scope.school_ids[0])
    else:
        require_township_admin(actor)
    check_folder(folder)
    private_key = unlock_private_key(db, passphrase)
    report(0.05, "收集数据")
    rows = snapshot.collect(db, scope)
    counts = {sheet: len(items) for sheet, items in rows.items()}
    report(0.3, "生成 data.xlsx")
    sender = {"level": scope.level, "code": scope.code, "name": scope.name}
    if scope.school_type:
        sender["type"] = scope.school_type
    term = {"code": scope.term_code, "name": scope.term_name}
    notes = [("数据包", "教学质量管理数据包(由程序生成,请勿修改;改动后校验会失败,乡镇将拒收)"),
             ("发送单位", f"{scope.name}({scope.code})"), ("学期", f"{scope.term_name}({scope.term_code})"),
             ("序号", next_sequence(db)), ("导出时间", now()), ("程序版本", __version__),
             ("格式版本", FORMAT_VERSION)]
    payload = datasheet.write_workbook(rows, notes)
    audit = manifest_audit(db)
    result = build_and_write(db, actor, private_key, folder, kind="data", sender=sender, recipient=scope.recipient,
                             term=term, payload=payload, extra={"counts": counts, "audit": audit}, progress=report)
    with db.atomic():
        remember_export(db, actor, audit)
    return result
