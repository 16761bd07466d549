"""自动排课 in the 课表 page: the dialog that runs the solver off the GUI thread, shows the best
score so far and stops on 停止 keeping the best timetable, then shows the timetable found with
its score (or why none exists) and saves it; the same dialog shows a timetable FET made."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit,
                               QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.services.schools import current_term
from app.timetable.generate import Generated, export_fet_file, generate, import_fet_file, save_generated
from app.timetable.grids import class_grid
from app.timetable.model import term_by_code
from app.timetable.solver.metrics import COMPONENT_NAMES
from app.timetable.solver.problem import township_schools
from ui.dialogs.messages import errors_shown, inform, show_error
from ui.pages.timetable_page import GridModel
from ui.session import Session
from ui.widgets.scaffold import data_table, push_button


class GenerateDialog(QDialog):
    """Run 自动排课 for the school shown or its whole township, watch it, stop it, look at the
    result and save it. With `result` (a timetable FET made) only the result part is shown."""

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None,
                 result: Generated | None = None, title: str | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id = school_id
        self.result: Generated | None = None
        self.saved = False
        self.stop_event = threading.Event()
        self.shared: dict[str, tuple[float, int] | None] = {"best": None}
        self.started = 0.0
        self.setWindowTitle(title or self.tr("自动排课"))
        self.resize(980, 680)
        layout = QVBoxLayout(self)
        self.settings = QWidget()
        bar = QHBoxLayout(self.settings)
        bar.setContentsMargins(0, 0, 0, 0)
        self.scope = QComboBox()
        self.scope.addItem(self.tr("只排本校"), "school")
        if session.is_township:
            self.scope.addItem(self.tr("全乡镇各校区一起排(走教教师跨校区)"), "township")
            self.scope.setCurrentIndex(1)
        bar.addWidget(self.scope)
        bar.addWidget(QLabel(self.tr("最长时间")))
        self.limit = QSpinBox()
        self.limit.setRange(5, 3600)
        self.limit.setValue(60)
        self.limit.setSuffix(self.tr(" 秒"))
        bar.addWidget(self.limit)
        bar.addWidget(QLabel(self.tr("随机种子")))
        self.seed = QSpinBox()
        self.seed.setRange(0, 999999)
        bar.addWidget(self.seed)
        self.start_button = push_button(self.tr("开始排课"), self.start)
        self.stop_button = QPushButton(self.tr("停止"))
        self.stop_button.setToolTip(self.tr("停止排课,保留目前找到的最好课表"))
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        top = QHBoxLayout()  # 停止 stays outside the settings, which are disabled while solving
        top.addWidget(self.settings)
        top.addWidget(self.start_button)
        top.addWidget(self.stop_button)
        top.addStretch(1)
        layout.addLayout(top)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        layout.addWidget(self.progress)
        self.state = QLabel(self.tr("锁定的课保持不动;排出的课表经课表检查没有错误才能保存。"))
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.score = QLabel()
        self.score.setWordWrap(True)
        self.score.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.score)
        self.reasons = QPlainTextEdit()
        self.reasons.setReadOnly(True)
        self.reasons.hide()
        layout.addWidget(self.reasons, 1)
        self.preview = QWidget()
        column = QVBoxLayout(self.preview)
        column.setContentsMargins(0, 0, 0, 0)
        self.class_combo = QComboBox()
        self.class_combo.setMinimumContentsLength(16)
        self.class_combo.currentIndexChanged.connect(self._show_class)
        column.addWidget(self.class_combo)
        self.grid_model = GridModel(self)
        self.grid_view = data_table(self.grid_model, select="cells", resize=QHeaderView.ResizeMode.Stretch,
                                    row_numbers=True)
        self.grid_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        column.addWidget(self.grid_view, 1)
        self.preview.hide()
        layout.addWidget(self.preview, 3)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.save_button = QPushButton(self.tr("保存课表"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        close = push_button(self.tr("关闭"), self.reject)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.timer = QTimer(self)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self._tick)
        if result is not None:
            for widget in (self.settings, self.start_button, self.stop_button, self.progress):
                widget.hide()
            self.show_result(result)

    def school_ids(self) -> list[str]:
        """Return the schools the run covers."""
        if self.scope.currentData() == "township":
            return township_schools(self.session.db, self.school_id)
        return [self.school_id]

    def start(self) -> None:
        """Start solving in the background."""
        session, school_ids = self.session, self.school_ids()
        limit, seed = float(self.limit.value()), self.seed.value()
        self.stop_event = stop = threading.Event()
        self.shared = shared = {"best": None}
        self.started = time.monotonic()
        self.settings.setEnabled(False)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.save_button.setEnabled(False)
        self.reasons.hide()
        self.preview.hide()
        self.score.setText("")
        self.state.setText(self.tr("正在寻找满足全部硬性要求的课表…"))
        self.timer.start()

        def report(seconds: float, score: int) -> None:
            shared["best"] = (seconds, score)  # a plain dict: the GUI thread's timer reads it

        def work(_control: Any) -> Generated:
            db = session.worker_db()
            return generate(db, school_ids, term_by_code(db, None), time_limit=limit, seed=seed, stop=stop,
                            report=report)

        session.tasks.run(work, on_done=self.show_result, on_error=self._failed)

    def stop(self) -> None:
        """Ask the solver to stop; the best timetable found so far is kept."""
        self.stop_event.set()
        self.stop_button.setEnabled(False)
        self.state.setText(self.tr("正在停止,保留目前找到的最好课表…"))

    def _tick(self) -> None:
        elapsed = time.monotonic() - self.started
        self.progress.setValue(min(1000, int(1000 * elapsed / max(1, self.limit.value()))))
        if self.stop_event.is_set():
            return
        best = self.shared["best"]
        if best is None:
            self.state.setText(self.tr("已用 {s:.0f} 秒,正在寻找满足全部硬性要求的课表…").format(s=elapsed))
        else:
            self.state.setText(self.tr("已用 {s:.0f} 秒 · 已找到可行课表,正在改进 · 目前最好得分 {score}(越小越好)").format(
                s=elapsed, score=best[1]))

    def _failed(self, exc: BaseException) -> None:
        self._finished()
        self.state.setText(self.tr("排课没有完成。"))
        show_error(self, exc)

    def _finished(self) -> None:
        self.timer.stop()
        self.progress.setValue(1000)
        self.settings.setEnabled(True)
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def show_result(self, result: Generated) -> None:
        """Show a timetable found (score, gaps, the week of each class) or why there is none."""
        self._finished()
        self.result = result
        if result.lessons is None or not result.ok():
            lines = result.explanation or [f.message for f in result.errors()]
            head = self.tr("排不出满足全部硬性要求的课表,原因:") if result.lessons is None else \
                self.tr("这张课表没有通过课表检查,不能保存:")
            self.state.setText(head)
            self.reasons.setPlainText("\n".join(lines))
            self.reasons.show()
            return
        m = result.metrics
        outcome = result.outcome
        timing = "" if outcome.first_seconds is None else self.tr(
            "首个可行课表用时 {first:.1f} 秒,共用 {total:.0f} 秒{stopped}。").format(
            first=outcome.first_seconds, total=outcome.seconds, stopped=self.tr("(已停止)") if outcome.stopped else "")
        self.state.setText(self.tr("{n} 个班 {lessons} 节课,课表检查没有错误。{timing}").format(
            n=len(result.classes()), lessons=len(result.lessons), timing=timing))
        self.score.setText(self.tr("硬性违规 0 条 · 软约束得分 {score}(越小越好) · 教师空节 {tg} · 学生空节 {pg}").format(
            score=m["score"], tg=m["teacher_gap"], pg=m["pupil_gap"]) + "\n" + ",".join(
            f"{self.tr(COMPONENT_NAMES[k])} {m[k]}" for k in COMPONENT_NAMES))
        problem = result.problem
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        for class_id in sorted(result.classes(), key=lambda c: (problem.schools[problem.classes[c].school_id].code,
                                                                problem.classes[c].grades, problem.classes[c].number)):
            cls = problem.classes[class_id]
            self.class_combo.addItem(f"{problem.schools[cls.school_id].name} {cls.name}", class_id)
        self.class_combo.blockSignals(False)
        self._show_class()
        self.preview.show()
        self.save_button.setEnabled(self.session.actor.role != "teacher")

    def _show_class(self) -> None:
        class_id = self.class_combo.currentData()
        if self.result is None or self.result.timetable is None or class_id is None:
            self.grid_model.set_grid(None, {})
            return
        self.grid_model.set_grid(class_grid(self.result.timetable, class_id), {})

    def save(self) -> None:
        """Write the timetable shown (one transaction, audited) and close."""
        if self.result is None:
            return
        session, result = self.session, self.result
        with errors_shown(self) as attempt:
            written = session.tasks.run_modal(lambda _c: save_generated(session.worker_db(), session.actor, result),
                                              label=self.tr("正在保存课表…"), parent=self)
        if attempt.failed:
            return
        self.saved = True
        inform(self, self.tr("已保存"), self.tr("已写入 {n} 节课(替换原有 {old} 节,锁定的课未动)。").format(
            n=written["lessons"], old=written["replaced"]))
        self.accept()

    def reject(self) -> None:
        """Close; a run still going is stopped first."""
        self.stop_event.set()
        super().reject()


def export_fet_dialog(parent: QWidget, session: Session, school_id: str) -> None:
    """Ask where to write the .fet file of the school shown (its township's on a township
    database), write it in the background and say what was written."""
    name, _ = QFileDialog.getSaveFileName(parent, parent.tr("导出 FET 文件"), str(Path.home() / "排课.fet"),
                                          parent.tr("FET 文件 (*.fet)"))
    if not name:
        return
    schools = township_schools(session.db, school_id) if session.is_township else [school_id]
    with errors_shown(parent) as attempt:
        counts = session.tasks.run_modal(
            lambda _c: export_fet_file(session.worker_db(), schools, current_term(session.worker_db()), name),
            label=parent.tr("正在导出 FET 文件…"), parent=parent)
    if attempt.failed:
        return
    inform(parent, parent.tr("已导出"), parent.tr(
        "已写出 {path}:{n} 个班,{t} 位教师,{a} 个活动。用 FET 打开排课后,把它写出的"
        " *_data_and_timetable.fet 用“导入 FET 排好的课表”导回。").format(
        path=name, n=counts["classes"], t=counts["teachers"], a=counts["activities"]))


def import_fet_dialog(parent: QWidget, session: Session, school_id: str) -> bool:
    """Ask for a timetable FET made, read and check it in the background, show it with its score
    and let the user save it. Returns True when it was saved."""
    name, _ = QFileDialog.getOpenFileName(parent, parent.tr("选择 FET 排好的课表"), str(Path.home()),
                                          parent.tr("FET 文件 (*.fet)"))
    if not name:
        return False
    with errors_shown(parent) as attempt:
        result = session.tasks.run_modal(lambda _c: import_fet_file(session.worker_db(), name),
                                         label=parent.tr("正在读取 FET 课表…"), parent=parent)
    if attempt.failed:
        return False
    dialog = GenerateDialog(session, school_id, parent, result=result, title=parent.tr("导入 FET 课表"))
    dialog.exec()
    return dialog.saved
