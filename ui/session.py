"""The open database, the logged-in user and the background worker, shared by every page."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import Flag, auto
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from app.db.database import Database, open_database
from app.db.writes import Actor, role_name
from app.errors import SchoolQError
from app.paths import default_database_path
from app.queries.roster import database_kind
from app.services.audit import chain_head, sign_session_end
from app.services.schools import current_term, get_meta
from app.stats.prepare import newest_change, prepare_changed, prepare_term
from ui.tasks import SyncTaskRunner, TaskManager

log = logging.getLogger("schoolq")
T = TypeVar("T")
# The keys of the background tasks that prepare exams' figures: after a change (one at a time, the
# newest wins), and on opening the database.
PREPARE = "prepare figures"
PREPARE_ON_OPEN = "prepare figures on open"

KIND_NAMES = {"school": "学校", "township": "乡镇", "county": "县"}


class Changed(Flag):
    """What a write changed (after Anki's OpChanges): a page reloads only when something it shows
    changed. Combine with |; ALL after a package import or a change of the current term."""

    ROSTER = auto()       # schools, classes, pupils, teachers
    EXAMS = auto()        # exam definitions (subjects, grades, full marks)
    MARKS = auto()
    ASSIGNMENTS = auto()  # 任课: who teaches which class and subject
    TIMETABLE = auto()    # the timetable, day plans and curriculum plans
    ROUTINE = auto()      # observations, routine checks and pupil support (tutoring, 双困生)
    RECORDS = auto()      # homework, home visits and 集体备课 sessions (控辍与记录)
    SETTINGS = auto()     # terms, users, keys, presets and rule sets
    PACKAGES = auto()     # the logs of packages written and read
    ALL = ROSTER | EXAMS | MARKS | ASSIGNMENTS | TIMETABLE | ROUTINE | RECORDS | SETTINGS | PACKAGES


class Session(QObject):
    """One open database and who works in it.

    `db` belongs to the GUI thread; a background task gets its own connection from
    `worker_db()` (SQLite connections stay on the thread that opened them). After a write the
    page calls `notify_changed(what)`; `data_changed` carries that Changed to every page, and a
    page whose `depends_on` it touches reloads.
    """

    data_changed = Signal(object)

    def __init__(self, path: Path, db: Database, actor: Actor, tasks: TaskManager | SyncTaskRunner,
                 passphrase: str | None = None):
        super().__init__()
        self.path = Path(path)
        self.db = db
        self.actor = actor
        # The account's passphrase, kept for this session only: closing it signs the audit chain's
        # head, an administrator's with the database's key, another account's with its own key
        # (app.services.audit.sign_session_end).
        self._passphrase = passphrase
        self._started = chain_head(db)
        self.tasks = tasks
        self._local = threading.local()
        self._worker_dbs: list[Database] = []
        self._kind = database_kind(db)
        # The change_log entry up to which changed exams' figures were prepared (app.stats.prepare);
        # read and written on the worker only, after this.
        self._prepared = newest_change(db)

    @property
    def kind(self) -> str:
        """Return 'school', 'township' or 'county' (fixed for a database; safe on any thread)."""
        return self._kind

    @property
    def kind_name(self) -> str:
        """Return the kind in Chinese: 学校, 乡镇 or 县."""
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def is_township(self) -> bool:
        """Return True for a database that holds several schools (township or county)."""
        return self.kind != "school"


    @property
    def role_name(self) -> str:
        """Return the logged-in user's role in Chinese."""
        return role_name(self.actor.role, self.kind)

    @property
    def is_admin(self) -> bool:
        """Return True for a township or school administrator."""
        return self.actor.role in ("township_admin", "school_admin")

    def term_name(self) -> str:
        """Return the current term's Chinese name, or 未设置."""
        try:
            return current_term(self.db)["name"]
        except Exception:  # noqa: BLE001 - a database without a term still opens
            return "未设置"

    def home_school_code(self) -> str | None:
        """Return the school code a school database belongs to (meta school_code), else None."""
        return get_meta(self.db, "school_code")

    def worker_db(self) -> Database:
        """Return a connection for the calling thread (the GUI thread gets `db`)."""
        if threading.current_thread() is threading.main_thread():
            return self.db
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_database(self.path)
            self._local.db = db
            self._worker_dbs.append(db)
        return db

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Return `fn(db, actor, *args, **kwargs)` run on the background worker with the worker's
        connection and this session's user, the window repainting meanwhile (a write waits for the
        reading before it, and on a county database that may take seconds). Raises what `fn`
        raises: its role check, validation and audit are the service's own."""
        return self.tasks.run_modal(lambda _control: fn(self.worker_db(), self.actor, *args, **kwargs))

    def notify_changed(self, changed: Changed) -> None:
        """Tell every page what data changed (pages depending on it reload). After a change to marks
        or exams, the changed exams' county-wide figures are then computed on the worker, behind
        the pages' reloads (app.stats.prepare): the first report or 质量分析 view finds them."""
        self.data_changed.emit(changed)
        if changed & (Changed.MARKS | Changed.EXAMS):
            self.tasks.run(self._prepare, on_error=self._not_prepared, key=PREPARE)

    def prepare_on_open(self) -> None:
        """Once the window shows the database: compute on the worker, behind the first page's loads,
        what lasts of the current term's exams' figures (app.stats.prepare.prepare_term; quick when
        they are stored and still good), so a database changed outside the window or never opened
        here has them ready for the first report."""
        self.tasks.run(lambda control: prepare_term(self.worker_db(), control.cancelled)[0],
                       on_error=self._not_prepared, key=PREPARE_ON_OPEN)

    def _prepare(self, control: Any) -> list[str]:
        """Prepare the figures of the exams changed since the last time; return their ids."""
        self._prepared, done, _refused = prepare_changed(self.worker_db(), self._prepared, control.cancelled)
        return done

    @staticmethod
    def _not_prepared(error: BaseException) -> None:
        """Log a failure to prepare figures: the report that needs them computes them and says why."""
        log.warning("预先计算考试统计未完成", exc_info=error)

    def close(self) -> None:
        """Sign the session's end and close the worker's connection, both on the worker (opening
        the key with the passphrase takes a fifth of a second), then the GUI connection."""
        passphrase, self._passphrase = self._passphrase, None
        for key in (PREPARE, PREPARE_ON_OPEN):
            self.tasks.cancel(key)  # figures computed ahead would be of no use now

        def finish(_control: object) -> None:
            if passphrase:
                try:
                    sign_session_end(self.worker_db(), self.actor, passphrase, self._started)
                except SchoolQError:
                    log.warning("会话结束时未能签名审计记录", exc_info=True)  # e.g. a read-only or full disk
            db = getattr(self._local, "db", None)
            if db is not None:
                db.close()
                self._local.db = None

        if passphrase or self._worker_dbs:
            self.tasks.run_modal(finish)
            self._worker_dbs = []  # closing twice must not wait for a worker that may have stopped
        self.db.close()


def is_demo_path(path: Path | str) -> bool:
    """Return True when `path` is the embedded demo database."""
    try:
        return Path(path).resolve() == default_database_path().resolve()
    except OSError:
        return False
