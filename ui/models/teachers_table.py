"""The teachers table: its columns and the loader that runs on the worker."""
from __future__ import annotations

from sqlite_utils import Database

from app.queries.roster import list_teachers
from ui.models.table_model import Column, TableSnapshot, field_text

SEARCH_KEYS = ("name", "staff_no", "subjects")


def teacher_columns(township: bool) -> list[Column]:
    """Return the columns of the teachers table; 学校 comes first in a township database."""
    columns = [
        Column("staff_no", "工号", field_text("staff_no")),
        Column("name", "姓名", field_text("name")),
        Column("gender", "性别", field_text("gender"), centered=True),
        Column("subjects", "任教学科", field_text("subjects")),
        Column("roles", "职务", field_text("roles")),
        Column("titles", "称号", field_text("titles")),
        Column("sites", "走教学校", field_text("sites")),
        Column("active", "在岗", lambda r: "在岗" if r["active"] else "不在岗", lambda r: -r["active"],
               centered=True),
    ]
    if township:
        columns.insert(0, Column("school_name", "学校", field_text("school_name"), lambda r: r["school_code"]))
    return columns


def load_teachers(db: Database, township: bool) -> TableSnapshot:
    """Return the snapshot of every teacher of the database (run on the worker)."""
    return TableSnapshot.build(list_teachers(db), teacher_columns(township), SEARCH_KEYS)
