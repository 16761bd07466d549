"""The progress dialog of long tasks: a label, a bar and (when the task can stop) 取消.

Not QProgressDialog: its setValue() runs a nested event loop when the dialog is modal, and
progress reports arriving inside that loop re-entered the slot (crashes were seen in PySide).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ui.widgets.scaffold import push_button

STEPS = 1000


class ProgressDialog(QDialog):
    """Shows what a task does and how far it is; `canceled` fires once when 取消 is pressed."""

    canceled = Signal()

    def __init__(self, label: str, cancellable: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("请稍候"))
        self.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(400)
        self.title = label
        layout = QVBoxLayout(self)
        self.label = QLabel(label)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self.bar = QProgressBar()
        self.bar.setRange(0, STEPS)
        layout.addWidget(self.bar)
        self.cancel_button = push_button(self.tr("取消"), self.cancel)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.cancel_button.setVisible(cancellable)
        self._cancelled = False

    def set_progress(self, fraction: float, message: str) -> None:
        """Show `fraction` (0..1) and the task's current step."""
        if self._cancelled:
            return
        self.bar.setValue(max(0, min(STEPS, int(fraction * STEPS))))
        self.label.setText(f"{self.title}\n{message}" if message else self.title)

    def cancel(self) -> None:
        """Ask the task to stop (once) and say so."""
        if self._cancelled or not self.cancel_button.isVisible():
            return
        self._cancelled = True
        self.cancel_button.setEnabled(False)
        self.label.setText(self.tr("正在取消…"))
        self.canceled.emit()

    def labelText(self) -> str:  # noqa: N802 - same name as QProgressDialog's
        """Return the text shown above the bar."""
        return self.label.text()

    def reject(self) -> None:
        """Esc cancels a cancellable task; the dialog itself closes when the task ends."""
        self.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        """The window's close button cancels too; the task's end closes the dialog."""
        if event.spontaneous():
            event.ignore()
            self.cancel()
        else:
            super().closeEvent(event)
