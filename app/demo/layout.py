"""The shape of the demo: schools, classes, pupils and staff, as plain rows (no database yet).

Everything is drawn from one random.Random, so the same seed gives the same township.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from app.db.writes import new_id, stable_id
from app.demo.names import PLACES, person_name
from app.services.classes import default_name
from app.validation.idcard import check_digit

CURRENT_YEAR = 2026      # academic year 2026-2027, first term
PREVIOUS_YEAR = 2025
REGION_CODE = "433127"   # a prefecture-level code of the right shape, fictional for the demo

# Weekly periods per subject code for the demo teaching plan, following the shipped curriculum
# preset (resources/presets/curriculum/zhejiang-2023.json): grades 1-2: 26, 3-6: 30 a week;
# 语文 with 书法 7 (3-4) and 6 (5-6), 科学 2 (3-4) and 3 (5-6), 劳动 + 综合实践 + 校本 3 / 4.
PLAN_LOW = {"yw": 8, "sx": 4, "df": 2, "kx": 1, "ty": 4, "yl": 2, "ms": 2, "ld": 1, "zh": 1, "xbkc": 1}
PLAN_MID = {"yw": 6, "sx": 4, "yy": 3, "df": 2, "kx": 2, "xx": 1, "ty": 3, "yl": 2, "ms": 2, "ld": 1, "zh": 2,
            "sf": 1, "xbkc": 1}
PLAN_HIGH = {"yw": 5, "sx": 4, "yy": 3, "df": 2, "kx": 3, "xx": 1, "ty": 3, "yl": 2, "ms": 2, "ld": 1, "zh": 2,
             "sf": 1, "xbkc": 1}
HOMEROOM_SUBJECTS = ("yw", "df", "ld", "zh", "sf", "xbkc")


def plan_for(grade: int) -> dict[str, int]:
    """Return the demo's weekly periods per subject code for `grade` (a 复式 class uses its highest
    grade's, so the older pupils get English and 信息科技)."""
    return PLAN_LOW if grade <= 2 else PLAN_MID if grade <= 4 else PLAN_HIGH


@dataclass
class DemoClass:
    id: str
    school: "DemoSchool"
    grades: list[int]
    number: int
    name: str
    sizes: dict[int, int]
    effect: float
    previous_id: str | None = None
    previous_name: str | None = None
    head_teacher: "DemoTeacher | None" = None


@dataclass
class DemoTeacher:
    id: str
    school: "DemoSchool"
    staff_no: str
    name: str
    gender: str
    subjects: list[str]
    roles: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    sites: list["DemoSchool"] = field(default_factory=list)
    load: float = 0.0
    birth_date: str = ""
    hire_date: str = ""


@dataclass
class DemoSchool:
    id: str
    code: str
    name: str
    type: str
    township_id: str
    effect: float
    classes: list[DemoClass] = field(default_factory=list)
    teachers: list[DemoTeacher] = field(default_factory=list)


@dataclass
class DemoTownship:
    id: str
    code: str
    name: str
    schools: list[DemoSchool] = field(default_factory=list)


def _class_layouts(kind: str, rng: random.Random, scale: str) -> list[tuple[list[int], dict[int, int]]]:
    """Return (grades, pupils per grade) per class of a school of this kind."""
    if kind == "中心校本部":
        per_grade, mean = (2, 40) if scale == "township" else (3, 45)
        return [([g], {g: max(30, round(rng.gauss(mean, 3)))}) for g in range(1, 7) for _ in range(per_grade)]
    if kind == "完小":
        mean = 25 if scale == "township" else 50
        return [([g], {g: max(12, round(rng.gauss(mean, 4)))}) for g in range(1, 7)]
    style = rng.randrange(3)
    size = lambda: rng.randint(4, 15)  # noqa: E731
    if style == 0:   # grades 1-3: grade 1 alone, 2 and 3 together
        return [([1], {1: size()}), ([2, 3], {2: size(), 3: size()})]
    if style == 1:   # grades 1-4 in two 复式 classes
        return [([1, 2], {1: size(), 2: size()}), ([3, 4], {3: size(), 4: size()})]
    return [([g], {g: size()}) for g in (1, 2, 3)]


def build_townships(rng: random.Random, scale: str) -> list[DemoTownship]:
    """Return the townships of the demo with their schools and classes (no pupils yet)."""
    count = 1 if scale == "township" else 34
    townships = []
    places = list(PLACES)
    for t in range(count):
        base = places[t % len(places)] + ("" if t < len(places) else str(t // len(places) + 1))
        code = "QSZ" if scale == "township" else f"T{t + 1:02d}"
        township = DemoTownship(id=stable_id("township", code), code=code, name=f"{base}镇")
        kinds = ["中心校本部", "完小", "完小", "教学点", "教学点", "教学点"] if scale == "township" else \
            ["中心校本部", "完小", "完小", "完小", "教学点", "教学点"]
        village_names = [p for p in PLACES if p != base]
        rng.shuffle(village_names)
        for i, kind in enumerate(kinds):
            school_code = f"{code}{i + 1:02d}"
            if kind == "中心校本部":
                name = f"{base}镇中心小学"
            elif kind == "完小":
                name = f"{village_names[i]}完全小学"
            else:
                name = f"{village_names[i]}教学点"
            effect = {"中心校本部": 0.2, "完小": 0.0, "教学点": -0.3}[kind] + rng.gauss(0, 0.1)
            school = DemoSchool(id=stable_id("school", school_code), code=school_code, name=name, type=kind,
                                township_id=township.id, effect=effect)
            numbers: dict[int, int] = {}
            for grades, sizes in _class_layouts(kind, rng, scale):
                number = numbers[grades[0]] = numbers.get(grades[0], 0) + 1
                cls = DemoClass(id=new_id(), school=school, grades=grades, number=number,
                                name=default_name(grades, number), sizes=sizes, effect=rng.gauss(0, 0.25))
                if max(grades) >= 2:  # last year's class of the pupils who were already at school
                    cls.previous_id = new_id()
                    cls.previous_name = default_name([g - 1 for g in grades if g >= 2], number)
                school.classes.append(cls)
            township.schools.append(school)
        townships.append(township)
    return townships


def id_number(rng: random.Random, birth: dt.date, gender: str) -> str:
    """Return a well-formed ID number (valid GB 11643 check digit) for the demo."""
    seq = rng.randrange(0, 1000)
    seq = seq - seq % 2 + (1 if gender == "男" else 0)  # the 17th digit is odd for men
    first17 = f"{REGION_CODE}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def birth_for_grade(rng: random.Random, grade: int) -> dt.date:
    """Return a birth date fitting `grade` in the 2026-2027 year (a few pupils a year older)."""
    start = dt.date(CURRENT_YEAR - 6 - grade, 9, 1)
    if rng.random() < 0.06:
        start = start.replace(year=start.year - 1)
    return start + dt.timedelta(days=rng.randrange(365))


def make_pupils(rng: random.Random, townships: list[DemoTownship]) -> list[dict]:
    """Return pupil rows (with hidden ability fields starting with '_') for every class."""
    pupils = []
    seen: set[str] = set()
    for township in townships:
        for school in township.schools:
            boarding_rate = {"中心校本部": 0.35, "完小": 0.15, "教学点": 0.0}[school.type]
            for cls in school.classes:
                for grade, size in cls.sizes.items():
                    for _ in range(size):
                        gender = "男" if rng.random() < 0.52 else "女"
                        birth = birth_for_grade(rng, grade)
                        number = id_number(rng, birth, gender)
                        while number in seen:
                            number = id_number(rng, birth, gender)
                        seen.add(number)
                        roll = rng.random()
                        status, status_date, enrol = "在读", None, f"{CURRENT_YEAR - grade + 1}-09-01"
                        if roll < 0.02:
                            status, status_date = "转入", f"{CURRENT_YEAR}-09-{rng.randint(2, 20):02d}"
                            enrol = status_date
                        elif roll < 0.03:
                            status, status_date = "转出", f"{CURRENT_YEAR}-10-{rng.randint(8, 30):02d}"
                        elif roll < 0.033:
                            status, status_date = "休学", f"{CURRENT_YEAR}-10-{rng.randint(8, 30):02d}"
                        pupils.append({
                            "id": new_id(), "school_id": school.id, "student_no": "G" + number,
                            "name": person_name(rng, gender), "gender": gender, "birth_date": birth.isoformat(),
                            "id_number": number, "class_id": cls.id, "grade": grade,
                            "boarding": int(grade >= (1 if school.type == "中心校本部" else 4)
                                            and rng.random() < boarding_rate),
                            "left_behind": int(rng.random() < 0.38), "migrant": int(rng.random() < 0.02),
                            "disabled": int(rng.random() < 0.01), "pe_exempt": int(rng.random() < 0.012),
                            "status": status, "status_date": status_date, "enrol_date": enrol,
                            "_ability": rng.gauss(0, 1), "_class": cls, "_school": school,
                        })
    return pupils


def _teacher(rng: random.Random, school: DemoSchool, subjects: list[str]) -> DemoTeacher:
    gender = "女" if rng.random() < 0.6 else "男"
    birth = dt.date(rng.randint(1968, 1999), rng.randint(1, 12), rng.randint(1, 28))
    hire = dt.date(max(birth.year + 21, 1990) + rng.randint(0, 4), 9, 1)
    teacher = DemoTeacher(id=new_id(), school=school, staff_no=f"{school.code}{len(school.teachers) + 1:03d}",
                          name=person_name(rng, gender), gender=gender, subjects=list(subjects),
                          birth_date=birth.isoformat(), hire_date=hire.isoformat())
    if rng.random() < 0.15:
        teacher.titles.append("骨干")
    elif rng.random() < 0.05:
        teacher.titles.append("学科带头人")
    school.teachers.append(teacher)
    return teacher


def staff_schools(rng: random.Random, township: DemoTownship) -> list[tuple[DemoClass, str, DemoTeacher, int]]:
    """Create the teachers of a township and return its teaching assignments
    (class, subject code, teacher, weekly periods).

    Village schools are staffed as they often are: the 班主任 of a 教学点 teaches almost everything
    (包班), 完小 班主任 of grades 1-3 teach mathematics too and cover PE, music and art; three
    central-school teachers (music, art, English) travel to every 教学点 (走教).
    """
    assignments = []
    central = next(s for s in township.schools if s.type == "中心校本部")
    points = [s for s in township.schools if s.type == "教学点"]
    itinerant = {code: _teacher(rng, central, [code]) for code in ("yl", "ms", "yy")}
    for teacher in itinerant.values():
        teacher.sites = list(points)
    central_pools: dict[str, list[DemoTeacher]] = {code: [t] for code, t in itinerant.items()}

    def give(cls: DemoClass, code: str, teacher: DemoTeacher) -> None:
        periods = plan_for(max(cls.grades))[code]
        teacher.load += periods
        assignments.append((cls, code, teacher, periods))

    def specialist(pools: dict, school: DemoSchool, pool: str, subjects: list[str], capacity: float,
                   need: int) -> DemoTeacher:
        for teacher in pools.setdefault(pool, []):
            if teacher.load + need <= capacity:
                return teacher
        teacher = _teacher(rng, school, subjects)
        pools[pool].append(teacher)
        return teacher

    for school in sorted(township.schools, key=lambda s: s.type != "教学点"):
        pools = central_pools if school is central else {}
        for cls in school.classes:
            low = max(cls.grades) <= 3
            extra = ["sx"] if school.type == "教学点" or (school.type == "完小" and low) else []
            head = _teacher(rng, school, ["yw", "df", *extra])
            head.roles.append("班主任")
            cls.head_teacher = head
            for code, need in plan_for(max(cls.grades)).items():
                if code in HOMEROOM_SUBJECTS or (code == "sx" and extra):
                    teacher = head
                elif school.type == "教学点":
                    teacher = itinerant[code] if code in itinerant else head
                elif code == "sx":
                    teacher = specialist(pools, school, "sx", ["sx"], 20, need)
                elif code in ("yy", "kx", "xx") and school.type == "完小":
                    teacher = specialist(pools, school, "yy", ["yy", "kx", "xx"], 28, need)
                elif school.type == "完小":
                    teacher = head
                elif code in ("kx", "xx"):
                    teacher = specialist(pools, school, "kx", ["kx", "xx"], 28, need)
                else:
                    teacher = specialist(pools, school, code, [code], 22, need)
                give(cls, code, teacher)
        _leaders(rng, school)
    return assignments


def _leaders(rng: random.Random, school: DemoSchool) -> None:
    heads = [t for t in school.teachers if "班主任" in t.roles]
    others = [t for t in school.teachers if "班主任" not in t.roles]
    if school.type == "教学点":
        heads[0].roles.append("中层")
        return
    principal = next((t for t in others if "sx" in t.subjects), others[0] if others else heads[0])
    principal.roles.append("校长")
    if school.type == "中心校本部":
        heads[0].roles.append("副校长")
        heads[1].roles.append("教导主任")
        for teacher in [t for t in others if t is not principal][:2]:
            teacher.roles.append("中层")
        heads[2].roles.append("教研组长")
        math = [t for t in others if "sx" in t.subjects and t is not principal]
        if math:
            math[0].roles.append("教研组长")
        for grade_head in (heads[3], heads[6], heads[9]):
            grade_head.roles.append("年级组长")
    else:
        heads[0].roles.append("教导主任")
    for teacher in school.teachers:
        if rng.random() < 0.3 and "sx" not in teacher.subjects and school.type != "教学点" and \
                teacher.subjects[0] == "yw":
            teacher.subjects.append("sx")
