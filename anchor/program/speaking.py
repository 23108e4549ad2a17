"""The speaker: scheduled items turned into timed program speech, the one speech path of
`anchor render` and `anchor live`.

The items the path speaks are a small closed union (`Item`): an `Utterance` (through its
voice), a `Pause` and a `Recording` (a segment read from a file). Each comes as a `Turn` with
the on-screen state of its segment and where it came from. `Speaker.speak(turn)` yields one
`Spoken` per voice chunk as the voice yields them, so the first audio (and the first frame) of
an utterance exists before the rest of it is synthesized; the chunk's visemes and word timings
travel with it, and every piece of one utterance shares one `Line`, by which the program knows
that the pieces are one caption and one spoken line. The first turn begins with the lead-in;
`tail()` is the silence a finite program ends on.

Render drives the speaker with the finite script as fast as it can (`performed`); live drives
it from the scheduler in real time (`anchor.live.speaking`). Nothing here reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator

import numpy as np

from anchor.errors import AnchorError
from anchor.media import PROGRAM_RATE, AudioChunk, Pause, Utterance, Viseme, Word
from anchor.program.recording import Recording, recorded_sentences
from anchor.studio import ProgramState
from voices.base import Voice

LEAD_IN_MS = 400     # the presenter settles before the first word
TAIL_MS = 800        # and holds a moment after the last

Item = Utterance | Pause | Recording
ORIGINS = ("script", "answer", "say", "idle")


@dataclass(frozen=True, slots=True)
class Turn:
    """One item to speak, in the on-screen state of its segment. `origin` says who decided
    it: the script, an answer to a comment, a say-now line, or idle time (a pause while there
    is nothing to say: the presenter's expression relaxes)."""
    item: Item
    state: ProgramState
    origin: str = "script"     # one of ORIGINS


@dataclass(frozen=True, slots=True, eq=False)
class Line:
    """An utterance being said; every Spoken piece of it holds this one object (saying the
    same utterance again, after an interruption, is another Line)."""
    utterance: Utterance
    origin: str


@dataclass(frozen=True, slots=True, eq=False)
class Spoken:
    """A piece of program speech (one voice chunk, one recorded sentence) or a silence, with
    its mouth timing, word timing and on-screen state. Offsets are samples within `pcm`."""
    pcm: np.ndarray                    # mono int16 at PROGRAM_RATE
    visemes: tuple[Viseme, ...]
    state: ProgramState
    emotion: str = "neutral"
    words: tuple[Word, ...] = ()
    line: Line | None = None           # None: silence

    @property
    def caption(self) -> str:
        return self.line.utterance.subtitle if self.line else ""

    @property
    def language(self) -> str:
        return self.line.utterance.language if self.line else "en"


def silence(ms: int, state: ProgramState, emotion: str = "neutral") -> Spoken:
    return Spoken(np.zeros(ms * PROGRAM_RATE // 1000, np.int16), (), replace(state, subtitle=""),
                  emotion)


class Speaker:
    """Turns into Spoken pieces, streaming. `voice_for` gives the voice of an utterance.
    `faults`: None, a failing voice or recording raises (a render fails rather than leave a
    line out); a callable, it is told in one line and the rest of the item is left out (a live
    channel survives a faulty part)."""

    def __init__(self, *, voice_for: Callable[[Utterance], Voice],
                 faults: Callable[[str], None] | None = None):
        self._voice_for, self._faults = voice_for, faults
        self._started = False
        self._state, self._emotion = ProgramState(), "neutral"   # held through pauses

    def speak(self, turn: Turn) -> Iterator[Spoken]:
        if not self._started:
            self._started = True
            yield silence(LEAD_IN_MS, turn.state)
        self._state = turn.state
        if turn.origin == "idle":
            self._emotion = "neutral"
        match turn.item:
            case Pause(ms=ms):
                yield silence(ms, turn.state, self._emotion)
            case Utterance() as utterance:
                yield from self._guarded(self._voiced(utterance, turn),
                                         f"voice {utterance.voice!r}")
            case Recording() as recording:
                yield from self._guarded(self._recorded(recording, turn),
                                         f"recording {str(recording.path)!r}")
            case other:
                raise TypeError(f"the speaker cannot speak a {type(other).__name__}")

    def tail(self) -> Spoken:
        """The silence a finite program ends on, in the last turn's picture."""
        return silence(TAIL_MS, self._state, self._emotion)

    def _voiced(self, utterance: Utterance, turn: Turn) -> Iterator[Spoken]:
        voice = self._voice_for(utterance)
        line = Line(utterance, turn.origin)
        for chunk in voice.synthesize(utterance):
            if chunk.sample_rate != PROGRAM_RATE:
                raise ValueError(f"voice {voice.info.name} gave {chunk.sample_rate} Hz, "
                                 f"the program needs {PROGRAM_RATE}")
            if len(chunk.pcm):
                yield self._piece(chunk, line, turn.state)

    def _recorded(self, recording: Recording, turn: Turn) -> Iterator[Spoken]:
        for utterance, chunk in recorded_sentences(recording):
            yield self._piece(chunk, Line(utterance, turn.origin), turn.state)

    def _piece(self, chunk: AudioChunk, line: Line, state: ProgramState) -> Spoken:
        utterance = line.utterance
        self._emotion = utterance.emotion
        return Spoken(chunk.pcm, chunk.visemes, replace(state, subtitle=utterance.subtitle),
                      utterance.emotion, chunk.words, line)

    def _guarded(self, pieces: Iterator[Spoken], what: str) -> Iterator[Spoken]:
        if self._faults is None:
            yield from pieces
            return
        try:
            yield from pieces
        except Exception as e:  # noqa: BLE001 (a 24/7 channel survives a faulty part)
            self._faults(f"{what} failed ({type(e).__name__}: {e}); the utterance was left out")


def performed(turns: Iterable[Turn], speaker: Speaker) -> Iterator[Spoken]:
    """A finite script spoken start to end (render): the lead-in, every turn, the tail.
    AnchorError if nothing in it made a sound."""
    said = False
    for turn in turns:
        for spoken in speaker.speak(turn):
            said = said or spoken.line is not None
            yield spoken
    if not said:
        raise AnchorError("nothing to say: the voice made no sound for any of the show's text")
    yield speaker.tail()
