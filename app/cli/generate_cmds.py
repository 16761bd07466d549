"""Commands for automatic timetabling: timetable generate, export-fet, import-fet."""
from __future__ import annotations

from app.cli.common import add_term_argument, command, emit_json, with_db
from app.errors import invalid
from app.services.schools import school_by_code
from app.services.subjects import SubjectIndex
from app.timetable.model import DAY_NAMES, term_by_code
from app.validation.classnames import name_key
from app.timetable.solver.metrics import COMPONENT_NAMES
from app.timetable.solver.problem import scope_schools


def _scope_arguments(parser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--school", metavar="CODE", help="只排这所学校(学校代码);走教教师在别校的课保持不动")
    where.add_argument("--township", nargs="?", const="", metavar="CODE",
                       help="整个乡镇所有校区一起排(县级数据库需写乡镇代码);不写时数据库只有一个乡镇则排整个乡镇")
    add_term_argument(parser)


def register(tsub) -> None:
    """Add generate, export-fet and import-fet to `timetable`."""
    p = command(tsub, "generate", cmd_generate, dry_run="只排课并显示结果,不写入", json=True, user=True, help="自动排课(学校或整个乡镇)",
                description="按课程计划、任课安排、作息时间、走教路程等自动排出课表。先尽快找到一张满足全部硬性"
                            "要求的课表,再在时限内改进空节等软性要求;结果经课表检查没有错误才写入(一个事务,"
                            "留有审计记录)。锁定的课保持不动。排不出时说明哪些要求相互冲突。")
    _scope_arguments(p)
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="最长排课时间(秒,默认 30)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="随机种子(同一种子结果可重复,默认 0)")

    p = command(tsub, "export-fet", cmd_export_fet, help="把排课所需数据导出为 FET 文件",
                description="导出 FET 6 可以打开并排课的 .fet 文件:教师、班级、学科、任课(每节一个活动,备注中"
                            "带 SchoolQ 的任课编号)、教师每天最多节数、不能上课时间、小学不留空节、同一学科每天节数、"
                            "锁定的课;各校区作为楼宇,走教路程换算为教师换楼之间的最少空节。")
    _scope_arguments(p)
    p.add_argument("--out", required=True, metavar="FILE.fet", help="写出的 .fet 文件")

    p = command(tsub, "import-fet", cmd_import_fet, dry_run="只检查并显示结果,不写入", json=True, user=True, help="导入 FET 排好的课表",
                description="读入 fet-cl 为 SchoolQ 导出的文件排好后写出的 *_data_and_timetable.fet,经课表检查"
                            "没有错误才写入(一个事务,留有审计记录)。其他学校自己做的 .fet 文件不能导入。")
    p.add_argument("file", metavar="FILE.fet", help="fet-cl 写出的 *_data_and_timetable.fet")

    p = command(tsub, "lock", cmd_lock, user=True, help="锁定(或解锁)一节课,自动排课时保持不动",
                description="锁定某班某天某节已排的课;自动排课时锁定的课保持原样。--unlock 解锁。")
    p.add_argument("--school", required=True, metavar="CODE", help="学校代码")
    p.add_argument("--class", dest="class_name", required=True, metavar="NAME", help="班级名称,如 三(1)班")
    p.add_argument("--day", type=int, required=True, metavar="N", help="星期几(1-7)")
    p.add_argument("--slot", type=int, required=True, metavar="N", help="第几个时段(作息时间中的序号)")
    p.add_argument("--unlock", action="store_true", help="解锁")

    p = command(tsub, "unavailable", cmd_unavailable, user=True, help="登记教师不能上课的时间(自动排课时避开)",
                description="登记或取消某位教师某天(或某天某节)不能上课;节次按该教师本校的作息时间编号。")
    p.add_argument("--teacher", required=True, metavar="STAFF_NO", help="教师工号")
    p.add_argument("--day", type=int, required=True, metavar="N", help="星期几(1-7)")
    p.add_argument("--slot", type=int, metavar="N", help="第几个时段(不写:整天)")
    p.add_argument("--reason", help="原因,如 中心校教研")
    p.add_argument("--clear", action="store_true", help="取消这条登记")

    p = command(tsub, "event", cmd_event, user=True, help="设置全校固定活动(升旗、班会等)",
                description="某天某节全校固定活动:不写学科时这一节不排课(升旗、集会);写学科时每个班这一节都上该学科"
                            "(如班会记入综合实践活动)。--clear 取消。")
    p.add_argument("--school", required=True, metavar="CODE", help="学校代码")
    p.add_argument("--day", type=int, required=True, metavar="N", help="星期几(1-7)")
    p.add_argument("--slot", type=int, required=True, metavar="N", help="第几个时段(作息时间中的序号)")
    p.add_argument("--label", help="活动名称,如 升旗、班会")
    p.add_argument("--subject", help="这一节每班上的学科(名称或代码),如 综合实践活动")
    p.add_argument("--clear", action="store_true", help="取消这项固定活动")


def _school_ids(db, args) -> list[str]:
    return [s["id"] for s in scope_schools(db, args.school, args.township)]


def cmd_export_fet(args) -> int:
    """schoolq timetable export-fet: write the problem as a .fet file."""
    from app.timetable.generate import export_fet_file

    with with_db(args, write=False) as session:
        db = session.db
        counts = export_fet_file(db, _school_ids(db, args), term_by_code(db, args.term), args.out)
    print(f"已写出 {args.out}:{counts['classes']} 个班,{counts['teachers']} 位教师,{counts['activities']} 个活动"
          f"(每节课一个);{counts['building_changes']} 位走教教师设置了换校区之间的最少空节。")
    return 0


def cmd_import_fet(args) -> int:
    """schoolq timetable import-fet: read FET's timetable, check it, write unless --dry-run."""
    from app.timetable.generate import import_fet_file, save_generated

    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        actor = session.actor
        result = import_fet_file(db, args.file)
        written = save_generated(db, actor, result) if result.ok() and not args.dry_run else None
    return _report(args, result, written, "导入")


def cmd_generate(args) -> int:
    """schoolq timetable generate: solve, check, and write unless --dry-run; 2 when none is found."""
    from app.timetable.generate import generate, save_generated  # ortools loads only when generating

    with with_db(args, write=not args.dry_run) as session:
        db = session.db
        term = term_by_code(db, args.term)
        actor = session.actor
        result = generate(db, _school_ids(db, args), term, time_limit=args.time_limit, seed=args.seed)
        written = None
        if result.ok() and not args.dry_run:
            written = save_generated(db, actor, result)
    return _report(args, result, written, "排课")


def _report(args, result, written: dict | None, verb: str) -> int:
    """Print (or emit as JSON) a generated or imported timetable's outcome; return the exit code."""
    if args.json:
        emit_json({**result.to_dict(), "written": written})
        return 0 if result.ok() else 2
    if not result.ok():
        if result.lessons is not None:
            print(f"{verb}的课表没有通过课表检查,未写入:")
            for finding in result.errors():
                print(f"  {finding.message}")
        else:
            print("排不出满足全部硬性要求的课表,未写入任何数据。原因:")
            for line in result.explanation:
                print(f"  {line}")
        return 2
    m = result.metrics
    timing = "" if result.outcome.first_seconds is None else \
        f";首个可行课表用时 {result.outcome.first_seconds:.2f} 秒,共 {result.outcome.seconds:.1f} 秒"
    print(f"{verb}完成:{len(result.problem.scope)} 所学校,{len(result.classes())} 个班,{len(result.lessons or [])} 节课"
          f"{timing}。")
    print(f"硬性违规 0 条;软约束得分 {m['score']}(越小越好);教师空节 {m['teacher_gap']} 节,学生空节 {m['pupil_gap']} 节。")
    print("  " + ",".join(f"{COMPONENT_NAMES[k]} {m[k]}" for k in COMPONENT_NAMES))
    warnings = [f for f in result.findings if f.severity != "error"]
    if warnings:
        print(f"课表检查另有提醒 {len(warnings)} 条(可用 schoolq timetable check 查看)。")
    if written:
        print(f"已写入 {written['lessons']} 节课(替换原有 {written['replaced']} 节,锁定的课未动)。")
    else:
        print("这是试运行(--dry-run),未写入任何数据。")
    return 0


def cmd_unavailable(args) -> int:
    """schoolq timetable unavailable: record (or clear) a time a teacher cannot teach."""
    from app.timetable.edit import set_unavailable

    with with_db(args, write=True) as session:
        db = session.db
        row = db.execute("SELECT id, name FROM teacher WHERE staff_no = ?", [args.teacher.strip()]).fetchone()
        if row is None:
            raise invalid(f"没有工号为“{args.teacher}”的教师。")
        changed = set_unavailable(db, session.actor, teacher_id=row[0], day=args.day, slot=args.slot,
                                  unavailable=not args.clear, reason=args.reason)
    when = f"{DAY_NAMES.get(args.day, args.day)}" + (f"第 {args.slot} 个时段" if args.slot else "全天")
    state = "已取消" if args.clear else "已登记"
    print(f"{state}:{row[1]} {when}不能上课。" if changed else f"没有变化:{row[1]} {when}本来就{'可以' if args.clear else '不能'}上课。")
    return 0


def cmd_event(args) -> int:
    """schoolq timetable event: fix (or clear) a school event at one day and slot."""
    from app.timetable.edit import set_fixed_event

    with with_db(args, write=True) as session:
        db = session.db
        school = school_by_code(db, args.school)
        subject_id = None
        if args.subject and not args.clear:
            found = SubjectIndex.load(db).find(args.subject)
            if found is None:
                raise invalid(f"学科“{args.subject}”不在学科目录中。")
            subject_id = found["id"]
        if not args.clear and not (args.label or "").strip():
            raise invalid("请用 --label 写出活动名称,如 升旗、班会。")
        set_fixed_event(db, session.actor, school_id=school["id"], day=args.day, slot=args.slot,
                        label=None if args.clear else args.label, subject_id=subject_id)
    when = f"{DAY_NAMES.get(args.day, args.day)}第 {args.slot} 个时段"
    print(f"已取消{school['name']}{when}的固定活动。" if args.clear else f"已设置{school['name']}{when}:{args.label}。")
    return 0


def cmd_lock(args) -> int:
    """schoolq timetable lock: lock (or unlock) one lesson of a class."""
    from app.timetable.edit import set_locked

    with with_db(args, write=True) as session:
        db = session.db
        school = school_by_code(db, args.school)
        term = term_by_code(db, None)
        classes = {name_key(r[1]): r[0] for r in db.execute(
            "SELECT id, name FROM class WHERE school_id = ? AND academic_year_id = ?",
            [school["id"], term["academic_year_id"]])}
        class_id = classes.get(name_key(args.class_name))
        if class_id is None:
            raise invalid(f"{school['name']}本学年没有班级“{args.class_name}”。")
        changed = set_locked(db, session.actor, class_id=class_id, day=args.day, slot=args.slot,
                             locked=not args.unlock)
    state = "解锁" if args.unlock else "锁定"
    print(f"已{state}{args.class_name}{DAY_NAMES.get(args.day, args.day)}第 {args.slot} 个时段的课。" if changed
          else f"没有变化:这节课本来就已{state}。")
    return 0
