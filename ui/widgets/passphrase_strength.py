"""A label under a passphrase field that says, as the user types, how hard the passphrase is to guess."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from app.services.passphrases import MIN_LENGTH, strength

_COLOURS = ("#b00020", "#c75000", "#8a6d00", "#2e7d32", "#1b5e20")


class StrengthLabel(QLabel):
    """Shows “口令强度:弱” (coloured) for the text of `edit`, updated on every keystroke."""

    def __init__(self, edit: QLineEdit, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("passphrase_strength")
        self.setWordWrap(True)
        edit.textChanged.connect(self.show_strength)
        self.show_strength(edit.text())

    def show_strength(self, text: str) -> None:
        """Describe the strength of `text`."""
        score, word = strength(text)
        hint = self.tr("(至少 {n} 个字符,可用一句好记的话)").format(n=MIN_LENGTH) if score == 0 else \
            self.tr("(再长一些、混用汉字、字母和数字会更强)") if score < 3 else ""
        self.setText(self.tr("口令强度:{word}").format(word=self.tr(word)) + hint)
        self.setStyleSheet(f"color: {_COLOURS[score]};")
