"""The printable key registration sheet: who the key belongs to, its fingerprint in large digits, the
public key itself, and lines for the two people who compared the fingerprint to sign."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
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


@dataclass(frozen=True)
class KeyCard:
    """This database's signing key and the unit it belongs to (`owner`)."""

    owner: dict
    fingerprint: str
    public_pem: str

    def label(self) -> str:
        """Return the unit in words: “学校 S001”."""
        return f"{self.owner['level']} {self.owner['code']}".strip()

    def to_dict(self) -> dict:
        """Return the card as plain data (for --json): owner, fingerprint and the public key (PEM)."""
        return {"owner": self.label(), "fingerprint": self.fingerprint, "public_pem": self.public_pem}


def key_card(db: Database) -> KeyCard:
    """Return this database's key card. Raises NotFound when the database has no key."""
    key = own_key(db)
    return KeyCard(owner(db), key["fingerprint"], key["public_pem"])


def _write_sheet(path: str | Path, title_text: str, big_size: int, rows: list[tuple[str, str, str]],
                 notes: list[tuple[str | Flowable, int]]) -> Path:
    """Write an A4 sheet to `path` (PDF): the title, a two-column table of `rows` (label, text, style:
    body, big — `big_size` points, centred — or small) and the printing time, the `notes` (a text or a
    flowable, each with the space after it in mm) and the program's version; return the path."""
    path = Path(path)
    font = _font()
    styles = {"title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER),
              "body": ParagraphStyle("body", fontName=font, fontSize=11, leading=16),
              "big": ParagraphStyle("big", fontName=font, fontSize=big_size, leading=big_size + 8,
                                    alignment=TA_CENTER),
              "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=10,
                                      textColor=colors.HexColor("#444444"))}
    body = styles["body"]
    printed = ("打印时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "body")
    table = Table([[Paragraph(label, body), Paragraph(text, styles[style])] for label, text, style in [*rows, printed]],
                  colWidths=[30 * mm, 140 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    story = [Paragraph(title_text, styles["title"]), Spacer(1, 8 * mm), table, Spacer(1, 6 * mm)]
    for note, space in notes:
        story += [Paragraph(note, body) if isinstance(note, str) else note, Spacer(1, space * mm)]
    story.append(Paragraph(f"SchoolQ {__version__} 生成", styles["small"]))
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=title_text, author="SchoolQ")
    doc.build(story)
    return path


def write_registration_sheet(db: Database, path: str | Path) -> Path:
    """Write the A4 key registration sheet of this database's key to `path` (PDF); return the path.

    Raises NotFound when the database has no key.
    """
    card = key_card(db)
    who = card.owner
    groups = card.fingerprint.split()
    fingerprint = "&nbsp;&nbsp;".join(groups[:4]) + "<br/>" + "&nbsp;&nbsp;".join(groups[4:])
    body = ParagraphStyle("body", fontName=_font(), fontSize=11, leading=16)
    signatures = Table([[Paragraph("本单位负责人(签字):", body), Paragraph("日期:", body)],
                        [Paragraph("上级核对人(签字):", body), Paragraph("日期:", body)]],
                       colWidths=[110 * mm, 60 * mm], rowHeights=[18 * mm, 18 * mm])
    rows = [("单位", f"{who['name']}({who['code']})", "body"),
            ("类别", who["level"] + (f",属 {who['parent']}" if who["parent"] else ""), "body"),
            ("密钥指纹", fingerprint, "big"),
            ("公钥", card.public_pem.strip().replace("\n", "<br/>"), "small")]
    notes: list[tuple[str | Flowable, int]] = [
        ("登记时,请双方逐组朗读、核对上面的八组数字。数字完全一致,才说明上级登记的公钥确实属于本单位;"
         "以后本单位导出的数据包都由这把密钥签名。不一致时请不要登记,并重新导出公钥文件。", 10),
        (signatures, 10)]
    return _write_sheet(path, "数据包签名密钥登记表", 20, rows, notes)


def write_recovery_sheet(db: Database, path: str | Path, code: str, username: str) -> Path:
    """Write the A4 recovery sheet (the unit, the administrator account, the recovery code in large
    characters and how to use it) to `path` (PDF); return the path. Raises NotFound (no key)."""
    card = key_card(db)
    rows = [("单位", f"{card.owner['name']}({card.owner['code']})", "body"), ("管理员账号", username, "body"),
            ("恢复码", code, "big"), ("密钥指纹", card.fingerprint, "body")]
    notes: list[tuple[str | Flowable, int]] = [
        ("忘记管理员口令时,用这张单上的恢复码重设口令:在程序的登录窗口点<b>“忘记口令…”</b>"
         "(或在命令行运行 <b>schoolq recover 数据库文件</b>),输入恢复码和新口令。签名密钥随之改由新口令保护,"
         "乡镇中心校登记的密钥指纹不变,不需要重新登记。", 4),
        ("这张单和口令一样要紧:请装进信封、封好签字,锁在办公室的柜子里,不要和电脑放在一起,"
         "不要拍照发到手机。重新打印恢复单后,以前的恢复码作废。", 10)]
    return _write_sheet(path, "管理员口令恢复单", 22, rows, notes)
