"""GUI responsiveness on the county demo (~200 schools, ~60,000 pupils), as the township
administrator: how long 质量分析 takes to show its first table, how long a filter change takes to
redraw, how long the other tabs take to fill, 考试概览 and 考试成绩 likewise, and the longest time the
GUI thread was blocked meanwhile (a 10 ms timer on the GUI thread notes the longest gap between its
ticks: a blocked thread cannot tick).

Run: .venv/bin/python -m pytest -q -s tests/bench/bench_gui.py

Targets from issue 15: 质量分析 opens in < 3 s, a filter change redraws in < 200 ms, no page blocks
the GUI thread for more than 100 ms. Figures are printed, not asserted. Peer measured in the same
run: reading every figure of the page at once (load_quality with all its parts), which is what the
page waited for before it showed anything; the ratio says what reading the group figures first and
each tab's part when it is opened saves before the first table appears.
"""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import pytest  # noqa: E402
import shiboken6  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.db.database import open_database  # noqa: E402
from app.queries.quality import load_quality  # noqa: E402
from app.services.exams import list_exams  # noqa: E402
from app.services.users import login  # noqa: E402

TIMEOUT_S = 600


class GuiWatch:
    """Notes the longest gap between ticks of a 10 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.longest = 0.0
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def reset(self) -> None:
        """Forget the gaps so far."""
        QApplication.processEvents()
        self.longest, self._last = 0.0, time.perf_counter()


def wait_for(done: Callable[[], bool]) -> float:
    """Let the event loop run until `done()`; return the seconds it took."""
    start = time.perf_counter()
    while not done():
        QApplication.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - start > TIMEOUT_S:
            raise TimeoutError
    return time.perf_counter() - start


def timed(action: Callable[[], object]) -> float:
    """Return the seconds `action()` takes on the GUI thread (with the events it posts)."""
    start = time.perf_counter()
    action()
    QApplication.processEvents()
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def county(county_demo, tmp_path_factory):
    path = tmp_path_factory.mktemp("bench-gui") / "county.sqlite"
    shutil.copyfile(county_demo, path)
    return path


def test_pages_stay_responsive_on_the_county_demo(county):
    from ui.main import create_application
    from ui.main_window import MainWindow
    from ui.pages.exam_overview_page import ExamOverviewPage
    from ui.pages.marks_page import MarksPage
    from ui.pages.quality_page import QualityPage
    from ui.session import Session
    from ui.tasks import TaskManager

    app = QApplication.instance() or create_application([])
    peer_db = open_database(county)
    exam_id = next(e["id"] for e in list_exams(peer_db) if e["n_marks"])
    start = time.perf_counter()
    load_quality(peer_db, exam_id, login(peer_db, "admin", "demo"))
    peer = time.perf_counter() - start
    peer_db.close()
    db = open_database(county)
    tasks = TaskManager()
    session = Session(county, db, login(db, "admin", "demo"), tasks)
    window = MainWindow(session, tasks)
    window.resize(1366, 768)
    window.show()
    watch = GuiWatch()
    lines = []

    def report(what: str, seconds: float, blocked: float) -> None:
        lines.append(f"  {what:<34} {seconds * 1000:>9.0f} ms   GUI 线程最长阻塞 {blocked * 1000:>6.0f} ms")
        print(lines[-1], flush=True)

    # 质量分析: first table
    watch.reset()
    start = time.perf_counter()
    quality = window.show_page(QualityPage)
    wait_for(lambda: quality.data is not None and quality.stats_model.rowCount() > 0)
    opened = time.perf_counter() - start
    report("质量分析 打开(第一张表)", opened, watch.longest)
    assert quality.data.exam["id"] == exam_id

    # Filter changes on the 统计表 tab (nothing is read again).
    watch.reset()
    changes = []
    for combo, index in ((quality.level_combo, 0), (quality.school_combo, 1), (quality.grade_combo, 1),
                         (quality.subject_combo, 1), (quality.grade_combo, 0), (quality.level_combo, 1)):
        changes.append(timed(lambda c=combo, i=index: c.setCurrentIndex(i)))
    report("筛选变化(统计表,最慢一次)", max(changes), watch.longest)

    # The other tabs fill when opened.
    for title in ("学生名单", "增值评价", "平行编班", "图表"):
        index = [quality.tabs.tabText(i) for i in range(quality.tabs.count())].index(title)
        watch.reset()
        start = time.perf_counter()
        quality.tabs.setCurrentIndex(index)
        wait_for(lambda i=index: i in quality._fresh)
        report(f"{title} 首次打开", time.perf_counter() - start, watch.longest)
        watch.reset()
        changes = [timed(lambda c=quality.school_combo, i=k: c.setCurrentIndex(i)) for k in (2, 0)]
        report(f"筛选变化({title})", max(changes), watch.longest)

    # 考试概览 and 考试成绩
    watch.reset()
    start = time.perf_counter()
    overview = window.show_page(ExamOverviewPage)
    overview.exam_combo.setCurrentIndex(overview.exam_combo.findData(exam_id))
    wait_for(lambda: overview.data is not None and overview.data["exam"]["id"] == exam_id)
    report("考试概览 打开(第一个乡镇)", time.perf_counter() - start, watch.longest)
    watch.reset()
    start = time.perf_counter()
    marks = window.show_page(MarksPage)
    wait_for(lambda: marks._grid is not None or marks.class_combo.count() == 0)
    report("考试成绩 打开(一个班)", time.perf_counter() - start, watch.longest)
    print("\n县级演示库(约 6 万学生)上的界面响应:")
    print("\n".join(lines))
    print(f"  对照:一次读完全部数字(旧做法)      {peer * 1000:>9.0f} ms;打开快了 {peer / opened:.1f} 倍")
    session.close()
    tasks.shutdown()
    window.close()
    shiboken6.delete(window)
    assert app is not None
