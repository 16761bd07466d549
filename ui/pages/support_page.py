"""学生帮扶 (培优补差): each teacher's tutoring list made from an exam's 临界生/学困生 with one click,
tutoring records (entered or imported from a sheet), 双困生 with their share per class, and 转化 of
the 学困生 at the next 统测 per teacher and school (at the township: one row per school), and the
results of 留守/寄宿/随迁/残疾 pupils beside the rest (ui.pages.care_groups_tab)."""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QTableView,
                               QVBoxLayout, QWidget)

from app.queries.roster import list_schools
from app.services.exams import list_exams
from app.stats.care_groups import care_group_results
from app.stats.presets import active_preset
from app.support.conversion import UNIFIED, conversion, difficulty_share, support_summary
from app.support.import_xlsx import import_support
from app.support.plans import list_plans, make_plans, remove_plan
from app.support.records import clear_difficulty, delete_tutoring, list_difficulties, list_tutoring
from ui.dialogs.messages import confirm, show_error, warn
from ui.dialogs.pupil_record_dialog import PupilRecordDialog
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text, school_column
from ui.pages.care_groups_tab import CareGroupsTab
from ui.pages.page import Page
from ui.pages.support_dialogs import DifficultyDialog, TutoringDialog, tutoring_columns
from ui.session import Changed, Session
from ui.widgets.choosers import refill
from ui.widgets.scaffold import school_bar, school_or_warn, sorted_table, write_or_explain


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _count(key: str) -> Column:
    titles = {"listed": "学困生", "tutored": "受辅导", "converted": "已转化", "struggling_listed": "学困生",
              "difficulty_pupils": "双困生", "pupils": "在校生", "flagged": "双困生", "tutoring_sessions": "辅导次数",
              "tutoring_minutes": "辅导分钟"}
    return Column(key, titles[key], lambda r: "" if r.get(key) is None else str(r[key]),
                  lambda r: r.get(key) or 0, centered=True, sample=titles[key])


def _rate(key: str, title: str) -> Column:
    return Column(key, title, lambda r: _percent(r.get(key)), lambda r: r.get(key) or 0, centered=True, sample=title)


def plan_columns() -> list[Column]:
    """Columns of the tutoring lists."""
    return [school_column(),
            Column("teacher_name", "教师", field_text("teacher_name")),
            Column("class_name", "班级", field_text("class_name"), sample="三(1)班"),
            Column("pupil_name", "学生", field_text("pupil_name")),
            Column("subject_name", "学科", field_text("subject_name"), sample="数学"),
            Column("list", "名单", field_text("list"), centered=True, sample="学困生"),
            Column("exam_name", "来源考试", field_text("exam_name"), sample="中" * 14),
            _count_of("sessions", "已辅导次数"), _count_of("minutes", "分钟")]


def _count_of(key: str, title: str) -> Column:
    return Column(key, title, lambda r: str(r[key]), lambda r: r[key], centered=True, sample=title)


def difficulty_columns() -> list[Column]:
    """Columns of the 双困生 list."""
    return [school_column(), Column("class_name", "班级", field_text("class_name"), sample="三(1)班"),
            Column("pupil_name", "学生", field_text("pupil_name")),
            Column("kind", "困难类型", lambda r: f"学习+{r['kind']}", sample="学习+行为和家庭"),
            Column("reason", "认定原因", field_text("reason"), sample="中" * 16),
            Column("date", "认定日期", field_text("date"), sample="2026-10-15")]


def share_columns() -> list[Column]:
    """Columns of the 双困生 share per class."""
    return [school_column(), Column("class_name", "班级", field_text("class_name"), sample="三(1)班"), _count("pupils"),
            _count("flagged"), _rate("share", "占比")]


def teacher_columns() -> list[Column]:
    """Columns of 转化 per teacher."""
    return [school_column(), Column("name", "教师", field_text("name")), _count("listed"), _count("tutored"),
            _count("converted"), _rate("tutored_rate", "辅导率"), _rate("converted_rate", "转化率")]


def pupil_columns() -> list[Column]:
    """Columns of the 学困生 of the exam and what became of them."""
    state = {True: "已转化", False: "未转化", None: "待下次统测"}
    return [school_column(), Column("class_name", "班级", field_text("class_name"), sample="三(1)班"),
            Column("name", "学生", field_text("name")),
            Column("subjects", "未及格学科", lambda r: "、".join(r["subjects_now"]), sample="语文、数学、英语"),
            Column("tutored", "受辅导", lambda r: "是" if r["tutored"] else "否", centered=True, sample="受辅导"),
            Column("converted", "转化", lambda r: state[r["converted"]], centered=True, sample="待下次统测")]


def school_columns() -> list[Column]:
    """Columns of the township's one row per school."""
    return [school_column(), _count("struggling_listed"), _count("tutored"), _count("converted"),
            _rate("converted_rate", "转化率"), _count("difficulty_pupils"), _rate("difficulty_share", "双困生占比"),
            _count("tutoring_sessions"), _count("tutoring_minutes")]


@dataclass
class Loaded:
    """What the background load of the first three tabs brings back."""

    plans: list[dict]
    tutoring: list[dict]
    difficulties: list[dict]
    shares: dict
    # The tables' snapshots by name, built on the worker (a county's 20,000 tutoring records held
    # the GUI thread for half a second).
    snapshots: dict[str, TableSnapshot] = field(default_factory=dict)
    tutored_pupils: int = 0

    def build_snapshots(self) -> None:
        """Build the tables' snapshots and count the tutored pupils (on the worker)."""
        for name, rows, columns in (
                ("plans", self.plans, plan_columns()), ("tutoring", self.tutoring, tutoring_columns()),
                ("difficulties", self.difficulties, difficulty_columns()),
                ("shares", self.shares["classes"], share_columns())):
            self.snapshots[name] = TableSnapshot.build(rows, columns, ())
        self.tutored_pupils = len({p["pupil_id"] for r in self.tutoring for p in r["pupils"]})


@dataclass
class Converted:
    """What the 转化统计 tab loads when it is first shown: the exam's 转化 (None without a 统测),
    the township's row per school (None for one school) and the three tables' snapshots."""

    found: dict | None
    summary: dict | None
    snapshots: dict[str, TableSnapshot]

    @classmethod
    def build(cls, found: dict | None, summary: dict | None) -> Converted:
        """Return the part with its snapshots built (on the worker)."""
        rows = {"schools": (summary or {}).get("schools", []), "teachers": (found or {}).get("teachers", []),
                "pupils": (found or {}).get("pupils", [])}
        columns = {"schools": school_columns(), "teachers": teacher_columns(), "pupils": pupil_columns()}
        return cls(found, summary, {name: TableSnapshot.build(rows[name], columns[name], ()) for name in rows})


class SupportPage(Page):
    """The 学生帮扶 page."""

    depends_on = Changed.ROSTER | Changed.EXAMS | Changed.MARKS | Changed.ASSIGNMENTS | Changed.ROUTINE

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.loaded: Loaded | None = None
        # The 转化统计 and 留守等群体成绩 tabs read every listed pupil's marks (seconds on a county):
        # each is read when first shown for the school and exam chosen; `shown_parts` holds those read.
        self.shown_parts: set[str] = set()
        self.exam_label = QLabel(self.tr("统测"))
        self.exam_combo = QComboBox()
        self.exam_combo.setMinimumContentsLength(24)
        self.exam_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.school_combo, self.status, self.tabs = school_bar(self, self.reload, self.exam_label, self.exam_combo)
        self._plans_tab()
        self._tutoring_tab()
        self._difficulty_tab()
        self._conversion_tab()
        # The groups' results are the school's or the township's figures, for its managers (000 篇5).
        self.care_tab = CareGroupsTab()
        if session.actor.role != "teacher":
            self.tabs.addTab(self.care_tab, self.tr("留守等群体成绩"))
        self.tabs.currentChanged.connect(lambda _index: self._load_shown_part())
        schools = list_schools(session.db)
        self.school_combo.fill(schools, everyone=len(schools) > 1, preferred=session.actor.school_id)
        self.school_combo.setVisible(len(schools) > 1)
        self._fill_exams()

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("学生帮扶")

    # --- building ------------------------------------------------------------------------------

    def _plans_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.struggling_box = QCheckBox(self.tr("学困生"))
        self.struggling_box.setChecked(True)
        self.borderline_box = QCheckBox(self.tr("临界生"))
        self.make_button = QPushButton(self.tr("生成帮扶名单"))
        self.make_button.setToolTip(self.tr("把所选统测的学困生、临界生按任课安排分到各任课教师的帮扶名单"))
        self.make_button.clicked.connect(self.make_lists)
        self.remove_plan_button = QPushButton(self.tr("移出名单"))
        self.remove_plan_button.clicked.connect(self.remove_selected_plan)
        for widget in (self.struggling_box, self.borderline_box, self.make_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.remove_plan_button)
        column.addLayout(bar)
        self.plan_table, self.plan_model = sorted_table(plan_columns())
        column.addWidget(self.plan_table, 1)
        self.tabs.addTab(tab, self.tr("帮扶名单"))

    def _tutoring_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.tutoring_label = QLabel()
        bar.addWidget(self.tutoring_label, 1)
        self.record_button = QPushButton(self.tr("登记辅导…"))
        self.record_button.clicked.connect(self.record_tutoring)
        self.import_button = QPushButton(self.tr("从表格导入…"))
        self.import_button.clicked.connect(self.import_sheet)
        self.remove_tutoring_button = QPushButton(self.tr("删除所选记录"))
        self.remove_tutoring_button.clicked.connect(self.remove_selected_tutoring)
        for button in (self.record_button, self.import_button, self.remove_tutoring_button):
            bar.addWidget(button)
        column.addLayout(bar)
        self.tutoring_table, self.tutoring_model = sorted_table(tutoring_columns())
        column.addWidget(self.tutoring_table, 1)
        self.tabs.addTab(tab, self.tr("辅导记录"))

    def _difficulty_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.difficulty_label = QLabel()
        bar.addWidget(self.difficulty_label, 1)
        self.flag_button = QPushButton(self.tr("认定双困生…"))
        self.flag_button.clicked.connect(self.flag_pupil)
        self.clear_button = QPushButton(self.tr("取消认定"))
        self.clear_button.clicked.connect(self.clear_selected_flag)
        bar.addWidget(self.flag_button)
        bar.addWidget(self.clear_button)
        column.addLayout(bar)
        row = QHBoxLayout()
        self.difficulty_table, self.difficulty_model = sorted_table(difficulty_columns())
        row.addWidget(self.difficulty_table, 3)
        self.share_table, self.share_model = sorted_table(share_columns())
        row.addWidget(self.share_table, 2)
        column.addLayout(row, 1)
        self.tabs.addTab(tab, self.tr("双困生"))

    def _conversion_tab(self) -> None:
        tab = QWidget()
        column = QVBoxLayout(tab)
        self.conversion_label = QLabel()
        self.conversion_label.setWordWrap(True)
        column.addWidget(self.conversion_label)
        self.school_table, self.school_model = sorted_table(school_columns())
        column.addWidget(self.school_table, 1)
        row = QHBoxLayout()
        self.teacher_table, self.teacher_model = sorted_table(teacher_columns())
        row.addWidget(self.teacher_table, 2)
        self.pupil_table, self.pupil_model = sorted_table(pupil_columns())
        self.pupil_table.setToolTip(self.tr("双击学生打开学业档案"))
        self.pupil_table.doubleClicked.connect(lambda index: self.show_record(self.pupil_model.row_data(index.row())))
        row.addWidget(self.pupil_table, 3)
        column.addLayout(row, 2)
        self.tabs.addTab(tab, self.tr("转化统计"))
        self.conversion_tab = tab

    def _fill_exams(self) -> None:
        exams = [e for e in list_exams(self.session.db) if e["type"] in UNIFIED and e["n_marks"]]
        refill(self.exam_combo, [(e["name"], e["id"], e["term_name"]) for e in exams])

    def school_id(self) -> str | None:
        """Return the school chosen (None: every school)."""
        return self.school_combo.school()

    # --- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the lists, records and flags of the school chosen in the background, and the part
        of the tab shown (转化 or the groups' results of the exam chosen)."""
        school_id, session = self.school_id(), self.session
        # A teacher sees their own tutoring list, records and figures, not their colleagues' (000 篇14).
        mine = session.actor.teacher_id if session.actor.role == "teacher" else None
        self.status.setText(self.tr("正在统计…"))
        self.shown_parts = set()

        def work(_control) -> Loaded:
            db = session.worker_db()
            loaded = Loaded(list_plans(db, school_id=school_id, teacher_id=mine),
                            list_tutoring(db, school_id=school_id, teacher_id=mine),
                            list_difficulties(db, school_id=school_id), difficulty_share(db, school_id=school_id))
            loaded.build_snapshots()
            return loaded

        session.tasks.run(work, on_done=self._loaded, on_error=lambda exc: show_error(self, exc), key=self)
        self._load_shown_part()

    def _load_shown_part(self) -> None:
        """Read the 转化 or the groups' results in the background when its tab is shown and it is not
        read yet for the school and exam chosen."""
        shown = self.tabs.currentWidget()
        part = "conversion" if shown is self.conversion_tab else "care" if shown is self.care_tab else None
        if part is None or part in self.shown_parts:
            return
        self.shown_parts.add(part)
        school_id, exam_id, session = self.school_id(), self.exam_combo.currentData(), self.session
        mine = session.actor.teacher_id if session.actor.role == "teacher" else None
        township = session.is_township and school_id is None
        if part == "care":
            def care(_control) -> tuple[list[dict] | None, int]:
                db = session.worker_db()
                return (care_group_results(db, exam_id, school_ids=[school_id] if school_id else None)
                        if exam_id else None, int(active_preset(db, "quality")["min_group_size"]))

            self.care_tab.heading.setText(self.tr("正在统计…"))
            session.tasks.run(care, on_done=self._show_care, on_error=lambda exc: show_error(self, exc),
                              key=(self, part))
            return

        def converted(_control) -> Converted:
            db = session.worker_db()
            found = conversion(db, exam_id, school_id=school_id) if exam_id else None
            if found is not None and mine:
                found["teachers"] = [t for t in found["teachers"] if t["teacher_id"] == mine]
            return Converted.build(found, support_summary(db, exam_id=exam_id, found=found)
                                   if township and exam_id else None)

        self.conversion_label.setText(self.tr("正在统计…"))
        session.tasks.run(converted, on_done=self._show_conversion, on_error=lambda exc: show_error(self, exc),
                          key=(self, part))

    def _loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.plan_model.set_snapshot(loaded.snapshots["plans"])
        self.tutoring_model.set_snapshot(loaded.snapshots["tutoring"])
        self.tutoring_label.setText(self.tr("本学期辅导 {n} 次,共 {m} 分钟,涉及学生 {p} 人").format(
            n=len(loaded.tutoring), m=sum(r["minutes"] for r in loaded.tutoring), p=loaded.tutored_pupils))
        self.difficulty_model.set_snapshot(loaded.snapshots["difficulties"])
        self.share_model.set_snapshot(loaded.snapshots["shares"])
        whole = loaded.shares["schools"]
        flagged, enrolled = sum(s["flagged"] for s in whole), sum(s["pupils"] for s in whole)
        self.difficulty_label.setText(self.tr("本学期双困生 {n} 人,占在校生 {p} 人的 {r}").format(
            n=flagged, p=enrolled, r=_percent(flagged / enrolled if enrolled else None) or "—"))
        self.status.setText(self.tr("本学期 · 帮扶名单 {n} 条").format(n=len(loaded.plans)))

    def _show_care(self, loaded: tuple[list[dict] | None, int]) -> None:
        care, min_size = loaded
        scope = self.school_combo.currentText() if self.school_id() else \
            (self.tr("全县") if self.session.kind == "county" else self.tr("全乡") if self.session.is_township
             else self.school_combo.currentText())
        self.care_tab.show_results(care, min_size, self.exam_combo.currentText(), scope)

    def _show_conversion(self, part: Converted) -> None:
        found = part.found
        self.school_table.setVisible(part.summary is not None)
        for model, name in ((self.school_model, "schools"), (self.teacher_model, "teachers"),
                            (self.pupil_model, "pupils")):
            model.set_snapshot(part.snapshots[name])
        if found is None:
            self.conversion_label.setText(self.tr("还没有有成绩的统测。"))
            return
        if found["next_exam"] is None:
            text = self.tr("{exam}:学困生 {n} 人,其中受辅导 {t} 人({tr})。还没有下一次统测,转化待统计。").format(
                exam=found["exam"]["name"], n=found["listed"], t=found["tutored"],
                tr=_percent(found["tutored_rate"]) or "—")
        else:
            text = self.tr("{exam} → {later}:学困生 {n} 人,受辅导 {t} 人({tr}),已转化 {c} 人(转化率 {cr}),"
                           "未参加下次统测 {s} 人。").format(
                exam=found["exam"]["name"], later=found["next_exam"]["name"], n=found["listed"], t=found["tutored"],
                tr=_percent(found["tutored_rate"]) or "—", c=found["converted"],
                cr=_percent(found["converted_rate"]) or "—", s=found["not_sat"])
        self.conversion_label.setText(text)

    # --- actions -------------------------------------------------------------------------------

    def _school_for_entry(self) -> str | None:
        return school_or_warn(self, self.school_id() or self.session.actor.school_id)

    def _selected(self, table: QTableView, model: SnapshotTableModel) -> dict | None:
        rows = table.selectionModel().selectedRows()
        return model.row_data(rows[0].row()) if rows else None

    def _run(self, fn, *args) -> tuple[bool, object]:
        """Run the service `fn(db, actor, *args)` on the worker; on success tell the pages."""
        done, result = write_or_explain(self, self.session, fn, *args)
        if done:
            self.session.notify_changed(Changed.ROUTINE)
        return done, result

    def show_record(self, row: dict) -> None:
        """Open the 学业档案 of the pupil of `row`."""
        PupilRecordDialog(self.session, row["pupil_id"], self).exec()

    def make_lists(self) -> None:
        """生成帮扶名单: the chosen exam's lists go to their teachers' tutoring lists."""
        school_id, exam_id = self._school_for_entry(), self.exam_combo.currentData()
        lists = tuple(name for name, box in (("学困生", self.struggling_box), ("临界生", self.borderline_box))
                      if box.isChecked())
        if school_id is None or exam_id is None or not lists:
            return
        done, made = self._run(make_plans, exam_id, school_id, lists)
        if done:
            text = self.tr("新加入帮扶名单 {a} 条,已在名单中 {k} 条").format(a=made.added, k=made.kept)
            if made.unassigned:
                text += self.tr(",{u} 条因该班该学科没有任课教师未分配").format(u=made.unassigned)
            self.status.setText(text + "。")

    def remove_selected_plan(self) -> None:
        """Take the selected entry off its tutoring list."""
        row = self._selected(self.plan_table, self.plan_model)
        if row is not None:
            self._run(remove_plan, row["id"])

    def record_tutoring(self) -> None:
        """Open the tutoring form for the school chosen."""
        school_id = self._school_for_entry()
        if school_id and TutoringDialog(self.session, school_id, self).exec():
            self.session.notify_changed(Changed.ROUTINE)

    def import_sheet(self) -> None:
        """Import tutoring records and 双困生 from a sheet: all or nothing, problems shown by row."""
        school_id = self._school_for_entry()
        if school_id is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择辅导记录表"), "",
                                              self.tr("表格 (*.xlsx *.xls *.ods *.csv)"))
        if not path:
            return
        done, plan = write_or_explain(self, self.session, import_support, path, school_id)
        if not done:
            return
        if plan.problems:
            shown = "\n".join(str(p) for p in plan.problems[:15])
            more = self.tr("\n……共 {n} 个问题").format(n=len(plan.problems)) if len(plan.problems) > 15 else ""
            warn(self, self.tr("未导入"), self.tr("发现以下问题,未写入任何数据:\n{p}{m}").format(p=shown, m=more))
            return
        summary = plan.summary()
        self.status.setText(self.tr("已导入辅导记录 {t} 条、双困生 {d} 人。").format(
            t=summary["tutoring"], d=summary["difficulties"]))
        self.session.notify_changed(Changed.ROUTINE)

    def remove_selected_tutoring(self) -> None:
        """Delete the selected tutoring record (after asking)."""
        row = self._selected(self.tutoring_table, self.tutoring_model)
        if row is not None and confirm(self, self.tr("删除辅导记录"), self.tr("删除 {d} {t} 辅导 {p} 的记录吗?").format(
                d=row["date"], t=row["teacher_name"], p=row["pupil_names"])):
            self._run(delete_tutoring, row["id"])

    def flag_pupil(self) -> None:
        """Open the 双困生 form for the school chosen."""
        school_id = self._school_for_entry()
        if school_id and DifficultyDialog(self.session, school_id, self).exec():
            self.session.notify_changed(Changed.ROUTINE)

    def clear_selected_flag(self) -> None:
        """Remove the selected 双困生 flag (after asking)."""
        row = self._selected(self.difficulty_table, self.difficulty_model)
        if row is not None and confirm(self, self.tr("取消认定"), self.tr("取消 {p} 的双困生认定吗?").format(
                p=row["pupil_name"])):
            self._run(clear_difficulty, row["id"])
