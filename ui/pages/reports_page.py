"""报表: choose a report (考试质量分析报告, class, teacher, 成绩通知单, township summary, 篇7 township score, 平行编班
分班建议) and its scope,
make it as PDF or Excel in the background with a progress bar and 取消, then open or print it; the
reports made lately are listed. All the work is app.reports'.

Who may make what: a teacher only their own teacher report and the class report and slips of the
classes they are 班主任 of (000 篇14: a teacher's results go to the teacher and their leaders); a
school's staff the reports of their school; the township summary is for a township database.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QSpinBox, QVBoxLayout, QWidget)

from app.progress import Cancelled
from app.queries.roster import list_schools
from app.reports import KINDS, make_report
from app.reports.all_schools import write_all_school_reports
from app.reports.choices import exam_classes, exam_teachers, recent_reports, remember_report, townships
from app.reports.class_split import MAX_CLASSES
from app.reports.common import grade_name
from app.reports.printing import print_file
from app.services.exams import list_exams
from app.stats.balance import scored_subjects
from ui.dialogs.messages import errors_shown, inform, show_error, warn
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.choosers import SchoolCombo, refill
from ui.widgets.scaffold import data_table, note_label, page_heading, push_button

AUTO = ""
WHOLE_SCHOOL = "__school__"
FORMATS = (("PDF(打印用)", ".pdf"), ("Excel 表格(.xlsx)", ".xlsx"))


def recent_columns() -> list[Column]:
    """Columns of the recent reports table."""
    return [
        Column("made", "生成时间", lambda r: r["made"].replace("T", " ")[:16], lambda r: r["made"],
               sample="2026-11-20 09:30"),
        Column("kind", "报表", lambda r: KINDS.get(r["kind"], r["kind"]), sample="考试质量分析报告"),
        Column("title", "内容", field_text("title"), sample="中" * 18),
        Column("path", "文件", field_text("path"), sample="中" * 20),
    ]


def safe_file_name(text: str) -> str:
    """Return `text` without the characters Windows forbids in file names."""
    return re.sub(r'[\\/:*?"<>|\s]+', "", text) or "报表"


class ReportsPage(Page):
    """The 报表 page."""

    depends_on = Changed.ROSTER | Changed.EXAMS | Changed.MARKS | Changed.ASSIGNMENTS | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self._exams: list[dict] = []
        self._schools: dict[str, str] = {}
        self._last_dir = Path.home()
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("报表")))

        box = QGroupBox(self.tr("生成报表"))
        form = self.form = QFormLayout(box)
        self.kind_combo = QComboBox()
        for kind in self._allowed_kinds():
            self.kind_combo.addItem(self.tr(KINDS[kind]), kind)
        self.exam_combo = QComboBox()
        self.exam_combo.setMinimumContentsLength(24)
        self.school_combo = SchoolCombo(min_chars=0)
        self.township_combo = QComboBox()
        self.class_combo = QComboBox()
        self.teacher_combo = QComboBox()
        self.baseline_combo = QComboBox()
        self.baseline_combo.setMinimumContentsLength(24)
        self.per_page_combo = QComboBox()
        self.per_page_combo.addItem(self.tr("每页 2 张(裁开发放)"), 2)
        self.per_page_combo.addItem(self.tr("每页 1 张"), 1)
        self.grade_combo = QComboBox()
        self.split_count = QSpinBox()
        self.split_count.setRange(2, MAX_CLASSES)
        self.split_count.setValue(2)
        self.split_count.setSuffix(self.tr(" 个班"))
        self.split_subject_combo = QComboBox()
        self.format_combo = QComboBox()
        for text, suffix in FORMATS:
            self.format_combo.addItem(self.tr(text), suffix)
        self.all_schools = QCheckBox(self.tr("所有参加考试的学校,每校一个文件,另附报告目录"))
        self.all_schools.toggled.connect(lambda _checked: self.school_combo.setEnabled(not self.batch_chosen()))
        self.open_after = QCheckBox(self.tr("生成后立即打开"))
        self.open_after.setChecked(True)
        self.rows: dict[str, QWidget] = {}
        for key, label, widget in (("kind", "报表种类", self.kind_combo), ("exam", "考试", self.exam_combo),
                                   ("school", "学校", self.school_combo),
                                   ("all_schools", "批量", self.all_schools), ("township", "乡镇", self.township_combo),
                                   ("class", "班级", self.class_combo),
                                   ("teacher", "教师", self.teacher_combo), ("baseline", "比较基线", self.baseline_combo),
                                   ("per_page", "通知单排版", self.per_page_combo), ("grade", "年级", self.grade_combo),
                                   ("split_count", "分成", self.split_count),
                                   ("split_subject", "编班依据", self.split_subject_combo),
                                   ("format", "文件格式", self.format_combo)):
            form.addRow(self.tr(label), widget)
            self.rows[key] = widget
        buttons = QHBoxLayout()
        self.generate_button = push_button(self.tr("生成…"), self.generate)
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.open_after)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.hint = note_label()
        form.addRow(self.hint)
        layout.addWidget(box)

        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        recent_head = QHBoxLayout()
        title = QLabel(self.tr("最近生成的报表"))
        title.setStyleSheet("font-weight: bold;")
        recent_head.addWidget(title)
        recent_head.addStretch(1)
        self.open_button = push_button(self.tr("打开"), self.open_selected)
        self.print_button = push_button(self.tr("打印"), self.print_selected)
        self.folder_button = push_button(self.tr("打开所在文件夹"), self.open_selected_folder)
        for button in (self.open_button, self.print_button, self.folder_button):
            recent_head.addWidget(button)
        layout.addLayout(recent_head)
        self.recent_model = SnapshotTableModel(recent_columns(), self)
        self.recent_table = data_table(self.recent_model, alternating=True,
                                       resize=QHeaderView.ResizeMode.ResizeToContents,
                                       stretch_column=len(recent_columns()) - 1)
        self.recent_table.doubleClicked.connect(lambda _index: self.open_selected())
        self.recent_table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.recent_table, 1)

        self.kind_combo.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.exam_combo.currentIndexChanged.connect(lambda _i: self._fill_scopes())
        self.school_combo.currentIndexChanged.connect(lambda _i: self._fill_scopes())
        self.grade_combo.currentIndexChanged.connect(lambda _i: self._fill_split_subjects())

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("报表")

    # --- who may make what ---------------------------------------------------------------------

    def _allowed_kinds(self) -> list[str]:
        actor = self.session.actor
        if actor.role == "teacher":
            return ["teacher", "class", "slips"]
        kinds = ["exam-school", "class", "teacher", "slips", "class-split"]
        if self.session.is_township and actor.role == "township_admin":
            kinds += ["township", "township-score"]
        return kinds

    # --- filling the choosers ------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the exams, schools and recent reports (quick reads on the GUI thread)."""
        db = self.session.db
        self._exams = [e for e in list_exams(db) if e["n_marks"]]
        refill(self.exam_combo, [(f"{e['name']}({e['term_code']})", e["id"]) for e in self._exams])
        own_school = self.session.actor.school_id
        schools = [s for s in list_schools(db) if not own_school or s["id"] == own_school]
        self._schools = {s["code"]: s["id"] for s in schools}
        self.school_combo.fill(schools, key="code", label=lambda school: f"{school['name']}({school['code']})")
        chosen = self.township_combo.currentData()
        self.township_combo.clear()
        for township in townships(db):
            self.township_combo.addItem(f"{township['name']}({township['code']})", township["code"])
        self.township_combo.setCurrentIndex(max(0, self.township_combo.findData(chosen)))
        self._fill_scopes()
        self._kind_changed()
        self._load_recent()
        if not self._exams:
            self.status.setText(self.tr("还没有录入成绩的考试,无法生成报表。"))

    def _school_id(self) -> str | None:
        return self._schools.get(self.school_combo.currentData())

    def _fill_scopes(self) -> None:
        """Fill classes, teachers and baselines for the chosen exam and school."""
        exam_id = self.exam_combo.currentData()
        school_id = self._school_id()
        actor = self.session.actor
        self.class_combo.clear()
        self.teacher_combo.clear()
        self.baseline_combo.clear()
        chosen_grade = self.grade_combo.currentData()
        self.grade_combo.clear()
        if not exam_id:
            return
        db = self.session.db
        for grade in next(e for e in self._exams if e["id"] == exam_id)["grades"]:
            self.grade_combo.addItem(grade_name(grade), grade)
        self.grade_combo.setCurrentIndex(max(0, self.grade_combo.findData(chosen_grade)))
        if self.kind_combo.currentData() == "slips" and actor.role != "teacher":
            self.class_combo.addItem(self.tr("全校各班"), WHOLE_SCHOOL)
        if school_id:
            head = actor.teacher_id if actor.role == "teacher" else None
            for klass in exam_classes(db, exam_id, school_id, head_teacher_id=head):
                self.class_combo.addItem(klass["name"], klass["name"])
            for teacher in exam_teachers(db, exam_id, school_id):
                if actor.role != "teacher" or teacher["id"] == actor.teacher_id:
                    self.teacher_combo.addItem(f"{teacher['name']}({teacher['staff_no']})", teacher["staff_no"])
        self.baseline_combo.addItem(self.tr("自动:上一次有共同学生的考试"), AUTO)
        exam = next(e for e in self._exams if e["id"] == exam_id)
        for other in self._exams:
            if (other["term_code"], other["date"] or "") < (exam["term_code"], exam["date"] or ""):
                self.baseline_combo.addItem(f"{other['name']}({other['term_code']})", other["id"])

    def _fill_split_subjects(self) -> None:
        """Offer the chosen exam's scored subjects of the chosen grade as the basis of a class split (read
        only while that report is chosen)."""
        chosen = self.split_subject_combo.currentData()
        self.split_subject_combo.clear()
        self.split_subject_combo.addItem(self.tr("各科成绩的平均"), None)
        exam_id, grade = self.exam_combo.currentData(), self.grade_combo.currentData()
        if exam_id and grade is not None and self.kind_combo.currentData() == "class-split":
            for name in scored_subjects(self.session.db, exam_id, grade):
                self.split_subject_combo.addItem(name, name)
        self.split_subject_combo.setCurrentIndex(max(0, self.split_subject_combo.findData(chosen)))

    def _kind_changed(self) -> None:
        kind = self.kind_combo.currentData()
        shown = {"exam-school": {"school", "all_schools", "baseline"}, "class": {"school", "class", "baseline"},
                 "teacher": {"school", "teacher", "baseline"}, "slips": {"school", "class", "per_page"},
                 "township": {"township", "baseline"},
                 "class-split": {"school", "grade", "split_count", "split_subject"}}.get(kind, set())
        for key, widget in self.rows.items():
            visible = key in ("kind", "exam", "format") or key in shown
            if (key in ("school", "all_schools") and self.school_combo.count() <= 1) or (
                    key == "township" and self.township_combo.count() <= 1):
                visible = False
            self.form.setRowVisible(widget, visible)
        self._fill_split_subjects()
        had_whole = self.class_combo.findData(WHOLE_SCHOOL) >= 0
        if (kind == "slips") != had_whole:
            self._fill_scopes()
        hints = {
            "exam-school": "三率一分、分数段、班级对比、进步值与增值、临界生与学困生名单,以及据此写出的分析。",
            "class": "供班主任使用:本班与本校同年级、全乡同年级对比,学生成绩一览(内部资料)。",
            "teacher": "内部资料:只发给教师本人和学校领导。含教学业绩得分、增值和进步值。",
            "slips": "发给家长:每个学生一张,只有本人各科等级,没有分数和名次,留有班主任寄语栏。",
            "township": "先看各校进步,再看三率一分排名;校本部与完小、教学点分组;小规模学校不排名;列出缺数据的学校。",
            "township-score": "乡镇质量考核奖惩方案:各校各年级各科单科成绩(巩固率、人均分、优秀率、前若干名人数)与学校总评,"
                              "教学点不参与总评;列出应奖应罚的情形及所依据的条文。",
            "class-split": "平行编班(不分快慢班):按这次考试(如新生入学测试)的成绩,男女生各按蛇形顺序分到各班,"
                           "再对调同性别学生使各班平均成绩接近;列出各班人数、男女生、平均成绩和分班名单(内部资料)。",
        }
        self.hint.setText(self.tr(hints.get(kind, "")))
        self.school_combo.setEnabled(not self.batch_chosen())

    def _load_recent(self) -> None:
        self.recent_model.set_snapshot(TableSnapshot.build(recent_reports(), recent_columns(), ("title", "path")))
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected_report() is not None
        for button in (self.open_button, self.print_button, self.folder_button):
            button.setEnabled(chosen)
        self.generate_button.setEnabled(bool(self._exams))

    # --- making a report -----------------------------------------------------------------------

    def _scope(self) -> dict:
        kind = self.kind_combo.currentData()
        scope: dict = {"school": self.school_combo.currentData() if kind not in ("township", "township-score") else None}
        if kind == "township":
            scope["township"] = self.township_combo.currentData()
        if kind in ("class", "slips"):
            chosen = self.class_combo.currentData()
            scope["class_name"] = None if chosen == WHOLE_SCHOOL else chosen
        if kind == "teacher":
            scope["teacher"] = self.teacher_combo.currentData()
        if kind == "slips":
            scope["slips_per_page"] = self.per_page_combo.currentData()
        elif kind == "class-split":
            scope.update(grade=self.grade_combo.currentData(), classes=self.split_count.value(),
                         subject=self.split_subject_combo.currentData())
        else:
            scope["baseline"] = self.baseline_combo.currentData() or None
        return scope

    def _describe(self, kind: str, scope: dict) -> str:
        exam = self.exam_combo.currentText().split("(")[0]
        if kind == "township":
            return f"{self.township_combo.currentText().split('(')[0]} · {exam}"
        if kind == "township-score":
            return exam
        parts = [self.school_combo.currentText().split("(")[0]]
        if kind in ("class", "slips"):
            parts.append(self.class_combo.currentText())
        if kind == "teacher":
            parts.append(self.teacher_combo.currentText().split("(")[0])
        if kind == "class-split":
            parts.append(self.grade_combo.currentText())
        return " ".join(parts) + " · " + exam

    def missing_choice(self) -> str | None:
        """Return what the user still has to choose for the selected kind, or None."""
        kind = self.kind_combo.currentData()
        if not self.exam_combo.currentData():
            return self.tr("请先选择考试。")
        if kind in ("class", "slips") and not self.class_combo.currentData():
            return self.tr("这所学校没有参加这次考试的班级(或没有您担任班主任的班级)。")
        if kind == "class-split" and self.grade_combo.currentData() is None:
            return self.tr("这次考试没有年级可分班。")
        if kind == "teacher" and not self.teacher_combo.currentData():
            return self.tr("这所学校没有任教这次考试学科的教师。")
        return None

    def _refused(self) -> bool:
        """Return True after telling the user what is still to choose before a report can be made."""
        problem = self.missing_choice()
        if problem:
            warn(self, self.tr("无法生成"), problem)
        return bool(problem)

    def generate(self) -> None:
        """Ask where to save the chosen report, then make it in the background."""
        if self._refused():
            return
        kind = self.kind_combo.currentData()
        suffix = self.format_combo.currentData()
        if self.batch_chosen():
            folder = QFileDialog.getExistingDirectory(self, self.tr("选择保存各校报告的文件夹"), str(self._last_dir))
            if folder:
                self.generate_all_to(Path(folder))
            return
        name = safe_file_name(f"{self._describe(kind, self._scope())}{KINDS[kind]}") + suffix
        filters = self.tr("PDF 文件 (*.pdf)") if suffix == ".pdf" else self.tr("Excel 文件 (*.xlsx)")
        chosen, _ = QFileDialog.getSaveFileName(self, self.tr("保存报表"), str(self._last_dir / name), filters)
        if chosen:
            path = Path(chosen)
            if path.suffix.lower() != suffix:
                path = path.with_name(path.name + suffix)
            self.generate_to(path)

    def generate_to(self, path: Path) -> None:
        """Make the chosen report into `path` on the worker, with progress and 取消."""
        if self._refused():
            return
        kind = self.kind_combo.currentData()
        exam_id = self.exam_combo.currentData()
        scope = self._scope()
        title = self._describe(kind, scope)
        session = self.session
        self._last_dir = path.parent
        self.generate_button.setEnabled(False)
        self.status.setText(self.tr("正在生成{kind}…").format(kind=KINDS[kind]))

        def work(control):
            return make_report(session.worker_db(), kind, exam_id, path, progress=control.progress,
                               cancelled=control.cancelled, **scope)

        session.tasks.run(work, on_done=lambda made: self._made(made, kind, title),
                          on_error=self._failed, label=self.tr("正在生成{kind}…").format(kind=KINDS[kind]),
                          parent=self, cancellable=True)

    def batch_chosen(self) -> bool:
        """Return whether every school's 考试质量分析报告 is to be made (the 批量 box, when shown)."""
        return (self.kind_combo.currentData() == "exam-school" and self.all_schools.isChecked()
                and self.school_combo.count() > 1)

    def generate_all_to(self, folder: Path) -> None:
        """Make every school's 考试质量分析报告 of the chosen exam into `folder` on the worker, one
        file per school and 报告目录.xlsx, with progress and 取消."""
        exam_id = self.exam_combo.currentData()
        if not exam_id:
            warn(self, self.tr("无法生成"), self.tr("请先选择考试。"))
            return
        suffix = self.format_combo.currentData()
        baseline = self.baseline_combo.currentData() or None
        title = self.tr("全部学校 · {exam}").format(exam=self.exam_combo.currentText().split("(")[0])
        session = self.session
        self._last_dir = folder
        self.generate_button.setEnabled(False)
        label = self.tr("正在生成各校考试质量分析报告…")
        self.status.setText(label)

        def work(control):
            return write_all_school_reports(session.worker_db(), exam_id, folder, suffix=suffix, baseline=baseline,
                                            progress=control.progress, cancelled=control.cancelled)

        session.tasks.run(work, on_done=lambda done: self._made_all(done, title), on_error=self._failed,
                          label=label, parent=self, cancellable=True)

    def _made_all(self, done: dict, title: str) -> None:
        index = Path(done["index"])
        self._made(index, "exam-school", title, opened=False)
        self.status.setText(self.tr("已生成 {n} 所学校的考试质量分析报告,保存在:{folder}(目录:{index})").format(
            n=len(done["files"]), folder=done["folder"], index=index.name))
        if self.open_after.isChecked():
            self.open_path(index)

    def _made(self, path: Path, kind: str, title: str, opened: bool = True) -> None:
        self.generate_button.setEnabled(True)
        try:
            remember_report(path, kind, title, made=dt.datetime.now())
        except OSError as exc:
            show_error(self, exc)
        self._load_recent()
        self.recent_table.selectRow(0)
        self.status.setText(self.tr("已生成:{path}").format(path=str(path)))
        if opened and self.open_after.isChecked():
            self.open_path(path)

    def _failed(self, exc: BaseException) -> None:
        self.generate_button.setEnabled(True)
        if isinstance(exc, Cancelled):
            self.status.setText(self.tr("已取消,没有生成文件。"))
            return
        self.status.setText("")
        show_error(self, exc)

    # --- recent reports ------------------------------------------------------------------------

    def selected_report(self) -> dict | None:
        """Return the recent report selected in the table, or None."""
        rows = self.recent_table.selectionModel().selectedRows()
        return self.recent_model.row_data(rows[0].row()) if rows else None

    def open_path(self, path: Path) -> None:
        """Open `path` with the system's viewer (PDF reader, WPS or Excel)."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            warn(self, self.tr("无法打开"), self.tr("系统没有能打开这个文件的程序:{path}").format(path=str(path)))

    def open_selected(self) -> None:
        """Open the selected recent report."""
        report = self.selected_report()
        if report:
            self.open_path(Path(report["path"]))

    def open_selected_folder(self) -> None:
        """Open the folder that holds the selected recent report."""
        report = self.selected_report()
        if report:
            self.open_path(Path(report["path"]).parent)

    def print_selected(self) -> None:
        """Send the selected recent report to the default printer."""
        report = self.selected_report()
        if not report:
            return
        with errors_shown(self) as attempt:
            message = print_file(report["path"])
        if attempt.failed:
            return
        inform(self, self.tr("打印"), message)
