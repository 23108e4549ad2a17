"""Checks on generated text against the facts it was written from.

A model may reword, never invent: every number in its text (a price, a date, a percentage) must
occur in the facts it was given, and text meant to be about the show must share words with the
show. Numbers are compared by value ("$24.50", "24.5" and "24.50" are the same number; "1,200"
is 1200). Numbers written as words before a currency ("nineteen dollars", "十九块九") cannot be
checked and are refused: the prompts ask for digits.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["numbers_in", "unsupported_numbers", "shares_topic", "says_again"]

_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|\.\d+")
_WORDS_EN = (r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
             r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
             r"sixty|seventy|eighty|ninety|hundred|thousand|million|billion")
_SPELLED_PRICE_EN = re.compile(rf"\b(?:{_WORDS_EN})\b(?:[\s-]+(?:{_WORDS_EN}|and))*\s+"
                               r"(?:dollars?|bucks|cents?|euros?|pounds?|yuan|percent)\b", re.I)
_SPELLED_PRICE_ZH = re.compile(r"[零一二两三四五六七八九十百千万亿]+(?:点[零一二三四五六七八九]+)?"
                               r"(?:块|元|美元|欧元|英镑|角|毛|分钱|折|个百分点|%)")
_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_COMMON = frozenset("""
about also been being could does doing each from have here into just like make many more most
much only other over really should some such than that their them then there these they this
those very want well were what when where which while will with would your yours you're it's
thank thanks question great good today right sure let's know
""".split())


def numbers_in(text: str) -> set[Decimal]:
    """The numbers written with digits in `text`, by value."""
    found = set()
    for m in _NUMBER.finditer(text):
        try:
            found.add(Decimal(m.group(0).replace(",", "")).normalize())
        except InvalidOperation:
            continue
    return found


def unsupported_numbers(text: str, facts: str) -> list[str]:
    """What in `text` is a number the facts do not have (empty: nothing invented)."""
    known = numbers_in(facts)
    problems = [m.group(0) for m in _NUMBER.finditer(text)
                if _value(m.group(0)) not in known]
    problems += [m.group(0) for m in _SPELLED_PRICE_EN.finditer(text)]
    problems += [m.group(0) for m in _SPELLED_PRICE_ZH.finditer(text)]
    return problems


def shares_topic(text: str, facts: str, *, least: float = 0.25) -> bool:
    """Whether `text` talks about the facts: at least `least` of its content words (English
    words of four letters or more, Chinese character pairs) occur in them, and at least one."""
    own, theirs = _content(text), _content(facts)
    if not own:
        return False
    shared = len(own & theirs)
    return shared >= 1 and shared / len(own) >= least


def says_again(text: str, said: str, *, least: float = 0.6) -> bool:
    """Whether `text` repeats what `said` already told: at least `least` of its content words
    were said, and every number in it was."""
    own = _content(text)
    if not own or not numbers_in(text) <= numbers_in(said):
        return False
    return len(own & _content(said)) / len(own) >= least


def _value(number: str) -> Decimal | None:
    try:
        return Decimal(number.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def _content(text: str) -> set[str]:
    text = text.casefold()
    words = {_stem(w.strip("'-")) for w in _WORD.findall(text) if w not in _COMMON}
    for run in _CJK.findall(text):
        words.update(run[i:i + 2] for i in range(len(run) - 1))
    return {w for w in words if w}


def _stem(word: str) -> str:
    for ending in ("ing", "es", "s", "ed"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[:-len(ending)]
    return word
