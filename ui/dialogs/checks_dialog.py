"""数据交换 › 数据核查 (township): the cross-school checks of app.queries.township_checks in the window —
the same 学籍号 at two schools, 走教 clashes, unified exams over the limit and, for a chosen exam, the
schools without marks and the pupils on a roster without a mark, by class."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPlainTextEdit, QWidget

from app.queries.township_checks import check_lines, township_checks
from app.services.exams import list_exams
from ui.dialogs.messages import show_error
from ui.session import Session
from ui.widgets.scaffold import dialog_layout, push_button


class ChecksDialog(QDialog):
    """Runs the checks on the background worker and shows them as text the officer can copy."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        layout = dialog_layout(self, self.tr("数据核查"))
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("考试")))
        self.exam = QComboBox()
        self.exam.addItem(self.tr("(不核查某次考试)"), None)
        for exam in list_exams(session.db):
            self.exam.addItem(exam["name"], exam["id"])
        self.exam.setMinimumContentsLength(24)
        row.addWidget(self.exam, 1)
        self.run_button = push_button(self.tr("核查"), self.run_checks)
        row.addWidget(self.run_button)
        layout.addLayout(row)
        hint = QLabel(self.tr("选择考试后还会列出没有成绩的学校,以及名册上有、却没有成绩的学生(按应考统计计缺考 0 分)。"))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 520)

    def run_checks(self) -> None:
        """Run the checks for the chosen exam (or none) off the GUI thread and show the lines."""
        session, exam_id = self.session, self.exam.currentData()
        self.run_button.setEnabled(False)

        def done(lines: list[str]) -> None:
            self.run_button.setEnabled(True)
            self.text.setPlainText("\n".join(lines))

        def failed(exc: BaseException) -> None:
            self.run_button.setEnabled(True)
            show_error(self, exc)

        session.tasks.run(lambda control: check_lines(township_checks(session.worker_db(), exam_id)),
                          on_done=done, on_error=failed, label=self.tr("正在核查…"), parent=self,
                          key="township-checks")
