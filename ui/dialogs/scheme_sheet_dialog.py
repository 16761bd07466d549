"""The annual schemes read from a filled item sheet, shown in a table: 篇20's 绩效得分 with 等次 and the
中心小学得分, or 篇10's 240-point evaluation with the school's self-assessment beside the township's."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QVBoxLayout, QWidget

from app.stats.annual import annual_scores, read_items
from app.stats.presets import resolve
from app.stats.school_evaluation import evaluate, read_sheet
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.session import Session
from ui.widgets.scaffold import data_table


def _num(key: str):
    return lambda row: "—" if row.get(key) is None else f"{row[key]:.1f}"


class SchemeSheetDialog(QDialog):
    """The scores of one filled sheet (`kind` annual: 篇20; evaluation: 篇10), computed on opening.
    Raises what the readers raise (ValidationError naming the bad cells, NotAWorkbook)."""

    def __init__(self, session: Session, kind: str, path: str, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        note = QLabel()
        note.setWordWrap(True)
        if kind == "annual":
            result = annual_scores(session.db, read_items(path))
            self.setWindowTitle(self.tr("年度绩效考核得分"))
            rows = result["schools"]
            columns = [Column("school_name", self.tr("学校"), field_text("school_name"), sample="青山镇中心小学"),
                       Column("index", self.tr("指标体系"), _num("index"), centered=True),
                       Column("dynamic", self.tr("动态考核"), _num("dynamic"), centered=True),
                       Column("satisfaction", self.tr("满意度"), _num("satisfaction"), centered=True),
                       Column("quality", self.tr("教育质量"), _num("quality"), centered=True),
                       Column("score", self.tr("绩效得分"), _num("score"), centered=True),
                       Column("band", self.tr("等次"), field_text("band"), centered=True),
                       Column("band_note", self.tr("说明"), field_text("band_note"))]
            note.setText("\n".join(self.tr("中心小学得分 {s:.1f} = 校本部 {c:.1f} × 60% + 村级学校平均 {v:.1f} × 40%").format(
                s=c["score"], c=c["central_score"], v=c["village_mean"] or 0) for c in result["central"])
                or self.tr("表中没有中心校本部,不计算中心小学得分。"))
        else:
            preset = resolve(session.db, "school_evaluation", None)
            result = evaluate(session.db, read_sheet(path, preset), preset=preset)
            self.setWindowTitle(self.tr("学校教学质量评估(240 分)"))
            rows = result["schools"]
            columns = [Column("school_name", self.tr("学校"), field_text("school_name"), sample="青山镇中心小学"),
                       Column("self_total", self.tr("自评总分"), _num("self_total"), centered=True),
                       Column("self_band", self.tr("自评等级"), field_text("self_band"), centered=True),
                       Column("township_total", self.tr("乡镇评分"), _num("township_total"), centered=True),
                       Column("township_band", self.tr("乡镇评定"), lambda r: r["township_band"] or self.tr("未评"),
                              centered=True),
                       Column("difference", self.tr("差额"), _num("difference"), centered=True)]
            note.setText(self.tr("过程性 100 + 效益性 100 + 发展性 40;达标 ≥ 192,基本达标 144–191,不达标 < 144。"))
        model = SnapshotTableModel(columns, self)
        model.set_snapshot(TableSnapshot.build(rows, columns, ()))
        self.table = data_table(model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 480)
