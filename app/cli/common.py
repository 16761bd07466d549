"""Helpers shared by the CLI command modules."""
from __future__ import annotations

import getpass
import json
import os
import sys

from sqlite_utils import Database

from app.db.database import open_database
from app.db.writes import Actor
from app.errors import invalid
from app.services.users import actor_for


def add_db_argument(parser) -> None:
    parser.add_argument("db", metavar="DB", help="数据库文件路径")


def add_user_argument(parser) -> None:
    parser.add_argument("--user", help="以哪个本地账号的身份操作(默认:数据库的管理员)")


def add_json_argument(parser) -> None:
    parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")


# Commands that only read: their database is opened read-only, so they work on a write-protected
# stick and can never change it.
READ_ONLY_COMMANDS = frozenset(f"app.cli.{name}" for name in (
    "setup_cmds.cmd_info", "exam_cmds.cmd_list", "stats_cmds.cmd_stats", "report_cmds.cmd_report",
    "keys_cmds.cmd_fingerprint", "keys_cmds.cmd_export_public", "keys_cmds.cmd_sheet", "keys_cmds.cmd_trusted",
    "package_cmds.cmd_list", "timetable_cmds.cmd_check", "timetable_cmds.cmd_print", "timetable_cmds.cmd_workload",
    "timetable_cmds.cmd_observations", "timetable_cmds.cmd_routine", "township_cmds.cmd_status",
    "township_cmds.cmd_checks"))


def open_db(args) -> Database:
    """Open the database named by args.db (it must exist): read-only for READ_ONLY_COMMANDS."""
    func = getattr(args, "func", None)
    command = f"{func.__module__}.{func.__name__}" if func else ""
    db = open_database(args.db, readonly=command in READ_ONLY_COMMANDS)
    if db.safety_copy:
        print(f"数据库已升级到本程序的数据结构;升级前的副本:{db.safety_copy}", file=sys.stderr)
    return db


def acting_user(db: Database, args) -> Actor:
    """Return the Actor for --user, or the database's administrator."""
    return actor_for(db, getattr(args, "user", None))


def passphrase(prompt: str = "管理员口令:", confirm: bool = False) -> str:
    """Return the passphrase from SCHOOLQ_PASSPHRASE or an interactive prompt.

    Raises ValidationError when neither is available (no terminal).
    """
    value = os.environ.get("SCHOOLQ_PASSPHRASE")
    if value:
        return value
    if not sys.stdin or not sys.stdin.isatty():
        raise invalid("需要口令:请设置环境变量 SCHOOLQ_PASSPHRASE,或在终端中运行以输入口令。")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("再输入一次:") != value:
        raise invalid("两次输入的口令不一致。")
    return value


def emit_json(value: object) -> None:
    """Print `value` as UTF-8 JSON (Chinese kept readable)."""
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))
