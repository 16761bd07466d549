"""Who may change a school's timetable, daily slot plan, curriculum plan and travel times."""
from __future__ import annotations

from app.db.writes import Actor
from app.errors import PermissionDenied


def require_timetable_write(actor: Actor, school_id: str) -> None:
    """Raise PermissionDenied unless the actor may edit the timetable of `school_id`: a township
    administrator, or the school's administrator or 教务."""
    if actor.role == "township_admin":
        return
    if actor.role in ("school_admin", "academic") and actor.school_id == school_id:
        return
    if actor.role == "teacher":
        raise PermissionDenied("教师账号不能修改课表和课程计划,请联系教务处。")
    raise PermissionDenied("您只能修改本校的课表和课程计划。")
