"""The Animator interface: one presenter frame per face drive."""
from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from anchor.media import FaceDrive, PresenterFrame


class Animator(Protocol):
    width: int    # presenter canvas, in program pixels
    height: int

    def frames(self, drives: Iterable[FaceDrive]) -> Iterator[PresenterFrame]:
        """Exactly one PresenterFrame per drive, in order. May read a few drives ahead
        (to batch), never more than it needs."""
        ...
