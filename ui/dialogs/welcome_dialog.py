"""The first dialog when no database was opened before: demo, new school, or an existing file."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QWidget

from ui.widgets.scaffold import dialog_layout, push_button

DEMO, NEW, OPEN = "demo", "new", "open"


class WelcomeDialog(QDialog):
    """Three choices; `choice` is DEMO, NEW or OPEN after accept."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.choice: str | None = None
        layout = dialog_layout(self, self.tr("乡村学校教学质量管理"), 460)
        layout.setSpacing(12)
        title = QLabel(self.tr("欢迎使用乡村学校教学质量管理"))
        title.setStyleSheet("font-size: 18px; font-weight: bold;")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        text = QLabel(self.tr("本程序完全离线运行,数据保存在本机。请选择:"))
        text.setWordWrap(True)
        layout.addWidget(text)
        self.buttons: dict[str, QPushButton] = {}
        for choice, label, detail in (
            (DEMO, self.tr("打开演示乡镇"), self.tr("一个含六所学校的示例乡镇,先看看程序能做什么")),
            (NEW, self.tr("新建学校数据库"), self.tr("为本校建立数据库,设置管理员口令")),
            (OPEN, self.tr("打开已有数据库文件"), self.tr("打开以前建立或拷贝来的数据库文件")),
        ):
            button = QPushButton(f"{label}\n{detail}")
            button.setMinimumHeight(56)
            button.setObjectName(f"welcome_{choice}")
            button.clicked.connect(lambda _checked=False, c=choice: self._choose(c))
            layout.addWidget(button)
            self.buttons[choice] = button
        self.buttons[DEMO].setDefault(True)
        self.buttons[DEMO].setFocus()
        quit_button = push_button(self.tr("退出"), self.reject)
        layout.addWidget(quit_button, alignment=Qt.AlignmentFlag.AlignRight)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
