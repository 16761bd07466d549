"""质量目标: the term's quality targets, beside a chosen exam's results (完成 / 未完成 and the difference).
The township administrator adds, deletes and imports them and prints each school's 责任书; a school
sees its own, as the township sent them down."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QHeaderView, QLabel,
                               QLineEdit, QVBoxLayout, QWidget)

from app.queries.roster import list_schools, list_teachers
from app.reports import write_report
from app.reports.targets import build_letter, build_teacher_letter, difference_text
from app.services.exams import list_exams
from app.services.subjects import list_subjects
from app.services.targets import METRICS, delete_target, import_targets, list_targets, set_targets, target_text
from app.stats.lists import previous_exam
from app.stats.target_results import target_results
from ui.dialogs.messages import confirm, errors_shown, inform, show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.choosers import refill
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.scaffold import button_row, choose_file, data_table, note_label, page_heading, push_button

NO_EXAM = ""


class TargetDialog(QDialog):
    """One new target (or a new value for an existing one of the same scope), through set_targets."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(self.tr("新增质量目标"))
        layout = QVBoxLayout(self)
        self.form = ProblemForm()
        self.school_box = QComboBox()
        self.schools = list_schools(session.db)
        for school in self.schools:
            self.school_box.addItem(school["name"], school["code"])
        self.teacher_box = QComboBox()
        self.school_box.currentIndexChanged.connect(lambda _i: self._offer_teachers())
        self._offer_teachers()
        self.grade_box = QComboBox()
        self.grade_box.addItem(self.tr("全校"), None)
        for grade in range(1, 10):
            self.grade_box.addItem(self.tr("{g}年级").format(g=grade), grade)
        self.subject_box = QComboBox()
        self.subject_box.addItem(self.tr("各学科"), None)
        for subject in list_subjects(session.db):
            self.subject_box.addItem(subject["name"], subject["name"])
        self.metric_box = QComboBox()
        for key, name in METRICS.items():
            self.metric_box.addItem(name, key)
        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText(self.tr("比率写 85% ,名次写 3,平均分写 75"))
        self.note_edit = QLineEdit()
        for field, label, widget in (("school", self.tr("学校"), self.school_box), ("grade", self.tr("年级"), self.grade_box),
                                     ("subject", self.tr("学科"), self.subject_box), ("metric", self.tr("指标"), self.metric_box),
                                     ("target", self.tr("目标值"), self.target_edit), ("note", self.tr("说明"), self.note_edit),
                                     ("teacher", self.tr("教师"), self.teacher_box)):
            self.form.add_field(field, label, widget)
        layout.addWidget(self.form)
        layout.addWidget(ok_cancel_buttons(self))

    def _offer_teachers(self) -> None:
        """Offer the chosen school's active teachers (or none: the school's own target)."""
        self.teacher_box.clear()
        self.teacher_box.addItem(self.tr("学校的目标(不分解到教师)"), None)
        school = next((s["id"] for s in self.schools if s["code"] == self.school_box.currentData()), None)
        for teacher in list_teachers(self.session.db, school) if school else []:
            if not teacher["active"]:
                continue
            self.teacher_box.addItem(f"{teacher['name']}({teacher['staff_no']})", teacher["staff_no"])

    def accept(self) -> None:
        """Save the target; stay open and show the problems when it is refused."""
        row = {"school": self.school_box.currentData(), "grade": self.grade_box.currentData(),
               "subject": self.subject_box.currentData(), "metric": self.metric_box.currentData(),
               "target": self.target_edit.text(), "note": self.note_edit.text(),
               "teacher": self.teacher_box.currentData()}
        try:
            self.session.write(set_targets, [row])
        except Exception as exc:  # noqa: BLE001 - problems and refusals are shown in Chinese
            problems = getattr(exc, "problems", None)
            if problems:
                self.form.show_problems(problems)
            else:
                show_error(self, exc)
            return
        super().accept()


class TargetsPage(Page):
    """The 质量目标 page."""

    depends_on = Changed.EXAMS | Changed.MARKS | Changed.SETTINGS | Changed.ROSTER

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.rows: list[dict] = []
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("质量目标")))
        self.exam_combo = QComboBox()
        self.exam_combo.setMinimumWidth(300)
        self.exam_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.missed_only = QCheckBox(self.tr("只看未完成"))
        self.missed_only.toggled.connect(lambda _c: self._show_rows())
        layout.addLayout(button_row(QLabel(self.tr("对照考试")), self.exam_combo, self.missed_only, stretch="end"))
        self.add_button = push_button(self.tr("新增目标…"), self.add_target)
        self.delete_button = push_button(self.tr("删除"), self.delete_selected)
        self.import_button = push_button(self.tr("从表格导入…"), self.import_sheet)
        self.letter_button = push_button(self.tr("打印责任书…"), self.print_letter)
        self.hint = note_label()
        layout.addLayout(button_row(self.add_button, self.delete_button, self.import_button, self.letter_button,
                                    fill=self.hint))
        self.columns = [
            Column("school_name", self.tr("学校"), field_text("school_name"), lambda r: r["school_code"],
                   sample="青山镇中心小学"),
            Column("grade", self.tr("年级"), lambda r: self.tr("{g}年级").format(g=r["grade"]) if r["grade"]
                   else self.tr("全校"), lambda r: r["grade"] or 0, centered=True),
            Column("subject", self.tr("学科"), lambda r: r["subject"] or self.tr("各学科"), centered=True),
            Column("teacher", self.tr("教师"), lambda r: r.get("teacher_name") or "", centered=True),
            Column("metric", self.tr("指标"), field_text("metric_name"), centered=True),
            Column("target", self.tr("目标"), lambda r: target_text(r["metric"], r["target"]), lambda r: r["target"],
                   centered=True),
            Column("result", self.tr("实际"), lambda r: target_text(r["metric"], r.get("result")) if "status" in r
                   else "", lambda r: r.get("result") or 0, centered=True),
            Column("difference", self.tr("差额"), lambda r: difference_text(r) if "status" in r else "",
                   lambda r: r.get("difference") or 0, centered=True),
            Column("status", self.tr("完成情况"), lambda r: r.get("status", ""), centered=True),
            Column("note", self.tr("说明"), field_text("note")),
        ]
        self.model = SnapshotTableModel(self.columns, self)
        self.table = data_table(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        layout.addWidget(self.table, 1)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("质量目标")

    def may_set(self) -> bool:
        """Return True for the township administrator (who sets targets)."""
        return self.session.actor.role == "township_admin"

    def refresh(self) -> None:
        """Offer the exams with marks, then load the targets (and results)."""
        exams = [e for e in list_exams(self.session.db) if e["n_marks"]]
        refill(self.exam_combo, [(self.tr("不对照考试"), NO_EXAM)]
               + [(f"{e['name']}({e['term_code']})", e["id"]) for e in exams],
               preferred=exams[0]["id"] if exams else NO_EXAM)
        for button in (self.add_button, self.import_button):
            button.setVisible(self.may_set())
        self.delete_button.setVisible(self.may_set())
        self.hint.setText(self.tr("目标由乡镇设定,随配置包下发;差额为正表示好于目标。") if self.may_set() else
                          self.tr("本校的质量目标由乡镇下发,学校只能查看。"))
        self.load()

    def load(self) -> None:
        """Read the targets of the current term, with the chosen exam's results, on the worker."""
        session = self.session
        exam_id = self.exam_combo.currentData()
        school_ids = [session.actor.school_id] if session.actor.school_id else None

        def work(_control):
            db = session.worker_db()
            if not exam_id:
                return [t for t in list_targets(db) if school_ids is None or t["school_id"] in school_ids]
            before = previous_exam(db, exam_id)
            return target_results(db, exam_id, school_ids=school_ids, baseline_id=before["id"] if before else None)

        session.tasks.run(work, on_done=self._loaded, on_error=lambda exc: show_error(self, exc),
                          label=self.tr("正在对照质量目标…"), parent=self, key=("targets", id(self)))

    def _loaded(self, rows: list[dict]) -> None:
        self.rows = rows
        self._show_rows()

    def _show_rows(self) -> None:
        rows = [r for r in self.rows if not self.missed_only.isChecked() or r.get("status") == "未完成"]
        self.model.set_snapshot(TableSnapshot.build(rows, self.columns, ()))
        self.table.resizeColumnsToContents()
        self._selection_changed()

    def selected(self) -> dict | None:
        """Return the chosen target, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.delete_button.setEnabled(chosen is not None and self.may_set())
        self.letter_button.setEnabled(chosen is not None)

    def add_target(self) -> None:
        """Open the form of a new target."""
        if TargetDialog(self.session, self).exec():
            self.session.notify_changed(Changed.SETTINGS)

    def delete_selected(self) -> None:
        """Delete the chosen target after asking."""
        chosen = self.selected()
        if chosen is None or not confirm(self, self.tr("删除目标"), self.tr("删除{s}的这条目标?").format(
                s=chosen["school_name"])):
            return
        with errors_shown(self) as attempt:
            self.session.write(delete_target, chosen["id"])
        if attempt.failed:
            return
        self.session.notify_changed(Changed.SETTINGS)

    def import_sheet(self) -> None:
        """Import targets from a sheet, all or none."""
        name = choose_file(self, self.tr("选择质量目标表格"), self.tr("表格 (*.xlsx *.xls *.ods *.csv)"))
        if name is None:
            return
        with errors_shown(self) as attempt:
            result = self.session.write(import_targets, name)
        if attempt.failed:
            return
        self.session.notify_changed(Changed.SETTINGS)
        inform(self, self.tr("质量目标"), self.tr("已导入 {n} 行:新增 {a} 条,修改 {c} 条。").format(
            n=result["rows"], a=result["added"], c=result["changed"]))

    def print_letter(self) -> None:
        """Write the 教学质量目标责任书 of the chosen target's school (or teacher, for a teacher's target) as a PDF."""
        chosen = self.selected()
        if chosen is None:
            return
        party = chosen["teacher_name"] if chosen.get("teacher_id") else chosen["school_name"]
        default = Path.home() / f"{party}教学质量目标责任书.pdf"
        name, _ = QFileDialog.getSaveFileName(self, self.tr("保存责任书"), str(default), self.tr("PDF 文件 (*.pdf)"))
        if not name:
            return
        with errors_shown(self) as attempt:
            report = build_teacher_letter(self.session.db, chosen["teacher_staff_no"]) if chosen.get("teacher_id") \
                else build_letter(self.session.db, chosen["school_code"])
            path = write_report(report, name)
        if attempt.failed:
            return
        inform(self, self.tr("质量目标"), self.tr("已生成责任书:{p}").format(p=path))
