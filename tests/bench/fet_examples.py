"""FET's example files translated to SchoolQ's generation problem, and FET's own timetables of
them read as SchoolQ lessons, so both are measured by the same soft-constraint count.

What is kept: days and hours (one school, slot k = hour k), students sets (a class per smallest
set: subgroup, else group, else year; an activity for a year or group is taught to all its
classes at once), teachers (an activity without one gets its own stand-in), subjects, every
active activity with its total periods, teacher and students not-available times, break times,
teacher and students max hours daily, students max gaps 0 (no gaps), students early max beginnings at
second hour 0 (every day begins at the first hour) and students min hours daily without empty days. What is
dropped is listed
by `Translated.dropped`: rooms and every space constraint, activity durations over one period
(a 2-period activity becomes two single periods, not necessarily consecutive), min days between
activities (kept as SchoolQ's a-subject-at-most-N-a-day, N from the class's weekly periods, for a
subject whose every activity FET spreads with weight 100 %; other subjects get no daily limit), preferred
times, same starting times, max gaps of teachers (minimised as a soft rule instead) and the rest.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from app.presets import Preset, make_preset, shipped
from app.timetable.model import ClassInfo, Period, SchoolInfo, Slot, TeacherInfo, TimetableData
from app.timetable.plans import Plan
from app.timetable.solver.problem import Activity, Problem, Rules

SCHOOL = "fet"
KEPT = {"ConstraintBasicCompulsoryTime", "ConstraintTeacherNotAvailableTimes", "ConstraintStudentsSetNotAvailableTimes",
        "ConstraintBreakTimes", "ConstraintTeacherMaxHoursDaily", "ConstraintTeachersMaxHoursDaily",
        "ConstraintStudentsSetMaxGapsPerWeek", "ConstraintStudentsMaxGapsPerWeek", "ConstraintStudentsSetMaxHoursDaily",
        "ConstraintStudentsMaxHoursDaily", "ConstraintStudentsSetMaxGapsPerDay", "ConstraintStudentsMaxGapsPerDay",
        "ConstraintStudentsEarlyMaxBeginningsAtSecondHour", "ConstraintStudentsSetEarlyMaxBeginningsAtSecondHour",
        "ConstraintStudentsMinHoursDaily", "ConstraintStudentsSetMinHoursDaily"}


@dataclass
class Translated:
    """A FET file as a Problem, with how FET activity ids map to it and what was dropped."""

    problem: Problem
    data: TimetableData
    plans: dict[str, Plan]
    preset: Preset
    by_fet_id: dict[str, tuple[int, int]]  # FET activity id → (activity index, duration)
    dropped: Counter


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _on(element: ET.Element) -> bool:
    return _text(element, "Active") != "false" and _text(element, "Weight_Percentage") in ("100", "100.0", "")


def translate(path: Path) -> Translated:
    """Return the Problem of a FET file (see the module docstring for what is kept)."""
    root = ET.parse(path).getroot()
    days = [_text(d, "Name") for d in root.find("Days_List").findall("Day")]
    hours = [_text(h, "Name") for h in root.find("Hours_List").findall("Hour")]
    day_no = {name: i + 1 for i, name in enumerate(days)}
    hour_no = {name: i + 1 for i, name in enumerate(hours)}
    periods = {i + 1: Period(i + 1, f"第{i + 1}节", "lesson", None, 45) for i in range(len(hours))}
    school = SchoolInfo(SCHOOL, "FET", path.stem, "完小", len(hours), periods)
    leaves: dict[str, set[str]] = defaultdict(set)
    for year in root.find("Students_List").findall("Year"):
        year_name = _text(year, "Name")
        groups = year.findall("Group")
        for group in groups:
            group_name = _text(group, "Name")
            subgroups = [_text(s, "Name") for s in group.findall("Subgroup")] or [group_name]
            leaves[group_name] |= set(subgroups)
            leaves[year_name] |= set(subgroups)
            for name in subgroups:
                leaves[name].add(name)
        if not groups:
            leaves[year_name].add(year_name)
    classes = {name: ClassInfo(name, SCHOOL, name, i, (1,), 0, None)
               for i, name in enumerate(sorted({c for s in leaves.values() for c in s}))}
    teachers = {_text(t, "Name"): TeacherInfo(_text(t, "Name"), SCHOOL, _text(t, "Name"), _text(t, "Name"), True,
                                              frozenset(), frozenset(), frozenset())
                for t in root.find("Teachers_List").findall("Teacher")}
    dropped: Counter = Counter()
    groups: dict[str, list[ET.Element]] = defaultdict(list)
    for element in root.find("Activities_List").findall("Activity"):
        if _text(element, "Active") == "false":
            continue
        group = _text(element, "Activity_Group_Id")
        groups[group if group not in ("", "0") else "a" + _text(element, "Id")].append(element)
    activities: list[Activity] = []
    by_fet_id: dict[str, tuple[int, int]] = {}
    limit: dict[str, int] = defaultdict(lambda: 1)
    for key, elements in groups.items():
        first = elements[0]
        names = [(t.text or "").strip() for t in first.findall("Teacher")]
        students = sorted({c for s in first.findall("Students") for c in leaves.get((s.text or "").strip(), ())})
        if not students:
            dropped["activity without students"] += len(elements)
            continue
        if not names:
            stand_in = f"(无教师 {key})"
            teachers[stand_in] = TeacherInfo(stand_in, SCHOOL, stand_in, stand_in, True, frozenset(), frozenset(),
                                             frozenset())
            names = [stand_in]
        total = 0
        for element in elements:
            duration = int(_text(element, "Duration") or 1)
            if duration > 1:
                dropped["duration over one period (split)"] += 1
            by_fet_id[_text(element, "Id")] = (len(activities), duration)
            total += duration
        subject = _text(first, "Subject")
        limit[subject] = max(limit[subject], max(int(_text(e, "Duration") or 1) for e in elements))
        activities.append(Activity(key, SCHOOL, tuple(students), tuple(names), subject, total))
    spread = _spread_groups(root, by_fet_id)
    per_class: dict[tuple[str, str], int] = defaultdict(int)
    for activity in activities:
        for class_id in activity.classes:
            per_class[(class_id, activity.subject)] += activity.count
    for (_, subject), count in per_class.items():
        limit[subject] = max(limit[subject], math.ceil(count / len(days)))
    for index, activity in enumerate(activities):  # a subject not spread by FET everywhere: no daily limit
        if index not in spread:
            limit[activity.subject] = len(hours)
    weights = shipped("timetable")["solver"]["weights"]
    rules = Rules(teacher_daily_max=len(hours), subject_daily=dict(limit), pe_subjects=frozenset(), pe_lessons_per_day=0,
                  weights={k: int(v) for k, v in weights.items()}, morning_subjects=frozenset())
    problem = Problem(term={"id": "fet", "code": "fet", "name": path.stem}, days=list(range(1, len(days) + 1)),
                      schools={SCHOOL: school}, scope={SCHOOL}, classes=classes, teachers=teachers,
                      activities=activities, fixed=[], rules={SCHOOL: rules}, travel={}, default_travel=0,
                      subject_names={a.subject: a.subject for a in activities})
    _constraints(root, problem, leaves, day_no, hour_no, dropped)
    content = {**shipped("timetable"), "pe_daily_minutes": 0, "labour_min_weekly": 0, "labour_share_of_practice": 0}
    preset = make_preset({**content, "id": "fet-example", "version": 1}, "timetable")
    data = TimetableData(term=problem.term, schools={SCHOOL: school}, classes=classes, teachers=teachers, slots=[],
                         subject_names=problem.subject_names, subject_ids={}, travel={}, focus={SCHOOL})
    plans = {SCHOOL: Plan("FET", "", [], "fet", 1, "")}
    return Translated(problem, data, plans, preset, by_fet_id, dropped)


def _spread_groups(root: ET.Element, by_fet_id: dict[str, tuple[int, int]]) -> set[int]:
    """Return the activities (indexes) FET spreads over the week: those in a 100 % min-days constraint."""
    spread = set()
    for element in root.find("Time_Constraints_List").iter("ConstraintMinDaysBetweenActivities"):
        if _on(element) and int(_text(element, "MinDays") or 0) >= 1:
            spread |= {by_fet_id[(i.text or "").strip()][0] for i in element.findall("Activity_Id")
                       if (i.text or "").strip() in by_fet_id}
    return spread


def _cells(element: ET.Element, tag: str, day_no: dict, hour_no: dict) -> set[tuple[int, int]]:
    return {(day_no[_text(t, "Day")], hour_no[_text(t, "Hour")]) for t in element.findall(tag)
            if _text(t, "Day") in day_no and _text(t, "Hour") in hour_no}


def _constraints(root: ET.Element, problem: Problem, leaves: dict, day_no: dict, hour_no: dict,
                 dropped: Counter) -> None:
    for element in list(root.find("Time_Constraints_List")) + list(root.find("Space_Constraints_List")):
        tag = element.tag
        if tag not in KEPT or not _on(element):
            dropped[tag] += 1
            continue
        if tag == "ConstraintTeacherNotAvailableTimes":
            problem.unavailable.setdefault(_text(element, "Teacher"), set()).update(
                _cells(element, "Not_Available_Time", day_no, hour_no))
        elif tag == "ConstraintStudentsSetNotAvailableTimes":
            for name in leaves.get(_text(element, "Students"), ()):
                problem.class_blocked.setdefault(name, set()).update(_cells(element, "Not_Available_Time", day_no,
                                                                             hour_no))
        elif tag == "ConstraintBreakTimes":
            problem.blocked.setdefault(SCHOOL, set()).update(_cells(element, "Break_Time", day_no, hour_no))
        elif tag == "ConstraintTeacherMaxHoursDaily":
            problem.teacher_max[_text(element, "Teacher_Name")] = int(_text(element, "Maximum_Hours_Daily"))
        elif tag == "ConstraintTeachersMaxHoursDaily":
            problem.rules[SCHOOL].teacher_daily_max = int(_text(element, "Maximum_Hours_Daily"))
        elif tag in ("ConstraintStudentsSetMaxHoursDaily", "ConstraintStudentsMaxHoursDaily"):
            names = leaves.get(_text(element, "Students"), ()) if tag.startswith("ConstraintStudentsSet") \
                else problem.classes
            for name in names:
                problem.class_daily_max[name] = int(_text(element, "Maximum_Hours_Daily"))
        elif "EarlyMaxBeginnings" in tag or "MinHoursDaily" in tag:
            _students_day(element, tag, problem, leaves, dropped)
        elif tag != "ConstraintBasicCompulsoryTime":  # max gaps: 0 means no gaps, more is left to the soft rule
            if _text(element, "Max_Gaps") == "0":
                names = leaves.get(_text(element, "Students"), ()) if "StudentsSet" in tag else problem.classes
                problem.gapless |= set(names)
            else:
                dropped[tag + " (more than 0)"] += 1


def _students_day(element: ET.Element, tag: str, problem: Problem, leaves: dict, dropped: Counter) -> None:
    """Translate a students' early-beginnings or min-hours constraint: no beginning at the second hour
    (so none later either) makes the classes begin at the first hour; min hours daily without empty
    days a daily minimum. Other forms are counted as dropped."""
    names = leaves.get(_text(element, "Students"), ()) if "StudentsSet" in tag else problem.classes
    if "EarlyMaxBeginnings" in tag:
        if _text(element, "Max_Beginnings_At_Second_Hour") != "0":
            dropped[tag + " (more than 0)"] += 1
            return
        problem.early_start |= set(names)
        return
    if _text(element, "Allow_Empty_Days") == "true":
        dropped[tag + " (empty days allowed)"] += 1
        return
    least = int(_text(element, "Minimum_Hours_Daily"))
    for name in names:
        problem.class_daily_min[name] = max(problem.class_daily_min.get(name, 0), least)


def fet_lessons(translated: Translated, solved: Path) -> list[Slot]:
    """Return the lessons of fet-cl's *_data_and_timetable.fet of the original example file."""
    root = ET.parse(solved).getroot()
    problem = translated.problem
    days = {_text(d, "Name"): i + 1 for i, d in enumerate(root.find("Days_List").findall("Day"))}
    hours = {_text(h, "Name"): i + 1 for i, h in enumerate(root.find("Hours_List").findall("Hour"))}
    lessons = []
    for element in root.iter("ConstraintActivityPreferredStartingTime"):
        found = translated.by_fet_id.get(_text(element, "Activity_Id"))
        if found is None:
            continue
        index, duration = found
        activity = problem.activities[index]
        day, hour = days[_text(element, "Preferred_Day")], hours[_text(element, "Preferred_Hour")]
        for offset in range(duration):
            for class_id in activity.classes:
                lessons.append(Slot(f"{activity.id}:{day}:{hour + offset}:{class_id}", SCHOOL, class_id, day,
                                    hour + offset, activity.subject, activity.teachers[0],
                                    f"合班 {activity.id}" if len(activity.classes) > 1 else None))
    return lessons

