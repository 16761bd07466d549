"""Ways to get an open, logged-in database: the last one, the demo, a new school, a chosen file."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from app.db.database import open_database
from app.errors import SchoolQError
from app.paths import default_database_path, user_data_dir
from app.progress import Cancelled
from app.services.users import login
from ui.dialogs.login_dialog import LoginDialog
from ui.dialogs.messages import show_error
from ui.dialogs.new_school_dialog import NewSchoolDialog
from ui.dialogs.welcome_dialog import DEMO, NEW, OPEN, WelcomeDialog
from ui.session import Session, is_demo_path
from ui.tasks import SyncTaskRunner, TaskControl, TaskManager

Tasks = TaskManager | SyncTaskRunner
LAST_DATABASE = "last_database"
LAST_USERS = "last_user"
DEMO_USER, DEMO_PASSPHRASE = "admin", "demo"


def _tr(text: str) -> str:
    return QCoreApplication.translate("opening", text)


def settings() -> QSettings:
    """Return the GUI settings, kept as an ini file beside the user's databases."""
    return QSettings(str(user_data_dir() / "schoolq-gui.ini"), QSettings.Format.IniFormat)


def last_database() -> Path | None:
    """Return the database opened last time if its file still exists, else None."""
    value = settings().value(LAST_DATABASE)
    if value and Path(str(value)).is_file():
        return Path(str(value))
    return None


def remember(path: Path) -> None:
    """Remember `path` as the database to open next time."""
    store = settings()
    store.setValue(LAST_DATABASE, str(Path(path).resolve()))
    store.sync()


def last_user(path: Path) -> str:
    """Return the user name that last logged in to the database at `path` ('' when none yet)."""
    return str(settings().value(f"{LAST_USERS}/{_user_key(path)}", "") or "")


def remember_user(path: Path, username: str) -> None:
    """Remember `username` as the one to offer next time the database at `path` is opened."""
    store = settings()
    store.setValue(f"{LAST_USERS}/{_user_key(path)}", username)
    store.sync()


def _user_key(path: Path) -> str:
    """Return the settings key of a database: its resolved path, without the characters an ini key
    cannot hold (a database's users are remembered per file)."""
    return "".join(ch if ch.isalnum() else "_" for ch in str(Path(path).resolve()))


def open_path(path: Path, tasks: Tasks, parent: QWidget | None = None) -> Session | None:
    """Open the database at `path` and log in; return the session, or None (cancelled or refused,
    with the reason shown)."""
    try:
        db = open_database(path)
    except (SchoolQError, OSError) as exc:
        show_error(parent, exc)
        return None
    dialog = LoginDialog(db, path, demo=is_demo_path(path), username=last_user(path), parent=parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.actor is None:
        db.close()
        return None
    remember(path)
    remember_user(path, dialog.actor.username)
    return Session(path, db, dialog.actor, tasks, passphrase=dialog.passphrase.text())


def ensure_demo(tasks: Tasks, parent: QWidget | None = None) -> Path:
    """Return the demo township's path, generating it first (in the background) when missing.

    Raises Cancelled when the user cancels, or whatever the generator raised; a half-written
    file is never left behind.
    """
    path = default_database_path()
    if path.is_file():
        return path
    from app.demo import generate

    partial = path.with_name(path.stem + ".partial" + path.suffix)

    def remove_partial() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)

    def build(control: TaskControl) -> None:
        def progress(fraction: float, message: str) -> None:
            if control.cancelled():
                raise Cancelled()
            control.progress(fraction, message)

        remove_partial()
        try:
            generate(partial, seed=1, progress=progress)
        except BaseException:
            remove_partial()
            raise
        os.replace(partial, path)

    tasks.run_modal(build, label=_tr("正在生成演示乡镇数据(只在第一次需要)…"), parent=parent, cancellable=True)
    return path


def open_demo(tasks: Tasks, parent: QWidget | None = None) -> Session | None:
    """Open the demo township (generating it on first use) and log in; None when cancelled."""
    try:
        path = ensure_demo(tasks, parent)
    except Cancelled:
        return None
    except Exception as exc:  # noqa: BLE001 - shown as a Chinese message, logged when unexpected
        show_error(parent, exc)
        return None
    return open_path(path, tasks, parent)


def open_demo_as_admin(tasks: Tasks) -> Session:
    """Open the demo township as its administrator without asking (the --smoke start).

    Raises whatever opening or generating raised.
    """
    path = ensure_demo(tasks)
    db = open_database(path)
    return Session(path, db, login(db, DEMO_USER, DEMO_PASSPHRASE), tasks, passphrase=DEMO_PASSPHRASE)


def create_school(tasks: Tasks, parent: QWidget | None = None) -> Session | None:
    """Ask for a new school database, create it and log its administrator in; None when cancelled."""
    dialog = NewSchoolDialog(parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.db is None or dialog.path is None:
        return None
    remember(dialog.path)
    return Session(dialog.path, dialog.db, login(dialog.db, "admin", dialog.passphrase), tasks,
                   passphrase=dialog.passphrase)


def choose_and_open(tasks: Tasks, parent: QWidget | None = None) -> Session | None:
    """Let the user pick a database file, open it and log in; None when cancelled."""
    name, _ = QFileDialog.getOpenFileName(parent, _tr("打开数据库"), str(user_data_dir()),
                                          _tr("数据库文件 (*.sqlite *.db);;所有文件 (*)"))
    if not name:
        return None
    return open_path(Path(name), tasks, parent)


def startup_session(tasks: Tasks) -> Session | None:
    """Return the session to start with: the last database, else what the welcome dialog chose.

    None means the user quit.
    """
    last = last_database()
    if last is not None:
        session = open_path(last, tasks)
        if session is not None:
            return session
    while True:
        welcome = WelcomeDialog()
        if welcome.exec() != QDialog.DialogCode.Accepted:
            return None
        session = {DEMO: open_demo, NEW: create_school, OPEN: choose_and_open}[welcome.choice](tasks)
        if session is not None:
            return session
