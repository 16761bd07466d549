"""Add or edit one teacher: fields, subjects, roles, titles and the other sites a 走教 teacher serves."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QLineEdit, QListWidget, QListWidgetItem,
                               QWidget)

from app.services.subjects import list_subjects
from app.services.teachers import ROLES, TITLES, add_teacher, teacher_links, update_teacher
from ui.dialogs.record_dialog import RecordDialog
from ui.session import Session
from ui.widgets.scaffold import note_label


def _fit_height(widget: QListWidget) -> None:
    """Make the list tall enough to show all its items (at most 8 rows)."""
    rows = min(8, max(1, widget.count()))
    row_height = max(widget.sizeHintForRow(0), widget.fontMetrics().height() + 4)
    widget.setFixedHeight(rows * row_height + 2 * widget.frameWidth() + 4)


def checked_keys(widget: QListWidget) -> list[str]:
    """Return the keys of the checked items of a checkable list, in list order."""
    return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked]


def _box_grid(labels: tuple[str, ...], checked: set[str], columns: int = 4) -> tuple[QWidget, dict[str, QCheckBox]]:
    widget = QWidget()
    grid = QGridLayout(widget)
    grid.setContentsMargins(0, 0, 0, 0)
    boxes = {}
    for i, label in enumerate(labels):
        box = QCheckBox(label)
        box.setChecked(label in checked)
        grid.addWidget(box, i // columns, i % columns)
        boxes[label] = box
    return widget, boxes


class TeacherDialog(RecordDialog):
    """The 教师 form. With `teacher` None it adds a teacher to `school_id`; otherwise it edits
    `teacher` (a row of list_teachers). Accept writes through the service, closing only on success."""

    missing_school = "请先选择教师所在的学校。"

    def __init__(self, session: Session, teacher: dict | None = None, school_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(session, teacher, school_id, parent)
        links = teacher_links(session.db, teacher["id"]) if teacher else {
            "subject_ids": [], "roles": [], "titles": [], "site_ids": []}
        self.setWindowTitle(self.tr("修改教师信息") if teacher else self.tr("新增教师"))
        self.setMinimumWidth(640)
        self.staff_no = self.form.add_field("staff_no", self.tr("工号"), QLineEdit())
        self.name = self.form.add_field("name", self.tr("姓名"), QLineEdit())
        self.gender = self.form.add_field("gender", self.tr("性别"), QComboBox())
        self.gender.addItem(self.tr("男"), "男")
        self.gender.addItem(self.tr("女"), "女")
        self.birth_date = self.form.add_field("birth_date", self.tr("出生日期"), QLineEdit())
        self.birth_date.setPlaceholderText(self.tr("如 1985-06-01,可不填"))
        self.hire_date = self.form.add_field("hire_date", self.tr("参加工作时间"), QLineEdit())
        self.hire_date.setPlaceholderText(self.tr("如 2008-09-01,可不填"))
        self.phone = self.form.add_field("phone", self.tr("电话"), QLineEdit())
        self.active = self.form.add_field("active", self.tr("在岗"), QCheckBox(self.tr("在岗(调离、退休的教师取消勾选)")))
        self.active.setChecked(True)
        subjects = list_subjects(session.db)
        subjects_widget, self.subjects = _box_grid(tuple(s["name"] for s in subjects),
                                                   {s["name"] for s in subjects if s["id"] in links["subject_ids"]})
        self.form.add_field("subjects", self.tr("任教学科"), subjects_widget)
        roles_widget, self.roles = _box_grid(ROLES, set(links["roles"]))
        self.form.add_field("roles", self.tr("职务"), roles_widget)
        titles_widget, self.titles = _box_grid(TITLES, set(links["titles"]))
        self.form.add_field("titles", self.tr("称号"), titles_widget)
        self.sites = self.form.add_field("sites", self.tr("走教学校"), QListWidget())
        self._site_ids = set(links["site_ids"])
        self.sites_hint = note_label(self.tr("数据库中没有其他学校。"), wrap=False)
        self.form.add_row("", self.sites_hint)
        self.finish()
        self.school.currentIndexChanged.connect(self._fill_sites)
        self._fill_sites()
        if teacher:
            self.staff_no.setText(teacher["staff_no"])
            self.name.setText(teacher["name"])
            self.gender.setCurrentIndex(max(self.gender.findData(teacher["gender"]), 0))
            self.birth_date.setText(teacher.get("birth_date") or "")
            self.hire_date.setText(teacher.get("hire_date") or "")
            self.phone.setText(teacher.get("phone") or "")
            self.active.setChecked(bool(teacher.get("active", 1)))

    def _fill_sites(self) -> None:
        """List every school but the teacher's own as a possible 走教 site."""
        self._site_ids |= set(checked_keys(self.sites))
        own = self.school.currentData()
        self.sites.clear()
        for school in self.schools:
            if school["id"] == own:
                continue
            item = QListWidgetItem(f"{school['name']}({school['type']})")
            item.setData(Qt.ItemDataRole.UserRole, school["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if school["id"] in self._site_ids else Qt.CheckState.Unchecked)
            self.sites.addItem(item)
        _fit_height(self.sites)
        self.sites.setVisible(self.sites.count() > 0)
        self.sites_hint.setVisible(self.sites.count() == 0)

    def values(self) -> dict:
        """Return the form's fields as the service expects them (lists as names and ids)."""
        return {
            "staff_no": self.staff_no.text(), "name": self.name.text(), "gender": self.gender.currentData(),
            "birth_date": self.birth_date.text(), "hire_date": self.hire_date.text(), "phone": self.phone.text(),
            "active": int(self.active.isChecked()),
            "subjects": [name for name, box in self.subjects.items() if box.isChecked()],
            "roles": [role for role, box in self.roles.items() if box.isChecked()],
            "titles": [title for title, box in self.titles.items() if box.isChecked()],
            "sites": checked_keys(self.sites),
        }

    def create_record(self, school_id: str) -> str:
        """Add the teacher to `school_id`."""
        return self.session.write(add_teacher, school_id, self.values())

    def save_changes(self) -> None:
        """Save the edited teacher."""
        self.session.write(update_teacher, self.record_id, self.values())
