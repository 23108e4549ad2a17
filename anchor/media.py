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


# Signing: pose tracks in the MediaPipe Holistic layout, read and written as .pose files
# (avatars/signer/poses.py). The components, in this order, with their point counts; the face is
# FaceMesh without the 10 refined iris points (Holistic's default, refine_face_landmarks=False).
# "Left" and "right" are the signer's own: the signer is right-handed, so the dominant hand is
# RIGHT_HAND_LANDMARKS, seen on the viewer's left.
POSE_LANDMARKS = 33
FACE_LANDMARKS = 468
LEFT_HAND_LANDMARKS = 21
RIGHT_HAND_LANDMARKS = 21
HOLISTIC_COMPONENTS = (("POSE_LANDMARKS", POSE_LANDMARKS), ("FACE_LANDMARKS", FACE_LANDMARKS),
                       ("LEFT_HAND_LANDMARKS", LEFT_HAND_LANDMARKS),
                       ("RIGHT_HAND_LANDMARKS", RIGHT_HAND_LANDMARKS))
HOLISTIC_POINTS = sum(n for _, n in HOLISTIC_COMPONENTS)        # 543
# The unit of a pose track: pixels of a square reference frame of SIGN_FRAME pixels a side, in
# which the signer's shoulder joints are SIGN_SHOULDER_WIDTH pixels apart with their midpoint at
# SIGN_SHOULDER_CENTRE. Recordings are normalised to it (shoulder width and centre).
SIGN_FRAME = 512
SIGN_SHOULDER_WIDTH = 160.0
SIGN_SHOULDER_CENTRE = (256.0, 208.0)


def holistic_slice(component: str) -> slice:
    """The points of one Holistic component within a pose track's 543."""
    start = 0
    for name, count in HOLISTIC_COMPONENTS:
        if name == component:
            return slice(start, start + count)
        start += count
    raise ValueError(f"no Holistic component {component!r}")


@dataclass(frozen=True, slots=True, eq=False)
class PoseTrack:
    """A signed pose sequence: a sign, or a whole signed track.

    landmarks: (frames, 543, 3) float32, the HOLISTIC_COMPONENTS in order, in the image plane of
    a camera facing the signer: x to the viewer's right, y down (as MediaPipe reports a video),
    z toward the camera; all three in pixels of the SIGN_FRAME reference frame, z = 0 in the
    plane of the shoulders. (A .pose file stores z as MediaPipe does, away from the camera in
    units of the frame width: the conversion lives in avatars/signer/poses.py.)
    confidence: (frames, 543) float32 in [0, 1]; 0 where a point was not seen (its landmark is
    then meaningless)."""
    fps: float
    landmarks: np.ndarray
    confidence: np.ndarray

    def __post_init__(self):
        lm, conf = self.landmarks, self.confidence
        if not (isinstance(self.fps, (int, float)) and self.fps > 0):
            raise ValueError(f"pose track fps must be positive, not {self.fps!r}")
        if lm.dtype != np.float32 or lm.ndim != 3 or lm.shape[1:] != (HOLISTIC_POINTS, 3):
            raise ValueError(f"pose track landmarks must be (frames, {HOLISTIC_POINTS}, 3) float32, "
                             f"not {lm.dtype} {lm.shape}")
        if conf.dtype != np.float32 or conf.shape != lm.shape[:2]:
            raise ValueError(f"pose track confidence must be {lm.shape[:2]} float32, "
                             f"not {conf.dtype} {conf.shape}")

    @property
    def frames(self) -> int:
        return self.landmarks.shape[0]

    @property
    def duration(self) -> float:
        return self.frames / self.fps

    def component(self, name: str) -> np.ndarray:
        """(frames, points, 3): one component's landmarks (a view)."""
        return self.landmarks[:, holistic_slice(name)]
