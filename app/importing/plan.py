"""What an import would do: the rows it plans, the problems that stop it and the warnings."""
from __future__ import annotations

from dataclasses import dataclass

from app.errors import Problem


@dataclass
class ImportPlan:
    """The common part of the roster and teacher plans. Each planned row has `action`
    ('add' / 'update' / 'unchanged'), `ok` and `to_dict()`."""

    rows: list
    problems: list[Problem]
    warnings: list[Problem]
    skipped_rows: int = 0

    def extra_summary(self) -> dict:
        """Counts a kind of plan adds to summary()."""
        return {}

    def extra_dict(self) -> dict:
        """Data a kind of plan adds to to_dict()."""
        return {}

    def summary(self) -> dict:
        """Return the counts a user checks first: rows to add, update and leave unchanged (rows
        without problems), problems, rows with problems, warnings."""
        counts = {"add": 0, "update": 0, "unchanged": 0}
        bad = self.skipped_rows
        for row in self.rows:
            if row.ok:
                counts[row.action] += 1
            else:
                bad += 1
        return {**counts, "problems": len(self.problems), "rows_with_problems": bad, "warnings": len(self.warnings),
                **self.extra_summary()}

    def to_dict(self) -> dict:
        """Return the whole plan as JSON-able data (for --json and the GUI)."""
        return {"summary": self.summary(), **self.extra_dict(), "problems": [p.to_dict() for p in self.problems],
                "warnings": [p.to_dict() for p in self.warnings], "rows": [r.to_dict() for r in self.rows]}
