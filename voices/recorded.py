"""Recorded speech: an audio file played instead of a synthesized voice, its mouth timing found
by aligning the text to it (`voices.align`).

`read_recording` decodes any file PyAV can read (WAV, MP3, AAC, Opus, FLAC, a video's sound…)
to mono int16 at the wanted rate; `RecordedVoice` is a `Voice` that speaks one such file for an
utterance, whatever the utterance's text, with phonemes, visemes and words from the alignment.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import av
import numpy as np

from anchor.errors import VoiceError
from anchor.media import PROGRAM_RATE, AudioChunk, Utterance
from voices.align import audio_timing
from voices.base import VoiceInfo


def read_recording(path: str | Path, *, sample_rate: int = PROGRAM_RATE) -> np.ndarray:
    """The audio of `path` as mono int16 at `sample_rate` (channels mixed down); VoiceError,
    naming the file, if it cannot be read, has no audio stream or holds no samples."""
    path = Path(path)
    if not path.is_file():
        raise VoiceError(f"{path}: audio file not found")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise VoiceError(f"{path}: the file has no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            blocks = []
            for frame in container.decode(stream):
                frame.pts = None      # let the resampler count samples; gaps are not ours to fix
                blocks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            blocks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    except VoiceError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise VoiceError(f"{path}: cannot decode audio ({reason})") from None
    pcm = np.concatenate(blocks).astype(np.int16, copy=False) if blocks else np.zeros(0, np.int16)
    if len(pcm) == 0:
        raise VoiceError(f"{path}: the audio stream holds no samples")
    return pcm


class RecordedVoice:
    """A `Voice` that plays the recording at `path` for any utterance (at `sample_rate`), with
    the utterance's text aligned to it for mouth timing."""

    def __init__(self, path: str | Path, *, language: str, sample_rate: int = PROGRAM_RATE):
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.info = VoiceInfo(name=f"recording:{self.path.name}", language=language,
                              backend="recording")
        self._pcm: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"RecordedVoice({str(self.path)!r})"

    @property
    def pcm(self) -> np.ndarray:
        if self._pcm is None:
            self._pcm = read_recording(self.path, sample_rate=self.sample_rate)
        return self._pcm

    def synthesize(self, utterance: Utterance) -> Iterator[AudioChunk]:
        pcm = self.pcm
        timing = audio_timing(utterance.text, pcm, self.sample_rate,
                              language=utterance.language or self.info.language)
        yield AudioChunk(utterance.id, pcm, self.sample_rate, 0, timing.phonemes, timing.visemes,
                         timing.words)
