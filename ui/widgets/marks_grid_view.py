"""The grid view of the 考试成绩 page: a table that moves like a spreadsheet (Enter goes down and,
after the last pupil, on to the next subject; Tab goes right), keeps the pupil columns in view
while the subjects scroll sideways, and checks a mark while it is typed."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QHeaderView, QLineEdit,
                               QStyledItemDelegate, QTableView, QWidget)

from ui.models.marks_grid_model import SHORTHANDS

if TYPE_CHECKING:
    from ui.pages.marks_page import MarksPage


class MarkDelegate(QStyledItemDelegate):
    """A centred line editor that turns red with the reason while what is typed is not a mark."""

    def __init__(self, page: MarksPage):
        super().__init__(page)
        self.page = page

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget:  # noqa: N802 - Qt API
        """Return the editor, checked on every keystroke."""
        editor = QLineEdit(parent)
        editor.setAlignment(Qt.AlignmentFlag.AlignCenter)
        where = QPersistentModelIndex(index)
        editor.textEdited.connect(lambda text: self.page.check_typing(editor, where, text))
        return editor


class FrozenColumns(QTableView):
    """The 学籍号 / 姓名 (/ 年级) columns drawn over the grid's left edge, so they stay in view while
    the subjects scroll sideways (after Qt's frozen-column example)."""

    def __init__(self, grid: MarksGridView):
        super().__init__(grid)
        self.grid = grid
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setStyleSheet("QTableView { border: none; background: #fafafa; }")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalScrollBar().valueChanged.connect(grid.verticalScrollBar().setValue)
        grid.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)

    def follow(self) -> None:
        """Show the grid's fixed columns only, as wide and high as in the grid, at its left edge."""
        grid, model = self.grid, self.grid.model()
        if self.model() is not model:
            self.setModel(model)
            self.setSelectionModel(grid.selectionModel())
        fixed = getattr(model, "fixed", 0)
        width = 0
        for column in range(model.columnCount()):
            self.setColumnHidden(column, column >= fixed)
            if column < fixed:
                self.setColumnWidth(column, grid.columnWidth(column))
                width += grid.columnWidth(column)
        self.verticalHeader().setDefaultSectionSize(grid.verticalHeader().defaultSectionSize())
        self.setVisible(fixed > 0)
        self.setGeometry(grid.verticalHeader().width() + grid.frameWidth(), grid.frameWidth(), width,
                         grid.viewport().height() + grid.horizontalHeader().height())


class MarksGridView(QTableView):
    """A table that moves like a spreadsheet: Enter goes down, Tab goes right; the pupil columns
    stay in view."""

    def __init__(self, page: MarksPage):
        super().__init__(page)
        self.page = page
        self.frozen = FrozenColumns(self)
        self.horizontalHeader().sectionResized.connect(lambda *_: self.frozen.follow())

    def setModel(self, model) -> None:  # noqa: N802, ANN001 - Qt API
        """Show `model` here and in the frozen columns."""
        super().setModel(model)
        model.modelReset.connect(self.frozen.follow)
        self.frozen.follow()

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        """Keep the frozen columns over the left edge."""
        super().resizeEvent(event)
        self.frozen.follow()

    def moveCursor(self, action, modifiers):  # noqa: N802, ANN001, ANN201 - Qt API
        """Keep the current cell out from under the frozen columns when moving left."""
        index = super().moveCursor(action, modifiers)
        fixed = getattr(self.model(), "fixed", 0)
        if action == QAbstractItemView.CursorAction.MoveLeft and index.isValid() and index.column() >= fixed:
            left = self.visualRect(index).left()
            covered = self.frozen.width()
            if left < covered:
                bar = self.horizontalScrollBar()
                bar.setValue(bar.value() + left - covered)
        return index

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:  # noqa: N802, ANN001
        """Scroll only up and down for the fixed columns (they are always in view)."""
        if index.column() >= getattr(self.model(), "fixed", 0):
            super().scrollTo(index, hint)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        """Handle Enter, Delete, Q / M, Ctrl+C and Ctrl+V outside the editor; the rest as usual."""
        if self.state() != QAbstractItemView.State.EditingState:
            plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
            if event.matches(QKeySequence.StandardKey.Paste):
                self.page.paste()
                return
            if event.matches(QKeySequence.StandardKey.Copy):
                self.page.copy()
                return
            if plain and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.move_down()
                return
            if plain and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.page.clear_selected()
                return
            if event.text().upper() in SHORTHANDS and event.modifiers() in (
                    Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
                index = self.currentIndex()
                if index.isValid():
                    self.page.enter(index.row(), index.column(), SHORTHANDS[event.text().upper()])
                    self.move_down()
                return
        super().keyPressEvent(event)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:  # noqa: N802
        """After Enter in the editor go to the next pupil, after Tab to the next subject (Shift+Tab
        the previous one), without opening an editor there: typing then replaces the cell."""
        hints = QAbstractItemDelegate.EndEditHint
        super().closeEditor(editor, hints.NoHint if hint in (hints.EditNextItem, hints.EditPreviousItem) else hint)
        if hint == hints.SubmitModelCache:
            self.move_down()
        elif hint == hints.EditNextItem:
            self.move_by(0, 1)
        elif hint == hints.EditPreviousItem:
            self.move_by(0, -1)

    def move_down(self) -> None:
        """Make the cell below the current one current; after the last pupil, the first pupil of
        the next subject (stays on the last cell of the grid)."""
        index = self.currentIndex()
        model = self.model()
        if index.isValid() and index.row() == model.rowCount() - 1:
            later = [c for c in model.subject_columns() if c > index.column()]
            if later:
                self.setCurrentIndex(model.index(0, later[0]))
                self.page.say(self.page.tr("已到本列最后一名学生,转到下一科:{name}").format(
                    name=model.subject_at(later[0])["name"]))
            return
        self.move_by(1, 0)

    def move_by(self, rows: int, columns: int) -> None:
        """Move the current cell, staying inside the grid."""
        index = self.currentIndex()
        if not index.isValid():
            return
        row, column = index.row() + rows, index.column() + columns
        if 0 <= row < self.model().rowCount() and 0 <= column < self.model().columnCount():
            self.setCurrentIndex(self.model().index(row, column))
