"""The main window: navigation on the left, the pages of ui.pages.PAGES on the right, a status bar.

A page is built when it is first shown: building all nineteen at once held the window for most of
a second on a county database before anything could be seen."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QMessageBox, QStackedWidget, QWidget)

from app import __version__
from app.db.database import schema_version
from app.db.migrations import program_schema_version
from app.errors import PermissionDenied
from app.paths import user_data_dir
from app.services.backups import backup_if_due
from ui import opening
from ui.dialogs.help_dialog import HelpDialog
from ui.dialogs.messages import show_error
from ui.pages import PAGES
from ui.pages.page import Page
from ui.session import Session
from ui.tasks import SyncTaskRunner, TaskManager

NAV_STYLE = ("QListWidget { background: #f0f3f7; border: none; font-size: 15px; }"
             " QListWidget::item { padding: 10px 14px; }"
             " QListWidget::item:selected { background: #1f4e79; color: white; }")


class _TitleOnly:
    """Stands in for a page not built yet when its navigation title is read: page_title() only
    translates a fixed text in the page class's context."""

    def __init__(self, page_class: type[Page]):
        self._context = page_class.__name__

    def tr(self, text: str) -> str:
        """Return `text` translated as the page itself would."""
        return QCoreApplication.translate(self._context, text)


class MainWindow(QMainWindow):
    """The program's window over one Session; File menu actions replace the session.

    The window title is the database file; Qt appends the application display name.
    """

    def __init__(self, session: Session, tasks: TaskManager | SyncTaskRunner):
        super().__init__()
        self.tasks = tasks
        self.session: Session | None = None
        self.page_classes: list[type[Page]] = []
        self.manual: HelpDialog | None = None
        self.resize(1200, 720)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setFixedWidth(150)
        self.nav.setStyleSheet(NAV_STYLE)
        self.nav.setIconSize(QSize(0, 0))
        self.stack = QStackedWidget()
        self.stack.setContentsMargins(8, 8, 8, 8)
        self.nav.currentRowChanged.connect(self._show_row)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self.status_labels = {key: QLabel() for key in ("file", "kind", "term", "user")}
        for label in self.status_labels.values():
            label.setContentsMargins(8, 0, 8, 0)
            self.statusBar().addPermanentWidget(label)
        self.set_session(session)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        for text, slot, shortcut in (
            (self.tr("打开数据库…"), self.open_database, QKeySequence.StandardKey.Open),
            (self.tr("新建学校数据库…"), self.new_school, QKeySequence.StandardKey.New),
            (self.tr("打开演示乡镇"), self.open_demo, None),
        ):
            action = QAction(text, self)
            action.triggered.connect(slot)
            if shortcut is not None:
                action.setShortcut(shortcut)
            file_menu.addAction(action)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("退出"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu(self.tr("帮助(&H)"))
        manual = QAction(self.tr("使用说明"), self)
        manual.setShortcut(QKeySequence.StandardKey.HelpContents)
        manual.triggered.connect(self.show_manual)
        help_menu.addAction(manual)
        about = QAction(self.tr("关于"), self)
        about.triggered.connect(self.about)
        help_menu.addAction(about)

    def set_session(self, session: Session) -> None:
        """Show `session`'s database (closing the one shown before) with fresh pages."""
        old = self.session
        self.session = session
        self.nav.blockSignals(True)
        while self.stack.count():
            widget = self.stack.widget(0)
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self.nav.clear()
        self.page_classes = [page_class for page_class in PAGES
                             if session.is_township or not getattr(page_class, "township_only", False)]
        for page_class in self.page_classes:
            self.stack.addWidget(QWidget())  # stands in until the page is first shown
            QListWidgetItem(page_class.page_title(_TitleOnly(page_class)), self.nav)
        self.nav.blockSignals(False)
        self.nav.setCurrentRow(0)
        session.data_changed.connect(self.update_status)
        self.update_status()
        if old is not None:
            old.close()
        copy = getattr(session.db, "safety_copy", None)
        if copy:
            self.statusBar().showMessage(self.tr("数据库已升级到本程序的数据结构;升级前的副本:{path}").format(path=copy),
                                         30000)
        self.backup_if_due(session)

    def backup_if_due(self, session: Session) -> None:
        """Write the automatic daily backup on the worker when it is switched on and due (设置)."""
        def work(_control):
            try:
                return backup_if_due(session.worker_db(), session.actor)
            except PermissionDenied:  # only the administrator's sessions back up
                return None

        def done(path) -> None:
            if path is not None:
                self.statusBar().showMessage(self.tr("已自动备份到 {path}").format(path=path), 15000)

        session.tasks.run(work, on_done=done, on_error=lambda exc: show_error(self, exc))

    def page_titles(self) -> list[str]:
        """Return the navigation titles, in order."""
        return [self.nav.item(i).text() for i in range(self.nav.count())]

    def show_page(self, page_class: type[Page]) -> Page:
        """Switch to the page of class `page_class` and return it."""
        index = self.page_classes.index(page_class)
        self.nav.setCurrentRow(index)
        return self.page(index)

    def page(self, index: int) -> Page:
        """Return the page at `index` of the navigation, building it on first use."""
        widget = self.stack.widget(index)
        if isinstance(widget, Page):
            return widget
        page = self.page_classes[index](self.session, self.stack)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(widget)
        widget.deleteLater()
        self.stack.setCurrentIndex(current)
        return page

    @property
    def pages(self) -> list[Page]:
        """Return every page of the navigation, building those not shown yet."""
        return [self.page(i) for i in range(len(self.page_classes))]

    def _show_row(self, row: int) -> None:
        if row >= 0:
            self.page(row)
            self.stack.setCurrentIndex(row)

    def update_status(self, _changed: object = None) -> None:
        """Show the database file, its kind, the current term and the user in the status bar."""
        session = self.session
        if session is None:
            return
        self.setWindowTitle(session.path.name)
        self.status_labels["file"].setText(self.tr("数据库:{name}").format(name=session.path.name))
        self.status_labels["file"].setToolTip(str(session.path))
        self.status_labels["kind"].setText(self.tr("{kind}数据库").format(kind=session.kind_name))
        self.status_labels["term"].setText(session.term_name())
        name = session.actor.display_name or session.actor.username
        self.status_labels["user"].setText(self.tr("{name}({role})").format(name=name, role=session.role_name))

    def _replace(self, session: Session | None) -> None:
        if session is not None:
            self.set_session(session)
            session.prepare_on_open()

    def open_database(self) -> None:
        """文件 › 打开数据库…"""
        self._replace(opening.choose_and_open(self.tasks, self))

    def new_school(self) -> None:
        """文件 › 新建学校数据库…"""
        self._replace(opening.create_school(self.tasks, self))

    def open_demo(self) -> None:
        """文件 › 打开演示乡镇"""
        self._replace(opening.open_demo(self.tasks, self))

    def about_text(self) -> str:
        """Return the 关于 text: program version, schema versions, data folder."""
        db_version = schema_version(self.session.db) if self.session else "-"
        return self.tr(
            "<h3>乡村学校教学质量管理</h3>"
            "<p>程序版本:{version}</p>"
            "<p>数据结构版本:本程序 {program},当前数据库 {db}</p>"
            "<p>数据文件夹:{folder}</p>"
            "<p>完全离线运行;数据只保存在本机。</p>").format(
            version=__version__, program=program_schema_version(), db=db_version, folder=str(user_data_dir()))

    def show_manual(self) -> HelpDialog:
        """帮助 › 使用说明: show the manual beside the window; return the dialog."""
        if self.manual is None:
            self.manual = HelpDialog(self)
        self.manual.show()
        self.manual.raise_()
        return self.manual

    def about(self) -> None:
        """帮助 › 关于"""
        QMessageBox.about(self, self.tr("关于"), self.about_text())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """Close the database when the window closes."""
        if self.session is not None:
            self.session.close()
            self.session = None
        super().closeEvent(event)
