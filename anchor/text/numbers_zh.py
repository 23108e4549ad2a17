"""Numbers read in Mandarin: 1250 -> 一千二百五十, 3.5 -> 三点五, 2026 (a year) -> 二零二六; and back
(`value`)."""
from __future__ import annotations

from decimal import Decimal

DIGITS = "零一二三四五六七八九"
_PLACES = ("", "十", "百", "千")
_GROUPS = ("", "万", "亿", "万亿")


def digits(s: str) -> str:
    """Digit by digit: "2026" -> "二零二六"."""
    return "".join(DIGITS[int(c)] for c in s if c.isdigit())


def _group(n: int) -> str:
    """0 < n < 10000, with 零 for inner gaps: 1005 -> 一千零五, 1050 -> 一千零五十."""
    out = []
    zero = False
    for place in range(3, -1, -1):
        d = n // 10**place % 10
        if d:
            if zero and out:
                out.append("零")
            out.append(DIGITS[d] + _PLACES[place])
            zero = False
        else:
            zero = True
    return "".join(out)


def cardinal(n: int) -> str:
    """10000 -> 一万, 110 -> 一百一十, 12 -> 十二, 100005 -> 十万零五."""
    if n < 0:
        return "负" + cardinal(-n)
    if n == 0:
        return "零"
    if n >= 10**16:
        return digits(str(n))
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = []
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            continue
        if out and (g < 1000 or groups[i + 1] == 0):
            out.append("零")
        out.append(_group(g) + _GROUPS[i])
    text = "".join(out)
    if text.startswith("一十"):
        text = text[1:]
    return text


def number(s: str) -> str:
    """A written number, commas and decimals allowed: "1,250.5" -> 一千二百五十点五; a leading
    zero or eleven or more digits (phone numbers, codes) are read digit by digit."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    if len(whole) > 1 and (whole.startswith("0") or len(whole) >= 11):
        spoken = digits(whole)
    else:
        spoken = cardinal(int(whole or "0"))
    if frac:
        spoken += "点" + digits(frac)
    return spoken


_DIGIT_OF = {c: i for i, c in enumerate(DIGITS)} | {"两": 2}
_PLACE_OF = {"十": 10, "百": 100, "千": 1000}


def value(text: str) -> Decimal | None:
    """The number that Chinese numerals say: 一千二百五十 -> 1250, 十九 -> 19, 三点五 -> 3.5,
    二零二六 -> 2026 (digit by digit); None for anything else."""
    whole, _, frac = text.partition("点")
    if not whole or any(c not in _DIGIT_OF for c in frac):
        return None
    fraction = "".join(str(_DIGIT_OF[c]) for c in frac) or "0"
    if len(whole) > 1 and all(c in _DIGIT_OF for c in whole):      # read digit by digit
        return Decimal("".join(str(_DIGIT_OF[c]) for c in whole) + "." + fraction).normalize()
    yi = wan = group = digit = 0       # the parts before 亿, before 万, and below 万
    for c in whole:
        if c in _DIGIT_OF:
            digit = _DIGIT_OF[c]
        elif c in _PLACE_OF:
            group += (digit or 1) * _PLACE_OF[c]
            digit = 0
        elif c == "万":
            wan, group, digit = (wan + group + digit) * 10**4, 0, 0
        elif c == "亿":
            yi, wan, group, digit = (yi + wan + group + digit) * 10**8, 0, 0, 0
        else:
            return None
    return Decimal(f"{yi + wan + group + digit}.{fraction}").normalize()
