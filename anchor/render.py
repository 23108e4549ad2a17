"""`anchor render`: a show performed once into an MP4 with SRT and WebVTT subtitles beside it."""
from __future__ import annotations

import logging
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import anchor
from anchor.errors import AvatarError, OutputError
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, Pause, Utterance, VideoFrame
from anchor.program import (LEAD_IN_MS, TAIL_MS, Format, Recording, check_avatar, production,
                            script, voice_names)
from anchor.show import Show
from streaming import AIGCLabel, Mp4Sink, SubtitleSink, Tee


@dataclass(frozen=True, slots=True)
class RenderReport:
    outputs: tuple[Path, ...]
    frames: int
    seconds: float        # of program
    wall: float           # seconds it took

    @property
    def speed(self) -> float:
        return self.seconds / self.wall if self.wall else float("inf")


# Speaking speed of the embedded voices, in characters of spoken text per second (measured on
# the demo shows: en 16.5, zh 3.6). Good enough for a progress bar, which is all it is for.
SPOKEN_CHARS_PER_S = {"en": 16.5, "zh": 3.6}


def estimate_seconds(show: Show) -> float:
    """About how long one pass of the show runs: the rewriter's text at the voices' pace."""
    total = (LEAD_IN_MS + TAIL_MS) / 1000
    for item, _ in script(show, warn=lambda message: None):
        match item:
            case Pause(ms=ms):
                total += ms / 1000
            case Utterance(text=text, language=language):
                total += len(text) / SPOKEN_CHARS_PER_S.get(language, 10.0)
            case Recording(utterances=utterances):
                total += sum(len(u.text) for u in utterances) / SPOKEN_CHARS_PER_S.get(
                    item.language, 10.0)
    return total


def subtitle_paths(output: Path) -> tuple[Path, Path]:
    return output.with_suffix(".srt"), output.with_suffix(".vtt")


def render(show: Show, output: Path, fmt: Format, *, avatar: str | None = None,
           limit_s: float | None = None, passes: int | None = 1, preset: str = "veryfast",
           warn: Callable[[str], None] = logging.getLogger(__name__).warning,
           progress: Callable[[float, int], None] | None = None) -> RenderReport:
    """Render `show` to `output`. Everything is checked before the first byte is written; on any
    failure no output (video or subtitles) is left behind."""
    if not output.parent.is_dir():
        raise OutputError(f"{output}: directory {output.parent} does not exist")
    voice_names(show)
    try:
        check_avatar(avatar or show.avatar)
    except AvatarError as e:
        where = "--avatar" if avatar else f"{show.path}: avatar"
        raise AvatarError(f"{where}: {e}") from None
    warnings = HeldWarnings(warn)
    program, speech = production(show, fmt, avatar=avatar, limit_s=limit_s, passes=passes,
                                 warn=warnings)
    label = AIGCLabel(producer=f"Anchor {anchor.__version__}", produce_id=uuid.uuid4().hex)
    srt, vtt = subtitle_paths(output)
    before = {path: _identity(path) for path in (output, srt, vtt)}
    sink = Tee(Mp4Sink(output, width=fmt.width, height=fmt.height, fps=fmt.fps, label=label,
                       preset=preset, title=show.title),
               SubtitleSink(srt, fmt="srt"), SubtitleSink(vtt, fmt="vtt"))
    started, frames, samples = time.perf_counter(), 0, 0
    try:
        for item in program.items(speech):
            sink.write(item)
            if isinstance(item, VideoFrame):
                frames += 1
            elif isinstance(item, AudioBlock):
                samples = item.pts + len(item.pcm)
                if progress:
                    progress(samples / PROGRAM_RATE, frames)
            elif isinstance(item, Caption):
                warnings.release()
        sink.close()
        warnings.release()
    except BaseException:
        sink.abort()
        # A sink that failed while closing leaves the ones closed before it published
        # (e.g. the disk filled up on the subtitles after the MP4): remove what this render wrote.
        for path, identity in before.items():
            if _identity(path) != identity:
                path.unlink(missing_ok=True)
        raise
    return RenderReport((output, srt, vtt), frames, samples / PROGRAM_RATE,
                        time.perf_counter() - started)


class HeldWarnings:
    """Warnings held back until the show has said something (its first caption), then passed
    on as they come. A show with nothing to say at all fails with one error line instead of
    a warning for every segment before it."""

    def __init__(self, warn: Callable[[str], None]):
        self.warn = warn
        self.held: list[str] | None = []

    def __call__(self, message: str) -> None:
        if self.held is None:
            self.warn(message)
        else:
            self.held.append(message)

    def release(self) -> None:
        held, self.held = self.held, None
        for message in held or ():
            self.warn(message)


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


class ProgressLine:
    """A one-line progress display on stderr: program time rendered and speed."""

    def __init__(self, total_s: float | None, stream=None):
        self.total, self.stream = total_s, stream or sys.stderr   # sys.stderr now, not at import
        self.started = time.perf_counter()
        self.live = self.stream.isatty()

    def __call__(self, seconds: float, frames: int) -> None:
        if not self.live:
            return
        wall = time.perf_counter() - self.started
        speed = seconds / wall if wall > 0 else 0.0
        if self.total:
            done = min(0.99, seconds / self.total)      # the total is an estimate
            bar = "#" * round(30 * done) + "-" * (30 - round(30 * done))
            head = f"[{bar}] {100 * done:3.0f}%"
        else:
            head = "rendering"
        self.stream.write(f"\r{head}  {clock(seconds)}  {frames} frames  {speed:4.1f}x real time ")
        self.stream.flush()

    def done(self) -> None:
        if self.live:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()


def clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
