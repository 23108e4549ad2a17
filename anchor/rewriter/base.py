"""The rewriter interface: a show segment -> the utterances and pauses a presenter speaks."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from anchor.media import Pause, Utterance


@runtime_checkable
class Rewriter(Protocol):
    """Turns one segment of a show into speech items, lazily.

    `utterances` is a generator: it yields the first item before reading the rest of the
    segment, whatever its size. `pass_index` counts the loops of a show played around the
    clock: wording that varies (product pitches) differs between consecutive passes and is the
    same for the same (seed, pass_index).
    """

    name: str

    def utterances(self, segment: Any, *, language: str, voice: str,
                   pass_index: int = 0) -> Iterator[Utterance | Pause]:
        ...
