"""Chinese text in pinyin order (拼音排序) without a collation library.

resources/pinyin_order.txt holds every character of the CJK Unified Ideographs block (U+4E00–U+9FFF)
and 〇, in the order of the Unicode CLDR's Chinese (pinyin) collation, written by
installer/pinyin_order.py from ICU as Qt's QCollator for zh_CN orders them. A key built from each
character's place in that order sorts names as a Chinese reader expects (阿明, 陈晨, 李四, 王五, 张三),
and spares the bundle ICU's 30 MB of locale data. As in that collation: spaces and punctuation come
first, then numbers (by value: 三(2)班 before 三(10)班), then Chinese, then Latin letters (accents and
case only break ties, lower case first); full-width forms count as their ASCII twins. ICU's few word
contractions (沈阳, the city, read shěn while 沈 alone sorts as chén) are not followed: characters only.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from app.paths import resource_path

_TOKENS = re.compile(r"\d+|.", re.S)
# ASCII spaces and punctuation in the collation's order; any other symbol after them, by code.
_SYMBOLS = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"
PUNCTUATION, NUMBER, HAN, LETTER = 0, 1, 2, 3


@lru_cache(maxsize=1)
def _places() -> dict[str, int]:
    """Return {character: its place in pinyin order} (read once). Raises OSError when the
    resource is missing."""
    text = resource_path("pinyin_order.txt").read_text(encoding="utf-8").strip()
    return {ch: place for place, ch in enumerate(text)}


def pinyin_key(text: str) -> tuple:
    """Return the sort key of `text` (see the module docstring): the (class, place) of each
    character or run of digits of its folded form, then the text itself with its case swapped to
    break ties. A Chinese character outside the table (the rare extension blocks) comes after those
    in it, by code."""
    places = _places()
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    primary = []
    for token in _TOKENS.findall(folded):
        place = places.get(token)
        if place is not None:
            primary.append((HAN, place))
        elif token[0].isdecimal():
            primary.append((NUMBER, int(token)))
        elif unicodedata.combining(token):
            continue
        elif "\u3400" <= token <= "\U0003134f" and token.isalpha():
            primary.append((HAN, len(places) + ord(token)))
        elif token.isalpha():
            primary.append((LETTER, ord(token)))
        else:
            found = _SYMBOLS.find(token)
            primary.append((PUNCTUATION, found if found >= 0 else len(_SYMBOLS) + ord(token)))
    return tuple(primary), text.swapcase()
