"""考核评估表: a school's filled item sheet of a school year, entered in a form, saved, imported from
Excel and printed — 篇20's 年度绩效考核表 (each item with what 篇20 says of it; the township fills it)
and 篇10's 240 分学校教学质量评估表 (each item with its 满分 and what 篇10 looks at, the school's
self-assessment and the township's score beside it). The sums, 等次 and 等级 are the program's
(app.stats.annual, app.stats.school_evaluation), shown as the values are typed."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QScrollArea, QStackedWidget, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.queries.roster import list_schools
from app.reports import write_report
from app.reports.scheme_sheets import build_annual, build_evaluation
from app.services.scheme_sheets import KINDS, import_sheet, save_annual, save_evaluation, stored
from app.stats.annual import LABELS, LEVELS, NUMBERS, annual_scores
from app.stats.appraisal import school_years
from app.stats.presets import resolve
from app.stats.school_evaluation import evaluate
from ui.dialogs.messages import inform, show_error
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.choosers import refill
from ui.widgets.scaffold import page_heading

EVAL_COLUMNS = ("部分", "评估项目", "评估重点(篇10)", "满分", "自评得分", "乡镇评分")
SELF, TOWNSHIP = 4, 5


class AnnualForm(QWidget):
    """篇20's items, one line each: the name, the value and what the item is; 教育质量得分 up to
    `quality_max` (the preset's)."""

    def __init__(self, quality_max: float, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        self.editors: dict[str, QWidget] = {}
        for line, (key, (label, about)) in enumerate(LABELS.items()):
            if key in NUMBERS:
                editor: QWidget = QDoubleSpinBox()
                editor.setRange(0, quality_max if key == "quality" else 100 if key in ("index", "dynamic") else 100000)
                editor.setDecimals(1 if key in ("index", "dynamic", "quality") else 0)
            elif key in ("politics", "party"):
                editor = QComboBox()
                editor.addItems(list(LEVELS))
            else:
                editor = QCheckBox(self.tr("是"))
            self.editors[key] = editor
            grid.addWidget(QLabel(label), line, 0)
            grid.addWidget(editor, line, 1)
            note = QLabel(about)
            note.setWordWrap(True)
            note.setStyleSheet("color: #555;")
            grid.addWidget(note, line, 2)
        grid.setColumnStretch(2, 1)

    def values(self) -> dict:
        """Return the typed values (numbers, 等次 words, 是/否 as True/False)."""
        out: dict = {}
        for key, editor in self.editors.items():
            if isinstance(editor, QDoubleSpinBox):
                out[key] = editor.value()
            elif isinstance(editor, QComboBox):
                out[key] = editor.currentText()
            elif isinstance(editor, QCheckBox):
                out[key] = editor.isChecked()
        return out

    def show_values(self, content: dict | None) -> None:
        """Fill the form from a stored sheet (zeros, 好 and 否 without one)."""
        for key, editor in self.editors.items():
            value = (content or {}).get(key)
            if isinstance(editor, QDoubleSpinBox):
                editor.setValue(float(value or 0))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(value or "好")
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))

    def set_editable(self, editable: bool) -> None:
        """Let the values be changed, or only read."""
        for editor in self.editors.values():
            editor.setEnabled(editable)


class ItemSheetsPage(Page):
    """The 考核评估表 page."""

    depends_on = Changed.SETTINGS | Changed.ROSTER

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("考核评估表")))
        top = QHBoxLayout()
        self.year_combo, self.kind_combo, self.school_combo = QComboBox(), QComboBox(), QComboBox()
        for kind, name in KINDS.items():
            self.kind_combo.addItem(name, kind)
        for label, combo in ((self.tr("学年"), self.year_combo), (self.tr("表格"), self.kind_combo),
                             (self.tr("学校"), self.school_combo)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            top.addWidget(QLabel(label))
            top.addWidget(combo)
            combo.currentIndexChanged.connect(lambda _i: self.load())
        top.addStretch(1)
        self.import_button = QPushButton(self.tr("从 Excel 导入…"))
        self.import_button.setToolTip(self.tr("读入填好的考核表(可含多所学校),全部无误才保存"))
        self.import_button.clicked.connect(self.import_file)
        self.print_button = QPushButton(self.tr("打印 PDF…"))
        self.print_button.clicked.connect(self.print_sheet)
        top.addWidget(self.import_button)
        top.addWidget(self.print_button)
        layout.addLayout(top)
        self.annual = AnnualForm(resolve(session.db, "central_school", None)["annual"]["quality_max"])
        for editor in self.annual.editors.values():
            signal = getattr(editor, "valueChanged", None) or getattr(editor, "currentIndexChanged", None) \
                or editor.toggled  # type: ignore[attr-defined]
            signal.connect(lambda *_: self.show_result())
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.annual)
        self.items = QTableWidget(0, len(EVAL_COLUMNS))
        self.items.setHorizontalHeaderLabels(list(EVAL_COLUMNS))
        self.items.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.items.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.items.horizontalHeader().setMinimumSectionSize(72)
        self.items.setWordWrap(True)
        self.items.itemChanged.connect(lambda _item: self.show_result())
        self.stack = QStackedWidget()
        self.stack.addWidget(scroll)
        self.stack.addWidget(self.items)
        layout.addWidget(self.stack, 1)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.result)
        bottom = QHBoxLayout()
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        bottom.addWidget(self.hint, 1)
        self.save_button = QPushButton(self.tr("保存"))
        self.save_button.clicked.connect(self.save)
        bottom.addWidget(self.save_button)
        layout.addLayout(bottom)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("考核评估表")

    def kind(self) -> str:
        """Return the sheet chosen: 'annual' (篇20) or 'evaluation' (篇10)."""
        return self.kind_combo.currentData()

    def school(self) -> dict | None:
        """Return the school chosen."""
        return self.school_combo.currentData()

    def refresh(self) -> None:
        """Offer the school years and the schools the account may see, then load the sheet."""
        refill(self.year_combo, [(self.tr("{y} 学年").format(y=y), y) for y in school_years(self.session.db)])
        actor = self.session.actor
        schools = [s for s in list_schools(self.session.db)
                   if actor.role == "township_admin" or s["id"] == actor.school_id]
        refill(self.school_combo, [(s["name"], s) for s in schools])
        self.load()

    def may_write(self, column: str) -> bool:
        """Return True when the account may change `column` ('annual', 'self' or 'township') of the
        chosen school's sheet (the service checks again on saving)."""
        actor, school = self.session.actor, self.school()
        if actor.role == "township_admin":
            return True
        own = school is not None and actor.role in ("school_admin", "academic") and actor.school_id == school["id"]
        return column == "self" and own

    def load(self) -> None:
        """Show the chosen school's stored sheet (篇10 without one: the preset's items, unscored)."""
        year, school = self.year_combo.currentData(), self.school()
        is_annual = self.kind() == "annual"
        self.stack.setCurrentIndex(0 if is_annual else 1)
        if year is None or school is None:
            self.result.setText(self.tr("数据库中还没有学年或学校。"))
            return
        sheets = stored(self.session.db, self.kind(), year, school["id"])
        content = sheets[0]["content"] if sheets else None
        if is_annual:
            self.annual.show_values(content)
            self.annual.set_editable(self.may_write("annual"))
            self.hint.setText(self.tr("年度绩效考核表由乡镇中心校填写,随配置包下发到学校。") if not self.may_write("annual")
                              else self.tr("填好后按“保存”;各项说明见右侧。"))
        else:
            preset = resolve(self.session.db, "school_evaluation", None)
            about = {(i["part"], i["name"]): i["about"] for i in preset.content.get("items", [])}
            items = content["items"] if content else [
                {"part": i["part"], "item": i["name"], "max": i["max"], "self": None, "township": None}
                for i in preset.content.get("items", [])]
            self._fill_items(items, about)
            self.hint.setText(self.tr("学校先自评,乡镇再评分(篇10)。学校只能填写本校的自评,乡镇评分由乡镇中心校填写。"))
        self.save_button.setVisible(self.may_write("annual" if is_annual else "self"))
        self.import_button.setVisible(self.save_button.isVisible())
        self.show_result()

    def _fill_items(self, items: list[dict], about: dict) -> None:
        self.items.blockSignals(True)
        self.items.setRowCount(len(items))
        for row, item in enumerate(items):
            texts = (item["part"], item["item"], about.get((item["part"], item["item"]), ""), f"{item['max']:g}",
                     "" if item["self"] is None else f"{item['self']:g}",
                     "" if item["township"] is None else f"{item['township']:g}")
            for column, text in enumerate(texts):
                cell = QTableWidgetItem(text)
                editable = (column == SELF and self.may_write("self")) or (column == TOWNSHIP and self.may_write("township"))
                if not editable:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if column == 2:
                    cell.setToolTip(text)  # the whole 评估重点 when the column is too narrow for it
                if column >= 3:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.items.setItem(row, column, cell)
        self.items.blockSignals(False)
        self.items.resizeRowsToContents()

    def _item_rows(self) -> tuple[list[dict], list[str]]:
        """Return the typed 篇10 rows and the Chinese problems of cells that are not numbers."""
        rows, problems = [], []
        for row in range(self.items.rowCount()):
            values: dict = {"school": self.school()["code"], "part": self.items.item(row, 0).text(),
                            "item": self.items.item(row, 1).text(), "max": float(self.items.item(row, 3).text())}
            for column, key in ((SELF, "self"), (TOWNSHIP, "township")):
                text = self.items.item(row, column).text().strip()
                try:
                    values[key] = float(text) if text else None
                except ValueError:
                    problems.append(self.tr("第 {n} 行“{c}”:“{t}”不是数字。").format(n=row + 1, c=EVAL_COLUMNS[column], t=text))
                    values[key] = None
            if values["self"] is None and not problems:
                problems.append(self.tr("第 {n} 行“{i}”还没有自评得分。").format(n=row + 1, i=values["item"]))
            rows.append(values)
        return rows, problems

    def show_result(self) -> None:
        """Show the sums and bands of what the form holds now (or why they cannot be had yet)."""
        school = self.school()
        if school is None or self.year_combo.currentData() is None:
            return
        try:
            if self.kind() == "annual":
                result = annual_scores(self.session.db, [{"school": school["code"], **self.annual.values()}])
                s = result["schools"][0]
                text = self.tr("满意度 {h:.1f};绩效得分 {v:.1f};等次:{b}").format(h=s["satisfaction"], v=s["score"], b=s["band"])
                self.result.setText(text + (f"({s['band_note']})" if s["band_note"] else ""))
                return
            rows, problems = self._item_rows()
            if problems:
                self.result.setText(problems[0])
                return
            s = evaluate(self.session.db, rows)["schools"][0]
            parts = ",".join(f"{name} {p['self']:g}/{p['max']:g}" for name, p in s["parts"].items())
            town = (self.tr("乡镇评分 {t:g} 分,{b}").format(t=s["township_total"], b=s["township_band"])
                    if s["township_total"] is not None else self.tr("乡镇尚未评完"))
            self.result.setText(self.tr("自评:{p};合计 {t:g} 分,{b}。{town}。").format(
                p=parts, t=s["self_total"], b=s["self_band"], town=town))
        except Exception as exc:  # noqa: BLE001 - a refusal is shown in Chinese in place of the result
            self.result.setText(str(exc))

    def save(self) -> None:
        """Save the form through the service (role-checked, one transaction, audited)."""
        year, school = self.year_combo.currentData(), self.school()
        try:
            if self.kind() == "annual":
                self.session.write(save_annual, year, [{"school": school["code"], **self.annual.values()}])
            else:
                rows, problems = self._item_rows()
                if problems:
                    inform(self, self.tr("不能保存"), "\n".join(problems))
                    return
                self.session.write(save_evaluation, year, rows)
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
            return
        self.hint.setText(self.tr("已保存 {s} 的{k}。").format(s=school["name"], k=KINDS[self.kind()]))
        self.session.notify_changed(Changed.SETTINGS)

    def import_file(self) -> None:
        """Read a filled sheet of the chosen kind and year from Excel (all or nothing)."""
        name, _ = QFileDialog.getOpenFileName(self, self.tr("选择填好的考核表"), str(Path.home()),
                                              self.tr("表格 (*.xlsx *.xls *.ods *.csv)"))
        if not name:
            return
        try:
            changed = self.session.write(import_sheet, self.kind(), self.year_combo.currentData(), name)
        except Exception as exc:  # noqa: BLE001 - problems are shown in Chinese with their cells
            show_error(self, exc)
            return
        inform(self, self.tr("已导入"), self.tr("{n} 所学校的表格已保存。").format(n=changed))
        self.session.notify_changed(Changed.SETTINGS)

    def print_sheet(self) -> None:
        """Write the township's 篇20 score sheet, or the chosen school's 篇10 sheet, as a PDF."""
        year, school, kind, session = self.year_combo.currentData(), self.school(), self.kind(), self.session
        title = "年度高质量发展绩效考核得分表" if kind == "annual" else f"{school['name']}学校教学质量评估表"
        chosen, _ = QFileDialog.getSaveFileName(self, self.tr("保存 PDF"), str(Path.home() / f"{year}学年{title}.pdf"),
                                                self.tr("PDF 文件 (*.pdf)"))
        if not chosen:
            return

        def work(_control) -> Path:
            db = session.worker_db()
            report = build_annual(db, year) if kind == "annual" else build_evaluation(db, year, school["code"])
            return write_report(report, chosen)

        session.tasks.run(work, on_done=lambda path: self.hint.setText(self.tr("已保存:{p}").format(p=path)),
                          on_error=lambda exc: show_error(self, exc), label=self.tr("正在生成 PDF…"), parent=self)
