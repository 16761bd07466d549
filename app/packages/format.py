"""The package format: member names, size limits, the manifest and the file name. Version 1.

Changing anything here that an older program could not read means a new FORMAT_VERSION.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from app.errors import SchoolQError

FORMAT_NAME = "schoolq-package"
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
DATA_XLSX = "data.xlsx"
CONFIG_JSON = "config.json"
SIGNATURE_BYTES = 64

KINDS = ("data", "config")
LEVELS = ("school", "township")
# The data member of each kind of package, and the public key member of each sender level.
DATA_MEMBER = {"data": DATA_XLSX, "config": CONFIG_JSON}
KEY_MEMBER = {"school": "school.pem", "township": "township.pem"}

# Limits that keep a hostile or broken file from filling the memory or the disk (zip bombs).
MAX_PACKAGE_BYTES = 200 * 1024 * 1024
MEMBER_LIMITS = {
    MANIFEST: 256 * 1024,
    SIGNATURE: SIGNATURE_BYTES,
    "school.pem": 4096,
    "township.pem": 4096,
    DATA_XLSX: 150 * 1024 * 1024,
    CONFIG_JSON: 20 * 1024 * 1024,
}
# data.xlsx is itself a zip: the sum of its members' sizes once unpacked may not exceed this.
MAX_XLSX_UNPACKED = 600 * 1024 * 1024

FILE_NAME = re.compile(r"^(?P<code>[A-Z0-9]{2,20})_(?P<term>\d{4}-\d{4}-[12])_(?P<seq>\d{4,})(?P<config>_config)?"
                       r"\.zip(?P<sealed>\.age)?$")


class PackageRefused(SchoolQError):
    """A package was not accepted; str() is the Chinese reason, `code` a stable machine word."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def to_dict(self) -> dict:
        """Return the refusal as plain data (for --json): ok (False), code and reason."""
        return {"ok": False, "code": self.code, "reason": self.reason}


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of `data` as lower-case hex (what `sha256sum` prints)."""
    return hashlib.sha256(data).hexdigest()


def package_file_name(code: str, term_code: str, sequence: int, kind: str = "data", sealed: bool = False) -> str:
    """Return the ASCII file name of a package, e.g. S1234_2025-2026-1_0007.zip.

    Only letters, digits, '-', '_' and '.' are used, so the name is safe on FAT32 sticks and in
    every shell. Config packages end in _config.zip; a package encrypted for the township
    (`sealed`, app.packages.sealing) in .zip.age.
    """
    suffix = "_config" if kind == "config" else ""
    name = f"{code}_{term_code}_{sequence:04d}{suffix}.zip{'.age' if sealed else ''}"
    if not FILE_NAME.match(name):
        raise ValueError(name)
    return name


def member_names(kind: str, level: str) -> set[str]:
    """Return the exact set of member names a package of `kind` from a sender at `level` holds."""
    return {MANIFEST, SIGNATURE, DATA_MEMBER[kind], KEY_MEMBER[level]}


def encode_manifest(manifest: dict) -> bytes:
    """Return the manifest as the UTF-8 JSON bytes that get signed (sorted keys, indented)."""
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Manifest:
    """The facts of a package read from a manifest that passed `parse_manifest`."""

    raw: dict
    kind: str
    level: str
    sender_code: str
    sender_name: str
    term_code: str
    sequence: int
    created_at: str
    fingerprint: str
    members: dict

    @property
    def sender(self) -> dict:
        """The sender object of the manifest (level, code, name …)."""
        return self.raw["sender"]

    @property
    def recipient(self) -> dict:
        """The recipient object of the manifest ({} when absent)."""
        return self.raw.get("recipient") or {}

    def describe(self) -> str:
        """Return e.g. “青山镇中心小学(QSZ01)2026-2027-1 第 3 号数据包”."""
        what = "配置包" if self.kind == "config" else "数据包"
        return f"{self.sender_name}({self.sender_code})第 {self.sequence} 号{what}({self.term_code})"


def _bad(message: str) -> PackageRefused:
    return PackageRefused("bad_manifest", f"数据包说明文件 manifest.json 不符合格式:{message}")


def parse_manifest(data: bytes) -> Manifest:
    """Return the Manifest in the bytes of manifest.json.

    Raises PackageRefused (bad_manifest, or format_version when written by a newer program).
    """
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad("不是有效的 UTF-8 JSON。") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise _bad("缺少格式标记,不是本程序的数据包。")
    version = raw.get("format_version")
    if not isinstance(version, int):
        raise _bad("缺少格式版本号。")
    if version > FORMAT_VERSION:
        raise PackageRefused("format_version", f"数据包格式版本为 {version},本程序只能读取版本 {FORMAT_VERSION}"
                                               ":请先升级程序再导入。")
    if raw.get("kind") not in KINDS:
        raise _bad("未知的数据包种类。")
    sender = raw.get("sender")
    if not isinstance(sender, dict) or sender.get("level") not in LEVELS:
        raise _bad("缺少发送单位。")
    code, name = sender.get("code"), sender.get("name")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z0-9]{2,20}", code) or not isinstance(name, str):
        raise _bad("发送单位的代码或名称无效。")
    term = raw.get("term")
    if not isinstance(term, dict) or not isinstance(term.get("code"), str) \
            or not re.fullmatch(r"\d{4}-\d{4}-[12]", term["code"]):
        raise _bad("学期无效。")
    sequence = raw.get("sequence")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
        raise _bad("序号无效。")
    members = raw.get("members")
    if not isinstance(members, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("size"), int) and isinstance(v.get("sha256"), str)
            for v in members.values()):
        raise _bad("成员文件清单无效。")
    for field in ("created_at", "key_fingerprint"):
        if not isinstance(raw.get(field), str):
            raise _bad(f"缺少字段 {field}。")
    return Manifest(raw=raw, kind=raw["kind"], level=sender["level"], sender_code=code, sender_name=name,
                    term_code=term["code"], sequence=sequence, created_at=raw["created_at"],
                    fingerprint=raw["key_fingerprint"], members=members)
