"""The Animator interface: one presenter frame per face drive; `AudioDrivenAnimator`, the
capability of an animator that reads the program audio."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterable, Iterator, Protocol

from anchor.media import FaceDrive, PresenterFrame


class Animator(Protocol):
    width: int    # presenter canvas, in program pixels
    height: int

    def frames(self, drives: Iterable[FaceDrive]) -> Iterator[PresenterFrame]:
        """Exactly one PresenterFrame per drive, in order. May read a few drives ahead
        (to batch), never more than it needs."""
        ...


class AudioDrivenAnimator(ABC):
    """An Animator that draws from the program audio (a neural lip sync), declared by
    subclassing: the program fills each drive's `FaceDrive.audio` with the audio from
    `audio_window_ms[0]` ms before the frame's start to `audio_window_ms[1]` ms after it."""
    width: int
    height: int
    audio_window_ms: tuple[float, float]

    @abstractmethod
    def frames(self, drives: Iterable[FaceDrive]) -> Iterator[PresenterFrame]:
        ...
