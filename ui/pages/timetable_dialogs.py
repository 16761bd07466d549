"""Dialogs of the 课表 page: one cell (with the clashes it would cause shown while picking), the
daily slot plan with travel times, the curriculum plan, and the preview of a timetable import."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit,
                               QPushButton, QStyledItemDelegate, QTableView, QVBoxLayout, QWidget)

from app.db.database import Database
from app.db.writes import Actor
from app.preset_names import display_name, readable
from app.errors import Problem, ValidationError
from app.queries.roster import list_schools
from app.services.subjects import list_subjects
from app.timetable.check import RULES, SEVERITY_NAMES, Finding
from app.timetable.edit import (day_plan, preview_cell, set_cell, set_day_plan, set_travel_time, teachers_for_school,
                                travel_times)
from app.timetable.model import DAY_NAMES, KIND_NAMES
from app.timetable.plans import (add_line, copy_preset, delete_line, delete_plan, format_band, school_plan, set_hours,
                                 update_line)
from ui.dialogs.import_preview_dialog import problem_columns
from ui.dialogs.messages import confirm, errors_shown, show_error
from ui.models.table_model import SnapshotTableModel, TableSnapshot
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.scaffold import data_table, push_button

ERROR_COLOR = "#b3261e"


def finding_lines(findings: list[Finding]) -> str:
    """Return findings as '[错误] 教师时间冲突:…' lines."""
    return "\n".join(f"[{SEVERITY_NAMES[f.severity]}] {RULES[f.rule]}:{f.message}" for f in findings)


class CellDialog(QDialog):
    """Choose the subject, teacher and room of one cell; what the choice would clash with is shown
    while choosing, and 保存 writes through app.timetable.edit.set_cell."""

    def __init__(self, session: Session, *, class_id: str, class_name: str, school_id: str, day: int, slot: int,
                 label: str, subject_id: str | None, teacher_id: str | None, room: str | None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.class_id, self.day, self.slot = class_id, day, slot
        self.setWindowTitle(self.tr("{cls} {day} {label}").format(cls=class_name, day=DAY_NAMES[day], label=label))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        self.form = ProblemForm()
        self.subject = self.form.add_field("subject_id", self.tr("学科"), QComboBox())
        self.subject.addItem(self.tr("(空,不排课)"), None)
        for subject in list_subjects(session.db):
            self.subject.addItem(subject["name"], subject["id"])
        self.teacher = self.form.add_field("teacher_id", self.tr("任课教师"), QComboBox())
        self.teacher.addItem(self.tr("(未定)"), None)
        for teacher in teachers_for_school(session.db, school_id):
            text = f"{teacher['name']}({teacher['staff_no']})"
            if teacher["visiting"]:
                text += self.tr(" · 走教 {school}").format(school=teacher["school_name"])
            self.teacher.addItem(text, teacher["id"])
        self.room = self.form.add_field("room", self.tr("教室"), QLineEdit(room or ""))
        self.room.setPlaceholderText(self.tr("可不填;同一教室同一节的几个班视为合班上课"))
        for combo, value in ((self.subject, subject_id), (self.teacher, teacher_id)):
            index = combo.findData(value)
            combo.setCurrentIndex(max(index, 0))
        layout.addWidget(self.form)
        self.hint = QLabel()
        self.hint.setObjectName("clash_hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        layout.addWidget(ok_cancel_buttons(self, on_ok=self.save))
        self.subject.currentIndexChanged.connect(self.update_hint)
        self.teacher.currentIndexChanged.connect(self.update_hint)
        self.update_hint()

    def update_hint(self) -> None:
        """Show what the current choice would clash with (computed without writing)."""
        with errors_shown(self) as attempt:
            found = preview_cell(self.session.db, class_id=self.class_id, day=self.day, slot=self.slot,
                                 subject_id=self.subject.currentData(), teacher_id=self.teacher.currentData(),
                                 room=self.room.text())
        if attempt.failed:
            return
        if found:
            self.hint.setStyleSheet(f"color: {ERROR_COLOR};")
            self.hint.setText(finding_lines(found))
        else:
            self.hint.setStyleSheet("color: #1b5e20;")
            self.hint.setText(self.tr("这一格没有冲突。"))

    def save(self) -> None:
        """Write the cell; stay open and show the problems when refused."""
        if self.form.submit(lambda: self.session.write(
                set_cell, class_id=self.class_id, day=self.day, slot=self.slot, subject_id=self.subject.currentData(),
                teacher_id=self.teacher.currentData(), room=self.room.text())):
            self.accept()


def _write_day_plan(db: Database, actor: Actor, school_id: str, periods: list[dict],
                    travel: dict[str, int | None]) -> None:
    """Write a school's slot plan and its changed travel times to other schools (on the worker);
    raises the services' ValidationError or PermissionDenied."""
    set_day_plan(db, actor, school_id, periods)
    for other, minutes in travel.items():
        set_travel_time(db, actor, school_id, other, minutes)


class _KindDelegate(QStyledItemDelegate):
    """Edits the 类型 column of the day plan with a list of the slot kinds."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt API
        """Return a combo box of the Chinese kind names."""
        combo = QComboBox(parent)
        combo.addItems(list(KIND_NAMES.values()))
        return combo

    def setEditorData(self, editor, index):  # noqa: N802 - Qt API
        """Select the cell's kind."""
        editor.setCurrentText(index.data())

    def setModelData(self, editor, model, index):  # noqa: N802 - Qt API
        """Store the chosen kind."""
        model.setData(index, editor.currentText())


class DayPlanDialog(QDialog):
    """The school's daily slot plan (序号, 名称, 类型, 开始, 时长) and, in a database with several
    schools, the travel time to each other school for 走教 teachers."""

    HEADERS = ("序号", "名称", "类型", "开始", "时长(分钟)")

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id = school_id
        self.setWindowTitle(self.tr("作息时间"))
        self.resize(620, 560)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("每天的时段:上课、早读、大课间、午休、自习、课外活动。大课间的时长计入每天一小时体育活动。")))
        self.model = QStandardItemModel(0, len(self.HEADERS), self)
        self.model.setHorizontalHeaderLabels([self.tr(h) for h in self.HEADERS])
        for period in day_plan(session.db, school_id):
            self._append([str(period["slot"]), period["label"], KIND_NAMES[period["kind"]],
                          period["start_time"] or "", str(period["minutes"])])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(2, _KindDelegate(self.table))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 2)
        row = QHBoxLayout()
        add = push_button(self.tr("增加时段"), self.add_period)
        remove = push_button(self.tr("删除所选时段"), self.remove_period)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        self.travel_model: QStandardItemModel | None = None
        if session.is_township:
            layout.addWidget(QLabel(self.tr("走教路程时间(分钟;空着表示用默认值):")))
            self.travel_model = QStandardItemModel(0, 2, self)
            self.travel_model.setHorizontalHeaderLabels([self.tr("学校"), self.tr("路程(分钟)")])
            known = {frozenset((t["school_a"], t["school_b"])): t["minutes"] for t in travel_times(session.db)}
            for school in list_schools(session.db):
                if school["id"] == school_id:
                    continue
                name = QStandardItem(school["name"])
                name.setEditable(False)
                name.setData(school["id"], Qt.ItemDataRole.UserRole)
                minutes = known.get(frozenset((school_id, school["id"])))
                self.travel_model.appendRow([name, QStandardItem("" if minutes is None else str(minutes))])
            travel = QTableView()
            travel.setModel(self.travel_model)
            travel.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            travel.verticalHeader().hide()
            layout.addWidget(travel, 1)
            self._travel_before = self._travel_values()
        self.errors = QLabel()
        self.errors.setObjectName("day_plan_errors")
        self.errors.setStyleSheet(f"color: {ERROR_COLOR};")
        self.errors.setWordWrap(True)
        layout.addWidget(self.errors)
        layout.addWidget(ok_cancel_buttons(self, on_ok=self.save))

    def _append(self, values: list[str]) -> None:
        self.model.appendRow([QStandardItem(v) for v in values])

    def add_period(self) -> None:
        """Append a lesson slot after the last one."""
        last = max((int(self.model.item(r, 0).text() or 0) for r in range(self.model.rowCount())), default=0)
        self._append([str(last + 1), self.tr("第{n}节").format(n=last + 1), KIND_NAMES["lesson"], "", "40"])

    def remove_period(self) -> None:
        """Remove the selected slot rows."""
        for index in sorted({i.row() for i in self.table.selectionModel().selectedIndexes()}, reverse=True):
            self.model.removeRow(index)

    def periods(self) -> list[dict]:
        """Return the rows as typed."""
        return [{"slot": self.model.item(r, 0).text(), "label": self.model.item(r, 1).text(),
                 "kind": self.model.item(r, 2).text(), "start": self.model.item(r, 3).text(),
                 "minutes": self.model.item(r, 4).text()} for r in range(self.model.rowCount())]

    def _travel_values(self) -> dict[str, str]:
        model = self.travel_model
        if model is None:
            return {}
        return {model.item(r, 0).data(Qt.ItemDataRole.UserRole): model.item(r, 1).text().strip()
                for r in range(model.rowCount())}

    def save(self) -> None:
        """Write the slot plan and the changed travel times; stay open on problems."""
        problems: list[Problem] = []
        changed = {k: v for k, v in self._travel_values().items()
                   if self.travel_model is not None and v != self._travel_before.get(k)}
        for school_id, text in changed.items():
            if text and not text.isdigit():
                problems.append(Problem(self.tr("路程时间“{t}”应为分钟数。").format(t=text)))
        if not problems:
            try:
                self.session.write(_write_day_plan, self.school_id, self.periods(),
                                   {other: int(text) if text else None for other, text in changed.items()})
            except ValidationError as exc:
                problems = exc.problems
            except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
                show_error(self, exc)
                return
        if problems:
            self.errors.setText("\n".join(
                (self.tr("第 {n} 行:").format(n=p.row) if p.row else "") + p.message for p in problems))
            return
        self.accept()


class PlanDialog(QDialog):
    """The curriculum plan the school follows: a line per subject, weekly periods per grade, 统考
    or not. The default plan is read-only; 复制为本校计划 makes an editable copy."""

    GRADES = tuple(range(1, 10))

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id = school_id
        self.setWindowTitle(self.tr("课程计划"))
        self.resize(980, 520)
        layout = QVBoxLayout(self)
        self.source = QLabel()
        self.source.setWordWrap(True)
        layout.addWidget(self.source)
        self.model = QStandardItemModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(self.tr("课时可写一个数(4)或一个范围(4-5);统考学科不得超过计划,非统考学科不得少于计划。"
                                        "“包含学科”写一行计入的学科,如“语文、书法”。")))
        row = QHBoxLayout()
        self.copy_button = push_button(self.tr("复制为本校计划"), self.copy)
        self.reset_button = push_button(self.tr("恢复默认计划"), self.reset)
        self.add_button = QPushButton(self.tr("增加一行…"))
        self.add_button.setToolTip(self.tr("增加地方课程、校本课程等;一门学科只能计入一行"))
        self.add_button.clicked.connect(self.add)
        self.remove_button = push_button(self.tr("删除所选行"), self.remove)
        close = push_button(self.tr("关闭"), self.accept)
        for button in (self.copy_button, self.add_button, self.remove_button, self.reset_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.changed = False
        self.model.itemChanged.connect(self._edited)
        self.load()

    def load(self) -> None:
        """Show the plan in force."""
        plan = school_plan(self.session.db, self.school_id)
        self.plan = plan
        own = plan.plan_id is not None
        self.source.setText(self.tr("{kind}:{name}\n来源:{source}").format(
            kind=self.tr("本校课程计划") if own else self.tr("默认计划(只读,复制后可修改)"), name=display_name(plan.name),
            source=readable(plan.source)))
        self.source.setToolTip(self.tr("计算依据(版本与校验码):{basis}").format(basis=plan.basis()))
        self.model.blockSignals(True)
        self.model.clear()
        self.model.setHorizontalHeaderLabels([self.tr("科目"), self.tr("包含学科"), self.tr("统考")]
                                             + [self.tr("{g}年级").format(g=g) for g in self.GRADES])
        names = {s["code"]: s["name"] for s in list_subjects(self.session.db)}
        for line in plan.lines:
            name = QStandardItem(line.name)
            name.setEditable(False)
            name.setToolTip(line.note)
            name.setData(line.item_id, Qt.ItemDataRole.UserRole)
            members = QStandardItem("、".join(names.get(code, code) for code in line.subjects))
            members.setEditable(own)
            members.setData(line.item_id, Qt.ItemDataRole.UserRole)
            tested = QStandardItem()
            tested.setCheckable(own)
            tested.setEditable(False)
            tested.setCheckState(Qt.CheckState.Checked if line.tested else Qt.CheckState.Unchecked)
            tested.setData(line.item_id, Qt.ItemDataRole.UserRole)
            cells = []
            for grade in self.GRADES:
                cell = QStandardItem(format_band(line.hours.get(grade)))
                cell.setEditable(own)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                cell.setData((line.item_id, grade), Qt.ItemDataRole.UserRole)
                cells.append(cell)
            self.model.appendRow([name, members, tested, *cells])
        totals = [QStandardItem(self.tr("合计")), QStandardItem(""), QStandardItem("")]
        for grade in self.GRADES:
            low, high = plan.grade_total(grade)
            item = QStandardItem(format_band((low, high)) if high else "")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            totals.append(item)
        for item in totals:
            item.setEditable(False)
        self.model.appendRow(totals)
        self.model.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.copy_button.setVisible(not own)
        for button in (self.reset_button, self.add_button, self.remove_button):
            button.setVisible(own)

    def _edited(self, item: QStandardItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        try:
            if item.column() == 1:
                self.session.write(update_line, data, subjects=item.text())
            elif item.column() == 2:
                self.session.write(update_line, data,
                                   tested=item.checkState() == Qt.CheckState.Checked)
            else:
                item_id, grade = data
                self.session.write(set_hours, item_id, grade, item.text())
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
        self.changed = True
        # The edited item belongs to the model being rebuilt: rebuild once its signal has returned.
        QTimer.singleShot(0, self, self.load)

    def add(self) -> None:
        """Ask for a name and the subjects it counts, and add the line to the school's plan."""
        name, ok = QInputDialog.getText(self, self.tr("增加一行"), self.tr("名称(如 校本课程):"))
        if not ok or not name.strip():
            return
        subjects, ok = QInputDialog.getText(self, self.tr("增加一行"), self.tr("包含学科(如 校本课程、心理健康):"),
                                            text=name.strip())
        if not ok:
            return
        with errors_shown(self) as attempt:
            self.session.write(add_line, self.school_id, name=name, subjects=subjects)
        if attempt.failed:
            return
        self.changed = True
        self.load()

    def remove(self) -> None:
        """Remove the selected line from the school's plan (after asking)."""
        rows = self.table.selectionModel().selectedRows() or self.table.selectionModel().selectedIndexes()
        item = self.model.item(rows[0].row(), 0) if rows else None
        item_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not item_id or not confirm(self, self.tr("删除一行"),
                                      self.tr("从本校课程计划中删除“{n}”吗?").format(n=item.text())):
            return
        with errors_shown(self) as attempt:
            self.session.write(delete_line, item_id)
        if attempt.failed:
            return
        self.changed = True
        self.load()

    def copy(self) -> None:
        """Copy the default plan into the school."""
        with errors_shown(self) as attempt:
            self.session.write(copy_preset, self.school_id)
        if attempt.failed:
            return
        self.changed = True
        self.load()

    def reset(self) -> None:
        """Delete the school's own plan (after asking)."""
        if not confirm(self, self.tr("恢复默认计划"), self.tr("删除本校课程计划,改按默认计划检查课表吗?")):
            return
        with errors_shown(self) as attempt:
            self.session.write(delete_plan, self.school_id)
        if attempt.failed:
            return
        self.changed = True
        self.load()


class TimetableImportDialog(QDialog):
    """What a timetable file would import, and every problem that stops it (导入 only without any)."""

    def __init__(self, plan, file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("导入预览:课表"))
        self.resize(820, 520)
        summary = plan.summary()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("文件:{name}").format(name=file_name)))
        form = self.tr("长表") if plan.form == "long" else self.tr("课表格式")
        text = self.tr("读取为{form}:{n} 个班、{lessons} 节课(替换这些班原有的 {old} 节)").format(
            form=form, n=summary["classes"], lessons=summary["lessons"], old=summary["replaced_lessons"])
        if summary["new_day_plans"]:
            text += self.tr(";{n} 所学校没有作息时间,将按默认作息时间建立").format(n=summary["new_day_plans"])
        self.summary_label = QLabel(text)
        self.summary_label.setObjectName("import_summary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        layout.addWidget(self.summary_label)
        if plan.problems:
            head = self.tr("发现 {n} 个问题,课表不会导入。请在表格中改正后重新导入。").format(n=len(plan.problems))
        else:
            head = self.tr("没有发现问题,可以导入。")
        note = QLabel(head)
        note.setStyleSheet(f"color: {ERROR_COLOR};" if plan.problems else "color: #1b5e20;")
        layout.addWidget(note)
        self.problem_model = self._table(layout, plan.problems, 3)
        if plan.warnings:
            layout.addWidget(QLabel(self.tr("提醒(不影响导入):")))
            self._table(layout, plan.warnings, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton(self.tr("导入"))
        self.import_button.setEnabled(not plan.problems)
        self.import_button.clicked.connect(self.accept)
        cancel = push_button(self.tr("取消"), self.reject)
        buttons.addWidget(self.import_button)
        buttons.addWidget(cancel)
        layout.addLayout(buttons)

    def _table(self, layout: QVBoxLayout, problems: list[Problem], stretch: int) -> SnapshotTableModel:
        rows = [{"order": i, "sheet": p.sheet or "", "row": p.row, "column": p.column or "", "message": p.message}
                for i, p in enumerate(problems)]
        model = SnapshotTableModel(problem_columns())
        model.set_snapshot(TableSnapshot.build(rows, problem_columns(), ()))
        table = data_table(model, select="cells", resize=QHeaderView.ResizeMode.ResizeToContents, stretch_column=3)
        table.setVisible(bool(problems))
        layout.addWidget(table, stretch)
        return model

    def problem_texts(self) -> list[list[str]]:
        """Return the problems as shown: [工作表, 行, 列, 问题] per line."""
        model = self.problem_model
        return [[model.data(model.index(r, c)) for c in range(4)] for r in range(model.rowCount())]
