"""The show's facts, and checks on generated text against them.

`segment_facts(segment, language)` is what a model is given about a segment (plain lines, the
price written as the rewriter writes it); `segment_topic(segment)` its own words, that a reply
about it must share; `plain(text)` show text without its directives. The LLM rewriter and both
answerers take a show's facts from here.

A model may reword, never invent: every number in its text (a price, a date, a percentage) must
occur in the facts it was given, and text meant to be about the show must share words with the
show. Numbers are compared by value ("$24.50", "24.5" and "24.50" are the same number; "1,200"
is 1200), and numbers written as words are read to their values too ("twenty-four hours",
"十九块九", "百分之五十"). A word number counts when it is above ten or names an amount (a price, a
percentage, a time or a measure): "one of the best" or "一起" are not numbers to check.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from anchor.rewriter.pitch import written_price
from anchor.show import NewsSegment, ProductSegment, directives
from anchor.text import numbers_en, numbers_zh
from anchor.text.chars import IDEOGRAPHS, fold

__all__ = ["numbers_in", "plain", "says_again", "segment_facts", "segment_topic", "shares_topic",
           "unsupported_numbers"]

_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|\.\d+")
_WORDS_EN = (r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
             r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
             r"sixty|seventy|eighty|ninety|hundred|thousand|million|billion")
_DIGIT_WORDS_EN = r"zero|one|two|three|four|five|six|seven|eight|nine"
_UNITS_EN = (r"dollars?|bucks|cents?|euros?|pounds?|yuan|percent|per\s+cent|hours?|days?|weeks?|"
             r"months?|years?|minutes?|seconds?|times|kilos?|kilograms?|grams?|litres?|liters?|"
             r"millilitres?|milliliters?|metres?|meters?|centimetres?|centimeters?|inches|feet|"
             r"miles?|kilometres?|kilometers?|degrees?|ounces?|watts?|volts?")
_SPELLED_EN = re.compile(rf"\b(?P<number>(?:{_WORDS_EN})(?:(?:[\s-]+|\s+and\s+)(?:{_WORDS_EN}))*"
                         rf"(?:\s+point(?:\s+(?:{_DIGIT_WORDS_EN}))+)?)\b"
                         rf"(?P<unit>\s+(?:{_UNITS_EN})\b)?", re.I)
_NUMERALS_ZH = r"[零一二两三四五六七八九十百千万亿]+(?:点[零一二三四五六七八九]+)?"
_SPELLED_ZH = re.compile(rf"(?P<percent>百分之)?(?P<number>{_NUMERALS_ZH})"
                         r"(?P<unit>(?:块|元)(?:[零一二两三四五六七八九][毛角]?(?:[零一二三四五六七八九]分?)?)?|"
                         r"美元|欧元|英镑|毛|角|分钱|折|个百分点|%|小时|天|周|个月|年|岁|倍|公斤|千克|"
                         r"斤|克|毫升|升|米|厘米|毫米|公里|度|分钟|秒)?")
_JIAO = re.compile(r"[零一二两三四五六七八九]")
_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_COMMON = frozenset("""
about also been being could does doing each from have here into just like make many more most
much only other over really should some such than that their them then there these they this
those very want well were what when where which while will with would your yours you're it's
thank thanks question great good today right sure let's know
""".split())


# ---- the show's facts ----------------------------------------------------------------------

def segment_facts(segment, language: str) -> str:
    """What a model may use about `segment`, as plain lines (directives removed)."""
    zh = language == "zh"
    if isinstance(segment, ProductSegment):
        price = written_price(segment.price, segment.currency, language)
        lines = [f"{'商品' if zh else 'Product'}: {plain(segment.name)}",
                 f"{'价格' if zh else 'Price'}: {price}"]
        if segment.description:
            lines.append(f"{'介绍' if zh else 'Description'}: {plain(segment.description)}")
        lines.append("卖点:" if zh else "Selling points:")
        lines += [f"- {plain(point)}" for point in segment.selling_points]
        for item in segment.faq:
            lines.append(f"{'问' if zh else 'Q'}: {plain(item.q)} "
                         f"{'答' if zh else 'A'}: {plain(item.a)}")
        return "\n".join(lines)
    if isinstance(segment, NewsSegment):
        lines = [f"{'标题' if zh else 'Headline'}: {plain(segment.headline)}"]
        if segment.source:
            lines.append(f"{'来源' if zh else 'Source'}: {plain(segment.source)}")
        lines.append(f"{'正文' if zh else 'Story'}: {plain(segment.body)}")
        return "\n".join(lines)
    return plain(segment.text)


def segment_topic(segment) -> str:
    """The segment's own words, without labels: what a reply about it shares words with."""
    if isinstance(segment, ProductSegment):
        parts = [segment.name, segment.description or "", *segment.selling_points,
                 *(f"{item.q} {item.a}" for item in segment.faq)]
    elif isinstance(segment, NewsSegment):
        parts = [segment.headline, segment.source or "", segment.body]
    else:
        parts = [segment.text]
    return " ".join(plain(part) for part in parts if part)


def plain(text: str) -> str:
    """Show text without its directives, white space collapsed."""
    try:
        return " ".join(directives.strip(text).split())
    except ValueError:
        return " ".join(re.sub(r"\[[^\[\]]*\]", " ", text).split())


# ---- checks on generated text --------------------------------------------------------------

def numbers_in(text: str) -> set[Decimal]:
    """The numbers in `text` (in digits or in words), by value."""
    return {value for _, value in _numbers(text, every=True)}


def unsupported_numbers(text: str, facts: str) -> list[str]:
    """What in `text` is a number the facts do not have (empty: nothing invented)."""
    known = numbers_in(facts)
    return [written for written, value in _numbers(text) if value not in known]


def _numbers(text: str, *, every: bool = False) -> list[tuple[str, Decimal | None]]:
    """(as written, value) of each number in `text`; word numbers only where they count (see
    the module doc) unless `every`. A word number that cannot be read has the value None."""
    found = [(m.group(0), _value(m.group(0))) for m in _NUMBER.finditer(text)]
    for m in _SPELLED_EN.finditer(text):
        value = numbers_en.value(m.group("number"))
        if every or m.group("unit") or value is None or value > 10:
            found.append((m.group(0).strip(), value))
    for m in _SPELLED_ZH.finditer(text):
        value = numbers_zh.value(m.group("number"))
        unit = m.group("unit") or ""
        if value is not None and unit[:1] in "块元" and len(unit) > 1:     # 十九块九(毛九)
            small = [numbers_zh.value(c) for c in _JIAO.findall(unit[1:])]
            value += sum(d * Decimal(10) ** -(i + 1) for i, d in enumerate(small))
        if every or unit or m.group("percent"):
            found.append((m.group(0), value))
    return found


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
    text = fold(text)
    words = {_stem(w.strip("'-")) for w in _WORD.findall(text) if w not in _COMMON}
    for run in IDEOGRAPHS.findall(text):
        words.update(run[i:i + 2] for i in range(len(run) - 1))
    return {w for w in words if w}


def _stem(word: str) -> str:
    for ending in ("ing", "es", "s", "ed"):
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[:-len(ending)]
    return word
