"""Start the GUI: font, Chinese translations, the database to open, login, the main window.

    schoolq-gui                 the last database, or the welcome dialog
    schoolq-gui --db PATH       open PATH
    schoolq-gui --demo          open the demo township (generated on first use)
    schoolq-gui --smoke         open the demo as its administrator, show every page, print the
                                time to the first window and quit (exit 0, non-zero on any error)
"""
from __future__ import annotations

import time

_STARTED = time.perf_counter()  # before Qt is imported: the start-up time includes loading Qt

import argparse  # noqa: E402 - after the start time on purpose
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from types import TracebackType  # noqa: E402

import shiboken6  # noqa: E402
from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator  # noqa: E402
from PySide6.QtGui import QFontDatabase, QIcon  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.paths import font_path, icon_path  # noqa: E402

APP_DISPLAY_NAME = "乡村学校教学质量管理"
SMOKE_QUIT_MS = 1000
SMALL_SCREEN_WIDTH, SMALL_SCREEN_HEIGHT = 1400, 800


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Return the parsed command line. Exits with a usage message on bad arguments."""
    parser = argparse.ArgumentParser(prog="schoolq-gui", description=APP_DISPLAY_NAME + "(图形界面)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--db", metavar="PATH", help="打开这个数据库文件")
    group.add_argument("--demo", action="store_true", help="打开演示乡镇(第一次使用时生成)")
    group.add_argument("--smoke", action="store_true", help="自检:打开演示乡镇,显示主窗口约 1 秒后退出")
    return parser.parse_args(argv)


def install_font(app: QApplication) -> str | None:
    """Register the shipped CJK font and add it to the application font's families as the fallback
    for Chinese; return its family name (None when the font file could not be loaded)."""
    font_id = QFontDatabase.addApplicationFont(str(font_path()))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    font = app.font()
    font.setFamilies([font.family(), families[0]])
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    return families[0]


def install_translations(app: QApplication) -> list[QTranslator]:
    """Load Qt's own Chinese translation (standard buttons and dialogs) and make zh_CN the default
    locale; return the installed translators (keep them alive)."""
    QLocale.setDefault(QLocale("zh_CN"))
    translators = []
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase_zh_CN",):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            translators.append(translator)
    return translators


def create_application(argv: list[str]) -> QApplication:
    """Return the QApplication with names, font and translations set up."""
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName("SchoolQ")
    app.setApplicationName("SchoolQ")
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setWindowIcon(QIcon(str(icon_path())))
    install_font(app)
    app._schoolq_translators = install_translations(app)  # noqa: SLF001 - keeps them alive
    return app


def show_main_window(window: QWidget) -> None:
    """Show the main window, maximized on the small screens of old school laptops."""
    screen = window.screen().availableGeometry() if window.screen() else None
    if screen is not None and (screen.width() < SMALL_SCREEN_WIDTH or screen.height() < SMALL_SCREEN_HEIGHT):
        window.setGeometry(screen)  # also where no window manager maximizes
        window.showMaximized()
    else:
        window.show()


def run_smoke(app: QApplication) -> int:
    """Open the demo as its administrator, show the window and every page, quit after ~1 s.

    Returns 0, or 1 after printing the traceback of any exception.
    """
    from ui import opening
    from ui.dialogs.messages import set_error_presenter
    from ui.main_window import MainWindow
    from ui.tasks import TaskManager

    failures: list[str] = []

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        failures.append("".join(traceback.format_exception(kind, exc, tb)))
        print(failures[-1], file=sys.stderr, flush=True)
        app.exit(1)

    sys.excepthook = hook
    set_error_presenter(lambda _parent, exc: hook(type(exc), exc, exc.__traceback__))
    tasks = TaskManager()
    try:
        session = opening.open_demo_as_admin(tasks)
        window = MainWindow(session, tasks)
        show_main_window(window)
        QTimer.singleShot(0, lambda: print(f"first window: {time.perf_counter() - _STARTED:.2f} s", flush=True))
        pages = len(window.pages)
        for i in range(pages):
            QTimer.singleShot(100 + i * SMOKE_QUIT_MS // (pages + 1), lambda row=i: window.nav.setCurrentRow(row))
        QTimer.singleShot(SMOKE_QUIT_MS, window.close)
        code = app.exec()
        shiboken6.delete(window)
    except Exception:  # noqa: BLE001 - the build test needs the traceback and a non-zero exit
        traceback.print_exc()
        return 1
    finally:
        tasks.shutdown()
    return 1 if failures else code


def main(argv: list[str] | None = None) -> int:
    """Run the GUI; return the process exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = create_application(sys.argv[:1])
    if args.smoke:
        return run_smoke(app)

    from ui import opening
    from ui.crash import install_excepthook
    from ui.main_window import MainWindow
    from ui.tasks import TaskManager

    install_excepthook()
    tasks = TaskManager()
    app.setQuitOnLastWindowClosed(False)  # the dialogs before the window must not end the program
    try:
        if args.db:
            session = opening.open_path(Path(args.db), tasks)
            if session is None:
                return 1
        elif args.demo:
            session = opening.open_demo(tasks)
        else:
            session = opening.startup_session(tasks)
        if session is None:
            return 0
        window = MainWindow(session, tasks)
        show_main_window(window)
        session.prepare_on_open()
        app.setQuitOnLastWindowClosed(True)
        code = app.exec()
        shiboken6.delete(window)  # while QApplication lives: PySide's exit clean-up may crash otherwise
        return code
    finally:
        tasks.shutdown()


if __name__ == "__main__":
    sys.exit(main())
