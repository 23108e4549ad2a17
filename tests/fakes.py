"""Fakes of our own interfaces, for pipeline tests only: every other test uses the real parts."""
from __future__ import annotations

import asyncio

import numpy as np

from anchor.clock import VirtualClock
from anchor.media import (PROGRAM_RATE, AudioChunk, FaceDrive, Layer, PresenterFrame, Utterance,
                          Viseme, Word)
from voices.base import VoiceInfo

WORD_MS, GAP_MS = 200, 250


class FakeVoice:
    """Each word is a 200 ms tone with an "aa" viseme, followed by 250 ms of silence."""

    def __init__(self, name: str = "fake", language: str = "en"):
        self.info = VoiceInfo(name, language, "fake")
        self.sample_rate = PROGRAM_RATE

    def synthesize(self, utterance: Utterance):
        word, gap = WORD_MS * PROGRAM_RATE // 1000, GAP_MS * PROGRAM_RATE // 1000
        pieces, visemes, at = [], [], 0
        for _ in utterance.text.split():
            t = np.arange(word) / PROGRAM_RATE
            pieces += [(8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16), np.zeros(gap, np.int16)]
            visemes.append(Viseme("aa", at, at + word))
            at += word + gap
        if pieces:
            yield AudioChunk(utterance.id, np.concatenate(pieces), PROGRAM_RATE, visemes=tuple(visemes))


class StreamingVoice(FakeVoice):
    """Like FakeVoice, but one chunk per word, each with its word timing, made only when it is
    asked for; `log` gets ("chunk", utterance id, k) as chunk k (1, 2, ...) is asked for."""

    def __init__(self, log: list, name: str = "fake", language: str = "en"):
        super().__init__(name, language)
        self.log = log

    def synthesize(self, utterance: Utterance):
        word, gap = WORD_MS * PROGRAM_RATE // 1000, GAP_MS * PROGRAM_RATE // 1000
        t = np.arange(word) / PROGRAM_RATE
        tone = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
        for k, text in enumerate(utterance.text.split(), 1):
            self.log.append(("chunk", utterance.id, k))
            yield AudioChunk(utterance.id, np.concatenate([tone, np.zeros(gap, np.int16)]),
                             PROGRAM_RATE, (k - 1) * (word + gap),
                             visemes=(Viseme("aa", 0, word),), words=(Word(text, 0, word),))


class FakeAnimator:
    """The patch's single pixel carries the mouth opening (0..255); drives are recorded."""

    width, height = 4, 4

    def __init__(self):
        self.base = Layer(np.zeros((4, 4, 4), np.uint8))
        self.drives: list[FaceDrive] = []

    def frames(self, drives):
        for drive in drives:
            self.drives.append(drive)
            patch = np.full((1, 1, 4), round(255 * drive.mouth.open), np.uint8)
            yield PresenterFrame(self.base, Layer(patch))


class FakeStudio:
    """A 1x1 'picture' whose value is the patch pixel; states are recorded."""

    def __init__(self):
        self.states = []

    def compose(self, frame: PresenterFrame, state):
        self.states.append(state)
        return frame.patch.image[:, :, :3].copy()


class BackoffClock(VirtualClock):
    """A virtual clock that notes every delay slept on it (time moves at once): what a
    reconnecting push waited, without waiting."""

    def __init__(self):
        super().__init__()
        self.delays: list[float] = []

    async def sleep_until(self, t: float) -> None:
        self.delays.append(round(t - self.now(), 6))
        await super().sleep_until(t)


async def until(condition, timeout: float, step: float = 0.05) -> None:
    """Wait for `condition()` to hold (a state of a real peer we cannot be told about by an
    event), giving up after `timeout` seconds: a bound on patience, never a timing assertion."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(step)
