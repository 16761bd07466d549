"""The first timetable of a problem whose pupils fall into large separate groups, searched for one
group at a time.

Classes taught together in some lesson belong to one group; groups share only teachers. When a
group holds many classes with the no-gap rule (the subgroups of one year in FET's Bethlen example:
one class per combination of options, every one without gaps), CP-SAT finds a timetable of each
group alone in seconds but none of the whole school in minutes (bench). Each group is then solved
in turn, largest first, its teachers' lessons in the groups already placed held as lessons that
stay; a group that cannot be placed around them goes first in a new round.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict

from app.timetable.model import Slot
from app.timetable.solver.cpsat import Cell, Model, cp_model
from app.timetable.solver.problem import Problem
from app.timetable.solver.watch import Watch

SPLIT_CLASSES = 8  # a group with this many no-gap classes is searched for alone (Bethlen's years: 9 to 82)

Placed = set[tuple[int, Cell]]  # (activity index, cell) of each lesson placed


def student_groups(problem: Problem) -> list[list[int]]:
    """Return the activities (indexes) of each group of classes linked by lessons they share, the
    group with the most lessons first."""
    parent = {class_id: class_id for a in problem.activities for class_id in a.classes}

    def root(class_id: str) -> str:
        while parent[class_id] != class_id:
            parent[class_id] = parent[parent[class_id]]
            class_id = parent[class_id]
        return class_id

    for activity in problem.activities:
        for class_id in activity.classes[1:]:
            parent[root(class_id)] = root(activity.classes[0])
    groups: dict[str, list[int]] = defaultdict(list)
    for index, activity in enumerate(problem.activities):
        groups[root(activity.classes[0])].append(index)
    return sorted(groups.values(), key=lambda g: -sum(problem.activities[i].count for i in g))


def worth_splitting(problem: Problem, groups: list[list[int]]) -> bool:
    """Return True when the first timetable is to be searched for group by group: several groups,
    one of them holding SPLIT_CLASSES or more classes without gaps."""
    return len(groups) > 1 and any(
        len({c for i in group for c in problem.activities[i].classes} & problem.gapless) >= SPLIT_CLASSES
        for group in groups)


def _part(problem: Problem, group: list[int], placed: list[Slot]) -> Problem:
    """Return the problem of one group: its activities and classes, the lessons placed so far kept."""
    activities = [problem.activities[i] for i in group]
    classes = {c for a in activities for c in a.classes}
    return dataclasses.replace(problem, activities=activities, classes={c: problem.classes[c] for c in classes},
                               fixed=problem.fixed + placed)


def first_by_groups(problem: Problem, groups: list[list[int]], until: float, seed: int, workers: int,
                    stop: threading.Event) -> tuple[str, Placed | None]:
    """Search for a timetable group by group until the perf_counter time `until` (or `stop`): when a
    group cannot be placed around the groups placed before it, the search starts again with that
    group first (as many rounds as there are groups), then falls back to the whole model with the
    last round's groups as a hint. Returns (the CP-SAT
    status name, the lessons placed), the lessons None when no timetable was found."""
    order = list(groups)
    placed: Placed = set()
    for _ in range(len(groups)):
        placed = set()
        slots: list[Slot] = []
        for position, group in enumerate(order):
            part = _part(problem, group, slots)
            model = Model(part)
            status, values = _search(model.model, until, seed, workers, stop)
            if values is None:
                break
            for number, index in enumerate(group):
                placed |= {(index, cell) for cell, var in model.x[number].items() if values[var.index]}
            kept = sum(1 for s in part.fixed if s.school_id in part.scope)  # lessons() lists these first
            slots += model.lessons(lambda var: values[var.index])[kept:]
        else:
            return "FEASIBLE", placed
        if status != "INFEASIBLE" or stop.is_set():
            return status, None
        order.insert(0, order.pop(position))
    return _whole(problem, placed, until, seed, workers, stop)


def _search(model: cp_model.CpModel, until: float, seed: int, workers: int,
            stop: threading.Event) -> tuple[str, list[int] | None]:
    """Return (the status name, every variable's value) of a first-solution search, values None when none."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, until - time.perf_counter())
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.cp_model_presolve = False
    watching = Watch(stop, solver)
    status = solver.solve(model)
    watching.done()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solver.status_name(status), None
    return solver.status_name(status), list(solver.response_proto.solution)


def _whole(problem: Problem, placed: Placed, until: float, seed: int, workers: int,
           stop: threading.Event) -> tuple[str, Placed | None]:
    """Search the whole problem with the groups placed so far as a hint. Returns as first_by_groups."""
    model = Model(problem)
    done = {index for index, _ in placed}
    for index, cells in model.x.items():
        if index in done:
            for cell, var in cells.items():
                model.model.add_hint(var, int((index, cell) in placed))
    status, values = _search(model.model, until, seed, workers, stop)
    if values is None:
        return status, None
    return status, {(index, cell) for index, cells in model.x.items() for cell, var in cells.items()
                    if values[var.index]}
