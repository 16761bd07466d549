"""The Chinese names users see for presets, instead of the ids and hashes results record.

A result records its preset as 'id@version#hash8' (a shipped or adjusted preset) or, for a school's
own curriculum plan, 'plan:xxxxxxxx(id@version)'. People see the preset's name; the recorded text
belongs in a details box or tooltip only.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

from app.paths import resource_path

_BASIS = re.compile(r"^(?:plan:[0-9a-f]+\()?(?P<id>[A-Za-z0-9_.-]+)@(?P<version>\d+)(?:#[0-9a-f]+)?\)?$")
_SEED_NOTE = re.compile(r"\s*[((]\s*000\s*篇\s*\d+\s*[))]")


@lru_cache(maxsize=1)
def shipped_names() -> dict[str, str]:
    """Return {preset id: Chinese name} of every preset shipped in resources/presets."""
    names = {}
    for path in sorted(resource_path("presets").rglob("*.json")):
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(content, dict) and content.get("id") and content.get("name"):
            names[content["id"]] = content["name"]
    return names


def display_name(name: str) -> str:
    """Return a preset name without the seed-file note people cannot look up ('(000 篇7)')."""
    return _SEED_NOTE.sub("", name).strip()


_SEED_000 = re.compile(r"(?:seeds/)?000\s*篇\s*(\d+)")
_SEED_WORD = re.compile(r"种子(?:文件)?\s*(?:\d+\s*)?")
_SEED_NUMBER = re.compile(r"[((]\s*\d{3}\s*[))]")
SEED_000_TITLE = "《提升教育教学质量实施方案》"


def readable(text: str) -> str:
    """Return a preset's explanation with the seed-file references people cannot look up written as
    the document's title: '000 篇7' becomes '《提升教育教学质量实施方案》篇7'; '(001)' and '种子 003'
    become '(政策文件)' and '政策文件'."""
    text = _SEED_000.sub(lambda m: f"{SEED_000_TITLE}篇{m.group(1)}", text or "")
    return _SEED_NUMBER.sub("(政策文件)", _SEED_WORD.sub("政策文件", text))


def basis_name(basis: str) -> str:
    """Return the Chinese name for a recorded basis: the preset's name, or '本校课程计划(以“…”为底)'
    for a school's own plan; a basis of no known form is returned as it is."""
    match = _BASIS.match(basis or "")
    if not match:
        return basis
    name = display_name(shipped_names().get(match.group("id"), match.group("id")))
    if basis.startswith("plan:"):
        return f"本校课程计划(以“{name}”为底)"
    return name
