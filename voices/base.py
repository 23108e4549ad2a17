"""The Voice interface: text in, speech with timings out."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from anchor.media import AudioChunk, Utterance


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    name: str          # preset name used in show files
    language: str      # "en" | "zh"
    backend: str       # "espeak-ng", later "coqui"
    description: str = ""


class Voice(Protocol):
    info: VoiceInfo
    sample_rate: int   # of the chunks it yields

    def synthesize(self, utterance: Utterance) -> Iterator[AudioChunk]:
        """Speech for one utterance, in order; phoneme, viseme and word offsets in samples
        of `sample_rate` within each chunk."""
        ...
