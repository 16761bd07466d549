"""班级: the classes of the current school year; create, change (rename, 复式 grades, 班主任), merge
and delete them through app.services.classes."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QInputDialog, QLabel, QVBoxLayout, QWidget

from app.queries.roster import list_classes, list_schools
from app.services.classes import delete_class, merge_classes
from app.services.permissions import may_write_roster
from app.services.schools import current_term
from ui.dialogs.class_dialog import ClassDialog
from ui.dialogs.messages import confirm, errors_shown, inform
from ui.models.table_model import Column, SnapshotTableModel, TableSnapshot, field_text
from ui.pages.page import Page
from ui.session import Changed, Session
from ui.widgets.choosers import SchoolCombo
from ui.widgets.scaffold import button_row, data_table, note_label, page_heading, push_button


class ClassesPage(Page):
    """The 班级 page."""

    depends_on = Changed.ROSTER | Changed.SETTINGS

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(page_heading(self.tr("班级")))
        top = QHBoxLayout()
        self.school_combo = SchoolCombo()
        self.school_combo.currentIndexChanged.connect(self.load)
        if session.is_township:
            top.addWidget(QLabel(self.tr("学校")))
            top.addWidget(self.school_combo)
        self.year_label = QLabel()
        top.addWidget(self.year_label)
        top.addStretch(1)
        layout.addLayout(top)
        self.new_button = push_button(self.tr("新建班级…"), self.new_class)
        self.edit_button = push_button(self.tr("修改…"), self.edit_class)
        self.merge_button = push_button(self.tr("合并到…"), self.merge_class)
        self.delete_button = push_button(self.tr("删除"), self.delete_class)
        self.hint = note_label()
        layout.addLayout(button_row(self.new_button, self.edit_button, self.merge_button, self.delete_button,
                                    fill=self.hint))
        self.columns = [
            Column("name", self.tr("班级"), field_text("name"), lambda r: (r["grades"][:1], r["number"], r["name"])),
            Column("grades", self.tr("年级"), lambda r: "、".join(f"{g}年级" for g in r["grades"]),
                   lambda r: r["grades"]),
            Column("head_teacher_name", self.tr("班主任"), field_text("head_teacher_name")),
            Column("pupils", self.tr("在校学生"), field_text("pupils"), lambda r: r["pupils"], centered=True),
        ]
        self.model = SnapshotTableModel(self.columns, self)
        self.table = data_table(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.edit_class())
        layout.addWidget(self.table, 1)
        self.rows: list[dict] = []
        self.year_id: str | None = None

    def page_title(self) -> str:
        """Return the navigation title."""
        return self.tr("班级")

    def may_edit(self) -> bool:
        """Return True when the user may change the chosen school's classes."""
        return may_write_roster(self.session.actor, self.school_combo.school())

    def refresh(self) -> None:
        """Refill the schools and reload the classes."""
        self.school_combo.fill_visible(list_schools(self.session.db), self.session.actor.school_id)
        self.load()

    def load(self) -> None:
        """Show the chosen school's classes of the current school year."""
        try:
            term = current_term(self.session.db)
        except Exception:  # noqa: BLE001 - a database without a current term
            term = None
        school_id = self.school_combo.school()
        self.year_id = term["academic_year_id"] if term else None
        self.rows = list_classes(self.session.db, school_id, self.year_id) if term and school_id else []
        self.model.set_snapshot(TableSnapshot.build(self.rows, self.columns, ()))
        self.year_label.setText(self.tr("当前学期:{term}").format(term=self.session.term_name()))
        allowed = self.may_edit() and term is not None and school_id is not None
        for button in (self.new_button, self.edit_button, self.merge_button, self.delete_button):
            button.setEnabled(allowed)
        if not allowed:
            self.hint.setText(self.tr("班级由学校管理员或教务设置;您可以查看。"))
        else:
            self.hint.setText(self.tr("复式班勾选两三个年级。学年结束时在“设置”页点“开始新学期…”升年级。"))

    def selected(self) -> dict | None:
        """Return the selected class, or None."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row()) if rows else None

    def new_class(self) -> None:
        """Open 新建班级."""
        if self.year_id and ClassDialog(self.session, self.school_combo.school(), self.year_id, None, self).exec():
            self.session.notify_changed(Changed.ROSTER)

    def edit_class(self) -> None:
        """Open 修改班级 for the selected class."""
        row = self.selected()
        if row is not None and self.may_edit() and ClassDialog(self.session, row["school_id"], row["academic_year_id"],
                                                               row, self).exec():
            self.session.notify_changed(Changed.ROSTER)

    def merge_class(self) -> None:
        """Merge the selected class into another one the user picks."""
        row = self.selected()
        if row is None:
            return
        others = [r for r in self.rows if r["id"] != row["id"]]
        if not others:
            return
        names = [r["name"] for r in others]
        chosen, ok = QInputDialog.getItem(self, self.tr("合并班级"),
                                          self.tr("把“{name}”的 {n} 名学生并入:").format(name=row["name"], n=row["pupils"]),
                                          names, 0, False)
        if ok and chosen:
            self.merge_into(row, others[names.index(chosen)])

    def merge_into(self, source: dict, target: dict) -> None:
        """Ask, then merge `source` into `target` and say what happened."""
        if not confirm(self, self.tr("合并班级"), self.tr("把“{a}”并入“{b}”吗?学生、任课随之移入“{b}”。").format(
                a=source["name"], b=target["name"])):
            return
        with errors_shown(self) as attempt:
            result = self.session.write(merge_classes, source["id"], target["id"])
        if attempt.failed:
            return
        self.session.notify_changed(Changed.ROSTER | Changed.MARKS | Changed.ASSIGNMENTS | Changed.TIMETABLE)
        text = self.tr("已把 {n} 名学生并入“{b}”。").format(n=result["pupils"], b=target["name"])
        text += self.tr("原班级已删除。") if result["deleted"] else self.tr("原班级已有成绩或课表记录,保留为空班级。")
        inform(self, self.tr("合并完成"), text)

    def delete_class(self) -> None:
        """Delete the selected (empty) class."""
        row = self.selected()
        if row is None or not confirm(self, self.tr("删除班级"), self.tr("确定删除班级“{name}”吗?").format(name=row["name"])):
            return
        with errors_shown(self) as attempt:
            self.session.write(delete_class, row["id"])
        if attempt.failed:
            return
        self.session.notify_changed(Changed.ROSTER | Changed.ASSIGNMENTS | Changed.TIMETABLE)
