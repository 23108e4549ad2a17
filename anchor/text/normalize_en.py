"""English written text -> text a voice reads correctly.

`speakable("$19.99 on 2026-11-24")` -> "nineteen dollars and ninety-nine cents on November
twenty-fourth, twenty twenty-six". `reading(text)` does the same and keeps the map from written
to spoken offsets (for emphasis spans).

Choices worth knowing: a bare four-digit number from 1100 to 2099 is read as a year; "¥" is
read as yuan; an all-caps acronym ("NASA", "GB") is left for the voice; day/month order in
"24/11/2026" is ambiguous, so its numbers are read as written, joined by "slash".
"""
from __future__ import annotations

import re
from decimal import Decimal

from anchor.text.numbers_en import cardinal, digits, number, ordinal, year
from anchor.text.reading import Reading

NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
EMOJI = (r"[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U00002B00-\U00002BFF\U0001F1E6-\U0001F1FF"
         r"\u2300-\u23FF\uFE0E\uFE0F\u200D\u20E3]")
_LONG_LINK = 32

MONTHS = ("January February March April May June July August September October November "
          "December").split()
_MONTH_RE = (r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
             r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?")


def _month(name: str) -> str:
    return next(m for m in MONTHS if m.lower().startswith(name[:3].lower()))


# ---------------------------------------------------------------- links, emoji, stray marks
_LINKS = re.compile(
    r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<url>(?:https?://|www\.)[^\s<>\"]+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|ai|app|dev|gov|edu|news|info|tv|co|uk|cn|de|fr)"
    r"\b(?:/[^\s<>\"]*)?)"
    rf"|(?P<emoji>{EMOJI}+)"
    r"|(?P<star>\*)")
_LINK_SYMBOLS = {".": " dot ", "/": " slash ", "-": " dash ", "_": " underscore ", "@": " at ",
                 ":": " colon ", "?": " question mark ", "=": " equals ", "&": " and ", "+": " plus ",
                 "#": " hash ", "%": " percent ", "~": " tilde "}


def _read_link(link: str) -> str:
    words = []
    for part in re.split(r"([./\-_@:?=&+#%~])", link):
        if part in _LINK_SYMBOLS:
            words.append(_LINK_SYMBOLS[part])
        elif part.isdigit():
            words.append(" " + digits(part) + " ")
        else:
            words.append(part)
    return re.sub(r"\s+", " ", "".join(words)).strip()


def _links(m: re.Match[str]) -> str:
    if m.group("email"):
        return _read_link(m.group("email"))
    if m.group("url"):
        link, tail = split_link(m.group("url"))
        if too_long_to_read(link):
            return "the link on screen" + tail
        return _read_link(link) + tail
    return ""


def split_link(link: str) -> tuple[str, str]:
    """A URL as it is read out (no scheme, no trailing slash) and the punctuation after it."""
    trail = re.search(r"[.,;:!?)\]']+$", link)
    tail = trail.group(0) if trail else ""
    link = link[: len(link) - len(tail)]
    return re.sub(r"^https?://", "", link).rstrip("/"), tail


def too_long_to_read(link: str) -> bool:
    return len(link) > _LONG_LINK or "?" in link


# ---------------------------------------------------------------- abbreviations, initialisms
_ABBREVIATIONS = {"dr": "Doctor", "mr": "Mister", "mrs": "Missus", "ms": "Miz", "prof": "Professor",
                  "st": "Saint", "jr": "Junior", "sr": "Senior", "mt": "Mount", "vs": "versus",
                  "approx": "approximately", "etc": "et cetera", "e.g": "for example", "i.e": "that is",
                  "inc": "Incorporated", "ltd": "Limited", "dept": "Department", "est": "established",
                  "no": "number"}
_WORDS = re.compile(
    r"\b(?P<abbr>Dr|Mr|Mrs|Ms|Prof|St|Jr|Sr|Mt|vs|approx|etc|e\.g|i\.e|Inc|Ltd|Dept|est)\."
    r"|\b(?P<no>No)\.(?=\s*\d)"
    r"|\b(?P<vs>vs)\b"
    r"|(?<![\w.])(?P<initials>(?:[A-Z]\.){2,})")


def _words(m: re.Match[str]) -> str:
    if m.group("initials"):
        return " ".join(m.group("initials").replace(".", ""))
    key = (m.group("abbr") or m.group("no") or m.group("vs")).lower()
    return _ABBREVIATIONS[key]


# ---------------------------------------------------------------- dates, times, money
_CURRENCY_SYMBOLS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "CN¥": "CNY", "¥": "CNY",
                     "￥": "CNY", "HK$": "HKD", "A$": "AUD", "C$": "CAD", "₹": "INR", "₩": "KRW"}
# code -> (singular, plural, sub-unit singular, sub-unit plural or None to read decimals)
_CURRENCIES = {
    "USD": ("dollar", "dollars", "cent", "cents"), "EUR": ("euro", "euros", "cent", "cents"),
    "GBP": ("pound", "pounds", "penny", "pence"), "CNY": ("yuan", "yuan", None, None),
    "RMB": ("yuan", "yuan", None, None), "JPY": ("yen", "yen", None, None),
    "HKD": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "AUD": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "CAD": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "INR": ("rupee", "rupees", None, None), "KRW": ("won", "won", None, None),
    "CHF": ("Swiss franc", "Swiss francs", None, None),
}
_CODES = "|".join(_CURRENCIES)
_SCALE = r"(?:\s(?:thousand|million|billion|trillion)\b|(?:k|K|m|M|bn|B)\b)"
_SCALE_WORDS = {"k": "thousand", "m": "million", "bn": "billion", "b": "billion"}

_CONTEXT = re.compile(
    r"(?<![\d.-])(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?!\d)"
    rf"|\b(?P<mon>{_MONTH_RE})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<my>\d{{4}})\b)?"
    rf"|\b(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<dmon>{_MONTH_RE})\b\.?(?:,?\s+(?P<dy>\d{{4}})\b)?"
    r"|(?<![\d/])(?P<sd>\d{1,2})/(?P<sm>\d{1,2})/(?P<sy>\d{4}|\d{2})(?![\d/])"
    r"|(?<![\d.:])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<se>\d{2}))?(?!\d)"
    r"(?:\s*(?P<ap>(?i:[ap])\.?(?i:m)\.?)(?![A-Za-z]))?"
    r"|(?<![\d.:,])(?P<h2>\d{1,2})\s*(?P<ap2>(?i:[ap])\.?(?i:m)\.?)(?![A-Za-z])"
    rf"|(?P<neg>(?<![\w.])[-−])?(?P<sym>US\$|CN¥|HK\$|A\$|C\$|[$€£¥￥₹₩])\s?(?P<amt>{NUM})(?P<sc>{_SCALE})?"
    rf"|\b(?P<code>{_CODES})\s?(?P<amt2>{NUM})(?P<sc2>{_SCALE})?"
    rf"|(?<![\d.,])(?P<amt3>{NUM})(?P<sc3>{_SCALE})?\s?(?P<code3>(?:{_CODES})\b|元)")


def _date(y: str | None, m: int, d: int, day_first: bool = False) -> str | None:
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return None
    text = f"the {ordinal(d)} of {MONTHS[m - 1]}" if day_first else f"{MONTHS[m - 1]} {ordinal(d)}"
    return f"{text}, {year(int(y))}" if y else text


def _clock(h: int, mi: int, se: str | None, ap: str | None) -> str | None:
    if h > 23 or mi > 59:
        return None
    if ap:
        suffix = " " + ap.replace(".", "").upper()
        hour = cardinal(h)
    else:
        suffix, hour = "", cardinal(h)
    if mi == 0:
        minutes = "" if ap else (" o'clock" if h <= 12 else " hundred")
    elif mi < 10:
        minutes = f" oh {cardinal(mi)}"
    else:
        minutes = f" {cardinal(mi)}"
    seconds = f" and {cardinal(int(se))} seconds" if se and int(se) else ""
    return hour + minutes + suffix + seconds


def money(amount: str, code: str, scale: str | None = None) -> str:
    """"19.99", "USD" -> "nineteen dollars and ninety-nine cents"."""
    one, many, sub_one, sub_many = _CURRENCIES.get(code, (code, code, None, None))
    value = Decimal(amount.replace(",", "") or "0")
    if scale:
        scale = scale.strip()
        return f"{number(amount)} {_SCALE_WORDS.get(scale.lower(), scale)} {many}"
    whole, _, frac = amount.replace(",", "").partition(".")
    if sub_one and frac and len(frac) <= 2:
        cents = int(frac.ljust(2, "0"))
        units = int(whole or 0)
        parts = []
        if units or not cents:
            parts.append(f"{cardinal(units)} {one if units == 1 else many}")
        if cents:
            parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
        return " and ".join(parts)
    return f"{number(amount)} {one if value == 1 and not frac else many}"


def _context(m: re.Match[str]) -> str | None:
    g = m.group
    if g("iy"):
        return _date(g("iy"), int(g("im")), int(g("id")))
    if g("mon"):
        return _date(g("my"), MONTHS.index(_month(g("mon"))) + 1, int(g("md")))
    if g("dmon"):
        spoken = _date(g("dy"), MONTHS.index(_month(g("dmon"))) + 1, int(g("dd")), day_first=True)
        if spoken and re.search(r"\bthe\s+$", m.string[:m.start()], re.IGNORECASE):
            spoken = spoken.removeprefix("the ")
        return spoken
    if g("sd"):
        y = g("sy")
        return " slash ".join((cardinal(int(g("sd"))), cardinal(int(g("sm"))),
                               year(int(y)) if len(y) == 4 else number(y)))
    if g("h"):
        return _clock(int(g("h")), int(g("mi")), g("se"), g("ap"))
    if g("h2"):
        return _clock(int(g("h2")), 0, None, g("ap2")) if 1 <= int(g("h2")) <= 12 else None
    if g("sym"):
        spoken = money(g("amt"), _CURRENCY_SYMBOLS[g("sym")], g("sc"))
        return ("minus " if g("neg") else "") + spoken
    if g("code"):
        return money(g("amt2"), g("code"), g("sc2"))
    return money(g("amt3"), "CNY" if g("code3") == "元" else g("code3"), g("sc3"))


# ---------------------------------------------------------------- units
# written unit -> (singular, plural)
_UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"), "m/s": ("meter per second", "meters per second"),
    "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"), "g": ("gram", "grams"),
    "lb": ("pound", "pounds"), "lbs": ("pounds", "pounds"), "oz": ("ounce", "ounces"),
    "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"), "l": ("liter", "liters"),
    "L": ("liter", "liters"), "TB": ("terabyte", "terabytes"), "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"), "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "kW": ("kilowatt", "kilowatts"), "W": ("watt", "watts"),
    "mAh": ("milliamp hour", "milliamp hours"), "V": ("volt", "volts"), "GHz": ("gigahertz", "gigahertz"),
    "MHz": ("megahertz", "megahertz"), "Hz": ("hertz", "hertz"), "ms": ("millisecond", "milliseconds"),
    "min": ("minute", "minutes"), "mins": ("minutes", "minutes"), "hr": ("hour", "hours"),
    "hrs": ("hours", "hours"), "sec": ("second", "seconds"), "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "℃": ("degree Celsius", "degrees Celsius"),
    "°": ("degree", "degrees"), "%": ("percent", "percent"), "sq ft": ("square foot", "square feet"),
    "m²": ("square meter", "square meters"), "km²": ("square kilometer", "square kilometers"),
}
_UNIT_RE = re.compile(
    r"(?<=\d)\s?(?P<unit>" + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r")(?![A-Za-z0-9²])")
_ONE = re.compile(r"(?<![\d.,])[-−]?1$")
_ARTICLE = re.compile(r"\b(?:[Aa]n?|[Tt]he)\s+[\d.,]+$")   # "a 600 ml server": used as an adjective


def _unit(m: re.Match[str]) -> str:
    one, many = _UNITS[m.group("unit")]
    before = m.string[max(0, m.start() - 40):m.start()]
    return " " + (one if _ONE.search(before) or _ARTICLE.search(before) else many)


# ---------------------------------------------------------------- plain numbers
_FRACTIONS = {2: ("half", "halves"), 4: ("quarter", "quarters")}
_NUMBERS = re.compile(
    r"(?<![\d.,])(?P<ord>\d+)(?:st|nd|rd|th)\b"
    r"|(?<![\d./])(?P<fn>\d+)/(?P<fd>\d+)(?![\d/])"
    r"|#(?P<hash>\d+)"
    rf"|(?<![\d.,])(?P<r1>{NUM})\s?[–~]\s?(?P<r2>{NUM})(?!\d)"
    rf"|(?<![\d.,])(?P<r3>\d+)-(?P<r4>\d+)(?![\d-])"
    rf"|(?P<neg>(?<![\w.])[-−])?(?<![\d.,])(?P<num>{NUM})(?![\d])")


def _fraction(n: int, d: int) -> str:
    if (n, d) == (24, 7):
        return "twenty-four seven"
    if not 2 <= d <= 10 or n == 0:
        return f"{cardinal(n)} over {cardinal(d)}"
    one, many = _FRACTIONS.get(d, (ordinal(d), ordinal(d) + "s"))
    return f"{cardinal(n)} {one if n == 1 else many}"


def _plain(s: str) -> str:
    if re.fullmatch(r"\d{4}", s) and 1100 <= int(s) <= 2099:
        return year(int(s))
    return number(s)


def _numbers(m: re.Match[str]) -> str:
    g = m.group
    if g("ord"):
        return ordinal(int(g("ord")))
    if g("fn"):
        return _fraction(int(g("fn")), int(g("fd")))
    if g("hash"):
        return "number " + cardinal(int(g("hash")))
    if g("r1"):
        return f"{_plain(g('r1'))} to {_plain(g('r2'))}"
    if g("r3"):
        return f"{_plain(g('r3'))} to {_plain(g('r4'))}"
    return ("minus " if g("neg") else "") + _plain(g("num"))


# ---------------------------------------------------------------- symbols
_SYMBOLS = re.compile(r"\s*&\s*|(?<=\w)\s*\+\s*(?=\w)|\s+=\s+|(?<=\w)/(?=[A-Za-z])|[—–]|@|[_#~|^<>{}\\]")


def _symbol(m: re.Match[str]) -> str:
    s = m.group(0).strip()
    return {"&": " and ", "+": " plus ", "=": " equals ", "/": " ", "—": ", ", "–": ", ",
            "@": " at "}.get(s, " ")


def reading(text: str) -> Reading:
    """The spoken form of `text`, with its map back to the written offsets."""
    r = Reading.of(text)
    r = r.sub(_LINKS, _links).sub(_WORDS, _words).sub(_CONTEXT, _context)
    r = r.sub(_UNIT_RE, _unit).sub(_NUMBERS, _numbers).sub(_SYMBOLS, _symbol)
    return r.tidy()


def speakable(text: str) -> str:
    """Written English -> what a voice should say."""
    return reading(text).text
