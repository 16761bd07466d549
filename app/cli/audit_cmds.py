"""`schoolq audit verify`: is the record of every change whole, and was anything changed outside
the program? Exit 0 when all is as the program recorded it, 2 with what was changed and when."""
from __future__ import annotations

from app.cli.common import command, emit_json, with_db
from app.services.audit import check

_SHOWN = 20


def register(sub) -> None:
    """Add the `audit` command group to the CLI parser."""
    audit = sub.add_parser("audit", help="审计记录:核对是否有人在程序之外改动了数据",
                           description="核对数据库的修改记录(由数据库自己记录、逐批以校验值串联、由本单位密钥签名)。")
    group = audit.add_subparsers(dest="audit_command", metavar="子命令", required=True)
    command(group, "verify", cmd_verify, json=True, help="核对审计记录;有问题时列出在程序之外做的修改及其时间(退出码 2)")


def cmd_verify(args) -> int:
    """Check the audit record; return 0 when whole and nothing was changed outside, else 2."""
    with with_db(args, write=False) as session:
        result = check(session.db)
    findings = result.findings
    if args.json:
        emit_json(result.to_dict())
        return 0 if result.ok else 2
    if result.ok:
        print(f"审计记录完整:{result.entries} 条修改记录都由本程序做出并已串联签名,没有发现程序之外的改动。")
        return 0
    print(f"发现 {len(findings)} 个问题:")
    for finding in findings:
        print(f"- {finding['message']}")
        for change in finding["changes"][:_SHOWN]:
            print(f"    {change['text']}")
        if len(finding["changes"]) > _SHOWN:
            print(f"    …… 另有 {len(finding['changes']) - _SHOWN} 处(用 --json 查看全部)")
    return 2
