"""Stopping a running CP-SAT search from another thread (the GUI's 停止)."""
from __future__ import annotations

import threading

from app.timetable.solver.cpsat import cp_model


class Watch:
    """Stops a running CP-SAT search when an Event is set (the GUI's 停止)."""

    def __init__(self, stop: threading.Event, solver: cp_model.CpSolver):
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(stop, solver), daemon=True)
        self.thread.start()

    def _run(self, stop: threading.Event, solver: cp_model.CpSolver) -> None:
        while not self.finished.is_set():
            if stop.wait(0.1):
                solver.stop_search()
                return

    def done(self) -> None:
        """Let the watching thread end."""
        self.finished.set()
        self.thread.join()
