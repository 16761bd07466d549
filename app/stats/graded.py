"""Subjects assessed by grade (等级), not by score: 音乐, 美术, 体育 by default (000 篇17 "音体美…A、B、C",
篇9, 篇13, 篇15: 一二年级 results are 等级).

An exam subject is either scored (assessment 分数) or graded (assessment 等级) with a scale of levels,
best first: A/B/C, 优秀/良好/合格/待提高, or the stars of the grades 1–2 游考 (★★★/★★/★). A graded
mark stores the position of its level as its score (1 = the best level) and the subject's full
marks are the number of levels, so a mark is still one number and travels in packages unchanged;
what a level means is read from the scale. Graded subjects are shown as a distribution (how many
pupils at each level), never averaged, never ranked, never added to a pupil's 总分 or a composite.
"""
from __future__ import annotations

import unicodedata

from sqlite_utils import Database

from app.errors import invalid
from app.stats.presets import active_preset

SCORED, GRADED = "分数", "等级"
SCALES = {"A/B/C": ("A", "B", "C"), "优秀/良好/合格/待提高": ("优秀", "良好", "合格", "待提高"),
          "★★★/★★/★": ("★★★", "★★", "★")}
DEFAULT_SCALE = "A/B/C"
DEFAULT_GRADED_SUBJECTS = ("音乐", "美术", "体育", "体育与健康")


def scale_levels(scale: str | None) -> tuple[str, ...]:
    """Return the levels of a scale written 'A/B/C' (best first). Raises ValidationError for a scale
    with fewer than two levels or a level written twice."""
    text = unicodedata.normalize("NFKC", scale or DEFAULT_SCALE).replace("、", "/").replace(",", "/")
    levels = tuple(part.strip() for part in text.split("/") if part.strip())
    if len(levels) < 2 or len(set(levels)) != len(levels):
        raise invalid(f"等级“{scale}”写法不对:至少两个等级、从高到低用 / 分开,如 A/B/C 或 优秀/良好/合格/待提高。",
                      "levels")
    return levels


def graded_by_default(db: Database | None, subject_name: str) -> bool:
    """Return whether `subject_name` is assessed by grade when an exam lists it without full marks
    (the active quality preset's graded_subjects; 音乐, 美术, 体育 by default)."""
    chosen = active_preset(db, "quality").content.get("graded_subjects", list(DEFAULT_GRADED_SUBJECTS))
    return subject_name in chosen


def level_position(value: object, levels: tuple[str, ...]) -> int:
    """Return the position (1 = best) of a typed level: 'A', 'ａ', ' b ', '优秀', '★★', '3星' (stars count).

    Raises ValidationError naming the levels allowed.
    """
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    for i, level in enumerate(levels, start=1):
        if text.upper() == unicodedata.normalize("NFKC", level).upper():
            return i
    if text.endswith("星") and text[:-1].isdigit() and all(set(level) == {"★"} for level in levels):
        stars = int(text[:-1])
        for i, level in enumerate(levels, start=1):
            if len(level) == stars:
                return i
    raise invalid(f"“{text}”不是这门等级评价科目的等级,只能填写 {' / '.join(levels)}(或 缺考、免考)。")


def level_name(position: float | None, levels: tuple[str, ...]) -> str | None:
    """Return the level stored as `position` (1 = best), None for None or a position off the scale."""
    if position is None:
        return None
    index = int(round(position)) - 1
    return levels[index] if 0 <= index < len(levels) else None


def is_graded(spec: dict) -> bool:
    """Return whether an exam subject (see app.services.exams.exam_subjects) is assessed by grade."""
    return spec.get("assessment") == GRADED
