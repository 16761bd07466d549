"""Scoring presets: weights and thresholds as data, each with an id and a content hash.

Shipped presets live in resources/presets/scoring/*.json and are read-only. Copies, edits and the
choice of the preset in force go through app.preset_store like every other kind; this module reads
them (the choice is meta 'scoring_preset.<kind>') and checks a scoring preset's content (`validate`).
"""
from __future__ import annotations

import json
from functools import lru_cache

from sqlite_utils import Database

from app.errors import NotFound, Problem, invalid
from app.paths import resource_path
from app.preset_fields import FIELDS
from app.presets import Preset, make_preset
from app.services.schools import get_meta

# The items a teacher-appraisal preset may weigh (app.stats.appraisal.ITEMS).
ITEM_KEYS = ("routine", "observation", "quality", "workload", "self", "peers", "leaders", "pupils", "parents")

KINDS = {
    "quality": "三率一分与质量分析阈值",
    "teacher_composite": "教师教学业绩得分",
    "township_subject": "乡镇单科成绩",
    "central_school": "中心小学得分",
    "school_evaluation": "学校教学质量评估(240 分)",
    "teacher_appraisal": "教师年度考核",
}
DEFAULTS = {
    "quality": "sanlv-yifen-default",
    "teacher_composite": "teacher-000-17",
    "township_subject": "township-000-7",
    "central_school": "central-000-20",
    "school_evaluation": "evaluation-000-10",
    "teacher_appraisal": "appraisal-000-16",
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


# The fields every preset of a kind must hold, with their ranges (app.preset_fields); weights sum to 1.
_RANGES = {kind: [(f.pattern, f.low, f.high, f.integer, f.optional) for f in FIELDS[kind]
                  if "*" not in f.pattern and not f.choices] for kind in KINDS}
_SUMS = {"quality": ["composite"], "teacher_composite": ["weights"], "township_subject": ["weights"],
         "central_school": ["weights"], "school_evaluation": [],
         "teacher_appraisal": ["weights"]}
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
    for path, low, high, integer, optional in _RANGES[kind]:
        try:
            value = _lookup(content, path)
        except (KeyError, IndexError, TypeError):
            if not optional:
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
        if content.get("responsibility_letters", "school") not in ("school", "teacher"):
            problems.append(Problem("责任书签到哪一级只能是 school(只与学校)或 teacher(也与教师)。",
                                    field="responsibility_letters"))
        if not isinstance(content.get("autumn_roster_types", []), list):
            problems.append(Problem("按秋季入学名册统计的考试类型应为一个列表。", field="autumn_roster_types"))
    if kind == "central_school" and isinstance(content.get("annual"), dict):
        annual = content["annual"]
        for group, label in (("weights", "年度考核三项权重"), ("satisfaction_raters", "满意度两类测评主体的权重")):
            values = list(annual.get(group, {}).values())
            if values and abs(sum(values) - 1) > 1e-6:
                problems.append(Problem(f"{label}之和应为 100%,现在是 {sum(values) * 100:g}%。", field=f"annual.{group}"))
    if kind == "teacher_appraisal" and not set(content.get("weights", {})) & set(ITEM_KEYS):
        problems.append(Problem("教师年度考核方案至少要给一个考核项目权重。", field="weights"))
    if kind == "school_evaluation":
        for part, full in content.get("parts", {}).items():
            total = sum(i.get("max", 0) for i in content.get("items", []) if i.get("part") == part)
            if total > full + 1e-9:
                problems.append(Problem(f"{part}评估各项目满分之和 {total:g} 超过了 {full:g} 分。", field="items"))
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
