"""Real-time pacing of program media: audio is the master, video follows it.

The render thread hands program items (AudioBlock, VideoFrame, Caption) to `Pacer.put`; `Pacer.run`
emits them at wall time (an injected Clock) to a `PacedOutput` - audio in 20 ms blocks and one
video frame per 1/fps tick. Output timestamps are the pacer's own continuous counters (audio
samples emitted, video ticks emitted), so the output timeline never jumps:

* Input audio is appended to the output timeline in arrival order and is never dropped or padded.
  Program positions map to output positions by one offset, fixed when audio arrives: a small
  forward gap in the input is filled with silence, a jump back (a new program timeline) or a
  large jump re-anchors the input at the end of the audio already buffered.
* A video tick happens when the audio playhead reaches it. It shows the newest frame due by then;
  a frame whose tick passed less than one frame ago is still shown (one frame of grace), an older
  one is dropped; with no new frame, the last frame is shown again (`repeated=True`).
* When the audio runs dry (the render stalled), audio and video pause together and resume when
  audio arrives: a stall. Wall time shifts, the output timeline does not.
* `put` awaits (backpressure) while the item starts more than `buffer_ms` ahead of the playhead.

Two ways in. On the pacer's event loop, `await put(item)`. From another thread (the live render
thread), `offer(item)`: the item goes into a small inbox that `run` drains on the loop, and the
caller blocks only while more than `buffer_ms` of audio waits. `offer_flush()` is the thread-side
`flush()`, ordered with the items offered around it. All other state lives on the thread of the
loop that runs `run` (live: a thread of its own, see streaming.playout, so that the loop busy
sending packets to many viewers cannot hold the program's sound up). Other threads see only
immutable hand-overs: `stats` (a snapshot, renewed whenever a counter moves) and `is_late`
(reads the timeline position, one tuple).
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np

from anchor.clock import Clock
from anchor.errors import OutputError
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, VideoFrame, program_pcm

BLOCK = PROGRAM_RATE // 50          # 20 ms of audio: the unit the pacer emits
MAX_GAP_FILL = PROGRAM_RATE         # input gaps up to 1 s become silence; larger ones re-anchor
LATE_RESYNC_S = 0.25                # woken this late (the loop was blocked): resync, do not burst


class PacedOutput(Protocol):
    """Receives paced media on the event loop thread; each call must return at once."""

    def video(self, frame: VideoFrame, repeated: bool) -> None: ...

    def audio(self, block: AudioBlock) -> None: ...

    def caption(self, c: Caption) -> None: ...


@dataclass(frozen=True, slots=True)
class PacerStats:
    frames_out: int          # video ticks emitted (new and repeated frames)
    frames_dropped: int      # frames that came too late for their tick, or were superseded
    frames_repeated: int     # ticks that showed the previous frame again
    stalls: int              # times the output paused because the audio ran dry
    buffered_ms: float       # how far the input has got ahead of the playhead
    av_offset_ms: float      # program time of the frame on screen minus audio time, at the output
    audio_ms_out: float = 0.0        # audio emitted so far
    audio_buffered_ms: float = 0.0   # audio waiting in the pacer
    resyncs: int = 0                 # times the pacer woke > LATE_RESYNC_S late and re-based
    captions_out: int = 0


_FLUSH = object()                   # the inbox marker of offer_flush()


@dataclass(frozen=True, slots=True, eq=False)
class _Queued:
    index: int           # output tick this frame belongs to
    frame: VideoFrame


class Pacer:
    def __init__(self, *, fps: int, clock: Clock, buffer_ms: int = 500):
        if fps <= 0:
            raise OutputError(f"pacer: fps must be positive, not {fps}")
        if buffer_ms <= 0:
            raise OutputError(f"pacer: buffer_ms must be positive, not {buffer_ms}")
        self.fps, self.clock, self.buffer_ms = fps, clock, buffer_ms
        self._time_base = Fraction(1, fps)
        self._tick_samples = Fraction(PROGRAM_RATE, fps)
        # the audio waiting to be emitted: arrays, the first one partly consumed
        self._audio: deque[np.ndarray] = deque()
        self._audio_head = 0            # samples of _audio[0] already emitted
        self._audio_queued = 0          # samples waiting
        self._shift: int | None = None  # output sample = program sample + shift
        self._input_end: int | None = None    # program sample just after the last audio put
        self._video: deque[_Queued] = deque()
        self._captions: deque[Caption] = deque()   # already in output samples
        self._played = 0                # output samples emitted: the playhead
        self._tick = 0                  # next video tick
        self._last: VideoFrame | None = None
        self._last_index = 0            # output tick of the frame on screen
        self._lead = 0                  # output position of the latest item put
        self._stopped = False
        self._data = asyncio.Event()        # set by put: run may have something to emit
        self._progress = asyncio.Event()    # set by run: the playhead moved
        self._frames_out = self._dropped = self._repeated = 0
        self._stalls = self._resyncs = self._captions_out = 0
        self._av_offset = 0.0
        self._position = (0, 0)             # (shift, next tick), for is_late on other threads
        self._stats = self._snapshot()
        # the hand-over from another thread: items, the audio samples among them, and whether
        # the offering thread waits for room (all under _room's lock)
        self._room = threading.Condition()
        self._inbox: deque = deque()
        self._inbox_samples = 0
        self._offer_waiting = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.offer_blocked = asyncio.Event()   # set on run's loop while offer() waits for room

    # -- input (event loop thread) ------------------------------------------------------

    async def put(self, item: VideoFrame | AudioBlock | Caption) -> None:
        """Queue one program item; awaits while it starts more than buffer_ms ahead."""
        start = self._placed_start(item)
        limit = self.buffer_ms * PROGRAM_RATE // 1000
        while not self._stopped and start - self._played > limit:
            self._progress.clear()
            await self._progress.wait()
            start = self._placed_start(item)    # a re-anchor or a flush may have moved it
        if self._stopped:
            return
        self._place(item)
        self._lead = max(self._lead, start)
        self._publish()
        self._data.set()

    def offer(self, item: VideoFrame | AudioBlock | Caption) -> None:
        """Queue one program item from a thread other than the loop's (once `run` has started).
        Blocks while more than buffer_ms of audio is waiting; returns at once after stop()."""
        if not isinstance(item, (AudioBlock, VideoFrame, Caption)):
            raise OutputError(f"pacer: cannot pace a {type(item).__name__}")
        samples = len(item.pcm) if isinstance(item, AudioBlock) else 0
        limit = self.buffer_ms * PROGRAM_RATE // 1000
        with self._room:
            while samples and not self._stopped and self._waiting_samples() > limit:
                if not self._offer_waiting:
                    self._offer_waiting = True
                    self._call_soon(self._mark_blocked)
                self._room.wait(1.0)
            if self._stopped:
                return
            self._inbox.append(item)
            self._inbox_samples += samples
        self._call_soon(self._data.set)

    def offer_flush(self) -> None:
        """flush(), from another thread: media offered before it is forgotten, after it kept."""
        with self._room:
            self._inbox.clear()
            self._inbox_samples = 0
            self._inbox.append(_FLUSH)
        self._call_soon(self._data.set)

    def _waiting_samples(self) -> int:   # under _room
        return self._audio_queued + self._inbox_samples

    def _call_soon(self, callback) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback)

    def _drain_inbox(self) -> None:
        """Place what other threads offered (on the loop)."""
        with self._room:
            items, self._inbox = self._inbox, deque()
            self._inbox_samples = 0
        for item in items:
            if item is _FLUSH:
                self.flush()
                continue
            start = self._placed_start(item)
            self._place(item)
            self._lead = max(self._lead, start)
        if items:
            self._publish()
            self._make_room()

    def _mark_blocked(self) -> None:
        with self._room:
            if self._offer_waiting:
                self.offer_blocked.set()

    def _make_room(self) -> None:
        """Wake an offering thread once its item fits (on the loop, after the playhead moved)."""
        limit = self.buffer_ms * PROGRAM_RATE // 1000
        with self._room:
            if self._offer_waiting and (self._stopped or self._waiting_samples() <= limit):
                self._offer_waiting = False
                self.offer_blocked.clear()
                self._room.notify_all()

    def is_late(self, pts: int, time_base: Fraction) -> bool:
        """True when the tick of the program frame `pts` has already gone: a render that is
        behind should skip making this frame and catch up. Safe to call from the render thread."""
        shift, tick = self._position
        return int((pts * time_base * PROGRAM_RATE + shift) / self._tick_samples) < tick

    def _index_of(self, pts: int, time_base: Fraction) -> int:
        """The output tick of a program frame."""
        return int((pts * time_base * PROGRAM_RATE + (self._shift or 0)) / self._tick_samples)

    def _moved(self) -> None:
        """The timeline position changed (a tick, a re-anchor): hand it to other threads."""
        self._position = (self._shift or 0, self._tick)

    def flush(self) -> None:
        """Forget all media not yet emitted (an interruption); the next audio re-anchors."""
        self._audio.clear()
        self._audio_head = self._audio_queued = 0
        self._video.clear()
        self._captions.clear()
        self._input_end = None
        self._lead = self._played
        self._publish()
        self._progress.set()
        self._make_room()

    def _placed_start(self, item) -> int:
        """Like _start_of, but a caption that comes before any audio since the start or a
        flush (an utterance's caption precedes its audio) anchors the input there first:
        with the old anchor it could sit beyond the buffer limit while no audio is queued to
        move the playhead, and put would wait forever."""
        if isinstance(item, Caption) and self._input_end is None:
            program = item.start * PROGRAM_RATE // item.sample_rate
            self._shift = self._played + self._audio_queued - program
            self._input_end = program           # its audio follows on without a gap
            self._moved()
        return self._start_of(item)

    def _start_of(self, item) -> int:
        """The output sample where an item starts (an estimate for audio before it is placed)."""
        if isinstance(item, AudioBlock):
            return self._played + self._audio_queued
        shift = self._shift or 0
        if isinstance(item, VideoFrame):
            return int(item.pts * item.time_base * PROGRAM_RATE) + shift
        if isinstance(item, Caption):
            return item.start * PROGRAM_RATE // item.sample_rate + shift
        raise OutputError(f"pacer: cannot pace a {type(item).__name__}")

    def _place(self, item: VideoFrame | AudioBlock | Caption) -> None:
        if isinstance(item, AudioBlock):
            self._put_audio(item)
        elif isinstance(item, VideoFrame):
            self._put_video(item)
        elif isinstance(item, Caption):
            self._put_caption(item)
        else:
            raise OutputError(f"pacer: cannot pace a {type(item).__name__}")

    def _put_audio(self, block: AudioBlock) -> None:
        try:
            pcm = program_pcm(block)
        except ValueError as e:
            raise OutputError(f"pacer: {e}") from None
        end_out = self._played + self._audio_queued
        gap = None if self._input_end is None else block.pts - self._input_end
        if gap is not None and 0 < gap <= MAX_GAP_FILL:
            self._append_audio(np.zeros(gap, np.int16))
        elif gap != 0:
            self._shift = end_out - block.pts      # re-anchor: this block plays next
            self._moved()
        if len(pcm):
            self._append_audio(pcm)
        self._input_end = block.pts + len(pcm)

    def _append_audio(self, pcm: np.ndarray) -> None:
        self._audio.append(pcm)
        self._audio_queued += len(pcm)

    def _put_video(self, frame: VideoFrame) -> None:
        index = self._index_of(frame.pts, frame.time_base)
        if index < self._tick - 1:              # its tick passed more than a frame ago
            self._dropped += 1
            return
        while self._video and self._video[-1].index >= index:   # a newer timeline replaces it
            self._video.pop()
            self._dropped += 1
        self._video.append(_Queued(index, frame))

    def _put_caption(self, caption: Caption) -> None:
        shift = self._shift or 0
        scale = Fraction(PROGRAM_RATE, caption.sample_rate)
        start = int(caption.start * scale) + shift
        end = int(caption.end * scale) + shift
        if end <= self._played:
            return                               # over before it could be shown
        self._captions.append(Caption(caption.text, start, end, caption.language))

    # -- output ---------------------------------------------------------------------------

    async def run(self, out: PacedOutput) -> None:
        """Emit media at wall time until stop()."""
        base: float | None = None      # wall time of output sample 0
        self._loop = asyncio.get_running_loop()
        while not self._stopped:
            self._drain_inbox()
            tick_at = self._tick * self._tick_samples
            if tick_at < self._played:           # the audio under this tick is out: show it
                await self.clock.sleep_until(base + float(tick_at / PROGRAM_RATE))
                if not self._stopped:
                    self._emit_tick(out)
                continue
            if self._audio_queued < BLOCK or base is None:
                started = base is not None
                while self._audio_queued < BLOCK and not self._stopped:
                    self._data.clear()
                    await self._data.wait()
                    self._drain_inbox()
                if self._stopped:
                    break
                self._stalls += started
                self._publish()
                base = self.clock.now() - self._played / PROGRAM_RATE
            due = base + self._played / PROGRAM_RATE
            if self.clock.now() - due > LATE_RESYNC_S:
                self._resyncs += 1
                self._publish()
                base = self.clock.now() - self._played / PROGRAM_RATE
                due = self.clock.now()
            await self.clock.sleep_until(due)
            if not self._stopped and self._audio_queued >= BLOCK:   # a flush may have emptied it
                self._emit_audio(out)

    def stop(self) -> None:
        """Stop emitting (from the loop's thread); a blocked offer() returns."""
        self._stopped = True
        self._data.set()
        self._progress.set()
        with self._room:
            self._room.notify_all()

    def _emit_audio(self, out: PacedOutput) -> None:
        end = self._played + BLOCK
        while self._captions and self._captions[0].start < end:
            cue = self._captions.popleft()
            out.caption(cue)
            self._captions_out += 1
        pcm = self._take_audio(BLOCK)
        out.audio(AudioBlock(pcm, self._played))
        self._played = end
        self._publish()
        self._progress.set()
        self._make_room()

    def _take_audio(self, n: int) -> np.ndarray:
        parts, need = [], n
        while need:
            head = self._audio[0]
            piece = head[self._audio_head:self._audio_head + need]
            parts.append(piece)
            need -= len(piece)
            self._audio_head += len(piece)
            if self._audio_head == len(head):
                self._audio.popleft()
                self._audio_head = 0
        self._audio_queued -= n
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _emit_tick(self, out: PacedOutput) -> None:
        k = self._tick
        self._tick += 1
        self._moved()
        video = self._video
        while video and video[0].index < k - 1:     # late beyond the grace frame
            video.popleft()
            self._dropped += 1
        shown = None
        while video and video[0].index <= k:
            if shown is not None:
                self._dropped += 1                   # superseded by a newer due frame
            shown = video.popleft()
        if shown is not None:
            self._last, self._last_index = shown.frame, shown.index
            repeated = False
        elif self._last is not None:
            repeated = True
            self._repeated += 1
        else:
            self._publish()                          # nothing to show yet (drops counted)
            return
        self._frames_out += 1
        self._av_offset = (self._last_index - k) * 1000 / self.fps
        self._publish()
        out.video(VideoFrame(self._last.image, k, self._time_base), repeated)

    @property
    def stats(self) -> PacerStats:
        """The latest snapshot: safe to read on any thread."""
        return self._stats

    def _publish(self) -> None:
        self._stats = self._snapshot()

    def _snapshot(self) -> PacerStats:
        return PacerStats(
            frames_out=self._frames_out, frames_dropped=self._dropped,
            frames_repeated=self._repeated, stalls=self._stalls,
            buffered_ms=max(0, self._lead - self._played) * 1000 / PROGRAM_RATE,
            av_offset_ms=self._av_offset,
            audio_ms_out=self._played * 1000 / PROGRAM_RATE,
            audio_buffered_ms=self._audio_queued * 1000 / PROGRAM_RATE,
            resyncs=self._resyncs, captions_out=self._captions_out)
