"""Which school an imported row belongs to: a chosen school, a 学校 column, or the sheet's name.

A school database holds one school, so every row is its. A township database holds several:
the rows name their school in a 学校/学校名称/学校代码 column, or each sheet is named after its
school, or the user picks the school when importing.
"""
from __future__ import annotations

from sqlite_utils import Database

from app.errors import NotFound, Problem
from app.importing.workbook import DataRow, Table
from app.validation.text import clean


class SchoolResolver:
    """Resolves school names and codes written in a file to school ids of the database."""

    def __init__(self, db: Database, school_id: str | None = None):
        """Load the database's schools. Raises NotFound when `school_id` is not one of them."""
        self.schools = {r["id"]: dict(r) for r in db.query("SELECT id, code, name FROM school ORDER BY code")}
        if school_id is not None and school_id not in self.schools:
            raise NotFound("导入时选择的学校不在这个数据库中。")
        self.fixed = school_id
        self._keys: dict[str, str] = {}
        for row in self.schools.values():
            self._keys[clean(row["code"]).upper()] = row["id"]
            self._keys[clean(row["name"]).upper()] = row["id"]
        self._sheet_cache: dict[str, str | None] = {}
        self._mismatches: dict[tuple[str, str | None], set[str]] = {}

    def name(self, school_id: str) -> str:
        """Return the school's name."""
        return self.schools[school_id]["name"]

    def find(self, text: object) -> str | None:
        """Return the id of the school whose code or name is `text`, or whose name alone contains
        it (or is contained in it), else None."""
        key = clean(text).upper()
        if not key:
            return None
        if key in self._keys:
            return self._keys[key]
        near = [sid for sid, row in self.schools.items()
                if key in clean(row["name"]).upper() or clean(row["name"]).upper() in key]
        return near[0] if len(near) == 1 else None

    def for_sheet(self, sheet: str) -> str | None:
        """Return the school every row of `sheet` belongs to unless its own 学校 cell says otherwise:
        the chosen school, the school the sheet is named after, or the database's only school."""
        if self.fixed:
            return self.fixed
        if sheet not in self._sheet_cache:
            found = self.find(sheet)
            if found is None and len(self.schools) == 1:
                found = next(iter(self.schools))
            self._sheet_cache[sheet] = found
        return self._sheet_cache[sheet]

    def for_row(self, table: Table, row: DataRow) -> tuple[str | None, Problem | None]:
        """Return (school id, None) for a row, or (None, the problem naming why it is unknown)."""
        cell = row.values.get("school")
        default = self.for_sheet(table.sheet)
        if len(self.schools) == 1:
            # A school's own database: the 学校 column cannot send a row elsewhere, but a name that
            # is not this school's may mean the wrong file, so it is reported once per sheet.
            if cell is not None and clean(cell) and self.find(cell) is None:
                self._mismatches.setdefault((table.sheet, table.column("school")), set()).add(clean(cell))
            return default, None
        if cell is None or not clean(cell):
            if default is None:
                return None, Problem(self.undetermined_message(table), sheet=row.sheet, row=row.row,
                                     column=table.column("school"), field="school")
            return default, None
        found = self.find(cell)
        column = table.column("school")
        if found is None:
            known = "、".join(r["name"] for r in self.schools.values())
            return None, Problem(f"学校“{clean(cell)}”不在这个数据库中(数据库中的学校:{known})。",
                                 sheet=row.sheet, row=row.row, column=column, field="school")
        if self.fixed and found != self.fixed:
            return None, Problem(
                f"这一行属于“{self.name(found)}”,但导入时选择的学校是“{self.name(self.fixed)}”。"
                "请只导入本校的行,或导入时不选学校。", sheet=row.sheet, row=row.row, column=column, field="school")
        return found, None

    def warnings(self) -> list[Problem]:
        """Return one warning per sheet whose 学校 column names a school other than this database's."""
        if not self._mismatches:
            return []
        own = next(iter(self.schools.values()))["name"]
        return [Problem(f"“{column}”列写的是“{'、'.join(sorted(names))}”,不是本数据库的学校“{own}”;已按本校导入。"
                        "如果这是别的学校的名册,请不要导入。", sheet=sheet, column=column, field="school",
                        severity="warning")
                for (sheet, column), names in self._mismatches.items()]

    def sheet_problem(self, table: Table) -> Problem | None:
        """Return the problem of a sheet without a 学校 column whose school cannot be told, else None."""
        if table.has("school") or self.for_sheet(table.sheet) is not None:
            return None
        return Problem("这个数据库有多所学校,无法确定这个工作表的数据属于哪所学校。请在表中增加“学校”列,"
                       "或把工作表命名为学校名称,或在导入时选择学校。", sheet=table.sheet, field="school")

    @staticmethod
    def undetermined_message(table: Table) -> str:
        """Return the sentence for a row whose 学校 cell is empty when the sheet gives no school."""
        return f"“{table.column('school')}”一栏为空,无法确定这一行属于哪所学校。请填写学校名称或代码。"
