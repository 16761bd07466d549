"""Configured copies of the shipped presets: timetable rules, workload weights, observation forms
and quotas, routine scoring sheets.

A preset ships as JSON under resources/presets/ with an id and a version. A database may hold an
adjusted copy for the whole database (school_id NULL) or for one school (table preset_setting);
the copy in force for a school is its own, else the database's, else the shipped file. Every
result names the copy it used by preset id, version and content hash.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, insert_row, update_row
from app.errors import PermissionDenied
from app.paths import resource_path
from app.services.schools import get_meta

FILES = {"timetable": "timetable.json", "workload": "workload.json", "observation": "observation.json",
         "routine": "routine.json"}
KIND_NAMES = {"timetable": "课表检查规则", "workload": "工作量系数与标准", "observation": "听课评价表与听课任务",
              "routine": "教学常规评分表"}


@dataclass(frozen=True)
class Preset:
    """The content of a preset in force and where it came from (scope: shipped, database, school)."""

    kind: str
    content: dict
    preset_id: str
    version: int
    content_hash: str
    scope: str

    def basis(self) -> str:
        """Return 'id@version#hash8', the short name a result records for the preset it used."""
        return f"{self.preset_id}@{self.version}#{self.content_hash[:8]}"


def content_hash(content: dict) -> str:
    """Return the sha256 (hex) of `content` as canonical JSON."""
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shipped(kind: str) -> dict:
    """Return the shipped preset of `kind` (a key of FILES). Raises KeyError for an unknown kind."""
    return json.loads(resource_path("presets", FILES[kind]).read_text(encoding="utf-8"))


def effective(db: Database, kind: str, school_id: str | None = None) -> Preset:
    """Return the preset of `kind` in force for `school_id` (or for the database when None)."""
    rows = list(db.query(
        "SELECT * FROM preset_setting WHERE kind = ? AND (school_id = ? OR school_id IS NULL)"
        " ORDER BY school_id IS NULL LIMIT 1", [kind, school_id]))
    if rows:
        row = rows[0]
        return Preset(kind, json.loads(row["content"]), row["preset_id"], row["version"], row["content_hash"],
                      "school" if row["school_id"] else "database")
    content = shipped(kind)
    return Preset(kind, content, content["id"], int(content["version"]), content_hash(content), "shipped")


def effective_many(db: Database, kind: str, school_ids: list[str]) -> dict[str, Preset]:
    """Return the preset of `kind` in force for each school id, reading the settings once (schools
    without their own copy share one Preset object)."""
    rows = {row["school_id"]: row for row in db.query("SELECT * FROM preset_setting WHERE kind = ?", [kind])}

    def from_row(row) -> Preset:
        return Preset(kind, json.loads(row["content"]), row["preset_id"], row["version"], row["content_hash"],
                      "school" if row["school_id"] else "database")

    if None in rows:
        common = from_row(rows[None])
    else:
        content = shipped(kind)
        common = Preset(kind, content, content["id"], int(content["version"]), content_hash(content), "shipped")
    return {sid: from_row(rows[sid]) if sid in rows else common for sid in school_ids}


def require_settings_write(db: Database, actor: Actor, school_id: str | None) -> None:
    """Raise PermissionDenied unless the actor may change settings of `school_id` (None: the whole
    database): a township administrator, or the school's administrator (in a school database also
    the database-wide settings)."""
    if actor.role == "township_admin":
        return
    if actor.role == "school_admin":
        if school_id is not None and actor.school_id == school_id:
            return
        if school_id is None and get_meta(db, "kind", "school") == "school":
            return
    raise PermissionDenied("只有管理员可以修改这些设置。")


def store(db: Database, actor: Actor, kind: str, content: dict, school_id: str | None = None) -> Preset:
    """Save an adjusted copy of the preset of `kind` (already validated by its owner module) for
    `school_id` or the database; audited. Returns the preset now in force.
    Raises PermissionDenied."""
    require_settings_write(db, actor, school_id)
    base = shipped(kind)
    values = {"kind": kind, "school_id": school_id, "preset_id": content.get("id", base["id"]),
              "version": int(content.get("version", base["version"])),
              "content": json.dumps(content, ensure_ascii=False, sort_keys=True), "content_hash": content_hash(content)}
    existing = db.execute("SELECT id FROM preset_setting WHERE kind = ? AND IFNULL(school_id, '') = IFNULL(?, '')",
                          [kind, school_id]).fetchone()
    with db.atomic():
        if existing:
            update_row(db, actor, "preset_setting", existing[0], values)
        else:
            insert_row(db, actor, "preset_setting", values)
    return effective(db, kind, school_id)


def reset(db: Database, actor: Actor, kind: str, school_id: str | None = None) -> bool:
    """Remove the adjusted copy of `kind` for `school_id` (or the database), so the next broader one
    applies again; audited. Returns whether there was one. Raises PermissionDenied."""
    require_settings_write(db, actor, school_id)
    existing = db.execute("SELECT id FROM preset_setting WHERE kind = ? AND IFNULL(school_id, '') = IFNULL(?, '')",
                          [kind, school_id]).fetchone()
    if not existing:
        return False
    with db.atomic():
        delete_row(db, actor, "preset_setting", existing[0])
    return True
