"""Write resources/pinyin_order.txt: the CJK Unified Ideographs (U+4E00–U+9FFF) and 〇 in the order
of Qt's QCollator for zh_CN, i.e. ICU's Chinese pinyin collation (app.pinyin reads it, so the bundle
needs no ICU collation data). Run from a checkout with PySide6 installed, after a Qt upgrade:

    .venv/bin/python installer/pinyin_order.py
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCollator, QLocale

OUT = Path(__file__).resolve().parents[1] / "resources" / "pinyin_order.txt"


def main() -> None:
    """Write the file; print how many characters it holds."""
    collator = QCollator(QLocale("zh_CN"))
    characters = [chr(code) for code in range(0x4E00, 0xA000)] + ["〇"]
    OUT.write_text("".join(sorted(characters, key=collator.sortKey)) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(characters)} 个汉字")


if __name__ == "__main__":
    main()
