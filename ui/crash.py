"""Unexpected errors: the traceback goes to a log file in the data folder, the user gets a sentence."""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
import traceback
from pathlib import Path
from types import TracebackType

from app.paths import user_data_dir

LOG_NAME = "schoolq-gui-error.log"


def log_path() -> Path:
    """Return the GUI's error log file (in the user data folder)."""
    return user_data_dir() / LOG_NAME


def log_exception(exc: BaseException) -> Path | None:
    """Append `exc` with its traceback to the error log; return the log's path. When the data
    folder cannot be written (a read-only or full disk) the log goes to the system's temporary
    folder; None when no log could be written anywhere (never an error of its own)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for where in (log_path, lambda: Path(tempfile.gettempdir()) / LOG_NAME):
        try:
            path = where()
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')}\n{text}\n")
            return path
        except OSError:
            continue
    return None


def install_excepthook() -> None:
    """Make uncaught exceptions show a short Chinese message (and be logged) instead of a traceback."""
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        exc.__traceback__ = tb
        from ui.dialogs.messages import show_error

        try:
            show_error(None, exc)
        except Exception:  # noqa: BLE001 - no window possible: the log still has it
            log_exception(exc)

    sys.excepthook = hook
