"""How a long report job is steered: the plain `progress(fraction, message)` and `cancelled()`
callables the GUI (or a test) passes in, and the error raised when the user cancels. Kept apart
from the drawing modules so that the GUI can name them without loading reportlab at start-up."""
from __future__ import annotations

from collections.abc import Callable

from app.errors import SchoolQError

Progress = Callable[[float, str], None]
Cancelled = Callable[[], bool]


class ReportCancelled(SchoolQError):
    """The user cancelled the report; no file was written."""

    def __init__(self) -> None:
        super().__init__("已取消生成报表,没有写入文件。")


def check(cancelled: Cancelled | None) -> None:
    """Raise ReportCancelled when `cancelled()` says so."""
    if cancelled is not None and cancelled():
        raise ReportCancelled()
