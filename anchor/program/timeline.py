"""The program: a show turned into timed program items (audio, video frames, captions).

Speech is made one utterance at a time and placed on the one timeline (program samples at
PROGRAM_RATE); video frame n covers samples [n * PROGRAM_RATE / fps, (n + 1) * ...). Nothing holds
more than one utterance ahead, so memory does not grow with the length of the show.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable, Iterable, Iterator

import numpy as np

from anchor.errors import AnchorError
from anchor.media import (PROGRAM_RATE, AudioBlock, Caption, FaceDrive, Pause, Utterance,
                          VideoFrame, Viseme)
from anchor.studio import ProgramState, Studio
from avatars.base import Animator
from voices import mouth_track
from voices.base import Voice

LEAD_IN_MS = 400     # the presenter settles before the first word
TAIL_MS = 800        # and holds a moment after the last


@dataclass(frozen=True, slots=True, eq=False)
class Spoken:
    """One utterance (or pause) as program audio with its mouth timing and on-screen state."""
    pcm: np.ndarray                    # mono int16 at PROGRAM_RATE
    visemes: tuple[Viseme, ...]
    state: ProgramState
    emotion: str = "neutral"
    caption: str = ""
    language: str = "en"


@dataclass(frozen=True, slots=True)
class _FrameSlot:
    pts: int
    state: ProgramState


class Program:
    """Turns a stream of Spoken into program items: AudioBlock, Caption and VideoFrame, in
    timeline order. Audio comes in one block per video frame, just ahead of that frame, so an
    utterance can be cut between any two frames: when `generation()` changes, the utterance
    being placed stops at the next frame boundary (a live interruption). A frame for which
    `late(pts)` is true is not made at all, only its audio (a live render catching up)."""

    def __init__(self, *, animator: Animator, studio: Studio, fps: int,
                 limit_s: float | None = None, generation: Callable[[], int] = lambda: 0,
                 late: Callable[[int], bool] = lambda pts: False):
        self.animator, self.studio, self.fps = animator, studio, fps
        self.limit = None if limit_s is None else round(limit_s * PROGRAM_RATE)
        self.generation, self.late = generation, late
        self.samples = 0      # program audio placed so far
        self.frames = 0       # video frames placed so far
        # an animator that reads the audio (neural lip sync) names the window it needs
        window = getattr(animator, "audio_window_ms", None)
        self._window = None if window is None else tuple(round(ms * PROGRAM_RATE / 1000)
                                                         for ms in window)
        # program audio just before the item being placed: the window's lead and one frame
        self._heard = np.zeros(0 if window is None else self._window[0] + PROGRAM_RATE // fps + 1,
                               np.int16)

    def frame_start(self, n: int) -> int:
        return n * PROGRAM_RATE // self.fps

    def items(self, spoken: Iterable[Spoken]) -> Iterator[AudioBlock | Caption | VideoFrame]:
        pending: deque = deque()
        time_base = Fraction(1, self.fps)
        for frame in self.animator.frames(self._drives(spoken, pending)):
            while not isinstance(pending[0], _FrameSlot):
                yield pending.popleft()
            slot = pending.popleft()
            yield VideoFrame(self.studio.compose(frame, slot.state), slot.pts, time_base)
        yield from pending

    def _drives(self, spoken: Iterable[Spoken], pending: deque) -> Iterator[FaceDrive]:
        for item in spoken:
            generation = self.generation()
            start, pcm = self.samples, item.pcm
            if self.limit is not None:
                pcm = pcm[:max(0, self.limit - start)]
                if len(pcm) == 0:
                    return
            end = start + len(pcm)
            context = None if self._window is None else np.concatenate([self._heard, pcm])
            if item.caption:
                pending.append(Caption(item.caption, start, end, item.language))
            first = self.frames
            last = math.ceil(end * self.fps / PROGRAM_RATE)     # frames that start before `end`
            if last <= first:                                   # too short to reach a new frame
                pending.append(AudioBlock(pcm, start))
                self.samples = end
                self._remember(context, start)
                continue
            shapes = mouth_track(item.visemes, sample_rate=PROGRAM_RATE, fps=self.fps,
                                 n_frames=last - first, start_sample=self.frame_start(first) - start)
            speaking = bool(item.visemes)
            for n, mouth in zip(range(first, last), shapes):
                a0 = start if n == first else self.frame_start(n)
                a1 = end if n == last - 1 else self.frame_start(n + 1)
                pending.append(AudioBlock(pcm[a0 - start:a1 - start], a0))
                self.samples, self.frames = a1, n + 1
                if not self.late(n):
                    pending.append(_FrameSlot(n, item.state))
                    drive = FaceDrive(mouth=mouth, expression=item.emotion, speaking=speaking)
                    if context is not None:
                        drive = self._with_audio(drive, context, start, self.frame_start(n))
                    yield drive
                if self.generation() != generation:
                    break
            self._remember(context, start)

    def _remember(self, context: np.ndarray | None, start: int) -> None:
        """Keep the end of the program audio placed so far, for the next item's windows."""
        if context is not None:
            self._heard = context[:len(self._heard) + self.samples - start][-len(self._heard):]

    def _with_audio(self, drive: FaceDrive, context: np.ndarray, start: int, at: int) -> FaceDrive:
        """The drive with the program audio around sample `at`, cut from `context` (the audio
        before this item, then the item's): zeros past the item's end, as the next item is not
        made yet."""
        before, after = self._window
        first = at - before - (start - len(self._heard))      # index of sample at - before
        window = np.zeros(before + after, np.int16)
        got = context[first:first + before + after]
        window[:len(got)] = got
        return replace(drive, audio=window, audio_at=at - before)


def silence(ms: int, state: ProgramState, emotion: str = "neutral") -> Spoken:
    return Spoken(np.zeros(ms * PROGRAM_RATE // 1000, np.int16), (), state, emotion)


def speak(voice: Voice, utterance: Utterance, state: ProgramState) -> Spoken | None:
    """All of an utterance's speech as one Spoken at the program rate; None if it made no sound."""
    pcms, visemes, offset = [], [], 0
    for chunk in voice.synthesize(utterance):
        if chunk.sample_rate != PROGRAM_RATE:
            raise ValueError(f"voice {voice.info.name} gave {chunk.sample_rate} Hz, "
                             f"the program needs {PROGRAM_RATE}")
        pcms.append(chunk.pcm)
        visemes.extend(replace(v, start=v.start + offset, end=v.end + offset) for v in chunk.visemes)
        offset += len(chunk.pcm)
    if not offset:
        return None
    return Spoken(np.concatenate(pcms), tuple(visemes), replace(state, subtitle=utterance.subtitle),
                  utterance.emotion, utterance.subtitle, utterance.language)


def spoken_stream(items: Iterable[tuple[Utterance | Pause, ProgramState]],
                  voice_for: Callable[[Utterance], Voice]) -> Iterator[Spoken]:
    """Rewriter output with its on-screen state → Spoken, with a lead-in and a tail of silence."""
    emotion, state = "neutral", ProgramState()
    first, said = True, False
    for item, state in items:
        if first:
            yield silence(LEAD_IN_MS, replace(state, subtitle=""))
            first = False
        if isinstance(item, Pause):
            yield silence(item.ms, replace(state, subtitle=""), emotion)
            continue
        emotion = item.emotion
        if not isinstance(item, Utterance):      # a recording (anchor.program.recording) speaks itself
            for spoken in item.spoken(state):
                said = True
                yield spoken
            continue
        spoken = speak(voice_for(item), item, state)
        if spoken is not None:
            said = True
            yield spoken
    if not said:
        raise AnchorError("nothing to say: the voice made no sound for any of the show's text")
    yield silence(TAIL_MS, replace(state, subtitle=""), emotion)
