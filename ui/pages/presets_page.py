"""评分与规则方案: every preset of every kind (app.preset_store), copied, edited in a form, put in force,
written to an .xlsx sheet and read back; the township's presets shown as such and read-only at a school."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
                               QTextBrowser, QVBoxLayout, QWidget)

from app.preset_names import display_name, readable
from app.preset_sheet import changes_text, read_changes, write_sheet
from app.preset_store import ALL_KINDS, CURRICULUM, ORIGIN_NAMES, Entry, activate, catalogue, copy_preset, edit_preset
from ui.dialogs.messages import confirm, errors_shown, inform
from ui.dialogs.preset_dialog import PresetDialog
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.scaffold import button_row, data_table, note_label, page_heading, push_button


def origin_text(entry: Entry) -> str:
    """Return where a preset comes from in words: 程序自带, 本库 or 乡镇下发, and 乡镇指定 when the township
    prescribed it."""
    text = ORIGIN_NAMES[entry.origin]
    return text + ("(乡镇指定,学校不能更换)" if entry.prescribed_by else "")


class PresetsPage(Page):
    """The 评分与规则方案 page: administrators copy, edit and choose presets; others look."""

    depends_on = Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.entries: list[Entry] = []
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("评分与规则方案")))
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("类别")))
        self.kind_combo = QComboBox()
        self.kind_combo.addItem(self.tr("全部"), None)
        for kind, name in ALL_KINDS.items():
            self.kind_combo.addItem(name, kind)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        top.addWidget(self.kind_combo)
        self.hint = note_label()
        top.addWidget(self.hint, 1)
        layout.addLayout(top)
        self.copy_button = push_button(self.tr("复制…"), self.copy_selected)
        self.edit_button = push_button(self.tr("修改…"), self.edit_selected)
        self.activate_button = push_button(self.tr("启用"), self.activate_selected)
        self.export_button = push_button(self.tr("导出为表格…"), self.export_sheet)
        self.import_button = push_button(self.tr("从表格读回修改…"), self.import_sheet)
        layout.addLayout(button_row(self.copy_button, self.edit_button, self.activate_button, self.export_button,
                                    self.import_button, stretch="end"))
        self.columns = [
            Column("kind", self.tr("类别"), lambda r: ALL_KINDS[r["entry"].preset.kind],
                   lambda r: list(ALL_KINDS).index(r["entry"].preset.kind), sample="三率一分与质量分析阈值"),
            Column("name", self.tr("名称"), lambda r: display_name(r["entry"].preset.name), sample="三率一分综合分(默认)"),
            Column("version", self.tr("版本"), lambda r: self.tr("第 {v} 版").format(v=r["entry"].preset.version),
                   lambda r: r["entry"].preset.version, centered=True),
            Column("origin", self.tr("来源"), lambda r: origin_text(r["entry"]), sample="乡镇下发"),
            Column("active", self.tr("状态"), lambda r: self.tr("在用") if r["entry"].active else "", centered=True),
        ]
        self.model = SnapshotTableModel(self.columns, self)
        self.table = data_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        layout.addWidget(self.table, 1)
        details = QGroupBox(self.tr("依据与详细信息"))
        details_layout = QVBoxLayout(details)
        self.details = QTextBrowser()
        self.details.setMaximumHeight(130)
        details_layout.addWidget(self.details)
        layout.addWidget(details)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("评分方案")

    def may_change(self) -> bool:
        """Return True for an administrator (who may copy, edit and choose presets)."""
        return self.session.actor.role in ("township_admin", "school_admin")

    def refresh(self) -> None:
        """Reload the presets of the chosen kind."""
        self.entries = catalogue(self.session.db, self.kind_combo.currentData())
        rows = [{"entry": e} for e in self.entries]
        self.model.set_snapshot(TableSnapshot.build(rows, self.columns, ()))
        self.table.resizeColumnsToContents()
        if not self.may_change():
            self.hint.setText(self.tr("方案由管理员设置;您可以查看。"))
        elif any(e.prescribed_by for e in self.entries):
            self.hint.setText(self.tr("标有“乡镇指定”的方案随乡镇配置包下发,学校只能查看;可以复制一份试算。"))
        else:
            self.hint.setText(self.tr("程序自带的方案不能修改:先复制,改好后启用。每次修改成为新的版本,报告注明所用版本。"))
        self._selection_changed()

    def selected(self) -> Entry | None:
        """Return the chosen preset, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row())["entry"] if rows else None

    def _selection_changed(self) -> None:
        entry = self.selected()
        # a curriculum plan is adjusted per school on the timetable page, not here
        admin = self.may_change() and (entry is None or entry.preset.kind != CURRICULUM)
        editable = entry is not None and admin and not entry.preset.shipped and \
            (entry.origin != "township" or self.session.actor.role == "township_admin")
        self.copy_button.setEnabled(entry is not None and admin)
        self.edit_button.setEnabled(editable)
        self.import_button.setEnabled(editable)
        self.activate_button.setEnabled(entry is not None and admin and not entry.active)
        self.export_button.setEnabled(entry is not None and entry.preset.kind != CURRICULUM)
        if entry is None:
            self.details.setPlainText(self.tr("选择一个方案查看它的依据。"))
            return
        p = entry.preset
        lines = [self.tr("依据:{s}").format(s=readable(p.content.get("source", ""))), "",
                 self.tr("编号 {id},第 {v} 版,校验码 {h}").format(id=p.id, v=p.version, h=p.hash)]
        if p.content.get("based_on"):
            lines.append(self.tr("复制自 {b}(校验码 {h})").format(b=p.content["based_on"],
                                                          h=str(p.content.get("based_on_hash", ""))[:12]))
        if entry.township:
            lines.append(self.tr("由乡镇 {t} 的配置包下发").format(t=entry.township))
        if p.kind == CURRICULUM:
            lines.append(self.tr("课程计划按学校调整:在“课表”页点“课程计划…”,从预设复制本校课程计划后逐行修改。"))
        self.details.setPlainText("\n".join(lines))

    def _done(self, message: str) -> None:
        self.session.notify_changed(Changed.SETTINGS)
        inform(self, self.tr("评分方案"), message)

    def copy_selected(self) -> None:
        """Copy the chosen preset under a name the user types."""
        entry = self.selected()
        if entry is None:
            return
        name, ok = QInputDialog.getText(self, self.tr("复制方案"), self.tr("新方案的名称:"),
                                        text=display_name(entry.preset.name) + self.tr("(本地)"))
        if not ok:
            return
        with errors_shown(self) as attempt:
            copy = self.session.write(copy_preset, f"{entry.preset.id}@{entry.preset.version}", name)
        if attempt.failed:
            return
        self._done(self.tr("已复制为“{n}”。改好后点“启用”即按它计算。").format(n=copy.name))

    def edit_selected(self) -> None:
        """Open the form of the chosen copy."""
        entry = self.selected()
        if entry is None or not self.edit_button.isEnabled():
            return
        dialog = PresetDialog(self.session, entry.preset, self)
        if dialog.exec() and dialog.saved is not None:
            if dialog.saved.version == entry.preset.version:
                return
            self._done(self.tr("已保存为第 {v} 版。").format(v=dialog.saved.version))

    def activate_selected(self) -> None:
        """Put the chosen preset in force for its kind."""
        entry = self.selected()
        if entry is None:
            return
        kind = ALL_KINDS[entry.preset.kind]
        if not confirm(self, self.tr("启用方案"), self.tr("“{k}”改用“{n}”?以后的统计和报告都按它计算。").format(
                k=kind, n=display_name(entry.preset.name))):
            return
        with errors_shown(self) as attempt:
            self.session.write(activate, f"{entry.preset.id}@{entry.preset.version}")
        if attempt.failed:
            return
        self._done(self.tr("“{k}”现在使用“{n}”。").format(k=kind, n=display_name(entry.preset.name)))

    def export_sheet(self) -> None:
        """Write the chosen preset's fields to an .xlsx sheet to fill in WPS/Excel."""
        entry = self.selected()
        if entry is None:
            return
        default = Path.home() / f"{display_name(entry.preset.name)}.xlsx"
        name, _ = QFileDialog.getSaveFileName(self, self.tr("导出方案表格"), str(default), self.tr("Excel 表格 (*.xlsx)"))
        if not name:
            return
        with errors_shown(self) as attempt:
            write_sheet(entry.preset, name)
        if attempt.failed:
            return
        inform(self, self.tr("评分方案"), self.tr("已导出:{p}\n只改“数值”一列,保存后点“从表格读回修改…”。").format(p=name))

    def import_sheet(self) -> None:
        """Read the chosen copy's sheet back after it was filled in, show the changes and save them."""
        entry = self.selected()
        if entry is None:
            return
        name, _ = QFileDialog.getOpenFileName(self, self.tr("选择填好的方案表格"), str(Path.home()),
                                              self.tr("表格 (*.xlsx *.xls *.ods)"))
        if not name:
            return
        with errors_shown(self) as attempt:
            changes = read_changes(entry.preset, name)
            if not changes:
                inform(self, self.tr("评分方案"), self.tr("表格中的数值与现在相同,没有改动。"))
                return
            if not confirm(self, self.tr("读回修改"), self.tr("将修改以下各项:\n") +
                           "\n".join(changes_text(entry.preset, changes))):
                return
            saved = self.session.write(edit_preset, entry.preset.id, changes)
        if attempt.failed:
            return
        self._done(self.tr("已保存为第 {v} 版。").format(v=saved.version))
