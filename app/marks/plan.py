"""What importing a marks file would do (MarksPlan): the one value that passes from checking a file
(app.marks.reading) to writing it (app.marks.writing), and what a preview shows."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import Problem

# What an update holds for writing it, not for showing it (left out of --json).
_INTERNAL = ("mark_id", "group", "key", "stored")


@dataclass
class MarksPlan:
    """What importing a marks file would do, and every problem that stops it.

    `inserts` holds new marks as (school_id, pupil_id, subject_id, class_id, grade, score, status);
    `updates` one dict per stored mark the file changes (mark_id, pupil, subject, old, new, where;
    group: the stored mark's school, class and subject, which decide who may change it; key:
    (pupil_id, subject_id); stored: the (score, status) the plan was made against).
    """

    exam_id: str
    exam_name: str
    file_name: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    inserts: list[tuple] = field(default_factory=list, repr=False)
    updates: list[dict] = field(default_factory=list)
    unchanged: int = 0
    pupils: int = 0
    rows: int = 0
    rows_with_problems: int = 0

    def summary(self) -> dict:
        """Return the counts a user checks first: marks to add, update and leave unchanged, pupils
        matched, data rows read, problems, rows with problems and warnings."""
        return {"add": len(self.inserts), "update": len(self.updates), "unchanged": self.unchanged,
                "pupils": self.pupils, "rows": self.rows, "problems": len(self.problems),
                "rows_with_problems": self.rows_with_problems, "warnings": len(self.warnings)}

    def describe(self, written: bool = False) -> str:
        """Return the Chinese summary sentence ("将新增 … 条成绩 …" or "已新增 …")."""
        s = self.summary()
        verb = "已" if written else "将"
        return (f"{verb}新增 {s['add']} 条成绩,更新 {s['update']} 条,未变 {s['unchanged']} 条"
                f"(共 {s['pupils']} 名学生)。")

    def to_dict(self) -> dict:
        """Return the plan as JSON-able data (for --json): summary, exam, problems, warnings and the
        changed marks (new marks are only counted)."""
        return {"exam": {"id": self.exam_id, "name": self.exam_name}, "file": self.file_name,
                "summary": self.summary(), "problems": [p.to_dict() for p in self.problems],
                "warnings": [p.to_dict() for p in self.warnings],
                "updates": [{k: v for k, v in u.items() if k not in _INTERNAL} for u in self.updates]}


def mark_text(score: float | None, status: str) -> str:
    """Return a stored mark as people write it: 87.5, 缺考, or "" for none."""
    if status != "正常":
        return status
    return f"{score:g}" if score is not None else ""
