"""A read-only table over a snapshot of rows, built off the GUI thread, that sorts and filters fast.

`TableSnapshot.build` (run on the worker) turns row dicts into display text, a search string
per row and, for every column, the rank of each row in that column's order: text columns in
pinyin order (app.pinyin), other columns by their own key. Sorting then only reorders
integers, so 10,000 pupils sort in milliseconds.

Why the model sorts instead of QSortFilterProxyModel.lessThan: a Python `lessThan` is called
from C++ about n·log n times; measured here on 10,000 rows it took 0.7-1.3 s per click even with
precomputed keys, while reordering by the precomputed ranks takes a few milliseconds. The proxy
therefore only filters, and hands `sort()` to the source model.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from app.pinyin import pinyin_key

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
# Above this many rows a snapshot's sort ranks are worked out when a column is first sorted.
LAZY_RANKS = 5000
ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One table column: its Chinese title, how to show a row, and how to order rows by it.

    `sort_key(row)` gives a natural order (numbers, tuples); without it the displayed text is
    ordered by pinyin collation. `sample` is text as wide as a typical cell (sets the width).
    """

    key: str
    title: str
    text: Callable[[dict], str]
    sort_key: Callable[[dict], Any] | None = None
    centered: bool = False
    sample: str = "中中中中"


def field_text(key: str) -> Callable[[dict], str]:
    """Return a function showing `row[key]` as text ('' for None)."""
    return lambda row: "" if row.get(key) is None else str(row[key])


def school_column() -> Column:
    """Return the 学校 column tables share: the school's name, sorted by its code, wide enough for
    a seven-character name such as 青山镇中心小学."""
    return Column("school_name", "学校", field_text("school_name"), lambda r: r.get("school_code") or "",
                  sample="青山镇中心小学")


def flag_text(key: str) -> Callable[[dict], str]:
    """Return a function showing a 0/1 flag as 是 or nothing."""
    return lambda row: "是" if row.get(key) else ""


class TableSnapshot:
    """Rows with their display text, search text and per-column order ranks."""

    def __init__(self, rows: list[dict], columns: list[Column], display: list[list[str]],
                 search: list[str], ranks: list[list[int] | None]):
        self.rows = rows
        self.columns = columns
        self.display = display
        self.search = search
        self.ranks = ranks
        self._indexes: dict[str, dict[Any, list[int]]] = {}

    @classmethod
    def build(cls, rows: list[dict], columns: list[Column], search_keys: Iterable[str]) -> TableSnapshot:
        """Return the snapshot of `rows`; `search_keys` are the fields the filter box matches."""
        search_keys = list(search_keys)
        display = [[column.text(row) for column in columns] for row in rows]
        search = [" ".join(str(row.get(k) or "") for k in search_keys).casefold() for row in rows]
        snap = cls(rows, columns, display, search, [None] * len(columns))
        if len(rows) <= LAZY_RANKS:
            for c in range(len(columns)):
                snap.rank(c)
        return snap

    def rank(self, c: int) -> list[int]:
        """Return the rank of each row in column `c`'s order, working it out on first use (a big
        table's ranks are left until the user sorts: one sort of 100,000 rows holds Python's lock
        long enough to stall the window when done on the worker for every column)."""
        if self.ranks[c] is None:
            column = self.columns[c]
            if column.sort_key is not None:
                keys = [column.sort_key(row) for row in self.rows]
            else:
                keys = [pinyin_key(line[c]) for line in self.display]
            order = sorted(range(len(self.rows)), key=keys.__getitem__)
            rank = [0] * len(self.rows)
            for position, index in enumerate(order):
                rank[index] = position
            self.ranks[c] = rank
        return self.ranks[c]

    def rows_with(self, key: str, value: Any) -> list[int]:
        """Return the indexes, in order, of the rows whose field `key` equals `value`, from an index
        of that field made on first use (a county's 60,000 pupils are then chosen by school at once)."""
        if key not in self._indexes:
            index: dict[Any, list[int]] = {}
            for s, row in enumerate(self.rows):
                index.setdefault(row.get(key), []).append(s)
            self._indexes[key] = index
        return self._indexes[key].get(value, [])

    @classmethod
    def empty(cls, columns: list[Column]) -> TableSnapshot:
        """Return a snapshot with no rows."""
        return cls([], columns, [], [], [[] for _ in columns])


class SnapshotTableModel(QAbstractTableModel):
    """A QAbstractTableModel over a TableSnapshot; `sort` reorders by the precomputed ranks, and a
    row filter (`set_row_filter`, used by SnapshotFilterProxy) leaves out rows in Python rather
    than through a per-row call from Qt (60,000 such calls held the GUI thread for half a second)."""

    def __init__(self, columns: list[Column], parent: Any = None):
        super().__init__(parent)
        self._snap = TableSnapshot.empty(columns)
        self._order: list[int] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._keep: Callable[[TableSnapshot], list[int]] | None = None

    @property
    def snapshot(self) -> TableSnapshot:
        """Return the rows now shown."""
        return self._snap

    def set_snapshot(self, snap: TableSnapshot) -> None:
        """Show `snap`, keeping the current sort column and order."""
        self.beginResetModel()
        self._snap = snap
        self._order = self._sorted_order()
        self.endResetModel()

    def set_row_filter(self, keep: Callable[[TableSnapshot], list[int]] | None) -> None:
        """Show only the rows of the snapshot that `keep(snapshot)` returns, as snapshot indexes in
        their order (None: all)."""
        self.beginResetModel()
        self._keep = keep
        self._order = self._sorted_order()
        self.endResetModel()

    def row_data(self, row: int) -> dict:
        """Return the row dict shown at model row `row`."""
        return self._snap.rows[self._order[row]]

    def snapshot_row(self, row: int) -> int:
        """Return the snapshot index of model row `row`."""
        return self._order[row]


    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of rows (0 under a valid parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of columns."""
        return 0 if parent.isValid() else len(self._snap.columns)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return the display text (also the tooltip, for cut-off cells), alignment or (ROW_ROLE) the
        row dict of a cell."""
        if not index.isValid():
            return None
        s = self._order[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._snap.display[s][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._snap.display[s][index.column()] or None
        if role == Qt.ItemDataRole.TextAlignmentRole and self._snap.columns[index.column()].centered:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == ROW_ROLE:
            return self._snap.rows[s]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return the column titles (and row numbers down the side)."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._snap.columns[section].title
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by `column` (pinyin for text), keeping selections on the same rows.

        A column of -1 restores the order the rows were loaded in.
        """
        self._sort = (column, order) if 0 <= column < len(self._snap.columns) else None
        self.layoutAboutToBeChanged.emit()
        old_order = self._order
        self._order = self._sorted_order()
        where = {s: position for position, s in enumerate(self._order)}
        old = self.persistentIndexList()
        new = [self.index(where[old_order[i.row()]], i.column()) for i in old]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _sorted_order(self) -> list[int]:
        snap, keep = self._snap, self._keep
        rows = range(len(snap.rows)) if keep is None else keep(snap)
        if self._sort is None:
            return list(rows)
        column, order = self._sort
        rank = snap.rank(column)
        return sorted(rows, key=rank.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)


class SnapshotFilterProxy(QSortFilterProxyModel):
    """Keeps the rows whose search text contains the filter text and whose fields equal the
    chosen values (school, class, status …); the source model (a SnapshotTableModel) does both the
    filtering and the sorting, this proxy passes its rows through."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._text = ""
        self._equals: dict[str, Any] = {}

    def set_filter(self, text: str | None = None, **equals: Any) -> None:
        """Set the filter text and/or field values (None removes a field's condition; a frozenset
        accepts any of its values)."""
        if text is not None:
            self._text = text.strip().casefold()
        for key, value in equals.items():
            if value is None:
                self._equals.pop(key, None)
            else:
                self._equals[key] = value
        model: SnapshotTableModel = self.sourceModel()
        model.set_row_filter(self._matching if self._text or self._equals else None)

    def _matching(self, snap: TableSnapshot) -> list[int]:
        """Return the snapshot rows that match the text and every chosen field value, in order: the
        rows of the first single value from the snapshot's index of that field, then one pass per
        other condition over the rows kept (a county's 60,000 pupils took a call per row and 150 ms
        per school chosen)."""
        rows, search, text = snap.rows, snap.search, self._text
        equals = list(self._equals.items())
        first = next((i for i, (_, value) in enumerate(equals) if not isinstance(value, frozenset)), None)
        if first is not None:
            kept: Iterable[int] = snap.rows_with(*equals.pop(first))
        else:
            kept = range(len(rows))
        if text:
            kept = [s for s in kept if text in search[s]]
        for key, value in equals:
            if isinstance(value, frozenset):
                kept = [s for s in kept if rows[s].get(key) in value]
            else:
                kept = [s for s in kept if rows[s].get(key) == value]
        return list(kept)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort through the source model's precomputed ranks (see the module docstring)."""
        self.sourceModel().sort(column, order)

    def row_data(self, row: int) -> dict:
        """Return the row dict shown at proxy row `row`."""
        return self.data(self.index(row, 0), ROW_ROLE)
