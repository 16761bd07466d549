"""`schoolq package …` (export a signed data package, check one) and `schoolq import-config` at a school."""
from __future__ import annotations

import sys

from app.cli.common import command, emit_json, list_command, with_db
from app.packages.config import NeedsConfirmation, import_config
from app.packages.export import export_package, list_exports
from app.packages.format import PackageRefused
from app.packages.sealing import read_identity
from app.packages.verify import check_file


def register(sub) -> None:
    """Add the `package` group and `import-config` to the CLI parser."""
    package = sub.add_parser("package", help="数据包:导出签名数据包、校验数据包",
                             description="把本校(或本乡镇)一个学期的数据导出为签名数据包(写到 U 盘),或校验一个数据包。")
    group = package.add_subparsers(dest="package_command", metavar="子命令", required=True)
    p = command(group, "export", cmd_export, json=True, user=True, help="导出签名数据包(打印写出的文件路径)",
                description="导出一个学期的数据包到 DIR(如 U 盘),写完后读回校验;需要管理员口令"
                            "(提示输入或环境变量 SCHOOLQ_PASSPHRASE)。")
    p.add_argument("--out", required=True, metavar="DIR", help="写到哪个文件夹(如 U 盘)")
    p.add_argument("--term", metavar="TERM", help="学期,如 2025-2026-1(默认:当前学期)")
    p.add_argument("--unencrypted", action="store_true",
                   help="学校还没有乡镇的加密公钥(未导入配置包)时,仍导出不加密的数据包(U 盘丢失会泄露学生信息)")
    p = command(group, "verify", cmd_verify, db=False, json=True, help="校验数据包文件(结构、校验值、签名)",
                description="检查数据包是否完整、未被改动,签名是否有效。给出 --pubkey 时用登记的公钥验证;"
                            "否则只能用包内附带的公钥,仅供参考。")
    p.add_argument("file", metavar="FILE", help="数据包 .zip 或加密的 .zip.age 文件")
    p.add_argument("--pubkey", metavar="PEM", help="登记的公钥文件")
    p.add_argument("--identity", metavar="FILE", help="加密的数据包:乡镇的解密身份文件(schoolq keys age-identity 导出)")
    command(group, "list", cmd_list, json=True, help="列出本数据库导出过的数据包(含序号)")

    p = command(sub, "import-config", cmd_import_config, json=True, user=True, help="学校导入乡镇下发的配置包(统考定义、评分预设、课程计划)",
                description="导入乡镇下发的配置包。第一次导入时显示乡镇密钥指纹,请电话核对后确认;"
                            "以后的配置包必须由同一把密钥签名。")
    p.add_argument("file", metavar="FILE", help="配置包 .zip 文件")
    p.add_argument("--yes", action="store_true", help="第一次导入时不再询问,直接信任包中的乡镇密钥(已核对指纹时用于脚本)")


def cmd_export(args) -> int:
    """Export a signed data package and print its path; return the exit code (2 when refused)."""
    with with_db(args, write=True) as session:
        result = export_package(session.db, session.actor, session.passphrase, args.out, term_code=args.term,
                                unencrypted=args.unencrypted)
    if args.json:
        emit_json(result.to_dict())
        return 0
    print(result.path)
    how = "已为乡镇加密," if result.sealed else "未加密(请亲手交给乡镇,勿在 U 盘上留存),"
    print(f"第 {result.sequence} 号数据包({result.term_code}),{result.size} 字节,{how}已读回校验。", file=sys.stderr)
    return 0


def cmd_verify(args) -> int:
    """Check a package file (structure, hashes, signature; an encrypted one decrypted with --identity);
    return 0 when it verifies, else 2."""
    try:
        registered = None
        if args.pubkey:
            with open(args.pubkey, "rb") as handle:
                registered = handle.read()
        result = check_file(args.file, read_identity(args.identity) if args.identity else None, registered)
    except PackageRefused as exc:
        if args.json:
            emit_json(exc.to_dict())
        else:
            print(f"校验失败:{exc.reason}")
            if exc.code == "encrypted":
                print("校验加密的数据包:加 --identity 指定乡镇的解密身份文件(schoolq keys age-identity 导出)。")
        return 2
    m = result.manifest
    if args.json:
        emit_json(result.to_dict())
        return 0
    print(f"校验通过:{m.describe()},制作于 {m.created_at}")
    print(f"签名密钥指纹:{m.fingerprint}")
    if not args.pubkey:
        print("注意:这是用包内附带的公钥验证的,只说明文件完整;是否真的来自该单位,要用登记的公钥(--pubkey)验证。")
    return 0


def cmd_list(args) -> int:
    """List the packages this database exported; return the exit code."""
    return list_command(args, list_exports, "本数据库还没有导出过数据包。", lambda row: (
        f"第 {row['sequence']} 号  {row['file_name']}  {row['created_at']}  "
        f"{'已写出并校验' if row['status'] == 'written' else '未完成(序号已作废)'}"))


def cmd_import_config(args) -> int:
    """Import a township's config package, asking to compare the fingerprint the first time;
    return 0 when imported or a duplicate, 2 when refused or not confirmed."""
    with with_db(args, write=True) as session:
        db = session.db
        actor = session.actor
        try:
            result = import_config(db, actor, args.file, trust_new=args.yes)
        except NeedsConfirmation as need:
            print(str(need))
            if not sys.stdin or not sys.stdin.isatty():
                print("没有终端可以确认:核对指纹后请加 --yes 重新运行。", file=sys.stderr)
                return 2
            answer = input("指纹一致吗?一致请输入 y 确认信任该乡镇密钥:").strip().lower()
            if answer not in ("y", "yes", "是"):
                print("未确认,没有导入任何内容。")
                return 2
            result = import_config(db, actor, args.file, trust_new=True)
        except PackageRefused as exc:
            if args.json:
                emit_json({"status": "refused", "code": exc.code, "message": f"拒收:{exc.reason}"})
            else:
                print(f"拒收:{exc.reason}", file=sys.stderr)
            return 2
    if args.json:
        emit_json(result.to_dict())
        return 0
    print(result.message)
    if result.first_time:
        print(f"已信任乡镇 {result.township_code} 的密钥(指纹 {result.fingerprint})。")
    return 0
