"""Creating a new school or township database, ready to use."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from app import __version__
from app.db.database import open_database, remove_database
from app.db.writes import SYSTEM
from app.errors import invalid
from app.services import keys, schools, subjects, users
from app.services.passphrases import check_new_passphrase


def _check_passphrase(passphrase: str, demo: bool) -> None:
    if demo:
        if not passphrase:
            raise invalid("口令不能为空。", "passphrase")
        return
    check_new_passphrase(passphrase)


def _create(path: Path, fill: Callable[[Database], None]) -> Database:
    """Create the database at `path`, fill it in one transaction, and remove the file (with its
    -wal/-shm) if anything fails, a full disk included, so that a retry finds no partial file."""
    if path.exists() and path.stat().st_size > 0:
        raise invalid(f"文件“{path}”已存在。为防止覆盖数据,请换一个文件名。")
    db = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = open_database(path, create=True)
        with db.atomic():
            fill(db)
    except BaseException:
        if db is not None:
            db.close()
        remove_database(path)
        raise
    return db


def _common(db: Database, kind: str, today: dt.date | None) -> None:
    schools.set_meta(db, SYSTEM, "kind", kind)
    schools.set_meta(db, SYSTEM, "created_by_version", __version__)
    subjects.seed_subjects(db, SYSTEM)
    year, seq = schools.term_for_date(today or dt.date.today())
    schools.set_current_term(db, SYSTEM, schools.ensure_term(db, SYSTEM, year, seq))


def init_school(path: str | Path, *, code: str, name: str, type: str, passphrase: str,
                township_code: str | None = None, township_name: str | None = None,
                admin_username: str = "admin", today: dt.date | None = None, demo: bool = False) -> Database:
    """Create a school's own database with its school, subjects, current term, admin user and key.

    The passphrase must pass check_new_passphrase unless `demo` (the demo generator's documented
    short passphrase, see app.services.passphrases.DEMO_PASSPHRASE). Returns the open database.
    Raises ValidationError (nothing is left behind on failure).
    """
    path = Path(path)
    _check_passphrase(passphrase, demo)

    def fill(db: Database) -> None:
        township_id = None
        if township_code:
            township_id = schools.create_township(db, SYSTEM, code=township_code, name=township_name or township_code)
        school_id = schools.create_school(db, SYSTEM, code=code, name=name, type=type, township_id=township_id)
        schools.set_meta(db, SYSTEM, "school_code", schools.school_by_code(db, code)["code"])
        _common(db, "school", today)
        users.create_user(db, SYSTEM, username=admin_username, display_name=f"{name}管理员",
                          role="school_admin", school_id=school_id, passphrase=passphrase, weak_passphrase_ok=demo)
        keys.create_key(db, SYSTEM, passphrase, school_id=school_id)

    return _create(path, fill)


def init_township(path: str | Path, *, code: str, name: str, passphrase: str, county: str | None = None,
                  admin_username: str = "admin", today: dt.date | None = None, demo: bool = False) -> Database:
    """Create a township database (no schools yet): township, subjects, term, admin user and key;
    `demo` as for init_school. Returns the open database. Raises ValidationError."""
    path = Path(path)
    _check_passphrase(passphrase, demo)

    def fill(db: Database) -> None:
        township_id = schools.create_township(db, SYSTEM, code=code, name=name, county=county)
        schools.set_meta(db, SYSTEM, "township_code", code.upper())
        _common(db, "township", today)
        users.create_user(db, SYSTEM, username=admin_username, display_name=f"{name}管理员",
                          role="township_admin", passphrase=passphrase, weak_passphrase_ok=demo)
        keys.create_key(db, SYSTEM, passphrase, township_id=township_id)

    return _create(path, fill)


def init_county(path: str | Path, *, code: str, name: str, passphrase: str, admin_username: str = "admin",
                today: dt.date | None = None, demo: bool = False) -> Database:
    """Create a county database (it aggregates townships): subjects, term, admin user and key;
    `demo` as for init_school. Returns the open database. Raises ValidationError."""
    path = Path(path)
    _check_passphrase(passphrase, demo)

    def fill(db: Database) -> None:
        schools.set_meta(db, SYSTEM, "county_code", code.upper())
        schools.set_meta(db, SYSTEM, "county_name", name)
        _common(db, "county", today)
        users.create_user(db, SYSTEM, username=admin_username, display_name=f"{name}管理员",
                          role="township_admin", passphrase=passphrase, weak_passphrase_ok=demo)
        keys.create_key(db, SYSTEM, passphrase)

    return _create(path, fill)
