"""The `schoolq` command line. Each command group lives in its own module with a `register(sub)`.

Exit codes: 0 success, 2 input refused (the problems are printed in Chinese), 1 unexpected error
(a short Chinese sentence on stderr, the traceback only in the log file).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path

from app import __version__
from app.db import database
from app.db.database import set_busy_notice
from app.db.media import explain
from app.errors import SchoolQError, ValidationError
from app.paths import user_data_dir
from app.validation.text import printable

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES = [
    "app.cli.setup_cmds",
    "app.cli.roster_cmds",
    "app.cli.timetable_cmds",
    "app.cli.exam_cmds",
    "app.cli.stats_cmds",
    "app.cli.records_cmds",
    "app.cli.preset_cmds",
    "app.cli.target_cmds",
    "app.cli.appraisal_cmds",
    "app.cli.report_cmds",
    "app.cli.marks_cmds",
    "app.cli.keys_cmds",
    "app.cli.package_cmds",
    "app.cli.township_cmds",
    "app.cli.sheet_cmds",
    "app.cli.support_cmds",
    "app.cli.backup_cmds",
    "app.cli.audit_cmds",
]

log = logging.getLogger("schoolq")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every command group registered."""
    parser = argparse.ArgumentParser(prog="schoolq", description="乡村学校教学质量管理(命令行)")
    parser.add_argument("--version", action="version", version=f"schoolq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="命令", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _log_crash() -> str | None:
    """Append the current traceback to the error log in the data folder (or, when that folder
    cannot be written, in the system's temporary folder); return the log's path, or None when
    no log could be written at all."""
    text = traceback.format_exc() + "\n"
    for folder in (user_data_dir, lambda: Path(tempfile.gettempdir())):
        try:
            path = folder() / "schoolq-error.log"
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text)
            return str(path)
        except OSError:
            continue
    return None


def _busy_notice() -> None:
    print(f"数据库正被另一个程序使用,正在等待它结束(最多 {database.BUSY_WAIT_SECONDS:g} 秒)……", file=sys.stderr,
          flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run one CLI command; return the process exit code."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    args = build_parser().parse_args(argv)
    set_busy_notice(_busy_notice)
    try:
        result = args.func(args)
        return int(result or 0)
    except ValidationError as exc:
        print("输入被拒绝,未写入任何数据:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except SchoolQError as exc:
        print(f"错误:{printable(str(exc))}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"错误:找不到文件 {exc.filename or exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of our output went away (e.g. `schoolq … | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("已取消。", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the user gets a sentence, the log gets the traceback
        reason = explain(exc, getattr(args, "db", None))
        if reason is not None:  # a full disk, a write-protected stick, a busy file: said as such
            print(f"错误:{reason}", file=sys.stderr)
            return 2
        where = _log_crash()
        if where is None:
            print("程序内部错误,操作未完成(错误日志也无法写入)。", file=sys.stderr)
        else:
            print(f"程序内部错误,操作未完成。详细信息已记录到 {where},请把该文件交给技术支持。", file=sys.stderr)
        return 1
    finally:
        set_busy_notice(None)
