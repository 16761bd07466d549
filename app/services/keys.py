"""Each school database's Ed25519 signing key, kept encrypted under the administrator's passphrase."""
from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlite_utils import Database

from app.db.writes import Actor, insert_row
from app.errors import invalid


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """Return the key's fingerprint as eight groups of five digits, easy to read over the phone."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).digest()
    groups = [int.from_bytes(digest[i * 4:(i + 1) * 4], "big") % 100000 for i in range(8)]
    return " ".join(f"{g:05d}" for g in groups)


def create_key(db: Database, actor: Actor, passphrase: str, *, school_id: str | None = None,
               township_id: str | None = None) -> str:
    """Generate a key pair for a school (or township) database, store it, and return the fingerprint.

    The private key is written only in PKCS#8 form encrypted with `passphrase`.
    Raises ValidationError when the passphrase is empty.
    """
    if not passphrase:
        raise invalid("口令不能为空:没有口令,私钥无法加密保存。", "passphrase")
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.BestAvailableEncryption(passphrase.encode("utf-8")))
    fp = fingerprint(public)
    insert_row(db, actor, "school_key", {
        "school_id": school_id, "township_id": township_id, "public_pem": public_pem,
        "private_pem_encrypted": private_pem.decode("ascii"), "fingerprint": fp, "registered": 1,
    })
    return fp
