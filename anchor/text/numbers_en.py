"""Numbers as English words: cardinals, ordinals, decimals, years, digit strings; and back
(`value`)."""
from __future__ import annotations

from decimal import Decimal

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**15, "quadrillion"), (10**12, "trillion"), (10**9, "billion"), (10**6, "million"),
           (1000, "thousand"))
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                  "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def digits(s: str) -> str:
    """Each digit on its own: "007" -> "zero zero seven"."""
    return " ".join(_ONES[int(c)] for c in s if c.isdigit())


def _below_thousand(n: int) -> str:
    words = []
    if n >= 100:
        words.append(f"{_ONES[n // 100]} hundred")
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(_ONES[n])
    return " ".join(words)


def cardinal(n: int) -> str:
    """1250000 -> "one million two hundred fifty thousand"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= 10**18:
        return digits(str(n))
    words = []
    for value, name in _SCALES:
        if n >= value:
            words.append(f"{_below_thousand(n // value)} {name}")
            n %= value
    if n or not words:
        words.append(_below_thousand(n))
    return " ".join(words)


def ordinal(n: int) -> str:
    """21 -> "twenty-first"."""
    words = cardinal(n)
    head, sep, last = words.rpartition("-") if "-" in words.rsplit(" ", 1)[-1] else words.rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def number(s: str) -> str:
    """A written number, commas and decimals allowed: "1,250.5" -> "one thousand two hundred
    fifty point five"; leading zeros are read digit by digit."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    if len(whole) > 1 and whole.startswith("0"):
        spoken = digits(whole)
    elif whole:
        spoken = cardinal(int(whole))
    else:
        spoken = ""
    if frac:
        spoken = (spoken + " point " + digits(frac)).strip()
    return spoken


def year(n: int) -> str:
    """1999 -> "nineteen ninety-nine", 2005 -> "two thousand five", 2026 -> "twenty twenty-six"."""
    if not 1000 <= n <= 9999 or 2000 <= n <= 2009 or n % 1000 == 0:
        return cardinal(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return f"{cardinal(hi)} hundred"
    if lo < 10:
        return f"{cardinal(hi)} oh {_ONES[lo]}"
    return f"{cardinal(hi)} {cardinal(lo)}"


_SCALE_OF = {name: value for value, name in _SCALES}


def value(words: str) -> Decimal | None:
    """The number that cardinal words say: "two hundred and forty-five" -> 245, "nineteen point
    nine nine" -> 19.99; None for words that are not a number."""
    total = current = 0
    fraction, seen = "", False
    tokens = words.lower().replace("-", " ").split()
    for i, word in enumerate(tokens):
        if word == "and" and seen:
            continue
        if word == "point" and seen:
            fraction = "".join(str(_ONES.index(w)) if w in _ONES[:10] else "?"
                               for w in tokens[i + 1:])
            break
        if word in _ONES:
            current += _ONES.index(word)
        elif word in _TENS[2:]:
            current += 10 * _TENS.index(word)
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALE_OF:
            total += max(current, 1) * _SCALE_OF[word]
            current = 0
        else:
            return None
        seen = True
    if not seen or "?" in fraction:
        return None
    return Decimal(f"{total + current}.{fraction or 0}").normalize()
