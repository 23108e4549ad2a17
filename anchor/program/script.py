"""The script: a show read by its rewriter, segment by segment and pass after pass, each
utterance or pause with the on-screen state of its segment (`ProgramState`). A segment with a
recording (`audio:`) becomes one `Recording` item."""
from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Callable, Iterator

from anchor.errors import AnchorError
from anchor.media import Pause, Utterance
from anchor.program.casting import voice_names
from anchor.program.recording import Recording
from anchor.program.speaking import Item
from anchor.rewriter import Rewriter, RulesRewriter, written_price
from anchor.show import NewsSegment, ProductSegment, Show
from anchor.studio import ProductCard, ProgramState

log = logging.getLogger(__name__)


def segment_state(segment, language: str) -> ProgramState:
    if isinstance(segment, NewsSegment):
        return ProgramState(headline=segment.headline, source=segment.source or "")
    if isinstance(segment, ProductSegment):
        price = written_price(segment.price, segment.currency, language)
        return ProgramState(product=ProductCard(segment.name, price))
    return ProgramState()


ScriptItems = Iterator[tuple[Item, ProgramState]]


def segment_scripts(show: Show, *, passes: int | None = 1,
                    warn: Callable[[str], None] = log.warning,
                    first_pass: int = 0, rewriter: Rewriter | None = None
                    ) -> Iterator[tuple[int, int, ScriptItems]]:
    """The show read by `rewriter` (default: the rules rewriter) one segment at a time, pass
    after pass (passes=None: forever): (pass index, segment index, that segment's items,
    lazily). A reader may leave a segment's items unread to skip the rest of it (the live
    scheduler's skip)."""
    names = voice_names(show)
    rewriter = rewriter or RulesRewriter(seed=show.seed, ids=itertools.count(1), warn=warn,
                                         source_name=str(show.path))
    for pass_index in itertools.islice(itertools.count(first_pass), passes):
        for index, segment in enumerate(show.segments):
            language = getattr(segment, "language", None) or show.language
            items = rewriter.utterances(segment, language=language, voice=names[language],
                                        pass_index=pass_index)
            if getattr(segment, "audio", None):
                items = _recorded(segment.audio, items, language)
            yield pass_index, index, _with_state(items, segment_state(segment, language))


def _recorded(path: str, items: Iterator[Utterance | Pause], language: str) -> Iterator[Recording]:
    """A segment spoken by a recording: its sentences as one item (the pauses are recorded)."""
    utterances = tuple(item for item in items if isinstance(item, Utterance))
    if utterances:
        yield Recording(Path(path), utterances, language)


def _with_state(items: Iterator[Item], state: ProgramState) -> ScriptItems:
    for item in items:
        yield item, state


def script(show: Show, *, passes: int | None = 1, warn: Callable[[str], None] = log.warning,
           first_pass: int = 0, rewriter: Rewriter | None = None) -> ScriptItems:
    """The show read by `rewriter` (default: the rules rewriter), pass after pass (passes=None:
    forever), each item with the on-screen state of its segment."""
    said, last = 0, len(show.segments) - 1
    for _, index, items in segment_scripts(show, passes=passes, warn=warn, first_pass=first_pass,
                                           rewriter=rewriter):
        for item in items:
            said += not isinstance(item[0], Pause)
            yield item
        if index == last:
            if not said:
                raise AnchorError(f"{show.path}: nothing to say: no segment has speakable text")
            said = 0
