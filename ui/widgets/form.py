"""A form whose fields show the core's problems right below them, in red."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.errors import Problem, ValidationError
from ui.dialogs.messages import show_error

ERROR_STYLE = "color: #b3261e;"


class ProblemForm(QWidget):
    """A QFormLayout with one error label per field and a list for problems without a field."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.general = QLabel()
        self.general.setStyleSheet(ERROR_STYLE)
        self.general.setWordWrap(True)
        self.general.hide()
        outer.addWidget(self.general)
        self.layout_ = QFormLayout()
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        outer.addLayout(self.layout_)
        self._errors: dict[str, QLabel] = {}
        self._widgets: dict[str, QWidget] = {}

    def add_field(self, field: str, label: str, widget: QWidget) -> QWidget:
        """Add a row `label: widget` whose problems (Problem.field == field) appear under it."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel()
        error.setObjectName(f"error_{field}")
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        self.layout_.addRow(label, box)
        self._errors[field] = error
        self._widgets[field] = widget
        return widget

    def add_row(self, label: str, widget: QWidget) -> None:
        """Add a row that has no problems of its own."""
        self.layout_.addRow(label, widget)

    def show_problems(self, problems: Iterable[Problem]) -> None:
        """Show each problem under its field (or at the top) and focus the first bad field."""
        self.clear_problems()
        general: list[str] = []
        first: QWidget | None = None
        for problem in problems:
            label = self._errors.get(problem.field or "")
            if label is None:
                general.append(str(problem))
                continue
            label.setText((label.text() + "\n" if label.text() else "") + problem.message)
            label.show()
            first = first or self._widgets[problem.field or ""]
        if general:
            self.general.setText("\n".join(general))
            self.general.show()
        if first is not None:
            first.setFocus()

    def clear_problems(self) -> None:
        """Hide every problem."""
        for label in self._errors.values():
            label.clear()
            label.hide()
        self.general.clear()
        self.general.hide()

    def submit(self, write: Callable[[], object]) -> bool:
        """Run `write()` (a call into a service) and return True when it went through; otherwise
        return False after showing the problems under their fields (ValidationError) or any other
        refusal or failure in a Chinese message box (show_error, which logs an unexpected one)."""
        try:
            write()
        except ValidationError as exc:
            self.show_problems(exc.problems)
            return False
        except Exception as exc:  # noqa: BLE001 - every refusal and failure reaches the user in Chinese
            show_error(self.window(), exc)
            return False
        return True

    def error_text(self, field: str) -> str:
        """Return the problems shown under `field` ('' when none)."""
        label = self._errors.get(field)
        return label.text() if label is not None and not label.isHidden() else ""

    def general_text(self) -> str:
        """Return the problems shown at the top of the form."""
        return self.general.text() if not self.general.isHidden() else ""


def ok_cancel_buttons(dialog: QDialog, ok_text: str | None = None,
                      on_ok: Callable[[], object] | None = None) -> QDialogButtonBox:
    """Return the dialog's button row: `ok_text` (保存 by default) calls `on_ok` (by default it
    accepts the dialog), 取消 rejects. The caller adds it to its layout."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text or QCoreApplication.translate("Form", "保存"))
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(QCoreApplication.translate("Form", "取消"))
    buttons.accepted.connect(on_ok or dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons



def save_on_worker(dialog: QDialog, form: ProblemForm, session: Any, fn: Callable[..., object], *args: object) -> bool:
    """Run the service `fn(db, actor, *args)` on the worker (session.write) and accept `dialog` when
    it went through; return whether it did. Its problems show under their fields (ValidationError),
    any other refusal (PermissionDenied, a record removed meanwhile …) in a message."""
    form.clear_problems()
    try:
        session.write(fn, *args)
    except ValidationError as exc:
        form.show_problems(exc.problems)
        return False
    except Exception as exc:  # noqa: BLE001 - every refusal is explained in Chinese
        show_error(dialog, exc)
        return False
    QDialog.accept(dialog)
    return True
