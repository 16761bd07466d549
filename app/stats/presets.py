"""Scoring presets: weights and thresholds as data, each with an id and a content hash.

Shipped presets live in resources/presets/scoring/*.json and are read-only. A user copies one into
the database (table scoring_preset) and edits its numbers there; the copy's id is the new row id.
Each is an app.presets.Preset, hashed by app.presets.content_hash like every other preset.
"""
from __future__ import annotations

import copy
import json
import math
from functools import lru_cache

from sqlite_utils import Database

from app.db.writes import Actor, insert_row, new_id, update_row
from app.errors import NotFound, PermissionDenied, Problem, ValidationError, invalid
from app.paths import resource_path
from app.presets import Preset, canonical_json, content_hash, make_preset
from app.services.schools import get_meta, set_meta

KINDS = {
    "quality": "三率一分与质量分析阈值",
    "teacher_composite": "教师教学业绩得分",
    "township_subject": "乡镇单科成绩",
    "central_school": "中心小学得分",
}
DEFAULTS = {
    "quality": "sanlv-yifen-default",
    "teacher_composite": "teacher-000-17",
    "township_subject": "township-000-7",
    "central_school": "central-000-20",
}


def _make(content: dict, shipped: bool) -> Preset:
    return make_preset(content, scope="shipped" if shipped else "database")


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Preset]:
    out = {}
    for path in sorted(resource_path("presets", "scoring").glob("*.json")):
        content = json.loads(path.read_text(encoding="utf-8"))
        problems = validate(content)
        if problems:
            raise ValueError(f"{path.name}: {'; '.join(p.message for p in problems)}")
        out[content["id"]] = _make(content, shipped=True)
    return out


def shipped_presets() -> list[Preset]:
    """Return the presets shipped with the program (read-only), ordered by kind then id."""
    return sorted(_shipped().values(), key=lambda p: (list(KINDS).index(p.kind), p.id))


def list_presets(db: Database, kind: str | None = None) -> list[Preset]:
    """Return shipped presets followed by the database's own copies (of one kind if given)."""
    own = [_make(json.loads(r["content"]), shipped=False)
           for r in db.query("SELECT content FROM scoring_preset ORDER BY name")]
    return [p for p in [*shipped_presets(), *own] if kind is None or p.kind == kind]


def get_preset(db: Database | None, preset_id: str) -> Preset:
    """Return the preset with `preset_id` (shipped, or a copy in `db`). Raises NotFound."""
    if preset_id in _shipped():
        return _shipped()[preset_id]
    if db is not None:
        row = db.execute("SELECT content FROM scoring_preset WHERE id = ?", [preset_id]).fetchone()
        if row:
            return _make(json.loads(row[0]), shipped=False)
    raise NotFound(f"找不到评分方案“{preset_id}”。")


def active_preset(db: Database | None, kind: str) -> Preset:
    """Return the preset of `kind` in use in `db` (its choice in meta, else the shipped default).

    Raises ValueError for an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    chosen = get_meta(db, f"scoring_preset.{kind}") if db is not None else None
    if chosen:
        try:
            return get_preset(db, chosen)
        except NotFound:
            pass
    return _shipped()[DEFAULTS[kind]]


def resolve(db: Database | None, kind: str, preset: Preset | str | None) -> Preset:
    """Return `preset` itself, the preset with that id, or the active preset of `kind`.

    Raises NotFound for an unknown id, ValidationError when the preset is of another kind.
    """
    if preset is None:
        return active_preset(db, kind)
    found = preset if isinstance(preset, Preset) else get_preset(db, preset)
    if found.kind != kind:
        raise invalid(f"评分方案“{found.name}”是“{KINDS[found.kind]}”,这里需要“{KINDS[kind]}”。", "preset")
    return found


def _require_preset_admin(actor: Actor) -> None:
    if actor.role not in ("township_admin", "school_admin"):
        raise PermissionDenied("只有管理员可以修改评分方案。")


def set_active_preset(db: Database, actor: Actor, preset_id: str) -> Preset:
    """Make `preset_id` the preset in use for its kind; return it.

    Raises NotFound, PermissionDenied.
    """
    _require_preset_admin(actor)
    preset = get_preset(db, preset_id)
    with db.atomic():
        set_meta(db, actor, f"scoring_preset.{preset.kind}", preset.id)
    return preset


def copy_preset(db: Database, actor: Actor, preset_id: str, name: str) -> Preset:
    """Copy a preset into the database under a new id and `name`; return the copy.

    Raises NotFound, PermissionDenied, ValidationError (empty or duplicate name).
    """
    _require_preset_admin(actor)
    source = get_preset(db, preset_id)
    name = (name or "").strip()
    if not name:
        raise invalid("请为新的评分方案起一个名称。", "name")
    if db.execute("SELECT 1 FROM scoring_preset WHERE name = ?", [name]).fetchone() or \
            any(p.name == name for p in shipped_presets()):
        raise invalid(f"已有名为“{name}”的评分方案。", "name")
    content = copy.deepcopy(source.content)
    content.update({"id": new_id(), "name": name, "based_on": source.id, "based_on_hash": source.hash})
    with db.atomic():
        insert_row(db, actor, "scoring_preset", {
            "id": content["id"], "name": name, "kind": source.kind, "based_on": source.id,
            "based_on_hash": source.hash, "content": canonical_json(content), "content_hash": content_hash(content)})
    return _make(content, shipped=False)


def edit_preset(db: Database, actor: Actor, preset_id: str, changes: dict[str, object]) -> Preset:
    """Change numbers of a preset copied into the database; return the edited preset.

    `changes` maps a dotted path to a new number, e.g. {"composite.mean": 0.5, "bands.0.bonus": 22}
    (also "name" to rename, and the choices of CHOICES, e.g. {"school_comparison": "none"}). All changes are checked together, so weights may be moved between
    items as long as they still sum to 1. Raises NotFound, PermissionDenied, ValidationError
    (shipped preset, unknown path, not a number, out of range, weights not summing to 1).
    """
    _require_preset_admin(actor)
    preset = get_preset(db, preset_id)
    if preset.shipped:
        raise invalid(f"“{preset.name}”是程序自带的方案,不能修改;请先复制一份再改。", "preset")
    content = copy.deepcopy(preset.content)
    problems: list[Problem] = []
    for path, value in changes.items():
        if path == "name":
            new_name = str(value or "").strip()
            if not new_name:
                problems.append(Problem("方案名称不能为空。", field="name"))
            elif db.execute("SELECT 1 FROM scoring_preset WHERE name = ? AND id != ?", [new_name, preset.id]).fetchone():
                problems.append(Problem(f"已有名为“{new_name}”的评分方案。", field="name"))
            content["name"] = new_name
            continue
        if path in CHOICES:
            if CHOICES[path][1] != content["kind"]:
                problems.append(Problem(f"方案中没有“{path}”这一项。", field=path))
            content[path] = str(value)
            continue
        problems += _set_number(content, path, value)
    if not problems:
        problems = validate(content)
    if problems:
        raise ValidationError(problems)
    with db.atomic():
        update_row(db, actor, "scoring_preset", preset.id, {
            "name": content["name"], "content": canonical_json(content), "content_hash": content_hash(content)})
    return _make(content, shipped=False)


# Settings of a preset that are a choice among words, not a number: key -> (choices, preset kind).
CHOICES = {"school_comparison": (("none", "groups", "one_list"), "quality"),
           "band_scope": (("school", "township"), "teacher_composite"),
           "mean_term": (("points", "percent"), "teacher_composite")}
_FIXED = {"id", "version", "kind", "source", "based_on", "based_on_hash", "note", "name", "denominator",
          "grades", "subjects", "stages", "rank_groups", "policy_by_exam_type", "autumn_roster_types",
          "school_comparison", "band_scope", "mean_term", "graded_subjects",
          "policy_names"}


def _set_number(content: dict, path: str, value: object) -> list[Problem]:
    parts = path.split(".")
    if parts[0] in _FIXED or parts[-1] in _FIXED:
        return [Problem(f"“{path}”不是可以修改的数值。", field=path)]
    node: object = content
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return [Problem(f"方案中没有“{path}”这一项。", field=path)]
    last = parts[-1]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        key: object = int(last)
    elif isinstance(node, dict) and last in node:
        key = last
    else:
        return [Problem(f"方案中没有“{path}”这一项。", field=path)]
    current = node[key]  # type: ignore[index, call-overload]
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        return [Problem(f"“{path}”不是可以修改的数值。", field=path)]
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return [Problem(f"“{path}”应为数字,“{value}”不是数字。", field=path)]
    if not math.isfinite(number):
        return [Problem(f"“{path}”应为有限的数字。", field=path)]
    node[key] = int(number) if isinstance(current, int) and number.is_integer() else number  # type: ignore[index, call-overload]
    return []


# (dotted path, minimum, maximum, must be an integer) per kind; lists of weights must sum to 1.
_RANGES: dict[str, list[tuple[str, float, float, bool]]] = {
    "quality": [("composite.mean", 0, 1, False), ("composite.pass_rate", 0, 1, False),
                ("composite.excellent_rate", 0, 1, False), ("composite.not_low_rate", 0, 1, False),
                ("good_pct", 1, 100, False), ("min_group_size", 1, 1000, True),
                ("borderline_margin_pct", 0.5, 50, False), ("struggling_min_subjects", 1, 9, True),
                ("movers_count", 1, 1000, True), ("balance.mean_spread_pct", 0.1, 100, False),
                ("balance.sd_spread_pct", 0.1, 100, False)],
    "teacher_composite": [("weights.mean", 0, 1, False), ("weights.excellent_rate", 0, 1, False),
                          ("weights.pass_rate", 0, 1, False), ("multi_weight", 1, 2, False),
                          ("multi_main_subjects", 2, 9, True)],
    "township_subject": [("weights.retention", 0, 1, False), ("weights.mean", 0, 1, False),
                         ("weights.excellent_rate", 0, 1, False), ("weights.top_n", 0, 1, False),
                         ("top_n", 1, 100000, True), ("reward_top_fraction", 0.01, 1, False),
                         ("subject_margin", 0, 100, False), ("school_margin", 0, 1000, False)],
    "central_school": [("weights.central", 0, 1, False), ("weights.villages", 0, 1, False)],
}
_SUMS = {"quality": ["composite"], "teacher_composite": ["weights"], "township_subject": ["weights"],
         "central_school": ["weights"]}
_LABELS = {"composite": "三率一分权重", "weights": "各项权重"}


def _lookup(content: dict, path: str) -> object:
    node: object = content
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    return node


def validate(content: dict) -> list[Problem]:
    """Return the problems of a preset's content (empty when it is usable)."""
    kind = content.get("kind")
    if kind not in KINDS:
        return [Problem(f"未知的方案类型“{kind}”。", field="kind")]
    if not content.get("id") or not content.get("name"):
        return [Problem("方案缺少 id 或名称。", field="id")]
    problems = []
    for path, low, high, integer in _RANGES[kind]:
        try:
            value = _lookup(content, path)
        except (KeyError, IndexError, TypeError):
            problems.append(Problem(f"方案缺少“{path}”。", field=path))
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high \
                or (integer and float(value) != int(value)):
            kind_text = "整数" if integer else "数"
            problems.append(Problem(f"“{path}”应为 {low:g} 到 {high:g} 之间的{kind_text},现在是 {value}。", field=path))
    for group in _SUMS[kind]:
        weights = [v for k, v in content.get(group, {}).items() if k != "note"]
        if weights and all(isinstance(v, (int, float)) for v in weights) and abs(sum(weights) - 1) > 1e-6:
            problems.append(Problem(f"{_LABELS[group]}之和应为 100%,现在是 {sum(weights) * 100:g}%。", field=group))
    if kind == "quality":
        chosen = {k: v for k, v in content.get("policy_by_exam_type", {}).items() if k != "note"}
        if any(v not in ("sat", "roster") for v in chosen.values()):
            problems.append(Problem("各考试类型的统计口径只能是 sat(实考)或 roster(应考)。", field="policy_by_exam_type"))
        if content.get("school_comparison", "groups") not in ("none", "groups", "one_list"):
            problems.append(Problem("学校之间的比较只能是 none(不排名)、groups(分组排名)或 one_list(一起排名)。",
                                    field="school_comparison"))
        if not isinstance(content.get("autumn_roster_types", []), list):
            problems.append(Problem("按秋季入学名册统计的考试类型应为一个列表。", field="autumn_roster_types"))
    if kind == "teacher_composite":
        bands = content.get("bands", [])
        if not bands or abs(sum(b.get("share", 0) for b in bands) - 1) > 1e-6:
            problems.append(Problem("A/B/C 各档比例之和应为 100%。", field="bands"))
        for i, band in enumerate(bands):
            if not 0 <= band.get("share", -1) <= 1 or not 0 <= band.get("bonus", -1) <= 100:
                problems.append(Problem(f"第 {i + 1} 档的比例应在 0-1 之间,加分应在 0-100 之间。", field=f"bands.{i}"))
        if content.get("mean_term", "points") not in ("points", "percent"):
            problems.append(Problem("平均分一项只能取 points(原始平均分)或 percent(占满分的百分比)。", field="mean_term"))
        if content.get("band_scope", "school") not in ("school", "township"):
            problems.append(Problem("A/B/C 档的划分范围只能是 school(本校)或 township(全乡镇)。", field="band_scope"))
        counts = content.get("multi_class_counts", {})
        if any(not isinstance(v, int) or v < 1 for v in counts.values()):
            problems.append(Problem("各学科计权重的班级数应为正整数。", field="multi_class_counts"))
    return problems
