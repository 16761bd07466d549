"""Nothing makes the window wider than a 1024×768 screen, on any page, in a school or a township."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app.db.database import open_database
from app.services.users import login
from ui.session import Session

WIDTH, HEIGHT = 1024, 768


def _visit_every_page(win) -> list[str]:
    """Show each page at 1024×768 and return what did not fit, as 'page: width×height'."""
    win.resize(WIDTH, HEIGHT - 40)
    too_big = []
    for index, title in enumerate(win.page_titles()):
        win.nav.setCurrentRow(index)
        QApplication.processEvents()
        hint = win.minimumSizeHint()
        if win.width() > WIDTH or hint.width() > WIDTH or hint.height() > HEIGHT:
            too_big.append(f"{title}: {max(win.width(), hint.width())}×{hint.height()}")
    return too_big


def test_school_pages_fit_1024(window):
    assert _visit_every_page(window) == []


@pytest.mark.parametrize("user", ["admin", "jiaowu", "laoshi"])
def test_township_pages_fit_1024(demo_path, make_window, tasks, boxes, user):
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, user, "demo"), tasks)
    try:
        assert _visit_every_page(make_window(session)) == []
    finally:
        db.close()


def _dialogs(session, school_id: str) -> dict:
    """Return every dialog of the program a user of `session` can open, made on `school_id`."""
    from app.errors import Problem
    from app.importing.assignments import AssignmentPlan
    from app.services.schools import current_term
    from ui.dialogs.class_dialog import ClassDialog
    from ui.dialogs.exam_dialog import ExamDialog
    from ui.dialogs.help_dialog import HelpDialog
    from ui.dialogs.import_log_dialog import ImportLogDialog
    from ui.dialogs.new_school_dialog import NewSchoolDialog
    from ui.dialogs.new_user_dialog import NewUserDialog
    from app.preset_store import find
    from ui.dialogs.preset_dialog import PresetDialog
    from ui.dialogs.pupil_dialog import PupilDialog
    from ui.dialogs.register_key_dialog import RegisterKeyDialog
    from ui.dialogs.start_term_dialog import StartTermDialog
    from ui.dialogs.teacher_dialog import TeacherDialog
    from ui.dialogs.welcome_dialog import WelcomeDialog
    from ui.pages.assignments_page import AssignmentPreviewDialog
    from ui.pages.targets_page import TargetDialog
    from ui.pages.routine_dialogs import ObservationDialog, RoutineCheckDialog, WorkloadSettingsDialog
    from ui.pages.timetable_dialogs import DayPlanDialog, PlanDialog

    year = current_term(session.db)["academic_year_id"]
    many = AssignmentPlan(problems=[Problem("本校没有叫“赵老师”的教师(也不是工号)。请先在“教师”页添加,或检查是否写错。",
                                            sheet="任课表", row=r, column="数学") for r in range(2, 60)])
    return {
        "新建考试": lambda: ExamDialog(session), "新建班级": lambda: ClassDialog(session, school_id, year),
        "使用说明": lambda: HelpDialog(), "新建学校数据库": lambda: NewSchoolDialog(), "新建账号": lambda: NewUserDialog(session),
        "学生": lambda: PupilDialog(session, None, school_id), "教师": lambda: TeacherDialog(session, None, school_id),
        "登记公钥": lambda: RegisterKeyDialog(session), "开始新学期": lambda: StartTermDialog(session),
        "欢迎": lambda: WelcomeDialog(), "任课导入预览": lambda: AssignmentPreviewDialog(many, "任课表.xlsx"),
        "听课记录": lambda: ObservationDialog(session, school_id), "常规检查": lambda: RoutineCheckDialog(session, school_id),
        "工作量系数与标准": lambda: WorkloadSettingsDialog(session), "作息时间": lambda: DayPlanDialog(session, school_id),
        "课程计划": lambda: PlanDialog(session, school_id),
        "修改方案": lambda: PresetDialog(session, find(session.db, "routine-default").preset),
        "新增质量目标": lambda: TargetDialog(session), "导入记录": lambda: ImportLogDialog(session),
    }


def _too_big(make) -> list[str]:
    from PySide6.QtWidgets import QAbstractButton

    too_big = []
    for title, build in make.items():
        dialog = build()
        try:
            dialog.show()
            QApplication.processEvents()
            size = dialog.size()
            buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
            hidden = [b.text() for b in buttons if not dialog.rect().contains(
                b.mapTo(dialog, b.rect().bottomRight()))]
            if size.width() > WIDTH or size.height() > HEIGHT - 40 or hidden:
                too_big.append(f"{title}: {size.width()}×{size.height()} {hidden}")
        finally:
            dialog.close()
            dialog.deleteLater()
    return too_big


def test_every_dialog_fits_1024_by_768_with_its_buttons_visible(demo_path, tasks, boxes, qapp):
    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    try:
        school_id = db.execute("SELECT id FROM school WHERE code = 'QSZ01'").fetchone()[0]
        assert _too_big(_dialogs(session, school_id)) == []
    finally:
        db.close()
