"""Dialogs of the 工作量与常规 page: recording an observed lesson on the observation form,
recording a routine check on the sheet of its link, and adjusting the workload weights."""
from __future__ import annotations

import copy
import datetime as dt

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFrame, QGroupBox, QLabel,
                               QLineEdit, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from app.preset_names import display_name, readable
from app.errors import ValidationError
from app.presets import reset
from app.queries.roster import list_teachers
from app.records.prep import ROUTINE_ITEM, new_teachers, routine_suggestion
from app.routine.checks import LINKS, record_check, routine_sheets
from app.routine.observations import (lesson_classes, lesson_teachers, observation_form, record_observation,
                                      update_observation)
from app.services.schools import SCHOOL_TYPES
from app.services.subjects import list_subjects
from app.workload.settings import save_workload_preset, workload_preset
from ui.dialogs.messages import errors_shown, show_error
from ui.session import Session
from ui.widgets.form import ProblemForm, ok_cancel_buttons
from ui.widgets.scaffold import dialog_layout


def _score_box(maximum: int, empty: str) -> QSpinBox:
    """A spin box from 0 to `maximum` that starts empty (showing `empty`) until a value is chosen."""
    box = QSpinBox()
    box.setRange(-1, maximum)
    box.setSpecialValueText(empty)
    box.setValue(-1)
    return box


def _value(box: QSpinBox) -> int | None:
    return None if box.value() < 0 else box.value()


def _teacher_combo(teachers: list[dict], empty: str | None = None) -> QComboBox:
    combo = QComboBox()
    if empty is not None:
        combo.addItem(empty, None)
    for teacher in teachers:
        roles = f"({teacher['roles']})" if teacher.get("roles") else ""
        combo.addItem(f"{teacher['name']} {teacher['staff_no']}{roles}", teacher["id"])
    return combo


def _select(combo: QComboBox, value: object, text: str) -> None:
    """Choose the item of `combo` holding `value`, adding it as `text` when the list lacks it (a record
    made by a teacher who has since left the list)."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(text, value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class ObservationDialog(QDialog):
    """One observed lesson: who observed whom, when, which class and subject, the points of each
    item of the form and the minutes of teacher talk and pupil practice. The teachers offered are
    those who give lessons at the school (its own and the 走教 teachers who come), and the classes
    those of the chosen teacher, at every school they teach at. Given `record` (a row of
    list_observations), the dialog shows it and saves the corrections with update_observation."""

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None, record: dict | None = None):
        super().__init__(parent)
        self.session = session
        self.school_id = school_id
        self.record = record
        layout = dialog_layout(self, self.tr("修改听课记录") if record else self.tr("登记听课"), 520)
        self.form = ProblemForm()
        teachers = [t for t in list_teachers(session.db, school_id) if t["active"]]
        self.observer = self.form.add_field("observer_id", self.tr("听课人"), _teacher_combo(teachers))
        if session.actor.role == "teacher":
            self.observer.setCurrentIndex(max(self.observer.findData(session.actor.teacher_id), 0))
            self.observer.setEnabled(False)
        self.teacher = self.form.add_field("teacher_id", self.tr("授课教师"),
                                           _teacher_combo(lesson_teachers(session.db, school_id)))
        self.date = self.form.add_field("date", self.tr("日期"), QLineEdit(dt.date.today().isoformat()))
        self.cls = self.form.add_field("class_id", self.tr("班级"), QComboBox())
        self.teacher.currentIndexChanged.connect(lambda _i: self._fill_classes())
        self._fill_classes()
        self.subject = self.form.add_field("subject_id", self.tr("学科"), QComboBox())
        self.subject.addItem(self.tr("(不填)"), None)
        for subject in list_subjects(session.db):
            self.subject.addItem(subject["name"], subject["id"])
        layout.addWidget(self.form)
        preset, form = observation_form(session.db, school_id)
        group = QGroupBox(self.tr("{name}(满分 {full} 分)").format(
            name=form["name"], full=sum(i["max"] for i in form["items"])))
        scores = ProblemForm()
        self.items = {item["key"]: scores.add_field(item["key"], f"{item['name']}({item['max']})",
                                                    _score_box(item["max"], self.tr("未评")))
                      for item in form["items"]}
        self.timing = {item["key"]: scores.add_field(item["key"], item["name"], _score_box(60, self.tr("未记")))
                       for item in form.get("timing", [])}
        self.scores_form = scores
        inner = QVBoxLayout(group)
        inner.addWidget(scores)
        timing_note = QLabel(self.tr("讲授不宜超过 15 分钟,练习不宜少于 15 分钟(评价表:{name})").format(
            name=display_name(preset.content.get("name", ""))))
        timing_note.setWordWrap(True)
        timing_note.setToolTip(self.tr("计算依据(版本与校验码):{basis}").format(basis=preset.basis()))
        inner.addWidget(timing_note)
        layout.addWidget(group)
        self.notes = QLineEdit()
        self.form.add_row(self.tr("评语"), self.notes)
        layout.addWidget(ok_cancel_buttons(self, on_ok=self.save))
        if record:
            self._show(record)

    def _show(self, record: dict) -> None:
        """Fill the fields with a recorded observation."""
        _select(self.observer, record["observer_id"], record.get("observer_name") or "")
        _select(self.teacher, record["teacher_id"], record.get("teacher_name") or "")
        self.date.setText(record["date"])
        if record.get("class_id"):
            _select(self.cls, record["class_id"], record.get("class_name") or "")
        if record.get("subject_id"):
            _select(self.subject, record["subject_id"], record.get("subject_name") or "")
        for key, box in {**self.items, **self.timing}.items():
            value = record["ratings"].get(key)
            box.setValue(-1 if value is None else int(value))
        self.notes.setText(record.get("notes") or "")

    def _fill_classes(self) -> None:
        """Offer the classes the chosen teacher gives lessons in, this school's first; those at
        another school (a 走教 teacher's other schools) carry the school's name."""
        self.cls.clear()
        self.cls.addItem(self.tr("(不填)"), None)
        teacher_id = self.teacher.currentData()
        classes = lesson_classes(self.session.db, teacher_id) if teacher_id else []
        for cls in sorted(classes, key=lambda c: c["school_id"] != self.school_id):
            name = cls["name"] if cls["school_id"] == self.school_id else \
                self.tr("{cls}({school})").format(cls=cls["name"], school=cls["school_name"])
            self.cls.addItem(name, cls["id"])

    def values(self) -> dict:
        """Return the typed values in the shape record_observation takes."""
        ratings = {key: _value(box) for key, box in {**self.items, **self.timing}.items()}
        return {"observer_id": self.observer.currentData(), "teacher_id": self.teacher.currentData(),
                "date": self.date.text(), "class_id": self.cls.currentData(), "subject_id": self.subject.currentData(),
                "ratings": {k: v for k, v in ratings.items() if v is not None}, "notes": self.notes.text()}

    def save(self) -> None:
        """Record the observation (or save the corrections of the one shown); stay open and show the
        problems when refused."""
        try:
            if self.record:
                self.session.write(update_observation, self.record["id"], self.values())
            else:
                self.session.write(record_observation, self.values())
        except ValidationError as exc:
            self.form.show_problems([p for p in exc.problems if p.field not in {**self.items, **self.timing}])
            self.scores_form.show_problems([p for p in exc.problems if p.field in {**self.items, **self.timing}])
            return
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
            return
        self.accept()


class RoutineCheckDialog(QDialog):
    """One routine check: the teacher, who checked, when, which of 备讲批辅考思研, and the points
    of each item of that link's sheet."""

    def __init__(self, session: Session, school_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.sheets = routine_sheets(session.db, school_id).content["links"]
        layout = dialog_layout(self, self.tr("登记教学常规检查"), 520)
        self.form = ProblemForm()
        teachers = [t for t in list_teachers(session.db, school_id) if t["active"]]
        self.teacher = self.form.add_field("teacher_id", self.tr("被检查教师"), _teacher_combo(teachers))
        self.checker = self.form.add_field("checker_id", self.tr("检查人"), _teacher_combo(teachers, self.tr("(不填)")))
        self.date = self.form.add_field("date", self.tr("日期"), QLineEdit(dt.date.today().isoformat()))
        self.link = self.form.add_field("link", self.tr("环节"), QComboBox())
        for link in LINKS:
            self.link.addItem(f"{link}({self.sheets[link]['name']})", link)
        layout.addWidget(self.form)
        self.group = QGroupBox()
        self.group_layout = QVBoxLayout(self.group)
        layout.addWidget(self.group)
        self.notes = QLineEdit()
        self.form.add_row(self.tr("说明"), self.notes)
        self.items: dict[str, QSpinBox] = {}
        self.scores_form: ProblemForm | None = None
        self.records_hint = QLabel()
        self.records_hint.setObjectName("records_hint")
        self.records_hint.setWordWrap(True)
        self.group_layout.addWidget(self.records_hint)
        self.link.currentIndexChanged.connect(self._sheet)
        self.teacher.currentIndexChanged.connect(self._records_hint)
        self._sheet()
        layout.addWidget(ok_cancel_buttons(self, on_ok=self.save))

    def _sheet(self) -> None:
        """Show the items of the chosen link's sheet."""
        if self.scores_form is not None:
            self.group_layout.removeWidget(self.scores_form)
            self.scores_form.hide()  # gone at once, not only when the event loop deletes it
            self.scores_form.deleteLater()
        sheet = self.sheets[self.link.currentData()]
        self.group.setTitle(self.tr("{name}评分表(满分 {full} 分)").format(
            name=sheet["name"], full=sum(i["max"] for i in sheet["items"])))
        self.scores_form = ProblemForm()
        self.items = {item["key"]: self.scores_form.add_field(item["key"], f"{item['name']}({item['max']})",
                                                              _score_box(item["max"], self.tr("未评")))
                      for item in sheet["items"]}
        self.group_layout.addWidget(self.scores_form)
        self._records_hint()

    def _records_hint(self) -> None:
        """Show what the school records say about the chosen teacher for this link: for 研 the
        集体备课 attended against the term's pace (and the item's points it suggests, filled in while
        the item is unscored); for 备 whether the teacher writes 详案 (三年内新教师)."""
        link, teacher_id = self.link.currentData(), self.teacher.currentData()
        text = ""
        item = next((i for i in self.sheets[link]["items"] if i["key"] == ROUTINE_ITEM), None)
        if teacher_id and link == "研" and item is not None:
            hint = routine_suggestion(self.session.db, teacher_id, item["max"])
            text = self.tr("集体备课:本学期已参加 {a} 次,按进度应参加 {e} 次,建议“{name}”得 {s} 分。").format(
                a=hint["attended"], e=hint["expected"], name=item["name"], s=hint["score"])
            if _value(self.items[ROUTINE_ITEM]) is None:
                self.items[ROUTINE_ITEM].setValue(hint["score"])
        elif teacher_id and link == "备":
            new = [t for t in new_teachers(self.session.db) if t["teacher_id"] == teacher_id]
            if new:
                text = self.tr("该教师参加工作不满三年(至 {until}),应写详案。").format(until=new[0]["until"]) \
                    if not new[0]["unknown"] else self.tr("该教师未填参加工作时间,无法判断是否应写详案。")
        self.records_hint.setText(text)
        self.records_hint.setVisible(bool(text))

    def values(self) -> dict:
        """Return the typed values in the shape record_check takes."""
        scores = {key: _value(box) for key, box in self.items.items()}
        return {"teacher_id": self.teacher.currentData(), "checker_id": self.checker.currentData(),
                "date": self.date.text(), "link": self.link.currentData(),
                "scores": {k: v for k, v in scores.items() if v is not None}, "notes": self.notes.text()}

    def save(self) -> None:
        """Record the check; stay open and show the problems when refused."""
        try:
            self.session.write(record_check, self.values())
        except ValidationError as exc:
            self.form.show_problems([p for p in exc.problems if p.field not in self.items])
            self.scores_form.show_problems([p for p in exc.problems if p.field in self.items])
            return
        except Exception as exc:  # noqa: BLE001 - refusals are shown in Chinese
            show_error(self, exc)
            return
        self.accept()


def _number_box(value: float, maximum: float, step: float = 1.0, decimals: int = 1) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0, maximum)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(float(value))
    return box


class WorkloadSettingsDialog(QDialog):
    """The workload weights and standards of the database: standard per school type, allowed
    deviation, subject coefficients, allowances, leaders' minimum lessons."""

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        preset = workload_preset(session.db)
        self.content = copy.deepcopy(preset.content)
        content = self.content
        self.setWindowTitle(self.tr("工作量系数与标准"))
        self.setMinimumWidth(520)
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        layout = QVBoxLayout(body)
        scope = {"shipped": self.tr("默认"), "database": self.tr("本数据库已调整"),
                 "school": self.tr("本校已调整")}[preset.scope]
        source = QLabel(self.tr("当前:{name}({scope})\n{source}").format(
            name=display_name(content.get("name", "")).removesuffix("(默认)"), scope=scope,
            source=readable(content["source"])))
        source.setWordWrap(True)
        source.setToolTip(self.tr("计算依据(版本与校验码):{basis}").format(basis=preset.basis()))
        layout.addWidget(source)
        self.form = ProblemForm()
        self.boxes: dict[tuple, QDoubleSpinBox] = {}
        for school_type in SCHOOL_TYPES:
            self._add(("standard", school_type), self.tr("{t}标准(折算节/周)").format(t=school_type),
                      content["standard"][school_type], 60)
        self._add(("tolerance",), self.tr("允许偏差(0.2 即 ±20%)"), content["tolerance"], 1, 0.05, 2)
        self._add(("homeroom_allowance",), self.tr("班主任折算(节/周)"), content["homeroom_allowance"], 20)
        self._add(("itinerant_trip_allowance",), self.tr("走教每次往返折算(节)"), content["itinerant_trip_allowance"], 10,
                  0.5)
        self._add(("multigrade_add_per_extra_grade",), self.tr("复式班每多一个年级加成"),
                  content["multigrade_add_per_extra_grade"], 2, 0.05, 2)
        names = {s["code"]: s["name"] for s in list_subjects(session.db)}
        for code, value in content["subject_coefficients"].items():
            self._add(("subject_coefficients", code), self.tr("{s}系数").format(s=names.get(code, code)), value, 5,
                      0.05, 2)
        self._add(("default_subject_coefficient",), self.tr("其他学科系数"), content["default_subject_coefficient"], 5,
                  0.05, 2)
        for role, value in content["leader_min_periods"].items():
            self._add(("leader_min_periods", role), self.tr("{r}至少带课(节/周)").format(r=role), value, 40)
        for role, value in content["role_allowance"].items():
            self._add(("role_allowance", role), self.tr("{r}职务折算(节/周)").format(r=role), value, 30)
        layout.addWidget(self.form)
        buttons = ok_cancel_buttons(self, on_ok=self.save)
        self.reset_button = buttons.addButton(self.tr("恢复默认"), QDialogButtonBox.ButtonRole.ResetRole)
        self.reset_button.clicked.connect(self.reset)
        self.reset_button.setEnabled(preset.scope != "shipped")
        outer.addWidget(buttons)
        # Twenty-odd rows are taller than a 768-pixel screen: they scroll, the buttons stay visible.
        self.resize(600, min(640, body.sizeHint().height() + 60))

    def _add(self, path: tuple, label: str, value: float, maximum: float, step: float = 1.0,
             decimals: int = 1) -> None:
        self.boxes[path] = self.form.add_field(path[0], label, _number_box(value, maximum, step, decimals))

    def values(self) -> dict:
        """Return the preset content with the typed numbers."""
        content = copy.deepcopy(self.content)
        for path, box in self.boxes.items():
            target = content
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = round(box.value(), 2)
        return content

    def save(self) -> None:
        """Save the adjusted preset for the database; stay open on problems."""
        if self.form.submit(lambda: self.session.write(save_workload_preset, self.values())):
            self.accept()

    def reset(self) -> None:
        """Go back to the shipped weights and standards."""
        with errors_shown(self) as attempt:
            self.session.write(reset, "workload")
        if attempt.failed:
            return
        self.accept()
