"""数据交换: signed data packages on a USB stick.

A school exports its term to the chosen stick and imports the township's config package; a
township (or county) imports the packages on a stick, dropped on the page or picked as files,
sees accepted / duplicate / refused with the reason, registers schools' keys after comparing the
fingerprint, and sends its config package down. All work is done by app.packages.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QStorageInfo, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
                               QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget)

from app.packages.config import NeedsConfirmation, export_config, import_config
from app.packages.export import export_package
from app.packages.format import FILE_NAME, PackageRefused
from app.packages.registration_sheet import owner, write_registration_sheet
from app.packages.sealing import sealed_files
from app.packages.signing import own_key, write_public_key
from app.packages.township_import import import_packages, shrink_text
from app.packages.trust import township_recipient
from app.queries.gui import list_terms
from app.queries.township import package_status
from app.timestamps import shown
from app.errors import NotFound
from ui.dialogs.checks_dialog import ChecksDialog
from ui.dialogs.import_log_dialog import ImportLogDialog
from ui.dialogs.messages import confirm, errors_shown, inform, show_error, warn
from ui.dialogs.register_key_dialog import RegisterKeyDialog
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.scaffold import data_table, note_label, page_heading, push_button

STATUS_NAMES = {"accepted": "接受", "duplicate": "重复", "refused": "拒收"}


def removable_drives() -> list[tuple[str, Path]]:
    """Return (label, root) of the mounted, writable volumes that look like USB sticks: not the
    system volume, and on Linux mounted under /media, /run/media or /mnt."""
    system = Path(os.environ.get("SystemDrive", "C:") + "\\") if sys.platform == "win32" else Path("/")
    drives = []
    for volume in QStorageInfo.mountedVolumes():
        if not (volume.isValid() and volume.isReady()) or volume.isReadOnly():
            continue
        root = Path(volume.rootPath())
        if root == system:
            continue
        if sys.platform != "win32" and not str(root).startswith(("/media/", "/run/media/", "/mnt/")):
            continue
        free = volume.bytesAvailable() / 1024 ** 3
        name = volume.displayName() or str(root)
        drives.append((f"{name}({root},可用 {free:.1f} GB)", root))
    return drives


def _table(columns: list[Column], parent: QWidget) -> tuple[QTableView, SnapshotTableModel]:
    model = SnapshotTableModel(columns, parent)
    table = data_table(model, select="rows", alternating=True, resize=QHeaderView.ResizeMode.ResizeToContents,
                       stretch_column=len(columns) - 1)
    return table, model


class ExchangePage(Page):
    """The 数据交换 page."""

    depends_on = Changed.ROSTER | Changed.SETTINGS | Changed.PACKAGES

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("数据交换")))

        where = QGroupBox(self.tr("U 盘"))
        row = QHBoxLayout(where)
        self.drive_combo = QComboBox()
        self.drive_combo.setMinimumWidth(320)
        row.addWidget(self.drive_combo, 1)
        refresh = push_button(self.tr("刷新"), self.refresh_drives)
        row.addWidget(refresh)
        choose = push_button(self.tr("选择文件夹…"), self.choose_folder)
        row.addWidget(choose)
        layout.addWidget(where)

        actions = QGroupBox(self.tr("导出与导入"))
        buttons = QHBoxLayout(actions)
        self.term_combo = QComboBox()
        self.export_button = push_button(self.tr("导出数据包到 U 盘"), self.export_to_drive)
        if session.kind != "county":
            buttons.addWidget(QLabel(self.tr("学期")))
            buttons.addWidget(self.term_combo)
            buttons.addWidget(self.export_button)
        self.import_drive_button = push_button(self.tr("从 U 盘导入"), self.import_from_drive)
        self.import_files_button = push_button(self.tr("选择数据包文件…"), self.import_chosen_files)
        self.register_button = QPushButton(self.tr("登记学校公钥…") if session.kind == "township"
                                           else self.tr("登记乡镇公钥…"))
        self.register_button.clicked.connect(self.register_chosen_key)
        self.config_button = push_button(self.tr("导出配置包(下发学校)"), self.export_config_to_drive)
        if session.is_township:
            for button in (self.import_drive_button, self.import_files_button, self.register_button):
                buttons.addWidget(button)
            if session.kind == "township":
                buttons.addWidget(self.config_button)
        else:
            self.import_files_button.setText(self.tr("导入乡镇配置包…"))
            buttons.addWidget(self.import_files_button)
        self.log_button = push_button(self.tr("导入记录…"), self.show_import_log,
                                      tip=self.tr("以往接受的每个数据包、配置包:来自谁、第几号、何时导入、改了什么"))
        buttons.addWidget(self.log_button)
        buttons.addStretch(1)
        layout.addWidget(actions)

        key_box = QGroupBox(self.tr("本单位签名密钥"))
        key_row = QHBoxLayout(key_box)
        key_row.addWidget(QLabel(self.tr("指纹:")))
        self.own_fingerprint = QLabel()
        self.own_fingerprint.setObjectName("own_fingerprint")
        self.own_fingerprint.setStyleSheet("font-size: 16px; font-weight: bold; font-family: monospace;")
        self.own_fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        key_row.addWidget(self.own_fingerprint, 1)
        self.export_key_button = QPushButton(self.tr("导出本校公钥到 U 盘") if session.kind == "school"
                                             else self.tr("导出本单位公钥到 U 盘"))
        self.export_key_button.setToolTip(self.tr("写出公钥文件(.pem)和可打印的密钥登记表(PDF),交给上级登记"))
        self.export_key_button.clicked.connect(self.export_key_to_drive)
        key_row.addWidget(self.export_key_button)
        layout.addWidget(key_box)

        hint = note_label(self.tr("也可以把数据包(.zip.age 或 .zip)直接拖到这里导入。") if session.is_township
                          else self.tr("也可以把乡镇下发的配置包(.zip)直接拖到这里导入。"), wrap=False)
        layout.addWidget(hint)

        layout.addWidget(QLabel(self.tr("本次结果")))
        self.result_columns = [
            Column("file", self.tr("文件"), field_text("file")),
            Column("status", self.tr("结果"), lambda r: STATUS_NAMES.get(r["status"], r["status"]), centered=True),
            Column("sender", self.tr("来自"), field_text("sender")),
            Column("term", self.tr("学期"), field_text("term"), centered=True),
            Column("sequence", self.tr("序号"), field_text("sequence"), lambda r: r["sequence"] or 0, centered=True),
            Column("message", self.tr("说明"), field_text("message")),
        ]
        self.results, self.results_model = _table(self.result_columns, self)
        layout.addWidget(self.results, 2)

        self.status_columns = [
            Column("code", self.tr("代码"), field_text("code")),
            Column("name", self.tr("学校"), field_text("name")),
            Column("last", self.tr("最近数据包"), field_text("last"), lambda r: r["last_sequence"] or 0, centered=True),
            Column("made", self.tr("制作时间"), field_text("made")),
            Column("status", self.tr("情况"), field_text("status")),
        ]
        self.status_label = QLabel(self.tr("各校数据包接收情况"))
        self.status_table, self.status_model = _table(self.status_columns, self)
        self.checks_button = push_button(self.tr("数据核查…"), self.show_checks,
                                         tip=self.tr("同一学籍号在两校、走教冲突、统一考试次数、某次考试缺成绩的学校和学生"))
        if session.is_township:
            status_row = QHBoxLayout()
            status_row.addWidget(self.status_label)
            status_row.addStretch(1)
            status_row.addWidget(self.checks_button)
            layout.addLayout(status_row)
            layout.addWidget(self.status_table, 2)
        self.result_rows: list[dict] = []
        self.chosen_folders: list[Path] = []
        self.refresh_drives()

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("数据交换")

    def refresh(self) -> None:
        """Reload the terms and (township) the package status per school."""
        current = self.term_combo.currentData()
        self.term_combo.clear()
        for term in list_terms(self.session.db):
            self.term_combo.addItem(term["name"], term["code"])
        index = self.term_combo.findData(current) if current else self.term_combo.findText(self.session.term_name())
        self.term_combo.setCurrentIndex(max(index, 0))
        try:
            self.own_fingerprint.setText(own_key(self.session.db)["fingerprint"])
            self.export_key_button.setEnabled(True)
        except NotFound:
            self.own_fingerprint.setText(self.tr("(本数据库没有签名密钥)"))
            self.export_key_button.setEnabled(False)
        if self.session.is_township:
            rows = [dict(r, last=f"第 {r['last_sequence']} 号({r['last_term']})" if r["last_sequence"] else "—",
                         made=shown(r["last_made_at"]))
                    for r in package_status(self.session.db)]
            self.status_model.set_snapshot(TableSnapshot.build(rows, self.status_columns, ("code", "name")))

    # --- the stick ---------------------------------------------------------------------------
    def refresh_drives(self) -> None:
        """List the removable drives again, then the folders the user chose."""
        self.drive_combo.clear()
        for label, root in removable_drives():
            self.drive_combo.addItem(label, str(root))
        for folder in self.chosen_folders:
            self.drive_combo.addItem(str(folder), str(folder))
        if self.drive_combo.count() == 0:
            self.drive_combo.setPlaceholderText(self.tr("没有找到 U 盘:请插入 U 盘后点“刷新”,或选择文件夹"))

    def choose_folder(self) -> None:
        """Let the user pick any folder as the destination / source."""
        folder = QFileDialog.getExistingDirectory(self, self.tr("选择文件夹"))
        if folder:
            self.set_folder(Path(folder))

    def set_folder(self, folder: Path) -> None:
        """Add `folder` to the list (kept across 刷新) and select it."""
        if folder not in self.chosen_folders:
            self.chosen_folders.append(folder)
        self.refresh_drives()
        self.drive_combo.setCurrentIndex(self.drive_combo.findData(str(folder)))

    def _folder(self) -> Path | None:
        value = self.drive_combo.currentData()
        if not value:
            warn(self, self.tr("没有 U 盘"), self.tr("请先插入 U 盘并点“刷新”,或点“选择文件夹…”。"))
            return None
        return Path(value)

    def _passphrase(self, why: str | None = None) -> str | None:
        text, ok = QInputDialog.getText(self, self.tr("管理员口令"), why or self.tr("签名需要管理员口令:"),
                                        QLineEdit.EchoMode.Password)
        return text if ok and text else None

    # --- export ------------------------------------------------------------------------------
    def export_to_drive(self) -> None:
        """Export the chosen term to the stick in the background and report the file. A school
        without its township's encryption key (no config package yet) is warned and asked whether
        to send the package unencrypted."""
        options = {}
        if self.session.kind == "school" and township_recipient(self.session.db) is None:
            if not confirm(self, self.tr("数据包无法加密"), self.tr(
                    "还没有乡镇的加密公钥(本校还没有导入乡镇下发的配置包),数据包无法加密:U 盘丢失时,"
                    "拿到它的人能看到全校学生的姓名、学籍号和成绩。\n\n建议先导入乡镇的配置包(点“导入乡镇配置包…”),"
                    "之后的数据包都会加密。\n\n确需现在送出,仍导出未加密的数据包吗?(请亲手交给乡镇,不要留在 U 盘上)")):
                return
            options["unencrypted"] = True

        def message(result) -> str:
            how = (self.tr("已为乡镇加密,只有乡镇中心校能打开。") if result.sealed
                   else self.tr("未加密:请亲手交给乡镇,导入后从 U 盘删除。"))
            return self.tr("已写出并校验:{path}\n第 {seq} 号数据包,{how}可以拔出 U 盘了。").format(
                path=result.path, seq=result.sequence, how=how)

        self._export(export_package, self.tr("正在导出数据包…"), message, **options)

    def export_config_to_drive(self) -> None:
        """Export the township's config package to the stick."""
        self._export(export_config, self.tr("正在导出配置包…"),
                     lambda r: self.tr("已写出并校验:{path}\n乡镇密钥指纹:{fp}").format(path=r.path, fp=r.fingerprint))

    def _export(self, exporter, label: str, message, **options) -> None:
        """Ask for the folder and passphrase, run `exporter` (with `options`) in the background,
        report `message(result)`."""
        folder = self._folder()
        secret = self._passphrase() if folder else None
        if not secret:
            return
        term = self.term_combo.currentData()
        session = self.session

        def work(control):
            return exporter(session.worker_db(), session.actor, secret, folder, term_code=term,
                            progress=control.progress, **options)

        def done(result) -> None:
            session.notify_changed(Changed.PACKAGES)
            inform(self, self.tr("导出完成"), message(result))

        session.tasks.run(work, on_done=done, on_error=lambda exc: show_error(self, exc), label=label, parent=self)

    # --- import ------------------------------------------------------------------------------
    def import_from_drive(self) -> None:
        """Import every package at the top of the chosen stick."""
        folder = self._folder()
        if folder is None:
            return
        named = [(p, FILE_NAME.match(p.name)) for p in folder.glob("*.zip*")]
        files = sorted(p for p, match in named if match and not match["config"])
        if not files:
            inform(self, self.tr("没有数据包"), self.tr("“{folder}”中没有数据包文件。").format(folder=folder))
            return
        self.import_files(files)

    def import_chosen_files(self) -> None:
        """Let the user pick package files and import them."""
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("选择数据包"), "", self.tr("数据包 (*.zip *.age)"))
        if files:
            self.import_files([Path(f) for f in files])

    def import_files(self, files: list[Path], accept_shrink: bool = False, secret: str | None = None) -> None:
        """Import `files` (data packages at a township, a config package at a school) and show the
        results; encrypted packages need the administrator's passphrase (asked once); a package
        that would remove much of its school's data is imported only after the user confirmed the
        counts."""
        if not self.session.is_township:
            for path in files:
                self.import_config_file(path)
            return
        session = self.session
        if secret is None and sealed_files(files):
            secret = self._passphrase(self.tr("学校的数据包已为本乡镇加密,解密需要管理员口令:"))
            if not secret:
                return

        def work(control):
            return import_packages(session.worker_db(), session.actor, files, progress=control.progress,
                                   accept_shrink=accept_shrink, passphrase=secret)

        def done(results) -> None:
            self.show_results([{"file": r.file, "status": r.status, "sender": r.sender_name or "",
                                "term": r.term_code or "", "sequence": r.sequence, "message": r.message}
                               for r in results])
            session.notify_changed(Changed.ALL)
            held = [r for r in results if r.reason_code == "shrink"]
            if held and self.confirm_shrink(held):
                by_name = {p.name: p for p in files}
                self.import_files([by_name[r.file] for r in held], accept_shrink=True, secret=secret)

        session.tasks.run(work, on_done=done, on_error=lambda exc: show_error(self, exc),
                          label=self.tr("正在检查并导入数据包…"), parent=self)

    def confirm_shrink(self, held: list) -> bool:
        """Ask whether the packages in `held` (results refused for removing much data) should be
        imported all the same, showing each one's counts; return True for 是."""
        lines = [self.tr("{name}({code})第 {seq} 号:{counts}").format(
            name=r.sender_name, code=r.sender_code, seq=r.sequence, counts=shrink_text(r.summary["shrink"]))
            for r in held]
        question = self.tr("下列数据包会删除本数据库中该校的大部分学生或成绩:\n\n{lines}\n\n"
                           "学校确实删除了这些数据吗?如不确定,请先与学校核对。确认导入吗?").format(lines="\n".join(lines))
        return confirm(self, self.tr("数据包将删除大量数据"), question)

    def import_config_file(self, path: Path, trust_new: bool = False) -> None:
        """Import a config package at a school; the first time, ask to compare the fingerprint."""
        try:
            result = self.session.write(import_config, path, trust_new=trust_new)
        except NeedsConfirmation as need:
            question = self.tr("第一次导入 {name}({code})的配置包。\n\n请与乡镇中心校电话核对密钥指纹:\n\n{fp}\n\n"
                               "完全一致吗?").format(name=need.township_name, code=need.township_code,
                                                  fp=need.fingerprint)
            if confirm(self, self.tr("核对指纹"), question):
                self.import_config_file(path, trust_new=True)
            return
        except PackageRefused as exc:
            self.show_results([{"file": path.name, "status": "refused", "sender": "", "term": "", "sequence": None,
                                "message": f"拒收:{exc.reason}"}])
            return
        except Exception as exc:  # noqa: BLE001 - shown as a Chinese message box
            show_error(self, exc)
            return
        self.show_results([{"file": result.file, "status": result.status, "sender": result.township_code,
                            "term": "", "sequence": result.sequence, "message": result.message}])
        self.session.notify_changed(Changed.EXAMS | Changed.SETTINGS | Changed.TIMETABLE)

    def show_results(self, rows: list[dict]) -> None:
        """Put `rows` at the top of the results table."""
        self.result_rows = rows + self.result_rows
        self.results_model.set_snapshot(TableSnapshot.build(self.result_rows, self.result_columns, ()))

    # --- keys --------------------------------------------------------------------------------
    def show_checks(self) -> ChecksDialog:
        """Open the township's 数据核查 dialog (not modal) and return it."""
        dialog = ChecksDialog(self.session, self)
        dialog.show()
        return dialog

    def show_import_log(self) -> ImportLogDialog:
        """Open 导入记录 (not modal) and return it."""
        dialog = ImportLogDialog(self.session, self)
        dialog.show()
        return dialog

    def register_chosen_key(self) -> None:
        """Register a school's (county: a township's) public key after the user compared the fingerprint."""
        self.register_key_file()

    def register_key_file(self, path: Path | None = None) -> RegisterKeyDialog:
        """Open 登记公钥 (on `path` when given); return the dialog after it closed."""
        dialog = RegisterKeyDialog(self.session, path, self)
        if dialog.exec() and dialog.result_ is not None:
            result = dialog.result_
            text = self.tr("已登记 {code} 的公钥(指纹 {fp})。").format(code=dialog.code.text().strip().upper(),
                                                                   fp=result.fingerprint)
            if result.unchanged:
                text = self.tr("这把密钥此前已登记,没有改动。")
            elif result.replaced:
                text += self.tr("\n已停用旧密钥(指纹 {fp})。").format(fp=result.replaced)
            inform(self, self.tr("已登记"), text)
            self.session.notify_changed(Changed.SETTINGS)
        return dialog

    def export_key_to_drive(self) -> None:
        """Write the public key (CODE.pem) and the printable registration sheet to the stick."""
        folder = self._folder()
        if folder is not None:
            self.export_key_to(folder)

    def export_key_to(self, folder: Path) -> list[Path]:
        """Write CODE.pem and CODE_密钥登记表.pdf into `folder`; report them and the fingerprint."""
        code = owner(self.session.db)["code"] or "key"
        with errors_shown(self) as attempt:
            session = self.session
            pem, fingerprint, sheet = session.tasks.run_modal(lambda _c: (
                *write_public_key(session.worker_db(), folder / f"{code}.pem"),
                write_registration_sheet(session.worker_db(), folder / f"{code}_密钥登记表.pdf")))
        if attempt.failed:
            return []
        inform(self, self.tr("已导出公钥"), self.tr(
            "已写出:\n{pem}\n{sheet}\n\n请把公钥文件交给上级登记,并在电话中念出指纹:\n{fp}").format(
            pem=pem, sheet=sheet, fp=fingerprint))
        return [pem, sheet]

    # --- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        """Accept packages (.zip, .zip.age) dragged onto the page."""
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() and u.toLocalFile().lower().endswith((".zip", ".zip.age")) for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        """Import the dropped packages."""
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        event.acceptProposedAction()
        if files:
            self.import_files(files)
