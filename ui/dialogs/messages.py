"""Chinese message boxes for the errors the core raises; every box of the program goes through here."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from app.db.media import explain
from app.errors import NotADatabase, NotFound, PermissionDenied, SchemaTooNew, SchoolQError, ValidationError
from ui.crash import log_exception


def _tr(text: str) -> str:
    return QCoreApplication.translate("messages", text)


def inform(parent: QWidget | None, title: str, text: str) -> None:
    """Show an information box."""
    QMessageBox.information(parent, title, text)


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """Show a warning box."""
    QMessageBox.warning(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question (default 否); return True for 是."""
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def error_text(exc: BaseException) -> tuple[str, str]:
    """Return (title, text) in Chinese for an error the user should see."""
    if isinstance(exc, ValidationError):
        lines = [f"· {problem}" for problem in exc.problems] or [str(exc)]
        return _tr("输入有误"), _tr("没有保存任何内容,请改正以下问题:") + "\n" + "\n".join(lines)
    if isinstance(exc, PermissionDenied):
        return _tr("没有权限"), str(exc)
    if isinstance(exc, SchemaTooNew):
        return _tr("程序版本过旧"), str(exc)
    if isinstance(exc, NotADatabase):
        return _tr("无法打开"), str(exc)
    if isinstance(exc, NotFound):
        return _tr("找不到数据"), str(exc)
    if isinstance(exc, SchoolQError):
        return _tr("操作未完成"), str(exc)
    if isinstance(exc, FileNotFoundError):
        return _tr("找不到文件"), _tr("找不到文件:") + str(exc.filename or exc)
    if isinstance(exc, PermissionError):
        return _tr("无法访问文件"), _tr("没有权限读写文件:") + str(exc.filename or exc) + _tr("。请检查文件是否被其他程序(如 WPS、Excel)打开。")
    reason = explain(exc)
    if reason is not None:  # a full disk, a write-protected stick, a busy file: said as such
        return _tr("操作未完成"), str(reason)
    where = log_exception(exc)
    if where is None:
        return _tr("程序内部错误"), _tr("操作未完成(错误日志也无法写入)。")
    return _tr("程序内部错误"), _tr("操作未完成。详细信息已记录到:\n") + str(where) + _tr("\n请把该文件交给技术支持。")


ErrorPresenter = Callable[[QWidget | None, BaseException], None]
_presenter: list[ErrorPresenter] = []


def set_error_presenter(presenter: ErrorPresenter | None) -> None:
    """Route every `show_error` to `presenter` instead of a message box (the --smoke start fails
    on any error this way); None restores the message boxes."""
    _presenter.clear()
    if presenter is not None:
        _presenter.append(presenter)



class Attempt:
    """What an `errors_shown` block came to: `failed` once its error was shown."""

    failed = False


@contextmanager
def errors_shown(parent: QWidget | None) -> Iterator[Attempt]:
    """Run the block; an error it raises — a refusal, a missing record, a failure — is shown as a
    Chinese message box (show_error) instead of going further, and the Attempt says it failed."""
    attempt = Attempt()
    try:
        yield attempt
    except Exception as exc:  # noqa: BLE001 - every refusal and failure reaches the user in Chinese
        attempt.failed = True
        show_error(parent, exc)

def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show `exc` as a Chinese message box (unexpected errors are logged first, never a traceback)."""
    if _presenter:
        _presenter[0](parent, exc)
        return
    title, text = error_text(exc)
    if isinstance(exc, (ValidationError, PermissionDenied)):
        QMessageBox.warning(parent, title, text)
    else:
        QMessageBox.critical(parent, title, text)
