"""The 360° survey scores of 000 篇11 for a school year, typed per teacher (教师自评, 同事互评, 领导评价,
学生评价, 家长评价, each 0-100, an empty cell for none) or read from an Excel sheet; saved through
app.services.appraisal_surveys (role-checked, all or nothing, audited)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from app.services.appraisal_surveys import RATERS, import_surveys, save_surveys, survey_scores
from ui.dialogs.messages import inform, show_error
from ui.session import Session


class SurveyDialog(QDialog):
    """One line per teacher of `teachers` (dicts with teacher_id, staff_no, name) and a column per
    side of the survey."""

    def __init__(self, session: Session, year: str, teachers: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.year, self.teachers = session, year, teachers
        self.setWindowTitle(self.tr("{y} 学年 多方评价得分(篇11)").format(y=year))
        layout = QVBoxLayout(self)
        note = QLabel(self.tr("篇11:教师自评占 40%,同事互评 10%,领导评价 10%,学生评价 30%,家长评价 10%。"
                              "填写问卷汇总后的得分(0-100),不填表示没有这一方的评价。"
                              "“教师年度考核”选用多方评价方案时,这些得分计入年度考核。"))
        note.setWordWrap(True)
        layout.addWidget(note)
        self.table = QTableWidget(len(teachers), 2 + len(RATERS))
        self.table.setHorizontalHeaderLabels([self.tr("工号"), self.tr("姓名"), *RATERS.values()])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table, 1)
        self.fill(survey_scores(session.db, year))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("保存"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        load = QPushButton(self.tr("从 Excel 导入…"))
        load.setToolTip(self.tr("表格列:工号、教师自评、同事互评、领导评价、学生评价、家长评价;全部无误才保存"))
        load.clicked.connect(self.import_file)
        buttons.addButton(load, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 520)

    def fill(self, scores: dict[str, dict[str, float]]) -> None:
        """Show each teacher's stored scores."""
        for row, teacher in enumerate(self.teachers):
            texts = [teacher["staff_no"], teacher["name"]] + [
                "" if (v := scores.get(teacher["teacher_id"], {}).get(k)) is None else f"{v:g}" for k in RATERS]
            for column, text in enumerate(texts):
                cell = QTableWidgetItem(text)
                if column < 2:
                    cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
                else:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, column, cell)

    def rows(self) -> tuple[list[dict], list[str]]:
        """Return the typed scores per teacher and the Chinese problems of cells that are not numbers."""
        out, problems = [], []
        for row, teacher in enumerate(self.teachers):
            values: dict = {"staff_no": teacher["staff_no"]}
            for column, (key, name) in enumerate(RATERS.items(), start=2):
                text = self.table.item(row, column).text().strip()
                try:
                    values[key] = float(text) if text else None
                except ValueError:
                    problems.append(self.tr("{t}的{n}“{v}”不是数字。").format(t=teacher["name"], n=name, v=text))
            out.append(values)
        return out, problems

    def accept(self) -> None:
        """Save the scores; stay open and say why when they are refused."""
        rows, problems = self.rows()
        if problems:
            inform(self, self.tr("不能保存"), "\n".join(problems))
            return
        try:
            self.session.write(save_surveys, self.year, rows)
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
            return
        super().accept()

    def import_file(self) -> None:
        """Read the scores from an Excel sheet (all or nothing) and show them."""
        name, _ = QFileDialog.getOpenFileName(self, self.tr("选择评价得分表"), str(Path.home()),
                                              self.tr("表格 (*.xlsx *.xls *.ods *.csv)"))
        if not name:
            return
        try:
            changed = self.session.write(import_surveys, self.year, name)
        except Exception as exc:  # noqa: BLE001 - problems are shown in Chinese with their cells
            show_error(self, exc)
            return
        self.fill(survey_scores(self.session.db, self.year))
        inform(self, self.tr("已导入"), self.tr("已保存 {n} 项得分。").format(n=changed))
