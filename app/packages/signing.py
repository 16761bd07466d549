"""The database's own signing key, public keys read from PEM files, signing and checking signatures."""
from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlite_utils import Database

from app.errors import invalid
from app.services.keys import fingerprint, own_key, unlock


def own_public_pem(db: Database) -> str:
    """Return the PEM text (SubjectPublicKeyInfo) of this database's public key. Raises NotFound."""
    return own_key(db)["public_pem"]


def write_public_key(db: Database, path: str | Path) -> tuple[Path, str]:
    """Write this database's public key (PEM) to `path`; return (path, fingerprint).

    Raises NotFound when the database has no key, OSError when the file cannot be written.
    """
    key = own_key(db)
    path = Path(path)
    path.write_text(key["public_pem"], encoding="ascii")
    return path, key["fingerprint"]


def unlock_private_key(db: Database, passphrase: str) -> Ed25519PrivateKey:
    """Return the database's private key decrypted with the administrator's passphrase.

    Raises ValidationError when the passphrase is wrong, NotFound when there is no key.
    """
    return unlock(db, passphrase)


def public_key_from_pem(pem: bytes | str) -> Ed25519PublicKey:
    """Return the Ed25519 public key in PEM text (SubjectPublicKeyInfo).

    Raises ValidationError when the text is not such a key.
    """
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise invalid("公钥文件无法读取:应为本程序导出的 .pem 公钥文件(“-----BEGIN PUBLIC KEY-----”开头)。") from None
    if not isinstance(key, Ed25519PublicKey):
        raise invalid("公钥文件不是 Ed25519 公钥。")
    return key


def pem_text(key: Ed25519PublicKey) -> str:
    """Return the canonical PEM text of a public key."""
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint_of_pem(pem: bytes | str) -> str:
    """Return the fingerprint (eight groups of five digits) of the key in PEM text. Raises ValidationError."""
    return fingerprint(public_key_from_pem(pem))


def sign(private_key: Ed25519PrivateKey, data: bytes) -> bytes:
    """Return the raw 64-byte Ed25519 signature of `data`."""
    return private_key.sign(data)


def signature_ok(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Return True when `signature` is `public_key`'s signature of exactly `data`."""
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
