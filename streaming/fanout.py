"""Tee: one program, several sinks (an MP4 file and its subtitles, a file and a live stream).

All or nothing: when one sink fails, the others are aborted and the error is raised, so no
half-written output is left anywhere.
"""
from __future__ import annotations

from anchor.errors import OutputError
from anchor.media import AudioBlock, Caption, VideoFrame

from .base import Sink


class Tee:
    def __init__(self, *sinks: Sink):
        if not sinks:
            raise OutputError("Tee needs at least one sink")
        self.sinks = sinks
        self._open = True

    def write(self, item: VideoFrame | AudioBlock | Caption) -> None:
        for sink in self.sinks:
            try:
                sink.write(item)
            except BaseException:
                self._abort_all()
                raise

    def close(self) -> None:
        """Close every sink in order; if one fails, abort the rest (those already closed
        have published their files and stay)."""
        if not self._open:
            return
        for index, sink in enumerate(self.sinks):
            try:
                sink.close()
            except BaseException:
                self._abort_all(start=index)
                raise
        self._open = False

    def abort(self) -> None:
        self._abort_all()

    def _abort_all(self, start: int = 0) -> None:
        """Abort every sink from `start` on (the failed one too: abort is safe to repeat)."""
        self._open = False
        for sink in self.sinks[start:]:
            try:
                sink.abort()
            except Exception:
                pass  # keep aborting the others; the first error is the one to report
