"""学校概况: counts in cards and one line per school."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from app.queries.roster import counts, school_overview
from ui.dialogs.messages import show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session

CARD_STYLE = ("QFrame#card { background: #f4f7fb; border: 1px solid #d5dde8; border-radius: 6px; }"
              " QLabel#card_value { font-size: 24px; font-weight: bold; color: #1f4e79; }"
              " QLabel#card_title { color: #444; }")


class OverviewPage(Page):
    """Counts a user checks first (schools, classes, pupils, teachers …) and a table per school."""

    depends_on = Changed.ROSTER | Changed.EXAMS | Changed.MARKS | Changed.SETTINGS

    CARDS = (("schools", "学校"), ("classes", "班级"), ("pupils", "在籍学生"), ("teachers", "在岗教师"),
             ("itinerant_teachers", "走教教师"), ("multigrade_classes", "复式班"), ("exams", "考试"),
             ("marks", "成绩记录"))

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        self.setStyleSheet(CARD_STYLE)
        layout = QVBoxLayout(self)
        heading = QLabel(self.tr("学校概况"))
        heading.setStyleSheet("font-size: 18px; font-weight: bold;")
        layout.addWidget(heading)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.card_values: dict[str, QLabel] = {}
        for i, (key, title) in enumerate(self.CARDS):
            card = QFrame()
            card.setObjectName("card")
            inner = QVBoxLayout(card)
            value = QLabel("–")
            value.setObjectName("card_value")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption = QLabel(self.tr(title))
            caption.setObjectName("card_title")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            inner.addWidget(value)
            inner.addWidget(caption)
            grid.addWidget(card, i // 4, i % 4)
            self.card_values[key] = value
        layout.addLayout(grid)
        label = QLabel(self.tr("各校情况(学生数为在籍学生:在读与转入)"))
        label.setStyleSheet("margin-top: 8px; font-weight: bold;")
        layout.addWidget(label)
        self.columns = [
            Column("name", self.tr("学校"), field_text("name"), lambda r: r["order"]),
            Column("type", self.tr("类型"), field_text("type"), lambda r: r["order"], centered=True),
        ] + [Column(key, title, field_text(key), lambda r, k=key: r[k], centered=True) for key, title in (
            ("classes", self.tr("班级")), ("pupils", self.tr("学生")), ("boarding", self.tr("寄宿")),
            ("left_behind", self.tr("留守")), ("dropped_out", self.tr("流失")), ("teachers", self.tr("教师")))]
        self.model = SnapshotTableModel(self.columns, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setResizeContentsPrecision(50)  # sized by the first rows: a county lists 200 schools
        layout.addWidget(self.table, 1)

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("学校概况")

    def refresh(self) -> None:
        """Read the counts and the per-school table in the background (a county's 200 schools and
        60,000 pupils took a second of the GUI thread), then show them."""
        session, columns = self.session, self.columns

        def work(_control) -> tuple[dict, TableSnapshot]:
            db = session.worker_db()
            rows = [dict(row, order=i) for i, row in enumerate(school_overview(db))]
            return counts(db), TableSnapshot.build(rows, columns, ())

        session.tasks.run(work, on_done=lambda loaded: self._loaded(*loaded),
                          on_error=lambda exc: show_error(self, exc), key=self)

    def _loaded(self, numbers: dict, snapshot: TableSnapshot) -> None:
        for key, label in self.card_values.items():
            label.setText(str(numbers[key]))
        self.model.set_snapshot(snapshot)
