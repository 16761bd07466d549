"""app.pinyin orders what the tables show exactly as ICU's Chinese collation (Qt's QCollator for zh_CN,
where Qt has it) does: every demo name, with classes, schools and codes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QCollator, QLocale

from app.demo.names import BOY, GIRL, PLACES, SURNAMES
from app.pinyin import pinyin_key


def test_the_order_is_icus():
    collator = QCollator(QLocale("zh_CN"))
    collator.setNumericMode(True)
    if not collator.sortKey("阿").compare(collator.sortKey("张")) < 0:
        pytest.skip("this Qt has no Chinese collation to compare with")
    given = sorted(set(BOY + GIRL))
    texts = {s + g for s in SURNAMES for g in given} | {s + a + b for s in SURNAMES[:12] for a in given[:15]
                                                       for b in given[-15:]}
    texts |= {f"{p}{kind}" for p in PLACES for kind in ("镇中心小学", "村小", "中学")}
    texts |= {f"{grade}({n})班" for grade in "一二三四五六" for n in range(1, 13)} | {f"T{n:04d}" for n in range(1, 300)}
    texts |= {"", " 王五", "王 五", "_x", "-1", "(1)", "（2）", "2026届", "Abc", "abd", "ABD", "é", "ß", "t0101", "曾小贤",
              "初一(9)班", "初一(11)班", "三（2）班", "三(１)班", "王五2", "王五10", "〇号"}
    # ICU knows one word among these: 沈阳 (the city, read shěn) sorts before 沈 alone (read chén).
    # The table orders characters, not words: names beginning 沈阳 are left out of the comparison.
    texts = sorted(t for t in texts if not t.startswith("沈阳"))
    assert sorted(texts, key=pinyin_key) == sorted(texts, key=collator.sortKey)
