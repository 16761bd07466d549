"""The subject catalogue: seeded from resources/presets/subjects.json, looked up by name or alias."""
from __future__ import annotations

import json
import re

from sqlite_utils import Database

from app.db.writes import Actor, insert_row, stable_id
from app.paths import resource_path
from app.services.permissions import require_database_admin
from app.validation.text import clean


def preset() -> dict:
    """Return the shipped subject catalogue preset."""
    return json.loads(resource_path("presets", "subjects.json").read_text(encoding="utf-8"))


def seed_subjects(db: Database, actor: Actor) -> int:
    """Add every preset subject missing from the database; return how many were added. Raises
    PermissionDenied unless the actor administers the database."""
    require_database_admin(db, actor)
    added = 0
    with db.atomic():
        for order, item in enumerate(preset()["subjects"]):
            if db.execute("SELECT 1 FROM subject WHERE code = ?", [item["code"]]).fetchone():
                continue
            insert_row(db, actor, "subject", {
                "id": stable_id("subject", item["code"]), "code": item["code"], "name": item["name"],
                "aliases": ",".join(item["aliases"]),
                "tested": int(item["tested"]), "assessment": item["assessment"], "is_main": int(item["main"]),
                "sort_order": order,
            })
            added += 1
    return added


def list_subjects(db: Database) -> list[dict]:
    """Return every subject in catalogue order."""
    return [dict(r) for r in db.query("SELECT * FROM subject ORDER BY sort_order, name")]


_SUFFIXES = ("成绩", "分数", "得分", "科", "(分)", "分")


class SubjectIndex:
    """Resolves a subject as written (语文, 语, 语文成绩, 道法 …) or its id to its catalogue row."""

    def __init__(self, subjects: list[dict]):
        self._by_key: dict[str, dict] = {}
        for subject in subjects:
            for key in [subject["id"], subject["name"], subject["code"], *filter(None, subject["aliases"].split(","))]:
                self._by_key.setdefault(clean(key).lower(), subject)

    @classmethod
    def load(cls, db: Database) -> "SubjectIndex":
        """Return the index of the database's subject catalogue."""
        return cls(list_subjects(db))

    def find(self, text: object) -> dict | None:
        """Return the subject `text` names, or None."""
        key = clean(text).lower()
        key = re.sub(r"[(](满分)?\d+(分)?[)]$", "", key)
        if key in self._by_key:
            return self._by_key[key]
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and key[: -len(suffix)] in self._by_key:
                return self._by_key[key[: -len(suffix)]]
        return None
