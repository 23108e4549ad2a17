"""What a character is, for every part that matches or breaks text: Chinese or not, and the
folded form text is compared in.

Two sets of CJK characters, each the union of what the parts used to test on their own:

- an *ideograph* (Han character): CJK Unified Ideographs with Extension A, the compatibility
  ideographs, and the supplementary planes (Extensions B-H and the compatibility supplement).
  What Chinese words are made of: the language guess, topic words, matching a question.
- a *wide* CJK character: an ideograph, or a radical, CJK symbol or punctuation mark, kana,
  bopomofo, hangul, a CJK compatibility form or a full-width form. Scripts written without
  spaces between words, so a line or a long sentence may break between two of them.

`fold` is the copy of a text that rules and matching compare: NFKC (full-width letters and
digits become plain ones), case-folded, invisible formatting characters (zero-width spaces,
joiners, direction marks) removed, and typographic apostrophes as "'".
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["IDEOGRAPHS", "fold", "ideograph_count", "is_ideograph", "is_wide_cjk"]

_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_WIDE = _IDEOGRAPH + "\u2e80-\u33ff\u4dc0-\u4dff\uac00-\ud7af\ufe30-\ufe4f\uff00-\uffef"

IDEOGRAPHS = re.compile(f"[{_IDEOGRAPH}]+")      # runs of ideographs
_IDEOGRAPH_RE = re.compile(f"[{_IDEOGRAPH}]")
_WIDE_RE = re.compile(f"[{_WIDE}]")
_APOSTROPHES = str.maketrans("’‘", "''")


def is_ideograph(ch: str) -> bool:
    """Whether `ch` (one character) is a Han ideograph."""
    return _IDEOGRAPH_RE.match(ch) is not None


def is_wide_cjk(ch: str) -> bool:
    """Whether `ch` (one character) is a wide CJK character: a line may break around it."""
    return _WIDE_RE.match(ch) is not None


def ideograph_count(text: str) -> int:
    return len(_IDEOGRAPH_RE.findall(text))


def fold(text: str) -> str:
    """`text` folded for matching (see the module doc)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.translate(_APOSTROPHES)
