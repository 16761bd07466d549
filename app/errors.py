"""Exceptions raised by the core. Every message is Chinese and meant for the user."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.validation.text import printable


class SchoolQError(Exception):
    """Base of every error the core raises on purpose; str() is a Chinese sentence."""


# The kinds of Problem the program tells apart (Problem.code); a problem about one cell's value has none.
CODES = {
    "no_header": "a sheet without a recognisable header row",
    "missing_column": "a header without a column the import requires",
    "not_a_workbook": "a file that is neither a workbook nor a CSV text",
    "empty_file": "a file without any data",
    "no_rows": "a header without data rows below it",
    "hidden_sheet": "a hidden sheet that holds data (not imported)",
    "ignored_columns": "columns the import reads past",
    "not_data_sheet": "a sheet that does not hold what the import reads",
}


@dataclass(frozen=True)
class Problem:
    """One problem in user input: where it is and what is wrong, in Chinese. `code` names the kind
    of problem for the program (see CODES), so code never recognises a problem by its words."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None
    severity: str = "error"
    code: str | None = None

    def __post_init__(self) -> None:
        # Messages quote cells of untrusted files: their invisible characters are shown as �.
        for name in ("message", "sheet", "column"):
            value = getattr(self, name)
            if isinstance(value, str) and not value.isprintable():
                object.__setattr__(self, name, printable(value))

    def where(self) -> str:
        """Return '工作表“X” 第 N 行 “列”' for the parts that are known."""
        parts = []
        if self.sheet is not None:
            parts.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column is not None:
            parts.append(f"“{self.column}”列")
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}:{self.message}" if where else self.message

    def to_dict(self) -> dict:
        """Return the problem as JSON-able data (sheet, row, column, field, severity, message)."""
        return {
            "code": self.code,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass
class ValidationError(SchoolQError):
    """Input was refused; `problems` lists every reason found, nothing was written."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class PermissionDenied(SchoolQError):
    """The acting user's role does not allow this change."""


class NotFound(SchoolQError):
    """A row the caller named does not exist."""


class SchemaTooNew(SchoolQError):
    """The database was written by a newer version of the program."""


class NotADatabase(SchoolQError):
    """The file is not a SchoolQ database."""


def invalid(message: str, field: str | None = None) -> ValidationError:
    """Return a ValidationError holding a single problem."""
    return ValidationError([Problem(message, field=field)])
