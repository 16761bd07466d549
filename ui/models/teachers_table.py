"""The teachers table: its columns and the loader that runs on the worker."""
from __future__ import annotations

from app.db.database import Database
from app.queries.roster import list_teachers
from ui.models.table_model import Column, TableSnapshot, field_text, school_column

SEARCH_KEYS = ("name", "staff_no", "subjects")


def teacher_columns(township: bool) -> list[Column]:
    """Return the columns of the teachers table; 学校 comes first in a township database."""
    columns = [
        Column("staff_no", "工号", field_text("staff_no"), sample="T0000012"),
        Column("name", "姓名", field_text("name"), sample="欧阳中中"),
        Column("gender", "性别", field_text("gender"), centered=True, sample="性别"),
        Column("subjects", "任教学科", field_text("subjects"), sample="语文、道德与法治"),
        Column("roles", "职务", field_text("roles"), sample="教导主任、班主任"),
        Column("titles", "称号", field_text("titles"), sample="学科带头人"),
        Column("sites", "走教学校", field_text("sites"), sample="黄土岭教学点、竹林教学点"),
        Column("active", "在岗", lambda r: "在岗" if r["active"] else "不在岗", lambda r: -r["active"],
               centered=True, sample="不在岗"),
    ]
    if township:
        columns.insert(0, school_column())
    return columns


def load_teachers(db: Database, township: bool) -> TableSnapshot:
    """Return the snapshot of every teacher of the database (run on the worker)."""
    return TableSnapshot.build(list_teachers(db), teacher_columns(township), SEARCH_KEYS)
