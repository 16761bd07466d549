"""The fuzz run of test_fuzz_imports, in an interpreter of its own limited to 1.5 GB of address space.

Usage: python fuzz_worker.py WORKDIR SEED CASES. Builds a small school database with pupils and an
exam, then for each case builds a mutated file (workbook bytes, sheet XML, cell values, CSV
encodings; all from random.Random(SEED)), runs the matching import command in this interpreter
(app.cli.main, as `schoolq` does) and records the exit code, whether a traceback or “程序内部错误”
appeared, and whether the database changed although the command exited 2. Prints one JSON line
per case.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import random
import sys
import zipfile
from pathlib import Path

from hostile_helpers import db_fingerprint, excel_escaped, rewrite_parts, small_workbook

from app.cli import main
from app.db.writes import SYSTEM
from app.services import classes, exams, keys, pupils, schools, setup

keys.KDF["n"] = 2**12  # as the suite does (tests/conftest.py): every case logs in once

HOSTILE_TEXT = ["\x00", "\x1b[31m", "\u202e", "\u200b", "\x7f", "=1+1", "+1", "-inf", "@SUM(A1)", "-", "nan",
                "𠮷", "\ufeff", "\r\n", "A" * 600, "张" * 5000, "1e308", "-0", "G" * 40, "\U0010ffff"]
HOSTILE_VALUES = [0, -1, 1e308, -1e308, 1e15, 4.30121201501012e17, 99999, 0.5, True, dt.date(1900, 1, 1),
                  dt.datetime(2016, 3, 8, 12, 0), None]
ROSTER = ["学籍号", "姓名", "性别", "出生日期", "年级", "班级"]
TEACHERS = ["工号", "姓名", "性别", "联系电话", "任教学科"]
MARKS = ["学籍号", "姓名", "班级", "语文", "数学"]
TIMETABLE = ["班级", "星期", "节次", "科目", "教师"]
CHECK = "10X98765432"


def _id(birth: str, seq: int) -> str:
    first = "430121" + birth + f"{seq:03d}"
    return first + CHECK[sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first)) % 11]


def build_school(folder: Path) -> tuple[Path, str]:
    """Return (a school database with 三(1)班, 3 pupils and an exam, the exam's name)."""
    path = folder / "school.sqlite"
    db = setup.init_school(path, code="S1", name="石门小学", type="完小", passphrase="demo", demo=True)
    school_id = schools.school_by_code(db, "S1")["id"]
    year_id = schools.current_term(db)["academic_year_id"]
    class_id = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year_id, grades=[3], number=1)
    for seq, name in enumerate(("张三", "李四", "王五"), start=1):
        pupils.add_pupil(db, SYSTEM, school_id, {"student_no": f"G{_id('20160308', seq)}", "name": name,
                                                 "gender": "男" if seq % 2 else "女", "grade": 3,
                                                 "class_id": class_id})
    exams.create_exam(db, SYSTEM, name="期中考试", type="期中", grades=[3], subjects="语文:100,数学:100",
                      school="S1")
    db.close()
    return path, "期中考试"


def good_rows(kind: str) -> list[list]:
    if kind == "roster":
        return [ROSTER] + [[f"G{_id('20160308', s)}", n, "男", "2016-03-08", 3, "三(1)班"]
                           for s, n in ((1, "张三"), (4, "赵六"))]
    if kind == "teachers":
        return [TEACHERS, ["T01", "李明", "男", "13800001111", "语文"], ["T02", "赵丽", "女", None, "数学"]]
    if kind == "marks":
        return [MARKS, [f"G{_id('20160308', 1)}", "张三", "三(1)班", 90, 85],
                [f"G{_id('20160308', 2)}", "李四", "三(1)班", "缺考", 77.5]]
    return [TIMETABLE, ["三(1)班", "星期一", "第1节", "语文", None], ["三(1)班", "星期二", "第2节", "数学", None]]


def mutate_cells(rng: random.Random, rows: list[list]) -> list[list]:
    rows = [list(r) for r in rows]
    for _ in range(rng.randint(1, 4)):
        row = rng.randrange(len(rows))
        column = rng.randrange(len(rows[row]) + 1)
        value = rng.choice(HOSTILE_TEXT + HOSTILE_VALUES) if rng.random() < 0.8 else \
            rng.choice(HOSTILE_TEXT) + str(rows[row][column % len(rows[row])])
        if column < len(rows[row]):
            rows[row][column] = value
        else:
            rows[row].append(value)
    return rows


def mutate_xml(rng: random.Random, data: bytes) -> bytes:
    def change(xml: bytes) -> bytes:
        choice = rng.randrange(7)
        if choice == 0:  # cells anywhere, up to the last one
            extra = b"".join(f'<row r="{r}"><c r="{c}{r}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
                             for c, r in sorted(((rng.choice(["A", "Z", "AA", "ZZ", "ALL", "XFD"]),
                                                  rng.choice([3, 999, 100000, 300001, 1048576]))
                                                 for _ in range(rng.randint(1, 3))), key=lambda x: x[1]))
            return xml.replace(b"</sheetData>", extra + b"</sheetData>")
        if choice == 1:  # cells without references
            return xml.replace(b' r="B2"', b"").replace(b' r="A2"', b"")
        if choice == 2:  # a lying dimension
            return xml.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>', 1)
        if choice == 3:  # broken XML
            cut = rng.randrange(len(xml))
            return xml[:cut]
        if choice == 4:  # a cell out of its row
            return xml.replace(b'r="A2"', b'r="A900000"', 1)
        if choice == 5:  # an entity declaration
            return b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + xml.split(b"?>", 1)[-1]
        return xml.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>")
    return rewrite_parts(data, {"xl/worksheets/sheet1.xml": change})


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    choice = rng.randrange(3)
    if choice == 0:
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif choice == 1:
        del data[rng.randrange(len(data)):]
    else:
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as target:
                for info in book.infolist():
                    if rng.random() < 0.2:
                        continue
                    target.writestr(info, book.read(info.filename))
            return out.getvalue()
    return bytes(data)


def csv_bytes(rng: random.Random, rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=rng.choice([",", "\t", ";"])).writerows(
        [["" if v is None else str(v) for v in row] for row in rows])
    text = buffer.getvalue()
    if rng.random() < 0.2:
        text = text.replace("\n", "\n" + "x" * 140_000 + ",", 1)
    if rng.random() < 0.2:
        text = text[:rng.randrange(len(text))] + '"' + text[rng.randrange(len(text)):]
    encoding = rng.choice(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "latin-1"])
    data = text.encode(encoding, errors="replace")
    if rng.random() < 0.15:
        data = data.replace(b",", b",\x00", 1)
    return data


def case_file(rng: random.Random, folder: Path, number: int) -> tuple[str, Path]:
    kind = rng.choice(["roster", "teachers", "marks", "timetable"])
    rows = good_rows(kind)
    style = rng.choice(["cells", "cells", "xml", "bytes", "csv"])
    suffix = ".csv" if style == "csv" else ".xlsx"
    path = folder / f"case{number}{suffix}"
    if style == "csv":
        path.write_bytes(csv_bytes(rng, mutate_cells(rng, rows) if rng.random() < 0.5 else rows))
        return kind, path
    data = small_workbook([[excel_escaped(v) for v in row] for row in (mutate_cells(rng, rows)
                                                                       if style == "cells" else rows)])
    if style == "xml":
        data = mutate_xml(rng, data)
    elif style == "bytes":
        data = mutate_bytes(rng, data)
    path.write_bytes(data)
    return kind, path


def run(folder: Path, seed: int, cases: int) -> None:
    rng = random.Random(seed)
    template, exam = build_school(folder)
    database = folder / "work.sqlite"
    database.write_bytes(template.read_bytes())
    for number in range(cases):
        kind, path = case_file(rng, folder, number)
        args = {"roster": ["import-roster", str(database), str(path)],
                "teachers": ["import-teachers", str(database), str(path)],
                "marks": ["import-marks", str(database), str(path), "--exam", exam],
                "timetable": ["import-timetable", str(database), str(path)]}[kind]
        before = db_fingerprint(database)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
        text = out.getvalue() + err.getvalue()
        changed = db_fingerprint(database) != before
        print(json.dumps({"case": number, "kind": kind, "file": path.name, "code": code, "changed": changed,
                          "traceback": "Traceback" in text or "程序内部错误" in text, "output": text[-400:]},
                         ensure_ascii=False), flush=True)
        if changed:  # start the next case from the same small database
            database.write_bytes(template.read_bytes())
            for suffix in ("-wal", "-shm"):
                Path(str(database) + suffix).unlink(missing_ok=True)
        path.unlink()


if __name__ == "__main__":
    run(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
