"""FET interop: write a generation problem as a .fet file that FET 6.x opens and solves, and read
back the `*_data_and_timetable.fet` that fet-cl writes for such a file as SchoolQ's timetable.

The .fet file: days and hours (hour k is each school's k-th lesson slot), subjects, teachers
("姓名(工号)"), one year per class ("学校代码 班级"), one building per school with a room per
class (its home room), and per activity a group of single-period activities whose comment carries
SchoolQ's activity id. Time constraints: teacher daily maximum, unavailability (and lessons at
schools outside the run), slots a school does not have, no gaps for primary classes, a subject
once a day (min days between activities) or at most twice (activity-tag daily maximum), locked
lessons as permanently locked starting times, and for 走教 teachers FET's minimum gaps between
building changes, in hours, enough for the travel minutes (FET counts hours, not minutes: a
conservative translation). Arbitrary .fet files of other schools are not imported.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from app.errors import Problem as InputProblem
from app.errors import ValidationError, invalid
from app.timetable.model import DAY_NAMES, Slot
from app.timetable.solver.problem import Problem

MARK = "schoolq:"
FIXED_MARK = "schoolq-fixed:"
SCOPE_MARK = "schoolq-scope"
MAX_BYTES = 50 * 2**20


@dataclass
class Names:
    """The names an exported file gives SchoolQ's days, hours, teachers, classes and rooms."""

    days: dict[int, str]
    hours: list[str]
    teachers: dict[str, str]
    classes: dict[str, str]
    rooms: dict[str, str]

    def hour_of(self, problem: Problem, school_id: str, slot: int) -> int:
        """Return the 0-based hour of a school's lesson slot (its position among the day's lessons)."""
        return problem.schools[school_id].lesson_slots().index(slot)


def _names(problem: Problem) -> Names:
    slots = {sid: problem.schools[sid].lesson_slots() for sid in problem.scope}
    count = max((len(s) for s in slots.values()), default=0)
    first = problem.schools[min(problem.scope)]
    same = all(slots[sid] == slots[first.id] and all(problem.times(sid, n) == problem.times(first.id, n)
                                                     for n in slots[sid]) for sid in slots)
    hours = []
    for k in range(count):
        times = problem.times(first.id, slots[first.id][k]) if same else None
        hours.append(f"第{k + 1}节 {times[0] // 60:02d}:{times[0] % 60:02d}" if times else f"第{k + 1}节")
    teachers = {tid: f"{t.name}({t.staff_no})" for tid, t in problem.teachers.items()}
    classes = {cid: f"{problem.schools[c.school_id].code} {c.name}" for cid, c in problem.classes.items()}
    rooms = {cid: f"{name} 教室" for cid, name in classes.items()}
    return Names({d: DAY_NAMES[d] for d in problem.days}, hours, teachers, classes, rooms)


def _add(parent: ET.Element, tag: str, text: object = None, **children: object) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    for name, value in children.items():
        ET.SubElement(element, name).text = str(value)
    return element


def _constraint(parent: ET.Element, tag: str, *items: tuple[str, object]) -> ET.Element:
    element = ET.SubElement(parent, tag)
    ET.SubElement(element, "Weight_Percentage").text = "100"
    for name, value in items:
        if isinstance(value, ET.Element):
            element.append(value)
        else:
            ET.SubElement(element, name).text = str(value)
    ET.SubElement(element, "Active").text = "true"
    ET.SubElement(element, "Comments").text = ""
    return element


def _times(tag: str, cells: list[tuple[str, str]]) -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = [("Number_of_Not_Available_Times", len(cells))]
    for day, hour in cells:
        time = ET.Element(tag)
        ET.SubElement(time, "Day").text = day
        ET.SubElement(time, "Hour").text = hour
        items.append((tag, time))
    return items


def export_fet(problem: Problem, path: str | Path) -> dict:
    """Write `problem` as a FET 6 file at `path`. Returns {"activities", "teachers", "classes",
    "building_changes"} (counts; the last: 走教 teachers given a minimum gap between sites)."""
    names = _names(problem)
    root = ET.Element("fet", version="6.8.5")
    _add(root, "Mode", "Official")
    _add(root, "Institution_Name", "、".join(problem.schools[s].name for s in sorted(problem.scope)))
    codes = ",".join(sorted(problem.schools[s].code for s in problem.scope))
    _add(root, "Comments", f"SchoolQ 导出:{problem.term.get('name', '')}。请勿修改活动的备注,导回 SchoolQ 时靠它对应任课。\n"
                           f"{SCOPE_MARK} term={problem.term['code']} schools={codes}")
    days = _add(root, "Days_List", Number_of_Days=len(names.days))
    for name in names.days.values():
        _add(days, "Day", Name=name)
    hours = _add(root, "Hours_List", Number_of_Hours=len(names.hours))
    for name in names.hours:
        _add(hours, "Hour", Name=name)
    subjects = sorted({a.subject for a in problem.activities} | {s.subject for s in problem.fixed if s.subject})
    subject_list = _add(root, "Subjects_List")
    tags = _add(root, "Activity_Tags_List")
    for code in subjects:
        _add(subject_list, "Subject", Name=problem.subject_name(code), Comments="")
        _add(tags, "Activity_Tag", Name=problem.subject_name(code), Printable="false", Comments="")
    used = sorted({t for a in problem.activities for t in a.teachers} | {s.teacher_id for s in problem.fixed
                                                                       if s.teacher_id in problem.teachers})
    teacher_list = _add(root, "Teachers_List")
    for tid in used:
        _add(teacher_list, "Teacher", Name=names.teachers[tid], Target_Number_of_Hours=0, Qualified_Subjects="",
             Comments="")
    students = _add(root, "Students_List")
    for cid in sorted(problem.classes, key=names.classes.get):
        _add(students, "Year", Name=names.classes[cid], Number_of_Students=problem.classes[cid].pupils, Comments="")
    activities = _add(root, "Activities_List")
    groups: list[tuple[int, list[int]]] = []
    locked: list[tuple[int, Slot]] = []
    next_id = 1

    def activity(teachers: tuple[str, ...], code: str, classes: tuple[str, ...], total: int, group: int,
                 comment: str) -> int:
        nonlocal next_id
        element = ET.SubElement(activities, "Activity")
        for tid in teachers:
            ET.SubElement(element, "Teacher").text = names.teachers[tid]
        ET.SubElement(element, "Subject").text = problem.subject_name(code)
        ET.SubElement(element, "Activity_Tag").text = problem.subject_name(code)
        for cid in classes:
            ET.SubElement(element, "Students").text = names.classes[cid]
        for tag, value in (("Duration", 1), ("Total_Duration", total), ("Id", next_id),
                           ("Activity_Group_Id", group if total > 1 else 0), ("Active", "true"), ("Comments", comment)):
            ET.SubElement(element, tag).text = str(value)
        next_id += 1
        return next_id - 1

    for index, (item, count) in enumerate(zip(problem.activities, problem.remaining())):
        ids: list[int] = []
        for _ in range(count):
            ids.append(activity(item.teachers, item.subject, item.classes, count, next_id if not ids else ids[0],
                                f"{MARK}{item.id}"))
        if ids:
            groups.append((index, ids))
    for slot in problem.fixed:
        if slot.school_id in problem.scope and slot.subject and slot.teacher_id in problem.teachers:
            locked.append((activity((slot.teacher_id,), slot.subject, (slot.class_id,), 1, 0,
                                    f"{FIXED_MARK}{slot.id}"), slot))
    space = _space(root, problem, names)
    building_changes = _time_constraints(root, space, problem, names, groups, locked)
    ET.indent(root, space="\t")
    Path(path).write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n\n' + ET.tostring(root, encoding="utf-8"))
    return {"activities": next_id - 1, "teachers": len(used), "classes": len(problem.classes),
            "building_changes": building_changes}


def _space(root: ET.Element, problem: Problem, names: Names) -> ET.Element:
    buildings = _add(root, "Buildings_List")
    for sid in sorted(problem.scope):
        _add(buildings, "Building", Name=problem.schools[sid].name, Comments="")
    rooms = _add(root, "Rooms_List")
    for cid, cls in sorted(problem.classes.items(), key=lambda kv: names.rooms[kv[0]]):
        _add(rooms, "Room", Name=names.rooms[cid], Building=problem.schools[cls.school_id].name, Capacity=1000,
             Virtual="false", Comments="")
    _add(root, "Time_Constraints_List")
    space = _add(root, "Space_Constraints_List")
    _constraint(space, "ConstraintBasicCompulsorySpace")
    for cid in sorted(problem.classes, key=names.rooms.get):
        _constraint(space, "ConstraintStudentsSetHomeRoom", ("Students", names.classes[cid]), ("Room", names.rooms[cid]))
    return space


def _time_constraints(root: ET.Element, space: ET.Element, problem: Problem, names: Names,
                      groups: list[tuple[int, list[int]]], locked: list[tuple[int, Slot]]) -> int:
    time = root.find("Time_Constraints_List")
    assert time is not None
    _constraint(time, "ConstraintBasicCompulsoryTime")
    days = len(problem.days)
    tagged: set[tuple[str, str]] = set()
    for index, ids in groups:
        item = problem.activities[index]
        limit = problem.rules[item.school_id].subject_daily.get(item.subject, 1)
        if limit == 1 and 1 < len(ids) <= days:
            _constraint(time, "ConstraintMinDaysBetweenActivities", ("Consecutive_If_Same_Day", "true"),
                        ("Number_of_Activities", len(ids)), *[("Activity_Id", i) for i in ids], ("MinDays", 1))
        elif limit > 1:
            for cid in item.classes:
                if (cid, item.subject) not in tagged:
                    tagged.add((cid, item.subject))
                    _constraint(time, "ConstraintStudentsSetActivityTagMaxHoursDaily", ("Maximum_Hours_Daily", limit),
                                ("Students", names.classes[cid]), ("Activity_Tag", problem.subject_name(item.subject)))
    teachers = sorted({t for a in problem.activities for t in a.teachers})
    away: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for slot in problem.fixed:
        if slot.school_id not in problem.scope and slot.teacher_id in teachers:
            school = problem.schools[slot.school_id]
            if slot.slot in school.lesson_slots() and slot.day in names.days:
                hour = school.lesson_slots().index(slot.slot)
                if hour < len(names.hours):
                    away[slot.teacher_id].add((names.days[slot.day], names.hours[hour]))
    for tid in teachers:
        teacher = problem.teachers[tid]
        home = teacher.school_id if teacher.school_id in problem.rules else min(problem.scope)
        _constraint(time, "ConstraintTeacherMaxHoursDaily", ("Teacher_Name", names.teachers[tid]),
                    ("Maximum_Hours_Daily", problem.daily_max(tid)))
        for day, period in problem.unavailable.get(tid, ()):
            if day not in names.days:
                continue
            hours = range(len(names.hours)) if period is None or home not in problem.scope or \
                period not in problem.schools[home].lesson_slots() else [names.hour_of(problem, home, period)]
            away[tid] |= {(names.days[day], names.hours[h]) for h in hours}
        if away[tid]:
            _constraint(time, "ConstraintTeacherNotAvailableTimes", ("Teacher", names.teachers[tid]),
                        *_times("Not_Available_Time", sorted(away[tid])))
    for cid, cls in sorted(problem.classes.items(), key=lambda kv: names.classes[kv[0]]):
        slots = problem.schools[cls.school_id].lesson_slots()
        closed = [(names.days[d], names.hours[h]) for d in problem.days for h in range(len(slots), len(names.hours))]
        closed += [(names.days[d], names.hours[slots.index(s)])
                   for d, s in problem.blocked.get(cls.school_id, set()) | problem.class_blocked.get(cid, set())
                   if d in names.days and s in slots]
        if closed:
            _constraint(time, "ConstraintStudentsSetNotAvailableTimes", ("Students", names.classes[cid]),
                        *_times("Not_Available_Time", closed))
        if cid in problem.gapless:
            _constraint(time, "ConstraintStudentsSetMaxGapsPerWeek", ("Max_Gaps", 0), ("Students", names.classes[cid]))
    for activity_id, slot in locked:
        _constraint(time, "ConstraintActivityPreferredStartingTime", ("Activity_Id", activity_id),
                    ("Preferred_Day", names.days[slot.day]),
                    ("Preferred_Hour", names.hours[names.hour_of(problem, slot.school_id, slot.slot)]),
                    ("Permanently_Locked", "true"))
    changes = 0
    for tid in teachers:
        gaps = _building_gap(problem, tid)
        if gaps is not None:
            changes += 1
            _constraint(space, "ConstraintTeacherMinGapsBetweenBuildingChanges", ("Teacher", names.teachers[tid]),
                        ("Min_Gaps_Between_Building_Changes", gaps))
    return changes


def _building_gap(problem: Problem, teacher_id: str) -> int | None:
    """Return the empty hours a 走教 teacher needs between lessons at two sites so that every pair
    of hours that far apart leaves the travel time (None for a teacher at one site)."""
    sites = sorted({a.school_id for a in problem.activities if teacher_id in a.teachers})
    if len(sites) < 2:
        return None
    need = 0
    for a in sites:
        for b in sites:
            if a == b:
                continue
            first, second = problem.schools[a].lesson_slots(), problem.schools[b].lesson_slots()
            for k, slot_a in enumerate(first):
                for j, slot_b in enumerate(second):
                    if j > k and problem.conflict((a, slot_a), (b, slot_b)):
                        need = max(need, j - k)
    return need


def read_fet_timetable(problem: Problem, path: str | Path) -> list[Slot]:
    """Return the lessons of a fet-cl `*_data_and_timetable.fet` for a file SchoolQ exported from
    this problem. Raises ValidationError (not such a file, another scope or term, activities that
    no longer match the teaching assignments, a timetable missing)."""
    path = Path(path)
    if not path.is_file():
        raise invalid(f"找不到文件 {path}。")
    if path.stat().st_size > MAX_BYTES:
        raise invalid(f"{path.name} 超过 50 MB,不像是 SchoolQ 导出的 FET 文件。")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise invalid(f"{path.name} 不是有效的 FET 文件(XML 第 {exc.position[0]} 行出错)。") from None
    comments = root.findtext("Comments") or ""
    scope = next((line for line in comments.splitlines() if line.startswith(SCOPE_MARK)), None)
    if root.tag != "fet" or scope is None:
        raise invalid(f"{path.name} 不是由 SchoolQ 导出的 FET 文件,无法导入(只能导入 SchoolQ 导出、经 FET 排好的文件)。")
    fields = dict(part.split("=", 1) for part in scope.split()[1:] if "=" in part)
    codes = ",".join(sorted(problem.schools[s].code for s in problem.scope))
    if fields.get("term") != problem.term["code"] or fields.get("schools") != codes:
        raise invalid(f"{path.name} 是为学期 {fields.get('term')}、学校 {fields.get('schools')} 导出的,"
                      f"与这次导入的学期 {problem.term['code']}、学校 {codes} 不符。")
    names = _names(problem)
    day_of = {name: day for day, name in names.days.items()}
    hour_of = {name: k for k, name in enumerate(names.hours)}
    by_id = {a.id: a for a in problem.activities}
    fixed = {s.id: s for s in problem.fixed}
    marks = {}
    for element in root.iter("Activity"):
        marks[element.findtext("Id")] = (element.findtext("Comments") or "").strip()
    placed = {}
    for element in root.iter("ConstraintActivityPreferredStartingTime"):
        day, hour = day_of.get(element.findtext("Preferred_Day") or ""), hour_of.get(element.findtext("Preferred_Hour") or "")
        if day is not None and hour is not None:
            placed[element.findtext("Activity_Id")] = (day, hour)
    lessons: list[Slot] = []
    problems: list[str] = []
    wanted: dict[str, int] = defaultdict(int)
    for activity_id, mark in marks.items():
        if mark.startswith(FIXED_MARK):
            slot = fixed.get(mark[len(FIXED_MARK):])
            if slot is not None:
                lessons.append(slot)
            continue
        item = by_id.get(mark[len(MARK):]) if mark.startswith(MARK) else None
        if item is None:
            problems.append(f"活动 {activity_id} 的备注“{mark}”对应不到现在的任课安排(导出后任课安排有改动?请重新导出)。")
            continue
        wanted[item.id] += 1
        if activity_id not in placed:
            problems.append(f"活动 {activity_id}({problem.subject_name(item.subject)})在文件中没有排定时间:"
                            "请导入 fet-cl 排好后写出的 *_data_and_timetable.fet。")
            continue
        day, hour = placed[activity_id]
        slots = problem.schools[item.school_id].lesson_slots()
        if hour >= len(slots):
            problems.append(f"活动 {activity_id} 排在{names.hours[hour]},但{problem.schools[item.school_id].name}没有这一节。")
            continue
        for number, class_id in enumerate(item.classes):
            teacher = item.teachers[min(number, len(item.teachers) - 1)]
            lessons.append(Slot(f"{item.id}:{day}:{slots[hour]}:{number}", item.school_id, class_id, day, slots[hour],
                                item.subject, teacher, item.room))
    for item, left in zip(problem.activities, problem.remaining()):
        if wanted[item.id] != left:
            problems.append(f"{'、'.join(names.classes[c] for c in item.classes)}“{problem.subject_name(item.subject)}”"
                            f"在文件中有 {wanted[item.id]} 节,任课安排现为 {left} 节:导出后任课安排有改动,请重新导出。")
    if problems:
        raise ValidationError([InputProblem(p) for p in problems[:50]])
    return lessons


def scope_codes(path: str | Path) -> tuple[str | None, list[str]]:
    """Return (term code, school codes) recorded in a .fet file SchoolQ exported ((None, []) when absent)."""
    try:
        root = ET.parse(Path(path)).getroot()
    except (ET.ParseError, OSError):
        return None, []
    for line in (root.findtext("Comments") or "").splitlines():
        if line.startswith(SCOPE_MARK):
            fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
            return fields.get("term"), [c for c in fields.get("schools", "").split(",") if c]
    return None, []


def load_fet_scope(db: Database, path: str | Path) -> tuple[dict, list[str]]:
    """Return (term row, school ids) a SchoolQ-exported .fet file was written for. Raises
    ValidationError when the file does not say, or names a term or school this database lacks."""
    term_code, codes = scope_codes(path)
    if not term_code or not codes:
        raise invalid(f"{Path(path).name} 不是由 SchoolQ 导出的 FET 文件,无法导入。")
    term = db.execute("SELECT * FROM term WHERE code = ?", [term_code]).fetchone()
    if term is None:
        raise invalid(f"文件是为学期 {term_code} 导出的,这个数据库中没有该学期。")
    found = {r[1]: r[0] for r in db.execute("SELECT id, code FROM school")}
    missing = [c for c in codes if c not in found]
    if missing:
        raise invalid(f"文件中的学校 {'、'.join(missing)} 不在这个数据库中。")
    columns = [d[0] for d in db.execute("SELECT * FROM term LIMIT 0").description]
    return dict(zip(columns, term)), [found[c] for c in codes]
