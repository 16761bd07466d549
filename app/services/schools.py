"""Townships, schools, academic years and terms, and the facts about the database itself (meta)."""
from __future__ import annotations

import datetime as dt
import re

from sqlite_utils import Database

from app.db.writes import Actor, audit, get_row, insert_row, stable_id, update_row
from app.errors import NotFound, Problem, ValidationError, invalid
from app.services.permissions import (require_database_admin, require_school_admin, require_term_write,
                                      require_township_admin)
from app.validation.text import clean

SCHOOL_TYPES = ("中心校本部", "完小", "教学点")
DB_KINDS = ("school", "township", "county")


def get_meta(db: Database, key: str, default: str | None = None) -> str | None:
    """Return a value of the meta table, or `default`."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def set_meta(db: Database, actor: Actor, key: str, value: str) -> None:
    """Set a value of the meta table (audited). Raises PermissionDenied unless the actor
    administers the database."""
    require_database_admin(db, actor)
    old = get_meta(db, key)
    if old == value:
        return
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               [key, value])
    audit(db, actor, "update" if old is not None else "insert", "meta", key, old, value)


def _check_code(code: str, what: str) -> str:
    code = clean(code).upper()
    if not re.fullmatch(r"[A-Z0-9]{2,20}", code):
        raise invalid(f"{what}代码只能由 2-20 个英文字母或数字组成(导出的数据包文件名要用它)。", "code")
    return code


def create_township(db: Database, actor: Actor, *, code: str, name: str, county: str | None = None) -> str:
    """Create a township and return its id. Raises ValidationError for a bad or duplicate code."""
    require_township_admin(actor)
    code = _check_code(code, "乡镇")
    name = (name or "").strip()
    if not name:
        raise invalid("乡镇名称不能为空。", "name")
    if db.execute("SELECT 1 FROM township WHERE code = ?", [code]).fetchone():
        raise invalid(f"乡镇代码“{code}”已存在。", "code")
    with db.atomic():
        return insert_row(db, actor, "township",
                          {"id": stable_id("township", code), "code": code, "name": name, "county": county})


def create_school(db: Database, actor: Actor, *, code: str, name: str, type: str,
                  township_id: str | None = None, address: str | None = None,
                  daily_max_periods: int = 6, school_id: str | None = None) -> str:
    """Create a school and return its id. Raises ValidationError listing every bad field."""
    require_township_admin(actor)
    problems = []
    try:
        code = _check_code(code, "学校")
    except ValidationError as exc:
        problems += exc.problems
    name = (name or "").strip()
    if not name:
        problems.append(Problem("学校名称不能为空。", field="name"))
    if type not in SCHOOL_TYPES:
        problems.append(Problem(f"学校类型只能是 {' / '.join(SCHOOL_TYPES)}。", field="type"))
    if not 1 <= int(daily_max_periods) <= 12:
        problems.append(Problem("每日最多节数应在 1 到 12 之间。", field="daily_max_periods"))
    if not problems and db.execute("SELECT 1 FROM school WHERE code = ?", [code]).fetchone():
        problems.append(Problem(f"学校代码“{code}”已存在。", field="code"))
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        return insert_row(db, actor, "school", {
            "id": school_id or stable_id("school", code), "code": code, "name": name, "type": type,
            "township_id": township_id,
            "address": address, "daily_max_periods": int(daily_max_periods),
        })


def update_school(db: Database, actor: Actor, school_id: str, **changes: object) -> dict:
    """Change a school's name, type, address or daily period limit; return what changed."""
    require_school_admin(actor, school_id)
    allowed = {"name", "type", "address", "daily_max_periods"}
    unknown = set(changes) - allowed
    if unknown:
        raise invalid(f"不能修改学校的这些字段:{', '.join(sorted(unknown))}。")
    if "type" in changes and changes["type"] not in SCHOOL_TYPES:
        raise invalid(f"学校类型只能是 {' / '.join(SCHOOL_TYPES)}。", "type")
    if "name" in changes and not str(changes["name"]).strip():
        raise invalid("学校名称不能为空。", "name")
    with db.atomic():
        return update_row(db, actor, "school", school_id, changes)


def school_by_code(db: Database, code: str) -> dict:
    """Return the school with `code`. Raises NotFound."""
    rows = list(db.query("SELECT * FROM school WHERE code = ?", [clean(code).upper()]))
    if not rows:
        raise NotFound(f"数据库中没有代码为“{code}”的学校。")
    return rows[0]


def term_code(year_start: int, seq: int) -> str:
    """Return the code of a term, e.g. 2025-2026-1."""
    return f"{year_start}-{year_start + 1}-{seq}"


def term_name(year_start: int, seq: int) -> str:
    """Return the Chinese name of a term, e.g. 2025—2026 学年第一学期."""
    return f"{year_start}—{year_start + 1} 学年第{'一二'[seq - 1]}学期"


def ensure_term(db: Database, actor: Actor, year_start: int, seq: int) -> str:
    """Return the id of the term (creating its academic year and itself if missing). Raises
    PermissionDenied unless the actor may add terms (administrators, 教务)."""
    require_term_write(db, actor)
    code = term_code(year_start, seq)
    row = db.execute("SELECT id FROM term WHERE code = ?", [code]).fetchone()
    if row:
        return row[0]
    year_code = f"{year_start}-{year_start + 1}"
    year = db.execute("SELECT id FROM academic_year WHERE code = ?", [year_code]).fetchone()
    with db.atomic():
        year_id = year[0] if year else insert_row(db, actor, "academic_year", {
            "id": stable_id("academic_year", year_code), "code": year_code, "start_date": f"{year_start}-09-01",
            "end_date": f"{year_start + 1}-08-31"})
        start, end = ((f"{year_start}-09-01", f"{year_start + 1}-01-31") if seq == 1
                      else (f"{year_start + 1}-02-01", f"{year_start + 1}-08-31"))
        return insert_row(db, actor, "term", {
            "id": stable_id("term", code), "code": code, "academic_year_id": year_id, "seq": seq,
            "name": term_name(year_start, seq),
            "start_date": start, "end_date": end})


def term_for_date(day: dt.date) -> tuple[int, int]:
    """Return (first year of the academic year, term 1 or 2) that `day` falls in."""
    if day.month >= 9:
        return day.year, 1
    if day.month == 1:
        return day.year - 1, 1
    return day.year - 1, 2


def current_term(db: Database) -> dict:
    """Return the term the database works in (meta current_term). Raises NotFound when unset."""
    code = get_meta(db, "current_term")
    rows = list(db.query("SELECT * FROM term WHERE code = ?", [code])) if code else []
    if not rows:
        raise NotFound("数据库还没有设置当前学期。")
    return rows[0]


def set_current_term(db: Database, actor: Actor, term_id: str) -> None:
    """Make `term_id` the term new data belongs to. Raises PermissionDenied unless the actor
    administers the database, NotFound for an unknown term."""
    require_database_admin(db, actor)
    term = get_row(db, "term", term_id)
    with db.atomic():
        set_meta(db, actor, "current_term", term["code"])
