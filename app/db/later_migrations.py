"""Schema migrations from m013 on, after those of app.db.migrations (which imports this module at
its end, so these register after every migration there, in the order they are defined here).

Append only, as there: new migrations go at the end of this file, decorated with @migration.
"""
from __future__ import annotations

from sqlite_utils import Database

from app.db.migrations import _STAMPS, migration


@migration
def m013_township_age_recipient(db: Database) -> None:
    # A school keeps, with the township's trusted key, the township's age recipient from its config
    # package: every data package the school exports is encrypted to it (app.packages.sealing).
    db.execute("ALTER TABLE trusted_key ADD COLUMN age_recipient TEXT")


@migration
def m014_audit_signers(db: Database) -> None:
    # Each account's own key for signing the audit chain's head when its session closes (a teacher's
    # passphrase does not open the database's key): the private key encrypted under the account's
    # passphrase (retired when that changes), the public key certified by the database's key at the
    # next administrator's session (app.services.audit).
    db.execute(f"""CREATE TABLE audit_signer (
        id TEXT PRIMARY KEY, username TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
        public_raw TEXT NOT NULL, private_encrypted TEXT, cert TEXT, {_STAMPS})""")
