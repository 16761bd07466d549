"""Read one exam's marks into numpy arrays, one SQL query, grouped by school, class, grade, subject.

A *cell* is one school × class × grade × subject (a 复式 class gives one cell per grade). Marks are
kept as integers in hundredths of a point; the statuses are negative codes, so one int64 array holds
the whole exam. Pupils on the roster without a mark (app.stats.roster) are added to their cells as
MISSING (or EXEMPT for 体育免修), so every figure knows the whole class. SQLite concatenates each cell's marks (group_concat over the covering index
idx_mark_stats, by the integer keys of app.db.keys) and numpy parses the lot at once: far cheaper
than one Python tuple per mark.
"""
from __future__ import annotations

import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlite_utils import Database

from app.db.database import read_aside
from app.db.keys import ids_by_number, number_of, numbers_in
from app.services.exams import get_exam
from app.stats.presets import Preset, resolve
from app.stats.roster import missing_marks

ABSENT, EXEMPT, CHEAT, MISSING = -1, -2, -3, -4

# A score is never negative and is NULL exactly when the status is not 正常 (CHECK in the schema),
# so the status is only looked at for the few marks without a score.
# The cells are read by the integer keys (app.db.keys), which the index holds, and named afterwards.
# The outer query hands every cell's keys and marks over as six texts (a class of none is -1): no
# Python row per cell. Its group_concat sees the cells in the order the inner GROUP BY makes them.
_CELLS_SQL = (
    "SELECT group_concat(school_no), group_concat(IFNULL(class_no, -1)), group_concat(grade),"
    " group_concat(subject_no), group_concat(n), group_concat(codes) FROM"
    " (SELECT school_no, class_no, grade, subject_no, COUNT(*) AS n,"
    " group_concat(IFNULL(CAST(score * 100 + 0.5 AS INTEGER),"
    " CASE status WHEN '缺考' THEN -1 WHEN '免考' THEN -2 ELSE -3 END)) AS codes"
    f" FROM mark WHERE exam_no = {number_of('exam')} GROUP BY school_no, class_no, grade, subject_no)")


def _numbers(text: str | None) -> np.ndarray:
    """Return the integers of a comma-separated text (none for NULL)."""
    return np.fromstring(text, sep=",", dtype=np.int64) if text else np.zeros(0, np.int64)


def _positions(db: Database, kind: str, index: dict[str, int]) -> np.ndarray:
    """Return an array giving for each number of a `kind` row (app.db.keys) the row's position in
    `index` ({id: position}), -1 for a number of a row not in it."""
    by_number = ids_by_number(db, kind)
    table = np.full(max(by_number, default=0) + 1, -1, np.int64)
    for no, row_id in by_number.items():
        table[no] = index.get(row_id, -1)
    return table


@dataclass
class ExamCells:
    """An exam's marks as arrays. Per cell: school, class (-1 none), grade, subject (indexes into the
    lists) and count of marks; `codes` holds the marks cell after cell, each in hundredths of a point
    or ABSENT / EXEMPT / CHEAT / MISSING (on the roster, no mark). Cut-offs and full marks per cell are in hundredths of a point."""

    exam: dict
    subjects: list[dict]
    schools: list[dict]
    townships: list[dict]
    classes: list[dict]
    school: np.ndarray
    klass: np.ndarray
    grade: np.ndarray
    subject: np.ndarray
    count: np.ndarray
    codes: np.ndarray
    full_h: np.ndarray
    excellent_h: np.ndarray
    pass_h: np.ndarray
    low_h: np.ndarray
    _row_cell: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_cells(self) -> int:
        """Return the number of cells."""
        return len(self.count)

    def row_cell(self) -> np.ndarray:
        """Return, for every mark, the index of its cell."""
        if self._row_cell is None:
            self._row_cell = np.repeat(np.arange(self.n_cells, dtype=np.int64), self.count)
        return self._row_cell


@contextmanager
def paused_collector() -> Iterator[None]:
    """Within the block, no cyclic garbage collection (it is restored after, also on an error).

    Reading an exam and building its figures make tens of thousands of rows, tuples and record dicts,
    none in a cycle: every few hundred of them wake the collector, which then walks the whole heap
    (in the GUI or a long run, large) to free nothing. What the block made is still in the youngest
    generation when it ends, and the first allocation after would walk it all (a county's records:
    10-30 ms, to free nothing): it is moved to the oldest generation at once instead (gc.freeze
    then gc.unfreeze), where the next full collection still sees it. Where objects are frozen on
    purpose (the GUI's worker, ui.tasks) they stay frozen: the young ones are then walked as usual."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def load_cells(db: Database, exam_id: str, preset: Preset | None = None, *,
               school_ids: Collection[str] | None = None) -> ExamCells:
    """Return the marks of `exam_id` as ExamCells, with the roster's pupils without a mark as MISSING
    (the roster date follows `preset`, default the active quality preset); with `school_ids` only the
    cells of those schools (a school's own figures, the same as read with every school; ranks among
    schools need them all). Raises NotFound for an unknown exam.

    Marks of a subject no longer in the exam are left out (they have no full marks to judge them by).
    """
    exam = get_exam(db, exam_id)
    chosen = resolve(db, "quality", preset)
    # The roster's check (who lacks a mark) is independent of the marks read here: it runs on a second
    # connection beside them (app.db.database.read_aside).
    with paused_collector(), read_aside(db, missing_marks, exam, chosen, school_ids=school_ids) as missing:
        subjects = exam["subjects"]
        subject_index = {s["subject_id"]: i for i, s in enumerate(subjects)}
        townships = [dict(r) for r in db.query("SELECT id, code, name FROM township ORDER BY code")]
        township_index = {t["id"]: i for i, t in enumerate(townships)}
        # With `school_ids` only those schools and their classes are listed (in the same order as all
        # of them): a county's thousands of classes are not read for one school.
        wanted = sorted(set(school_ids)) if school_ids is not None else None
        among, among_args = ("", []) if wanted is None else (f" WHERE id IN ({','.join('?' * len(wanted))})", wanted)
        schools = []
        for r in db.query(f"SELECT id, code, name, type, township_id FROM school{among} ORDER BY code", among_args):
            row = dict(r)
            row["township"] = township_index.get(row["township_id"], -1)
            schools.append(row)
        school_index = {s["id"]: i for i, s in enumerate(schools)}
        classes = [dict(r) for r in db.query(
            f"SELECT id, name, number, school_id FROM class{among.replace('id IN', 'school_id IN')} ORDER BY number, name",
            among_args)]
        class_index = {c["id"]: i for i, c in enumerate(classes)}

        sql, args = _CELLS_SQL, [exam_id]
        if wanted is not None:
            sql = sql.replace(" GROUP BY", f" AND school_no IN {numbers_in('school', ','.join('?' * len(wanted)))} GROUP BY")
            args += wanted
        school_no, class_no, grade, subject_no, count, codes = map(_numbers, db.execute(sql, args).fetchone())
        if len(codes) != int(count.sum()):
            raise ValueError("成绩数据读取不完整")
        school = _positions(db, "school", school_index)[school_no]
        klass = np.where(class_no < 0, -1, _positions(db, "class", class_index)[np.maximum(class_no, 0)])
        subject = _positions(db, "subject", subject_index)[subject_no]
        # Marks of a subject no longer in the exam are left out.
        kept = subject >= 0
        if not kept.all():
            school, klass, grade, subject, count, codes = (
                school[kept], klass[kept], grade[kept], subject[kept], count[kept], codes[np.repeat(kept, count)])
        school, klass, grade, subject, count, codes = _with_missing(
            missing(), school_index, class_index, subject_index,
            school, klass, grade, subject, count, codes)

        # Full marks and cut-offs per (subject, grade), then looked up for every cell at once.
        # percent × points = hundredths of a point: 60 % of 100 is 6000 hundredths, exactly.
        table = np.zeros((4, max(1, len(subjects)), 10))
        for i, spec in enumerate(subjects):
            for g in range(10):
                cuts = spec["cutoffs"].get(g, spec["default_cutoffs"])
                table[:, i, g] = (spec["full_marks"] * 100, cuts["excellent_pct"] * spec["full_marks"],
                                  cuts["pass_pct"] * spec["full_marks"], cuts["low_pct"] * spec["full_marks"])
        full_h, excellent_h, pass_h, low_h = (table[k][subject, grade] for k in range(4))
        full_h = np.rint(full_h).astype(np.int64)
        return ExamCells(exam=exam, subjects=subjects, schools=schools, townships=townships, classes=classes,
                         school=school, klass=klass, grade=grade, subject=subject, count=count, codes=codes,
                         full_h=full_h, excellent_h=excellent_h, pass_h=pass_h, low_h=low_h)


def _with_missing(missing, school_index: dict, class_index: dict, subject_index: dict, school: np.ndarray,
                  klass: np.ndarray, grade: np.ndarray, subject: np.ndarray, count: np.ndarray,
                  codes: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return the cell arrays with one MISSING (or EXEMPT) code per roster pupil without a mark,
    in the pupil's cell (a new cell when the class has no mark in that subject)."""
    if not missing:
        return school, klass, grade, subject, count, codes
    cell_of = {key: i for i, key in enumerate(zip(school.tolist(), klass.tolist(), grade.tolist(), subject.tolist()))}
    cells: list[int] = []  # the cell of each code to add, in the order given
    added: list[int] = []
    new_keys: list[tuple[int, int, int, int]] = []
    for item in missing:
        if item.school_id not in school_index or item.subject_id not in subject_index:
            continue
        key = (school_index[item.school_id], class_index.get(item.class_id, -1), item.grade,
               subject_index[item.subject_id])
        if key not in cell_of:
            cell_of[key] = len(count) + len(new_keys)
            new_keys.append(key)
        cells.append(cell_of[key])
        added.append(EXEMPT if item.exempt else MISSING)
    if not cells:
        return school, klass, grade, subject, count, codes
    at, value = np.array(cells, np.int64), np.array(added, np.int64)
    # Each cell's codes stay together: a cell's added codes go after its marks, in the order given
    # (np.insert keeps that order at one place), and the new cells' codes after every cell's.
    old = at < len(count)
    merged = np.insert(codes, np.cumsum(count)[at[old]], value[old])
    fresh = np.argsort(at[~old], kind="stable")
    codes = np.concatenate((merged, value[~old][fresh]))
    new = np.array(new_keys, np.int64).reshape(-1, 4)
    count = (np.concatenate((count, np.zeros(len(new_keys), np.int64)))
             + np.bincount(at, minlength=len(count) + len(new_keys)))
    return (np.concatenate((school, new[:, 0])), np.concatenate((klass, new[:, 1])),
            np.concatenate((grade, new[:, 2])), np.concatenate((subject, new[:, 3])), count, codes)
