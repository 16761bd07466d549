"""开始新学期: the next term becomes current; at the start of a school year a school database also
moves every class up a grade (升年级), shown first as a preview. The work is app.services.terms."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QHeaderView, QLabel, QWidget

from app.errors import PermissionDenied, ValidationError
from app.services.schools import school_by_code
from app.services.terms import next_term, promotion_plan, start_term
from ui.dialogs.messages import show_error
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.session import Session
from ui.widgets.form import ERROR_STYLE, ok_cancel_buttons
from ui.widgets.scaffold import data_table, dialog_layout, note_label


class StartTermDialog(QDialog):
    """Preview and start the next term; `result_` holds the counts after accept()."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.result_: dict | None = None
        after = next_term(session.db)
        code = session.home_school_code() if session.kind == "school" else None
        self.school_id = school_by_code(session.db, code)["id"] if code else None
        layout = dialog_layout(self, self.tr("开始新学期"))
        head = QLabel(self.tr("当前学期:{now}\n新学期:{next}").format(now=session.term_name(), next=after["name"]))
        head.setStyleSheet("font-size: 15px;")
        layout.addWidget(head)
        self.promote = QCheckBox(self.tr("同时升年级:每个班升一个年级,六年级学生毕业离校"))
        plan = promotion_plan(session.db, self.school_id) if after["new_year"] and self.school_id else []
        self.plan = plan
        self.promote.setChecked(bool(plan))
        self.promote.setVisible(bool(plan))
        layout.addWidget(self.promote)
        columns = [Column("name", self.tr("现在的班级"), field_text("name")),
                   Column("new_name", self.tr("新学年的班级"), lambda r: r["new_name"] or self.tr("(全部毕业)")),
                   Column("pupils", self.tr("升级学生"), field_text("pupils"), centered=True),
                   Column("graduates", self.tr("毕业离校"), field_text("graduates"), centered=True)]
        self.model = SnapshotTableModel(columns, self)
        self.model.set_snapshot(TableSnapshot.build(plan, columns, ()))
        table = data_table(self.model, select="cells", resize=QHeaderView.ResizeMode.Stretch)
        table.setVisible(bool(plan))
        self.promote.toggled.connect(table.setVisible)
        layout.addWidget(table, 1)
        note = note_label(self.tr("新学期开始后,新录入的成绩、任课和课表都记在新学期下;以前学期的数据保持不变。")
                          + (self.tr("升年级后上一学年的班级和成绩仍然保留。") if plan else ""))
        layout.addWidget(note)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = ok_cancel_buttons(self, self.tr("开始新学期"))
        layout.addWidget(buttons)
        self.resize(620, 460 if plan else 220)

    def accept(self) -> None:
        """Start the term (and promote when ticked); keep the dialog open on a refusal."""
        promote = self.school_id if self.plan and self.promote.isChecked() else None
        try:
            self.result_ = self.session.write(start_term, promote_school=promote)
        except ValidationError as exc:
            self.error.setText("\n".join(p.message for p in exc.problems))
            self.error.show()
            return
        except PermissionDenied as exc:
            show_error(self, exc)
            return
        super().accept()
