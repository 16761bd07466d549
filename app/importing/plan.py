"""What an import would do: the rows it plans, the problems that stop it and the warnings."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from app.errors import Problem, ValidationError
from app.importing.target_school import SchoolResolver
from app.importing.workbook import DataRow, RowCheck, Table
from app.progress import CancelCheck, Progress, check

CHECK_EVERY = 1000  # rows between two looks at `cancelled()` and two progress reports


@dataclass
class PlannedRow:
    """One data row of a roster or teacher file and what importing it would do.

    `action` is 'add', 'update' or 'unchanged'; `values` are the cleaned fields; `changes` maps
    each changed field to [old, new]; `ok` is False when the row has a problem and will not be
    imported. A kind of row names its stored record's id field in ID_FIELD (pupil_id, teacher_id).
    """

    ID_FIELD: ClassVar[str] = "id"
    sheet: str
    row: int
    action: str
    values: dict
    changes: dict = field(default_factory=dict)
    school_id: str | None = None
    ok: bool = True

    def to_dict(self) -> dict:
        """Return the row as JSON-able data."""
        return {"sheet": self.sheet, "row": self.row, "action": self.action, "ok": self.ok,
                self.ID_FIELD: getattr(self, self.ID_FIELD), "school_id": self.school_id, "values": self.values,
                "changes": self.changes}


def each_row(tables: list[Table], warnings: list[Problem], *, start_table: Callable[[Table], bool],
             progress: Progress | None, cancelled: CancelCheck | None, start: float) -> Iterator[tuple[Table, DataRow]]:
    """Yield (table, row) for every data row of every table `start_table(table)` accepts, in order:
    the one per-row loop of the roster, teacher and marks importers.

    Warns (in `warnings`) of each table's columns that are not imported; every CHECK_EVERY rows
    raises Cancelled when `cancelled()` says so and reports progress from `start` to 1. A row's
    cells are let go once the caller is done with it (less memory at the peak of a county file).
    Tables of app.importing.workbook.streamed_tables are read here, row by row, as they are yielded.
    """
    total = max(sum((t.size or 0) if t.stream is not None else len(t.rows) for t in tables), 1)
    done = 0
    for table in tables:
        if not start_table(table):
            continue
        if table.ignored_headers:
            warnings.append(Problem(f"这些列不会导入:{'、'.join(table.ignored_headers)}。", sheet=table.sheet,
                                    row=table.header_row, severity="warning", code="ignored_columns"))
        for index, row in enumerate(table.stream(None) if table.stream is not None else table.rows):
            yield table, row
            if table.stream is None:
                table.rows[index] = None  # type: ignore[call-overload]
            done += 1
            if done % CHECK_EVERY == 0:
                check(cancelled)
                if progress is not None:
                    progress(start + (1 - start) * min(done / total, 1.0), f"正在检查第 {done} 行")


def school_known(resolver: SchoolResolver, plan: ImportPlan, table: Table) -> bool:
    """Return whether the rows of `table` can be planned: False (with the problem recorded and its
    rows counted as skipped) for a sheet whose school cannot be told."""
    problem = resolver.sheet_problem(table)
    if problem is None:
        return True
    plan.problems.append(problem)
    plan.skipped_rows += len(table.rows)
    return False


def start_row(resolver: SchoolResolver, table: Table, row: DataRow, planned: PlannedRow) -> RowCheck:
    """Return the RowCheck of a roster or teacher row, with `planned.school_id` set to the row's
    school (and a problem recorded when it cannot be told)."""
    check = RowCheck(table, row)
    planned.school_id, problem = resolver.for_row(table, row)
    if problem is not None:
        check.problems.append(problem)
    return check


def column_of(field_name: str | None, table: Table, columns: Mapping[str, tuple[str, ...]]) -> str | None:
    """Return the file field whose column a service's problem about `field_name` points at: the
    first of `columns[field_name]` (else the field itself) that the table has."""
    for candidate in columns.get(field_name or "", (field_name,)):
        if candidate and table.has(candidate):
            return candidate
    return None


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

    def rows_to_write(self, accept_valid_rows: bool) -> tuple[list, list]:
        """Return (the rows without problems, those of them that add or change a record).
        Raises ValidationError when the plan has problems and accept_valid_rows is False."""
        if self.problems and not accept_valid_rows:
            raise ValidationError(list(self.problems))
        rows = [r for r in self.rows if r.ok]
        return rows, [r for r in rows if r.action != "unchanged"]

    def written(self, rows: list, todo: list) -> dict:
        """Return {"add", "update", "unchanged", "skipped"} for what rows_to_write gave was written."""
        return {"add": sum(r.action == "add" for r in todo), "update": sum(r.action == "update" for r in todo),
                "unchanged": sum(r.action == "unchanged" for r in rows), "skipped": self.summary()["rows_with_problems"]}

    def to_dict(self) -> dict:
        """Return the whole plan as JSON-able data (for --json and the GUI)."""
        return {"summary": self.summary(), **self.extra_dict(), "problems": [p.to_dict() for p in self.problems],
                "warnings": [p.to_dict() for p in self.warnings], "rows": [r.to_dict() for r in self.rows]}
