"""The background worker: results and errors come back on the GUI thread; a long task shows a
progress dialog whose 取消 reaches the task."""
from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtWidgets import QApplication
from ui.widgets.progress_dialog import ProgressDialog

from app.progress import Cancelled
from ui.tasks import TaskManager


@pytest.fixture
def manager(qapp):
    tasks = TaskManager()
    yield tasks
    tasks.shutdown()


def test_result_arrives_on_the_gui_thread(manager, qtbot):
    seen = {}

    def work(_control):
        seen["worker"] = threading.current_thread() is not threading.main_thread()
        return 6 * 7

    def done(result):
        seen["result"] = result
        seen["gui"] = threading.current_thread() is threading.main_thread()

    manager.run(work, on_done=done)
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen == {"worker": True, "result": 42, "gui": True}


def test_an_exception_is_handed_to_on_error(manager, qtbot):
    errors = []
    manager.run(lambda _c: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ZeroDivisionError)


def test_jobs_run_one_after_another_in_order(manager, qtbot):
    order = []
    for i in range(5):
        manager.run(lambda _c, i=i: (time.sleep(0.01), order.append(i)))
    done = []
    manager.run(lambda _c: None, on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert order == [0, 1, 2, 3, 4]


def test_run_modal_returns_the_result_or_raises(manager):
    assert manager.run_modal(lambda _c: "好") == "好"
    with pytest.raises(KeyError):
        manager.run_modal(lambda _c: {}["missing"])


def test_a_quick_job_shows_no_progress_dialog(manager):
    manager.run_modal(lambda _c: time.sleep(0.05), label="正在计算…")
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, ProgressDialog) and w.isVisible()]


def test_a_long_job_shows_progress_and_cancel_stops_it(manager, qtbot):
    started = time.monotonic()
    seen = {}

    def long_job(control):
        while not control.cancelled():
            control.progress(0.25, "第 1 步")
            if time.monotonic() - started > 10:
                return "never cancelled"
            time.sleep(0.02)
        raise Cancelled()

    def find_dialog():
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ProgressDialog) and w.isVisible()]
        assert dialogs
        seen["label"] = dialogs[0].labelText()
        seen["after"] = time.monotonic() - started
        dialogs[0].cancel()

    errors = []
    manager.run(long_job, label="正在生成…", cancellable=True, on_error=errors.append)
    qtbot.waitUntil(find_dialog, timeout=5000)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], Cancelled)
    assert seen["after"] >= 0.45  # not before half a second
    assert seen["label"].startswith("正在生成…")
    assert "第 1 步" in seen["label"]


def test_a_job_with_the_same_key_replaces_the_earlier_one(manager, qtbot):
    # A page reloads three times in a row (the user turns a combo box): the first load is running,
    # the second is still queued. Only the last load's result reaches the page; the running one is
    # told to stop and the queued one never runs.
    ran, shown, failed, first = [], [], [], []
    release = threading.Event()

    def load(name):
        def work(control):
            ran.append(name)
            if name == "第一次":
                release.wait(5)
                first.append("told to stop" if control.cancelled() else "not told")
            return name
        return work

    manager.run(load("第一次"), key="load", on_done=shown.append, on_error=failed.append)
    qtbot.waitUntil(lambda: ran == ["第一次"], timeout=5000)
    manager.run(load("第二次"), key="load", on_done=shown.append, on_error=failed.append)
    manager.run(load("第三次"), key="load", on_done=shown.append, on_error=failed.append)
    manager.run(load("别的页面"), key="other", on_done=shown.append)
    release.set()
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert shown == ["第三次", "别的页面"] and failed == []
    assert ran == ["第一次", "第三次", "别的页面"] and first == ["told to stop"]


def test_a_session_write_runs_on_the_worker_and_is_audited_as_the_user(small_school, qtbot):
    from app.db.database import open_database
    from app.services.teachers import update_teacher
    from app.services.users import login
    from conftest import PASSPHRASE, audit_rows
    from ui.session import Session

    tasks = TaskManager()
    db = open_database(small_school)
    session = Session(small_school, db, login(db, "admin", PASSPHRASE), tasks)
    teacher_id, old_name = db.execute("SELECT id, name FROM teacher ORDER BY staff_no LIMIT 1").fetchone()
    threads = []

    def rename(worker_db, actor, tid, changes):
        threads.append(threading.current_thread() is threading.main_thread())
        return update_teacher(worker_db, actor, tid, changes)

    try:
        session.write(rename, teacher_id, {"name": "王改名"})
        # The GUI's own connection sees what the worker committed.
        assert db.execute("SELECT name FROM teacher WHERE id = ?", [teacher_id]).fetchone()[0] == "王改名"
    finally:
        session.close()
        tasks.shutdown()
    assert threads == [False]
    entry = [r for r in audit_rows(small_school, "teacher") if r["row_id"] == teacher_id][-1]
    assert entry["username"] == "admin" and old_name in entry["old_value"] and "王改名" in entry["new_value"]


def test_what_a_task_carries_is_let_go_on_the_gui_thread(manager, qtbot):
    # A task's callable, its result, its error and its control (which a progress dialog's 取消 is
    # connected to) must die on the GUI thread: a Qt connection torn down on the worker while the
    # GUI thread sat inside Qt deadlocked the start-up (py-spy: window.show() against
    # QObject::disconnect on the worker). Keyed tasks are superseded, errors travel too.
    died: list[str] = []

    class Carried:
        def __init__(self, name: str) -> None:
            self.name = name

        def __del__(self) -> None:
            died.append(self.name if threading.current_thread() is threading.main_thread() else "worker")

    def task(number: int):
        held = Carried(f"held{number}")

        def work(_control):
            assert held is not None
            if number % 3 == 0:
                raise ValueError(Carried(f"error{number}"))
            return Carried(f"result{number}")
        return work

    finished = []
    for number in range(12):
        manager.run(task(number), key=number % 2, on_done=lambda _r: finished.append(1),
                    on_error=lambda _e: finished.append(1))
    qtbot.waitUntil(lambda: not manager._jobs, timeout=5000)  # noqa: SLF001 - every job finished
    qtbot.wait(100)
    assert "worker" not in died
    assert {name for name in died if name.startswith("held")} == {f"held{n}" for n in range(12)}
