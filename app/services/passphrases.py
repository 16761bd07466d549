"""Rules for a passphrase a person sets (at set-up, for a new account, when changing or resetting
one) and a strength estimate the dialogs show while the user types."""
from __future__ import annotations

from app.errors import invalid

MIN_LENGTH = 8

# The demo databases' documented passphrase: the demo generator's accounts are the one exception to
# MIN_LENGTH (README, “Where the data lives”). Nothing a person sets may be this short.
DEMO_PASSPHRASE = "demo"

STRENGTH_NAMES = ("太短", "弱", "一般", "较强", "强")


def check_new_passphrase(passphrase: str | None, field: str = "passphrase") -> str:
    """Return `passphrase` when a person may set it (at least MIN_LENGTH characters, not only one
    repeated character). Raises ValidationError with a Chinese message otherwise."""
    text = passphrase or ""
    if len(text) < MIN_LENGTH:
        raise invalid(f"口令至少需要 {MIN_LENGTH} 个字符(现在 {len(text)} 个):它保护签名私钥和学生信息。"
                      "可以用一句好记的话,如“青山小学2026好”。", field)
    if len(set(text)) == 1:
        raise invalid("口令不能只由同一个字符组成。", field)
    return text


def strength(passphrase: str) -> tuple[int, str]:
    """Return (score 0–4, Chinese word) for how hard `passphrase` is to guess: 0 when shorter than
    MIN_LENGTH; then one point each for a length ≥ 12, ≥ 16 (a Chinese character counts twice: it
    is one of thousands, not of 26 or 10) and for mixing at least three kinds of characters
    (digits, Latin letters, Chinese or other letters, punctuation)."""
    if len(passphrase) < MIN_LENGTH or len(set(passphrase)) == 1:
        return 0, STRENGTH_NAMES[0]
    kinds = {("digit" if ch.isdigit() else "latin" if ch.isascii() and ch.isalpha()
              else "letter" if ch.isalpha() else "symbol") for ch in passphrase}
    length = len(passphrase) + sum(1 for ch in passphrase if ch.isalpha() and not ch.isascii())
    score = 1 + (length >= 12) + (length >= 16) + (len(kinds) >= 3)
    return score, STRENGTH_NAMES[score]
