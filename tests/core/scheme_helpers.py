"""A five-school township worked by hand, shared by the 篇7 and quality-target tests."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.db.writes import SYSTEM
from app.marks.entry import set_mark
from app.preset_store import activate, copy_preset, edit_preset
from app.services import setup
from app.services.classes import create_class
from app.services.exams import create_exam
from app.services.pupils import add_pupil
from app.services.schools import create_school

# Grade 3 语文 marks per school (None: on the autumn roster, left in October as 流失, no mark).
MARKS = {
    "A": ("中心校本部", [90, 80, 70, 60]),
    "B": ("完小", [95, 85, 50, 50]),
    "C": ("完小", [88, 72, 70, None]),
    "D": ("完小", [60, 60, 60, 60]),
    "E": ("教学点", [82, 78]),
}
# D's last pupil sat the exam (10 November) and left as 流失 in December: still kept on the exam day.
LEFT_AFTER_EXAM = {("D", 3): "2026-12-01"}


def build_township(folder: Path) -> dict:
    """The township: five schools with one grade-3 class each, a 统考 of 语文 (and a second one of
    科学 + 道德与法治 at school A only), and the 篇7 preset copied with top_n = 3 and put in force."""
    path = folder / "t.sqlite"
    db = setup.init_township(path, code="TST", name="测试镇", passphrase="demo", demo=True, today=dt.date(2026, 10, 20))
    township_id = db.execute("SELECT id FROM township").fetchone()[0]
    year_id = db.execute("SELECT id FROM academic_year WHERE code LIKE '2026%'").fetchone()[0]
    yw_exam = create_exam(db, SYSTEM, name="期中统考", type="统考", grades=[3], subjects="语文:100", date="2026-11-10",
                          policy="roster", cutoffs={"excellent_pct": 80, "pass_pct": 60, "low_pct": 40})
    zh_exam = create_exam(db, SYSTEM, name="综合测试", type="统考", grades=[3], subjects="科学:100,道德与法治:100",
                          date="2026-11-12", policy="roster", cutoffs={"excellent_pct": 80, "pass_pct": 60, "low_pct": 40})
    subjects = {r[0]: r[1] for r in db.execute("SELECT code, id FROM subject")}
    for n, (code, (kind, marks)) in enumerate(MARKS.items()):
        school_id = create_school(db, SYSTEM, code=f"S{code}", name=f"{code}校", type=kind, township_id=township_id)
        class_id = create_class(db, SYSTEM, school_id=school_id, academic_year_id=year_id, grades=[3])
        for i, mark in enumerate(marks):
            values = {"student_no": f"P{n}{i}00", "name": "张" + "一二三四"[i] + "甲乙丙丁戊"[n], "gender": "男", "grade": 3,
                      "class_id": class_id, "enrol_date": "2023-09-01"}
            if mark is None:
                values.update(status="流失", status_date="2026-10-10")
            if (code, i) in LEFT_AFTER_EXAM:
                values.update(status="流失", status_date=LEFT_AFTER_EXAM[(code, i)])
            pupil_id = add_pupil(db, SYSTEM, school_id, values)
            if mark is not None:
                set_mark(db, SYSTEM, exam_id=yw_exam, pupil_id=pupil_id, subject_id=subjects["yw"], value=mark)
            if code == "A":
                set_mark(db, SYSTEM, exam_id=zh_exam, pupil_id=pupil_id, subject_id=subjects["kx"], value=50 - 10 * i)
                set_mark(db, SYSTEM, exam_id=zh_exam, pupil_id=pupil_id, subject_id=subjects["df"], value=40)
    copy = copy_preset(db, SYSTEM, "township-000-7", "测试镇篇7")
    copy = edit_preset(db, SYSTEM, copy.id, {"top_n": 3})
    activate(db, SYSTEM, copy.id)
    db.close()
    return {"path": path, "exam": yw_exam, "zh_exam": zh_exam, "preset": copy}
