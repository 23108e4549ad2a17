"""Product pitches: structured product data -> a spoken sales pitch, worded afresh each pass.

The pitch is written text (with directives such as "[smile]"); the rewriter reads it like any
other text, so the price is written with its symbol ("$19.99", "199元") and read properly by the
normalizer. Wording is chosen by a `random.Random` seeded from (seed, pass index, product name):
the same pass always gives the same words. The opener and the call to action step through their
lists with the pass index, so two consecutive passes never say the same thing.
"""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "opener": ("[smile] Let me show you {name}.", "[smile] Here's something special: {name}.",
                   "[smile] Say hello to {name}.", "[smile] Next up, it's {name}.",
                   "[smile] You're going to love {name}."),
        "first": ("{point}", "First of all, {point}", "Here's why people love it: {point}",
                  "To start with, {point}"),
        "connector": ("What's more, {point}", "On top of that, {point}", "Plus, {point}",
                      "And that's not all: {point}", "Better still, {point}"),
        "price": ("All this for just {price}.", "Today it's only {price}.",
                  "The price? Just {price}.", "You can take it home for {price}.",
                  "And the best part: it costs only {price}."),
        "faq": ("A question we get a lot: {q} {a}", "You might be wondering: {q} {a}",
                "People often ask: {q} {a}", "One more thing you asked about: {q} {a}"),
        "cta": ("[smile] Tap the link on screen to grab yours today!",
                "[smile] Order now while stock lasts!", "[smile] Don't miss out, get yours now!",
                "[smile] Add it to your cart today!", "[smile] Treat yourself, order yours now!"),
    },
    "zh": {
        "opener": ("[smile] 接下来给大家介绍{name}。", "[smile] 今天要推荐的是{name}。",
                   "[smile] 给大家带来一款好物：{name}。", "[smile] 大家期待的{name}来啦！",
                   "[smile] 下面来看看{name}。"),
        "first": ("{point}", "首先，{point}", "最大的亮点是：{point}", "先说第一点，{point}"),
        "connector": ("而且，{point}", "另外，{point}", "还有，{point}", "不仅如此，{point}",
                      "更棒的是，{point}"),
        "price": ("现在只要{price}！", "到手价只需{price}。", "今天的价格是{price}。",
                  "这么好的东西，只卖{price}！", "价格也很实在，只要{price}。"),
        "faq": ("很多朋友问：{q}{a}", "有朋友关心：{q}{a}", "大家经常问到：{q}{a}",
                "再回答一个问题：{q}{a}"),
        "cta": ("[smile] 喜欢的朋友赶紧下单吧！", "[smile] 点击屏幕上的链接就能购买！",
                "[smile] 数量有限，抓紧时间！", "[smile] 心动不如行动，马上下单！",
                "[smile] 现在下单，马上发货！"),
    },
}
_SYMBOLS_EN = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥"}
_NAMES_ZH = {"CNY": "元", "RMB": "元", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元",
             "HKD": "港元", "AUD": "澳元", "CAD": "加元", "KRW": "韩元"}


def written_price(price: Decimal, currency: str, language: str) -> str:
    """The price as a presenter's script would write it: "$19.99", "€5", "199元", "20美元"."""
    price = Decimal(price)
    amount = f"{price:,.0f}" if price == price.to_integral_value() else f"{price:,.2f}"
    code = currency.upper()
    if language == "zh":
        return amount.replace(",", "") + _NAMES_ZH.get(code, " " + code)
    symbol = _SYMBOLS_EN.get(code)
    return f"{symbol}{amount}" if symbol else f"{code} {amount}"


def pitch(product: Any, *, language: str, seed: int = 0, pass_index: int = 0) -> tuple[str, ...]:
    """The lines of a pitch for `product` (anything with name, price, currency, selling_points,
    faq and description), in `language` ("en" or "zh")."""
    words = _TEMPLATES["zh" if language == "zh" else "en"]
    rng = random.Random(f"pitch:{seed}:{pass_index}:{product.name}")
    base = random.Random(f"pitch:{seed}:{product.name}").randrange(1000)
    lines = [_cycle(words["opener"], base + pass_index).format(name=product.name)]
    if product.description:
        lines.append(product.description)
    points = list(product.selling_points)
    rng.shuffle(points)
    connectors = list(words["connector"])
    rng.shuffle(connectors)
    for i, point in enumerate(points):
        template = rng.choice(words["first"]) if i == 0 else connectors[(i - 1) % len(connectors)]
        lines.append(template.format(point=_clause(point, template, language, product.name)))
    price = written_price(product.price, product.currency, language)
    lines.append("[pause 300ms] " + rng.choice(words["price"]).format(price=price))
    if product.faq:
        item = product.faq[(base + pass_index) % len(product.faq)]
        lines.append(rng.choice(words["faq"]).format(q=_ending(item.q, "?？", language, "?"),
                                                     a=_ending(item.a, ".!。！", language, ".")))
    lines.append(_cycle(words["cta"], base + 2 * pass_index + 1))
    return tuple(lines)


def _cycle(options: tuple[str, ...], i: int) -> str:
    return options[i % len(options)]


def _clause(point: str, template: str, language: str, name: str) -> str:
    """A selling point fitted into its template: full stop added, first letter lowered after a
    lead-in ("Plus, keeps drinks hot.") unless it starts an acronym or the product's name."""
    point = _ending(point.strip(), ".!?。！？", language, ".")
    first = point.split(" ", 1)[0]
    if language != "zh" and not template.startswith("{point}") and point[:1].isupper() \
            and first[1:] == first[1:].lower() and first not in ("I", "I'm", "I've") \
            and first not in name.split():
        point = point[0].lower() + point[1:]
    return point


def _ending(text: str, marks: str, language: str, english_mark: str) -> str:
    text = text.strip()
    if text and text[-1] not in marks:
        text += ("。" if english_mark == "." else "？") if language == "zh" else english_mark
    return text
