"""自动排课 on hand-made problems: a day that must begin at the first lesson and hold a least number
of lessons (FET's early-beginnings and min-hours rules), and a first timetable searched for one
group of classes at a time, whose only valid timetable is worked out by hand."""
from __future__ import annotations

from collections import defaultdict

import app.timetable.solver.parts as parts
from app.timetable.model import ClassInfo, Period, SchoolInfo, TeacherInfo
from app.timetable.solver.explain import explain
from app.timetable.solver.problem import Activity, Problem, Rules
from app.timetable.solver.search import solve

SCHOOL = "s"


def _problem(days: list[int], slots: int, activities: list[Activity]) -> Problem:
    periods = {n: Period(n, f"第{n}节", "lesson", None, 45) for n in range(1, slots + 1)}
    classes = sorted({c for a in activities for c in a.classes})
    teachers = sorted({t for a in activities for t in a.teachers})
    rules = Rules(teacher_daily_max=slots, subject_daily={a.subject: slots for a in activities},
                  pe_subjects=frozenset(), pe_lessons_per_day=0, weights={}, morning_subjects=frozenset())
    return Problem(term={"id": "t", "code": "t", "name": "t"}, days=days,
                   schools={SCHOOL: SchoolInfo(SCHOOL, "S", "学校", "完小", slots, periods)}, scope={SCHOOL},
                   classes={c: ClassInfo(c, SCHOOL, c, i, (7,), 0, None) for i, c in enumerate(classes)},
                   teachers={t: TeacherInfo(t, SCHOOL, t, t, True, frozenset(), frozenset(), frozenset())
                             for t in teachers},
                   activities=activities, fixed=[], rules={SCHOOL: rules}, travel={}, default_travel=0,
                   subject_names={a.subject: a.subject for a in activities})


def _days(lessons) -> dict[tuple[str, int], list[int]]:
    taken: dict[tuple[str, int], list[int]] = defaultdict(list)
    for lesson in lessons:
        taken[(lesson.class_id, lesson.day)].append(lesson.slot)
    return {key: sorted(slots) for key, slots in taken.items()}


def test_a_day_begun_early_without_gaps_holds_its_lessons_in_the_first_cells_and_at_least_the_minimum():
    # 5 lessons over 2 days of 4 cells, at least 2 a day: 3 + 2 or 2 + 3, each day from the first cell on.
    problem = _problem([1, 2], 4, [Activity("m", SCHOOL, ("c",), ("t1",), "数学", 3),
                                   Activity("y", SCHOOL, ("c",), ("t2",), "语文", 2)])
    problem.gapless, problem.early_start, problem.class_daily_min = {"c"}, {"c"}, {"c": 2}
    for seed in range(3):
        outcome = solve(problem, time_limit=10, seed=seed, first_only=True)
        days = _days(outcome.lessons)
        assert sorted(days.values()) == [[1, 2], [1, 2, 3]]


def test_a_day_begun_early_may_keep_a_gap_when_gaps_are_allowed():
    # 2 lessons in one day of 3 cells, no no-gap rule: with the teacher away at cell 2 they are at
    # cells 1 and 3 (the day begins at cell 1, a gap is allowed); away at cell 1 there is no timetable.
    problem = _problem([1], 3, [Activity("m", SCHOOL, ("c",), ("t1",), "数学", 2)])
    problem.early_start = {"c"}
    problem.unavailable = {"t1": {(1, 2)}}
    outcome = solve(problem, time_limit=10, first_only=True)
    assert _days(outcome.lessons) == {("c", 1): [1, 3]}
    problem.unavailable = {"t1": {(1, 1)}}
    assert solve(problem, time_limit=10, first_only=True).lessons is None


def test_groups_of_classes_solved_one_at_a_time_give_the_only_valid_timetable(monkeypatch):
    # Group a (a1, a2): A taught to both by T once, P to a1 by U twice, Q to a2 by V twice; group b
    # (b1, b2): B taught to both by T twice. One day of 4 cells, every class from the first cell on
    # without gaps: b's two lessons fill cells 1-2, so T's lesson A can only be at cell 3, P and Q at 1-2.
    monkeypatch.setattr(parts, "SPLIT_CLASSES", 2)
    problem = _problem([1], 4, [Activity("A", SCHOOL, ("a1", "a2"), ("T",), "化学", 1),
                                Activity("P", SCHOOL, ("a1",), ("U",), "物理", 2),
                                Activity("Q", SCHOOL, ("a2",), ("V",), "生物", 2),
                                Activity("B", SCHOOL, ("b1", "b2"), ("T",), "历史", 2)])
    problem.gapless = problem.early_start = {"a1", "a2", "b1", "b2"}
    groups = parts.student_groups(problem)
    assert groups == [[0, 1, 2], [3]] and parts.worth_splitting(problem, groups)
    for seed in range(3):
        outcome = solve(problem, time_limit=20, seed=seed, first_only=True)
        cells = {(s.class_id, s.slot): s.subject for s in outcome.lessons}
        assert cells == {("a1", 1): "物理", ("a1", 2): "物理", ("a1", 3): "化学",
                         ("a2", 1): "生物", ("a2", 2): "生物", ("a2", 3): "化学",
                         ("b1", 1): "历史", ("b1", 2): "历史", ("b2", 1): "历史", ("b2", 2): "历史"}


def test_a_daily_minimum_more_than_the_lessons_is_named_in_the_explanation():
    # One lesson a week, one school day, at least 2 lessons a day: the explanation names the minimum.
    problem = _problem([1], 4, [Activity("m", SCHOOL, ("c",), ("t1",), "数学", 1)])
    problem.gapless, problem.early_start, problem.class_daily_min = {"c"}, {"c"}, {"c": 2}
    assert solve(problem, time_limit=10, first_only=True).lessons is None
    sentences = explain(problem, seconds=10)
    assert sentences == ["以下要求不能同时满足:学校c每天至少 2 节。至少要放宽其中一项(或减少相关的课)才可能排出课表。"]
