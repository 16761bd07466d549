"""GUI test fixtures: offscreen Qt, a private data folder, a synchronous task runner, recorded
message boxes, and a small school database built with the services."""
from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt

import datetime as dt  # noqa: E402
import shutil  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import shiboken6  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from app.db.writes import SYSTEM  # noqa: E402
from app.services import classes, pupils, schools, setup, teachers  # noqa: E402
from app.services.users import login  # noqa: E402
from ui.dialogs import messages  # noqa: E402
from ui.session import Session  # noqa: E402
from ui.tasks import SyncTaskRunner  # noqa: E402

PASSPHRASE = "secret12"
TODAY = dt.date(2025, 10, 15)


@dataclass
class Boxes:
    """Every message box the code under test tried to show: (kind, title, text)."""

    shown: list[tuple[str, str, str]] = field(default_factory=list)
    answer_yes: bool = True

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, _title, text in self.shown if kind is None or k == kind]


@pytest.fixture
def boxes(monkeypatch) -> Boxes:
    """Replace QMessageBox's static functions with recorders (no modal loop in tests)."""
    record = Boxes()

    def recorder(kind):
        def show(_parent, title, text, *args, **kwargs):
            record.shown.append((kind, title, text))
            if kind == "question":
                return QMessageBox.StandardButton.Yes if record.answer_yes else QMessageBox.StandardButton.No
            return QMessageBox.StandardButton.Ok
        return staticmethod(show)

    for kind in ("information", "warning", "critical", "question", "about"):
        monkeypatch.setattr(QMessageBox, kind, recorder(kind))
    messages.set_error_presenter(None)
    return record


@pytest.fixture
def tasks() -> SyncTaskRunner:
    """Background work runs at once, on the test's thread."""
    return SyncTaskRunner()


# Pupils of the small school: (学籍号, 姓名, 性别, grade, class number, flags)
SMALL_PUPILS = [
    ("G1001", "张伟", "男", 3, 1, {"boarding": 1}),
    ("G1002", "阿依古丽", "女", 3, 1, {"left_behind": 1}),
    ("G1003", "白雪", "女", 3, 2, {}),
    ("G1004", "陈晨", "男", 3, 2, {"migrant": 1}),
    ("G1005", "王芳", "女", 4, 1, {"left_behind": 1, "boarding": 1}),
]


@pytest.fixture(scope="session")
def small_school_template(tmp_path_factory):
    """A school database made once with the services: 3 classes, 5 pupils, 2 teachers, admin 'admin'."""
    path = tmp_path_factory.mktemp("small-school") / "school.sqlite"
    db = setup.init_school(path, code="XS01", name="溪水完全小学", type="完小", passphrase=PASSPHRASE, today=TODAY)
    school = schools.school_by_code(db, "XS01")
    year_id = schools.current_term(db)["academic_year_id"]
    class_ids = {}
    for grade, number in ((3, 1), (3, 2), (4, 1)):
        class_ids[(grade, number)] = classes.create_class(db, SYSTEM, school_id=school["id"],
                                                          academic_year_id=year_id, grades=[grade], number=number)
    for no, name, gender, grade, number, flags in SMALL_PUPILS:
        pupils.add_pupil(db, SYSTEM, school["id"], {
            "student_no": no, "name": name, "gender": gender, "grade": grade,
            "class_id": class_ids[(grade, number)], "birth_date": f"{2025 - grade - 6}-05-01", **flags})
    teachers.add_teacher(db, SYSTEM, school["id"], {"staff_no": "T01", "name": "李明", "gender": "男",
                                                    "subjects": ["语文", "道德与法治"], "roles": ["班主任"]})
    teachers.add_teacher(db, SYSTEM, school["id"], {"staff_no": "T02", "name": "赵丽", "gender": "女",
                                                    "subjects": ["数学"], "titles": ["骨干"]})
    db.close()
    return path


@pytest.fixture
def small_school(small_school_template, tmp_path, boxes, qapp):
    """A private copy of the small school database."""
    path = tmp_path / "school.sqlite"
    shutil.copyfile(small_school_template, path)
    return path


@pytest.fixture
def school_session(small_school, tasks):
    """A logged-in session (the school's admin) on the small school database."""
    from app.db.database import open_database

    db = open_database(small_school)
    session = Session(small_school, db, login(db, "admin", PASSPHRASE), tasks)
    yield session
    db.close()


@pytest.fixture
def demo_session(demo_path, tasks, boxes, qapp):
    """A logged-in session (the township's admin) on a private copy of the demo township."""
    from app.db.database import open_database

    db = open_database(demo_path)
    session = Session(demo_path, db, login(db, "admin", "demo"), tasks)
    yield session
    db.close()


@pytest.fixture
def show_page(qtbot):
    """Return a function that shows a page alone at 1300×760 and returns it; each is deleted after
    the test (before the session it shows is closed, when that session is an earlier fixture)."""
    shown = []

    def show(widget):
        widget.resize(1300, 760)
        widget.show()
        qtbot.waitExposed(widget)
        shown.append(widget)
        return widget

    yield show
    for widget in shown:
        widget.close()
        shiboken6.delete(widget)


@pytest.fixture
def owned():
    """Return a function that keeps a top-level widget until the test ends, then deletes it."""
    widgets = []

    def own(widget):
        widgets.append(widget)
        return widget

    yield own
    for widget in widgets:
        widget.close()
        shiboken6.delete(widget)


@pytest.fixture
def make_window(tasks, qtbot):
    """Return a function that shows a main window on a session; each is deleted after the test.

    Deleted explicitly: a window left to PySide's clean-up at interpreter exit can crash it.
    """
    from ui.main_window import MainWindow

    made = []

    def make(session):
        win = MainWindow(session, tasks)
        win.show()
        qtbot.waitExposed(win)
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()
        shiboken6.delete(win)


@pytest.fixture
def window(school_session, make_window):
    """The main window on the small school, shown."""
    return make_window(school_session)


def audit_rows(db_path: Path, table: str) -> list[dict]:
    """Return the audit entries of `table` (checked independently of the GUI)."""
    from sqlite_utils import Database

    db = Database(db_path)
    try:
        return [dict(r) for r in db.query("SELECT * FROM audit_log WHERE table_name = ? ORDER BY id", [table])]
    finally:
        db.close()
