"""The printable key registration sheet: who the key belongs to, its fingerprint in large digits, the
public key itself, and lines for the two people who compared the fingerprint to sign."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlite_utils import Database

from app import __version__
from app.packages.signing import own_key
from app.paths import font_path
from app.services.schools import get_meta

FONT = "WQYMicroHei"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_path()), subfontIndex=0))
    return FONT


def owner(db: Database) -> dict:
    """Return the level (学校 / 乡镇 / 县), code and name of the unit whose key this database holds."""
    kind = get_meta(db, "kind", "school")
    if kind == "school":
        row = db.execute("SELECT s.code, s.name, t.name FROM school s LEFT JOIN township t ON t.id = s.township_id"
                         " WHERE s.code = ?", [get_meta(db, "school_code") or ""]).fetchone()
        return {"level": "学校", "code": row[0] if row else "", "name": row[1] if row else "",
                "parent": row[2] if row else None}
    if kind == "township":
        row = db.execute("SELECT code, name, county FROM township WHERE code = ?",
                         [get_meta(db, "township_code") or ""]).fetchone()
        return {"level": "乡镇", "code": row[0] if row else "", "name": row[1] if row else "",
                "parent": row[2] if row else None}
    return {"level": "县", "code": get_meta(db, "county_code") or "", "name": get_meta(db, "county_name") or "",
            "parent": None}


def write_registration_sheet(db: Database, path: str | Path) -> Path:
    """Write the A4 key registration sheet of this database's key to `path` (PDF); return the path.

    Raises NotFound when the database has no key.
    """
    path = Path(path)
    key = own_key(db)
    who = owner(db)
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=16)
    big = ParagraphStyle("big", fontName=font, fontSize=20, leading=28, alignment=TA_CENTER)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))
    groups = key["fingerprint"].split()
    fingerprint = "&nbsp;&nbsp;".join(groups[:4]) + "<br/>" + "&nbsp;&nbsp;".join(groups[4:])
    rows = [
        [Paragraph("单位", body), Paragraph(f"{who['name']}({who['code']})", body)],
        [Paragraph("类别", body), Paragraph(who["level"] + (f",属 {who['parent']}" if who["parent"] else ""), body)],
        [Paragraph("密钥指纹", body), Paragraph(fingerprint, big)],
        [Paragraph("公钥", body), Paragraph(key["public_pem"].strip().replace("\n", "<br/>"), small)],
        [Paragraph("打印时间", body), Paragraph(dt.datetime.now().strftime("%Y-%m-%d %H:%M"), body)],
    ]
    table = Table(rows, colWidths=[30 * mm, 140 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    signatures = Table([[Paragraph("本单位负责人(签字):", body), Paragraph("日期:", body)],
                        [Paragraph("上级核对人(签字):", body), Paragraph("日期:", body)]],
                       colWidths=[110 * mm, 60 * mm], rowHeights=[18 * mm, 18 * mm])
    story = [Paragraph("数据包签名密钥登记表", title), Spacer(1, 8 * mm), table, Spacer(1, 6 * mm),
             Paragraph("登记时,请双方逐组朗读、核对上面的八组数字。数字完全一致,才说明上级登记的公钥确实属于本单位;"
                       "以后本单位导出的数据包都由这把密钥签名。不一致时请不要登记,并重新导出公钥文件。", body),
             Spacer(1, 10 * mm), signatures, Spacer(1, 10 * mm),
             Paragraph(f"SchoolQ {__version__} 生成", small)]
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title="数据包签名密钥登记表", author="SchoolQ")
    doc.build(story)
    return path


def write_recovery_sheet(db: Database, path: str | Path, code: str, username: str) -> Path:
    """Write the A4 recovery sheet (the unit, the administrator account, the recovery code in large
    characters and how to use it) to `path` (PDF); return the path. Raises NotFound (no key)."""
    path = Path(path)
    key = own_key(db)
    who = owner(db)
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER)
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=16)
    big = ParagraphStyle("big", fontName=font, fontSize=22, leading=30, alignment=TA_CENTER)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))
    rows = [
        [Paragraph("单位", body), Paragraph(f"{who['name']}({who['code']})", body)],
        [Paragraph("管理员账号", body), Paragraph(username, body)],
        [Paragraph("恢复码", body), Paragraph(code, big)],
        [Paragraph("密钥指纹", body), Paragraph(key["fingerprint"], body)],
        [Paragraph("打印时间", body), Paragraph(dt.datetime.now().strftime("%Y-%m-%d %H:%M"), body)],
    ]
    table = Table(rows, colWidths=[30 * mm, 140 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story = [Paragraph("管理员口令恢复单", title), Spacer(1, 8 * mm), table, Spacer(1, 6 * mm),
             Paragraph("忘记管理员口令时,用这张单上的恢复码重设口令:在程序的登录窗口点<b>“忘记口令…”</b>"
                       "(或在命令行运行 <b>schoolq recover 数据库文件</b>),输入恢复码和新口令。签名密钥随之改由新口令保护,"
                       "乡镇中心校登记的密钥指纹不变,不需要重新登记。", body),
             Spacer(1, 4 * mm),
             Paragraph("这张单和口令一样要紧:请装进信封、封好签字,锁在办公室的柜子里,不要和电脑放在一起,"
                       "不要拍照发到手机。重新打印恢复单后,以前的恢复码作废。", body),
             Spacer(1, 10 * mm), Paragraph(f"SchoolQ {__version__} 生成", small)]
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title="管理员口令恢复单", author="SchoolQ")
    doc.build(story)
    return path
