"""The rules rewriter: the default backend, no model, deterministic.

News: the headline, a short pause, the body, "According to X" when a source is given, then a
pause before the next item. Products: a pitch (see `pitch`). Text: as written. Every text is cut
into sentences, directives become `Pause`s, emotions and emphasis spans, long sentences are cut
into pieces of at most `max_chars` caption characters, and each piece is normalized into what
the voice says. Each segment starts with a neutral expression.
"""
from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from anchor.errors import ShowError
from anchor.media import Pause, Utterance
from anchor.rewriter.pitch import pitch
from anchor.show import directives
from anchor.show.directives import Emphasis, Expression
from anchor.text import normalize_en, normalize_zh
from anchor.text.reading import Reading
from anchor.text.sentences import pieces, sentences

MAX_CHARS = {"en": 180, "zh": 60}
HEADLINE_PAUSE_MS = 300
ITEM_PAUSE_MS = 600

_log = logging.getLogger(__name__)
_STARS = re.compile(r"\*")


class RulesRewriter:
    name = "rules"

    def __init__(self, *, seed: int = 0, ids: Iterator[int] | None = None,
                 max_chars: int | None = None, warn: Callable[[str], None] | None = None,
                 source_name: str | None = None):
        if max_chars is not None and max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, not {max_chars}")
        self.seed = seed
        self._ids = ids if ids is not None else itertools.count(1)
        self._max_chars = max_chars
        self._warn = warn or _log.warning
        self._source = source_name or "<show>"

    def utterances(self, segment: Any, *, language: str, voice: str,
                   pass_index: int = 0) -> Iterator[Utterance | Pause]:
        """The speech of one segment, lazily. Pauses are held back until an utterance follows
        them, so a segment with nothing speakable yields nothing (and warns once)."""
        language = "zh" if language.lower().startswith("zh") else "en"
        telling = _Telling(self, segment, language, voice)
        held: list[Pause] = []
        spoke = False
        for item in self._items(segment, telling, pass_index):
            if isinstance(item, Pause):
                held.append(item)
                continue
            yield from held
            held.clear()
            spoke = True
            yield item
        if spoke:
            yield from held
        else:
            line = getattr(segment, "line", 0)
            where = f"{self._source}:{line}" if line else self._source
            self._warn(f"{where}: segment has no speakable text, skipped")

    def _items(self, segment: Any, telling: _Telling, pass_index: int) -> Iterator[Utterance | Pause]:
        kind = getattr(segment, "kind", None)
        zh = telling.language == "zh"
        if kind == "news":
            yield from telling.read(segment.headline)
            yield Pause(HEADLINE_PAUSE_MS)
            yield from telling.read(segment.body)
            if segment.source:
                yield from telling.read(f"据{segment.source}报道。" if zh
                                        else f"According to {segment.source}.")
            yield Pause(ITEM_PAUSE_MS)
        elif kind == "product":
            for line in pitch(segment, language=telling.language, seed=self.seed,
                              pass_index=pass_index):
                yield from telling.read(line)
            yield Pause(ITEM_PAUSE_MS)
        elif kind == "text":
            yield from telling.read(segment.text)
        else:
            raise ShowError(f"unknown segment kind {kind!r} (use news, product or text)",
                            path=self._source, line=getattr(segment, "line", None))

    def _next_id(self) -> int:
        return next(self._ids)


class _Telling:
    """The reading of one segment: its language, voice and current expression."""

    def __init__(self, rewriter: RulesRewriter, segment: Any, language: str, voice: str):
        self.rewriter, self.segment, self.language, self.voice = rewriter, segment, language, voice
        self.emotion = "neutral"
        self.normalize = normalize_zh.reading if language == "zh" else normalize_en.reading
        self.max_chars = rewriter._max_chars or MAX_CHARS[language]

    def read(self, text: str) -> Iterator[Utterance | Pause]:
        for sentence in sentences(text):
            try:
                parts = directives.parse(sentence)
            except ValueError as e:
                raise ShowError(str(e), path=self.rewriter._source,
                                line=getattr(self.segment, "line", None)) from None
            run: list[str | Emphasis] = []
            for part in parts:
                if isinstance(part, (Pause, Expression)):
                    yield from self._speak(run)
                    run = []
                    if isinstance(part, Pause):
                        yield part
                    else:
                        self.emotion = part.name
                else:
                    run.append(part)
            yield from self._speak(run)

    def _speak(self, run: list[str | Emphasis]) -> Iterator[Utterance]:
        """Plain and emphasised pieces of one stretch of a sentence -> utterances."""
        if not run:
            return
        written, stressed, pos = [], [], 0
        for part in run:
            text = part.text if isinstance(part, Emphasis) else part
            if isinstance(part, Emphasis):
                stressed.append((pos, pos + len(text)))
            written.append(text)
            pos += len(text)
        shown = Reading.of("".join(written)).sub(_STARS, lambda m: "").tidy()
        caption = shown.text
        marks = [shown.span(a, b) for a, b in stressed]
        for start, end in pieces(caption, self.max_chars):
            said = self.normalize(caption[start:end])
            if not any(c.isalnum() for c in said.text):
                continue
            emphasis = []
            for mark in marks:
                a, b = max(mark.start, start), min(mark.end, end)
                if a < b:
                    span = said.span(a - start, b - start)
                    if span.end > span.start:
                        emphasis.append(span)
            yield Utterance(id=self.rewriter._next_id(), text=said.text, language=self.language,
                            voice=self.voice, caption=caption[start:end], emotion=self.emotion,
                            emphasis=tuple(emphasis))

