"""帮助 › 使用说明: the short Chinese manual (resources/help/manual.html) in a text browser."""
from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QWidget

from app.paths import manual_path
from ui.widgets.scaffold import dialog_layout


class HelpDialog(QDialog):
    """The manual, with links between its sections; not modal, so it can stay open beside the window."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = dialog_layout(self, self.tr("使用说明"))
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        path = manual_path()
        self.browser.setSearchPaths([str(path.parent)])
        self.browser.setSource(QUrl.fromLocalFile(str(path)))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, 600)
