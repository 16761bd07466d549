"""One serial background worker for database work (after Anki's taskman).

A task is a plain callable `fn(control)`; `control.progress(fraction, message)` and
`control.cancelled()` are the plain callables core functions accept. The result or the exception
comes back on the GUI thread through `on_done` / `on_error`. A progress dialog appears only when
a task with a label lasts more than half a second, and its 取消 button sets `cancelled()`.

`SyncTaskRunner` has the same interface and runs everything at once on the calling thread
(tests use it so they stay deterministic).
"""
from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

PROGRESS_DELAY_MS = 500

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class TaskControl:
    """What a running task may call: report progress, ask whether the user cancelled."""

    def __init__(self, report: Callable[[float, str], None] | None = None):
        self._cancel = threading.Event()
        self._report = report

    def progress(self, fraction: float, message: str = "") -> None:
        """Report how far the task is (0..1) and what it does now."""
        if self._report is not None:
            self._report(float(fraction), str(message))

    def cancelled(self) -> bool:
        """Return True once the user pressed 取消."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the task to stop at its next check."""
        self._cancel.set()


class TaskCancelled(Exception):
    """Raised by a task that noticed `control.cancelled()` and stopped."""


@dataclass
class _Job:
    job_id: int
    fn: Callable[[TaskControl], Any]
    control: TaskControl
    on_done: Done | None
    on_error: Failed | None
    label: str | None
    parent: QWidget | None
    cancellable: bool = False
    dialog: QProgressDialog | None = None
    timer: QTimer | None = None
    finished: bool = False
    last_progress: tuple[float, str] | None = None
    on_shown: Callable[[], None] | None = None


class _Worker(QThread):
    """Runs queued jobs one after another; results travel back by queued signals."""

    finished_job = Signal(int, object, object)
    progressed = Signal(int, float, str)

    def __init__(self) -> None:
        super().__init__()
        self.jobs: queue.Queue[_Job | None] = queue.Queue()

    def run(self) -> None:  # noqa: D102 - QThread entry point
        while True:
            job = self.jobs.get()
            if job is None:
                return
            try:
                result, error = job.fn(job.control), None
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
                result, error = None, exc
            self.finished_job.emit(job.job_id, result, error)


class TaskManager(QObject):
    """The GUI's single background worker. Use `run` (callbacks) or `run_modal` (waits)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._jobs: dict[int, _Job] = {}
        self._worker = _Worker()
        self._worker.finished_job.connect(self._finished, Qt.ConnectionType.QueuedConnection)
        self._worker.progressed.connect(self._progressed, Qt.ConnectionType.QueuedConnection)
        self._worker.start()

    def run(self, fn: Callable[[TaskControl], Any], *, on_done: Done | None = None,
            on_error: Failed | None = None, label: str | None = None, parent: QWidget | None = None,
            cancellable: bool = False) -> int:
        """Queue `fn(control)` on the worker and return the job id.

        `on_done(result)` or `on_error(exception)` is called later on the GUI thread. With a
        `label`, a progress dialog appears if the job is still running after 0.5 s; with
        `cancellable` it has a 取消 button that makes `control.cancelled()` true.
        """
        job_id = next(self._ids)
        control = TaskControl(lambda fraction, message: self._worker.progressed.emit(job_id, fraction, message))
        job = _Job(job_id, fn, control, on_done, on_error, label, parent, cancellable)
        self._jobs[job_id] = job
        if label is not None:
            job.timer = QTimer(self)
            job.timer.setSingleShot(True)
            job.timer.timeout.connect(lambda: self._show_dialog(job_id))
            job.timer.start(PROGRESS_DELAY_MS)
        self._worker.jobs.put(job)
        return job_id

    def run_modal(self, fn: Callable[[TaskControl], Any], *, label: str | None = None,
                  parent: QWidget | None = None, cancellable: bool = False) -> Any:
        """Run `fn(control)` on the worker and wait for it while the window keeps repainting.

        User input is held back meanwhile (the progress dialog, once shown, takes it). Returns
        the result or raises the task's exception.
        """
        outcome: dict[str, Any] = {}
        loop = QEventLoop()

        def done(result: Any) -> None:
            outcome["result"] = result
            loop.quit()

        def failed(error: BaseException) -> None:
            outcome["error"] = error
            loop.quit()

        job_id = self.run(fn, on_done=done, on_error=failed, label=label, parent=parent, cancellable=cancellable)
        job = self._jobs[job_id]
        job.on_shown = loop.quit
        while "result" not in outcome and "error" not in outcome:
            if job.dialog is not None:
                loop.exec()
            else:
                loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    def shutdown(self) -> None:
        """Let queued jobs finish, then stop the worker thread."""
        self._worker.jobs.put(None)
        self._worker.wait()

    def _show_dialog(self, job_id: int) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.finished:
            return
        dialog = QProgressDialog(job.label or "", self.tr("取消"), 0, 1000, job.parent)
        dialog.setWindowTitle(self.tr("请稍候"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal if job.parent else Qt.WindowModality.ApplicationModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(380)
        if job.cancellable:
            dialog.canceled.connect(job.control.cancel)
            dialog.canceled.connect(lambda: dialog.setLabelText(self.tr("正在取消…")))
        else:
            dialog.setCancelButton(None)
        last = job.last_progress
        if last is not None:
            dialog.setValue(int(last[0] * 1000))
            if last[1]:
                dialog.setLabelText(f"{job.label}\n{last[1]}")
        job.dialog = dialog
        dialog.show()
        if job.on_shown is not None:
            job.on_shown()

    def _progressed(self, job_id: int, fraction: float, message: str) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        job.last_progress = (fraction, message)
        if job.dialog is not None and not job.control.cancelled():
            job.dialog.setValue(max(0, min(1000, int(fraction * 1000))))
            if message:
                job.dialog.setLabelText(f"{job.label}\n{message}")

    def _finished(self, job_id: int, result: Any, error: BaseException | None) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return
        job.finished = True
        if job.timer is not None:
            job.timer.stop()
        if job.dialog is not None:
            job.dialog.close()
            job.dialog.deleteLater()
        if error is not None:
            if job.on_error is not None:
                job.on_error(error)
            else:
                raise error
        elif job.on_done is not None:
            job.on_done(result)


class SyncTaskRunner(QObject):
    """Runs tasks at once on the calling thread, with the TaskManager interface (for tests)."""

    def run(self, fn: Callable[[TaskControl], Any], *, on_done: Done | None = None,
            on_error: Failed | None = None, label: str | None = None, parent: QWidget | None = None,
            cancellable: bool = False) -> int:
        """Run `fn(control)` now and call `on_done` or `on_error`; return 0."""
        try:
            result = fn(TaskControl())
        except Exception as exc:  # noqa: BLE001 - handed to on_error like the real worker does
            if on_error is None:
                raise
            on_error(exc)
            return 0
        if on_done is not None:
            on_done(result)
        return 0

    def run_modal(self, fn: Callable[[TaskControl], Any], *, label: str | None = None,
                  parent: QWidget | None = None, cancellable: bool = False) -> Any:
        """Run `fn(control)` now and return its result (or raise its exception)."""
        return fn(TaskControl())

    def shutdown(self) -> None:
        """Nothing runs in the background, so there is nothing to stop."""
