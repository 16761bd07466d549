"""Opening a package file safely and checking it: zip structure, member names and sizes, hashes, signature.

Nothing in a package is unpacked to disk and nothing is read beyond the size limits of
app.packages.format, so a hostile file (zip slip names, a zip bomb, a truncated copy) is refused
before it can do harm. Whether the signer is trusted is the caller's question (registration).
"""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyrage import x25519

from app.packages.format import (KEY_MEMBER, MANIFEST, MAX_PACKAGE_BYTES, MEMBER_LIMITS, SIGNATURE,
                                 SIGNATURE_BYTES, Manifest, PackageRefused, member_names, parse_manifest,
                                 sha256_hex)
from app.packages.sealing import is_sealed, unseal
from app.packages.signing import fingerprint_of_pem, public_key_from_pem, signature_ok


@dataclass
class OpenedPackage:
    """A package read into memory: its manifest (bytes and parsed), signature and other members."""

    path: Path
    manifest: Manifest
    manifest_bytes: bytes
    signature: bytes
    members: dict[str, bytes]
    file_sha256: str
    sealed: bool = False

    @property
    def key_pem(self) -> bytes:
        """The public key member (school.pem or township.pem) as written by the sender."""
        return self.members[KEY_MEMBER[self.manifest.level]]

    @property
    def manifest_sha256(self) -> str:
        """The SHA-256 of the exact manifest bytes (how an import is recognised again)."""
        return sha256_hex(self.manifest_bytes)


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or "\\" in name or ":" in name or ".." in parts
            or any(ord(ch) < 32 for ch in name))


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    limit = MEMBER_LIMITS.get(info.filename, 0)
    if info.file_size > limit:
        raise PackageRefused("too_large", f"成员文件 {info.filename} 声明的大小 {info.file_size} 字节超过上限"
                                          f" {limit} 字节(疑似压缩炸弹),已拒绝。")
    with zf.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise PackageRefused("too_large", f"成员文件 {info.filename} 解压后超过上限 {limit} 字节,已拒绝。")
    return data


def open_package(path: str | Path, identity: x25519.Identity | None = None) -> OpenedPackage:
    """Return the package at `path` read into memory, every member's size and SHA-256 checked against
    the manifest; a package encrypted for the township (.zip.age) is first decrypted with `identity`
    (app.packages.sealing). The signature is not checked here (see `check_signature`).

    Raises PackageRefused with a Chinese reason: encrypted and no identity or not for this one, not
    a zip or truncated, unsafe member names, missing or extra members, members over the size
    limits, a bad manifest, a hash mismatch.
    """
    path = Path(path)
    try:
        size = os.path.getsize(path)
    except OSError:
        raise PackageRefused("unreadable", f"无法读取文件“{path.name}”。") from None
    if size > MAX_PACKAGE_BYTES:
        raise PackageRefused("too_large", f"文件“{path.name}”大小 {size} 字节,超过数据包上限,已拒绝。")
    raw = path.read_bytes()
    return read_package(path, unseal(raw, identity, path.name) if is_sealed(raw) else raw, sealed=is_sealed(raw))


def read_package(path: Path, raw: bytes, *, sealed: bool = False) -> OpenedPackage:
    """Return the package (zip bytes `raw`, named by `path`) with every member checked as by
    open_package. Raises PackageRefused."""
    try:
        return _open(path, raw, sealed)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError, OSError):
        raise PackageRefused("not_zip", f"文件“{path.name}”已损坏、不完整或不是数据包(zip)文件。"
                                        "请重新从学校复制一份。") from None


def _open(path: Path, raw: bytes, sealed: bool) -> OpenedPackage:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        bad = [n for n in names if _unsafe(n)]
        if bad:
            raise PackageRefused("unsafe_name", f"数据包含有不安全的文件名“{bad[0]}”(“..”或绝对路径),已拒绝。")
        if len(set(names)) != len(names):
            raise PackageRefused("extra_member", "数据包中有重名的成员文件,已拒绝。")
        by_name = {info.filename: info for info in infos}
        if MANIFEST not in by_name:
            raise PackageRefused("missing_member", "数据包缺少 manifest.json。")
        manifest_bytes = _read_member(zf, by_name[MANIFEST])
        manifest = parse_manifest(manifest_bytes)
        expected = member_names(manifest.kind, manifest.level)
        missing = sorted(expected - set(names))
        extra = sorted(set(names) - expected)
        if missing:
            raise PackageRefused("missing_member", f"数据包缺少成员文件:{'、'.join(missing)}。")
        if extra:
            raise PackageRefused("extra_member", f"数据包含有多余的文件:{'、'.join(extra)}。")
        listed = set(manifest.members)
        if listed != expected - {MANIFEST, SIGNATURE}:
            raise PackageRefused("bad_manifest", "manifest.json 列出的成员文件与数据包中的文件不一致。")
        signature = _read_member(zf, by_name[SIGNATURE])
        if len(signature) != SIGNATURE_BYTES:
            raise PackageRefused("bad_signature", "签名文件 manifest.sig 的长度不对(应为 64 字节)。")
        members = {}
        for name in sorted(listed):
            data = _read_member(zf, by_name[name])
            entry = manifest.members[name]
            if len(data) != entry["size"] or sha256_hex(data) != entry["sha256"]:
                raise PackageRefused("hash_mismatch", f"成员文件 {name} 的内容与 manifest.json 记录的校验值不符"
                                                      "(文件被改动或损坏),已拒绝。")
            members[name] = data
    return OpenedPackage(path=path, manifest=manifest, manifest_bytes=manifest_bytes, signature=signature,
                         members=members, file_sha256=sha256_hex(raw), sealed=sealed)


def check_signature(package: OpenedPackage, public_key: Ed25519PublicKey) -> None:
    """Return when `public_key` signed exactly the package's manifest bytes.

    Raises PackageRefused (bad_signature) otherwise.
    """
    if not signature_ok(public_key, package.signature, package.manifest_bytes):
        raise PackageRefused("bad_signature", "签名校验失败:manifest.json 不是由登记的密钥签名的,"
                                              "或在签名后被改动过。已拒绝。")


@dataclass(frozen=True)
class PackageCheck:
    """A package file that verified: its manifest, the fingerprint of the key it carries, and whether
    its signature was checked with a registered key (else with that carried key, which only shows the
    file is whole, not who made it)."""

    manifest: Manifest
    embedded_fingerprint: str
    registered: bool

    def to_dict(self) -> dict:
        """Return the check as plain data (for --json): sender, term, sequence, kind, when made, the
        signing key's fingerprint, the carried key's, which key checked it and the members."""
        m = self.manifest
        return {"ok": True, "sender": m.sender, "term": m.term_code, "sequence": m.sequence, "kind": m.kind,
                "created_at": m.created_at, "fingerprint": m.fingerprint,
                "embedded_key_fingerprint": self.embedded_fingerprint,
                "checked_with": "registered" if self.registered else "embedded", "members": m.members}


def check_file(path: str | Path, identity: x25519.Identity | None = None,
               registered_pem: bytes | None = None) -> PackageCheck:
    """Open the package at `path` (an encrypted one with `identity`) and check its signature with the
    registered key `registered_pem`, or without one with the key it carries; return the PackageCheck.

    Raises PackageRefused (structure, hashes, signature; an encrypted one without `identity`),
    ValidationError when `registered_pem` is not a public key.
    """
    package = open_package(path, identity)
    embedded = fingerprint_of_pem(package.key_pem)
    check_signature(package, public_key_from_pem(package.key_pem if registered_pem is None else registered_pem))
    return PackageCheck(package.manifest, embedded, registered_pem is not None)
