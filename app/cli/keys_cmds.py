"""`schoolq keys …`: the database's signing key (fingerprint, public key file) and the keys it trusts."""
from __future__ import annotations


from app.cli.common import command, emit_json, with_db
from app.packages.registration_sheet import write_recovery_sheet, write_registration_sheet
from app.packages.signing import own_key, write_public_key
from app.packages.trust import list_trusted
from app.queries.roster import database_kind
from app.services.keys import new_recovery_code
from app.services.schools import get_meta


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
    command(group, "trusted", cmd_trusted, json=True, help="列出本数据库已登记(信任)的学校或乡镇公钥")


def _owner(db) -> str:
    kind = database_kind(db)
    code = get_meta(db, {"school": "school_code", "township": "township_code"}.get(kind, "county_code"))
    names = {"school": "学校", "township": "乡镇", "county": "县"}
    return f"{names.get(kind, kind)} {code or ''}".strip()


def cmd_fingerprint(args) -> int:
    """Print this database's key fingerprint; return the exit code."""
    with with_db(args, write=False) as session:
        db = session.db
        key = own_key(db)
        owner = _owner(db)
    if args.json:
        emit_json({"owner": owner, "fingerprint": key["fingerprint"], "public_pem": key["public_pem"]})
        return 0
    print(f"{owner} 的签名密钥指纹:")
    print(f"  {key['fingerprint']}")
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


def cmd_trusted(args) -> int:
    """List the keys this database trusts; return the exit code."""
    with with_db(args, write=False) as session:
        rows = list_trusted(session.db)
    if args.json:
        emit_json([{k: r[k] for k in ("level", "code", "fingerprint", "active", "created_at")} for r in rows])
        return 0
    if not rows:
        print("本数据库尚未登记任何学校或乡镇的公钥。")
    levels = {"school": "学校", "township": "乡镇"}
    for row in rows:
        state = "有效" if row["active"] else "已停用"
        print(f"{levels[row['level']]} {row['code']}  {row['fingerprint']}  {state}  登记于 {row['created_at']}")
    return 0
