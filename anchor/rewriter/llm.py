"""The LLM rewriter: a chat model rewords news items and product pitches; the rules rewriter
is its safety net.

For a news or product segment the model gets a style prompt (a neutral news reader, or a lively
shop host) and the segment's facts, and its reply is streamed: each sentence is checked as soon
as it is complete and then spoken, so the first utterance exists while the model is still
writing. Each sentence must

1. pass the text gate for generated text (`anchor.moderation.screen_generated`: blocklist,
   presenter instructions, show directives);
2. use no number the facts do not have (`anchor.rewriter.facts`: a price, date or figure the
   model made up fails), and
3. keep the reply, taken together, about the segment (shared words with its facts).

It is then read by the rules rewriter (sentence pieces, numbers and prices read out, ...), so
the voice gets the same kind of `Utterance` as from a written script.

On a `ChatError` (server down, slow, garbage, empty reply, deadline passed) or a refused
sentence, the rules rewriter says the segment instead: when the model's first sentences were
already said, they were checked, and the rules text follows them after a short pause, less the
sentences that tell again what was said (so nothing the segment must say, such as the price, is
lost, and little is said twice). `prepare` checks a whole reply before anything is said, for
a live channel that prepares the next segment ahead (anchor/rewriter/lookahead.py); there any
failure means the rules text. Each fallback is logged once per segment and reason.

Text segments are the author's own words (greetings, directives): they are read by the rules.
Consecutive passes of a looping show ask for a different angle and a different temperature, so
a shop loop is not repeated word for word.
"""
from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from anchor.clock import Clock
from anchor.language_model.chat import ChatError, ChatMessage, ChatModel, Deadline, sentences
from anchor.logs import WarnOnce
from anchor.media import Pause, Utterance
from anchor.moderation import screen_generated
from anchor.rewriter.facts import (says_again, segment_facts, segment_topic, shares_topic,
                                   unsupported_numbers)
from anchor.rewriter.rules import RulesRewriter
from anchor.show import ProductSegment
from anchor.text.chars import ideograph_count

__all__ = ["LLMRewriter", "Refused", "STYLES", "check_sentence", "segment_facts", "segment_topic",
           "style_for"]

STYLES = ("news", "shop")
TOPIC_AFTER_WORDS = 8     # the reply's topic is judged once it has this many content words
_log = logging.getLogger(__name__)

_SYSTEM = {
    ("news", "en"): (
        "You read the news on a television bulletin. Turn the news item in the facts into a "
        "short script for a calm, neutral news reader: two to five plain spoken sentences. "
        "Keep every name, place, date and number exactly as the facts write it, in digits. "
        "Add no fact, number, opinion or quote that the facts do not contain. Write no "
        "headings, lists, markdown, brackets or emojis. Reply with the script only."),
    ("shop", "en"): (
        "You host a live shopping show: warm, lively and honest. Write a short spoken pitch for "
        "the product in the facts: three to six short sentences, ending with an invitation to "
        "order. Use only the facts: say the product's name and its price exactly as written, "
        "with digits and the currency sign. Never invent a price, discount, number, date or "
        "claim. Write no headings, lists, markdown, brackets or emojis. Reply with the pitch "
        "only."),
    ("news", "zh"): (
        "你是电视新闻的播音员。把资料中的新闻改写成一段简短的播报稿：二到五句，语气平实、中立。"
        "人名、地名、日期和数字必须与资料完全一致，数字用阿拉伯数字书写。不要添加资料中没有的事实、"
        "数字、观点或引语。不要标题、列表、markdown、方括号或表情符号。只回复播报稿。"),
    ("shop", "zh"): (
        "你是直播带货的主播，热情、活泼、实在。为资料中的商品写一段简短的口播：三到六个短句，最后邀请"
        "观众下单。只用资料中的信息：商品名称和价格必须与资料完全一致，数字用阿拉伯数字书写。不要编造"
        "价格、折扣、数字、日期或功效。不要标题、列表、markdown、方括号或表情符号。只回复口播稿。"),
}
_ANGLES = {
    "en": ("Start with the most important fact.", "Start with what it means for the viewers.",
           "Start with a short, friendly lead-in.", "Start with the second most striking fact."),
    "zh": ("先说最重要的信息。", "先说这对观众意味着什么。", "先用一句亲切的开场白。",
           "先说第二个亮点。"),
}
_MARKUP = re.compile(r"[*_`#<>\[\]{}|~]+")


class Refused(Exception):
    """A generated sentence that may not be said; `reason` says why, in a few words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Said:
    """One sentence as the rules rewriter reads it (duck-types a text segment)."""
    text: str
    kind: str = "text"
    line: int = 0


class LLMRewriter:
    """A `Rewriter` that asks `chat` for news and product segments (see the module doc)."""

    name = "llm"

    def __init__(self, chat: ChatModel, *, clock: Clock, style: str | None = None, seed: int = 0,
                 ids: Iterator[int] | None = None, max_tokens: int = 300,
                 temperature: float = 0.7, timeout_s: float = 20.0,
                 warn: Callable[[str], None] | None = None, source_name: str | None = None):
        if style is not None and style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
        ids = ids if ids is not None else itertools.count(1)
        self.chat, self.clock, self.style, self.seed = chat, clock, style, seed
        self.max_tokens, self.temperature, self.timeout_s = max_tokens, temperature, timeout_s
        self._warn_to = warn or _log.warning
        self._source = source_name or "<show>"
        self.rules = RulesRewriter(seed=seed, ids=ids, warn=self._warn_to, source_name=source_name)
        self._reader = RulesRewriter(seed=seed, ids=ids, warn=lambda message: None,
                                     source_name=source_name)
        self.warn_once = WarnOnce(self._warn_to)   # once per segment and reason
        self.fallbacks = 0      # segments the rules said instead (all or the rest of them)

    # ---- the Rewriter interface ----

    def utterances(self, segment: Any, *, language: str, voice: str,
                   pass_index: int = 0) -> Iterator[Utterance | Pause]:
        language = _language(language)
        if getattr(segment, "kind", None) not in ("news", "product"):
            yield from self.rules.utterances(segment, language=language, voice=voice,
                                             pass_index=pass_index)
            return
        said: list[str] = []
        checked = self.checked_sentences(segment, language=language, pass_index=pass_index)
        try:
            for sentence in checked:
                for item in self._read(sentence, segment, language, voice):
                    if isinstance(item, Utterance):
                        said.append(item.subtitle)
                    yield item
        except (ChatError, Refused) as e:
            self.fallbacks += 1
            rules = self.rules.utterances(segment, language=language, voice=voice,
                                          pass_index=pass_index)
            if said:
                self.warn_once(f"{self._where(segment)}: LLM text refused mid-segment "
                                f"({_reason(e)}); the rules rewriter says the rest")
                yield Pause(300)
                rules = _not_said_again(rules, " ".join(said))
            else:
                self.warn_once(f"{self._where(segment)}: LLM text not used ({_reason(e)}); "
                                "the rules rewriter reads this segment")
            yield from rules
            return
        finally:
            checked.close()
        if said:
            yield Pause(600)

    def prepare(self, segment: Any, *, language: str, voice: str,
                pass_index: int = 0) -> list[Utterance | Pause] | None:
        """The whole segment from the model, every sentence checked before any is returned;
        None when the rules should read it (a failure is logged once). Blocks up to the
        timeout: call it off the render thread."""
        language = _language(language)
        if getattr(segment, "kind", None) not in ("news", "product"):
            return None
        try:
            said = list(self.checked_sentences(segment, language=language,
                                               pass_index=pass_index))
        except (ChatError, Refused) as e:
            self.fallbacks += 1
            self.warn_once(f"{self._where(segment)}: LLM text not used ({_reason(e)}); "
                            "the rules rewriter reads this segment")
            return None
        items = [item for sentence in said
                 for item in self._read(sentence, segment, language, voice)]
        return items + [Pause(600)] if items else None

    # ---- the model's reply, checked ----

    def checked_sentences(self, segment: Any, *, language: str,
                          pass_index: int = 0) -> Iterator[str]:
        """The model's reply for `segment`, sentence by sentence as each completes, each one
        checked; raises ChatError or Refused at the first problem."""
        facts, topic = segment_facts(segment, language), segment_topic(segment)
        deadline = Deadline.after(self.timeout_s, clock=self.clock)
        deltas = self.chat.stream(self.messages(segment, language=language,
                                                pass_index=pass_index),
                                  max_tokens=self.max_tokens,
                                  temperature=self.temperature_for(pass_index),
                                  deadline=deadline)
        said, count = [], 0
        try:
            for sentence in sentences(deltas, language=language):
                if deadline.passed():
                    raise ChatError(f"no reply within {self.timeout_s:g} s")
                sentence = check_sentence(sentence, facts)
                if not sentence:
                    continue
                said.append(sentence)
                if not _on_topic(" ".join(said), topic):
                    raise Refused("off the segment's topic")
                count += 1
                yield sentence
        finally:
            close = getattr(deltas, "close", None)
            if close is not None:
                close()
        if not count:
            raise Refused("empty reply")
        if not shares_topic(" ".join(said), topic, least=0.0):
            raise Refused("off the segment's topic")

    def messages(self, segment: Any, *, language: str, pass_index: int = 0) -> list[ChatMessage]:
        style = self.style or style_for(segment)
        angles = _ANGLES[language]
        angle = angles[(pass_index + self.seed) % len(angles)]
        facts = segment_facts(segment, language)
        head = "资料" if language == "zh" else "Facts"
        return [ChatMessage("system", _SYSTEM[(style, language)]),
                ChatMessage("user", f"{head}:\n{facts}\n\n{angle}")]

    def temperature_for(self, pass_index: int) -> float:
        """Each pass a little different (the backends take no seed)."""
        return round(self.temperature + 0.1 * (pass_index % 3), 2)

    # ---- pieces ----

    def _read(self, sentence: str, segment: Any, language: str,
              voice: str) -> Iterator[Utterance | Pause]:
        style = self.style or style_for(segment)
        text = f"[smile] {sentence}" if style == "shop" else sentence
        yield from self._reader.utterances(_Said(text, line=getattr(segment, "line", 0)),
                                           language=language, voice=voice)

    def _where(self, segment: Any) -> str:
        line = getattr(segment, "line", 0)
        return f"{self._source}:{line}" if line else self._source



def check_sentence(sentence: str, facts: str) -> str:
    """A generated sentence made safe to read, or Refused: the gate on the raw text (so a show
    directive or an instruction is caught as written), then markup removed, then no number the
    facts lack. Returns "" for a sentence with nothing to say."""
    problem = screen_generated(sentence)
    if problem:
        raise Refused({"instruction": "an instruction or directive", "blocked": "a blocked word",
                       "binary": "control characters"}.get(problem, problem))
    text = " ".join(_MARKUP.sub(" ", sentence).split())
    invented = unsupported_numbers(text, facts)
    if invented:
        raise Refused(f"a number not in the facts: {invented[0]}")
    return text if any(ch.isalnum() for ch in text) else ""


def style_for(segment: Any) -> str:
    """The default style: the shop host for products, the news reader for everything else."""
    return "shop" if isinstance(segment, ProductSegment) else "news"


def _not_said_again(items: Iterator[Utterance | Pause], said: str) -> Iterator[Utterance | Pause]:
    """The rules text after a refusal mid-segment, less the sentences the model's checked
    sentences already told (a price or call to action not yet said is kept)."""
    for item in items:
        if not (isinstance(item, Utterance) and says_again(item.subtitle, said)):
            yield item


def _on_topic(text: str, facts: str) -> bool:
    """Judged once the reply has enough words to judge; until then, given the benefit."""
    if len(re.findall(r"[A-Za-z]{4,}", text)) + ideograph_count(text) // 2 < TOPIC_AFTER_WORDS:
        return True
    return shares_topic(text, facts, least=0.15)


def _language(language: str) -> str:
    return "zh" if language.lower().startswith("zh") else "en"


def _reason(error: Exception) -> str:
    return error.reason if isinstance(error, Refused) else f"{type(error).__name__}: {error}"
