"""数据交换 › 导入记录: every package this database accepted, newest first (app.queries.township.import_log) —
who sent it, its term and number, when it was made and imported, by whom, and what it changed. A township
officer answers "did 青山完小's package of last week arrive, and what did it change?" here; a school sees
the configuration packages it received from the township."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QWidget

from app.queries.township import import_log
from app.timestamps import shown
from ui.models.table_model import Column, SnapshotFilterProxy, SnapshotTableModel, TableSnapshot, field_text
from ui.session import Session
from ui.widgets.scaffold import data_table, dialog_layout, note_label

class ImportLogDialog(QDialog):
    """Lists the accepted imports with a filter box (sender, file, what changed)."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        layout = dialog_layout(self, self.tr("导入记录"))
        rows = [dict(r, sender=f"{r['sender_name']}({r['sender_code']})",
                     imported=shown(r["created_at"]), made=shown(r["package_created_at"]))
                for r in import_log(session.db)]
        self.columns = [
            Column("imported", self.tr("导入时间"), field_text("imported"), lambda r: r["created_at"], sample="2026-12-07 14:00"),
            Column("kind", self.tr("类型"), field_text("kind_name"), centered=True, sample="数据包"),
            Column("sender", self.tr("来自"), field_text("sender"), lambda r: r["sender_code"], sample="青山镇中心小学(QSZ01)"),
            Column("term", self.tr("学期"), field_text("term_code"), centered=True, sample="2026-2027-1"),
            Column("sequence", self.tr("序号"), field_text("sequence"), lambda r: r["sequence"], centered=True,
                   sample="序号"),
            Column("made", self.tr("制作时间"), field_text("made"), lambda r: r["package_created_at"],
                   sample="2026-12-07 14:00"),
            Column("username", self.tr("导入人"), field_text("username"), sample="admin"),
            Column("file", self.tr("文件"), field_text("file_name"), sample="QSZ01_2026-2027-1_0001.zip"),
            Column("what", self.tr("变化"), field_text("what"), sample="学生 新增 2、删除 1;成绩 修改 15"),
        ]
        self.model = SnapshotTableModel(self.columns, self)
        self.model.set_snapshot(TableSnapshot.build(rows, self.columns, ("sender", "file_name", "what", "term_code")))
        self.proxy = SnapshotFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        top = QHBoxLayout()
        self.count_label = QLabel(self.tr("共 {n} 次导入,最新的在前。").format(n=len(rows)) if rows
                                  else self.tr("还没有导入过数据包或配置包。"))
        top.addWidget(self.count_label, 1)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("按学校、文件或变化筛选"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda text: self.proxy.set_filter(text))
        self.filter.setMinimumWidth(260)
        top.addWidget(self.filter)
        layout.addLayout(top)
        # At most 500 rows: columns sized to their contents, 变化 taking the width left (full text in the tooltip).
        self.table = data_table(self.proxy, select="rows", alternating=True,
                                resize=QHeaderView.ResizeMode.ResizeToContents, stretch_column=len(self.columns) - 1,
                                sortable=True)
        layout.addWidget(self.table, 1)
        layout.addWidget(note_label(self.tr("鼠标指向“变化”的单元格可看全文;只列出接受的数据包,重复和拒收的不记录。")))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(1000, 560)
