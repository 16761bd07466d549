"""The pupils table: its columns and the loader that runs on the worker."""
from __future__ import annotations

from app.db.database import Database
from app.queries.roster import list_pupils
from app.services.pupils import FLAGS, STATUSES
from app.validation.classnames import GRADE_NAMES
from ui.models.table_model import Column, TableSnapshot, field_text, flag_text, school_column

SEARCH_KEYS = ("name", "student_no")


def pupil_columns(township: bool, class_order: dict[str, int] | None = None) -> list[Column]:
    """Return the columns of the pupils table; 学校 comes first in a township database.

    `class_order` ranks class ids (school, grade, number) for the 班级 column's order.
    """
    class_order = class_order or {}
    columns = [
        Column("student_no", "学籍号", field_text("student_no"), sample="G4331272019010112345"),
        Column("name", "姓名", field_text("name"), sample="欧阳中中"),
        Column("gender", "性别", field_text("gender"), centered=True, sample="性别"),
        Column("grade", "年级", lambda r: GRADE_NAMES.get(r["grade"], str(r["grade"])), lambda r: r["grade"],
               sample="一年级"),
        Column("class_name", "班级", field_text("class_name"),
               lambda r: class_order.get(r.get("class_id") or "", len(class_order)), sample="一二年级复式班"),
        Column("birth_date", "出生日期", field_text("birth_date"), lambda r: r.get("birth_date") or "",
               sample="2019-06-02"),
        *(Column(key, label, flag_text(key), lambda r, k=key: r[k], centered=True, sample=label)
          for key, label in FLAGS.items()),
        Column("status", "状态", field_text("status"),
               lambda r: STATUSES.index(r["status"]) if r["status"] in STATUSES else len(STATUSES), centered=True,
               sample="状态"),
    ]
    if township:
        columns.insert(0, school_column())
    return columns


def load_pupils(db: Database, township: bool) -> TableSnapshot:
    """Return the snapshot of every pupil of the database (run on the worker)."""
    rows = list_pupils(db)
    class_order: dict[str, int] = {}
    for row in rows:  # list_pupils orders by school, grade, class number: first sight is the class order
        if row["class_id"] and row["class_id"] not in class_order:
            class_order[row["class_id"]] = len(class_order)
    return TableSnapshot.build(rows, pupil_columns(township, class_order), SEARCH_KEYS)
