"""The one table of figure names: key, Chinese label, unit, format and whether it may carry a rank.

The GUI, the CLI, the PDFs and the workbooks take their column titles and number formats from here,
so the same figure has the same name everywhere (名册 / 有成绩 / 缺考, 统计人数, 综合分, 名次 …).
Formats are those of app.reports.model: int (a count), num (one decimal), num2 (two decimals), pct
(a fraction shown as a percentage), signed / signed2 (with a sign), text.

Also here, once: the words for the two denominator bases and the value-added verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.stats.presets import Preset, active_preset


@dataclass(frozen=True)
class Figure:
    """One figure: its record key, Chinese label, unit ('人', '分', '%', ''), format and whether a
    group may be ranked on it."""

    key: str
    label: str
    unit: str
    format: str
    rankable: bool = False


_TABLE = [
    Figure("n_roster", "名册", "人", "int"),
    Figure("n_sat", "有成绩", "人", "int"),
    Figure("n_absent", "缺考", "人", "int"),
    Figure("n_missing", "未上表", "人", "int"),
    Figure("n_exempt", "免考", "人", "int"),
    Figure("n_cheat", "作弊", "人", "int"),
    Figure("n", "统计人数", "人", "int"),
    Figure("roster_counts", "名册/有成绩/缺考", "人", "text"),
    Figure("total", "总分", "分", "num"),
    Figure("mean", "平均分", "分", "num", rankable=True),
    Figure("sd", "标准差", "分", "num"),
    Figure("median", "中位数", "分", "num"),
    Figure("max", "最高分", "分", "num"),
    Figure("min", "最低分", "分", "num"),
    Figure("pass_rate", "及格率", "%", "pct", rankable=True),
    Figure("excellent_rate", "优秀率", "%", "pct", rankable=True),
    Figure("low_rate", "低分率", "%", "pct", rankable=True),
    Figure("mean_pct", "平均分占满分", "%", "pct"),
    Figure("composite", "综合分", "分", "num", rankable=True),
    Figure("rank", "名次", "", "int"),
    Figure("rank_of", "参评数", "", "int"),
    Figure("grades", "等级分布", "", "text"),
    Figure("progress", "进步值", "分", "signed", rankable=True),
    Figure("value_added", "增值(标准差)", "", "signed2"),
    Figure("score", "成绩", "分", "score"),
    Figure("level", "等级", "", "text"),
]
FIGURES: dict[str, Figure] = {f.key: f for f in _TABLE}

BASIS_WORDS = {"sat": "按实考人数(缺考不计入)", "roster": "按应考人数(名册全员,缺考计 0 分)"}
BASIS_SHORT = {"sat": "实考", "roster": "应考"}
NO_BASELINE = "无基线"
# Printed in the header and the footer of every output that names pupils with their scores (000
# 篇13, 篇15: pupils' scores and ranks are not published).
CONFIDENTIAL = "内部资料 · 不得公开"
SMALL_SAMPLE = "样本过小"


def cite(preset: Preset | None, piece: str) -> str:
    """Return how a printed output names a policy document: 《乡镇教学质量考核奖惩方案》 for '篇7', from
    the quality preset's policy_names (the shipped default preset when `preset` is None); never an
    internal number like '000 篇7'."""
    chosen = preset if preset is not None else active_preset(None, "quality")
    name = chosen.content.get("policy_names", {}).get(piece)
    return f"《{name}》" if name else "有关政策文件"


def label(key: str) -> str:
    """Return the Chinese label of figure `key`. Raises KeyError for an unknown key."""
    return FIGURES[key].label


DASH = "—"
# How each format shows a number: int (a count), score (a pupil's score as written), num (one
# decimal), num2 (two decimals), pct (a fraction as a percentage), signed / signed2 (with a sign).
_NUMBER_FORMATS = {
    "int": lambda v: str(int(v)),
    "score": lambda v: f"{v:g}",
    "num": lambda v: f"{v:.1f}",
    "num2": lambda v: f"{v:.2f}",
    "pct": lambda v: f"{v * 100:.1f}%",
    "signed": lambda v: _signed(v, 1),
    "signed2": lambda v: _signed(v, 2),
    "signed_pct": lambda v: _signed(v * 100, 1) + "%",
}


def _signed(value: float, digits: int) -> str:
    """Return `value` with `digits` decimals and its sign; a difference that rounds to nothing is
    shown without one (0.0, never -0.0 or +0.0)."""
    text = f"{value:+.{digits}f}"
    return text[1:] if float(text) == 0 else text


def format_value(value: Any, kind: str) -> str:
    """Return `value` shown in the format `kind` (a key of _NUMBER_FORMATS, or text / para for
    words): — for no figure (nothing for text), a word as it is, a 等级 distribution as
    grades_text. Raises ValueError for an unknown format."""
    if value is None or value == "":
        return DASH if kind not in ("text", "para") else ""
    if kind in ("text", "para") or isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return grades_text(value)
    if kind not in _NUMBER_FORMATS:
        raise ValueError(kind)
    return _NUMBER_FORMATS[kind](float(value) if kind != "int" else value)


def format_figure(key: str, value: object) -> str:
    """Return `value` of figure `key` as printed ('—' for None) in the figure's format (see
    format_value). Raises KeyError for an unknown key."""
    if value is None or value == "":
        return DASH
    return format_value(value, FIGURES[key].format)


def grades_text(grades: dict[str, int]) -> str:
    """Return a 等级 distribution as 'A 12 · B 20 · C 3'."""
    return " · ".join(f"{k} {v}" for k, v in grades.items())


def value_added_verdict(record: dict) -> str:
    """Return what a value-added 95 % interval says: 样本过小 for a small group, 人数不足 without an
    interval, 高于预期 / 低于预期 when it excludes 0, else 与预期相当."""
    if record.get("small_sample"):
        return SMALL_SAMPLE
    if record.get("ci_low") is None or record.get("ci_high") is None:
        return "人数不足"
    if record["ci_low"] > 0:
        return "高于预期"
    if record["ci_high"] < 0:
        return "低于预期"
    return "与预期相当"


def rank_text(record: dict) -> str:
    """Return '3/7' (rank among its peers), 样本过小 for a small group, else '—' (no peer)."""
    if record.get("rank") is not None:
        return f"{record['rank']}/{record['rank_of']}"
    if record.get("small_sample"):
        return SMALL_SAMPLE
    return "—"
