"""Which public keys this database trusts: registration, replacement and look-up.

A township registers each school's key (read aloud over the phone by fingerprint), a county each
township's, and a school its township's (on the first config package). A package is believed only
when it is signed by the registered key of the school or township it claims to come from; the key
inside the package is never trusted by itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite_utils import Database

from app.db.writes import Actor, insert_row, update_row
from app.errors import invalid
from app.packages.signing import fingerprint_of_pem, pem_text, public_key_from_pem
from app.services import schools
from app.services.permissions import require_township_admin


def trusted_key(db: Database, level: str, code: str) -> dict | None:
    """Return the active trusted_key row for a school or township code, or None."""
    rows = list(db.query("SELECT * FROM trusted_key WHERE level = ? AND code = ? AND active = 1", [level, code]))
    return dict(rows[0]) if rows else None


def list_trusted(db: Database) -> list[dict]:
    """Return level, code, fingerprint, active and created_at of every trusted key (active ones first,
    then by level and code)."""
    return [dict(r) for r in db.query("SELECT level, code, fingerprint, active, created_at FROM trusted_key"
                                      " ORDER BY active DESC, level, code, created_at")]


@dataclass(frozen=True)
class KeyRegistration:
    """A key registered for a school or township: its fingerprint, the fingerprint of the key it
    replaced (or None), whether a school or township row was created and whether nothing changed
    (the key was registered already)."""

    level: str
    code: str
    fingerprint: str
    replaced: str | None = None
    created: bool = False
    unchanged: bool = False

    def to_dict(self) -> dict:
        """Return the registration as plain data (for --json)."""
        return {"level": self.level, "code": self.code, "fingerprint": self.fingerprint, "replaced": self.replaced,
                "created": self.created, "unchanged": self.unchanged}


def _own_township(db: Database) -> dict | None:
    code = schools.get_meta(db, "township_code")
    rows = list(db.query("SELECT * FROM township WHERE code = ?", [code or ""]))
    return dict(rows[0]) if rows else None


def register_key(db: Database, actor: Actor, *, level: str, code: str, pem: bytes | str, replace: bool = False,
                 name: str | None = None, school_type: str | None = None,
                 county: str | None = None) -> KeyRegistration:
    """Trust `pem` as the key of the school (level 'school') or township (level 'township') `code`.

    At a township database a school row is created too when `name` and `school_type` are given and
    the school is not there yet (otherwise the first package creates it); at a county database a
    township row likewise with `name`. Returns the KeyRegistration. Raises ValidationError for a bad code or key, or when
    another key is registered for the code and `replace` is False; PermissionDenied.
    """
    require_township_admin(actor)
    code = (code or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{2,20}", code):
        raise invalid("代码只能由 2-20 个英文字母或数字组成。", "code")
    key = public_key_from_pem(pem)
    text = pem_text(key)
    fp = fingerprint_of_pem(text)
    own = db.execute("SELECT 1 FROM school_key WHERE public_pem = ? AND private_pem_encrypted IS NOT NULL",
                     [text]).fetchone()
    if own:
        raise invalid("这是本数据库自己的公钥,不能登记为学校或乡镇的密钥。", "pubkey")
    old = trusted_key(db, level, code)
    if old and old["fingerprint"] == fp:
        return KeyRegistration(level, code, fp, unchanged=True)
    if old and not replace:
        raise invalid(f"{code} 已登记另一把密钥(指纹 {old['fingerprint']})。如确认对方重新安装了程序、换了密钥,"
                      "请核对新指纹后选择“停用旧密钥”重新登记。", "pubkey")
    created = False
    with db.atomic():
        if old:
            update_row(db, actor, "trusted_key", old["id"], {"active": 0})
        insert_row(db, actor, "trusted_key", {"level": level, "code": code, "public_pem": text, "fingerprint": fp,
                                              "active": 1})
        if level == "school" and name and school_type and not db.execute(
                "SELECT 1 FROM school WHERE code = ?", [code]).fetchone():
            township = _own_township(db)
            schools.create_school(db, actor, code=code, name=name, type=school_type,
                                  township_id=township["id"] if township else None)
            created = True
        if level == "township" and name and not db.execute("SELECT 1 FROM township WHERE code = ?",
                                                           [code]).fetchone():
            schools.create_township(db, actor, code=code, name=name, county=county)
            created = True
    return KeyRegistration(level, code, fp, old["fingerprint"] if old else None, created)


def township_recipient(db: Database, code: str | None = None) -> str | None:
    """Return the age recipient (``age1…``) of the township this school trusts — of township `code`
    when given — as its last config package carried it; None before the first such package."""
    row = db.execute("SELECT age_recipient FROM trusted_key WHERE level = 'township' AND active = 1"
                     " AND age_recipient IS NOT NULL AND (? IS NULL OR code = ?) ORDER BY created_at DESC LIMIT 1",
                     [code, code]).fetchone()
    return row[0] if row else None
