"""考试成绩: enter one class's marks of one exam in a spreadsheet-like grid, or import a workbook.

Keys (also shown on the page): type a score and press Enter to go to the next pupil (after the
last pupil, to the first pupil of the next subject), Tab to the next subject; Q gives 缺考 and M
免考 (the words 缺考 / 免考 / 作弊 may be typed too); Delete clears (more than one mark only after
asking); Ctrl+V pastes a block copied from Excel or WPS; Ctrl+C copies; Ctrl+Z undoes, Ctrl+Y (or
Ctrl+Shift+Z) redoes, also after switching to another class. Every accepted cell is saved at once
through app.marks.entry.set_mark (validated, permission-checked, audited) on the background
worker, a pasted block in one task; a refused entry stays red with the reason and is not saved.

A pasted block that holds 学籍号 or names goes to the pupils it names, whatever their order in the
grid (app.marks.paste); a block of bare scores goes by position, after a preview. Both
show which marks change from what to what before anything is written.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QHideEvent, QKeySequence, QShowEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QApplication, QComboBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QMenu, QPushButton, QVBoxLayout, QWidget)

from app.errors import NotFound, PermissionDenied, ValidationError
from app.marks.entry import set_mark
from app.marks.grid import exam_classes, marks_grid
from app.marks.paste import PasteMatch, match_block
from app.marks.reading import read_marks
from app.marks.writing import apply_marks
from app.queries.roster import list_schools
from app.services.exams import list_exams
from app.services.permissions import mark_write_subjects
from ui.dialogs.import_preview_dialog import IMPORT_ALL, ImportPreviewDialog
from ui.dialogs.mark_changes_dialog import MarkChangesDialog, changes_table
from ui.dialogs.mark_history_dialog import MarkHistoryDialog
from ui.dialogs.messages import confirm, inform, show_error
from ui.models.marks_grid_model import Mark, MarksGridModel, mark_text, typed_value
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.tasks import run_shown
from ui.widgets.choosers import SchoolCombo, chosen, refill
from ui.widgets.marks_grid_view import MarkDelegate, MarksGridView
from ui.widgets.scaffold import choose_file, note_label, push_button

KEY_HELP = ("输入分数后按 Enter 到下一名学生(最后一名之后到下一科),Tab 到下一科;Q = 缺考,M = 免考"
            "(也可输入“缺考”“免考”“作弊”);Delete 清除;从 Excel/WPS 复制成绩后按 Ctrl+V 粘贴"
            "(带学籍号或姓名一起复制时按学生对应,不按行序);Ctrl+Z 撤销,Ctrl+Y 重做。"
            "每一格输入后立即保存,并记录修改人。红字:不及格;绿底:优秀;灰色:只读。")
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


class MarksPage(Page):
    """The 考试成绩 page."""

    depends_on = Changed.ROSTER | Changed.EXAMS | Changed.MARKS | Changed.ASSIGNMENTS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self._grid: dict | None = None
        self._writable: set[str] | None = None
        self._dirty = False
        self.undo_stack = QUndoStack(self)
        layout = QVBoxLayout(self)

        choose = QHBoxLayout()
        self.exam_combo = QComboBox()
        self.exam_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.school_combo = SchoolCombo()
        self.school_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        if not session.is_township:  # hide only: showing a widget without a parent opens it as a window
            self.school_combo.hide()
        self.class_combo = QComboBox()
        self.class_combo.setMinimumContentsLength(8)
        self.subject_combo = QComboBox()
        self.subject_combo.setMinimumContentsLength(6)
        for label, combo in ((self.tr("考试"), self.exam_combo), (self.tr("学校"), self.school_combo),
                             (self.tr("班级"), self.class_combo), (self.tr("科目"), self.subject_combo)):
            caption = QLabel(label)
            if combo is self.school_combo and not session.is_township:
                caption.hide()
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
        # Ctrl+Y on every platform (Qt's own Redo key is Ctrl+Shift+Z on Linux), and Ctrl+Shift+Z too.
        redo.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
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
        self.import_button = push_button(self.tr("导入成绩…"), self.import_file,
                                         tip=self.tr("从 Excel(.xlsx)或 CSV 成绩表导入所选考试的成绩,导入前先预览"))
        choose.addWidget(self.import_button)
        layout.addLayout(choose)

        self.help_label = note_label(self.tr(KEY_HELP))
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
        self.school_combo.fill_visible(list_schools(self.session.db), self.session.actor.school_id)
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
        # The undo stack is kept: a command names its exam, pupil and subject, so Ctrl+Z after
        # switching class still takes back what was typed in the other class.
        self.commit_pending()
        exam_id, class_id = self.exam_id(), self.class_combo.currentData()
        if exam_id is None or class_id is None:
            self.session.tasks.cancel(self)
            self._grid = None
            self.model.set_grid({"subjects": [], "pupils": []})
            self._fill_subjects()
            return
        session = self.session
        self.count_label.setText(self.tr("正在加载…"))
        def load(_control: object) -> tuple[dict, set[str] | None]:
            db = session.worker_db()
            grid = marks_grid(db, exam_id, class_id)
            return grid, mark_write_subjects(db, session.actor, grid["class"]["school_id"], class_id,
                                             grid["exam"]["term_id"])

        session.tasks.run(load, on_done=lambda loaded: self._loaded(*loaded),
                          on_error=lambda exc: show_error(self, exc), key=self)

    def _loaded(self, grid: dict, writable: set[str] | None) -> None:
        self._grid = grid
        self._writable = writable
        self._fill_subjects()
        names = [s["name"] for s in grid["subjects"] if writable is not None and s["subject_id"] not in writable]
        if names and len(names) == len(grid["subjects"]):
            self.say(self.tr("您没有任教这个班,成绩只能查看(灰色)。"))
        elif names:
            self.say(self.tr("灰色的科目只能查看:{names}(您没有任教)。").format(names="、".join(names)))
        else:
            self.say("")

    def _fill_subjects(self) -> None:
        refill(self.subject_combo, [(s["name"], s["subject_id"]) for s in (self._grid or {}).get("subjects", [])],
               all_text=self.tr("全部科目"))
        self._subjects_changed()

    def _subjects_changed(self) -> None:
        if self._grid is None:
            return
        subject = chosen(self.subject_combo)
        self.model.set_grid(self._grid, None if subject is None else {subject}, self._writable)
        metrics = self.table.fontMetrics()
        self.table.setColumnWidth(0, metrics.horizontalAdvance("G000000000000000000") + 16)
        self.table.setColumnWidth(1, metrics.horizontalAdvance("中中中中") + 16)
        if self.model.fixed > 2:
            self.table.setColumnWidth(2, metrics.horizontalAdvance("中中中") + 16)
        if self.model.total_column is not None:
            self.table.setColumnWidth(self.model.total_column, metrics.horizontalAdvance("000.5") + 24)
        columns = self.model.subject_columns()
        # A subject's column is as wide as its title (“体育与健康(等级)” is wider than a score).
        header = self.table.horizontalHeader()
        for column in columns:
            title = self.model.headerData(column, Qt.Orientation.Horizontal)
            self.table.setColumnWidth(column, max(header.defaultSectionSize(),
                                                  header.fontMetrics().horizontalAdvance(title) + 16))
        if self.model.rowCount() and len(columns):
            first = next((c for c in columns if self.model.may_write(c)), columns[0])
            self.table.setCurrentIndex(self.model.index(0, first))

    def _update_count(self) -> None:
        model = self.model
        cells = [(r, c) for r in range(model.rowCount()) for c in model.subject_columns() if model.examined(r, c)]
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
            if not model.may_write(column):
                refused.append(self.tr("{cell}:只读(您没有任教这个班的这一科)").format(
                    cell=self._cell_label(row, column)))
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
        cells_todo = [(model.pupils[row]["pupil_id"], model.subject_at(column)["subject_id"], mark)
                      for row, column, mark in todo]
        olds = [model.stored(row, column) for row, column, _ in todo]
        saved = self.write_many(exam_id, cells_todo)
        if saved and label:
            self.undo_stack.beginMacro(label)
        for (row, column, mark), old, (pupil_id, subject_id, _) in list(zip(todo, olds, cells_todo))[:saved]:
            levels = model.subject_at(column).get("levels")
            what = (f"{self._cell_label(row, column)} {mark_text(old, levels) or '空'} → "
                    f"{mark_text(mark, levels) or '空'}")
            self.undo_stack.push(MarkCommand(self, exam_id, pupil_id, subject_id, old, mark, what))
        if saved and label:
            self.undo_stack.endMacro()
        if refused:
            more = self.tr("(另有 {n} 格)").format(n=len(refused) - 1) if len(refused) > 1 else ""
            self.say(self.tr("未保存:") + refused[0] + more, error=True)
        elif saved and saved == len(todo):
            self.say(self.tr("已保存 {n} 格").format(n=saved) if label else
                     self.tr("已保存:") + self.undo_stack.command(self.undo_stack.index() - 1).text())

    def write(self, exam_id: str, pupil_id: str, subject_id: str, mark: Mark) -> bool:
        """Save one mark (see write_many); return False when it was refused."""
        return self.write_many(exam_id, [(pupil_id, subject_id, mark)]) == 1

    def write_many(self, exam_id: str, cells: list[tuple[str, str, Mark]]) -> int:
        """Save marks (pupil_id, subject_id, mark) through set_mark, one after the other on the
        background worker (the window keeps repainting meanwhile), and show them; stop at the first
        refusal (no permission, exam changed) and show its reason in Chinese under the grid. Return
        how many were saved."""
        if not cells:
            return 0
        session = self.session

        def save(_control: object) -> tuple[list[dict | None], BaseException | None]:
            rows: list[dict | None] = []
            for pupil_id, subject_id, mark in cells:
                try:
                    rows.append(set_mark(session.worker_db(), session.actor, exam_id=exam_id, pupil_id=pupil_id,
                                         subject_id=subject_id, value=_value(mark)))
                except (PermissionDenied, ValidationError, NotFound) as exc:
                    return rows, exc
            return rows, None

        rows, refusal = session.tasks.run_modal(save)
        if refusal is not None:
            self.say(self.tr("未保存:") + str(refusal), error=True)
        if rows:
            self._dirty = True
        if exam_id == self.exam_id():
            for (pupil_id, subject_id, _), row in zip(cells, rows):
                self.model.store(pupil_id, subject_id, None if row is None else (row["score"], row["status"]))
        return len(rows)

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
        """Enter a tab-separated block. With 学籍号 or names in it, each line goes to the pupil it
        names (after showing what matched and what changes); without them, from the current cell
        on, and a block of more than one line is previewed first. Cells past the grid are left out."""
        block = parse_block(text)
        current = self.table.currentIndex()
        model = self.model
        if not block or not current.isValid():
            return
        match = match_block(block, model.pupils, model.subjects, max(0, current.column() - model.fixed))
        if match.by:
            cells = [(pupil, model.fixed + subject, value) for pupil, subject, value in match.cells]
            if self._confirm_paste(cells, self._match_summary(match), self._unmatched_lines(match)):
                self._apply(cells, self.tr("粘贴"))
                if match.unmatched:
                    self.say(self.tr("已按{by}粘贴;{n} 行未能对应,没有粘贴:").format(by=match.by, n=len(match.unmatched))
                             + ";".join(self._unmatched_lines(match)[:3]), error=True)
            return
        selected = self.table.selectionModel().selectedIndexes()
        if len(block) == 1 and len(block[0]) == 1 and len(selected) > 1:
            cells = [(i.row(), i.column(), block[0][0]) for i in selected]
        else:
            top = min([i.row() for i in selected] or [current.row()])
            left = min([i.column() for i in selected] or [current.column()])
            cells = [(top + r, left + c, value) for r, line in enumerate(block) for c, value in enumerate(line)
                     if top + r < model.rowCount() and left + c < model.columnCount()]
            if len(block) > 1:
                first, last = model.pupils[top]["name"], model.pupils[min(top + len(block), model.rowCount()) - 1]["name"]
                summary = self.tr("复制的内容里没有学籍号或姓名,将按表格中的行序从“{first}”粘贴到“{last}”。"
                                  "请核对每名学生的新成绩;若原表的排序与这里不同,请取消,连同姓名或学籍号一起复制再粘贴。"
                                  ).format(first=first, last=last)
                if not self._confirm_paste(cells, summary, []):
                    return
        self._apply(cells, self.tr("粘贴"))

    def _match_summary(self, match: PasteMatch) -> str:
        text = self.tr("按{by}对应:{n} 行找到了学生").format(by=match.by, n=len(match.matched))
        if match.unmatched:
            text += self.tr(",{n} 行未能对应(不粘贴)").format(n=len(match.unmatched))
        if match.ignored_columns:
            text += self.tr(";不是本次考试科目的列不粘贴:{names}").format(names="、".join(match.ignored_columns))
        return text + self.tr("。")

    def _unmatched_lines(self, match: PasteMatch) -> list[str]:
        return [self.tr("第 {line} 行“{said}”:{why}").format(line=line, said=said, why=why)
                for line, said, why in match.unmatched]

    def _confirm_paste(self, cells: list[tuple[int, int, str]], summary: str, problems: list[str]) -> bool:
        """Show which marks the paste changes (from what to what) and return True when confirmed."""
        model, changes = self.model, []
        for row, column, text in cells:
            if not model.examined(row, column):
                continue
            mark, reason = model.check(row, column, text)
            old = model.stored(row, column)
            if reason is None and mark == old:
                continue
            pupil = model.pupils[row]
            changes.append({"line": row + 1, "student_no": pupil["student_no"], "name": pupil["name"],
                            "subject": model.subject_at(column)["name"], "old": mark_text(old),
                            "new": (typed_value(text) + self.tr("(有误,不保存)")) if reason else
                            (mark_text(mark) or self.tr("(清除)")) if model.may_write(column)
                            else mark_text(mark) + self.tr("(只读,不保存)")})
        if not changes:
            self.say(self.tr("粘贴的成绩与已有的相同,没有改动。") if not problems else problems[0], error=bool(problems))
            return False
        dialog = MarkChangesDialog(self.tr("粘贴成绩:核对后确认"),
                                   summary + self.tr("将改动 {n} 格,见下表。").format(n=len(changes)),
                                   changes, problems, self.tr("粘贴"), self)
        return dialog.exec() == MarkChangesDialog.DialogCode.Accepted

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
        """Clear the marks of the selected cells (one undo step); more than one mark only after
        the user confirms."""
        cells = [(i.row(), i.column(), "") for i in self.table.selectionModel().selectedIndexes()]
        filled = [(r, c) for r, c, _ in cells if self.model.editable(r, c) and self.model.stored(r, c) is not None]
        if len(filled) > 1 and not confirm(self, self.tr("清除成绩"), self.tr(
                "要清除选中的 {n} 格成绩吗?清除后可以按 Ctrl+Z 撤销。").format(n=len(filled))):
            return
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
    def _show_import_changes(self, dialog: ImportPreviewDialog, updates: list[dict]) -> None:
        """Add to the preview which stored marks the file changes, from what to what."""
        changes = [{"line": self.tr("{sheet} 第 {row} 行").format(sheet=u["sheet"], row=u["row"]),
                    "student_no": u["student_no"], "name": u["name"], "subject": u["subject"],
                    "old": u["old"], "new": u["new"]} for u in updates]
        note = QLabel(self.tr("以下 {n} 条已有成绩将被改写(原成绩 → 新成绩),请核对:").format(n=len(changes)))
        note.setStyleSheet("color: #8a4b00; font-weight: bold;")
        table, dialog.changes_model = changes_table(changes, self.tr("位置"))
        layout = dialog.layout()
        layout.insertWidget(layout.count() - 1, note)
        layout.insertWidget(layout.count() - 1, table, 3)

    def import_file(self) -> None:
        """Pick a marks workbook, then preview and import it (see import_path)."""
        if self.exam_id() is None:
            self.say(self.tr("请先选择考试。"), error=True)
            return
        choose_file(self, self.tr("选择要导入的成绩表"), self.tr("表格文件 (*.xlsx *.xlsm *.csv)"), then=self.import_path)

    def import_path(self, path: Path) -> None:
        """Read `path` for the chosen exam in the background, preview it, and import it when the
        whole file is accepted and the user confirms."""
        session, exam_id = self.session, self.exam_id()
        school_id = session.actor.school_id or (None if session.is_township else self.school_combo.school())
        plan = run_shown(
            session.tasks, self,
            lambda control: read_marks(session.worker_db(), path, exam_id, school_id=school_id,
                                       progress=control.progress, cancelled=control.cancelled),
            label=self.tr("正在读取“{name}”…").format(name=path.name), cancellable=True)
        if plan is None:
            return
        dialog = ImportPreviewDialog(plan, self.tr("考试成绩"), path.name, self)
        dialog.summary_label.setText(plan.describe())
        dialog.valid_button.setVisible(False)  # marks go in only when the whole file is right
        if plan.updates and not plan.problems:
            self._show_import_changes(dialog, plan.updates)
        if plan.problems:
            dialog.problem_label.setText(self.tr("发现 {n} 个问题(涉及 {rows} 行)。成绩表只能整份导入:"
                                                 "请在表格中改正后重新导入。").format(
                n=len(plan.problems), rows=plan.rows_with_problems))
        if not dialog.exec() or dialog.choice != IMPORT_ALL:
            return
        result = run_shown(
            session.tasks, self,
            lambda control: apply_marks(session.worker_db(), session.actor, plan, progress=control.progress),
            label=self.tr("正在导入…"))
        if result is None:
            return
        session.notify_changed(Changed.MARKS)
        inform(self, self.tr("导入完成"), self.tr("导入完成:新增 {add} 条成绩,更新 {update} 条,未变 {unchanged} 条。").format(
            **result))
