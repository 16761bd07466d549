"""School packages encrypted for the township with age (https://age-encryption.org/v1), so that a
lost USB stick gives up nothing.

The township's age identity (X25519) is derived from its Ed25519 signing key (HKDF-SHA256, info
``schoolq age identity v1``): it is kept encrypted exactly as the signing key is (under the
administrator's passphrase and the recovery code), changes passphrase with it and needs no table
of its own. Its public half, the age recipient (``age1…``), travels in the township's signed config
package; a school trusts it together with the township's key and encrypts every data package it
exports to it. The township decrypts with its identity and then checks the signature as for any
package. `write_identity` writes the identity as an age identity file, so that the standalone
``age`` tool can decrypt a package too (see the README).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pyrage import DecryptError, EncryptError, IdentityError, RecipientError, decrypt, encrypt, x25519
from sqlite_utils import Database

from app.db.writes import Actor
from app.errors import invalid
from app.packages.format import PackageRefused
from app.services.keys import unlock
from app.services.permissions import require_township_admin

AGE_HEADER = b"age-encryption.org/v1\n"
SEALED_SUFFIX = ".age"
_INFO = b"schoolq age identity v1"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                check ^= gen
    return check


def bech32(hrp: str, data: bytes) -> str:
    """Return `data` encoded as Bech32 (BIP 173) with the human-readable part `hrp` (lower case)."""
    words, acc, bits = [], 0, 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _polymod(expanded + words + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[w] for w in words + checksum)


def identity_text(private: Ed25519PrivateKey) -> str:
    """Return the age identity derived from a signing key, as ``AGE-SECRET-KEY-1…``."""
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    secret = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(raw)
    return bech32("age-secret-key-", secret).upper()


def identity_of(private: Ed25519PrivateKey) -> x25519.Identity:
    """Return the age identity (pyrage) derived from a signing key."""
    return x25519.Identity.from_str(identity_text(private))


def recipient_of(private: Ed25519PrivateKey) -> str:
    """Return the age recipient (``age1…``) of the identity derived from a signing key."""
    return str(identity_of(private).to_public())


def check_recipient(text: object) -> str:
    """Return `text` when it is an age X25519 recipient (``age1…``). Raises PackageRefused otherwise."""
    try:
        if isinstance(text, str):
            return str(x25519.Recipient.from_str(text))
    except RecipientError:
        pass
    raise PackageRefused("bad_manifest", "配置包中的乡镇加密公钥(age_recipient)无效,已拒绝。")


def unlock_identity(db: Database, passphrase: str) -> x25519.Identity:
    """Return this database's age identity, opened with the administrator's passphrase.

    Raises ValidationError when the passphrase is wrong, NotFound when there is no key.
    """
    return identity_of(unlock(db, passphrase))


def write_identity(db: Database, actor: Actor, passphrase: str, path: str | Path) -> tuple[Path, str]:
    """Write this township's age identity to `path` as an age identity file (for ``age -d -i``);
    return (path, recipient). Raises PermissionDenied unless the actor is a township administrator,
    ValidationError (wrong passphrase), OSError when the file cannot be written."""
    require_township_admin(actor)
    private = unlock(db, passphrase)
    path = Path(path)
    recipient = recipient_of(private)
    path.write_text(f"# SchoolQ 乡镇数据包解密身份(请妥善保管,勿外传)\n# public key: {recipient}\n"
                    f"{identity_text(private)}\n", encoding="utf-8")
    return path, recipient


def seal(data: bytes, recipient: str) -> bytes:
    """Return `data` encrypted for the age `recipient` (binary age format).

    Raises ValidationError when the recipient is not a valid age recipient.
    """
    try:
        return encrypt(data, [x25519.Recipient.from_str(recipient)])
    except (RecipientError, EncryptError):
        raise invalid("乡镇的加密公钥无效:请重新导入乡镇下发的配置包。") from None


def is_sealed(raw: bytes) -> bool:
    """Return True when `raw` is an age-encrypted file."""
    return raw.startswith(AGE_HEADER)


def sealed_files(paths: Iterable[str | Path]) -> bool:
    """Return True when any of `paths` is an age-encrypted file (a readable one starting with the header)."""
    for path in paths:
        try:
            with open(path, "rb") as handle:
                if is_sealed(handle.read(len(AGE_HEADER))):
                    return True
        except OSError:
            continue
    return False


def unseal(raw: bytes, identity: x25519.Identity | None, name: str) -> bytes:
    """Return the package inside the age-encrypted `raw`.

    Raises PackageRefused (encrypted) without an identity, (not_for_us) when it was not encrypted
    for `identity` or is damaged.
    """
    if identity is None:
        raise PackageRefused("encrypted", f"“{name}”是加密的数据包,只有乡镇管理员用口令才能解密:"
                                          "请在乡镇数据库中导入(命令行会询问口令)。")
    try:
        return decrypt(raw, [identity])
    except (DecryptError, IdentityError):
        raise PackageRefused("not_for_us", f"“{name}”不是为本单位加密的,或文件已损坏,无法解密,已拒绝。"
                                           "请确认学校导入的是本乡镇下发的配置包。") from None


def read_identity(path: str | Path) -> x25519.Identity:
    """Return the age identity in an identity file (the line ``AGE-SECRET-KEY-1…``).

    Raises ValidationError when the file holds none.
    """
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip().startswith("AGE-SECRET-KEY-1"):
            try:
                return x25519.Identity.from_str(line.strip())
            except IdentityError:
                break
    raise invalid(f"“{path}”不是 age 身份文件(应有一行 AGE-SECRET-KEY-1…):用 schoolq keys age-identity 导出。")
