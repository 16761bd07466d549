"""Each database's Ed25519 signing key, kept encrypted under the administrator's passphrase and,
for the day it is forgotten, under a recovery code printed on paper at set-up.

Stored form (`private_pem_encrypted`, also the recovery copy): the text
``schoolq-key/2$n$r$p$SALT$NONCE$CIPHERTEXT`` (base64 parts): the raw 32-byte private key
encrypted with AES-256-GCM under a key derived from the passphrase by scrypt (memory-hard,
n = 65,536, r = 8: 64 MB and about 0.2–0.4 s a guess on a 2020 laptop), the raw public key as
associated data. Keys written by earlier versions (PKCS#8 with PBKDF2, 2,048 iterations) are
re-encrypted this way on the next successful log-in (upgrade_key).
"""
from __future__ import annotations

import base64
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils import Database

from app.db.writes import Actor, insert_row, update_row
from app.errors import NotFound, PermissionDenied, invalid

FORMAT = "schoolq-key/2"
KDF = {"n": 2**16, "r": 8, "p": 1}
_MAXMEM = 2**28
# Recovery codes: 25 characters from an alphabet without look-alikes (125 bits), printed in five groups.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """Return the key's fingerprint as eight groups of five digits, easy to read over the phone."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).digest()
    groups = [int.from_bytes(digest[i * 4:(i + 1) * 4], "big") % 100000 for i in range(8)]
    return " ".join(f"{g:05d}" for g in groups)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def wrap(raw: bytes, secret: str, public_raw: bytes) -> str:
    """Return `raw` (a private key) encrypted under `secret` in the stored form described above."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(secret, salt, **KDF)).encrypt(nonce, raw, public_raw)
    return "$".join([FORMAT, str(KDF["n"]), str(KDF["r"]), str(KDF["p"]), _b64(salt), _b64(nonce), _b64(sealed)])


def unwrap(stored: str, secret: str, public_raw: bytes) -> bytes:
    """Return the raw private key in `stored` (either stored form). Raises ValueError when
    `secret` is wrong or the text is damaged."""
    if stored.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(stored.encode("ascii"), password=secret.encode("utf-8"))
        except TypeError as exc:
            raise ValueError("wrong passphrase") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 key")
        return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    parts = stored.split("$")
    if len(parts) != 7 or parts[0] != FORMAT:
        raise ValueError("unknown key format")
    n, r, p = (int(x) for x in parts[1:4])
    salt, nonce, sealed = (base64.b64decode(x) for x in parts[4:])
    try:
        return AESGCM(_derive(secret, salt, n, r, p)).decrypt(nonce, sealed, public_raw)
    except InvalidTag as exc:
        raise ValueError("wrong passphrase") from exc


def _public_raw(row: dict) -> bytes:
    key = serialization.load_pem_public_key(row["public_pem"].encode("ascii"))
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def own_key(db: Database) -> dict:
    """Return the school_key row of this database's own key pair (the one with a private key).

    Raises NotFound when the database has none (it was created without a key).
    """
    rows = list(db.query("SELECT * FROM school_key WHERE private_pem_encrypted IS NOT NULL"
                         " ORDER BY created_at, id LIMIT 1"))
    if not rows:
        raise NotFound("这个数据库没有签名密钥,无法导出或签名数据包。")
    return dict(rows[0])


def _require_key_admin(actor: Actor, school_id: str | None) -> None:
    if actor.role == "township_admin" or (actor.role == "school_admin" and school_id and actor.school_id == school_id):
        return
    raise PermissionDenied("只有本单位的管理员可以管理签名密钥。")


def create_key(db: Database, actor: Actor, passphrase: str, *, school_id: str | None = None,
               township_id: str | None = None) -> str:
    """Generate a key pair for a school (or township) database, store it, and return the fingerprint.

    The private key is written only encrypted under `passphrase` (see the module docstring).
    Raises ValidationError when the passphrase is empty, PermissionDenied unless the actor
    administers the school (or the township).
    """
    _require_key_admin(actor, school_id)
    if not passphrase:
        raise invalid("口令不能为空:没有口令,私钥无法加密保存。", "passphrase")
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    public_raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public_pem = public.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    fp = fingerprint(public)
    insert_row(db, actor, "school_key", {
        "school_id": school_id, "township_id": township_id, "public_pem": public_pem,
        "private_pem_encrypted": wrap(raw, passphrase, public_raw), "fingerprint": fp, "registered": 1,
    })
    return fp


def unlock(db: Database, passphrase: str) -> Ed25519PrivateKey:
    """Return the database's private key decrypted with the administrator's passphrase.

    Raises ValidationError when the passphrase is wrong, NotFound when there is no key.
    """
    row = own_key(db)
    try:
        raw = unwrap(row["private_pem_encrypted"], passphrase or "", _public_raw(row))
    except ValueError:
        raise invalid("口令不正确:无法解开签名私钥。请输入管理员口令(忘记时可用设立时打印的恢复码重设)。",
                      "passphrase") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def _rewrap(db: Database, actor: Actor, old: str, new: str) -> bool:
    try:
        row = own_key(db)
    except NotFound:
        return False
    public_raw = _public_raw(row)
    try:
        raw = unwrap(row["private_pem_encrypted"], old, public_raw)
    except ValueError:
        return False
    update_row(db, actor, "school_key", row["id"], {"private_pem_encrypted": wrap(raw, new, public_raw)})
    return True


def upgrade_key(db: Database, actor: Actor, passphrase: str) -> bool:
    """Re-encrypt a key still stored as PKCS#8 (written by earlier versions) in the current form
    when `passphrase` opens it; call inside the log-in's transaction. Returns True when it did."""
    rows = list(db.query("SELECT private_pem_encrypted FROM school_key WHERE private_pem_encrypted LIKE '-----BEGIN%'"))
    return bool(rows) and _rewrap(db, actor, passphrase, passphrase)


def change_key_passphrase(db: Database, actor: Actor, old: str, new: str) -> bool:
    """Re-encrypt the signing key under `new` when `old` opens it (the administrator changing their
    passphrase); call inside the caller's transaction. Returns True when it did."""
    _require_key_admin(actor, actor.school_id)
    return _rewrap(db, actor, old, new)


def new_recovery_code(db: Database, actor: Actor, passphrase: str) -> str:
    """Make a new recovery code for the signing key (replacing any earlier one) and return it as
    five groups of five characters, to be printed and kept locked away; the database keeps only
    the key encrypted under it. Raises PermissionDenied, ValidationError (wrong passphrase)."""
    _require_key_admin(actor, actor.school_id)
    private = unlock(db, passphrase)
    row = own_key(db)
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(25))
    with db.atomic():
        update_row(db, actor, "school_key", row["id"],
                   {"private_recovery_encrypted": wrap(raw, code, _public_raw(row))})
    return "-".join(code[i:i + 5] for i in range(0, 25, 5))


def normalise_code(code: str) -> str:
    """Return a recovery code as typed (any case, spaces or dashes) in its canonical 25 characters."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def recover_key(db: Database, actor: Actor, code: str, new_passphrase: str) -> None:
    """With the recovery code, put the signing key under `new_passphrase` (inside the caller's
    transaction). Raises ValidationError when there is no recovery copy or the code is wrong."""
    row = own_key(db)
    if not row.get("private_recovery_encrypted"):
        raise invalid("这个数据库没有恢复码(它是旧版本建立的):请让乡镇中心校为本校重新登记新密钥。")
    public_raw = _public_raw(row)
    try:
        raw = unwrap(row["private_recovery_encrypted"], normalise_code(code), public_raw)
    except ValueError:
        raise invalid("恢复码不正确,请对照恢复单重新输入(25 个字母和数字,不分大小写)。", "code") from None
    update_row(db, actor, "school_key", row["id"], {"private_pem_encrypted": wrap(raw, new_passphrase, public_raw)})
