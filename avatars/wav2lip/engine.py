"""One batching engine per lip-sync model, shared by every animator (channel) that uses it.

Animators submit one request per speaking frame and get a Future; a worker thread collects the
requests of all channels into batches of up to `batch` frames (waiting at most `gather_ms` for
a batch to fill), runs the generator once per batch off every caller's thread and event loop,
and hands each channel its own frames back. When the device runs out of memory the batch size
halves and the same requests are run again; at batch size 1 the requests fail.

No torch here: the generator is any callable `(faces, mels) -> faces` on numpy arrays (see
avatars.wav2lip.model.Wav2LipRunner), which raises GeneratorOutOfMemory when the device is full.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from anchor.errors import AvatarError

log = logging.getLogger(__name__)

Generator = Callable[[np.ndarray, np.ndarray], np.ndarray]


class GeneratorOutOfMemory(RuntimeError):
    """The generator's device could not hold this batch."""


@dataclass(frozen=True, slots=True, eq=False)
class LipSyncRequest:
    face: np.ndarray      # (96, 96, 6) uint8 RGB: masked target, then reference
    mel: np.ndarray       # (80, 16) float32
    channel: str


@dataclass(slots=True)
class EngineStats:
    """What the engine has done so far (read for tests and benchmarks)."""
    batches: int = 0
    frames: int = 0
    halvings: int = 0
    batch_channels: deque = field(default_factory=lambda: deque(maxlen=256))  # per batch: channels


class LipSyncEngine:
    def __init__(self, generator: Generator, *, batch: int = 8, gather_ms: float = 4.0,
                 name: str = "lipsync", warn: Callable[[str], None] = log.warning):
        if batch < 1:
            raise AvatarError(f"lipsync batch: {batch} must be at least 1")
        self.generator, self.batch, self.gather_s = generator, int(batch), gather_ms / 1000.0
        self.name, self.warn = name, warn
        self.stats = EngineStats()
        self._queue: deque[tuple[LipSyncRequest, Future]] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None

    # ---- callers ----------------------------------------------------------------------------
    def submit(self, face: np.ndarray, mel: np.ndarray, *, channel: str = "") -> Future:
        """Queue one frame; the Future gives its (96, 96, 3) uint8 RGB face."""
        future: Future = Future()
        with self._ready:
            if self._closed:
                raise AvatarError(f"{self.name}: the lip-sync engine is closed")
            self._queue.append((LipSyncRequest(face, mel, channel), future))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._worker.start()
            self._ready.notify()
        return future

    async def infer(self, face: np.ndarray, mel: np.ndarray, *, channel: str = "") -> np.ndarray:
        """The same from a coroutine: the model runs on the engine's thread, not the loop."""
        return await asyncio.wrap_future(self.submit(face, mel, channel=channel))

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        if self._worker is not None:
            self._worker.join()

    # ---- the worker -------------------------------------------------------------------------
    def _take(self) -> list[tuple[LipSyncRequest, Future]] | None:
        with self._ready:
            while not self._queue and not self._closed:
                self._ready.wait()
            if not self._queue:
                return None
            deadline = time.monotonic() + self.gather_s
            while len(self._queue) < self.batch and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._ready.wait(left)
            n = min(self.batch, len(self._queue))
            return [self._queue.popleft() for _ in range(n)]

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            taken = [(r, f) for r, f in taken if f.set_running_or_notify_cancel()]
            start = 0
            while start < len(taken):
                part = taken[start:start + self.batch]
                try:
                    faces = self._infer([r for r, _ in part])
                except GeneratorOutOfMemory as e:
                    if self.batch > 1:
                        self.batch = max(1, self.batch // 2)
                        self.stats.halvings += 1
                        self.warn(f"{self.name}: {e}; batch size now {self.batch}")
                        continue
                    self._fail(part, AvatarError(f"{self.name}: out of memory even at batch 1"))
                except Exception as e:       # a broken model must not hang its callers
                    self._fail(part, e)
                else:
                    for (_, future), face in zip(part, faces):
                        future.set_result(face)
                start += len(part)

    def _infer(self, requests: list[LipSyncRequest]) -> np.ndarray:
        faces = np.stack([r.face for r in requests])
        mels = np.stack([r.mel for r in requests]).astype(np.float32, copy=False)
        out = self.generator(faces, mels)
        self.stats.batches += 1
        self.stats.frames += len(requests)
        self.stats.batch_channels.append(tuple(r.channel for r in requests))
        return out

    @staticmethod
    def _fail(part, error: BaseException) -> None:
        for _, future in part:
            future.set_exception(error)
