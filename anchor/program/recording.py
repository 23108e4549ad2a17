"""A text segment read from a recording: the file plays instead of a voice, the mouth follows
the text aligned to it, and each of the rewriter's sentences keeps its own subtitle, timed by
the aligned words.

The rewriter still reads the segment (its sentences, captions and expressions); `Recording`
carries those utterances with the file, and `recorded_spoken` turns them into one `Spoken` per
sentence: the recording cut halfway between the last word of one sentence and the first word of
the next, so every sample of the file is played exactly once and in order.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from anchor.media import PROGRAM_RATE, Utterance, Viseme
from anchor.program.speech import Spoken
from anchor.studio import ProgramState
from voices.align import audio_timing
from voices.recorded import read_recording


@dataclass(frozen=True, slots=True)
class Recording:
    """The sentences of one segment and the file that speaks them."""
    path: Path
    utterances: tuple[Utterance, ...]
    language: str

    @property
    def text(self) -> str:
        return " ".join(u.text for u in self.utterances)

    @property
    def emotion(self) -> str:
        return self.utterances[0].emotion if self.utterances else "neutral"

    @property
    def interruptible(self) -> bool:
        return all(u.interruptible for u in self.utterances)

    def spoken(self, state: ProgramState) -> Iterator[Spoken]:
        """What anchor.program.speech.spoken_stream plays for this item (it speaks itself)."""
        return recorded_spoken(self, state)


def recorded_spoken(recording: Recording, state: ProgramState) -> Iterator[Spoken]:
    """The recording at the program rate, one Spoken per sentence (see the module doc)."""
    pcm = read_recording(recording.path, sample_rate=PROGRAM_RATE)
    text = recording.text
    timing = audio_timing(text, pcm, PROGRAM_RATE, language=recording.language)
    starts, offset = [], 0
    for u in recording.utterances:
        starts.append(offset)
        offset += len(u.text) + 1
    spans: dict[int, tuple[int, int]] = {}      # utterance index -> (first word start, last word end)
    cursor = 0
    for word in timing.words:
        found = text.find(word.text, cursor)
        pos = found if found >= 0 else cursor
        cursor = pos + len(word.text) if found >= 0 else cursor
        k = max(0, bisect.bisect_right(starts, pos) - 1)
        first, last = spans.get(k, (word.start, word.end))
        spans[k] = (min(first, word.start), max(last, word.end))
    spoken_at = sorted(spans)
    if not spoken_at:                           # nothing aligned: the whole file, one caption
        yield _piece(pcm, timing.visemes, 0, len(pcm), recording.utterances[0], state,
                     caption=" ".join(u.subtitle for u in recording.utterances))
        return
    cuts = [0]
    for a, b in zip(spoken_at, spoken_at[1:]):
        cuts.append(max(cuts[-1], min(len(pcm), (spans[a][1] + spans[b][0]) // 2)))
    cuts.append(len(pcm))
    for index, start, end in zip(spoken_at, cuts, cuts[1:]):
        if end > start:
            utterance = recording.utterances[index]
            yield _piece(pcm, timing.visemes, start, end, utterance, state, caption=utterance.subtitle)


def recorded_turn(recording: Recording, state: ProgramState) -> Spoken | None:
    """The whole recording as one Spoken (for a reader that plays one item per turn, like the
    live scheduler): its sentences' captions joined into one subtitle."""
    pieces = list(recorded_spoken(recording, state))
    if not pieces:
        return None
    visemes, offset = [], 0
    for piece in pieces:
        visemes += [replace(v, start=v.start + offset, end=v.end + offset) for v in piece.visemes]
        offset += len(piece.pcm)
    caption = " ".join(p.caption for p in pieces)
    return Spoken(np.concatenate([p.pcm for p in pieces]), tuple(visemes),
                  replace(state, subtitle=caption), pieces[0].emotion, caption, pieces[0].language)


def _piece(pcm, visemes: tuple[Viseme, ...], start: int, end: int, utterance: Utterance,
           state: ProgramState, *, caption: str) -> Spoken:
    inside = tuple(Viseme(v.label, max(v.start, start) - start, min(v.end, end) - start, v.weight)
                   for v in visemes if v.end > start and v.start < end)
    return Spoken(pcm[start:end], inside, replace(state, subtitle=caption), utterance.emotion,
                  caption, utterance.language)
