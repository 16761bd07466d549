"""One home for presets: the rules the program ships as JSON under resources/presets, each named by
an id, a version and a content hash.

Kinds: the four scoring kinds (quality, teacher_composite, township_subject, central_school; their
named copies, choice and checks in app.stats.presets), curriculum plans (app.timetable.plans) and
the rule sets timetable, workload, observation, routine and records. A database may hold an adjusted copy of
a rule set for the whole database (school_id NULL) or for one school (table preset_setting); the
copy in force for a school is its own, else the database's, else the shipped file (`effective`).

Every preset is a `Preset`, and its hash is `content_hash`: the sha256 of the canonical JSON of the
whole content (sorted keys, no spaces, UTF-8), so every result that names (id, hash) names exactly
the numbers that produced it. `presets_used` lists every preset in force in a database, the list a
package's manifest carries.
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
         "routine": "routine.json", "records": "records.json"}
KIND_NAMES = {"timetable": "课表检查规则", "workload": "工作量系数与标准", "observation": "听课评价表与听课任务",
              "routine": "教学常规评分表", "records": "作业、家访、集体备课与学业档案要求"}
SCOPES = ("shipped", "database", "school")
CURRICULUM = "curriculum"
DEFAULT_CURRICULUM = "curriculum-zhejiang-2023"


@dataclass(frozen=True)
class Preset:
    """One preset: id, kind, name, the whole content, its content hash, version and where the copy
    in force comes from (scope: shipped, database — a copy held in the database — or school)."""

    id: str
    kind: str
    name: str
    content: dict
    hash: str
    version: int = 1
    scope: str = "shipped"

    @property
    def shipped(self) -> bool:
        """Return True for a preset as shipped with the program (read-only)."""
        return self.scope == "shipped"

    def __getitem__(self, key: str):
        return self.content[key]

    def stamp(self) -> dict:
        """Return {"preset_id", "preset_hash"} to record beside a result."""
        return {"preset_id": self.id, "preset_hash": self.hash}

    def basis(self) -> str:
        """Return 'id@version#hash8', the short name a result records for the preset it used."""
        return f"{self.id}@{self.version}#{self.hash[:8]}"

    def record(self) -> dict:
        """Return what a package's manifest says of the preset: kind, id, name, version, sha256
        (the content hash) and scope."""
        return {"kind": self.kind, "id": self.id, "name": self.name, "version": self.version,
                "sha256": self.hash, "scope": self.scope}


def canonical_json(content: object) -> str:
    """Return the canonical JSON text of a preset (sorted keys, compact, Chinese kept)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(content: object) -> str:
    """Return the sha256 hex digest of the canonical JSON of `content`."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def make_preset(content: dict, kind: str | None = None, scope: str = "shipped") -> Preset:
    """Return the Preset of `content` (its id, name and version; `kind` when the content names none)."""
    return Preset(id=str(content["id"]), kind=kind or content["kind"], name=str(content.get("name", content["id"])),
                  content=content, hash=content_hash(content), version=int(content.get("version", 1)), scope=scope)


def read_shipped(*parts: str) -> dict:
    """Return the content of the shipped preset file resources/presets/<parts>."""
    return json.loads(resource_path("presets", *parts).read_text(encoding="utf-8"))


def shipped(kind: str) -> dict:
    """Return the shipped rule set of `kind` (a key of FILES). Raises KeyError for an unknown kind."""
    return read_shipped(FILES[kind])


def shipped_curricula() -> list[Preset]:
    """Return the shipped curriculum plans (resources/presets/curriculum/*.json) as presets of kind
    "curriculum", the default plan first."""
    found = [make_preset(json.loads(path.read_text(encoding="utf-8")), CURRICULUM)
             for path in sorted(resource_path("presets", "curriculum").glob("*.json"))]
    return sorted(found, key=lambda p: p.id != DEFAULT_CURRICULUM)


def _from_row(kind: str, row) -> Preset:
    content = json.loads(row["content"])
    return Preset(id=row["preset_id"], kind=kind, name=str(content.get("name", row["preset_id"])), content=content,
                  hash=row["content_hash"], version=row["version"], scope="school" if row["school_id"] else "database")


def effective(db: Database, kind: str, school_id: str | None = None) -> Preset:
    """Return the rule set of `kind` in force for `school_id` (or for the database when None)."""
    rows = list(db.query(
        "SELECT * FROM preset_setting WHERE kind = ? AND (school_id = ? OR school_id IS NULL)"
        " ORDER BY school_id IS NULL LIMIT 1", [kind, school_id]))
    return _from_row(kind, rows[0]) if rows else make_preset(shipped(kind), kind)


def effective_many(db: Database, kind: str, school_ids: list[str]) -> dict[str, Preset]:
    """Return the rule set of `kind` in force for each school id, reading the settings once (schools
    without their own copy share one Preset object)."""
    rows = {row["school_id"]: row for row in db.query("SELECT * FROM preset_setting WHERE kind = ?", [kind])}
    common = _from_row(kind, rows[None]) if None in rows else make_preset(shipped(kind), kind)
    return {sid: _from_row(kind, rows[sid]) if sid in rows else common for sid in school_ids}


def presets_used(db: Database) -> list[dict]:
    """Return the record (Preset.record) of every preset in force in `db`: the active preset of each
    scoring kind, each school's curriculum plan and each school's rule sets, once each (a school's
    own copy names the school's code). Sorted by kind, id and school."""
    from app.stats.presets import KINDS, active_preset
    from app.timetable.plans import school_plans

    schools = dict(db.execute("SELECT id, code FROM school").fetchall())
    found: dict[tuple, dict] = {}
    for kind in KINDS:
        record = active_preset(db, kind).record()
        found[(record["kind"], record["id"], record["sha256"], None)] = record
    for school_id, plan in school_plans(db, list(schools)).items():
        code = schools[school_id] if plan.plan_id else None
        found[(CURRICULUM, plan.preset_id, plan.preset_hash, code)] = plan.record(code)
    for kind in FILES:
        for school_id, preset in effective_many(db, kind, list(schools) or []).items():
            code = schools[school_id] if preset.scope == "school" else None
            found[(kind, preset.id, preset.hash, code)] = {**preset.record(), **({"school": code} if code else {})}
        if not schools:
            preset = effective(db, kind)
            found[(kind, preset.id, preset.hash, None)] = preset.record()
    return [found[key] for key in sorted(found, key=lambda k: (k[0], k[1], k[3] or "", k[2]))]


def require_settings_write(db: Database, actor: Actor, school_id: str | None) -> None:
    """Raise PermissionDenied unless the actor may change rule sets of `school_id` (None: the whole
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


def prescribed_by(db: Database, kind: str) -> str | None:
    """Return the code of the township whose config package prescribed the preset of `kind` in this
    database (app.preset_store.apply_township_presets), or None when the database chooses its own."""
    return get_meta(db, f"preset_township.{kind}")


def require_not_prescribed(db: Database, actor: Actor, kind: str) -> None:
    """Raise PermissionDenied when the township prescribed the preset of `kind` and the actor is not
    a township administrator: a school sees the township's preset but cannot change it."""
    township = prescribed_by(db, kind)
    if township and actor.role != "township_admin":
        raise PermissionDenied(f"“{KIND_NAMES.get(kind, kind)}”由乡镇({township})统一下发,学校不能修改或更换;"
                               "如需调整请与乡镇中心校联系。")


def _next_version(current: Preset, content: dict) -> dict:
    """Return `content` numbered as the next version of `current` when it differs from it (a changed
    preset is a new version), else numbered as `current`."""
    same = {**content, "version": current.version} == {**current.content, "version": current.version}
    return {**content, "version": current.version if same else current.version + 1}


def write_setting(db: Database, actor: Actor, kind: str, content: dict, school_id: str | None,
                  origin: str | None = None) -> None:
    """Write the copy of rule set `kind` in force for `school_id` (or the database) as it is, within
    the caller's transaction; audited. `origin` is the township code of a prescribed preset."""
    values = {"kind": kind, "school_id": school_id, "preset_id": content["id"], "version": int(content["version"]),
              "content": canonical_json(content), "content_hash": content_hash(content), "origin": origin}
    existing = db.execute("SELECT id FROM preset_setting WHERE kind = ? AND IFNULL(school_id, '') = IFNULL(?, '')",
                          [kind, school_id]).fetchone()
    if existing:
        update_row(db, actor, "preset_setting", existing[0], values)
    else:
        insert_row(db, actor, "preset_setting", values)


def store(db: Database, actor: Actor, kind: str, content: dict, school_id: str | None = None) -> Preset:
    """Save an adjusted copy of the rule set of `kind` (already validated by its owner module) for
    `school_id` or the database, as the next version of the copy in force when it differs from it;
    audited. Returns the preset now in force.
    Raises PermissionDenied (also when the township prescribed this kind)."""
    require_settings_write(db, actor, school_id)
    require_not_prescribed(db, actor, kind)
    base = shipped(kind)
    content = _next_version(effective(db, kind, school_id), {**content, "id": content.get("id", base["id"])})
    with db.atomic():
        write_setting(db, actor, kind, content, school_id)
    return effective(db, kind, school_id)


def reset(db: Database, actor: Actor, kind: str, school_id: str | None = None) -> bool:
    """Remove the adjusted copy of `kind` for `school_id` (or the database), so the next broader one
    applies again; audited. Returns whether there was one. Raises PermissionDenied (also when the
    township prescribed this kind)."""
    require_settings_write(db, actor, school_id)
    require_not_prescribed(db, actor, kind)
    existing = db.execute("SELECT id FROM preset_setting WHERE kind = ? AND IFNULL(school_id, '') = IFNULL(?, '')",
                          [kind, school_id]).fetchone()
    if not existing:
        return False
    with db.atomic():
        delete_row(db, actor, "preset_setting", existing[0])
    return True
