"""`schoolq retention`: 控辍保学 figures (巩固率, 流失率) per school and grade, and who left."""
from __future__ import annotations

import datetime as dt

from app.cli.common import add_db_argument, add_json_argument, emit_json, with_db
from app.cli.stats_cmds import format_table
from app.errors import invalid
from app.records.retention import RetentionRow, retention
from app.services.schools import school_by_code


def register(sub) -> None:
    """Add the `retention` command to the parser."""
    p = sub.add_parser("retention", help="控辍保学:巩固率、流失率与流失学生名单", description=(
        "以秋季开学(学年第一天)在籍学生为基数(篇7“以秋季入学班级学生数为准”),扣除此后正常转出的学生,"
        "统计至某日仍为“流失”的学生:巩固率 =(基数 − 流失)÷ 基数,流失率 = 流失 ÷ 基数。休学学生仍在籍。"))
    add_db_argument(p)
    p.add_argument("--school", help="只看这所学校(学校代码)")
    p.add_argument("--year", help="学年,如 2026-2027(默认:当前学期所在学年)")
    p.add_argument("--as-of", help="统计到这一天(如 2026-11-30;默认今天)")
    p.add_argument("--grades", action="store_true", help="同时列出各校各年级")
    add_json_argument(p)
    p.set_defaults(func=cmd_retention)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _row_json(row: RetentionRow) -> dict:
    out = row.to_dict()
    return {"school_code": out["school_code"], "school_name": out["school_name"], "grade": out["grade"],
            "intake": out["intake"], "transferred_out": out["transferred_out"], "base": out["base"],
            "left": out["left"], "retention_rate": out["retention_rate"], "loss_rate": out["loss_rate"]}


def cmd_retention(args) -> int:
    """Print the retention table (or JSON: one row per school, and per grade with --grades).
    Returns the exit code; refuses (2) a bad date, year or school code."""
    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise invalid(f"日期“{args.as_of}”无法识别,请写成 2026-11-30 的形式。") from None
    with with_db(args, write=False) as session:
        school_id = school_by_code(session.db, args.school)["id"] if args.school else None
        result = retention(session.db, school_id=school_id, year_code=args.year, as_of=as_of)
    rows = [*result.schools, *(result.grades if args.grades else [])]
    rows.sort(key=lambda r: (r.school_code, r.grade or 0))
    if args.json:
        emit_json({"year": result.year_code, "intake_day": result.intake_day, "as_of": result.as_of,
                   "rows": [{**_row_json(r), "level": "grade" if r.grade else "school"} for r in rows],
                   "left": [{k: v for k, v in p.items() if k not in ("school_id", "pupil_id")} for p in result.left]})
        return 0
    print(f"{result.year_code} 学年控辍保学:秋季开学({result.intake_day})在籍为基数,统计至 {result.as_of}。")
    headers = ["学校", "年级", "开学在籍", "转出", "基数", "流失", "巩固率", "流失率"]
    table = [[r.school_name, "全校" if r.grade is None else f"{r.grade}年级", str(r.intake), str(r.transferred_out),
              str(r.base), str(r.left), _percent(r.retention_rate), _percent(r.loss_rate)] for r in rows]
    if len(result.schools) > 1:
        total = result.total()
        table.append(["合计", "", str(total.intake), str(total.transferred_out), str(total.base), str(total.left),
                      _percent(total.retention_rate), _percent(total.loss_rate)])
    print(format_table(headers, table, right_from=2))
    if result.left:
        print("\n流失学生:")
        print(format_table(["学校", "学籍号", "姓名", "年级", "班级", "流失日期", "原因"], [
            [p["school_name"], p["student_no"], p["name"], str(p["grade"]), p["class_name"], p["date"] or "",
             p["reason"]] for p in result.left], right_from=9))
    else:
        print("\n本学年没有流失学生。")
    return 0
