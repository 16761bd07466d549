"""`schoolq backup` and `schoolq restore`: a complete copy of a database on the local disk, and putting
one back after seeing what it holds (school, term, counts, date). Only the database's administrator."""
from __future__ import annotations

import sys

from app.cli.common import command, emit_json, with_db
from app.errors import invalid
from app.services import backups


def register(sub) -> None:
    """Add the `backup` and `restore` commands to the CLI parser."""
    p = command(sub, "backup", cmd_backup, json=True, user=True, help="备份数据库(完整副本,默认存到数据库旁的“备份”文件夹)",
                description="把数据库完整复制一份(打开着的窗口尚未写回的内容也在其中)。")
    p.add_argument("--out", metavar="DIR", help="备份存到哪个文件夹(默认:数据库旁的“备份”文件夹)")
    p.add_argument("--keep", type=int, metavar="N", help="只保留最新的 N 份备份,较旧的删除")

    p = command(sub, "restore", cmd_restore, json=True, user=True, help="从备份恢复数据库(先显示备份内容;恢复前自动保存当前数据)",
                description="不给出备份文件时,列出“备份”文件夹中的备份及其内容。恢复前会把当前数据库另存一份。")
    p.add_argument("backup", nargs="?", metavar="BACKUP", help="备份文件(.sqlite)")
    p.add_argument("--from", dest="folder", metavar="DIR", help="列出哪个文件夹中的备份(默认:数据库旁的“备份”文件夹)")
    p.add_argument("--yes", action="store_true", help="不再询问,直接恢复")


def cmd_backup(args) -> int:
    """Write a backup and print where it is; return the exit code."""
    if args.keep is not None and args.keep < 1:
        raise invalid("--keep 应为 1 或更大的整数。", "keep")
    with with_db(args, write=True) as session:
        path = backups.make_backup(session.db, session.actor, args.out, keep=args.keep)
    info = backups.describe_backup(path)
    if args.json:
        emit_json(info)
        return 0
    print(path)
    print(f"已备份({info['size'] / 1024 / 1024:.1f} MB):", file=sys.stderr)
    print(backups.preview_text(info), file=sys.stderr)
    return 0


def cmd_restore(args) -> int:
    """List the backups, or restore one after showing what it holds; return the exit code."""
    if not args.backup:
        found = [backups.describe_backup(p) for p in backups.list_backups(args.db, args.folder)]
        if args.json:
            emit_json(found)
            return 0
        if not found:
            print("没有找到备份。", file=sys.stderr)
        for info in found:
            print(info["path"])
            print("  " + backups.preview_text(info).replace("\n", "\n  "))
        return 0
    info = backups.describe_backup(args.backup)
    print("备份中的数据:", file=sys.stderr)
    print(backups.preview_text(info), file=sys.stderr)
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise invalid("恢复会用备份替换当前数据库的全部内容。核对上面的内容后,请加 --yes 再运行一次。")
        if input("用这份备份替换当前数据库的全部内容吗?(输入 是 确认)") not in ("是", "y", "Y", "yes"):
            print("已取消,没有改动。", file=sys.stderr)
            return 2
    with with_db(args, write=True) as session:
        result = backups.restore_backup(session.db, session.actor, args.backup)
    if args.json:
        emit_json({"restored": result["restored"], "kept": str(result["kept"])})
        return 0
    print(f"已从备份恢复:{args.db}")
    print(f"恢复前的数据已另存为:{result['kept']}")
    return 0
