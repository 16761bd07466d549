"""乡镇考核 (township databases): the township scheme of 000 篇7 for a chosen exam — each school's 学校总评
and place in its group (教学点 outside it), the reward and penalty flags with the rule they rest on,
and every grade × subject score (app.stats.township_scheme, computed on the worker)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QSplitter, QTableView, QTextBrowser,
                               QVBoxLayout, QWidget)

from app.preset_names import display_name
from app.reports.common import grade_name
from app.services.exams import list_exams
from app.stats.presets import active_preset
from app.stats.township_scheme import township_subject_scores
from ui.dialogs.messages import show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.choosers import refill
from ui.widgets.scaffold import note_label, page_heading, size_by_samples


def _num(key: str, digits: int = 1):
    return lambda row: "" if row.get(key) is None else f"{row[key]:.{digits}f}"


def _pct(key: str):
    return lambda row: "" if row.get(key) is None else f"{100 * row[key]:.1f}%"


def _flags(row: dict) -> str:
    return ";".join(f["text"] for f in row["flags"]) or "—"


def rules_html(result: dict) -> str:
    """Return the rewards and penalties of township_subject_scores' `result` as HTML paragraphs,
    each with the rule it follows ('' when there is none)."""
    lines = []
    for school in result["schools"]:
        lines += [f"<p><b>{school['school_name']}</b>:{f['text']}<br><span style='color:#666'>依据:{f['rule']}</span></p>"
                  for f in school["flags"]]
    for item in result["items"]:
        lines += [f"<p><b>{item['school_name']} {grade_name(item['grade'])}{item['subject']}</b>:{f['text']}<br>"
                  f"<span style='color:#666'>依据:{f['rule']}</span></p>"
                  for f in item["flags"] if f["code"] != "subject_top_third"]
    return "".join(lines)


def _view(model: SnapshotTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class TownshipScorePage(Page):
    """The 乡镇考核 page: pick an exam, see the 篇7 scores, flags and their rules."""

    depends_on = Changed.EXAMS | Changed.MARKS | Changed.ROSTER | Changed.SETTINGS
    township_only = True

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("乡镇质量考核评分")))
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("考试")))
        self.exam_combo = QComboBox()
        self.exam_combo.setMinimumWidth(320)
        self.exam_combo.currentIndexChanged.connect(lambda _i: self.load())
        top.addWidget(self.exam_combo)
        top.addStretch(1)
        layout.addLayout(top)
        self.basis = note_label()
        layout.addWidget(self.basis)
        self.school_columns = [
            Column("school_name", self.tr("学校"), field_text("school_name"), sample="青山镇中心小学"),
            Column("group", self.tr("分组"), field_text("group"), sample="完小、教学点"),
            Column("total", self.tr("学校总评"), _num("total"), lambda r: r["total"], centered=True),
            Column("total_rank", self.tr("组内名次"),
                   lambda r: f"{r['total_rank']}/{r['total_rank_of']}" if r["total_rank"] else self.tr("不参与"),
                   lambda r: (r["group"], r["total_rank"] or 999), centered=True),
            Column("flags", self.tr("奖惩标记"), _flags, sample="学校总评倒数第一,校长、教导主任受罚"),
        ]
        self.item_columns = [
            Column("grade", self.tr("年级"), lambda r: grade_name(r["grade"]), lambda r: r["grade"], centered=True),
            Column("subject", self.tr("科目"), field_text("subject"), centered=True),
            Column("school_name", self.tr("学校"), field_text("school_name"), sample="青山镇中心小学"),
            Column("n", self.tr("参评人数"), field_text("n"), lambda r: r["n"], centered=True),
            Column("retention", self.tr("巩固率"), _pct("retention"), lambda r: r["retention"], centered=True),
            Column("mean", self.tr("人均分"), _num("mean"), lambda r: r["mean"], centered=True),
            Column("excellent_rate", self.tr("优秀率"), _pct("excellent_rate"), lambda r: r["excellent_rate"],
                   centered=True),
            Column("top_n", self.tr("前列人数"), field_text("top_n"), lambda r: r["top_n"], centered=True),
            Column("score", self.tr("单科成绩"), _num("score"), lambda r: r["score"], centered=True),
            Column("rank", self.tr("组内名次"), lambda r: f"{r['rank']}/{r['rank_of']}",
                   lambda r: (r["group"], r["rank"]), centered=True),
            Column("flags", self.tr("标记"), _flags, sample="倒数第一名,科任教师受罚"),
        ]
        self.school_model = SnapshotTableModel(self.school_columns, self)
        self.item_model = SnapshotTableModel(self.item_columns, self)
        self.school_table = _view(self.school_model)
        self.item_table = _view(self.item_model)
        size_by_samples(self.school_table, self.school_columns)
        size_by_samples(self.item_table, self.item_columns)
        self.item_table.setSortingEnabled(True)
        self.rules = QTextBrowser()
        split = QSplitter(Qt.Orientation.Vertical)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.school_table)
        upper.addWidget(self.rules)
        upper.setSizes([620, 380])
        split.addWidget(upper)
        split.addWidget(self.item_table)
        split.setSizes([260, 400])
        layout.addWidget(split, 1)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("乡镇考核")

    def refresh(self) -> None:
        """Offer the exams with marks (their ranks are allowed), then load the chosen one."""
        exams = [e for e in list_exams(self.session.db) if e["n_marks"] and e["type"] != "抽测"]
        refill(self.exam_combo, [(f"{e['name']}({e['term_code']})", e["id"]) for e in exams])
        self.load()

    def load(self) -> None:
        """Compute the chosen exam's scores on the worker and show them."""
        exam_id = self.exam_combo.currentData()
        if not exam_id:
            self.basis.setText(self.tr("还没有录入成绩的考试。"))
            self._show(None)
            return
        session = self.session

        def work(_control):
            db = session.worker_db()
            result = township_subject_scores(db, exam_id)
            # The tables are built here too: a county's items took the window's thread for a second.
            return (result, active_preset(db, "township_subject"),
                    TableSnapshot.build(result["schools"], self.school_columns, ()),
                    TableSnapshot.build(result["items"], self.item_columns, ()), rules_html(result))

        session.tasks.run(work, on_done=self._show, on_error=lambda exc: show_error(self, exc),
                          label=self.tr("正在计算各校单科成绩…"), parent=self, key=("township-score", id(self)))

    def _show(self, loaded) -> None:
        if loaded is None:
            self.school_model.set_snapshot(TableSnapshot.empty(self.school_columns))
            self.item_model.set_snapshot(TableSnapshot.empty(self.item_columns))
            self.rules.clear()
            return
        result, preset, schools, items, rules = loaded
        self.school_model.set_snapshot(schools)
        self.item_model.set_snapshot(items)
        self.basis.setText(self.tr("参评学生数以 {day} 的秋季入学名册为准;学校总评不含教学点;方案:{name}(第 {v} 版)").format(
            day=result["roster_day"], name=display_name(preset.name), v=preset.version))
        self.rules.setHtml(rules or self.tr("没有应受奖或受罚的情形。"))
