"""The data that crosses a package boundary: frozen, slotted, typed.

Sample offsets are integers. Program audio is mono int16 PCM at PROGRAM_RATE; video frame n has
pts n on a time base of 1/fps, so frame n starts at sample n * PROGRAM_RATE / fps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

import numpy as np

PROGRAM_RATE = 48_000
EXPRESSIONS = ("neutral", "smile", "serious")
# The visible AI label's text by show language, unless a show's layout names its own: what the
# studio draws on every frame (and what any later label, spoken or on a page, should say).
AI_LABELS = MappingProxyType({"en": "AI-generated", "zh": "AI生成"})


@dataclass(frozen=True, slots=True)
class Span:
    """Characters [start, end) of a text."""
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Utterance:
    """One stretch of speech: `text` is what is spoken, `caption` what the subtitles show."""
    id: int
    text: str
    language: str                      # "en" | "zh"
    voice: str
    caption: str = ""
    emotion: str = "neutral"           # one of EXPRESSIONS
    emphasis: tuple[Span, ...] = ()    # spans of `text` to stress
    interruptible: bool = True
    source: str = "script"             # "script" | "comment"

    @property
    def subtitle(self) -> str:
        return self.caption or self.text


@dataclass(frozen=True, slots=True)
class Pause:
    """Silence between utterances."""
    ms: int


@dataclass(frozen=True, slots=True)
class Phoneme:
    symbol: str
    start: int   # sample offsets within the chunk
    end: int


@dataclass(frozen=True, slots=True)
class Viseme:
    label: str   # one of voices.visemes.VISEMES
    start: int   # sample offsets within the chunk
    end: int
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: int   # sample offsets within the chunk
    end: int


@dataclass(frozen=True, slots=True, eq=False)
class AudioChunk:
    """Speech for (part of) one utterance: mono int16 PCM and its timings."""
    utterance_id: int
    pcm: np.ndarray
    sample_rate: int
    start_sample: int = 0                 # offset of this chunk within its utterance
    phonemes: tuple[Phoneme, ...] = ()
    visemes: tuple[Viseme, ...] = ()
    words: tuple[Word, ...] = ()

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


@dataclass(frozen=True, slots=True)
class MouthShape:
    """Mouth pose, each weight in [0, 1]. All zero is the closed, relaxed mouth."""
    open: float = 0.0    # jaw and lip opening
    wide: float = 0.0    # lip spread (ee, smile)
    round: float = 0.0   # lip rounding (oo, w)
    bite: float = 0.0    # lower lip under the upper teeth (f, v)


CLOSED = MouthShape()


@dataclass(frozen=True, slots=True)
class FaceDrive:
    """What one video frame of the presenter must show; idle motion is the animator's own.

    `audio` is only filled for an animator that asks for it (`avatars.base.
    AudioDrivenAnimator`, a neural lip sync, with its `audio_window_ms = (before, after)`): the
    program audio (mono int16 at
    PROGRAM_RATE) from `before` ms ahead of this frame's start to `after` ms past it, zeros
    where the program has none yet; `audio_at` is the program sample of its first sample.
    Neither takes part in comparisons."""
    mouth: MouthShape = CLOSED
    expression: str = "neutral"   # one of EXPRESSIONS
    speaking: bool = False
    audio: np.ndarray | None = field(default=None, compare=False, repr=False)
    audio_at: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True, eq=False)
class Layer:
    """An RGBA uint8 image (straight alpha) placed with its top-left corner at (x, y)."""
    image: np.ndarray
    x: int = 0
    y: int = 0

    @property
    def width(self) -> int:
        return self.image.shape[1]

    @property
    def height(self) -> int:
        return self.image.shape[0]


@dataclass(frozen=True, slots=True, eq=False)
class PresenterFrame:
    """The presenter in one frame: a base layer that rarely changes (the same object while it
    does not) and a patch redrawn this frame over it, both in presenter coordinates."""
    base: Layer
    patch: Layer | None = None


@dataclass(frozen=True, slots=True, eq=False)
class VideoFrame:
    image: np.ndarray          # HxWx3 uint8 RGB
    pts: int
    time_base: Fraction


@dataclass(frozen=True, slots=True, eq=False)
class AudioBlock:
    """Program audio: mono int16 PCM starting at sample `pts` of the program timeline."""
    pcm: np.ndarray
    pts: int
    sample_rate: int = PROGRAM_RATE


def program_pcm(block: AudioBlock) -> np.ndarray:
    """The block's samples as mono int16 at PROGRAM_RATE; ValueError if they are anything else."""
    if block.sample_rate != PROGRAM_RATE:
        raise ValueError(f"audio at sample {block.pts} is {block.sample_rate} Hz, "
                         f"expected {PROGRAM_RATE} Hz")
    pcm = np.asarray(block.pcm)
    if pcm.ndim == 2 and pcm.shape[1] == 1:
        pcm = pcm[:, 0]
    if pcm.ndim != 1 or pcm.dtype != np.int16:
        raise ValueError(f"audio at sample {block.pts} must be mono int16, not {pcm.dtype} {pcm.shape}")
    return pcm


@dataclass(frozen=True, slots=True)
class Caption:
    """A subtitle cue, in program samples. A caption sent again with the same text and start
    moves that cue's end on (a line streamed in pieces: `anchor.program.timeline`)."""
    text: str
    start: int
    end: int
    language: str = "en"
    sample_rate: int = PROGRAM_RATE


@dataclass(frozen=True, slots=True)
class SegmentEnd:
    utterance_id: int
    interrupted: bool = False
