"""The marks entry grid: one row per pupil (学籍号, 姓名), one column per exam subject.

The model shows what is stored and what was typed but refused (in red, with the reason as
tooltip); it never writes. An edit is handed to the page through `edit_requested`, which
validates it, saves it with app.marks.entry.set_mark and puts it on the undo stack.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from app.errors import ValidationError
from app.marks.entry import parse_mark
from app.validation.text import clean
from ui.models.table_model import pinyin_collator

ModelIndex = QModelIndex | QPersistentModelIndex
FIXED_COLUMNS = 2  # 学籍号, 姓名
# A stored mark: (score, status) as the mark table holds it; None when there is none.
Mark = tuple[float | None, str] | None
# Single keys for the words teachers type most (documented on the page).
SHORTHANDS = {"Q": "缺考", "M": "免考"}

_INVALID_BACK = QColor("#f8d7da")
_INVALID_TEXT = QColor("#9b1c1c")
_NOT_EXAMINED = QColor("#e6e6e6")
_STATUS_TEXT = QColor("#1f4e79")


def mark_text(mark: Mark) -> str:
    """Return a stored mark as the grid shows it: 87, 87.5, 缺考 … ('' for none)."""
    if mark is None:
        return ""
    score, status = mark
    if status != "正常" or score is None:
        return status
    return f"{score:g}"


def typed_value(value: object) -> str:
    """Return what the user typed, cleaned, with the Q / M shorthands spelled out."""
    text = clean(value)
    return SHORTHANDS.get(text.upper(), text)


class MarksGridModel(QAbstractTableModel):
    """Pupils × subjects of one class in one exam."""

    edit_requested = Signal(int, int, str)

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.subjects: list[dict] = []
        self.pupils: list[dict] = []
        self._marks: list[dict[str, Mark]] = []
        self._invalid: dict[tuple[int, int], tuple[str, str]] = {}

    # --- loading -------------------------------------------------------------------------------
    def set_grid(self, grid: dict, subject_ids: set[str] | None = None) -> None:
        """Show app.marks.grid.marks_grid's result; pupils in pinyin order of their names.
        `subject_ids` limits the columns to those subjects (None: all)."""
        self.beginResetModel()
        self.subjects = [s for s in grid["subjects"] if subject_ids is None or s["subject_id"] in subject_ids]
        collator = pinyin_collator()
        self.pupils = sorted(grid["pupils"], key=lambda p: (collator.sortKey(p["name"]), p["student_no"]))
        self._marks = [dict(p["marks"]) for p in self.pupils]
        self._invalid = {}
        self.endResetModel()

    # --- what a cell is ------------------------------------------------------------------------
    def subject_at(self, column: int) -> dict | None:
        """Return the subject of a grid column (None for 学籍号 and 姓名)."""
        return self.subjects[column - FIXED_COLUMNS] if column >= FIXED_COLUMNS else None

    def examined(self, row: int, column: int) -> bool:
        """Return True when the pupil of `row` sits the subject of `column`."""
        subject = self.subject_at(column)
        return subject is not None and self.pupils[row]["grade"] in subject["grades"]

    def stored(self, row: int, column: int) -> Mark:
        """Return the stored mark of a cell."""
        subject = self.subject_at(column)
        return self._marks[row].get(subject["subject_id"]) if subject else None

    def invalid(self, row: int, column: int) -> tuple[str, str] | None:
        """Return (typed text, reason) of a refused entry shown in the cell, or None."""
        return self._invalid.get((row, column))

    def invalid_count(self) -> int:
        """Return how many cells show a refused entry."""
        return len(self._invalid)

    def check(self, row: int, column: int, value: object) -> tuple[Mark, str | None]:
        """Return (the mark `value` means, None) or (None, the Chinese reason it is refused).
        An empty value means no mark (the stored one is cleared)."""
        text = typed_value(value)
        if not text:
            return None, None
        subject = self.subject_at(column)
        if subject is None:
            return None, "这一列不能录入成绩。"
        try:
            return parse_mark(text, subject["full_marks"]), None
        except ValidationError as exc:
            return None, exc.problems[0].message

    def locate(self, pupil_id: str, subject_id: str) -> tuple[int, int] | None:
        """Return (row, column) of a pupil's subject cell, or None when the grid does not show it."""
        column = next((i for i, s in enumerate(self.subjects) if s["subject_id"] == subject_id), None)
        row = next((i for i, p in enumerate(self.pupils) if p["pupil_id"] == pupil_id), None)
        return None if row is None or column is None else (row, column + FIXED_COLUMNS)

    # --- changing what is shown ----------------------------------------------------------------
    def set_stored(self, row: int, column: int, mark: Mark) -> None:
        """Show `mark` as the stored value of a cell (clearing any refused entry there)."""
        subject = self.subject_at(column)
        if subject is None:
            return
        if mark is None:
            self._marks[row].pop(subject["subject_id"], None)
        else:
            self._marks[row][subject["subject_id"]] = mark
        self._invalid.pop((row, column), None)
        self._changed(row, column)

    def set_invalid(self, row: int, column: int, text: str, reason: str) -> None:
        """Show `text` in red in a cell, with `reason` as its tooltip (nothing is saved)."""
        self._invalid[(row, column)] = (text, reason)
        self._changed(row, column)

    def clear_invalid(self, row: int, column: int) -> None:
        """Show the stored value again where a refused entry was shown."""
        if self._invalid.pop((row, column), None) is not None:
            self._changed(row, column)

    def _changed(self, row: int, column: int) -> None:
        index = self.index(row, column)
        self.dataChanged.emit(index, index)

    # --- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of pupils."""
        return 0 if parent.isValid() else len(self.pupils)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return 学籍号, 姓名 and one column per subject."""
        return 0 if parent.isValid() else FIXED_COLUMNS + len(self.subjects)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return the column titles (a subject with its full marks unless 100) and row numbers."""
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        subject = self.subject_at(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if subject is None:
                return ("学籍号", "姓名")[section]
            full = subject["full_marks"]
            return subject["name"] if full == 100 else f"{subject['name']}({full:g})"
        if role == Qt.ItemDataRole.ToolTipRole and subject is not None:
            return f"满分 {subject['full_marks']:g};考试年级:{'、'.join(map(str, subject['grades']))}"
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """Subject cells of pupils who sit the subject are editable; the rest can be selected."""
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and self.examined(index.row(), index.column()):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a cell's text, colours, alignment and tooltip."""
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        pupil = self.pupils[row]
        if column < FIXED_COLUMNS:
            if role == Qt.ItemDataRole.DisplayRole:
                return pupil["student_no"] if column == 0 else pupil["name"]
            return None
        refused = self._invalid.get((row, column))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return refused[0] if refused else mark_text(self.stored(row, column))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if refused:
                return f"未保存:{refused[1]}"
            if not self.examined(row, column):
                return f"{pupil['grade']}年级不考这一科"
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if refused:
                return QBrush(_INVALID_BACK)
            if not self.examined(row, column):
                return QBrush(_NOT_EXAMINED)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if refused:
                return QBrush(_INVALID_TEXT)
            mark = self.stored(row, column)
            if mark is not None and mark[1] != "正常":
                return QBrush(_STATUS_TEXT)
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Hand a typed value to the page (edit_requested); the page saves or refuses it."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not self.examined(index.row(), index.column()):
            return False
        self.edit_requested.emit(index.row(), index.column(), "" if value is None else str(value))
        return True
