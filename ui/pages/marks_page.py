"""考试成绩: enter one class's marks of one exam in a spreadsheet-like grid, or import a workbook.

Keys (also shown on the page): type a score and press Enter to go to the next pupil, Tab to the
next subject; Q gives 缺考 and M 免考 (the words 缺考 / 免考 / 作弊 may be typed too); Delete
clears; Ctrl+V pastes a block copied from Excel or WPS; Ctrl+C copies; Ctrl+Z / Ctrl+Y undo and
redo. Every accepted cell is saved at once through app.marks.entry.set_mark (validated,
permission-checked, audited); a refused entry stays red with the reason and is not saved.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QHideEvent, QKeyEvent, QKeySequence, QShowEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QApplication, QComboBox, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QPushButton, QStyledItemDelegate,
                               QTableView, QVBoxLayout, QWidget)

from app.errors import NotFound, PermissionDenied, ValidationError
from app.marks.reading import read_marks
from app.marks.writing import apply_marks
from app.marks.grid import exam_classes, marks_grid
from app.progress import Cancelled
from app.queries.roster import list_schools
from app.services.exams import list_exams
from app.marks.entry import set_mark
from ui.dialogs.import_preview_dialog import IMPORT_ALL, ImportPreviewDialog
from ui.dialogs.mark_history_dialog import MarkHistoryDialog
from ui.dialogs.messages import inform, show_error
from ui.models.marks_grid_model import SHORTHANDS, Mark, MarksGridModel, mark_text, typed_value
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.choosers import SchoolCombo, chosen, refill

KEY_HELP = ("输入分数后按 Enter 到下一名学生,Tab 到下一科;Q = 缺考,M = 免考(也可输入“缺考”“免考”“作弊”);"
            "Delete 清除;从 Excel/WPS 复制一块成绩后按 Ctrl+V 粘贴;Ctrl+Z 撤销,Ctrl+Y 重做。"
            "每一格输入后立即保存,并记录修改人。")
_ERROR_STYLE = "color: #9b1c1c; font-weight: bold;"
_OK_STYLE = "color: #1b5e20;"


def parse_block(text: str) -> list[list[str]]:
    """Return the cells of a block copied from Excel or WPS: lines of tab-separated cells
    (the line break after the last line, and Windows line ends, are dropped)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split("\t") for line in lines]


def _value(mark: Mark) -> object:
    """Return what set_mark takes for a mark: the score, the status word, or None to clear."""
    if mark is None:
        return None
    score, status = mark
    return score if status == "正常" else status


class MarkCommand(QUndoCommand):
    """One cell changed from `old` to `new`; undo and redo write through set_mark again."""

    def __init__(self, page: MarksPage, exam_id: str, pupil_id: str, subject_id: str, old: Mark, new: Mark,
                 text: str):
        super().__init__(text)
        self.page, self.exam_id, self.pupil_id, self.subject_id = page, exam_id, pupil_id, subject_id
        self.old, self.new = old, new
        self._saved = True  # pushed after the first save: the first redo() has nothing to do

    def redo(self) -> None:  # noqa: D102 - QUndoCommand API
        if self._saved:
            self._saved = False
            return
        if self.page.write(self.exam_id, self.pupil_id, self.subject_id, self.new):
            self.page.say(self.page.tr("已重做:") + self.text())
        else:
            self.setObsolete(True)

    def undo(self) -> None:  # noqa: D102 - QUndoCommand API
        if self.page.write(self.exam_id, self.pupil_id, self.subject_id, self.old):
            self.page.say(self.page.tr("已撤销:") + self.text())
        else:
            self.setObsolete(True)


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


class MarksGridView(QTableView):
    """A table that moves like a spreadsheet: Enter goes down, Tab goes right."""

    def __init__(self, page: MarksPage):
        super().__init__(page)
        self.page = page

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
        """Make the cell below the current one current (stays on the last row)."""
        self.move_by(1, 0)

    def move_by(self, rows: int, columns: int) -> None:
        """Move the current cell, staying inside the grid."""
        index = self.currentIndex()
        if not index.isValid():
            return
        row, column = index.row() + rows, index.column() + columns
        if 0 <= row < self.model().rowCount() and 0 <= column < self.model().columnCount():
            self.setCurrentIndex(self.model().index(row, column))


class MarksPage(Page):
    """The 考试成绩 page."""

    depends_on = Changed.ROSTER | Changed.EXAMS | Changed.MARKS | Changed.ASSIGNMENTS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self._grid: dict | None = None
        self._dirty = False
        self.undo_stack = QUndoStack(self)
        layout = QVBoxLayout(self)

        choose = QHBoxLayout()
        self.exam_combo = QComboBox()
        self.exam_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.school_combo = SchoolCombo()
        self.school_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.school_combo.setVisible(session.is_township)
        self.class_combo = QComboBox()
        self.class_combo.setMinimumContentsLength(8)
        self.subject_combo = QComboBox()
        self.subject_combo.setMinimumContentsLength(6)
        for label, combo in ((self.tr("考试"), self.exam_combo), (self.tr("学校"), self.school_combo),
                             (self.tr("班级"), self.class_combo), (self.tr("科目"), self.subject_combo)):
            caption = QLabel(label)
            caption.setVisible(session.is_township or combo is not self.school_combo)
            choose.addWidget(caption)
            choose.addWidget(combo)
        self.exam_combo.currentIndexChanged.connect(self._exam_changed)
        self.school_combo.currentIndexChanged.connect(self._school_changed)
        self.class_combo.currentIndexChanged.connect(self._class_changed)
        self.subject_combo.currentIndexChanged.connect(self._subjects_changed)
        choose.addStretch(1)
        self.undo_button = QPushButton(self.tr("撤销"))
        self.redo_button = QPushButton(self.tr("重做"))
        undo = self.undo_stack.createUndoAction(self, self.tr("撤销"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, self.tr("重做"))
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        for action in (undo, redo):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        # The buttons keep a short caption; what would be undone or redone shows as their tooltip.
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_stack.undoTextChanged.connect(self.undo_button.setToolTip)
        self.undo_stack.redoTextChanged.connect(self.redo_button.setToolTip)
        for button in (self.undo_button, self.redo_button):
            button.setEnabled(False)
            choose.addWidget(button)
        self.import_button = QPushButton(self.tr("导入成绩…"))
        self.import_button.setToolTip(self.tr("从 Excel(.xlsx)或 CSV 成绩表导入所选考试的成绩,导入前先预览"))
        self.import_button.clicked.connect(self.import_file)
        choose.addWidget(self.import_button)
        layout.addLayout(choose)

        self.help_label = QLabel(self.tr(KEY_HELP))
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet("color: #555;")
        layout.addWidget(self.help_label)

        self.model = MarksGridModel(self)
        self.model.edit_requested.connect(self.enter)
        self.model.dataChanged.connect(lambda *_: self._update_count())
        self.model.modelReset.connect(self._update_count)
        self.table = MarksGridView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegate(MarkDelegate(self))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                                   | QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.table.setTabKeyNavigation(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(72)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._cell_menu)
        layout.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.message = QLabel()
        self.message.setObjectName("marks_message")
        self.message.setWordWrap(True)
        bottom.addWidget(self.message, 1)
        self.count_label = QLabel()
        bottom.addWidget(self.count_label)
        layout.addLayout(bottom)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("考试成绩")

    # --- choosing exam, class and subjects -------------------------------------------------------
    def refresh(self) -> None:
        """Refill the exam, school and class lists (keeping the choice) and reload the grid."""
        refill(self.exam_combo, [(e["name"], e["id"], e["term_name"]) for e in list_exams(self.session.db)])
        if self.exam_combo.count() == 0:
            self.say(self.tr("还没有考试。请先在“考试设置”页点“新建考试…”,再录入成绩。"), error=True)
        self._fill_schools()

    def _fill_schools(self) -> None:
        own = self.session.actor.school_id
        self.school_combo.fill(s for s in list_schools(self.session.db) if own in (None, s["id"]))
        self._fill_classes()

    def _fill_classes(self) -> None:
        exam_id, school_id = self.exam_id(), self.school_combo.school()
        classes = exam_classes(self.session.db, exam_id, school_id) if exam_id and school_id else []
        refill(self.class_combo, [(row["name"], row["id"]) for row in classes])
        self._load_grid()

    def _exam_changed(self) -> None:
        self._fill_classes()

    def _school_changed(self) -> None:
        self._fill_classes()

    def _class_changed(self) -> None:
        self._load_grid()

    def exam_id(self) -> str | None:
        """Return the chosen exam's id."""
        return self.exam_combo.currentData()

    def select(self, exam_id: str, class_id: str, school_id: str | None = None) -> None:
        """Show one class of one exam (as if chosen in the lists)."""
        self.exam_combo.setCurrentIndex(self.exam_combo.findData(exam_id))
        if school_id is not None:
            self.school_combo.setCurrentIndex(self.school_combo.findData(school_id))
        self.class_combo.setCurrentIndex(self.class_combo.findData(class_id))

    def _load_grid(self) -> None:
        self.commit_pending()
        self.undo_stack.clear()
        exam_id, class_id = self.exam_id(), self.class_combo.currentData()
        if exam_id is None or class_id is None:
            self.session.tasks.cancel(self)
            self._grid = None
            self.model.set_grid({"subjects": [], "pupils": []})
            self._fill_subjects()
            return
        session = self.session
        self.count_label.setText(self.tr("正在加载…"))
        session.tasks.run(lambda _control: marks_grid(session.worker_db(), exam_id, class_id),
                          on_done=self._loaded, on_error=lambda exc: show_error(self, exc), key=self)

    def _loaded(self, grid: dict) -> None:
        self._grid = grid
        self._fill_subjects()
        self.say("")

    def _fill_subjects(self) -> None:
        refill(self.subject_combo, [(s["name"], s["subject_id"]) for s in (self._grid or {}).get("subjects", [])],
               all_text=self.tr("全部科目"))
        self._subjects_changed()

    def _subjects_changed(self) -> None:
        if self._grid is None:
            return
        subject = chosen(self.subject_combo)
        self.model.set_grid(self._grid, None if subject is None else {subject})
        self.table.setColumnWidth(0, self.table.fontMetrics().horizontalAdvance("G000000000000000000") + 16)
        self.table.setColumnWidth(1, self.table.fontMetrics().horizontalAdvance("中中中中") + 16)
        if self.model.rowCount() and self.model.columnCount() > 2:
            self.table.setCurrentIndex(self.model.index(0, 2))

    def _update_count(self) -> None:
        model = self.model
        cells = [(r, c) for r in range(model.rowCount()) for c in range(2, model.columnCount()) if model.examined(r, c)]
        filled = sum(model.stored(r, c) is not None for r, c in cells)
        text = self.tr("{n} 名学生,已录 {filled} / {cells} 格").format(n=model.rowCount(), filled=filled,
                                                                     cells=len(cells))
        if model.invalid_count():
            text += self.tr(",{n} 格有误未保存").format(n=model.invalid_count())
        self.count_label.setText(text)

    # --- entering marks --------------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        """Show a line under the grid (red for a refusal)."""
        self.message.setText(text)
        self.message.setStyleSheet(_ERROR_STYLE if error else _OK_STYLE)

    def check_typing(self, editor: QLineEdit, where: QPersistentModelIndex, text: str) -> None:
        """Colour the editor red with the reason while `text` is not a mark (a trailing '.' is
        taken as a half point still being typed)."""
        if not where.isValid():
            return
        _, reason = self.model.check(where.row(), where.column(), text)
        if reason and not text.rstrip().endswith("."):
            editor.setStyleSheet("background: #f8d7da; color: #9b1c1c;")
            editor.setToolTip(reason)
            self.say(reason, error=True)
        else:
            editor.setStyleSheet("")
            editor.setToolTip("")
            self.say("")

    def _cell_label(self, row: int, column: int) -> str:
        subject = self.model.subject_at(column)
        return f"{self.model.pupils[row]['name']} {subject['name'] if subject else ''}"

    def enter(self, row: int, column: int, text: str) -> None:
        """Save what was typed into a cell, or show it red with the reason (not saved)."""
        self._apply([(row, column, text)], None)

    def _apply(self, cells: list[tuple[int, int, str]], label: str | None) -> None:
        """Check every cell, save the good ones (one undo step for them all), mark the others red."""
        model, exam_id = self.model, self.exam_id()
        todo, refused = [], []
        for row, column, text in cells:
            if not model.examined(row, column):
                continue
            mark, reason = model.check(row, column, text)
            if reason is not None:
                model.set_invalid(row, column, typed_value(text), reason)
                refused.append(f"{self._cell_label(row, column)}:{reason}")
                continue
            if mark == model.stored(row, column):
                model.clear_invalid(row, column)
                continue
            todo.append((row, column, mark))
        saved = 0
        if todo and label:
            self.undo_stack.beginMacro(label)
        for row, column, mark in todo:
            pupil_id = model.pupils[row]["pupil_id"]
            subject_id = model.subject_at(column)["subject_id"]
            old = model.stored(row, column)
            if not self.write(exam_id, pupil_id, subject_id, mark):
                break
            saved += 1
            what = f"{self._cell_label(row, column)} {mark_text(old) or '空'} → {mark_text(mark) or '空'}"
            self.undo_stack.push(MarkCommand(self, exam_id, pupil_id, subject_id, old, mark, what))
        if todo and label:
            self.undo_stack.endMacro()
        if refused:
            more = self.tr("(另有 {n} 格)").format(n=len(refused) - 1) if len(refused) > 1 else ""
            self.say(self.tr("未保存:") + refused[0] + more, error=True)
        elif saved and saved == len(todo):
            self.say(self.tr("已保存 {n} 格").format(n=saved) if label else
                     self.tr("已保存:") + self.undo_stack.command(self.undo_stack.index() - 1).text())

    def write(self, exam_id: str, pupil_id: str, subject_id: str, mark: Mark) -> bool:
        """Save one mark through set_mark and show it; on a refusal (no permission, exam changed)
        show the reason in Chinese under the grid and return False."""
        try:
            row = set_mark(self.session.db, self.session.actor, exam_id=exam_id, pupil_id=pupil_id,
                           subject_id=subject_id, value=_value(mark))
        except (PermissionDenied, ValidationError, NotFound) as exc:
            self.say(self.tr("未保存:") + str(exc), error=True)
            return False
        self._dirty = True
        where = self.model.locate(pupil_id, subject_id) if exam_id == self.exam_id() else None
        if where is not None:
            self.model.set_stored(*where, None if row is None else (row["score"], row["status"]))
        return True

    def _cell_menu(self, position) -> None:
        index = self.table.indexAt(position)
        if not index.isValid() or not self.model.examined(index.row(), index.column()):
            return
        menu = QMenu(self)
        menu.addAction(self.tr("修改记录…"), lambda: self.show_history(index.row(), index.column()))
        menu.exec(self.table.viewport().mapToGlobal(position))

    def show_history(self, row: int, column: int) -> MarkHistoryDialog:
        """Show who changed the mark in this cell, when, and from what to what; return the dialog."""
        dialog = MarkHistoryDialog(self.session.db, self.exam_id(), self.model.pupils[row]["pupil_id"],
                                   self.model.subject_at(column)["subject_id"], self._cell_label(row, column), self)
        dialog.open()
        return dialog

    def paste(self) -> None:
        """Paste the clipboard's block from the current cell on (one value fills the selection)."""
        self.paste_text(QApplication.clipboard().text())

    def paste_text(self, text: str) -> None:
        """Enter a tab-separated block at the current cell; cells past the grid are left out."""
        block = parse_block(text)
        current = self.table.currentIndex()
        if not block or not current.isValid():
            return
        selected = self.table.selectionModel().selectedIndexes()
        if len(block) == 1 and len(block[0]) == 1 and len(selected) > 1:
            cells = [(i.row(), i.column(), block[0][0]) for i in selected]
        else:
            top = min([i.row() for i in selected] or [current.row()])
            left = min([i.column() for i in selected] or [current.column()])
            cells = [(top + r, left + c, value) for r, line in enumerate(block) for c, value in enumerate(line)
                     if top + r < self.model.rowCount() and left + c < self.model.columnCount()]
        self._apply(cells, self.tr("粘贴"))

    def copy(self) -> None:
        """Copy the selected block as tab-separated text (as Excel and WPS paste it)."""
        selected = self.table.selectionModel().selectedIndexes()
        if not selected:
            return
        rows = sorted({i.row() for i in selected})
        columns = sorted({i.column() for i in selected})
        lines = ["\t".join(self.model.index(r, c).data() or "" for c in columns) for r in rows]
        QApplication.clipboard().setText("\n".join(lines) + "\n")

    def clear_selected(self) -> None:
        """Clear the marks of the selected cells (one undo step)."""
        cells = [(i.row(), i.column(), "") for i in self.table.selectionModel().selectedIndexes()]
        self._apply(cells, self.tr("清除"))

    def select_cell(self, row: int, column: int) -> None:
        """Make one cell current and selected."""
        index = self.model.index(row, column)
        self.table.setCurrentIndex(index)
        self.table.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def commit_pending(self) -> None:
        """Save what is being typed in an open cell editor (as Enter would, without moving)."""
        editor = self.table.indexWidget(self.table.currentIndex())
        if editor is not None and self.table.state() == QAbstractItemView.State.EditingState:
            self.table.commitData(editor)
            self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        """Watch the window, so a cell still being typed is saved before the window closes."""
        super().showEvent(event)
        self.window().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Save an open cell editor before the window closes (and with it the database)."""
        if event.type() == QEvent.Type.Close and watched is self.window():
            self.commit_pending()
        return False

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt API
        """Save an open cell editor; let the other pages (statistics, overview) reload once
        marks were changed here."""
        self.commit_pending()
        super().hideEvent(event)
        if self._dirty:
            self._dirty = False
            self.session.notify_changed(Changed.MARKS)

    # --- import ----------------------------------------------------------------------------------
    def import_file(self) -> None:
        """Pick a marks workbook, then preview and import it (see import_path)."""
        if self.exam_id() is None:
            self.say(self.tr("请先选择考试。"), error=True)
            return
        name, _ = QFileDialog.getOpenFileName(self, self.tr("选择要导入的成绩表"), str(Path.home()),
                                              self.tr("表格文件 (*.xlsx *.xlsm *.csv)"))
        if name:
            self.import_path(Path(name))

    def import_path(self, path: Path) -> None:
        """Read `path` for the chosen exam in the background, preview it, and import it when the
        whole file is accepted and the user confirms."""
        session, exam_id = self.session, self.exam_id()
        school_id = session.actor.school_id or (None if session.is_township else self.school_combo.school())
        try:
            plan = session.tasks.run_modal(
                lambda control: read_marks(session.worker_db(), path, exam_id, school_id=school_id,
                                           progress=control.progress, cancelled=control.cancelled),
                label=self.tr("正在读取“{name}”…").format(name=path.name), parent=self, cancellable=True)
        except Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 - shown as a Chinese message
            show_error(self, exc)
            return
        dialog = ImportPreviewDialog(plan, self.tr("考试成绩"), path.name, self)
        dialog.summary_label.setText(plan.describe())
        dialog.valid_button.setVisible(False)  # marks go in only when the whole file is right
        if plan.problems:
            dialog.problem_label.setText(self.tr("发现 {n} 个问题(涉及 {rows} 行)。成绩表只能整份导入:"
                                                 "请在表格中改正后重新导入。").format(
                n=len(plan.problems), rows=plan.rows_with_problems))
        if not dialog.exec() or dialog.choice != IMPORT_ALL:
            return
        try:
            result = session.tasks.run_modal(
                lambda control: apply_marks(session.worker_db(), session.actor, plan, progress=control.progress),
                label=self.tr("正在导入…"), parent=self)
        except Exception as exc:  # noqa: BLE001 - shown as a Chinese message
            show_error(self, exc)
            return
        session.notify_changed(Changed.MARKS)
        inform(self, self.tr("导入完成"), self.tr("导入完成:新增 {add} 条成绩,更新 {update} 条,未变 {unchanged} 条。").format(
            **result))
