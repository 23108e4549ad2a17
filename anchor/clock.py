"""The one clock. Stages never read wall time; only a live pacer sleeps against a Clock."""
from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...
    async def sleep_until(self, t: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep_until(self, t: float) -> None:
        delay = t - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class VirtualClock:
    """Time moves only when someone sleeps: tests and faster-than-real-time runs."""

    def __init__(self, start: float = 0.0):
        self._t = start

    def now(self) -> float:
        return self._t

    async def sleep_until(self, t: float) -> None:
        self._t = max(self._t, t)
        await asyncio.sleep(0)
