"""The one preset store: every preset of every kind, listed, shown, copied, edited and put in force the
same way (the CLI `schoolq preset …` and the GUI's 评分与规则方案 page call these functions).

Kinds: the scoring kinds of app.stats.presets (三率一分 with the exam limits, 篇17 teacher score, 篇7
township score, 篇20 central school), the rule sets of app.presets (timetable, workload,
observation, routine, records) and the curriculum plans (app.timetable.plans). Shipped presets are
read-only; a named copy lives in table scoring_preset
(any kind), and editing a copy makes it the next version (the version is part of its content, so
its hash changes too). The preset in force is, for a scoring kind, the choice in meta; for a rule
set, the database's copy in preset_setting (app.presets.effective), so putting a rule-set copy in
force writes its content there.

A curriculum plan is kept per school, line by line (课表 → 课程计划, app.timetable.plans): the store
lists the shipped plans and every school's own copy (with the hash of what it holds now) and
shows them, but copying, editing and putting one in force happen there, per school.

A township's config package carries its copies and the preset in force of every kind down
(`township_presets`, `apply_township_presets`); the school then shows them as the township's and
refuses to edit them or put another of that kind in force (app.presets.require_not_prescribed).
"""
from __future__ import annotations

import copy as copying
import json
from dataclasses import dataclass, replace

from sqlite_utils import Database

from app.db.writes import Actor, delete_row, insert_row, new_id, update_row
from app.errors import NotFound, PermissionDenied, Problem, ValidationError, invalid
from app.preset_names import display_name
from app.preset_fields import editable_fields, field_of, label_of, parse_value
from app.presets import (CURRICULUM, DEFAULT_CURRICULUM, FILES, KIND_NAMES, Preset, canonical_json, content_hash,
                         effective, make_preset, prescribed_by, require_not_prescribed, shipped, shipped_curricula,
                         write_setting)
from app.services.schools import get_meta, set_meta
from app.stats import presets as scoring

RULE_KINDS = tuple(FILES)
ALL_KINDS = {**scoring.KINDS, **KIND_NAMES, CURRICULUM: "课程计划"}
ORIGIN_NAMES = {"shipped": "程序自带", "own": "本库", "township": "乡镇下发"}


@dataclass(frozen=True)
class Entry:
    """A preset as listed: the Preset, where it comes from (shipped, own — made in this database —
    or township, with the township's code), whether it is in force, and for the preset in force of a
    kind the township prescribed, that township's code."""

    preset: Preset
    origin: str
    township: str | None
    active: bool
    prescribed_by: str | None = None

    def to_dict(self) -> dict:
        """Return the entry as plain data: id, kind, kind_name, name, version, hash, source, origin,
        township, active, prescribed_by, based_on."""
        p = self.preset
        return {"id": p.id, "kind": p.kind, "kind_name": ALL_KINDS[p.kind], "name": p.name, "version": p.version,
                "hash": p.hash, "source": p.content.get("source", ""), "origin": self.origin,
                "township": self.township, "active": self.active,
                "prescribed_by": self.prescribed_by, "based_on": p.content.get("based_on")}


def _shipped_of(kind: str) -> list[Preset]:
    if kind == CURRICULUM:
        return shipped_curricula()
    if kind in RULE_KINDS:
        return [make_preset(shipped(kind), kind)]
    return [p for p in scoring.shipped_presets() if p.kind == kind]


def _copies(db: Database, kind: str | None = None) -> list[tuple[Preset, str | None]]:
    rows = db.query("SELECT kind, content, origin FROM scoring_preset WHERE ? IS NULL OR kind = ? ORDER BY name",
                    [kind, kind])
    return [(make_preset(json.loads(r["content"]), r["kind"], scope="database"), r["origin"]) for r in rows]


def _school_curricula(db: Database) -> list[Preset]:
    """Return the schools' own curriculum plans, each as a preset named with its school."""
    from app.timetable.plans import school_plans

    names = dict(db.execute("SELECT id, name FROM school").fetchall())
    own = [plan for plan in school_plans(db, list(names)).values() if plan.plan_id]
    return [replace(plan.preset(), name=f"{plan.name}({names[plan.school_id]})")
            for plan in sorted(own, key=lambda p: names[p.school_id])]


def _own_school_curriculum(db: Database) -> Preset | None:
    """Return a school database's own curriculum plan, None elsewhere or when it follows a shipped one."""
    from app.timetable.plans import school_plan

    code = get_meta(db, "school_code") if get_meta(db, "kind", "school") == "school" else None
    row = db.execute("SELECT id, name FROM school WHERE code = ?", [code]).fetchone() if code else None
    plan = school_plan(db, row[0]) if row else None
    return replace(plan.preset(), name=f"{plan.name}({row[1]})") if plan is not None and plan.plan_id else None


def active(db: Database, kind: str) -> Preset:
    """Return the preset of `kind` in force for the database (curriculum: a school database's own
    plan, else the default shipped plan). Raises KeyError for an unknown kind."""
    if kind == CURRICULUM:
        return _own_school_curriculum(db) or next(p for p in shipped_curricula() if p.id == DEFAULT_CURRICULUM)
    if kind in RULE_KINDS:
        return effective(db, kind)
    if kind not in scoring.KINDS:
        raise KeyError(kind)
    return scoring.active_preset(db, kind)


def catalogue(db: Database, kind: str | None = None) -> list[Entry]:
    """Return every preset (of `kind`, or all), kind by kind: the shipped ones, the database's named
    copies and, for a rule set, the copy in force when it is neither (an adjustment saved on a
    settings page). Each says whether it is in force and whether the township brought it."""
    out = []
    for each in ALL_KINDS if kind is None else [kind]:
        if each not in ALL_KINDS:
            raise invalid(f"没有“{each}”这类方案。可选:{'、'.join(ALL_KINDS)}。", "kind")
        current = active(db, each)
        township = prescribed_by(db, each)
        listed = [(p, None) for p in _shipped_of(each)] + _copies(db, each)
        if each == CURRICULUM:
            listed = [(p, None) for p in _shipped_of(each) + _school_curricula(db)]
        if each in RULE_KINDS and not any(p.hash == current.hash for p, _ in listed):
            row = db.execute("SELECT origin FROM preset_setting WHERE kind = ? AND school_id IS NULL", [each]).fetchone()
            listed.append((current, row[0] if row else None))
        for preset, origin in listed:
            where = "shipped" if preset.shipped else ("township" if origin else "own")
            in_force = preset.id == current.id and preset.hash == current.hash or preset.scope == "school"
            out.append(Entry(preset, where, origin, in_force, township if in_force else None))
    return out


def find(db: Database, preset_id: str) -> Entry:
    """Return the listed preset with `preset_id` ('id' or 'id@version'; the one in force first when
    several versions share an id). Raises NotFound."""
    wanted, _, version = preset_id.partition("@")
    matches = [e for e in catalogue(db) if e.preset.id == wanted and (not version or str(e.preset.version) == version)]
    if not matches:
        raise NotFound(f"找不到方案“{preset_id}”。请用 schoolq preset list 查看现有方案。")
    return sorted(matches, key=lambda e: not e.active)[0]


def _require_admin(actor: Actor) -> None:
    if actor.role not in ("township_admin", "school_admin"):
        raise PermissionDenied("只有管理员可以修改评分与规则方案。")


def _require_not_curriculum(preset: Preset) -> None:
    if preset.kind == CURRICULUM:
        raise invalid("课程计划按学校调整:请在“课表”页点“课程计划…”,从预设复制本校课程计划后逐行修改。", "preset")


def _name_taken(db: Database, name: str, other_than: str | None = None) -> bool:
    if db.execute("SELECT 1 FROM scoring_preset WHERE name = ? AND id != IFNULL(?, '')", [name, other_than]).fetchone():
        return True
    return any(p.name == name for kind in ALL_KINDS for p in _shipped_of(kind))


def copy_preset(db: Database, actor: Actor, preset_id: str, name: str) -> Preset:
    """Copy a preset into the database under a new id and `name` as its version 1 (the source text
    and the copied preset's id and hash kept); return the copy.

    Raises NotFound, PermissionDenied, ValidationError (empty or duplicate name).
    """
    _require_admin(actor)
    source = find(db, preset_id).preset
    _require_not_curriculum(source)
    name = (name or "").strip()
    if not name:
        raise invalid("请为新的方案起一个名称。", "name")
    if _name_taken(db, name):
        raise invalid(f"已有名为“{name}”的方案。", "name")
    content = copying.deepcopy(source.content)
    content.update({"id": new_id(), "kind": source.kind, "name": name, "version": 1, "based_on": source.id,
                    "based_on_hash": source.hash})
    with db.atomic():
        insert_row(db, actor, "scoring_preset", {
            "id": content["id"], "name": name, "kind": source.kind, "based_on": source.id, "version": 1,
            "based_on_hash": source.hash, "content": canonical_json(content), "content_hash": content_hash(content)})
    return make_preset(content, source.kind, scope="database")


def _set(content: dict, kind: str, path: str, value: object) -> Problem | None:
    """Set one editable field of `content` to `value`; return the problem instead when it is not one
    or the value does not fit."""
    field = field_of(kind, path)
    node: object = content
    parts = path.split(".")
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
        key: object = int(parts[-1]) if isinstance(node, list) else parts[-1]
        current = node[key]  # type: ignore[index]
    except (KeyError, IndexError, ValueError, TypeError):
        field = None
    if field is None:
        return Problem(f"“{path}”不是这个方案中可以修改的项目。", field=path)
    parsed, reason = parse_value(field, value, label_of(kind, content, path))
    if reason:
        return Problem(reason, field=path)
    if isinstance(parsed, float) and isinstance(current, int) and parsed.is_integer():
        parsed = int(parsed)
    node[key] = parsed  # type: ignore[index]
    return None


def _kind_problems(db: Database, kind: str, content: dict) -> list[Problem]:
    if kind in scoring.KINDS:
        return scoring.validate(content)
    if kind == "workload":
        from app.workload.settings import workload_problems
        return workload_problems(content, {r[0] for r in db.execute("SELECT code FROM subject")})
    return []


def edit_preset(db: Database, actor: Actor, preset_id: str, changes: dict[str, object]) -> Preset:
    """Change fields of a copy held in the database; the copy becomes its next version (and, when it
    is in force, the new version is in force). Returns the edited preset.

    `changes` maps a field's dotted path (app.preset_fields) to its new value, e.g.
    {"composite.mean": 0.5, "bands.0.bonus": 22, "school_comparison": "none"}, or "name" to rename.
    All changes are checked together, so weights may move between items as long as they still sum
    to 1. Raises NotFound, PermissionDenied (not an administrator; a copy or kind the township
    prescribed), ValidationError (shipped preset, not an editable field, out of range, weights not
    summing to 1; nothing written).
    """
    _require_admin(actor)
    entry = find(db, preset_id)
    preset = entry.preset
    _require_not_curriculum(preset)
    if preset.shipped:
        raise invalid(f"“{display_name(preset.name)}”是程序自带的方案,不能修改;请先复制一份再改。", "preset")
    if entry.origin == "township" and actor.role != "township_admin":
        raise PermissionDenied(f"“{preset.name}”是乡镇({entry.township})下发的方案,学校不能修改;可以复制一份自己的。")
    stored = db.execute("SELECT id FROM scoring_preset WHERE id = ?", [preset.id]).fetchone()
    if not stored:
        raise invalid(f"“{preset.name}”是在设置页面调整后生效的规则,请在原页面修改,或复制一份再改。", "preset")
    content = copying.deepcopy(preset.content)
    problems: list[Problem] = []
    for path, value in changes.items():
        if path == "name":
            name = str(value or "").strip()
            if not name or _name_taken(db, name, preset.id):
                problems.append(Problem(f"方案名称“{name}”为空或已被使用。", field="name"))
            content["name"] = name
            continue
        problem = _set(content, preset.kind, path, value)
        if problem:
            problems.append(problem)
    problems = problems or _kind_problems(db, preset.kind, content)
    if problems:
        raise ValidationError(problems)
    if content == preset.content:
        return preset
    content["version"] = preset.version + 1
    with db.atomic():
        update_row(db, actor, "scoring_preset", preset.id, {
            "name": content["name"], "version": content["version"], "content": canonical_json(content),
            "content_hash": content_hash(content)})
        if entry.active and preset.kind in RULE_KINDS:
            write_setting(db, actor, preset.kind, content, None)
    return make_preset(content, preset.kind, scope="database")


def edit_from_content(db: Database, actor: Actor, preset_id: str, content: dict) -> Preset:
    """Edit a copy from a whole content given back (the JSON `preset show --json` printed, changed):
    every editable field that differs is a change, any other difference is refused. Returns the
    edited preset. Raises what edit_preset raises, and ValidationError for changed fixed parts."""
    preset = find(db, preset_id).preset
    given = content.get("content", content) if isinstance(content, dict) else None
    if not isinstance(given, dict):
        raise invalid("JSON 应是一个方案的内容(schoolq preset show --json 的输出)。", "content")
    changes: dict[str, object] = {}
    if given.get("name", preset.name) != preset.name:
        changes["name"] = given["name"]
    editable = {path for path, _, _ in editable_fields(preset.kind, preset.content)}
    rest_given, rest_now = copying.deepcopy(given), copying.deepcopy(preset.content)
    for path in editable:
        try:
            new = _pop(rest_given, path)
        except (KeyError, IndexError, ValueError, TypeError):
            raise invalid(f"JSON 中缺少“{path}”。", path) from None
        if new != _pop(rest_now, path):
            changes[path] = new
    for volatile in ("name", "version", "id"):
        rest_given.pop(volatile, None)
        rest_now.pop(volatile, None)
    if rest_given != rest_now:
        differ = sorted(k for k in set(rest_given) | set(rest_now) if rest_given.get(k) != rest_now.get(k))
        raise invalid(f"JSON 改动了不能修改的部分:{'、'.join(differ)}。只能改数值、选项和名称。", differ[0])
    return edit_preset(db, actor, preset_id, changes)


def _pop(content: dict, path: str) -> object:
    """Return the value at `path` and put a marker in its place (so what is left can be compared)."""
    node: object = content
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    key: object = int(parts[-1]) if isinstance(node, list) else parts[-1]
    value = node[key]  # type: ignore[index]
    node[key] = None  # type: ignore[index]
    return value


def activate(db: Database, actor: Actor, preset_id: str) -> Preset:
    """Put the preset `preset_id` in force for its kind (a shipped rule set: remove the database's
    adjusted copy); audited. Returns the preset now in force.

    Raises NotFound, PermissionDenied (not an administrator; the township prescribed this kind).
    """
    _require_admin(actor)
    preset = find(db, preset_id).preset
    _require_not_curriculum(preset)
    require_not_prescribed(db, actor, preset.kind)
    with db.atomic():
        if preset.kind in scoring.KINDS:
            set_meta(db, actor, f"scoring_preset.{preset.kind}", preset.id)
        elif preset.shipped:
            row = db.execute("SELECT id FROM preset_setting WHERE kind = ? AND school_id IS NULL",
                             [preset.kind]).fetchone()
            if row:
                delete_row(db, actor, "preset_setting", row[0])
        else:
            write_setting(db, actor, preset.kind, preset.content, None)
    return active(db, preset.kind)


def township_presets(db: Database) -> dict:
    """Return what a township's config package carries of its presets: every named copy (`copies`,
    rows of scoring_preset) and the preset in force of every kind (`active`: kind, id, version,
    hash and the whole content) but the curriculum, whose plans the package carries per school."""
    copies = [{k: v for k, v in dict(r).items() if k not in ("created_at", "updated_at")}
              for r in db.query("SELECT * FROM scoring_preset ORDER BY name")]
    chosen = []
    for kind in ALL_KINDS:
        if kind == CURRICULUM:
            continue
        preset = active(db, kind)
        chosen.append({"kind": kind, "id": preset.id, "version": preset.version, "hash": preset.hash,
                       "content": preset.content})
    return {"copies": copies, "active": chosen}


def apply_township_presets(db: Database, actor: Actor, carried: dict, township_code: str) -> dict:
    """Bring a township's presets into a school database within the caller's transaction: its copies
    (marked as the township's), and for every kind the township's preset in force, prescribed (the
    school's own adjustments of that kind give way, and the school can no longer change it).
    Returns {"added", "changed", "prescribed"} counts.

    Raises ValidationError when a preset's content does not match its hash or is not usable.
    """
    added = changed = 0
    for row in carried.get("copies", []):
        content = json.loads(row["content"])
        if content_hash(content) != row["content_hash"]:
            raise invalid(f"配置包中的方案“{row['name']}”内容与校验码不符。", "content")
        values = {"name": row["name"], "kind": row["kind"], "based_on": row["based_on"],
                  "based_on_hash": row["based_on_hash"], "version": int(row.get("version") or 1),
                  "content": row["content"], "content_hash": row["content_hash"], "origin": township_code}
        if db.execute("SELECT 1 FROM scoring_preset WHERE id = ?", [row["id"]]).fetchone():
            changed += bool(update_row(db, actor, "scoring_preset", row["id"], values))
            continue
        clash = db.execute("SELECT id FROM scoring_preset WHERE name = ?", [row["name"]]).fetchone()
        if clash:
            update_row(db, actor, "scoring_preset", clash[0], {"name": f"{row['name']}(本校)"})
        insert_row(db, actor, "scoring_preset", {"id": row["id"], **values})
        added += 1
    prescribed = 0
    for chosen in carried.get("active", []):
        kind, content = chosen["kind"], chosen["content"]
        if kind not in ALL_KINDS or content_hash(content) != chosen["hash"]:
            raise invalid(f"配置包中指定的“{ALL_KINDS.get(kind, kind)}”方案内容与校验码不符。", "content")
        if kind in scoring.KINDS:
            problems = scoring.validate(content)
            if problems:
                raise ValidationError(problems)
            set_meta(db, actor, f"scoring_preset.{kind}", chosen["id"])
        else:
            write_setting(db, actor, kind, content, None, origin=township_code)
            for row in db.query("SELECT id FROM preset_setting WHERE kind = ? AND school_id IS NOT NULL", [kind]):
                delete_row(db, actor, "preset_setting", row["id"])
        set_meta(db, actor, f"preset_township.{kind}", township_code)
        prescribed += 1
    return {"added": added, "changed": changed, "prescribed": prescribed}
