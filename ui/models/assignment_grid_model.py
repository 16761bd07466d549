"""The 任课 grid: one row per class, one column per subject, each cell the teacher and weekly periods.

Edits stay pending (shaded) until the page saves them all through app.services.assignments.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.services.assignments import Key, Wanted

ModelIndex = QModelIndex | QPersistentModelIndex
PENDING = QBrush(QColor("#fff3c4"))


class AssignmentGridModel(QAbstractTableModel):
    """A grid from app.services.assignments.assignment_grid plus the user's pending edits."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.grid: dict = {"classes": [], "subjects": [], "teachers": [], "cells": {}, "default_periods": {}}
        self.pending: dict[Key, Wanted] = {}
        self.editable = False
        self._names: dict[str, str] = {}

    def set_grid(self, grid: dict, editable: bool) -> None:
        """Show `grid`, dropping pending edits."""
        self.beginResetModel()
        self.grid = grid
        self.pending = {}
        self.editable = editable
        self._names = {t["id"]: t["name"] for t in grid["teachers"]}
        self.endResetModel()

    def key(self, index: ModelIndex) -> Key:
        """Return (class_id, subject_id) of a cell."""
        return self.grid["classes"][index.row()]["id"], self.grid["subjects"][index.column()]["id"]

    def cell(self, index: ModelIndex) -> Wanted:
        """Return what the cell holds now (pending edit, else stored), periods always filled in."""
        key = self.key(index)
        if key in self.pending:
            wanted = self.pending[key]
            stored = self.grid["cells"].get(key)
            periods = wanted.periods if wanted.periods is not None else (
                stored["periods"] if stored else self.grid["default_periods"].get(key, 0.0))
            return Wanted(wanted.teacher_id, periods)
        stored = self.grid["cells"].get(key)
        if stored:
            return Wanted(stored["teacher_id"], stored["periods"])
        return Wanted(None, self.grid["default_periods"].get(key, 0.0))

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of classes."""
        return 0 if parent.isValid() else len(self.grid["classes"])

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        """Return the number of subjects."""
        return 0 if parent.isValid() else len(self.grid["subjects"])

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return '李明 4节' for a cell, the Wanted for EditRole, and the pending shade."""
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            cell = self.cell(index)
            if cell.teacher_id is None:
                return ""
            return f"{self._names.get(cell.teacher_id, '?')} {cell.periods:g}节"
        if role == Qt.ItemDataRole.EditRole:
            return self.cell(index)
        if role == Qt.ItemDataRole.BackgroundRole and self.key(index) in self.pending:
            return PENDING
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Record a pending edit (a Wanted); returns True when the cell changed."""
        if role != Qt.ItemDataRole.EditRole or not isinstance(value, Wanted) or not self.editable:
            return False
        if value == self.cell(index):
            return False
        self.pending[self.key(index)] = value
        self.dataChanged.emit(index, index)
        return True

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """Cells are editable for who may assign."""
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if self.editable else base

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return the subject (columns) and class (rows) names."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.grid["subjects"][section]["name"]
        return self.grid["classes"][section]["name"]
