"""Commands that create databases and describe them: init, demo, info."""
from __future__ import annotations

import getpass
import os
import sys
import time
from pathlib import Path

from app import __version__
from app.cli.common import command, emit_json, new_database, passphrase, with_db
from app.db.database import schema_version
from app.db.migrations import program_schema_version
from app.errors import invalid
from app.queries.roster import counts, database_kind
from app.services import setup
from app.services.passphrases import check_new_passphrase
from app.services.schools import SCHOOL_TYPES, current_term, get_meta
from app.services.users import recover_account


def register(sub) -> None:
    p = command(sub, "init", cmd_init, db=False, help="新建一所学校的数据库", description="新建一所学校的空数据库。")
    p.add_argument("path", metavar="PATH", help="新数据库文件路径")
    p.add_argument("--code", required=True, help="学校代码(字母和数字)")
    p.add_argument("--name", required=True, help="学校名称")
    p.add_argument("--type", required=True, choices=SCHOOL_TYPES, help="学校类型")
    p.add_argument("--township", help="所属乡镇代码")
    p.add_argument("--township-name", help="所属乡镇名称")

    p = command(sub, "demo", cmd_demo, db=False, help="生成演示数据库", description="生成确定性的演示数据(同一种子得到同样的数据)。")
    p.add_argument("path", metavar="PATH", help="要写入的数据库文件路径(不能已存在)")
    p.add_argument("--seed", type=int, default=1, help="随机种子(默认 1)")
    p.add_argument("--scale", choices=("township", "county"), default="township",
                   help="township:一个乡镇六所学校;county:约 200 所学校、6 万学生(用于性能测试)")
    p.add_argument("--school-dbs", metavar="DIR", help="同时为每所演示学校写出它自己的数据库(口令 demo)")

    p = command(sub, "recover", cmd_recover, help="用恢复码重设忘记的管理员口令",
                description="忘记管理员口令时,用设立数据库时打印的恢复码重设口令;签名密钥改由新口令保护,"
                            "指纹不变。恢复码来自提示或环境变量 SCHOOLQ_RECOVERY_CODE,新口令来自提示或 "
                            "SCHOOLQ_PASSPHRASE。")
    p.add_argument("--user", default="admin", help="要恢复的管理员账号(默认 admin)")

    command(sub, "info", cmd_info, json=True, help="显示数据库概况", description="显示数据库中的学校、班级、学生等数量。")


def cmd_init(args) -> int:
    return new_database(args.path, "学校数据库", lambda secret: setup.init_school(
        args.path, code=args.code, name=args.name, type=args.type, passphrase=secret,
        township_code=args.township, township_name=args.township_name))


def cmd_recover(args) -> int:
    """Set a forgotten administrator passphrase with the recovery code; return the exit code."""
    code = os.environ.get("SCHOOLQ_RECOVERY_CODE") or (
        getpass.getpass("恢复码(恢复单上的 25 个字母和数字):") if sys.stdin and sys.stdin.isatty() else "")
    if not code:
        raise invalid("需要恢复码:请设置环境变量 SCHOOLQ_RECOVERY_CODE,或在终端中运行以输入。")
    new = check_new_passphrase(passphrase("新的管理员口令(至少 8 个字符):", confirm=True))
    with with_db(args, write=False, readonly=False) as session:
        recover_account(session.db, args.user, code, new)
    print(f"已为账号 {args.user} 设置新口令,签名密钥已改由新口令保护。请重新打印恢复单(schoolq keys recovery-sheet)。")
    return 0


def cmd_demo(args) -> int:
    from app.demo import generate

    started = time.perf_counter()
    summary = generate(Path(args.path), seed=args.seed, scale=args.scale,
                       school_dbs=Path(args.school_dbs) if args.school_dbs else None,
                       progress=lambda fraction, message: print(f"[{fraction:4.0%}] {message}"))
    print(f"已生成演示数据库:{args.path}({time.perf_counter() - started:.1f} 秒)")
    for path in summary.get("school_dbs", []):
        print(f"  学校数据库:{path}")
    return 0


def cmd_info(args) -> int:
    with with_db(args, write=False) as session:
        db = session.db
        term = current_term(db)
        info = {
            "path": str(Path(args.db).resolve()),
            "kind": database_kind(db),
            "school_code": get_meta(db, "school_code"),
            "township_code": get_meta(db, "township_code"),
            "current_term": term["code"],
            "current_term_name": term["name"],
            "schema_version": schema_version(db),
            "program_schema_version": program_schema_version(),
            "program_version": __version__,
            **counts(db),
        }
    if args.json:
        emit_json(info)
        return 0
    kinds = {"school": "学校数据库", "township": "乡镇数据库", "county": "县级数据库"}
    print(f"{kinds.get(info['kind'], info['kind'])}:{info['path']}")
    print(f"当前学期:{info['current_term_name']}")
    for key, label in (("schools", "学校"), ("classes", "班级"), ("pupils", "在籍学生"), ("teachers", "在岗教师"),
                       ("exams", "考试"), ("marks", "成绩记录")):
        print(f"  {label}:{info[key]}")
    return 0
