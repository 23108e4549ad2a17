"""Offline answers to viewer questions, from the show's own facts.

`Answerer(show).answer(question)` matches a (gated) question against the show's products: their
names, prices, FAQ, selling points and descriptions, by keywords with typo tolerance (English
words) and character pairs (Chinese). It answers with a template in the show's language:

- a price question ("how much is the bottle?", "这个多少钱？") → "The Trail Bottle is $19.99." —
  the price written by `anchor.rewriter.written_price` from the show's own number;
- a question close to an FAQ question → that FAQ answer;
- a question about a selling point or the description → that sentence;
- a product named with nothing else to go on → a short summary with its price;
- anything else → None; the caller then says `holding_line(...)`.

Answers are written text like the show's own (they may carry its directives, e.g. "[smile]"), to
be read by the rewriter. They are built only from the show: never from the question's words, so
an instruction hidden in a comment can never be repeated by the presenter, and never with a
number that is not in the show.
"""
from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass

from anchor.rewriter import written_price
from anchor.rewriter.facts import plain
from anchor.show import ProductSegment, Show
from anchor.text.chars import IDEOGRAPHS, fold

__all__ = ["Answerer"]

FAQ_THRESHOLD = 0.5        # how close a question must be to an FAQ question
FACT_THRESHOLD = 0.55      # ... to a selling point or description
NAMED_FACTOR = 0.85        # thresholds relax this much when the question names the product
MAX_PRICES_LISTED = 4
CLOSE_CACHE = 4096         # remembered spelling look-ups per answerer      # "how much?" with no product in view lists at most this many

_TEMPLATES = {
    "en": {
        "price": ("{The_name} is {price}.", "{The_name} costs {price}.",
                  "Good question! {The_name} is just {price}."),
        "prices": "Here are today's prices: {list}.",
        "faq": ("{A}", "Good question! {A}", "About {the_name}: {a}"),
        "fact": ("About {the_name}: {fact}", "Good question! {Fact}"),
        "summary": "{The_name}: {fact} It's {price}.",
        "holding": (("Thanks for the question! I don't have that detail in front of me, so "
                     "please check the product page."),
                    ("Thanks for asking! That's not something I can answer right now, but stay "
                     "with me for more."),
                    ("Thanks for the question, I'll leave that one to the product page. Keep the "
                     "questions coming!")),
    },
    "zh": {
        "price": ("{name}的价格是{price}。", "{name}现在只要{price}。", "好问题！{name}只卖{price}。"),
        "prices": "今天的价格：{list}。",
        "faq": ("{a}", "好问题！{a}", "关于{name}：{a}"),
        "fact": ("关于{name}：{fact}", "好问题！{fact}"),
        "summary": "{name}：{fact}价格是{price}。",
        "holding": ("谢谢你的提问！这个问题我暂时没法回答，可以看看商品详情页哦。",
                    "感谢提问！这个我现在还答不上来，大家继续关注直播。",
                    "谢谢你的问题！具体信息请以商品页面为准，有问题继续留言哦。"),
    },
}

_PRICE_EN = re.compile(
    r"\bhow\s+much\b(?!(?:\s+\S+){0,3}?\s+(?:weigh|hold|fit|water|coffee|liquid|space|room|"
    r"volume|time|longer?|does\s+it\s+hold))|\bprices?\b|\bpricing\b|\bpriced\b|\bcosts?\b|"
    r"\bexpensive\b|\bcheap(?:er|est)?\b|\bhow\s+many\s+dollars\b|\$")
_PRICE_ZH = re.compile(r"多少钱|价格|价钱|价位|几块|几元|多少元|售价|卖多少|怎么卖|贵不贵|贵吗|"
                       r"便宜|啥价|什么价|优惠价|到手价|多钱")

_STOP_EN = frozenset("""
a an the and or but if so of to in on at by for with from about into over as is am are was were
be been being do does did doing have has had having can could will would shall should may might
must i me my mine we us our you your yours he him his she her it its they them their this that
these those there here what which who whom whose when where why how any some much many more most
very really just also too not no yes please pls thanks thank hi hello hey ok okay oh well get got
tell know want like need one s t don doesn isn aren didn won wouldn shouldn couldn let lets
""".split())
# Chinese filler that carries no topic: questions are split at these before taking characters.
_STOP_ZH = re.compile(r"请问|这个|那个|这款|那款|这件|可以|能不能|可不可以|是不是|有没有|什么|怎么|"
                      r"一下|吗|呢|吧|啊|呀|哦|嘛|的|了|是|你|我|们|它|他|她|能|会|要|想|就|都|"
                      r"也|还|很|在|呐|哈")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_UNIGRAM_WEIGHT = 0.4      # a single Chinese character says less than a pair


@dataclass(frozen=True, slots=True)
class _Product:
    name: str
    price: str                         # written in the show's language, e.g. "$19.99", "199元"
    names: frozenset[str]              # terms of the name (pairs and words identify it)
    summary: str                       # its description, or its first selling point


@dataclass(frozen=True, slots=True)
class _Fact:
    product: int                       # index into Answerer._products
    kind: str                          # "faq" (its question), "faq+" (question and answer), "fact"
    text: str                          # what is said: the FAQ answer or the sentence itself
    terms: dict[str, float]            # what a question is matched against


class Answerer:
    """Answers questions from one show's facts (see the module doc). Cheap to build (about a
    millisecond); rebuild it when the show is reloaded. Safe to call from any thread."""

    def __init__(self, show: Show):
        self.language = "zh" if show.language == "zh" else "en"
        self._words = _TEMPLATES[self.language]
        self._products: list[_Product] = []
        self._facts: list[_Fact] = []
        self._asked = 0
        for segment in show.segments:
            if isinstance(segment, ProductSegment):
                self._add_product(segment)
        documents = [f.terms for f in self._facts] + [dict.fromkeys(p.names, 1.0)
                                                        for p in self._products]
        df = Counter(term for doc in documents for term in doc)
        n = max(len(documents), 1)
        self._idf = {term: math.log(1 + n / count) for term, count in df.items()}
        self._unknown_idf = math.log(1 + n)
        self._vocabulary = sorted(t for t in df if not _is_cjk(t))
        self._close: dict[str, dict[str, float]] = {}   # spelling look-ups, reset when large

    def _add_product(self, segment: ProductSegment) -> None:
        index = len(self._products)
        names = frozenset(t for t in _terms(segment.name) if not t.isdigit())
        summary = segment.description or segment.selling_points[0]
        self._products.append(_Product(
            name=segment.name.strip(),
            price=written_price(segment.price, segment.currency, self.language),
            names=names, summary=_sentence(summary, self.language)))

        def topic(text: str, weight: float = 1.0) -> dict[str, float]:
            return {t: w * weight for t, w in _weighted(text).items() if t not in names}

        for item in segment.faq:
            question = topic(item.q)
            self._facts.append(_Fact(index, "faq", item.a, question))
            with_answer = {**topic(item.a, 0.5), **question}
            self._facts.append(_Fact(index, "faq+", item.a, with_answer))
        for text in (*segment.selling_points, *([segment.description] if segment.description else [])):
            self._facts.append(_Fact(index, "fact", _sentence(text, self.language), topic(text)))

    # ---- answering ----

    def answer(self, question: str, *, current: str | None = None) -> str | None:
        """The answer to `question` from the show's facts, or None when the show has none.
        `current` is the name of the product on screen, if any: what "this" and "it" mean."""
        if not self._products or not isinstance(question, str):
            return None
        folded = fold(question)
        product = named = self._mentioned(folded)
        if product is None and current is not None:
            product = next((i for i, p in enumerate(self._products)
                            if p.name.casefold() == current.strip().casefold()), None)
        if product is None and len(self._products) == 1:
            product = 0
        if _PRICE_EN.search(folded) or _PRICE_ZH.search(folded):
            return self._price(product)
        asked = _weighted(_PRICE_EN.sub(" ", _PRICE_ZH.sub(" ", folded)))
        if product is not None:
            asked = {t: w for t, w in asked.items() if t not in self._products[product].names}
        if not asked:
            return self._summary(named) if named is not None else None
        best, best_score = None, 0.0
        for fact in self._facts:
            score = self._score(asked, fact.terms)
            if fact.kind == "faq+":
                score *= 0.9
            if product is not None and fact.product != product:
                score *= 0.8 if named is None else 0.0   # a named product: only its own facts
            if score > best_score:
                best, best_score = fact, score
        if best is None:
            return None
        threshold = FACT_THRESHOLD if best.kind == "fact" else FAQ_THRESHOLD
        if named is not None:
            threshold *= NAMED_FACTOR   # the product's name already says what the question is about
        if best_score < threshold:
            return None
        name = self._products[best.product].name
        text = best.text if self.language == "zh" else _lower_first(best.text, name)
        if best.kind == "fact":
            return self._say("fact", name, fact=text)
        return self._say("faq", name, a=text)

    def holding_line(self, seed: int = 0) -> str:
        """A polite line for a question the show cannot answer (never echoing it)."""
        lines = self._words["holding"]
        return lines[seed % len(lines)]

    # ---- pieces ----

    def _price(self, product: int | None) -> str:
        if product is not None:
            p = self._products[product]
            return self._say("price", p.name, price=p.price)
        listed = self._products[:MAX_PRICES_LISTED]
        if self.language == "zh":
            items = "，".join(f"{p.name}{p.price}" for p in listed)
        else:
            parts = [f"{_the(p.name)} {p.price}" for p in listed]
            items = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return self._words["prices"].format(list=items)

    def _summary(self, product: int) -> str:
        p = self._products[product]
        return self._words["summary"].format(
            name=p.name, the_name=_the(p.name), The_name=_capital(_the(p.name)),
            fact=p.summary, price=p.price)

    def _say(self, kind: str, name: str, **fields: str) -> str:
        options = self._words[kind]
        self._asked += 1
        capitals = {k.capitalize(): _capital(v) for k, v in fields.items()}
        return options[self._asked % len(options)].format(
            name=name, the_name=_the(name), The_name=_capital(_the(name)), **fields, **capitals)

    def _mentioned(self, folded: str) -> int | None:
        """The product whose name the question uses most (by the weight of its rarer words)."""
        terms = [t for t in _terms(folded) if not t.startswith("1:")]
        best, best_weight = None, 0.0
        for i, product in enumerate(self._products):
            weight = sum(self._idf.get(name, 0.0) * sim for name in product.names
                         if not name.startswith("1:")
                         for sim in [max((self._similar(t).get(name, 0.0) for t in terms),
                                         default=0.0)] if sim)
            if weight > best_weight:
                best, best_weight = i, weight
        return best

    def _score(self, asked: dict[str, float], fact: dict[str, float]) -> float:
        """0..1: mostly how much of the question the fact covers, partly how much of the fact
        the question covers; rarer terms count more."""
        if not fact:
            return 0.0
        covered, total, hits = 0.0, 0.0, Counter()
        for term, weight in asked.items():
            similar = self._similar(term)
            w = weight * max((self._idf.get(t, 0.0) for t in similar), default=self._unknown_idf)
            total += w
            sim, hit = max(((s, t) for t, s in similar.items() if t in fact), default=(0.0, None))
            if hit is not None:
                covered += w * sim
                hits[hit] = max(hits[hit], sim)
        fact_total = sum(w * self._idf.get(t, 0.0) for t, w in fact.items())
        fact_covered = sum(w * self._idf.get(t, 0.0) * hits[t] for t, w in fact.items())
        recall = covered / total if total else 0.0
        precision = fact_covered / fact_total if fact_total else 0.0
        return 0.65 * recall + 0.35 * precision

    def _similar(self, term: str) -> dict[str, float]:
        """Show terms that `term` may mean, with their similarity: itself, or close spellings."""
        if term in self._idf:
            return {term: 1.0}
        if _is_cjk(term) or len(term) < 4 or term.isdigit():
            return {}
        found = self._close.get(term)
        if found is None:
            close = difflib.get_close_matches(term, self._vocabulary, n=3, cutoff=0.8)
            found = {t: difflib.SequenceMatcher(None, term, t).ratio() for t in close}
            if len(self._close) >= CLOSE_CACHE:
                self._close = {}
            self._close[term] = found
        return found


# ---- text to terms -------------------------------------------------------------------------

def _terms(text: str) -> list[str]:
    """English words (stop words dropped, lightly stemmed) and, for Chinese, character pairs
    plus single characters (marked "1:"), with filler words cut out first."""
    text = fold(text)
    out = []
    for word in _WORD.findall(IDEOGRAPHS.sub(" ", text)):
        word = word.removesuffix("'s")
        if word not in _STOP_EN and "'" not in word:
            out.append(_stem(word))
    for run in IDEOGRAPHS.findall(text):
        for piece in _STOP_ZH.split(run):
            out.extend("1:" + ch for ch in piece)
            out.extend(piece[i:i + 2] for i in range(len(piece) - 1))
    return out


def _weighted(text: str) -> dict[str, float]:
    return {t: (_UNIGRAM_WEIGHT if t.startswith("1:") else 1.0) for t in _terms(plain(text))}


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _is_cjk(term: str) -> bool:
    return term.startswith("1:") or bool(IDEOGRAPHS.match(term))


def _the(name: str) -> str:
    first = name.split(" ", 1)[0].casefold()
    return name if first in ("the", "a", "an", "our", "my", "your") else "the " + name


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str, name: str) -> str:
    """ "It takes..." -> "it takes..." after "About the set:"; "BPA-free", "I" and the
    product's own name stay as they are."""
    first = text.split(" ", 1)[0]
    if (first[:1].isupper() and first[1:] == first[1:].lower() and first not in name.split()
            and first.rstrip(",.!?") not in ("I", "I'm", "I'll", "I've")):
        return text[0].lower() + text[1:]
    return text


def _sentence(text: str, language: str) -> str:
    text = " ".join(text.split())
    if text and text[-1] not in ".!?。！？":
        text += "。" if language == "zh" else "."
    return text
