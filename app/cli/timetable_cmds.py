"""Commands for timetables, teacher workload, lesson observation and teaching routine:
timetable check / plan / print, import-timetable, workload, observations, routine."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app.cli import generate_cmds
from app.cli.common import (add_school_argument, add_sheet_arguments, add_term_argument, command, emit_json,
                            report_plan, school_id_of, with_db, write_plan)
from app.errors import invalid
from app.routine.checks import LINKS, routine_summary
from app.routine.observations import observation_progress
from app.services.schools import school_by_code
from app.timetable.check import RULES, SEVERITY_NAMES, check_timetable
from app.timetable.model import DAY_NAMES, load_timetable, term_by_code
from app.timetable.plans import copy_preset, format_band, school_plan
from app.validation.classnames import name_key
from app.validation.text import parse_date
from app.workload.compute import STATUS_NAMES, teacher_workloads

_T = TypeVar("_T")


def register(sub) -> None:
    """Add timetable, import-timetable, workload, observations and routine to the CLI."""
    group = sub.add_parser("timetable", help="课表:合规检查、课程计划、打印",
                           description="课表的合规检查(开齐开足、体育一小时、劳动课、教师冲突、走教路程等)、"
                                       "课程计划与打印。")
    tsub = group.add_subparsers(dest="timetable_command", metavar="子命令", required=True)

    p = command(tsub, "check", cmd_check, json=True, help="检查课表是否合规", description="按课程计划和规则检查课表,列出发现的问题。")
    add_school_argument(p)
    add_term_argument(p)
    p.add_argument("--travel-minutes", type=int, metavar="N",
                   help="走教教师两校之间的路程时间(分钟),覆盖默认的 30 分钟(已单独设置的两校之间除外)")

    p = command(tsub, "print", cmd_print, help="打印班级或教师课表(A4 PDF)",
                description="把班级课表或教师课表写成 A4 PDF,每班、每人一页。")
    add_school_argument(p, required=True)
    add_term_argument(p)
    p.add_argument("--class", dest="classes", action="append", default=[], metavar="NAME",
                   help="班级名称,如 三(1)班;可写多次")
    p.add_argument("--teacher", dest="teachers", action="append", default=[], metavar="NAME",
                   help="教师姓名或工号;可写多次")
    p.add_argument("--all-classes", action="store_true", help="本校全部班级")
    p.add_argument("--all-teachers", action="store_true", help="本校全部有课的教师")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="输出的 PDF 文件")

    p = command(tsub, "plan", cmd_plan, json=True, user=True, help="查看或复制课程计划",
                description="显示学校执行的课程计划(每周课时,统考与否);--copy 把预设复制为本校课程计划以便调整。")
    add_school_argument(p, required=True)
    p.add_argument("--copy", action="store_true", help="把默认预设复制为本校课程计划(已有本校计划时不复制)")

    generate_cmds.register(tsub)

    p = command(sub, "import-timetable", cmd_import_timetable, dry_run="只检查并显示将导入的课,不写入", json=True, user=True,
                help="从 Excel/CSV 导入课表",
                description="导入课表:长表(学校、班级、星期、节次、科目、教师 各一列,每行一节课)或打印用的"
                            "课表格式(每班一张或一块,行为节次、列为星期一至星期五,格内如“语文 张三”)。"
                            "先检查整个文件,有任何问题就不写入;文件中出现的班级,其本学期课表整体替换。")
    add_sheet_arguments(p, "导入到哪所学校(学校代码);乡镇数据库中表内看不出学校时需要")

    p = command(sub, "workload", cmd_workload, json=True, help="教师工作量与均衡情况",
                description="按课表(没有课表的学校按任课安排)统计每位教师的周课时与折算工作量,对照标准工作量。")
    add_school_argument(p)
    add_term_argument(p)
    p.add_argument("--balance", action="store_true", help="输出按学科、年级、学校的均衡情况,而不是每位教师")

    p = command(sub, "observations", cmd_observations, json=True, help="听课任务完成情况",
                description="每位领导本学期的听课任务(按职务)、已听节数,以及按学期进度是否落后。")
    add_school_argument(p)
    add_term_argument(p)
    p.add_argument("--as-of", metavar="DATE", help="按哪一天计算进度(默认今天),如 2026-11-16")

    p = command(sub, "routine", cmd_routine, json=True, help="教学常规检查汇总",
                description="本学期备、讲、批、辅、考、思、研七个环节的检查次数与得分,按教师和学校汇总。")
    add_school_argument(p)
    add_term_argument(p)


def _read(args, read: Callable[..., _T], **options: object) -> _T:
    """Return `read(db, school_id=…, term=…, **options)` on the database opened read-only: the school
    --school names (None: every school) and the term --term names (the current one without)."""
    with with_db(args, write=False) as session:
        db = session.db
        return read(db, school_id=school_id_of(db, args.school), term=term_by_code(db, args.term), **options)


def cmd_check(args) -> int:
    """schoolq timetable check: print the findings (a JSON list with --json)."""
    result = _read(args, check_timetable, travel_minutes=args.travel_minutes)
    if args.json:
        emit_json([f.to_dict() for f in result.findings])
        return 0
    print(f"{result.term['name']} 课表检查(规则 {result.rules_basis})")
    for school in result.schools:
        print(f"  {school['school_code']} {school['school_name']}:{school['classes_with_timetable']}/"
              f"{school['classes']} 个班有课表,错误 {school['errors']} 条,提醒 {school['warnings']} 条"
              f"(课程计划 {result.plan_basis.get(school['school_code'], '')})")
    for finding in result.findings:
        where = " ".join(filter(None, [finding.school_code, finding.class_name or finding.teacher,
                                       DAY_NAMES.get(finding.day or 0), finding.period_label]))
        print(f"[{SEVERITY_NAMES[finding.severity]}] {RULES[finding.rule]} {where}:{finding.message}")
    if not result.findings:
        print("没有发现问题。")
    return 0


def cmd_print(args) -> int:
    """schoolq timetable print: write class and teacher timetables as an A4 PDF."""
    from app.timetable.pdf import timetables_pdf  # reportlab loads only when printing

    with with_db(args, write=False) as session:
        db = session.db
        school_id = school_id_of(db, args.school)
        term = term_by_code(db, args.term)
        data = load_timetable(db, term, school_id)
        classes = {c.name: c.id for c in data.classes.values() if c.school_id == school_id}
        teachers = [t for t in data.teachers.values() if t.school_id == school_id]
        class_ids = sorted(classes.values(), key=lambda c: (data.classes[c].grades, data.classes[c].number)) \
            if args.all_classes else []
        for name in args.classes:
            key = name_key(name)
            found = next((cid for n, cid in classes.items() if name_key(n) == key), None)
            if found is None:
                raise invalid(f"本校本学年没有班级“{name}”(有:{'、'.join(sorted(classes))})。")
            class_ids.append(found)
        teaching = {s.teacher_id for s in data.slots}
        teacher_ids = [t.id for t in sorted(teachers, key=lambda t: t.staff_no) if t.id in teaching] \
            if args.all_teachers else []
        for name in args.teachers:
            named = [t.id for t in teachers if name in (t.name, t.staff_no)]
            if len(named) != 1:
                raise invalid(f"本校没有{'唯一的' if named else ''}教师“{name}”,请写工号。")
            teacher_ids.append(named[0])
        path = timetables_pdf(db, args.out, class_ids=class_ids, teacher_ids=teacher_ids, term=term,
                              school_id=school_id)
    print(f"已写出 {len(class_ids) + len(teacher_ids)} 页课表:{path}")
    return 0


def cmd_plan(args) -> int:
    """schoolq timetable plan: show the plan a school follows; --copy makes it the school's own."""
    with with_db(args, write=args.copy) as session:
        db = session.db
        school = school_by_code(db, args.school)
        if args.copy:
            if db.execute("SELECT 1 FROM curriculum_plan WHERE school_id = ?", [school["id"]]).fetchone():
                raise invalid(f"{school['name']}已有本校课程计划,未重复复制。")
            copy_preset(db, session.actor, school["id"])
        plan = school_plan(db, school["id"])
    if args.json:
        emit_json(plan.to_dict())
        return 0
    own = "本校课程计划" if plan.plan_id else "默认预设"
    print(f"{school['name']}执行{own}:{plan.name}({plan.basis()})")
    grades = sorted({g for line in plan.lines for g in line.hours})
    print("科目" + "".join(f"  {g}年级" for g in grades))
    for line in plan.lines:
        cells = "".join(f"{format_band(line.hours.get(g)) or '—':>7}" for g in grades)
        print(f"{line.name}{'(统考)' if line.tested else ''}  {cells}")
    return 0


def cmd_workload(args) -> int:
    """schoolq workload: every teacher's load against the standard, or the balance figures."""
    result = _read(args, teacher_workloads)
    if args.balance:
        balance = result.balance()
        if args.json:
            emit_json(balance)
            return 0
        _print_balance(balance)
        return 0
    if args.json:
        emit_json([t.to_dict() for t in result.teachers])
        return 0
    print(f"{result.term['name']} 教师工作量(周课时;折算按 {'、'.join(sorted(set(result.basis.values())))})")
    print("学校    工号        姓名      周课时  折算   标准  结论")
    for t in result.teachers:
        note = f"  领导应带足 {t.leader_min:g} 节" if t.leader_short else ""
        print(f"{t.school_code:<7} {t.staff_no:<11} {t.name:<6} {t.periods:>6g} {t.weighted:>6g} {t.standard:>5g}  "
              f"{STATUS_NAMES[t.status]}{note}")
    return 0


def _print_balance(balance: dict) -> None:
    def line(name: str, s: dict) -> str:
        if not s["n"]:
            return f"  {name}:无"
        return (f"  {name}:{s['n']} 人,平均 {s['mean']:g},标准差 {s['sd']:g},最高 {s['max']:g},最低 {s['min']:g},"
                f"超标准 {s['over']} 人,低于标准 {s['under']} 人")
    print(line("全体", balance["all"]))
    for title, key in (("按学科", "by_subject"), ("按年级", "by_grade"), ("按学校", "by_school")):
        print(title)
        for name, figures in balance[key].items():
            print(line(f"{name}年级" if key == "by_grade" else name, figures))
    if balance["leaders_short"]:
        print("未带足节次的领导")
        for t in balance["leaders_short"]:
            print(f"  {t['school_code']} {t['name']}({'、'.join(t['roles'])}):{t['periods']:g} 节,应不少于 "
                  f"{t['leader_min']:g} 节")


def cmd_observations(args) -> int:
    """schoolq observations: each observer's role, quota, lessons observed and pace."""
    try:
        as_of = parse_date(args.as_of) if args.as_of else None
    except ValueError:
        raise invalid(f"日期“{args.as_of}”无法识别,请写成 2026-11-16 的形式。") from None
    rows = _read(args, observation_progress, as_of=as_of)
    if args.json:
        emit_json([r.to_dict() for r in rows])
        return 0
    print("学校    姓名      职务      任务  已听  应完成  状态")
    for r in rows:
        state = "落后" if r.behind else "正常"
        print(f"{r.school_code:<7} {r.name:<6} {r.role or '—':<6} {r.quota:>5} {r.done:>5} {r.expected_by_now:>7}  {state}")
    if not rows:
        print("没有听课任务或听课记录。")
    return 0


def cmd_routine(args) -> int:
    """schoolq routine: the term's routine checks per teacher and per school."""
    summary = _read(args, routine_summary)
    if args.json:
        emit_json(summary)
        return 0
    print(f"教学常规检查({summary['term']})")
    for school in summary["schools"]:
        counts = "、".join(f"{link}{school['links'][link]['count']}" for link in LINKS)
        mean = "—" if school["mean"] is None else f"{school['mean']:g}"
        print(f"  {school['school_code']} {school['school_name']}:检查 {school['checks']} 次({counts}),"
              f"平均 {mean} 分,{school['teachers_checked']}/{school['teachers']} 位教师被检查")
    return 0


def cmd_import_timetable(args) -> int:
    """schoolq import-timetable: check a timetable file and write it when it has no problem."""
    from app.timetable.import_xlsx import apply_timetable, read_timetable  # openpyxl loads only when importing

    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        plan = read_timetable(db, args.file, school_id=school_id_of(db, args.school))
        written = write_plan(session, plan, apply_timetable, args.dry_run)
    if args.json:
        emit_json({**plan.to_dict(), "written": written})
        return 2 if plan.problems else 0
    summary = plan.summary()
    form = "长表" if plan.form == "long" else "课表格式"
    verb = "已" if written else "将"
    print(f"读取为{form}:{verb}导入 {summary['classes']} 个班的 {summary['lessons']} 节课"
          f"(替换原有 {summary['replaced_lessons']} 节)。")
    if plan.new_day_plans:
        print(f"{len(plan.new_day_plans)} 所学校还没有作息时间,{verb}按默认作息时间建立。")
    return report_plan(plan, args.dry_run)
