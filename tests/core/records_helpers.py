"""A small school worked by hand for the records tests: two classes, ten pupils, a status history."""
from __future__ import annotations

import datetime as dt

from app.db.writes import SYSTEM
from app.services import classes, pupils, setup, teachers
from app.services.schools import current_term

TODAY = dt.date(2026, 11, 20)


def small_school(path):
    """Return (db, ids): a 完小 XS01 in the term 2026-2027-1 with teachers 李春燕 (hired 2010, 班主任 of
    三(1)班), 王建国 (hired 2024, 班主任 of 五(1)班), 赵小青 (hired 2025) and 陈德明 (hired 2000, 教研组长),
    and the pupils and status history of the retention test (test_records_retention works its
    figures by hand). ids: school, three, five, li, wang, zhao, chen and the pupils A–J."""
    db = setup.init_school(path, code="XS01", name="溪水完全小学", type="完小", passphrase="demo",
                           township_code="QSZ", township_name="青山镇", today=TODAY, demo=True)
    school_id = db.execute("SELECT id FROM school WHERE code = 'XS01'").fetchone()[0]
    year_id = current_term(db)["academic_year_id"]
    staff = {}
    for no, (key, name, hired, subject, roles) in enumerate((
            ("li", "李春燕", "2010-09-01", "语文", "班主任"), ("wang", "王建国", "2024-09-01", "数学", "班主任"),
            ("zhao", "赵小青", "2025-09-01", "英语", ""), ("chen", "陈德明", "2000-09-01", "数学", "教研组长")), 1):
        staff[key] = teachers.add_teacher(db, SYSTEM, school_id, {
            "staff_no": f"T{no:02d}", "name": name, "gender": "女" if no % 2 else "男", "hire_date": hired,
            "subjects": subject, "roles": roles})
    three = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year_id, grades=[3],
                                 head_teacher_id=staff["li"])
    five = classes.create_class(db, SYSTEM, school_id=school_id, academic_year_id=year_id, grades=[5],
                                head_teacher_id=staff["wang"])
    ids = {"school": school_id, "three": three, "five": five, **staff}

    def pupil(key: str, no: int, class_id: str, **extra) -> str:
        values = {"student_no": f"XS{no:06d}", "name": f"学生{key}", "gender": "男" if no % 2 else "女",
                  "birth_date": "2017-05-01" if class_id == three else "2015-05-01", "class_id": class_id,
                  "enrol_date": "2024-09-01", **extra}
        ids[key] = pupils.add_pupil(db, SYSTEM, school_id, values)
        return ids[key]

    def change(key: str, status: str, day: str, note: str | None = None) -> None:
        pupils.update_pupil(db, SYSTEM, ids[key], {"status": status, "status_date": day, "status_note": note})

    for n, key in enumerate("ABCEF", start=1):
        pupil(key, n, three)
    pupil("D", 6, three, status="转入", status_date="2026-09-15", enrol_date="2026-09-15")
    change("B", "流失", "2026-10-12", "随父母外出务工")
    change("C", "转出", "2026-10-20", "转学至县城实验小学")
    change("E", "休学", "2026-11-02", "病休")
    change("F", "流失", "2026-11-03", "厌学在家")
    change("F", "在读", "2026-11-10", "劝返复学")
    for n, key in enumerate("GHI", start=7):
        pupil(key, n, five, enrol_date="2022-09-01")
    change("H", "流失", "2026-09-20", "家庭困难辍学")
    pupil("J", 10, five, enrol_date="2022-09-01")
    change("J", "流失", "2026-06-15", "上学年流失")
    return db, ids
