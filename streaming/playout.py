"""Playout: the pacer on a thread and an event loop of its own, so the program keeps time
whatever the loop that serves the viewers is doing.

On one event loop, a hundred viewers' sends (DTLS, SRTP, a keyframe's eighty RTP packets each)
delay the pacer's 20 ms ticks: the render thread then waits on a pacer that is not draining it,
the audio runs dry and the sound stalls for everyone. Here the pacer, and the encoder it feeds
(a PacedOutput whose calls only queue work for the encoder's own worker), run on the playout
thread, against the injected Clock. The encoded packets reach the serving loop through the
broadcast's bounded hand-over (streaming.broadcast); past capacity it is the viewers' video that
thins out there, never the program's timeline.

    render thread --offer--> Pacer [playout thread: its loop, the Clock] --> PacedOutput
                                                  (LiveEncoder: worker thread) --send--> Broadcast
                                                                  --> serving loop: viewers, pushes
"""
from __future__ import annotations

import asyncio
import logging
import threading

from anchor.errors import OutputError

from .pacer import PacedOutput, Pacer

log = logging.getLogger(__name__)


class Playout:
    """Runs `pacer.run(output)` on a thread of its own until `stop()`. The output's methods
    are called on that thread."""

    def __init__(self, pacer: Pacer, output: PacedOutput, *, name: str = "playout"):
        self.pacer, self.output, self.name = pacer, output, name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self.error: BaseException | None = None      # what ended the pacer, if it failed

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread; returns once its loop runs (so stop() can reach it)."""
        if self._thread is not None:
            raise OutputError(f"{self.name}: already started")
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()
        self._started.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the pacer and wait for the thread (blocking: from a loop, run it in a thread)."""
        if self._thread is None:
            return
        loop = self._loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self.pacer.stop)
            except RuntimeError:
                pass                              # the loop has already ended
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("%s: the pacer did not stop within %g s", self.name, timeout)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.call_soon(self._started.set)
            loop.run_until_complete(self.pacer.run(self.output))
        except BaseException as exc:             # noqa: BLE001 - kept for the channel's health
            self.error = exc
            log.exception("%s: the pacer failed", self.name)
        finally:
            self._started.set()
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
