"""One serial background worker for database work (after Anki's taskman).

A task is a plain callable `fn(control)`; `control.progress(fraction, message)` and
`control.cancelled()` are the plain callables core functions accept. The result or the exception
comes back on the GUI thread through `on_done` / `on_error`. A progress dialog appears only when
a task with a label lasts more than half a second; its 取消 button sets `cancelled()`. A task run
with a `key` replaces the earlier task of that key: the earlier one is cancelled (not started, if
still queued) and its callbacks are never called, so a page that reloads on every change of a
combo box shows only the last load's result.

The worker (a QThread) hands results and progress back through a queue and a field that a
GUI-thread timer reads every 20 ms, not through cross-thread signals: the worker never touches
a Qt object, so nothing of Qt's threading can go wrong there (PySide6 6.12.0 on Python 3.11
crashed on queued signals to Python slots; pyproject keeps PySide6 below 6.12).

`SyncTaskRunner` has the same interface and runs everything at once on the calling thread
(tests use it so they stay deterministic).
"""
from __future__ import annotations

import gc
import itertools
import queue
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QThread, QTimer
from PySide6.QtWidgets import QWidget

from app.progress import Cancelled
from ui.dialogs.messages import show_error
from ui.widgets.progress_dialog import ProgressDialog

PROGRESS_DELAY_MS = 500
POLL_MS = 20

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class TaskControl:
    """What a running task may call: report progress, ask whether the user cancelled."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.last_progress: tuple[float, str] | None = None

    def progress(self, fraction: float, message: str = "") -> None:
        """Report how far the task is (0..1) and what it does now."""
        self.last_progress = (float(fraction), str(message))

    def cancelled(self) -> bool:
        """Return True once the user pressed 取消."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the task to stop at its next check."""
        self._cancel.set()


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
    dialog: ProgressDialog | None = None
    due: bool = False
    shown_progress: tuple[float, str] | None = None
    on_shown: Callable[[], None] | None = None
    key: Hashable | None = None
    superseded: bool = False


class _Worker(QThread):
    """Runs queued jobs one after another and puts [job id, result, error] in `done`.

    The worker never holds the last reference to anything a job carries: it lets go of the job
    before handing the outcome back, and the GUI thread empties the outcome list it takes. A
    Python object connected to a Qt signal (a task's 取消 button) that died on this thread would
    disconnect here while the GUI thread holds the interpreter lock inside Qt: both threads
    waited for each other (the start-up hang of session 4, caught by py-spy in window.show()).
    """

    def __init__(self) -> None:
        super().__init__()
        self.jobs: queue.Queue[_Job | None] = queue.Queue()
        self.done: queue.Queue[list[Any]] = queue.Queue()

    def run(self) -> None:  # noqa: D102 - QThread entry point
        while True:
            job = self.jobs.get()
            if job is None:
                return
            outcome: list[Any] = [job.job_id, None, None]
            fn, control, superseded = job.fn, job.control, job.superseded
            del job  # the GUI thread keeps the job until it is finished
            if not superseded:  # a superseded job was replaced by a newer one before it started
                try:
                    outcome[1] = fn(control)
                except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
                    outcome[2] = exc
            del fn, control
            # What the job left alive (kept figures, a table's rows) is moved out of the cycle
            # collector's sight: a full collection walks every object still in its generations,
            # holding Python's lock, and with a county's figures in memory that stalled the window
            # for 150-400 ms at a time. Frozen objects are still freed when their last reference
            # goes; only a reference cycle made before the freeze stays until the program closes.
            gc.freeze()
            self.done.put(outcome)
            del outcome  # emptied by the GUI thread, which owns what it held


class TaskManager(QObject):
    """The GUI's single background worker. Use `run` (callbacks) or `run_modal` (waits)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._jobs: dict[int, _Job] = {}
        self._keyed: dict[Hashable, int] = {}
        self._worker = _Worker()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._drain)
        self._worker.start()

    def run(self, fn: Callable[[TaskControl], Any], *, on_done: Done | None = None,
            on_error: Failed | None = None, label: str | None = None, parent: QWidget | None = None,
            cancellable: bool = False, key: Hashable | None = None) -> int:
        """Queue `fn(control)` on the worker and return the job id.

        `on_done(result)` or `on_error(exception)` is called later on the GUI thread. With a
        `label`, a progress dialog appears if the job is still running after 0.5 s; with
        `cancellable` it has a 取消 button that makes `control.cancelled()` true. With a `key`, the
        job replaces the unfinished job of the same key: that one's `control.cancelled()` turns
        true, it is skipped if it has not started, and its callbacks are dropped.
        """
        job_id = next(self._ids)
        job = _Job(job_id, fn, TaskControl(), on_done, on_error, label, parent, cancellable, key=key)
        if key is not None:
            self._supersede(self._keyed.get(key))
            self._keyed[key] = job_id
        self._jobs[job_id] = job
        if label is not None:
            QTimer.singleShot(PROGRESS_DELAY_MS, self, lambda: self._show_dialog(job_id))
        self._worker.jobs.put(job)
        if not self._poll.isActive():
            self._poll.start()
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

    def pending(self) -> int:
        """Return how many jobs are queued or running (their callbacks not yet called)."""
        return len(self._jobs)

    def shutdown(self) -> None:
        """Let queued jobs finish, then stop the worker thread."""
        self._worker.jobs.put(None)
        self._worker.wait()
        self._poll.stop()

    def cancel(self, key: Hashable) -> None:
        """Cancel the unfinished job of `key`, if any, as a newer job of that key would."""
        self._supersede(self._keyed.get(key))

    def _supersede(self, job_id: int | None) -> None:
        job = self._jobs.get(job_id) if job_id is not None else None
        if job is not None:
            job.superseded = True
            job.control.cancel()

    def _show_dialog(self, job_id: int) -> None:
        job = self._jobs.get(job_id)
        if job is None:
            return
        dialog = ProgressDialog(job.label or "", job.cancellable, job.parent)
        dialog.canceled.connect(job.control.cancel)
        job.dialog = dialog
        self._show_progress(job)
        dialog.show()
        if job.on_shown is not None:
            job.on_shown()

    def _show_progress(self, job: _Job) -> None:
        last = job.control.last_progress
        if job.dialog is not None and last is not None and last != job.shown_progress:
            job.shown_progress = last
            job.dialog.set_progress(*last)

    def _drain(self) -> None:
        for job in list(self._jobs.values()):
            self._show_progress(job)
        while True:
            try:
                outcome = self._worker.done.get_nowait()
            except queue.Empty:
                break
            job_id, result, error = outcome
            outcome.clear()  # the worker may still hold the list: what it held must die on this thread
            self._finished(job_id, result, error)
        if not self._jobs:
            self._poll.stop()

    def _finished(self, job_id: int, result: Any, error: BaseException | None) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return
        if job.key is not None and self._keyed.get(job.key) == job_id:
            del self._keyed[job.key]
        if job.dialog is not None:
            job.dialog.canceled.disconnect()
            job.dialog.close()
            job.dialog.deleteLater()
        if job.superseded:
            return
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
            cancellable: bool = False, key: Hashable | None = None) -> int:
        """Run `fn(control)` now and call `on_done` or `on_error`; return 0 (a `key` changes
        nothing: each job is done before the next can start)."""
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

    def cancel(self, key: Hashable) -> None:
        """Nothing is ever left unfinished, so there is nothing to cancel."""

    def pending(self) -> int:
        """Return 0: every job is done before `run` returns."""
        return 0

    def shutdown(self) -> None:
        """Nothing runs in the background, so there is nothing to stop."""


def run_shown(tasks: TaskManager | SyncTaskRunner, parent: QWidget, fn: Callable[[TaskControl], Any], *,
              label: str, cancellable: bool = False) -> Any:
    """Run `fn(control)` with `tasks.run_modal` (a progress dialog over `parent` when it lasts);
    return its result, or None when the user cancelled or it failed, the error then shown as a
    Chinese message. `fn` returns something other than None."""
    try:
        return tasks.run_modal(fn, label=label, parent=parent, cancellable=cancellable)
    except Cancelled:
        return None
    except Exception as exc:  # noqa: BLE001 - shown as a Chinese message
        show_error(parent, exc)
        return None

