"""设置 › 备份与恢复: automatic daily backups (keep N, in the 备份 folder on the local disk), a backup now,
and restoring a chosen backup after a preview of what it holds."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QGroupBox, QHeaderView, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.errors import PermissionDenied, SchoolQError
from app.services import backups
from ui.dialogs.messages import confirm, errors_shown, inform, show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.session import Changed, Session
from ui.widgets.scaffold import button_row, choose_file, data_table, push_button


def _size(info: dict) -> str:
    return f"{info['size'] / 1024 / 1024:.1f} MB"


def _held(info: dict) -> str:
    counts = info["counts"]
    return f"学生 {counts.get('pupil') or 0:,} 名、成绩 {counts.get('mark') or 0:,} 条({info['term_name'] or '—'})"


class BackupBox(QGroupBox):
    """The 备份与恢复 group of the 设置 page."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(self.tr("备份与恢复"), parent)
        self.session = session
        layout = QVBoxLayout(self)
        self.auto = QCheckBox(self.tr("每天自动备份(程序启动时)"))
        self.keep = QSpinBox()
        self.keep.setRange(1, 365)
        self.keep.setSuffix(self.tr(" 份"))
        self.save_button = push_button(self.tr("保存备份设置"), self.save_settings)
        layout.addLayout(button_row(self.auto, QLabel(self.tr("保留最新")), self.keep, self.save_button, stretch="end"))
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        layout.addWidget(self.folder_label)
        self.columns = [Column(key, title, field_text(key)) for key, title in (
            ("time", self.tr("备份时间")), ("size", self.tr("大小")), ("held", self.tr("内容")),
            ("file", self.tr("文件")))]
        self.model = SnapshotTableModel(self.columns, self)
        self.table = data_table(self.model, resize=QHeaderView.ResizeMode.ResizeToContents, stretch_last=True)
        self.table.setMinimumHeight(140)
        layout.addWidget(self.table)
        self.backup_button = push_button(self.tr("立即备份"), self.backup_now)
        self.restore_button = push_button(self.tr("恢复所选备份…"), self.restore_selected)
        self.restore_file_button = push_button(self.tr("从其他位置选择备份…"), self.restore_chosen_file)
        layout.addLayout(button_row(self.backup_button, self.restore_button, self.restore_file_button, stretch="end"))
        self.rows: list[dict] = []

    def _may(self) -> bool:
        try:
            backups.require_database_admin(self.session.db, self.session.actor)
        except PermissionDenied:
            return False
        return True

    def refresh(self) -> None:
        """Reload the settings and the list of backups."""
        enabled, keep = backups.auto_settings(self.session.db)
        self.auto.setChecked(enabled)
        self.keep.setValue(keep)
        folder = backups.default_folder(self.session.path)
        self.rows = []
        for path in backups.list_backups(self.session.path):
            try:
                info = backups.describe_backup(path)
            except SchoolQError:
                continue  # a damaged file in the folder is not offered
            self.rows.append({"time": info["file_time"].replace("T", " "), "size": _size(info), "held": _held(info),
                              "file": path.name, "path": str(path)})
        self.model.set_snapshot(TableSnapshot.build(self.rows, self.columns, ()))
        allowed = self._may()
        for widget in (self.auto, self.keep, self.save_button, self.backup_button, self.restore_button,
                       self.restore_file_button):
            widget.setEnabled(allowed)
        text = self.tr("备份位置:{folder}(共 {n} 份)").format(folder=folder, n=len(self.rows))
        if not allowed:
            text += self.tr("。只有本数据库的管理员可以备份和恢复。")
        self.folder_label.setText(text)

    def save_settings(self) -> None:
        """Store the automatic backup settings."""
        with errors_shown(self) as attempt:
            self.session.write(backups.set_auto_settings, self.auto.isChecked(), self.keep.value())
        if attempt.failed:
            return
        inform(self, self.tr("已保存"), self.tr("备份设置已保存。"))
        self.session.notify_changed(Changed.SETTINGS)

    def backup_now(self) -> None:
        """Write a backup on the worker and say where it is."""
        session = self.session

        def work(_control):
            return backups.make_backup(session.worker_db(), session.actor, keep=backups.auto_settings(session.worker_db())[1])

        def done(path: Path) -> None:
            self.refresh()
            inform(self, self.tr("备份完成"), self.tr("已备份到:\n{path}").format(path=path))

        session.tasks.run(work, on_done=done, on_error=lambda exc: show_error(self, exc),
                          label=self.tr("正在备份…"), parent=self)

    def restore_selected(self) -> None:
        """Restore the backup selected in the table (after the preview)."""
        chosen = self.table.selectionModel().selectedRows()
        if not chosen:
            inform(self, self.tr("恢复备份"), self.tr("请先在表中选择一份备份。"))
            return
        self.restore(Path(self.rows[chosen[0].row()]["path"]))

    def restore_chosen_file(self) -> None:
        """Let the user pick a backup file anywhere, then restore it (after the preview)."""
        path = choose_file(self, self.tr("选择备份文件"), self.tr("数据库备份 (*.sqlite)"),
                           backups.default_folder(self.session.path))
        if path is not None:
            self.restore(path)

    def restore(self, path: Path) -> None:
        """Show what `path` holds, ask, and put it back; the current data is kept as a copy first."""
        with errors_shown(self) as attempt:
            preview = backups.preview_text(backups.describe_backup(path))
        if attempt.failed:
            return
        question = self.tr("这份备份中的数据:\n\n{preview}\n\n用它替换当前数据库的全部内容吗?"
                           "恢复前,当前数据会先另存一份。").format(preview=preview)
        if not confirm(self, self.tr("恢复备份"), question):
            return
        with errors_shown(self) as attempt:
            session = self.session
            result = session.tasks.run_modal(lambda _c: backups.restore_backup(session.worker_db(), session.actor, path),
                                             label=self.tr("正在恢复备份…"), parent=self)
        if attempt.failed:
            return
        self.session.notify_changed(Changed.ALL)
        inform(self, self.tr("已恢复"), self.tr("已从备份恢复。恢复前的数据另存为:\n{kept}").format(kept=result["kept"]))
