"""Writing the marks a checked file holds: after a preview (apply_marks), or in one go (import_marks).

Both are the one marks pipeline: app.marks.reading.check_marks reads and checks the file into a
MarksPlan, and this module writes the plan. The GUI previews the plan and writes it once the user
agrees (apply_marks, which first makes sure no stored mark differs from what the preview showed);
the CLI writes while it reads (import_marks). Either way the whole file goes in as one transaction
or not at all: all new marks with one audit entry naming the file, the exam and the count, and every
stored mark the file changes with its own audit entry (old → new).

import_marks is what `schoolq import-marks` does. It writes the new marks from a second
connection on a worker thread while the rest of the file is still being read and checked, and
commits only once the whole file has been accepted: on the county demo (half a million marks) the
checking then costs almost nothing on top of SQLite's own work. That transaction is opened
(BEGIN IMMEDIATE) before anything is read, so no one else can change the database between the
check and the write.
"""
from __future__ import annotations

import queue
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

from app.db.database import SchoolDatabase, open_writer
from app.db.keys import number_of
from app.db.writes import Actor, BulkInsert, update_row
from app.errors import ValidationError, invalid
from app.importing.early_sheet import EarlyRowsDiffer
from app.importing.workbook import Progress
from app.marks.plan import MarksPlan, mark_text
from app.marks.reading import check_marks, read_marks
from app.services.exams import find_exam
from app.services.permissions import require_mark_write
from app.stats.frame import paused_collector

WRITE_CACHE_MB = 32
HANDOVER_SECONDS = 0.0005
# A new mark as MarksPlan.inserts holds it; the exam's id is the same for all (BulkInsert's `fixed`).
_MARK_COLUMNS = ("school_id", "pupil_id", "subject_id", "class_id", "grade", "score", "status")
_SHOWN_CHANGES = 5
_CHANGED_MEANWHILE = ("读取文件之后,数据库中这次考试的成绩已被其他人修改。请重新读取文件后再导入"
                      "(本次未写入任何数据)。")


def _note(file_name: str, exam_name: str, count: int) -> str:
    return f"导入成绩:文件“{file_name}”,考试“{exam_name}”,{count} 条"


def apply_marks(db: Database, actor: Actor, plan: MarksPlan, *, progress: Progress | None = None) -> dict:
    """Write a checked marks plan in one transaction.

    Returns {"add", "update", "unchanged"}: what was written.
    Raises ValidationError (nothing written) when the plan has problems or when, since the file was
    read, someone changed a stored mark the plan changes or stored one it adds (the message names
    the pupil, the subject, what the preview showed and what is stored now); PermissionDenied when
    the actor may not write one of the marks (teachers: only classes and subjects they teach).
    """
    if plan.problems:
        raise ValidationError(list(plan.problems))
    _check_groups(db, actor, {(m[0], m[3], m[2]) for m in plan.inserts} | _update_groups(plan), plan.exam_id)
    total = max(len(plan.inserts) + len(plan.updates), 1)
    with _bulk_write(db), db.atomic():
        _require_unchanged(db, plan)
        insert = BulkInsert(db, actor, "mark", _MARK_COLUMNS, _note(plan.file_name, plan.exam_name,
                                                                   len(plan.inserts)), fixed={"exam_id": plan.exam_id})
        try:
            insert.add(_mark_rows(plan, progress, total))
        except sqlite3.IntegrityError as exc:
            raise invalid(_CHANGED_MEANWHILE) from exc
        insert.done()
        _apply_updates(db, actor, plan, progress, total)
    return {"add": len(plan.inserts), "update": len(plan.updates), "unchanged": plan.unchanged}


def import_marks(db: Database, actor: Actor, path, exam_id: str, *,
                 school_id: str | None = None) -> tuple[MarksPlan, dict | None]:
    """Read, check and write a marks file in one go: read_marks and apply_marks in less time.

    Returns (the plan, what was written as apply_marks gives it), or (the plan, None) when the
    plan has problems: then nothing is written. Raises what read_marks raises, PermissionDenied
    (nothing written) when the actor may not write one of the marks, and DatabaseBusy when another
    program's write still holds the database after the bounded wait.
    """
    exam = find_exam(db, exam_id)
    writer = open_writer(db)
    if writer is None:  # an in-memory database: one connection, one step after the other
        plan = read_marks(db, path, exam["id"], school_id=school_id)
        return plan, (None if plan.problems else apply_marks(db, actor, plan))
    try:
        with _bulk_write(writer):
            # Foreign keys are not looked up row by row (a quarter of SQLite's work here): every id
            # a new mark names was read from this database inside the transaction that writes it,
            # which no one else can change meanwhile, and BulkInsert finds each one's integer key
            # in the tables it read in that transaction (an unknown id is refused).
            writer.execute("PRAGMA foreign_keys = OFF")
            # The first rows are read early (check_marks' early_rows); should they not be the file's,
            # what was written is rolled back and the file read again the usual way.
            early = True
            while True:
                writer.begin_write()
                try:
                    with prompt_handover():
                        return _import_streaming(db, writer, actor, path, exam, school_id, early)
                except EarlyRowsDiffer:  # raised only when reading early: the second time round, it is not
                    writer.conn.rollback()
                    early = False
                except BaseException:
                    writer.conn.rollback()
                    raise
    finally:
        writer.close()


def _import_streaming(db: Database, writer: SchoolDatabase, actor: Actor, path, exam: dict,
                      school_id: str | None, early_rows: bool) -> tuple[MarksPlan, dict | None]:
    """The body of import_marks, inside the writer's open transaction. Raises EarlyRowsDiffer (with
    `early_rows`: see check_marks) besides what import_marks raises."""
    insert = BulkInsert(writer, actor, "mark", _MARK_COLUMNS, "", fixed={"exam_id": exam["id"]})
    stream = _WriterThread(insert)
    checked: set[tuple] = set()
    try:
        plan, batches = check_marks(db, path, exam["id"], school_id=school_id, early_rows=early_rows)
        for rows in batches:
            groups = {(m[0], m[3], m[2]) for m in rows} - checked
            _check_groups(db, actor, groups, exam["id"])
            checked.update(groups)
            stream.put(_statements(insert, rows, last=False))
        if not plan.problems:
            stream.put(_statements(insert, [], last=True))  # the rows left over from the last batch
    finally:
        stream.finish()
    if plan.problems:
        writer.conn.rollback()
        return plan, None
    _check_groups(db, actor, _update_groups(plan) - checked, exam["id"])
    insert.note = _note(plan.file_name, plan.exam_name, len(plan.inserts))
    insert.done()
    _apply_updates(writer, actor, plan, None, 1)
    writer.commit_write()
    return plan, {"add": len(plan.inserts), "update": len(plan.updates), "unchanged": plan.unchanged}


def _statements(insert: BulkInsert, rows: list[tuple], *, last: bool) -> list[tuple[str, list, int]]:
    """Return the INSERT statements of `rows` (BulkInsert.statements), made on the reading thread.
    Raises ValidationError when a row names an id the writer's transaction does not hold."""
    try:
        return list(insert.statements(rows, last=last))
    except sqlite3.IntegrityError as exc:
        raise invalid(_CHANGED_MEANWHILE) from exc


class _WriterThread:
    """Runs the INSERT statements of new marks on its own thread, in the order they were put."""

    def __init__(self, insert: BulkInsert):
        self.insert = insert
        self.batches: queue.Queue[list[tuple[str, list, int]] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.stopped = False  # interrupted: the batches still queued are not written
        self.thread = threading.Thread(target=self._run, name="marks-writer", daemon=True)
        self.thread.start()

    def put(self, statements: list[tuple[str, list, int]]) -> None:
        """Queue a batch of statements (waits while four are queued); raise the writer's error, if any."""
        self._raise()
        self.batches.put(statements)

    def finish(self) -> None:
        """Wait until every batch is written; raise the writer's error, if any. Interrupted while
        it waits (Ctrl+C), it tells the writer to skip what is left and waits for the batch it is
        writing before the interruption goes on: the connection is rolled back and closed next,
        which must not happen under the writer (the program crashed with a segmentation fault); a
        further Ctrl+C meanwhile does not cut that wait short."""
        ended = False
        try:
            self.batches.put(None)
            ended = True
            self.thread.join()
        except BaseException:
            self.stopped = True
            while True:
                try:
                    if not ended:
                        self.batches.put(None)  # the writer skips every batch now: there is room soon
                        ended = True
                    self.thread.join()
                    break
                except KeyboardInterrupt:
                    continue  # the first interruption goes on once the writer has ended
            raise
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            if isinstance(self.error, sqlite3.IntegrityError):
                raise invalid(_CHANGED_MEANWHILE) from self.error
            raise self.error

    def _run(self) -> None:
        while (statements := self.batches.get()) is not None:
            if self.error is not None or self.stopped:
                continue  # keep taking batches so put() never waits forever
            try:
                self.insert.run(statements)
            except BaseException as exc:  # noqa: BLE001 - handed to the reading thread by put() and finish()
                self.error = exc


def _require_unchanged(db: Database, plan: MarksPlan) -> None:
    """Raise ValidationError unless the exam's stored marks are still what `plan` was made against:
    each mark it changes holds the old value the preview showed, and none it adds is stored yet."""
    stored = {(pupil_id, subject_id): (score, status) for pupil_id, subject_id, score, status in db.execute(
        f"SELECT pupil_id, subject_id, score, status FROM mark WHERE exam_no = {number_of('exam')}", [plan.exam_id])}
    changed = [(u["key"], u["old"], stored[u["key"]] if u["key"] in stored else None)
               for u in plan.updates if stored.get(u["key"]) != u["stored"]]
    if stored:
        changed += [((pupil_id, subject_id), "", stored[(pupil_id, subject_id)])
                    for _, pupil_id, subject_id, *_ in plan.inserts if (pupil_id, subject_id) in stored]
    if not changed:
        return
    names = _pupil_names(db, {key[0] for key, _, _ in changed[:_SHOWN_CHANGES]})
    subjects = dict(db.execute("SELECT id, name FROM subject").fetchall())
    lines = []
    for (pupil_id, subject_id), old, now in changed[:_SHOWN_CHANGES]:
        previewed = f"预览时为 {old}" if old else "预览时没有成绩"
        current = f"现为 {mark_text(*now)}" if now is not None else "现已被删除"
        lines.append(f"{names.get(pupil_id, pupil_id)}的{subjects.get(subject_id, subject_id)}成绩"
                     f"({previewed},{current})")
    more = f"等 {len(changed)} 条" if len(changed) > _SHOWN_CHANGES else ""
    raise invalid(f"预览之后,其他用户修改了这次考试的成绩:{';'.join(lines)}{more}。"
                  "请重新读取文件、核对后再导入(本次未写入任何数据)。")


def _pupil_names(db: Database, pupil_ids: set[str]) -> dict[str, str]:
    """Return {pupil id: "name(学籍号 …)"} for the given pupils."""
    ids = sorted(pupil_ids)
    rows = db.execute(f"SELECT id, name, student_no FROM pupil WHERE id IN ({', '.join('?' * len(ids))})", ids)
    return {pid: f"{name}(学籍号 {no})" for pid, name, no in rows}


def _check_groups(db: Database, actor: Actor, groups: set[tuple], exam_id: str) -> None:
    """Raise PermissionDenied unless the actor may write marks of every (school, class, subject)
    in the exam `exam_id` (a teacher: by their assignments of the exam's term)."""
    if not groups:
        return
    term_id = db.execute("SELECT term_id FROM exam WHERE id = ?", [exam_id]).fetchone()[0]
    for school_id, class_id, subject_id in sorted(groups, key=lambda g: tuple(x or "" for x in g)):
        require_mark_write(db, actor, school_id, class_id, subject_id, term_id)


def _update_groups(plan: MarksPlan) -> set[tuple]:
    """Return the (school, class, subject) of every stored mark the plan changes."""
    return {u["group"] for u in plan.updates}


def _apply_updates(db: Database, actor: Actor, plan: MarksPlan, progress: Progress | None, total: int) -> None:
    for done, change in enumerate(plan.updates, start=1):
        update_row(db, actor, "mark", change["mark_id"], {"score": change["score"], "status": change["status"]})
        if progress is not None and done % 1000 == 0:
            progress((len(plan.inserts) + done) / total, f"已更新 {done} 条成绩")


def _mark_rows(plan: MarksPlan, progress: Progress | None, total: int) -> Iterator[tuple]:
    """Yield the new mark rows (_MARK_COLUMNS) in the order of the file, reporting progress."""
    for done, row in enumerate(plan.inserts, start=1):
        yield row
        if progress is not None and done % 10_000 == 0:
            progress(done / total, f"已写入 {done} 条成绩")


_handover_lock = threading.Lock()
_handover_users = [0, 0.0]  # blocks inside prompt_handover, the switch interval before the first


@contextmanager
def prompt_handover() -> Iterator[None]:
    """Within the block, a thread waiting for the interpreter gets it after HANDOVER_SECONDS at
    most, instead of Python's 5 ms (sys.setswitchinterval; restored when the last such block ends).

    The writing thread of an import needs the interpreter for a moment after each INSERT statement
    (about 250 for the county midterm); while the reading thread runs Python it waited up to 5 ms
    each time. (250 statements of 2,000 rows beside a busy Python thread: 1.6-1.9 s instead of
    2.3-2.4 s, load 2.)
    """
    with _handover_lock:
        if _handover_users[0] == 0:
            _handover_users[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(HANDOVER_SECONDS, _handover_users[1]))
        _handover_users[0] += 1
    try:
        yield
    finally:
        with _handover_lock:
            _handover_users[0] -= 1
            if _handover_users[0] == 0:
                sys.setswitchinterval(_handover_users[1])


@contextmanager
def _bulk_write(db: Database):
    """Within the block: a page cache of WRITE_CACHE_MB and no cyclic garbage collection.

    The county midterm's import (half a million marks into a database of 1.1 million) took the same
    time, within the machine's noise, with a cache of 2, 16, 32 and 128 MB (9–11 s at load 2), since
    the mark indexes hold small integer keys (app.db.keys); its peak memory grows with the cache:
    402, 417, 434 and 535 MB. 32 MB keeps the peak under the 500 MB the import may take with room to
    spare. The rows written are plain tuples and dicts without cycles, so pausing the collector
    only saves it from walking them again and again.
    """
    old = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {-WRITE_CACHE_MB * 1024}")
    try:
        with paused_collector():
            yield
    finally:
        db.execute(f"PRAGMA cache_size = {old}")

