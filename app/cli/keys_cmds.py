"""`schoolq keys …`: the database's signing key (fingerprint, public key file) and the keys it trusts."""
from __future__ import annotations

from app.cli.common import command, emit_json, list_command, with_db
from app.packages.registration_sheet import key_card, write_recovery_sheet, write_registration_sheet
from app.packages.sealing import write_identity
from app.packages.signing import write_public_key
from app.packages.trust import list_trusted
from app.services.keys import new_recovery_code


def register(sub) -> None:
    """Add the `keys` command group to the CLI parser."""
    keys = sub.add_parser("keys", help="签名密钥:指纹、导出公钥、已登记的密钥",
                          description="查看本数据库的签名密钥指纹、导出公钥文件(交给乡镇登记),列出本数据库信任的密钥。")
    group = keys.add_subparsers(dest="keys_command", metavar="子命令", required=True)
    command(group, "fingerprint", cmd_fingerprint, json=True, help="显示本数据库签名密钥的指纹(电话核对用)")
    p = command(group, "export-public", cmd_export_public, help="导出公钥文件(.pem),交给乡镇中心校登记")
    p.add_argument("--out", required=True, metavar="FILE", help="公钥文件路径,如 school.pem")
    p = command(group, "sheet", cmd_sheet, help="打印密钥登记表(PDF:单位、指纹、公钥、签字栏)")
    p.add_argument("--out", required=True, metavar="FILE", help="PDF 文件路径,如 登记表.pdf")
    p = command(group, "recovery-sheet", cmd_recovery_sheet, user=True, help="打印新的管理员口令恢复单(PDF;以前的恢复码作废),需要管理员口令")
    p.add_argument("--out", required=True, metavar="FILE", help="PDF 文件路径,如 恢复单.pdf")
    p = command(group, "age-identity", cmd_age_identity, user=True,
                help="乡镇:导出解密学校数据包的 age 身份文件(供 age 工具核对),需要管理员口令",
                description="把乡镇的解密身份写成 age 身份文件,可用标准的 age 工具解密学校的 .zip.age 数据包"
                            "(age -d -i FILE)。它能解开所有学校的数据包:用完请删除,切勿放在 U 盘上。")
    p.add_argument("--out", required=True, metavar="FILE", help="身份文件路径,如 qsz-age.txt")
    command(group, "trusted", cmd_trusted, json=True, help="列出本数据库已登记(信任)的学校或乡镇公钥")


def cmd_fingerprint(args) -> int:
    """Print this database's key fingerprint; return the exit code."""
    with with_db(args, write=False) as session:
        card = key_card(session.db)
    if args.json:
        emit_json(card.to_dict())
        return 0
    print(f"{card.label()} 的签名密钥指纹:")
    print(f"  {card.fingerprint}")
    print("请把这八组数字念给乡镇中心校核对(或打印出来签字存档)。")
    return 0


def cmd_export_public(args) -> int:
    """Write this database's public key to --out; return the exit code."""
    with with_db(args, write=False) as session:
        out, fingerprint = write_public_key(session.db, args.out)
    print(f"已导出公钥:{out}")
    print(f"指纹:{fingerprint}")
    return 0


def cmd_sheet(args) -> int:
    """Write the printable key registration sheet (PDF); return the exit code."""
    with with_db(args, write=False) as session:
        path = write_registration_sheet(session.db, args.out)
    print(f"已生成密钥登记表:{path}")
    return 0


def cmd_recovery_sheet(args) -> int:
    """Make a new recovery code and write it on a printable sheet; return the exit code."""
    with with_db(args, write=True) as session:
        code = new_recovery_code(session.db, session.actor, session.passphrase)
        path = write_recovery_sheet(session.db, args.out, code, session.actor.username)
    print(f"已生成恢复单:{path}(以前的恢复码已作废)。请打印后锁好保存,并删除这个 PDF 文件。")
    return 0


def cmd_age_identity(args) -> int:
    """Write the township's age identity file; return the exit code."""
    with with_db(args, write=True) as session:
        path, recipient = write_identity(session.db, session.actor, session.passphrase, args.out)
    print(f"已写出解密身份:{path}(对应的加密公钥 {recipient})。用完请删除这个文件。")
    return 0


def cmd_trusted(args) -> int:
    """List the keys this database trusts; return the exit code."""
    levels = {"school": "学校", "township": "乡镇"}
    return list_command(args, list_trusted, "本数据库尚未登记任何学校或乡镇的公钥。", lambda row: (
        f"{levels[row['level']]} {row['code']}  {row['fingerprint']}  {'有效' if row['active'] else '已停用'}"
        f"  登记于 {row['created_at']}"))
