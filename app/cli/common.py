"""Helpers shared by the CLI command modules: arguments, the passphrase, and `with_db`, the one way a
command opens its database (and, when it writes, proves who is acting)."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database

from app.db.database import open_database
from app.db.writes import Actor
from app.errors import invalid
from app.services.audit import chain_head, sign_session_end
from app.services.keys import new_recovery_code, own_key
from app.services.passphrases import check_new_passphrase
from app.services.schools import school_by_code
from app.services.users import actor_for, login


def command(group, name: str, func: Callable[..., int], *, db: bool = True, json: bool = False,
            user: bool = False, dry_run: str | None = None, **texts: str) -> argparse.ArgumentParser:
    """Add the command `name` to the sub-command `group`, run by `func`, with `texts` (help,
    description) and the arguments most commands share: the database path first (`db`), --json,
    --user (the acting account of a writing command) and --dry-run with the help `dry_run`; return
    its parser, for the arguments of its own."""
    parser = group.add_parser(name, **texts)
    if db:
        add_db_argument(parser)
    if dry_run:
        parser.add_argument("--dry-run", action="store_true", help=dry_run)
    if json:
        add_json_argument(parser)
    if user:
        add_user_argument(parser)
    parser.set_defaults(func=func)
    return parser


def add_db_argument(parser) -> None:
    parser.add_argument("db", metavar="DB", help="数据库文件路径")


def add_term_argument(parser) -> None:
    parser.add_argument("--term", metavar="CODE", help="学期代码,如 2026-2027-1(默认:当前学期)")


def add_sheet_arguments(parser, school: str) -> None:
    """Add the spreadsheet an import command reads and its --school with the help `school`."""
    parser.add_argument("file", metavar="FILE", help="要导入的 .xlsx / .xlsm / .csv 文件")
    parser.add_argument("--school", metavar="CODE", help=school)


def add_school_argument(parser, required: bool = False, what: str = "只看这所学校(学校代码)") -> None:
    parser.add_argument("--school", metavar="CODE", required=required, help=what)


def add_user_argument(parser) -> None:
    parser.add_argument("--user", help="以哪个本地账号的身份操作(默认:数据库的管理员);口令来自提示或 SCHOOLQ_PASSPHRASE")


def add_json_argument(parser) -> None:
    parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")


def school_id_of(db: Database, code: str | None) -> str | None:
    """Return the id of the school with the code `code` (--school), None without a code.
    Raises NotFound for an unknown code."""
    return school_by_code(db, code)["id"] if code else None


def passphrase(prompt: str = "管理员口令:", confirm: bool = False) -> str:
    """Return the passphrase from SCHOOLQ_PASSPHRASE or an interactive prompt.

    Raises ValidationError when neither is available (no terminal) or the two entries differ.
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


@dataclass(frozen=True)
class Session:
    """An open database and, for a writing command, the authenticated account and its passphrase
    (which also unlocks the signing key when the account is the administrator)."""

    db: Database
    actor: Actor | None = None
    passphrase: str | None = None


@contextmanager
def with_db(args, *, write: bool, readonly: bool | None = None) -> Iterator[Session]:
    """Open the database named by args.db (it must exist; read-only unless `write` or `readonly`
    is False, so a command that only reads works on a write-protected stick and cannot change the
    file); for `write`, authenticate the acting account (--user, default the database's
    administrator) with its passphrase from SCHOOLQ_PASSPHRASE or a prompt; yield the Session; when
    it ends without an error and changed something, the session signs the audit chain's head (an
    administrator with the database's key, another account with its own, app.services.audit); the
    database is closed in any case.

    Raises ValidationError when no passphrase can be had or it is wrong (the CLI exits 2, nothing
    written), NotFound for an unknown account, FileNotFoundError for a missing file.
    """
    db = open_database(args.db, readonly=not write if readonly is None else readonly)
    if db.safety_copy:
        print(f"数据库已升级到本程序的数据结构;升级前的副本:{db.safety_copy}", file=sys.stderr)
    actor = secret = None
    try:
        if write:
            username = getattr(args, "user", None) or actor_for(db).username
            secret = passphrase(f"账号“{username}”的口令:")
            actor = login(db, username, secret)
        started = chain_head(db)
        yield Session(db, actor, secret)
        if actor is not None and secret:
            sign_session_end(db, actor, secret, started)
    finally:
        db.close()


def new_database(path: str, what: str, create: Callable[[str], Database]) -> int:
    """Create a database with `create(passphrase)` under a new administrator passphrase (asked
    twice, or SCHOOLQ_PASSPHRASE; at least 8 characters), print its key fingerprint and the
    recovery code for the printed recovery sheet; return the exit code 0.

    Raises ValidationError (weak or mismatched passphrase, bad input: nothing is created).
    """
    secret = check_new_passphrase(passphrase("为管理员设置口令(至少 8 个字符):", confirm=True))
    db = create(secret)
    try:
        actor = actor_for(db)
        code = new_recovery_code(db, actor, secret)
        fingerprint = own_key(db)["fingerprint"]
    finally:
        db.close()
    print(f"已创建{what}:{path}")
    print(f"管理员账号:{actor.username};签名密钥指纹:{fingerprint}")
    print(f"恢复码:{code}")
    print("请把恢复码抄在纸上(或用 schoolq keys recovery-sheet 打印恢复单)锁好保存:忘记管理员口令时,"
          "只有它能重设口令并保住签名密钥。")
    return 0


def write_plan(session: Session, plan, apply: Callable[..., object], dry_run: bool) -> bool:
    """Write the import `plan` with `apply(db, actor, plan)` unless it has problems or this is a
    dry run; return whether it was written."""
    if plan.problems or dry_run:
        return False
    apply(session.db, session.actor, plan)
    return True


def report_plan(plan, dry_run: bool, rows: int | None = None) -> int:
    """Print the import `plan`'s problems and warnings, then the refusal (naming the `rows` with
    problems, when counted) or the dry-run note; return the exit code: 2 when refused, else 0."""
    for problem in plan.problems:
        print(str(problem))
    for warning in plan.warnings:
        print(f"提醒:{warning}")
    if plan.problems:
        where = f"(涉及 {rows} 行)" if rows is not None else ""
        print(f"发现 {len(plan.problems)} 个问题{where},未写入任何数据。请改正后重新导入。")
        return 2
    if dry_run:
        print("这是试运行(--dry-run),未写入任何数据。")
    return 0


def emit_json(value: object) -> None:
    """Print `value` as UTF-8 JSON (Chinese kept readable)."""
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def listed(args, rows: list, empty: str) -> bool:
    """Print `rows` as JSON when --json was given, or `empty` when there are none; return True when
    that is all the command prints (its listing is left for it to print otherwise)."""
    if args.json:
        emit_json(rows)
        return True
    if not rows:
        print(empty)
        return True
    return False


def list_command(args, read: Callable[[Database], list], empty: str, line: Callable[[dict], str]) -> int:
    """Print what `read(db)` lists, the database opened read-only: as JSON with --json, `empty` when
    there is nothing, else `line(row)` for every row; return the exit code 0."""
    with with_db(args, write=False) as session:
        rows = read(session.db)
    if not listed(args, rows, empty):
        for row in rows:
            print(line(row))
    return 0
