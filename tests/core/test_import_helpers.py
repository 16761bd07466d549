"""Builders shared by the import tests: small databases, messy workbooks and valid ID numbers.

The ID numbers are built with an independent implementation of GB 11643-1999 (weights 2^(17-i)
mod 11, check characters 1 0 X 9 8 7 6 5 4 3 2), not with app.validation.idcard.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.db.database import open_database
from app.db.writes import SYSTEM
from app.services import classes, schools, setup

_CHECK = "10X98765432"


def make_id(birth: str, seq: int, male: bool, area: str = "430121") -> str:
    """Return a valid 18-character ID number for a birth date written YYYYMMDD."""
    order = f"{seq:02d}{1 if male else 2}"
    first17 = area + birth + order
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + _CHECK[total % 11]


def wrong_check(number: str) -> str:
    """Return `number` with a different (wrong) last character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def write_xlsx(path: Path, sheets: dict[str, list[list]], *, title: str | None = "2026年秋季学期学生名册",
               blank_rows: int = 1) -> Path:
    """Write a workbook like the ones schools keep: per sheet a merged title row, blank rows, then
    the given rows (header first). Returns the path."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        width = max(len(r) for r in rows)
        if title:
            sheet.append([title])
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        for _ in range(blank_rows):
            sheet.append([])
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str) -> Path:
    """Write rows as CSV text in `encoding` (utf-8-sig gives a BOM, gbk a Windows Chinese file)."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def data_rows_before(db) -> tuple[int, int, int, int]:
    """Return (pupils, teachers, classes, audit entries): what a refused import must leave alone."""
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return (one("SELECT COUNT(*) FROM pupil"), one("SELECT COUNT(*) FROM teacher"),
            one("SELECT COUNT(*) FROM class"), one("SELECT COUNT(*) FROM audit_log"))


@pytest.fixture(scope="session")
def school_template(tmp_path_factory) -> Path:
    """A school database 石门小学 (S1) with the 复式 class 一二年级复式班 and the class 四(1)班."""
    path = tmp_path_factory.mktemp("import-school") / "school.sqlite"
    db = setup.init_school(path, code="S1", name="石门小学", type="完小", passphrase="demo", demo=True)
    school_id = schools.school_by_code(db, "S1")["id"]
    year_id = schools.current_term(db)["academic_year_id"]
    classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year_id, grades=[1, 2])
    classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year_id, grades=[4], number=1)
    db.close()
    return path


@pytest.fixture
def school_path(school_template, tmp_path) -> Path:
    """Path of a private copy of the school database."""
    path = tmp_path / "school.sqlite"
    shutil.copy(school_template, path)
    return path


@pytest.fixture
def school_db(school_path):
    """The open private copy of the school database."""
    db = open_database(school_path)
    yield db
    db.close()


@pytest.fixture(scope="session")
def township_template(tmp_path_factory) -> Path:
    """A township database with two schools: 青山中心小学 (T01) and 油溪村小 (T02), no classes."""
    path = tmp_path_factory.mktemp("import-township") / "township.sqlite"
    db = setup.init_township(path, code="QS", name="青山镇", passphrase="demo", demo=True)
    township_id = db.execute("SELECT id FROM township").fetchone()[0]
    schools.create_school(db, SYSTEM, code="T01", name="青山中心小学", type="中心校本部", township_id=township_id)
    schools.create_school(db, SYSTEM, code="T02", name="油溪村小", type="完小", township_id=township_id)
    db.close()
    return path


@pytest.fixture
def township_path(township_template, tmp_path) -> Path:
    """Path of a private copy of the township database."""
    path = tmp_path / "township.sqlite"
    shutil.copy(township_template, path)
    return path


@pytest.fixture
def township_db(township_path):
    """The open private copy of the township database."""
    db = open_database(township_path)
    yield db
    db.close()


def school_id(db, code: str) -> str:
    """Return the id of the school with `code`."""
    return schools.school_by_code(db, code)["id"]
