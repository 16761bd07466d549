"""Adjusting the workload preset: coefficients, standards per school type, tolerance, allowances."""
from __future__ import annotations

from sqlite_utils import Database

from app.db.writes import Actor
from app.errors import Problem, ValidationError
from app.presets import Preset, effective, store
from app.services.schools import SCHOOL_TYPES
from app.services.teachers import ROLES


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number


def workload_problems(content: dict, subject_codes: set[str]) -> list[Problem]:
    """Return what is wrong with a workload preset: a coefficient or allowance that is not a
    number ≥ 0, a standard that is not positive for every school type, a tolerance outside 0-1,
    unknown subjects or roles."""
    problems: list[Problem] = []

    def need(value: object, what: str, field: str, low: float = 0.0, high: float = 100.0) -> None:
        number = _number(value)
        if number is None or not low <= number <= high:
            problems.append(Problem(f"{what}应为 {low:g} 到 {high:g} 之间的数。", field=field))

    for code, value in content.get("subject_coefficients", {}).items():
        if code not in subject_codes:
            problems.append(Problem(f"学科系数中的学科代码“{code}”不在学科目录中。", field="subject_coefficients"))
        need(value, f"学科系数({code})", "subject_coefficients", 0.1, 5)
    need(content.get("default_subject_coefficient"), "其他学科系数", "default_subject_coefficient", 0.1, 5)
    for step in content.get("class_size_steps", []):
        need(step.get("above"), "班额分档人数", "class_size_steps", 0, 200)
        need(step.get("add"), "班额加成", "class_size_steps", 0, 2)
    need(content.get("multigrade_add_per_extra_grade"), "复式班每多一个年级的加成", "multigrade_add_per_extra_grade", 0, 2)
    need(content.get("homeroom_allowance"), "班主任折算节数", "homeroom_allowance", 0, 20)
    need(content.get("itinerant_trip_allowance"), "走教每次往返折算节数", "itinerant_trip_allowance", 0, 10)
    for role, value in content.get("role_allowance", {}).items():
        if role not in ROLES:
            problems.append(Problem(f"职务“{role}”不在 {' / '.join(ROLES)} 之中。", field="role_allowance"))
        need(value, f"{role}职务折算节数", "role_allowance", 0, 30)
    for school_type in SCHOOL_TYPES:
        need(content.get("standard", {}).get(school_type), f"{school_type}标准工作量", "standard", 1, 60)
    need(content.get("tolerance"), "允许偏差", "tolerance", 0, 1)
    for role, value in content.get("leader_min_periods", {}).items():
        if role not in ROLES:
            problems.append(Problem(f"职务“{role}”不在 {' / '.join(ROLES)} 之中。", field="leader_min_periods"))
        need(value, f"{role}最少节数", "leader_min_periods", 0, 40)
    return problems


def workload_preset(db: Database, school_id: str | None = None) -> Preset:
    """Return the workload preset in force for `school_id` (or for the database)."""
    return effective(db, "workload", school_id)


def save_workload_preset(db: Database, actor: Actor, content: dict, school_id: str | None = None) -> Preset:
    """Validate and save an adjusted workload preset for `school_id` or the database; audited.
    Returns the preset now in force. Raises ValidationError, PermissionDenied."""
    codes = {r[0] for r in db.execute("SELECT code FROM subject")}
    problems = workload_problems(content, codes)
    if problems:
        raise ValidationError(problems)
    return store(db, actor, "workload", content, school_id)
