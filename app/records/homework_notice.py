"""作业公示: the printable sheet of one class's written homework for one week (PDF).

Posted on the classroom door or sent to parents (002 课业负担监测和公告): each school day's minutes per
subject and the day's total beside the limit for the class's grade, the week's mean, and whether the
week keeps within it. No pupil appears on it.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlite_utils import Database

from app.errors import NotFound
from app.records.common import records_rules
from app.records.homework import WEEKDAYS, class_limit, homework_days, limits_text, week_start
from app.reports.common import make_stamp
from app.reports.model import Column, Report, Section, Table, Text
from app.reports.pdf import write_pdf


def notice_report(db: Database, class_id: str, day: dt.date) -> Report:
    """Return the 作业公示 report of the class for the week (Monday to Friday) holding `day`.
    Raises NotFound for an unknown class."""
    rows = list(db.query("SELECT c.name, c.school_id, s.name AS school_name FROM class c"
                         " JOIN school s ON s.id = c.school_id WHERE c.id = ?", [class_id]))
    if not rows:
        raise NotFound("没有这个班级。")
    cls = rows[0]
    preset = records_rules(db, cls["school_id"])
    limit, grades = class_limit(db, class_id, preset.content)
    monday = week_start(day)
    friday = monday + dt.timedelta(days=4)
    days = homework_days(db, class_id, monday, friday)
    subjects = list(dict.fromkeys(name for minutes in days.values() for name in minutes))
    table_rows: list[list] = []
    totals: list[int] = []
    for offset in range(5):
        date = monday + dt.timedelta(days=offset)
        minutes = days.get(date.isoformat())
        if minutes is None:
            table_rows.append([f"{date.month}月{date.day}日 星期{WEEKDAYS[offset]}", *[None] * len(subjects),
                               None, "未登记"])
            continue
        total = sum(minutes.values())
        totals.append(total)
        table_rows.append([f"{date.month}月{date.day}日 星期{WEEKDAYS[offset]}",
                           *[minutes.get(name) for name in subjects], total,
                           "超时" if total > limit else "符合要求"])
    limit_text = "不布置书面家庭作业" if limit == 0 else f"每天书面作业平均不超过 {limit} 分钟"
    grade_text = "、".join(f"{g}年级" for g in grades)
    mean = sum(totals) / len(totals) if totals else None
    if mean is None:
        verdict = "本周尚未登记作业时间。"
    elif mean > limit or (limit == 0 and any(totals)):
        verdict = f"本周平均每天 {mean:.0f} 分钟,超过规定({limit_text}),请各科协调减量。"
    else:
        verdict = f"本周平均每天 {mean:.0f} 分钟,符合规定({limit_text})。"
    table = Table(f"{cls['name']}书面作业时间(分钟)", [
        Column("日期"), *[Column(name, "int") for name in subjects], Column("合计", "int"), Column("情况")],
        table_rows, sheet="作业公示")
    stamp = make_stamp(db, [], [preset], extra=[(d, *sorted(m.items())) for d, m in sorted(days.items())])
    return Report(
        kind="homework", title=f"{cls['school_name']} {cls['name']} 作业公示",
        subtitle=f"{monday.isoformat()} 至 {friday.isoformat()}", header=f"{cls['school_name']} · {cls['name']} · 作业公示",
        stamp=stamp, basis=[("年级", grade_text), ("规定", limit_text)],
        sections=[Section(None, [table, Text(verdict), Text(
            "说明:书面作业时间由班主任每天汇总各科登记。" + limits_text(db, cls["school_id"])
            + "欢迎家长监督,如有意见请与班主任联系。", "note")])],
        file_title=f"{cls['name']}作业公示")


def write_notice(db: Database, class_id: str, day: dt.date, path: str | Path) -> Path:
    """Write the class's 作业公示 for the week of `day` as a PDF at `path`; return the path.
    Raises NotFound, OSError."""
    return write_pdf(notice_report(db, class_id, day), path)
