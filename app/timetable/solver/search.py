"""自动排课's search on the CP-SAT model (app.timetable.solver.cpsat), in two phases: any timetable
meeting every hard rule as fast as possible, then, from that one, better ones until the time limit
or 停止: first for the teachers' gaps alone (a search with the one aim finds far fewer gaps in the
same time than the weighted sum, bench), then for the whole weighted soft score with no more gaps
than that. The solver runs with 2 workers and a fixed seed.

A township's timetable is improved one school at a time, round after round: the lessons of every
other school stay where they are while CP-SAT's large neighbourhood search rearranges one school's,
each school for a share of a round in proportion to its size. The schools are linked only by their
走教 teachers, so a school's part is a small model that CP-SAT searches much faster than the whole
township (bench: the county's largest township from 278 teacher gaps to 42 in 30 s instead of 98).
A single school is searched as a whole. The first timetable of a school whose pupils fall into large
separate groups of classes (the years of FET's Bethlen example) is searched for one group at a time
(app.timetable.solver.parts).
"""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.timetable.model import Slot
from app.timetable.solver.cpsat import Model, cp_model
from app.timetable.solver.metrics import measure
from app.timetable.solver.parts import first_by_groups, student_groups, worth_splitting
from app.timetable.solver.problem import Problem
from app.timetable.solver.watch import Watch

ROUND_SECONDS = 7.0  # one round over a township's schools, shared in proportion to their sizes (bench)
PART_MIN_SECONDS = 0.3


@dataclass
class Outcome:
    """What a run found: the lessons (None when none was found), the CP-SAT status name, the time
    to the first valid timetable, the whole time, the soft score after each better one and the
    timetables kept at the times solve() was asked to keep."""

    lessons: list[Slot] | None
    status: str
    first_seconds: float | None
    seconds: float
    history: list[tuple[float, int]] = field(default_factory=list)
    stopped: bool = False
    snapshots: dict[float, tuple[float, list[Slot]]] = field(default_factory=dict)


class _Progress(cp_model.CpSolverSolutionCallback):
    """Hears each timetable CP-SAT finds in phase 2 and keeps the better ones (`bound`: the
    objective to beat; a school's search starts from the timetable found so far)."""

    def __init__(self, model: Model, started: float, report: Callable[[float, int], None] | None):
        super().__init__()
        self.model = model
        self.started = started
        self.report = report
        self.bound = math.inf
        self.history: list[tuple[float, int]] = []
        self.best: list[Slot] | None = None
        self.marks: tuple[float, ...] = ()
        self.snapshots: dict[float, tuple[float, list[Slot]]] = {}

    def on_solution_callback(self) -> None:
        if self.objective_value >= self.bound:
            return
        self.bound = self.objective_value
        seconds = time.perf_counter() - self.started
        self.best = self.model.lessons(self.boolean_value)
        score = measure(self.model.problem, self.best)["score"]  # the soft score, whichever objective is searched
        self.history.append((seconds, score))
        for mark in self.marks:
            if seconds <= mark:
                self.snapshots[mark] = (seconds, self.best)
        if self.report is not None:
            self.report(seconds, score)


def _solver(seconds: float, seed: int, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver


def solve(problem: Problem, *, time_limit: float = 30.0, seed: int = 0, workers: int = 2,
          stop: threading.Event | None = None, report: Callable[[float, int], None] | None = None,
          model: Model | None = None, first_only: bool = False, keep: tuple[float, ...] = ()) -> Outcome:
    """Solve `problem`: phase 1 looks for any timetable meeting the hard rules; phase 2 improves
    it until `time_limit` seconds in all, or until `stop` is set (the best timetable found so far
    is kept): for half of the time left the teachers' gaps alone, then the whole soft score with
    the gaps kept at most as many as found. `report(seconds, score)` is called at each better
    timetable with its soft score; `model` is the problem's Model when already built.
    `first_only` stops after phase 1; `keep` (seconds since the start) keeps, for each, the best
    timetable found by then with its time (Outcome.snapshots, mark → (seconds, lessons), for the
    benchmark).
    Returns an Outcome (lessons None when no timetable was found: INFEASIBLE, or UNKNOWN when
    time ran out or the run was stopped first)."""
    started = time.perf_counter()
    stop = stop or threading.Event()
    name, model, chosen = _first(problem, model, started + time_limit, seed, workers, stop)
    if chosen is None:
        return Outcome(None, name, None, time.perf_counter() - started, stopped=stop.is_set())
    first_seconds = time.perf_counter() - started
    best = model.lessons(lambda var: chosen[var.index])
    kept = {mark: (first_seconds, best) for mark in keep if first_seconds <= mark}
    progress = _Progress(model, started, report)
    progress.marks, progress.snapshots = keep, kept

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    if not first_only and left() > 0.2 and not stop.is_set():
        model.add_gaps()
        if model.gap_terms:
            gaps = sum(model.gap_terms)
            found = _improve(model, gaps, chosen, started + time_limit - left() / 2, seed, workers, stop, progress)
            if found is not None:
                chosen, value = found
                model.model.add(gaps <= value)
        model.add_soft()
        if model.penalties and left() > 0.2 and not stop.is_set():
            _improve(model, model.objective(), chosen, started + time_limit, seed, workers, stop, progress)
        if progress.best is not None:
            best = progress.best
    return Outcome(best, name, first_seconds, time.perf_counter() - started, progress.history,
                   stopped=stop.is_set(), snapshots=kept)


def _first(problem: Problem, model: Model | None, until: float, seed: int, workers: int,
           stop: threading.Event) -> tuple[str, Model, dict[int, bool] | None]:
    """Search for a timetable meeting the hard rules until the perf_counter time `until`: group by
    group when the pupils fall into large separate groups (app.timetable.solver.parts), else the
    whole model. Returns (the CP-SAT status name, the problem's Model, its lesson cells: variable
    index → taken, None when no timetable was found)."""
    groups = student_groups(problem)
    if worth_splitting(problem, groups):
        name, placed = first_by_groups(problem, groups, until, seed, workers, stop)
        model = model or Model(problem)
        if placed is None:
            return name, model, None
        return name, model, {var.index: (index, cell) in placed for index, cells in model.x.items()
                             for cell, var in cells.items()}
    model = model or Model(problem)
    first = _solver(until - time.perf_counter(), seed, workers)
    first.parameters.cp_model_presolve = False  # a timetable model is solved faster than presolved (bench)
    watch = Watch(stop, first)
    status = first.solve(model.model)
    watch.done()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return first.status_name(status), model, None
    return first.status_name(status), model, {var.index: first.boolean_value(var) for cells in model.x.values()
                                              for var in cells.values()}


def _parts(model: Model) -> list[list[int]]:
    """Return the lesson cells' variable indexes of each school of the run, the largest school first."""
    by_school: dict[str, list[int]] = defaultdict(list)
    for index, cells in model.x.items():
        by_school[model.problem.activities[index].school_id].extend(var.index for var in cells.values())
    return sorted(by_school.values(), key=len, reverse=True)


def _improve(model: Model, objective: Any, chosen: dict[int, bool], until: float, seed: int, workers: int,
             stop: threading.Event, progress: _Progress) -> tuple[dict[int, bool], int] | None:
    """Minimise `objective` until the perf_counter time `until` by large neighbourhood search from
    the timetable `chosen`: a township school by school in rounds (the other schools' lessons
    fixed), a single school as a whole; a township's search ends early after a round in which each
    school's search proved its part could not be improved alone. Returns (the best timetable's
    lesson cells, its objective), or None when none was found."""
    model.model.minimize(objective)
    model.model.clear_hints()
    progress.bound = math.inf
    values = _hint(model, chosen, until - time.perf_counter(), stop)
    parts = _parts(model)
    if len(parts) == 1:
        solver = _solver(until - time.perf_counter(), seed, workers)
        solver.parameters.use_lns_only = True  # improve the given timetable by large neighbourhood search
        solver.parameters.cp_model_presolve = False  # the search starts seconds sooner; LNS presolves each part
        whole = _run(model.model, solver, stop, progress, chosen)
        return None if whole is None else (whole[0], whole[1])
    total = sum(len(part) for part in parts)
    found: tuple[dict[int, bool], int] | None = None
    turn = 0
    settled = False  # a whole round in which no school could be improved alone (each proven): stop early
    while until - time.perf_counter() > 0.2 and not stop.is_set() and not settled:
        settled = True
        for part in parts:
            seconds = min(until - time.perf_counter(), max(PART_MIN_SECONDS, ROUND_SECONDS * len(part) / total))
            if seconds <= 0.2 or stop.is_set():
                break
            sub = model.model.clone()
            kept = set(part)
            for index, value in chosen.items():
                if index not in kept:
                    domain = sub.proto.variables[index].domain
                    domain.clear()
                    domain.extend([int(value), int(value)])
            sub.clear_hints()
            if values is not None:
                sub.proto.solution_hint.vars.extend(range(len(values)))
                sub.proto.solution_hint.values.extend(values)
            else:
                for index, value in chosen.items():
                    sub.add_hint(sub.get_bool_var_from_proto_index(index), int(value))
            solver = _solver(seconds, seed + turn, workers)
            solver.parameters.use_lns_only = True  # the other schools fixed, presolve leaves a school-sized model
            result = _run(sub, solver, stop, progress, chosen)
            if result is None:
                settled = False
                continue
            settled = settled and result[2] and found is not None and result[1] >= found[1]
            found = (result[0], result[1])
            chosen = result[0]
            values = list(solver.response_proto.solution)
        turn += 1
    return found


def _run(model: cp_model.CpModel, solver: cp_model.CpSolver, stop: threading.Event, progress: _Progress,
         chosen: dict[int, bool]) -> tuple[dict[int, bool], int, bool] | None:
    """Run `solver` on `model` (stopped by `stop`). Returns (the lesson cells of its timetable,
    the objective, True when proven optimal), or None when it found none."""
    watch = Watch(stop, solver)
    status = solver.solve(model, progress)
    watch.done()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    values = solver.response_proto.solution
    return {index: bool(values[index]) for index in chosen}, round(solver.objective_value), status == cp_model.OPTIMAL


def _hint(model: Model, chosen: dict[int, bool], seconds: float, stop: threading.Event) -> list[int] | None:
    """Return a complete timetable (every variable's value) from its lesson cells: the soft terms
    as a quick solve with those cells fixed gives them, also hinted to the model. CP-SAT takes a
    complete hint as its first solution; a partial one it must first repair. Returns None (the
    cells alone hinted) when the quick solve did not finish."""
    fixed = model.model.clone()
    for index, value in chosen.items():
        fixed.add(fixed.get_bool_var_from_proto_index(index) == int(value))
    solver = _solver(min(seconds, 5.0), 0, 1)
    solver.parameters.cp_model_presolve = False  # everything but the soft terms is fixed: propagation does it
    solver.parameters.stop_after_first_solution = True
    watch = Watch(stop, solver)
    status = solver.solve(fixed)
    watch.done()
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = list(solver.response_proto.solution)
        for index, value in enumerate(values):
            model.model.add_hint(model.model.get_int_var_from_proto_index(index), value)
        return values
    for index, value in chosen.items():
        model.model.add_hint(model.model.get_bool_var_from_proto_index(index), int(value))
    return None
