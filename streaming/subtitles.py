"""The subtitle file sink: Captions to SRT or WebVTT (UTF-8), laid out by streaming.cues.

Cues are written as the program goes, one caption behind: a caption's end is only final
once the next caption's start is known (a caption that runs into the next one is cut where
the next begins, so cues never overlap); a caption sent again with the same text and start
revises the held one's end (a line streamed in pieces is one cue). Like every file sink it writes a hidden part file
and renames it onto `path` in close().
"""
from __future__ import annotations

from pathlib import Path

from anchor.errors import OutputError
from anchor.media import AudioBlock, Caption, VideoFrame

from .cues import VTT_HEADER, Cue, layout, srt_cue, vtt_cue
from .partfile import PartFile, output_error

FORMATS = ("srt", "vtt")


class SubtitleSink:
    """Writes the Captions of the program to `path`; video and audio are ignored."""

    def __init__(self, path: str | Path, *, fmt: str = "srt"):
        self.path = Path(path)
        if fmt not in FORMATS:
            raise OutputError(f"{self.path}: subtitle format must be srt or vtt, not {fmt!r}")
        self.fmt = fmt
        self._held: tuple[str, int, int] | None = None   # text, start ms, end ms
        self._last_start = -1
        self._count = 0
        self._part: PartFile | None = PartFile(self.path)
        if fmt == "vtt":
            self._emit(VTT_HEADER)

    def write(self, item: VideoFrame | AudioBlock | Caption) -> None:
        if not isinstance(item, Caption):
            return
        if self._part is None:
            raise OutputError(f"cannot write {self.path}: the sink is already closed")
        start = item.start * 1000 // item.sample_rate
        end = item.end * 1000 // item.sample_rate
        if self._held is not None and (item.text, start) == self._held[:2]:
            self._held = (item.text, start, max(end, self._held[2]))   # the line goes on
            return
        if start < self._last_start:
            self.abort()
            raise OutputError(f"{self.path}: caption {item.text[:30]!r} starts at {start} ms, "
                              f"before the caption before it ({self._last_start} ms)")
        self._last_start = start
        if self._held is not None:
            text, held_start, held_end = self._held
            self._cues(layout(text, held_start, min(held_end, start)))
        self._held = (item.text, start, end)

    def close(self) -> None:
        if self._part is None:
            return
        if self._held is not None:
            self._cues(layout(*self._held))
            self._held = None
        part, self._part = self._part, None
        part.publish()

    def abort(self) -> None:
        part, self._part = self._part, None
        if part is not None:
            part.discard()

    def _cues(self, cues: list[Cue]) -> None:
        for cue in cues:
            self._count += 1
            self._emit(srt_cue(self._count, cue) if self.fmt == "srt" else vtt_cue(cue))

    def _emit(self, text: str) -> None:
        assert self._part is not None and self._part.file is not None
        try:
            self._part.file.write(text.encode("utf-8"))
        except Exception as exc:
            self.abort()
            raise output_error(self.path, exc) from exc
