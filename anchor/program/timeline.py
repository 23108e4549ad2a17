"""The program timeline: Spoken pieces placed on the one timeline as program items (audio
blocks, video frames, captions), with the presenter's frames.

Program samples run at PROGRAM_RATE; video frame n covers samples [n * PROGRAM_RATE / fps,
(n + 1) * ...). Nothing holds more than one piece of speech ahead, so memory does not grow with
the length of the show.

A line (`anchor.program.speaking.Line`) may come in several pieces, as its voice streams it.
Its Caption goes out with its first piece, ending where that piece ends; each further piece
sends the Caption again with the same start and its end moved on (a sink keeps the latest:
one cue per line). When a line's last sample is placed, every `LineObserver` is told
(`SaidLine`: the utterance, its origin, its span and its words on the timeline).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Iterable, Iterator, Protocol, Sequence

import numpy as np

from anchor.media import (PROGRAM_RATE, AudioBlock, Caption, FaceDrive, Utterance, VideoFrame,
                          Word)
from anchor.program.speaking import Line, Spoken
from anchor.studio import ProgramState, Studio
from avatars.base import Animator, AudioDrivenAnimator
from voices import mouth_track


@dataclass(frozen=True, slots=True)
class SaidLine:
    """A line as it went out on the program timeline: its utterance, who decided it
    (`anchor.program.speaking.ORIGINS`), program samples [start, end), its words at program
    samples, and whether an interruption cut it short (it is then said again, as a new line)."""
    utterance: Utterance
    origin: str
    start: int
    end: int
    words: tuple[Word, ...] = ()
    interrupted: bool = False


class LineObserver(Protocol):
    """What must see every spoken line once (signing, the audio AI label, the audit log):
    `said` is called on the render's thread when a line's last sample is placed."""

    def said(self, line: SaidLine) -> None: ...


@dataclass(slots=True, eq=False)
class _Placing:
    """The line whose pieces are being placed: where it began, its words so far."""
    line: Line
    start: int
    generation: int
    words: list[Word] = field(default_factory=list)


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
                 late: Callable[[int], bool] = lambda pts: False,
                 observers: Sequence[LineObserver] = ()):
        self.animator, self.studio, self.fps = animator, studio, fps
        self.limit = None if limit_s is None else round(limit_s * PROGRAM_RATE)
        self.generation, self.late = generation, late
        self.observers = tuple(observers)
        self.samples = 0      # program audio placed so far
        self.frames = 0       # video frames placed so far
        self._line: _Placing | None = None
        # an animator that reads the audio (neural lip sync) names the window it needs
        self._window = None
        if isinstance(animator, AudioDrivenAnimator):
            self._window = tuple(round(ms * PROGRAM_RATE / 1000) for ms in animator.audio_window_ms)
        # program audio just before the item being placed: the window's lead and one frame
        self._heard = np.zeros(0 if self._window is None else self._window[0] + PROGRAM_RATE // fps + 1,
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
                    break
            end = start + len(pcm)
            context = None if self._window is None else np.concatenate([self._heard, pcm])
            caption = self._caption(item, start, end)
            if caption is not None:
                pending.append(caption)
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
                    self._said(interrupted=True)
                    break
            self._remember(context, start)
        self._said()

    def _caption(self, item: Spoken, start: int, end: int) -> Caption | None:
        """The caption this piece sends (see the module doc); a piece of another line, or a
        silence, ends the line before it."""
        placing = self._line
        if item.line is None or placing is None or item.line is not placing.line:
            self._said()
            if item.line is None:
                return None
            placing = self._line = _Placing(item.line, start, self.generation())
        placing.words.extend(replace(w, start=w.start + start, end=w.end + start)
                             for w in item.words if start + w.start < end)
        return Caption(item.caption, placing.start, end, item.language)

    def _said(self, *, interrupted: bool = False) -> None:
        """The line being placed is over: tell the observers. An interruption since it began
        cut it short (here, or between its pieces) or flushed it from the live output."""
        placing, self._line = self._line, None
        if placing is None or not self.observers:
            return
        interrupted = interrupted or self.generation() != placing.generation
        line = SaidLine(placing.line.utterance, placing.line.origin, placing.start, self.samples,
                        tuple(placing.words), interrupted)
        for observer in self.observers:
            observer.said(line)

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


