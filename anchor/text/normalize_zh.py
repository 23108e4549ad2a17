"""Chinese written text -> text a Mandarin voice reads correctly.

`speakable("2026年11月24日，¥199")` -> "二零二六年十一月二十四日，一百九十九元". English letters and words
inside Chinese text are left as they are; links are read with 点 and 斜杠; emoji are dropped.
`reading(text)` keeps the map from written to spoken offsets (for emphasis spans).
"""
from __future__ import annotations

import re

from anchor.text.normalize_en import EMOJI, split_link, too_long_to_read
from anchor.text.numbers_zh import cardinal, digits, number
from anchor.text.reading import Reading

NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# full-width digits, letters and a few signs -> ASCII, one character for one (offsets stay put)
_FULL_WIDTH = {i: i - 0xFEE0 for i in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                         *range(0xFF41, 0xFF5B), 0xFF05, 0xFF0E, 0xFF04)}

# ---------------------------------------------------------------- links, emoji, stray marks
_LINKS = re.compile(
    r"(?P<email>[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    r"|(?P<url>(?:https?://|www\.)[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+"
    r"|(?<![A-Za-z0-9.])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|io|ai|app|dev|gov|edu|news"
    r"|info|tv|co|uk|cn|de|fr)(?![A-Za-z0-9])(?:/[A-Za-z0-9._~/%-]*)?)"
    rf"|(?P<emoji>{EMOJI}+)"
    r"|(?P<star>\*)")
_LINK_SYMBOLS = {".": "点", "/": "斜杠", "-": "杠", "_": "下划线", "@": " at ", ":": "冒号",
                 "?": "问号", "=": "等于", "&": "和", "#": "井号", "%": "百分号", "~": "波浪线",
                 "+": "加"}


def _read_link(link: str) -> str:
    out = []
    for part in re.split(r"([./\-_@:?=&#%~+])", link):
        out.append(_LINK_SYMBOLS.get(part, digits(part) if part.isdigit() else part))
    return "".join(out).strip()


def _links(m: re.Match[str]) -> str:
    link = m.group("email") or m.group("url")
    if not link:
        return ""
    link, tail = split_link(link)
    if too_long_to_read(link):
        return "屏幕上的链接" + tail
    return _read_link(link) + tail


# ---------------------------------------------------------------- dates, times, money, units
_CURRENCY_SYMBOLS = {"US$": "美元", "$": "美元", "€": "欧元", "£": "英镑", "CN¥": "元", "¥": "元",
                     "￥": "元", "HK$": "港元", "A$": "澳元", "C$": "加元", "₩": "韩元", "₹": "卢比"}
_CURRENCY_CODES = {"USD": "美元", "EUR": "欧元", "GBP": "英镑", "CNY": "元", "RMB": "元",
                   "JPY": "日元", "HKD": "港元", "AUD": "澳元", "CAD": "加元", "KRW": "韩元",
                   "CHF": "瑞士法郎", "INR": "卢比"}
_UNITS = {"km/h": "公里每小时", "m/s": "米每秒", "km": "公里", "cm": "厘米", "mm": "毫米", "m": "米",
          "kg": "公斤", "mg": "毫克", "g": "克", "ml": "毫升", "mL": "毫升", "L": "升", "l": "升",
          "°C": "摄氏度", "℃": "摄氏度", "°F": "华氏度", "°": "度", "kWh": "千瓦时", "kW": "千瓦",
          "W": "瓦", "mAh": "毫安时", "V": "伏", "GHz": "吉赫兹", "MHz": "兆赫兹", "Hz": "赫兹",
          "min": "分钟", "h": "小时", "s": "秒", "ms": "毫秒", "lb": "磅", "lbs": "磅", "oz": "盎司",
          "m²": "平方米", "km²": "平方公里"}
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_SCALE = r"[万亿千百]*"
_MEASURE = "个位件种次天台条只张本瓶盒款项名家辆套双支杯块"

_CONTEXT = re.compile(
    r"(?<!\d)(?P<iy>\d{4})(?:-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?!\d)|(?=年))"
    r"|(?<![\d.:])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<se>\d{2}))?(?!\d)"
    rf"|(?P<neg>(?<![A-Za-z0-9.])[-−])?(?P<sym>US\$|CN¥|HK\$|A\$|C\$|[$€£¥￥₹₩])\s?(?P<amt>{NUM})(?P<sc>{_SCALE})元?"
    rf"|(?<![A-Za-z])(?P<code>{'|'.join(_CURRENCY_CODES)})\s?(?P<amt2>{NUM})(?P<sc2>{_SCALE})(?P<yuan2>元)?"
    rf"|(?<![\d.,])(?P<amt3>{NUM})(?P<sc3>{_SCALE})\s?(?P<code3>{'|'.join(_CURRENCY_CODES)})(?![A-Za-z])"
    rf"|(?P<pneg>(?<![A-Za-z0-9.])[-−])?(?<![\d.,])(?P<pct>{NUM})\s?%"
    rf"|(?P<uneg>(?<![A-Za-z0-9.])[-−])?(?<![\d.,])(?P<uamt>{NUM})\s?(?P<unit>{_UNIT_ALT})(?![A-Za-z0-9²])"
    rf"|(?<![\d.,])(?P<r1>{NUM})\s?[-–~～]\s?(?P<r2>{NUM})(?![\d-])"
    r"|(?<![\d./])(?P<fn>\d+)/(?P<fd>\d+)(?![\d/])"
    r"|#(?P<hash>\d+)"
    rf"|(?P<two>(?<![\d.,])2)(?=[{_MEASURE}])"
    rf"|(?P<nneg>(?<![A-Za-z0-9.])[-−])?(?<![\d.,])(?P<num>{NUM})(?!\d)")


def _money(amount: str, scale: str, unit: str) -> str:
    return number(amount) + scale + unit


def _context(m: re.Match[str]) -> str | None:
    g = m.group
    if g("iy"):
        if g("im") is None:
            return digits(g("iy"))
        month, day = int(g("im")), int(g("id"))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return f"{digits(g('iy'))}年{cardinal(month)}月{cardinal(day)}日"
    if g("h"):
        h, mi = int(g("h")), int(g("mi"))
        if h > 23 or mi > 59:
            return None
        text = f"{cardinal(h)}点"
        if mi:
            text += ("零" if mi < 10 else "") + cardinal(mi) + "分"
        if g("se") and int(g("se")):
            text += ("" if mi else "零分") + cardinal(int(g("se"))) + "秒"
        return text
    if g("sym"):
        return ("负" if g("neg") else "") + _money(g("amt"), g("sc"), _CURRENCY_SYMBOLS[g("sym")])
    if g("code"):
        unit = _CURRENCY_CODES[g("code")]
        return _money(g("amt2"), g("sc2"), unit) + ("" if unit == "元" else g("yuan2") or "")
    if g("code3"):
        return _money(g("amt3"), g("sc3"), _CURRENCY_CODES[g("code3")])
    if g("pct"):
        return ("负" if g("pneg") else "") + "百分之" + number(g("pct"))
    if g("unit"):
        unit = _UNITS[g("unit")]
        if g("uneg") and unit in ("摄氏度", "华氏度", "度"):
            return "零下" + number(g("uamt")) + unit
        return ("负" if g("uneg") else "") + number(g("uamt")) + unit
    if g("r1"):
        return f"{number(g('r1'))}到{number(g('r2'))}"
    if g("fn"):
        n, d = int(g("fn")), int(g("fd"))
        return "二十四小时" if (n, d) == (24, 7) else f"{cardinal(d)}分之{cardinal(n)}"
    if g("hash"):
        return cardinal(int(g("hash"))) + "号"
    if g("two"):
        return "两"
    return ("负" if g("nneg") else "") + number(g("num"))


# ---------------------------------------------------------------- symbols
_SYMBOLS = re.compile(r"\s*&\s*|(?<=\w)\s*\+\s*(?=\w)|\s+=\s+|[_#~|^<>{}\\]")


def _symbol(m: re.Match[str]) -> str:
    return {"&": "和", "+": "加", "=": "等于"}.get(m.group(0).strip(), " ")


def reading(text: str) -> Reading:
    """The spoken form of `text`, with its map back to the written offsets."""
    r = Reading(text, text.translate(_FULL_WIDTH))
    return r.sub(_LINKS, _links).sub(_CONTEXT, _context).sub(_SYMBOLS, _symbol).tidy()


def speakable(text: str) -> str:
    """Written Chinese -> what a voice should say."""
    return reading(text).text
