"""The form of one preset: every field it lets people change, named and explained in Chinese, saved
through app.preset_store.edit_preset as the preset's next version."""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QDialog, QDoubleSpinBox, QFrame, QLabel, QLineEdit,
                               QScrollArea, QSpinBox, QTextBrowser, QVBoxLayout, QWidget)

from app.preset_fields import Field, editable_fields, label_of
from app.preset_names import display_name, readable
from app.preset_store import edit_preset
from app.presets import Preset
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons

HELP_STYLE = "color: #666; font-size: 12px;"


def _decimals(field: Field, value: object) -> int:
    if field.integer:
        return 0
    text = f"{value}"
    return max(2, min(4, len(text.split(".")[1]) if "." in text else 0))


def field_widget(field: Field, value: object) -> QWidget:
    """Return the editor of one field: a list of its choices, or a number box limited to its range."""
    if field.choices:
        combo = QComboBox()
        for word, meaning in field.choices:
            combo.addItem(meaning, word)
        combo.setCurrentIndex(max(0, combo.findData(str(value))))
        return combo
    box: QAbstractSpinBox
    if field.integer:
        box = QSpinBox()
        box.setRange(int(field.low), int(field.high))
        box.setValue(int(value))  # type: ignore[call-overload]
    else:
        box = QDoubleSpinBox()
        box.setDecimals(_decimals(field, value))
        box.setRange(field.low, field.high)
        box.setSingleStep(0.05 if field.high <= 1 else 1)
        box.setValue(float(value))  # type: ignore[arg-type]
    box.setMaximumWidth(140)
    return box


def widget_value(widget: QWidget) -> object:
    """Return what an editor of field_widget holds."""
    if isinstance(widget, QComboBox):
        return widget.currentData()
    return widget.value()  # type: ignore[attr-defined]


class PresetDialog(QDialog):
    """Edit a preset copy held in the database: its name and every editable field, each with its
    explanation; the fields scroll, the buttons stay visible. `saved` is the new version after 保存."""

    def __init__(self, session: Session, preset: Preset, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.preset = preset
        self.saved: Preset | None = None
        self.setWindowTitle(self.tr("修改方案:{name}").format(name=display_name(preset.name)))
        outer = QVBoxLayout(self)
        intro = QLabel(self.tr("第 {version} 版。保存后成为第 {next} 版;在用的方案立即按新版本计算。").format(
            version=preset.version, next=preset.version + 1))
        intro.setWordWrap(True)
        outer.addWidget(intro)
        source = QTextBrowser()
        source.setPlainText(self.tr("依据:{source}").format(source=readable(preset.content.get("source", ""))))
        source.setMaximumHeight(72)
        source.setStyleSheet(HELP_STYLE)
        outer.addWidget(source)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form = ProblemForm()
        scroll.setWidget(self.form)
        outer.addWidget(scroll, 1)
        self.name_edit = self.form.add_field("name", self.tr("方案名称"), QLineEdit(preset.name))
        self.widgets: dict[str, QWidget] = {}
        for path, field, value in editable_fields(preset.kind, preset.content):
            widget = field_widget(field, value)
            widget.setToolTip(field.help)
            self.form.add_field(path, label_of(preset.kind, preset.content, path), widget)
            # The explanation on its own row under the editor, one line (a word-wrapped label makes the
            # form's height depend on its width, and Qt then squeezes the rows in the scroll area).
            note = QLabel(field.help)
            note.setStyleSheet(HELP_STYLE)
            self.form.add_row("", note)
            self.widgets[path] = widget
        outer.addWidget(ok_cancel_buttons(self))
        # Thirty-odd fields are taller than a 768-pixel screen: they scroll, the buttons stay visible.
        self.resize(680, 640)

    def changes(self) -> dict[str, object]:
        """Return {field path: new value} of the fields changed in the form (and "name")."""
        current = {path: value for path, _, value in editable_fields(self.preset.kind, self.preset.content)}
        out: dict[str, object] = {}
        if self.name_edit.text().strip() != self.preset.name:
            out["name"] = self.name_edit.text()
        for path, widget in self.widgets.items():
            value = widget_value(widget)
            if isinstance(value, float) and isinstance(current[path], (int, float)):
                if abs(value - float(current[path])) < 1e-9:
                    continue
            elif value == current[path]:
                continue
            out[path] = value
        return out

    def accept(self) -> None:
        """Save the changes as the next version; stay open and show the problems under their fields."""
        def write() -> None:
            self.saved = self.session.write(edit_preset, self.preset.id, self.changes())

        if self.form.submit(write):
            super().accept()
