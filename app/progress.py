"""How a long job reports how far it is and learns that the user cancelled it (after Orange3).

Every long core function (reading a workbook, writing a report, loading 质量分析, exporting a
package, building the demo) takes two plain callables: `progress(fraction, message)` with a
fraction from 0 to 1, and `cancelled()`, true once the user pressed 取消. The GUI passes its
TaskControl's methods, the CLI prints, tests pass lists' append. A function that hands part of
its work to another passes `scaled(progress, start, end)`, and stops with `check(cancelled)`,
which raises the one `Cancelled` error. Kept free of reportlab, openpyxl and Qt so that every
layer may import it at start-up.
"""
from __future__ import annotations

from collections.abc import Callable

from app.errors import SchoolQError

Progress = Callable[[float, str], None]
CancelCheck = Callable[[], bool]

_CANCELLED = "已取消,未写入任何数据。"


class Cancelled(SchoolQError):
    """The user cancelled the job; nothing was written. str() says so in Chinese."""

    def __init__(self, message: str = _CANCELLED) -> None:
        super().__init__(message)


def no_progress(fraction: float, message: str = "") -> None:
    """Report nothing: the progress callback of a job nobody watches."""


def scaled(progress: Progress | None, start: float, end: float) -> Progress:
    """Return a callback that maps a part's 0..1 onto `start`..`end` of `progress`.

    With `progress` None it returns no_progress, so callers need not test for None.
    """
    if progress is None:
        return no_progress
    span = end - start
    report = progress

    def part(fraction: float, message: str = "") -> None:
        report(start + span * fraction, message)

    return part


def check(cancelled: CancelCheck | None, message: str = _CANCELLED) -> None:
    """Raise Cancelled (with `message`) when `cancelled()` is true; do nothing without a callable."""
    if cancelled is not None and cancelled():
        raise Cancelled(message)
