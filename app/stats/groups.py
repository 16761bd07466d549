"""Figures per exam × subject × group: counts, mean, sd, median, 三率, score bands, 三率一分, ranks.

Who counts (the denominator policy of the exam, see ../shared/domain.md):
- 免考 is left out of every figure under both policies (it is still counted in n_roster and n_exempt).
- 缺考: under `sat` it is left out; under `roster` it counts as a score of 0. A pupil on the class
  roster on the roster date without any mark (app.stats.roster) is 缺考 too (n_missing of n_absent):
  leaving a pupil off the marks sheet never raises a figure.
- 作弊: the pupil sat the paper and it was voided, so it counts as a score of 0 under both policies
  (n_sat includes it). Leaving it out would reward marking weak papers 作弊.
So n = n_sat (sat) or n_sat + n_absent (roster), with n_sat = those who wrote the paper (正常 + 作弊),
and n_roster = every pupil on the roster = n_sat + n_absent + n_exempt (名册 N = 有成绩 M + 缺考 K + 免考).

Cut-offs: pass ≥ pass line, excellent ≥ excellent line, low < low line (percent of full marks, per exam,
subject and grade). Bands: ten bands of 10 % of full marks, band k holds scores in [10k %, 10(k+1) %),
the top band also holds full marks. The 三率一分 composite (0-100) comes from the active quality preset.
Ranks are competition ranks (1, 2, 2, 4) among peer groups of the same level, subject and grade, on the
composite; groups with n below the preset's minimum size are marked small_sample and not ranked, a group
without peers is not ranked, and a 抽测 exam (sample test, 000 篇9) is never ranked (app.stats.ranking).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from app.errors import invalid
from app.stats.cache import kept, lasting, peek
from app.stats.frame import ABSENT, CHEAT, EXEMPT, MISSING, ExamCells, load_cells, paused_collector
from app.stats.graded import is_graded
from app.stats.presets import Preset, resolve
from app.stats.ranking import LOW_GRADES, exam_may_rank

LEVELS = ("class", "grade", "school", "township")
LEVEL_NAMES = {"class": "班级", "grade": "年级", "school": "学校", "township": "乡镇"}


class _RowView:
    """Row-level arrays of an exam under one policy (computed once, shared by every level).

    The counts (roster, absent, exempt, cheat, n) are over every row; the score figures (total,
    spread, order statistics, 三率, bands) only over the included rows of scored subjects, as a
    graded subject (等级) has none of them: its cells' score sums stay 0 and are never shown."""

    def __init__(self, cells: ExamCells, policy: str):
        codes = cells.codes
        row_cell = cells.row_cell()
        normal = codes >= 0
        self.n_cells = cells.n_cells
        self.row_cell = row_cell
        self.policy = policy
        self.roster = cells.count
        self.graded = np.array([is_graded(s) for s in cells.subjects] or [False], bool)
        # The marks without a score counted per cell and status, column k for the code -k: 1 缺考,
        # 2 免考, 3 作弊, 4 on the roster without a mark (ABSENT, EXEMPT, CHEAT, MISSING); column 0
        # is unused. A mark has exactly one status, and these are a few of the exam's marks.
        other = np.flatnonzero(~normal)
        self.by_status = np.bincount(row_cell[other] * 5 - codes[other],
                                     minlength=self.n_cells * 5).reshape(self.n_cells, 5)
        included = codes != EXEMPT if policy == "roster" else normal | (codes == CHEAT)
        graded_row = self.graded[cells.subject][row_cell]
        self.graded_real = normal & graded_row
        scored = included & ~graded_row
        cell = row_cell[scored]
        value = np.maximum(codes[scored], 0)  # 缺考 and 作弊 count as 0
        self.scored_cell = cell
        self.scored_value = value
        self.passed = value >= cells.pass_h[cell]
        self.excellent = value >= cells.excellent_h[cell]
        self.low = value < cells.low_h[cell]
        # Band k holds [10k %, 10(k+1) %) of full marks: floor(10 × value / full), in floats, which
        # is exact for these integers (value × 10 and full are far below 2 ** 53, and a quotient
        # short of an integer k is short by at least 1 / full, far more than a rounding).
        self.band = np.minimum(9, (value * 10) / np.maximum(cells.full_h, 1)[cell]).astype(np.int64)
        # The same values as floats (what subtracting a float mean turns them into) and, when they fit,
        # as 32-bit integers (the order statistics' sort keys): converted once for every level.
        self.scored_float = value.astype(np.float64)
        top = int(value.max()) if len(value) else 0
        self.span = top + 1
        self.scored_int32 = value.astype(np.int32) if top < 2 ** 31 else None
        self._cell_levels: np.ndarray | None = None

    def cell_levels(self, cells: ExamCells) -> np.ndarray:
        """Return per cell the number of marks at each level position (column k: level k, 1 = best)
        of the graded subjects' real marks, counted once for every level of aggregation."""
        if self._cell_levels is None:
            width = max(len(s["levels"] or ()) for s in cells.subjects) + 2 if cells.subjects else 2
            level = np.clip(cells.codes[self.graded_real] // 100, 0, width - 1)
            self._cell_levels = np.bincount(self.row_cell[self.graded_real] * width + level,
                                            minlength=self.n_cells * width).reshape(self.n_cells, width)
        return self._cell_levels


def _cell_sums(view: _RowView) -> dict[str, np.ndarray]:
    n = view.n_cells
    scored = view.scored_cell
    by_status = view.by_status
    absent = by_status[:, -ABSENT] + by_status[:, -MISSING]
    sums = {
        "n_roster": view.roster,
        "n_absent": absent,
        "n_missing": by_status[:, -MISSING],
        "n_exempt": by_status[:, -EXEMPT],
        "n_cheat": by_status[:, -CHEAT],
        # Who counts (module docstring): all but 免考, and under sat all but 缺考 too.
        "n": view.roster - by_status[:, -EXEMPT] - (absent if view.policy == "sat" else 0),
        "total_h": np.bincount(scored, weights=view.scored_value, minlength=n),
        "pass": np.bincount(scored[view.passed], minlength=n),
        "excellent": np.bincount(scored[view.excellent], minlength=n),
        "low": np.bincount(scored[view.low], minlength=n),
    }
    sums["bands"] = np.bincount(scored * 10 + view.band, minlength=n * 10).reshape(n, 10)
    return sums


def _group_keys(cells: ExamCells, level: str, pooled: bool) -> np.ndarray:
    """Return one int64 key per cell, equal within a group and sorting groups in display order:
    township or school (by code), grade, class (by number), subject (catalogue order)."""
    n_subjects = max(1, len(cells.subjects))
    n_classes = len(cells.classes) + 1
    grade = np.zeros_like(cells.grade) if pooled else cells.grade
    klass = cells.klass + 1 if level == "class" else np.zeros_like(cells.klass)
    if level == "township":
        township_of_school = np.array([s["township"] for s in cells.schools] or [0], np.int64) + 1
        unit = township_of_school[cells.school]
    else:
        unit = cells.school
    return ((unit * 10 + grade) * n_classes + klass) * n_subjects + cells.subject


def _vector_ranks(peer: np.ndarray, value: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (rank, number ranked) per group as arrays: competition ranks by `value`, descending,
    among eligible groups with the same `peer` key; values equal to 9 decimals tie. The rank is 0
    for a group not ranked: not eligible, or no eligible peer but itself."""
    rank = np.zeros(len(peer), np.int64)
    idx = np.flatnonzero(eligible)
    if len(idx):
        rounded = np.round(value[idx], 9)
        order = idx[np.lexsort((-rounded, peer[idx]))]
        sorted_peer, sorted_value = peer[order], np.round(value[order], 9)
        position = np.arange(len(order))
        new_peer = np.concatenate(([True], sorted_peer[1:] != sorted_peer[:-1]))
        new_value = new_peer | np.concatenate(([True], sorted_value[1:] != sorted_value[:-1]))
        peer_start = np.maximum.accumulate(np.where(new_peer, position, 0))
        tie_start = np.maximum.accumulate(np.where(new_value, position, 0))
        rank[order] = tie_start - peer_start + 1
    _, peer_id = np.unique(peer, return_inverse=True)
    ranked_per_peer = np.bincount(peer_id.reshape(-1), weights=eligible.astype(np.float64))
    rank_of = ranked_per_peer[peer_id.reshape(-1)].astype(np.int64)
    return np.where(rank_of > 1, rank, 0), rank_of


def _order_statistics(view: _RowView, row_gid: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return (median, max, min) per group, in hundredths, of the scored rows (`row_gid`: the group
    of each; `counts`: how many each group has) from one sort of (group, value) keys: a group's
    values lie together in the sorted keys, so each figure is one key minus the group's offset.
    Groups without a scored row get a harmless value (their figures are dropped)."""
    values = view.scored_value
    groups = len(counts)
    span = view.span
    offset = np.arange(groups, dtype=np.int64) * span
    if groups * span < 2 ** 31 and view.scored_int32 is not None:
        # Half the bytes to move: a county exam sorts about twice as fast in 32 bits.
        keys = offset.astype(np.int32)[row_gid] + view.scored_int32
    else:
        keys = row_gid * span + values
    ordered = np.sort(keys)
    last = len(ordered) - 1

    def at(index: np.ndarray) -> np.ndarray:
        if last < 0:
            return np.zeros(groups)
        return (ordered[np.clip(index, 0, last)].astype(np.int64) - offset).astype(np.float64)

    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    mid = starts + counts // 2
    median = np.where(counts % 2 == 1, at(mid), (at(mid - 1) + at(mid)) / 2)
    return median, at(starts + counts - 1), at(starts)


_RECORD_KEYS = (
    "level", "exam_id", "township_code", "township_name", "school_code", "school_name", "school_type", "grade",
    "class_id", "class_name", "subject", "subject_code", "full_marks", "policy", "n_roster", "n_sat", "n_absent",
    "n_missing", "n_exempt", "n_cheat", "n", "total", "mean", "sd", "median", "max", "min", "pass_count", "excellent_count",
    "low_count", "pass_rate", "excellent_rate", "low_rate", "bands", "grades", "mean_pct", "composite", "small_sample",
    "rank",
    "rank_of", "preset_id", "preset_hash")
_RECORD_TEMPLATE: dict = dict.fromkeys(_RECORD_KEYS)
_FIGURES = ("total", "mean", "sd", "median", "max", "min", "pass_rate", "excellent_rate", "low_rate", "mean_pct",
            "composite")
_COUNTS = ("n_roster", "n_absent", "n_missing", "n_exempt", "n_cheat")


@dataclass
class _Groups:
    """The groups of one level (pooled: all grades together) with what ranks them: one entry per
    group, in display order."""

    first_cell: np.ndarray  # the first cell of each group
    gid: np.ndarray  # the group of each cell
    sums: dict[str, np.ndarray]  # the cells' sums (_cell_sums, bands left out) added up per group
    n: np.ndarray  # the denominator (int)
    subject: np.ndarray  # index into cells.subjects
    graded: np.ndarray  # assessed by grade (等级): counts and a distribution only, never ranked
    mean_h: np.ndarray  # mean in hundredths of a point (NaN when n is 0)
    full: np.ndarray  # full marks
    rates: dict[str, np.ndarray]  # pass / excellent / low rates
    composite: np.ndarray  # 三率一分
    rank: np.ndarray  # competition rank among peers, 0 when not ranked
    rank_of: np.ndarray  # how many peers are ranked

    def ranks(self) -> list[int | None]:
        """Return the rank of each group, None where it is not ranked (graded subjects never are)."""
        return [r or None for r in np.where(self.graded, 0, self.rank).tolist()]


def _ranked_groups(cells: ExamCells, view: _RowView, sums: dict, level: str, pooled: bool, preset: Preset,
                   min_size: int, rank_small: bool) -> _Groups:
    """Return the groups of `level` (pooled: all grades together) with their summed cell figures,
    mean, rates, composite and rank (see _Groups). Empty groups get NaN."""
    keys = _group_keys(cells, level, pooled)
    uniq, first_cell, gid = np.unique(keys, return_index=True, return_inverse=True)
    gid = gid.reshape(-1)
    groups = len(uniq)
    agg = {k: np.bincount(gid, weights=v, minlength=groups) for k, v in sums.items() if k != "bands"}
    counts = agg["n"].astype(np.int64)
    subject_of = cells.subject[first_cell]
    graded = view.graded[subject_of]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_h = agg["total_h"] / counts
        full = np.array([s["full_marks"] for s in cells.subjects], np.float64)[subject_of]
        rates = {k: agg[k] / counts for k in ("pass", "excellent", "low")}
        w = preset["composite"]
        composite = 100.0 * (w["mean"] * mean_h / 100.0 / full + w["pass_rate"] * rates["pass"]
                             + w["excellent_rate"] * rates["excellent"] + w["not_low_rate"] * (1.0 - rates["low"]))
    peer = subject_of * 10 + (0 if pooled else cells.grade[first_cell])
    low_grade = np.zeros(groups, bool) if pooled else np.isin(cells.grade[first_cell], LOW_GRADES)
    eligible = ((counts > 0) & (rank_small | (counts >= min_size)) & exam_may_rank(cells.exam) & ~graded
                & ~low_grade)
    rank, rank_of = _vector_ranks(peer, np.nan_to_num(composite), eligible)
    return _Groups(first_cell, gid, agg, counts, subject_of, graded, mean_h, full, rates, composite, rank, rank_of)


def _names(items: list[dict], key: str) -> np.ndarray:
    """Return items' `key` values as an object array with None appended: index -1 (none) gives None."""
    out = np.empty(len(items) + 1, object)
    out[:-1] = [item[key] for item in items]
    return out


def _aggregate(cells: ExamCells, view: _RowView, sums: dict, level: str, pooled: bool,
               preset: Preset, min_size: int, policy: str, rank_small: bool) -> list[dict]:
    """Return the records of `level`'s groups (pooled: all grades together) in display order (see
    group_stats for their keys)."""
    if cells.n_cells == 0:
        return []
    found = _ranked_groups(cells, view, sums, level, pooled, preset, min_size, rank_small)
    first_cell, gid, counts, agg, mean_h = found.first_cell, found.gid, found.n, found.sums, found.mean_h
    groups = len(first_cell)
    row_gid = gid[view.scored_cell]
    with np.errstate(invalid="ignore", divide="ignore"):
        deviation = np.subtract(view.scored_float, mean_h[row_gid])
        ss = np.bincount(row_gid, weights=np.multiply(deviation, deviation, out=deviation), minlength=groups)
        # A scored group's included rows are all scored; a graded group has none.
        median_h, max_h, min_h = _order_statistics(view, row_gid, np.where(found.graded, 0, counts))
        figures = (agg["total_h"] / 100.0, mean_h / 100.0, np.sqrt(ss / counts) / 100.0, median_h / 100.0,
                   max_h / 100.0, min_h / 100.0, found.rates["pass"], found.rates["excellent"],
                   found.rates["low"], mean_h / 100.0 / found.full, found.composite)

    ints = {k: agg[k].astype(np.int64) for k in (*_COUNTS, "pass", "excellent", "low")}
    n_sat = ints["n_roster"] - ints["n_absent"] - ints["n_exempt"]
    shown = np.ones(groups, bool)
    if policy == "sat":
        # A group whose whole roster lacks a mark has no figure under the sat basis: nothing to show.
        shown = (n_sat > 0) | (ints["n_missing"] + ints["n_exempt"] < ints["n_roster"])

    # Each record starts as a copy of the level's template (what every group shares) and takes the
    # columns that differ: a scored subject's figures, or a graded one's distribution.
    template = _RECORD_TEMPLATE.copy()
    template.update(level=level, exam_id=cells.exam["id"], policy=policy, preset_id=preset.id,
                    preset_hash=preset.hash)
    school = cells.school[first_cell]
    columns: dict[str, np.ndarray] = {
        "subject": _names(cells.subjects, "name")[found.subject],
        "subject_code": _names(cells.subjects, "code")[found.subject], "full_marks": found.full,
        "n_sat": n_sat, **{k: ints[k] for k in _COUNTS}, "n": counts, "small_sample": counts < min_size}
    township = np.array([s["township"] for s in cells.schools] or [-1], np.int64)[school]
    columns.update(township_code=_names(cells.townships, "code")[township],
                   township_name=_names(cells.townships, "name")[township])
    if level != "township":
        columns.update({k: _names(cells.schools, k.removeprefix("school_"))[school]
                        for k in ("school_code", "school_name", "school_type")})
    if not pooled:
        columns["grade"] = cells.grade[first_cell]
    if level == "class":
        klass = cells.klass[first_cell]
        columns.update(class_id=_names(cells.classes, "id")[klass], class_name=_names(cells.classes, "name")[klass])
    scored_columns = {**columns, **dict(zip(_FIGURES, figures)), "pass_count": ints["pass"],
                      "excellent_count": ints["excellent"], "low_count": ints["low"], "rank_of": found.rank_of}

    records: list = [None] * groups
    scored = np.flatnonzero(shown & ~found.graded)
    if len(scored):
        keys = list(scored_columns)
        values = [scored_columns[k][scored].tolist() for k in keys]
        empty = np.flatnonzero(counts[scored] == 0).tolist()
        for column in values[len(columns):len(columns) + len(_FIGURES)]:
            for i in empty:  # nobody counted: no figures rather than NaN
                column[i] = None
        bands = [np.bincount(gid, weights=sums["bands"][:, b], minlength=groups)[scored] for b in range(10)]
        _fill(records, template, scored, [*keys, "rank", "bands"],
              [*values, [r or None for r in found.rank[scored].tolist()],
               np.column_stack(bands).astype(np.int64).tolist()])
    graded = np.flatnonzero(shown & found.graded)
    if len(graded):
        _fill(records, template, graded, [*columns, "grades"],
              [*(column[graded].tolist() for column in columns.values()),
               _grade_distributions(cells, view, gid, found.subject, graded)])
    return records if shown.all() else [r for r in records if r is not None]


def _fill(records: list, template: dict, groups: np.ndarray, keys: list[str], values: list[list]) -> None:
    """Put in records[g], for each group g of `groups`, a copy of `template` with `keys` set to the
    group's `values` (a list per key, in the order of `groups`)."""
    for g, row in zip(groups.tolist(), zip(*values)):
        # A copy of the full-sized template filled in place: no growing each dict key by key.
        record = template.copy()
        record.update(zip(keys, row))
        records[g] = record


def _grade_distributions(cells: ExamCells, view: _RowView, gid: np.ndarray, subject_of: np.ndarray,
                         groups: np.ndarray) -> list[dict[str, int]]:
    """Return for each of the graded `groups` {level: pupils at that level}, levels in scale order
    (a graded mark's score is its level's position, 1 = best)."""
    per_cell = view.cell_levels(cells)
    size = int(gid.max()) + 1
    counted = np.column_stack([np.bincount(gid, weights=per_cell[:, k], minlength=size)[groups]
                               for k in range(per_cell.shape[1])]).astype(np.int64)
    levels = [cells.subjects[i]["levels"] for i in subject_of[groups].tolist()]
    return [dict(zip(names, row[1:])) for names, row in zip(levels, counted.tolist())]


def group_stats_from_cells(cells: ExamCells, levels: Iterable[str] = LEVELS, *, preset: Preset,
                           policy: str | None = None, min_size: int | None = None,
                           include_small_in_ranks: bool = False) -> dict[str, list[dict]]:
    """Return {level: records} for already loaded cells (see group_stats for the record keys)."""
    policy = policy or cells.exam["policy"]
    if policy not in ("sat", "roster"):
        raise invalid(f"统计口径“{policy}”不对:只能是 sat 或 roster。", "policy")
    min_size = int(preset["min_group_size"] if min_size is None else min_size)
    for level in levels:
        if level not in LEVELS:
            raise invalid(f"统计层级“{level}”不对:只能是 {' / '.join(LEVELS)}。", "level")
    view = _RowView(cells, policy)
    return _level_records(cells, view, _cell_sums(view), levels, preset, min_size, policy, include_small_in_ranks)


def _level_records(cells: ExamCells, view: _RowView, sums: dict, levels: Iterable[str], preset: Preset,
                   min_size: int, policy: str, rank_small: bool) -> dict[str, list[dict]]:
    """Return {level: records} of the cells' row view and cell sums (see group_stats_from_cells)."""
    out = {}
    with paused_collector():  # a county's 24,000 record dicts: no cycles among them
        for level in levels:
            records = _aggregate(cells, view, sums, level, level == "school", preset, min_size, policy, rank_small)
            if level == "township":
                records += _aggregate(cells, view, sums, level, True, preset, min_size, policy, rank_small)
            out[level] = records
    return out


def group_stats(db: Database, exam_id: str, level: str = "class", *, preset: Preset | str | None = None,
                policy: str | None = None, min_size: int | None = None,
                include_small_in_ranks: bool = False, school_ids: Collection[str] | None = None) -> list[dict]:
    """Return the figures of every group of one level for every subject of an exam.

    Levels: class (school × class × grade: a 复式 class gives one record per grade), grade (school ×
    grade), school (all grades of a school together, grade None), township (township × grade, then
    township × all grades with grade None). Each record holds level, exam_id, township_code/name,
    school_code/name/type (None at township level), grade, class_id/class_name (None above class
    level), subject, subject_code, full_marks, policy, n_roster (名册), n_sat (有成绩: wrote the paper),
    n_absent (缺考, including n_missing: on the roster without a mark), n_exempt, n_cheat, n (the denominator), total, mean, sd (population), median, max, min, pass/excellent/low counts
    and rates (fractions 0-1), bands (10 counts), mean_pct, composite (三率一分, 0-100),
    small_sample, rank and rank_of, preset_id and preset_hash. Figures are None when n is 0. A graded
    subject (等级, app.stats.graded) has `grades` {level: pupils}, e.g. {"A": 12, "B": 20, "C": 3}, and no
    mean, rates, bands, composite or rank (grades is None for a scored subject).

    `policy` overrides the exam's (sat / roster); `min_size` the preset's minimum group size;
    `school_ids` reads only those schools' marks: their groups' figures are the same, but ranks are
    then among them only (a school's trend needs no rank).
    Raises NotFound (exam, preset), ValidationError (level, policy, preset of another kind).
    """
    chosen = resolve(db, "quality", preset)
    if school_ids is None and not include_small_in_ranks:
        return all_group_stats(db, exam_id, preset=chosen, policy=policy, min_size=min_size)[level]
    cells = load_cells(db, exam_id, chosen, school_ids=school_ids)
    return group_stats_from_cells(cells, [level], preset=chosen, policy=policy, min_size=min_size,
                                  include_small_in_ranks=include_small_in_ranks)[level]


def group_stats_of_schools(db: Database, exam_id: str, school_ids: Collection[str], levels: Iterable[str] = LEVELS,
                           *, preset: Preset | str | None = None) -> dict[str, list[dict]]:
    """Return {level: records} (see group_stats) of the groups at `school_ids`, reading only their
    marks, once for every level: each group, and each township all of whose schools are among them,
    has exactly the figures it has among every school, but ranks are among these schools only (a
    township summary ranks its schools itself). Raises as group_stats."""
    chosen = resolve(db, "quality", preset)
    return group_stats_from_cells(load_cells(db, exam_id, chosen, school_ids=school_ids), levels, preset=chosen)


def _levels_key(exam_id: str, chosen: Preset, policy: str | None, min_size: int | None) -> tuple:
    return ("group figures", exam_id, chosen.id, chosen.hash, policy, min_size)


def kept_group_stats(db: Database, exam_id: str, *, preset: Preset | str | None = None) -> dict[str, list[dict]] | None:
    """Return the exam's records of all four levels if they are kept already (see all_group_stats),
    shared: the caller only reads them; else None, computing nothing."""
    found = peek(db, _levels_key(exam_id, resolve(db, "quality", preset), None, None))
    return found[0] if found is not None else None


def _kept_levels(db: Database, exam_id: str, chosen: Preset, policy: str | None,
                 min_size: int | None) -> tuple[dict[str, list[dict]], dict[str, dict[str | None, list[dict]]]]:
    """Return the exam's records of all four levels and the same records by level and school code,
    computed once while what they read is unchanged (app.stats.cache: another exam's marks or a
    timetable leave them)."""
    def compute() -> tuple[dict, dict]:
        cells = load_cells(db, exam_id, chosen)
        levels = group_stats_from_cells(cells, LEVELS, preset=chosen, policy=policy, min_size=min_size)
        by_school: dict[str, dict[str | None, list[dict]]] = {}
        for level, records in levels.items():
            for r in records:
                by_school.setdefault(level, {}).setdefault(r["school_code"], []).append(r)
        return levels, by_school

    return kept(db, _levels_key(exam_id, chosen, policy, min_size), compute, exams=[exam_id])


def all_group_stats(db: Database, exam_id: str, *, preset: Preset | str | None = None, policy: str | None = None,
                    min_size: int | None = None) -> dict[str, list[dict]]:
    """Return {level: records} for all four levels, reading the marks once (see group_stats).

    The figures are computed once while the database is unchanged (app.stats.cache): a county's
    200 school reports, or the GUI moving between views of one exam, share them. Each call gets
    its own record dicts."""
    levels, _ = _kept_levels(db, exam_id, resolve(db, "quality", preset), policy, min_size)
    return {level: [dict(r) for r in records] for level, records in levels.items()}


def shared_group_stats(db: Database, exam_id: str, preset: Preset | str | None = None) -> dict[str, list[dict]]:
    """Return all_group_stats' records of the exam under `preset` with the sheet's own policy and
    group size, shared with every other caller while the data is unchanged (app.stats.cache): the
    caller only reads them. Raises as all_group_stats."""
    return _kept_levels(db, exam_id, resolve(db, "quality", preset), None, None)[0]


def school_group_stats(db: Database, exam_id: str, school_code: str, *,
                       preset: Preset | str | None = None) -> dict[str, list[dict]]:
    """Return all_group_stats' records of one school (class, grade and school levels) and of every
    township, copied: what one school's report needs, without copying a county's records for each
    school. Unless every school's figures are kept in this process already, only the school's own
    marks are read for its figures, and every group's rank and the townships' figures come from
    _county_ranks, computed once while the database is unchanged, in this process and later ones
    (app.stats.cache.lasting). Raises as all_group_stats."""
    chosen = resolve(db, "quality", preset)
    found = peek(db, _levels_key(exam_id, chosen, None, None))
    if found is not None:
        return {level: [dict(r) for r in found[1].get(level, {}).get(None if level == "township" else school_code, [])]
                for level in LEVELS}
    county = county_ranks(db, exam_id, chosen)
    school = db.execute("SELECT id FROM school WHERE code = ?", [school_code]).fetchone()
    own = group_stats_from_cells(load_cells(db, exam_id, chosen, school_ids=[school[0]] if school else []),
                                 SCHOOL_LEVELS, preset=chosen)
    ranks = {tuple(row[:5]): row[5:] for row in county["ranks"] if row[1] == school_code}
    for level, records in own.items():
        for r in records:
            r["rank"], r["rank_of"] = ranks[(level, school_code, r["class_id"], r["grade"], r["subject_code"])]
    return {**own, "township": [dict(r) for r in county["township"]]}


SCHOOL_LEVELS = ("class", "grade", "school")


def county_ranks(db: Database, exam_id: str, chosen: Preset) -> dict:
    """Return _county_ranks of the exam under `chosen`, computed once while what it reads is unchanged,
    in this process and in later ones (app.stats.cache.lasting). Raises as all_group_stats."""
    return lasting(db, ("county ranks", exam_id, chosen.id, chosen.hash), lambda: _county_ranks(db, exam_id, chosen),
                   exams=[exam_id])


def _county_ranks(db: Database, exam_id: str, chosen: Preset) -> dict:
    """Return what one school's figures need from every school of the exam: {"ranks": [[level,
    school_code, class_id, grade, subject_code, rank, rank_of], …] of every group below the township
    level, "township": the township records}.

    Only the township records are made whole: a group's rank needs no more of its peers than their
    composites (from the cells' sums), not their medians, spreads or records."""
    cells = load_cells(db, exam_id, chosen)
    policy, min_size = cells.exam["policy"], int(chosen["min_group_size"])
    view = _RowView(cells, policy)
    sums = _cell_sums(view)
    township = _level_records(cells, view, sums, ["township"], chosen, min_size, policy, False)["township"]
    ranks: list[list] = []
    for level in SCHOOL_LEVELS if cells.n_cells else ():
        pooled = level == "school"
        found = _ranked_groups(cells, view, sums, level, pooled, chosen, min_size, False)
        first_cell = found.first_cell
        subjects = [cells.subjects[i]["code"] for i in found.subject.tolist()]
        schools = [cells.schools[i]["code"] for i in cells.school[first_cell].tolist()]
        grades = [None] * len(subjects) if pooled else cells.grade[first_cell].tolist()
        classes = ([cells.classes[k]["id"] if k >= 0 else None for k in cells.klass[first_cell].tolist()]
                   if level == "class" else [None] * len(subjects))
        # A graded subject (等级) has no rank at all (see _aggregate).
        rank_of = [None if graded else of for graded, of in zip(found.graded.tolist(), found.rank_of.tolist())]
        for row in zip(schools, classes, grades, subjects, found.ranks(), rank_of):
            ranks.append([level, *row])
    return {"ranks": ranks, "township": township}
