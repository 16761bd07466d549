"""The marks entry grid: one row per pupil (学籍号, 姓名, and 年级 in a 复式 class), one column per
exam subject, then the pupil's 总分.

The model shows what is stored and what was typed but refused (in red, with the reason as
tooltip); it never writes. An edit is handed to the page through `edit_requested`, which
validates it, saves it with app.marks.entry.set_mark and puts it on the undo stack. Cells the
user may not change (a teacher's classes and subjects they do not teach) are grey and not
editable. A score below the pass line shows red, one at or above the excellent line green
(app.stats.pupil_marks decides, with the exam's cut-offs).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from app.errors import ValidationError
from app.marks.entry import parse_mark
from app.pinyin import pinyin_key
from app.stats.graded import level_name
from app.stats.pupil_marks import is_scored, mark_band, pupil_total
from app.validation.text import clean

ModelIndex = QModelIndex | QPersistentModelIndex
# A stored mark: (score, status) as the mark table holds it; None when there is none.
Mark = tuple[float | None, str] | None
# Single keys for the words teachers type most (documented on the page).
SHORTHANDS = {"Q": "缺考", "M": "免考"}

_INVALID_BACK = QColor("#f8d7da")
_INVALID_TEXT = QColor("#9b1c1c")
_NOT_EXAMINED = QColor("#e6e6e6")
_STATUS_TEXT = QColor("#1f4e79")
_READ_ONLY_BACK = QColor("#e4e4e4")
_READ_ONLY_TEXT = QColor("#6b6b6b")
_FAIL_TEXT = QColor("#c62828")
_EXCELLENT_BACK = QColor("#e3f1e4")
_EXCELLENT_TEXT = QColor("#1b5e20")
_TOTAL_BACK = QColor("#f6f8fb")


def mark_text(mark: Mark, levels: tuple[str, ...] | None = None) -> str:
    """Return a stored mark as the grid shows it: 87, 87.5, 缺考 …, or the level (A, 优秀 …) of a
    graded subject whose `levels` are given ('' for none)."""
    if mark is None:
        return ""
    score, status = mark
    if status != "正常" or score is None:
        return status
    return (level_name(score, levels) or f"{score:g}") if levels else f"{score:g}"


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
        self.all_subjects: list[dict] = []
        self.pupils: list[dict] = []
        self.fixed = 2
        self.writable_subjects: set[str] | None = None
        self._marks: list[dict[str, Mark]] = []
        self._invalid: dict[tuple[int, int], tuple[str, str]] = {}

    # --- loading -------------------------------------------------------------------------------
    def set_grid(self, grid: dict, subject_ids: set[str] | None = None, writable: set[str] | None = None) -> None:
        """Show app.marks.grid.marks_grid's result; pupils in pinyin order of their names.
        `subject_ids` limits the columns to those subjects (None: all); `writable` the subjects
        whose cells may be changed (None: all)."""
        self.beginResetModel()
        self.all_subjects = list(grid["subjects"])
        self.subjects = [s for s in grid["subjects"] if subject_ids is None or s["subject_id"] in subject_ids]
        self.fixed = 3 if len(grid.get("class", {}).get("grades", [])) > 1 else 2
        self.writable_subjects = writable
        self.pupils = sorted(grid["pupils"], key=lambda p: (pinyin_key(p["name"]), p["student_no"]))
        # The grid's own dicts: a mark saved here is still shown after the subject filter changes.
        self._marks = [p["marks"] for p in self.pupils]
        self._invalid = {}
        self.endResetModel()

    # --- what a cell is ------------------------------------------------------------------------
    def subject_at(self, column: int) -> dict | None:
        """Return the subject of a grid column (None for 学籍号, 姓名, 年级 and 总分)."""
        index = column - self.fixed
        return self.subjects[index] if 0 <= index < len(self.subjects) else None

    def subject_columns(self) -> range:
        """Return the columns that hold subjects."""
        return range(self.fixed, self.fixed + len(self.subjects))

    @property
    def total_column(self) -> int | None:
        """Return the 总分 column, or None when the exam has fewer than two scored subjects."""
        if sum(1 for s in self.all_subjects if is_scored(s)) < 2:
            return None
        return self.fixed + len(self.subjects)

    def examined(self, row: int, column: int) -> bool:
        """Return True when the pupil of `row` sits the subject of `column`."""
        subject = self.subject_at(column)
        return subject is not None and self.pupils[row]["grade"] in subject["grades"]

    def may_write(self, column: int) -> bool:
        """Return True when the user may change the marks of the subject of `column`."""
        subject = self.subject_at(column)
        return subject is not None and (self.writable_subjects is None
                                        or subject["subject_id"] in self.writable_subjects)

    def editable(self, row: int, column: int) -> bool:
        """Return True when the cell takes a mark: the pupil sits it and the user may change it."""
        return self.examined(row, column) and self.may_write(column)

    def total(self, row: int) -> float | None:
        """Return the pupil's 总分 over the exam's scored subjects (None without any mark)."""
        return pupil_total(self._marks[row], self.all_subjects)

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
            return parse_mark(text, subject["full_marks"], subject.get("levels")), None
        except ValidationError as exc:
            return None, exc.problems[0].message

    def locate(self, pupil_id: str, subject_id: str) -> tuple[int, int] | None:
        """Return (row, column) of a pupil's subject cell, or None when the grid does not show it."""
        column = next((i for i, s in enumerate(self.subjects) if s["subject_id"] == subject_id), None)
        row = next((i for i, p in enumerate(self.pupils) if p["pupil_id"] == pupil_id), None)
        return None if row is None or column is None else (row, column + self.fixed)

    # --- changing what is shown ----------------------------------------------------------------
    def store(self, pupil_id: str, subject_id: str, mark: Mark) -> None:
        """Record a saved mark of a pupil of this grid (shown at once if its column is shown)."""
        where = self.locate(pupil_id, subject_id)
        if where is not None:
            self.set_stored(*where, mark)
            return
        row = next((i for i, p in enumerate(self.pupils) if p["pupil_id"] == pupil_id), None)
        if row is None:
            return
        if mark is None:
            self._marks[row].pop(subject_id, None)
        else:
            self._marks[row][subject_id] = mark
        if self.total_column is not None:
            total = self.index(row, self.total_column)
            self.dataChanged.emit(total, total)

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
        if self.total_column is not None:
            total = self.index(row, self.total_column)
            self.dataChanged.emit(total, total)

    # --- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of pupils."""
        return 0 if parent.isValid() else len(self.pupils)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return 学籍号, 姓名, (年级), one column per subject and 总分."""
        if parent.isValid():
            return 0
        return self.fixed + len(self.subjects) + (0 if self.total_column is None else 1)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return the column titles (a subject with its full marks unless 100) and row numbers."""
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        subject = self.subject_at(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if subject is None:
                return ("学籍号", "姓名", "年级")[section] if section < self.fixed else "总分"
            full = subject["full_marks"]
            if not is_scored(subject):
                return f"{subject['name']}(等级)"
            return subject["name"] if full == 100 else f"{subject['name']}({full:g})"
        if role == Qt.ItemDataRole.ToolTipRole:
            if subject is not None:
                where = (f"满分 {subject['full_marks']:g};" if is_scored(subject)
                         else f"按等级评定:{' / '.join(subject.get('levels') or ())};")
                text = where + f"考试年级:{'、'.join(map(str, subject['grades']))}"
                return text if self.may_write(section) else text + "(只读:您没有任教这一科)"
            if section == self.total_column:
                return "各科分数之和(按等级评定的科目不计入;缺考、免考、作弊不加分)"
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """Subject cells the user may fill are editable; the rest can be selected."""
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and self.editable(index.row(), index.column()):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a cell's text, colours, alignment and tooltip."""
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        pupil = self.pupils[row]
        if column < self.fixed:
            if role == Qt.ItemDataRole.DisplayRole:
                return (pupil["student_no"], pupil["name"], f"{pupil['grade']}年级")[column]
            if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
                return int(Qt.AlignmentFlag.AlignCenter)
            return None
        if column == self.total_column:
            return self._total_data(row, role)
        refused = self._invalid.get((row, column))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            subject = self.subject_at(column)
            return refused[0] if refused else mark_text(self.stored(row, column), subject and subject.get("levels"))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        band = None if refused else mark_band(self.stored(row, column), self.subject_at(column), pupil["grade"])
        if role == Qt.ItemDataRole.ToolTipRole:
            if refused:
                return f"未保存:{refused[1]}"
            if not self.examined(row, column):
                return f"{pupil['grade']}年级不考这一科"
            if not self.may_write(column):
                return "只读:您没有任教这个班的这一科"
            return band
        if role == Qt.ItemDataRole.BackgroundRole:
            if refused:
                return QBrush(_INVALID_BACK)
            if not self.examined(row, column):
                return QBrush(_NOT_EXAMINED)
            if not self.may_write(column):
                return QBrush(_READ_ONLY_BACK)
            if band == "优秀":
                return QBrush(_EXCELLENT_BACK)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if refused:
                return QBrush(_INVALID_TEXT)
            if band is not None:
                return QBrush(_FAIL_TEXT if band == "不及格" else _EXCELLENT_TEXT)
            if not self.may_write(column):
                return QBrush(_READ_ONLY_TEXT)
            mark = self.stored(row, column)
            if mark is not None and mark[1] != "正常":
                return QBrush(_STATUS_TEXT)
        return None

    def _total_data(self, row: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            total = self.total(row)
            return "" if total is None else f"{total:g}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(_TOTAL_BACK)
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Hand a typed value to the page (edit_requested); the page saves or refuses it."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or not self.editable(index.row(), index.column()):
            return False
        self.edit_requested.emit(index.row(), index.column(), "" if value is None else str(value))
        return True
