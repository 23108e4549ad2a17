"""A text segment read from a recording: the file plays instead of a voice, the mouth follows
the text aligned to it, and each of the rewriter's sentences keeps its own subtitle, timed by
the aligned words.

The rewriter still reads the segment (its sentences, captions and expressions); `Recording`
carries those utterances with the file, and `recorded_sentences` cuts the file into one
`AudioChunk` per sentence, as a voice would speak them: the recording cut halfway between the
last word of one sentence and the first word of the next, so every sample of the file is played
exactly once and in order.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

import numpy as np

from anchor.media import PROGRAM_RATE, AudioChunk, Utterance, Viseme, Word
from voices.align import AudioTiming, audio_timing
from voices.recorded import read_recording

T = TypeVar("T", Viseme, Word)


@dataclass(frozen=True, slots=True)
class Recording:
    """The sentences of one segment and the file that speaks them (an item of the speech path,
    beside `Utterance` and `Pause`)."""
    path: Path
    utterances: tuple[Utterance, ...]
    language: str

    @property
    def interruptible(self) -> bool:
        return all(u.interruptible for u in self.utterances)


def recorded_sentences(recording: Recording) -> Iterator[tuple[Utterance, AudioChunk]]:
    """The recording at the program rate, one chunk per sentence with its utterance (see the
    module doc); a recording nothing could be aligned to plays whole, as its first sentence,
    with every sentence's caption joined into one."""
    text = " ".join(u.text for u in recording.utterances)
    pcm, timing = _aligned(recording.path, _stamp(recording.path), text, recording.language)
    starts, offset = [], 0
    for u in recording.utterances:
        starts.append(offset)
        offset += len(u.text) + 1
    spans: dict[int, tuple[int, int]] = {}      # utterance index -> (first word start, last word end)
    words: dict[int, list[Word]] = {}
    cursor = 0
    for word in timing.words:
        found = text.find(word.text, cursor)
        pos = found if found >= 0 else cursor
        cursor = pos + len(word.text) if found >= 0 else cursor
        k = max(0, bisect.bisect_right(starts, pos) - 1)
        first, last = spans.get(k, (word.start, word.end))
        spans[k] = (min(first, word.start), max(last, word.end))
        words.setdefault(k, []).append(word)
    spoken_at = sorted(spans)
    if not spoken_at:                           # nothing aligned: the whole file, one caption
        first = recording.utterances[0]
        whole = Utterance(first.id, text, first.language, first.voice,
                          caption=" ".join(u.subtitle for u in recording.utterances),
                          emotion=first.emotion, interruptible=recording.interruptible,
                          source=first.source)
        yield whole, AudioChunk(whole.id, pcm, PROGRAM_RATE, 0, visemes=timing.visemes)
        return
    cuts = [0]
    for a, b in zip(spoken_at, spoken_at[1:]):
        cuts.append(max(cuts[-1], min(len(pcm), (spans[a][1] + spans[b][0]) // 2)))
    cuts.append(len(pcm))
    for index, start, end in zip(spoken_at, cuts, cuts[1:]):
        if end > start:
            utterance = recording.utterances[index]
            yield utterance, AudioChunk(utterance.id, pcm[start:end], PROGRAM_RATE, start,
                                        visemes=_inside(timing.visemes, start, end),
                                        words=_inside(words[index], start, end))


@lru_cache(maxsize=4)
def _aligned(path: Path, stamp: tuple[int, int] | None, text: str,
             language: str) -> tuple[np.ndarray, AudioTiming]:
    """The file at the program rate and the text aligned to it, once per file version: a live
    show plays its recordings every pass, and render and live play them alike."""
    pcm = read_recording(path, sample_rate=PROGRAM_RATE)
    pcm.setflags(write=False)
    return pcm, audio_timing(text, pcm, PROGRAM_RATE, language=language)


def _stamp(path: Path) -> tuple[int, int] | None:
    """The file's version: an edited recording is read again."""
    try:
        st = path.stat()
    except OSError:
        return None          # read_recording says what is wrong with it
    return st.st_mtime_ns, st.st_size


def _inside(timed: Iterable[T], start: int, end: int) -> tuple[T, ...]:
    """The visemes or words over samples [start, end), clipped and counted from `start`."""
    return tuple(replace(t, start=max(t.start, start) - start, end=min(t.end, end) - start)
                 for t in timed if t.end > start and t.start < end)
