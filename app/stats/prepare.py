"""An exam's county-wide figures, computed ahead of the first report that needs them.

One school's report needs from every school of the exam only what app.stats.cache keeps: the ranks
and township figures (groups.county_ranks) and the value-added fit (progress.value_added_fit). A
change to the exam's marks anywhere in the county changes them all, so the first report after the
change pays for the whole county (on the county demo about 0.7 s of a 1.4 s report). The window runs
`prepare_changed` on its background worker after every change to marks or exams: when the user asks
for a report, the figures are kept in the process and stored for later processes (`schoolq report`,
every school's reports), and the report costs what the school's own data costs. On opening a
database it runs `prepare_term` the same way: what was changed outside the window (`schoolq
import-marks`, a copy from elsewhere) is computed before the first report asks.

The figures computed here are the very ones the reports read, through the same functions; nothing is
computed differently ahead of time.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from app.db.keys import number_of
from app.errors import SchoolQError
from app.services.schools import get_meta
from app.stats.cache import EXAM_TABLES
from app.stats.groups import county_ranks, shared_group_stats
from app.stats.lists import previous_exam
from app.stats.presets import resolve
from app.stats.progress import value_added_fit


def newest_change(db: Database) -> int:
    """Return the number of the database's newest change_log entry (0 when it has none)."""
    return db.execute("SELECT IFNULL(MAX(seq), 0) FROM change_log").fetchone()[0]


def changed_exams(db: Database, since: int) -> list[str]:
    """Return the ids of the exams still in the database whose marks or definitions changed after
    change_log entry `since`, oldest exam first. A mark's entry names its exam by its key's prefix
    (exam id and a slash); an entry of another exam table holds the exam's id in its recorded row."""
    marked = {row[0] for row in db.execute(
        "SELECT DISTINCT substr(row_key, 1, instr(row_key, '/') - 1) FROM change_log"
        " WHERE seq > ? AND tbl = 'mark'", [since])}
    others = ", ".join(f"'{table}'" for table in EXAM_TABLES if table != "mark")
    entries = db.execute(f"SELECT row_key, IFNULL(old, ''), IFNULL(new, '') FROM change_log WHERE seq > ?"
                         f" AND tbl IN ({others})", [since]).fetchall()  # a handful: definitions change rarely
    exams = [row[0] for row in db.execute("SELECT id FROM exam ORDER BY date, id")]
    defined = {exam_id for exam_id in exams for key, old, new in entries
               if key == exam_id or f'"{exam_id}"' in old or f'"{exam_id}"' in new}
    return [exam_id for exam_id in exams if exam_id in marked or exam_id in defined]


def prepare_exam(db: Database, exam_id: str, cancelled: Callable[[], bool] = lambda: False, *,
                 every_level: bool = True) -> bool:
    """Compute the exam's county-wide figures under the chosen quality preset, as a report would: the
    county's ranks and township figures, the value-added fit against the exam's default baseline
    (both stored for later processes too: computed only when what they read changed), and with
    `every_level` every level's figures (kept in this process, what 质量分析 and a report read).
    Return False when there was nothing to compute (the exam has no marks) or `cancelled()` turned
    true between two steps. Raises what the figures raise (SchoolQError for an exam they refuse)."""
    if db.execute(f"SELECT 1 FROM mark WHERE exam_no = {number_of('exam')} LIMIT 1", [exam_id]).fetchone() is None:
        return False
    steps: list[Callable[[], object]] = [lambda: county_ranks(db, exam_id, resolve(db, "quality", None))]
    if every_level:
        steps.insert(0, lambda: shared_group_stats(db, exam_id))
    baseline = previous_exam(db, exam_id)
    if baseline is not None:
        steps.append(lambda: value_added_fit(db, exam_id, baseline["id"]))
    for step in steps:
        if cancelled():
            return False
        step()
    return True


def prepare_changed(db: Database, since: int,
                    cancelled: Callable[[], bool] = lambda: False) -> tuple[int, list[str], list[str]]:
    """Prepare (prepare_exam) every exam that changed after change_log entry `since`; when the database
    has no such entry any more (a backup was put back), the current term's exams as prepare_term
    does. Return (the newest entry when it began, to pass as `since` next time, or `since` again when
    `cancelled()` turned true; the ids of the exams prepared; those whose figures were refused, SchoolQError: the report
    on them says why). Raises what else the figures raise (a fault of the program)."""
    head = newest_change(db)
    if head < since:  # not the change_log `since` was read from (a backup was put back): as on opening
        done, refused = prepare_term(db, cancelled)
        return (since if cancelled() else head), done, refused
    done = []
    refused = []
    for exam_id in changed_exams(db, since) if head > since else ():
        if cancelled():
            return since, done, refused
        try:
            if prepare_exam(db, exam_id, cancelled):
                done.append(exam_id)
        except SchoolQError:
            refused.append(exam_id)
    return (since if cancelled() else head), done, refused


def prepare_term(db: Database, cancelled: Callable[[], bool] = lambda: False) -> tuple[list[str], list[str]]:
    """Prepare what lasts across processes (prepare_exam without every level) of the exams of the
    database's current term, newest first: on opening a database whose marks changed outside the
    window, or that was never opened here, the first report finds them. Return (the ids of the exams
    prepared, of those refused as in prepare_changed); none without a current term. Raises what else
    the figures raise."""
    done: list[str] = []
    refused: list[str] = []
    for exam_id, in db.execute("SELECT e.id FROM exam e JOIN term t ON t.id = e.term_id WHERE t.code = ?"
                               " ORDER BY e.date DESC, e.id", [get_meta(db, "current_term")]).fetchall():
        if cancelled():
            break
        try:
            if prepare_exam(db, exam_id, cancelled, every_level=False):
                done.append(exam_id)
        except SchoolQError:
            refused.append(exam_id)
    return done, refused
