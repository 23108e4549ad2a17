"""A live channel: the show performed around the clock, paced in real time against one clock,
encoded once per codec and broadcast to every viewer and push target.

    Scheduler --Turn--> render thread (Speaker, Program) --items--> Pacer --paced media--> LiveEncoder
      --packets--> Broadcast --> WebRTC viewers (WHEP), RTMP pushes, WHIP pushes

Three clocks of work, three threads. Rendering runs on its own thread; the pacer and the
encoders on the playout thread (streaming.playout), against the injected clock; the viewers,
pushes, pages and HTTP on the event loop that `start()` is awaited on. Data flows down between
them through bounded hand-overs (the pacer's inbox, the broadcast's), so viewers past the
machine's capacity thin out their own video but cannot hold up the program's sound. Nothing a
viewer, a comment, a show edit or a push target does can stop the render loop: faults are
logged, counted and survived. `stats()` is one frozen snapshot of every part, for the metrics.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
import uuid
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import AsyncIterator, Mapping

from anchor.answers import comment_answerer
from anchor.clock import Clock, SystemClock
from anchor.errors import AnchorError
from anchor.live.metrics import ChannelStats, PushState, exposition
from anchor.live.scheduler import Scheduler
from anchor.live.speaking import live_speech
from anchor.logs import WarnOnce
from anchor.media import AudioBlock, Caption, VideoFrame
from anchor.moderation import CommentGate, Verdict
from anchor.program import (Format, LineObserver, Program, Speaker, check_avatar, program_format,
                            show_voices, stage, voice_names)
from anchor.show import Show, demo_show_path, load_show
from streaming.broadcast import Broadcast
from streaming.encoders import LiveEncoder
from streaming.pacer import Pacer
from streaming.playout import Playout
from streaming.rtmp import RtmpPush
from streaming.webrtc import WebRTCViewers
from streaming.whip import WhipPush

log = logging.getLogger(__name__)
EVENT_QUEUE = 256          # events buffered per page connection before the oldest are dropped


class Channel:
    def __init__(self, show_path: Path | None = None, *, fmt: Format | None = None,
                 clock: Clock | None = None, ice_hosts: list[str] | None = None,
                 push: list[str] | tuple[str, ...] = (), avatar: str | None = None,
                 buffer_ms: int = 120, observers: tuple[LineObserver, ...] = ()):
        self.show_path = Path(show_path) if show_path else demo_show_path("demo-shop")
        show = self._validated(load_show(self.show_path), avatar)
        self._show_mtime = self.show_path.stat().st_mtime_ns
        self.fmt = fmt or program_format(show)
        self.clock = clock or SystemClock()
        self.broadcast = Broadcast()
        self.viewers = WebRTCViewers(self.broadcast, ice_hosts=ice_hosts)
        self.pages = PageEvents()
        self.gate = CommentGate(clock=self.clock)
        # the scheduler decides what is said and holds the show on air; the speaker says it in
        # the voices of the show being read (a reload may define new ones)
        self.scheduler = Scheduler(show, voices=show_voices,
                                   answerer=comment_answerer(show, clock=self.clock),
                                   clock=self.clock, warn=log.warning)
        self.speaker = Speaker(voice_for=self.scheduler.voice_for, faults=WarnOnce(log.warning))
        animator, studio = stage(show, self.fmt, avatar=avatar)
        self.pacer = Pacer(fps=self.fmt.fps, clock=self.clock, buffer_ms=buffer_ms)
        frame_time = Fraction(1, self.fmt.fps)
        self.program = Program(animator=animator, studio=studio, fps=self.fmt.fps,
                               generation=lambda: self.scheduler.generation,
                               late=lambda pts: self.pacer.is_late(pts, frame_time),
                               observers=observers)
        self.encoder = LiveEncoder(self.broadcast, width=self.fmt.width, height=self.fmt.height,
                                   fps=self.fmt.fps)
        self.playout = Playout(self.pacer, _ProgramOut(self.encoder, self.pages))
        self._initial_push = list(push)
        self._targets: dict[str, RtmpPush | WhipPush] = {}
        self._stopping = threading.Event()
        self._tasks: list[asyncio.Task] = []
        self._render_thread: threading.Thread | None = None
        # written by the render thread (frames, render time, render and reload errors) and the
        # event loop (comments); read by the metrics: see Tally
        self.counts = Tally(comments_answered=0, comments_refused=0, render_errors=0,
                            reload_errors=0, frames_rendered=0, render_seconds=0.0)

    @property
    def render_seconds(self) -> float:
        """Time spent rendering frames, by time.perf_counter: a measurement of cost, not a
        clock anything runs on (kept in the tally, beside the frame count)."""
        return self.counts["render_seconds"]

    @render_seconds.setter
    def render_seconds(self, value: float) -> None:
        self.counts["render_seconds"] = value

    @property
    def show(self) -> Show:
        """The show on air (the scheduler's)."""
        return self.scheduler.show

    @staticmethod
    def _validated(show: Show, avatar: str | None) -> Show:
        voice_names(show)
        check_avatar(avatar or show.avatar)
        return show

    # -- running ----------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.pages.serve_on(self._loop)
        self.playout.start()
        self._tasks.append(asyncio.create_task(self._announce_viewers(), name="viewer-count"))
        self._render_thread = threading.Thread(target=self._render, name="anchor-render", daemon=True)
        self._render_thread.start()
        for url in self._initial_push:
            await self.add_push(url)
        log.info("channel on air", extra={"show": str(self.show_path), "format": str(self.fmt)})

    async def stop(self) -> None:
        self._stopping.set()
        await asyncio.to_thread(self.playout.stop)     # a render thread waiting in offer() returns
        for target in list(self._targets.values()):
            await target.stop()
        self._targets.clear()
        await self.viewers.close_all()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._render_thread:
            await asyncio.to_thread(self._render_thread.join, 5)
        self.encoder.close()

    def _render(self) -> None:
        """The render thread: program items, paced by the pacer's backpressure."""
        while not self._stopping.is_set():
            try:
                self._render_items()
            except Exception:
                if self._stopping.is_set() or self._loop.is_closed():
                    return
                self.counts["render_errors"] += 1
                log.exception("render loop failed; starting again with the next utterance")

    def _render_items(self) -> None:
        started = time.perf_counter()
        speech = live_speech(self.scheduler, self.speaker, flush=self.pacer.offer_flush,
                             before_turn=self._reload_if_edited)
        shown = None                    # the start of the caption the pages were last given
        for item in self.program.items(speech):
            if isinstance(item, VideoFrame):
                self.counts["frames_rendered"] += 1
                self.render_seconds += time.perf_counter() - started
            elif isinstance(item, Caption):
                if item.start == shown:     # a streamed line's end moved on: already shown
                    continue
                shown = item.start
            if self._stopping.is_set():
                return
            self.pacer.offer(item)
            started = time.perf_counter()

    # -- control ----------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the show file again; an invalid file raises AnchorError and the old show stays."""
        show = self._validated(load_show(self.show_path), None)
        if show.layout != self.show.layout or show.avatar != self.show.avatar:
            log.warning("layout and avatar changes take effect when the channel restarts")
        self.scheduler.reload(show, answerer=comment_answerer(show, clock=self.clock))
        self._emit({"type": "show", "title": show.title})
        log.info("show reloaded", extra={"show": str(self.show_path)})

    def _reload_if_edited(self) -> None:
        try:
            mtime = self.show_path.stat().st_mtime_ns
        except OSError:
            return
        if mtime == self._show_mtime:
            return
        self._show_mtime = mtime
        try:
            self.reload()
        except AnchorError as e:
            self.counts["reload_errors"] += 1
            log.warning("show edit refused, the old show stays on air: %s", e)

    def comment(self, viewer: str, text: str) -> Verdict:
        verdict = self.gate.check(viewer, text)
        if not verdict.ok:
            self.counts["comments_refused"] += 1
            return verdict
        question = verdict.text       # the answer event goes out once the answer is queued
        self.scheduler.comment(viewer, question, done=lambda answer: self._emit(
            {"type": "answer", "question": question, "text": answer}))
        self.counts["comments_answered"] += 1       # the loop is this key's one writer
        return verdict

    def say_now(self, text: str) -> None:
        self.scheduler.say_now(text)

    def skip(self) -> None:
        self.scheduler.skip()

    def pause(self) -> None:
        self.scheduler.pause()

    def resume(self) -> None:
        self.scheduler.resume()

    # -- push targets -------------------------------------------------------------------------
    async def add_push(self, url: str) -> str:
        if url.startswith(("rtmp://", "rtmps://")):
            target = RtmpPush(url, self.broadcast)
        elif url.startswith(("http://", "https://")):
            target = WhipPush(url, self.broadcast)
        else:
            raise AnchorError(f"push target {redact(url)}: use an rtmp:// or rtmps:// URL, "
                              "or the http(s):// URL of a WHIP endpoint")
        target_id = uuid.uuid4().hex[:8]
        self._targets[target_id] = target
        await target.start()
        log.info("push target added", extra={"target": target_id, "url": redact(url)})
        return target_id

    async def remove_push(self, target_id: str) -> None:
        target = self._targets.pop(target_id)          # KeyError: unknown target
        await target.stop()

    def pushes(self) -> list[dict]:
        return [dataclasses.asdict(p) for p in self._push_states()]

    def _push_states(self) -> tuple[PushState, ...]:
        return tuple(PushState(tid, redact(t.url), "rtmp" if isinstance(t, RtmpPush) else "whip",
                               t.state) for tid, t in self._targets.items())

    # -- page events --------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[dict]:
        queue = self.pages.join()
        try:
            yield {"type": "hello", "title": self.show.title, "viewers": self.viewers.count}
            while True:
                yield await queue.get()
        finally:
            self.pages.leave(queue)

    def _emit(self, event: dict) -> None:
        """Tell every page, from any thread."""
        self.pages.emit(event)

    async def _announce_viewers(self) -> None:
        last = None
        while True:
            count = self.viewers.count
            if count != last:
                self._emit({"type": "viewers", "count": count})
                last = count
            await asyncio.sleep(1.0)

    # -- observability ------------------------------------------------------------------------
    def health(self) -> dict:
        alive = bool(self._render_thread and self._render_thread.is_alive())
        ok = alive and self.playout.running
        return {"status": "ok" if ok else "degraded", "render_thread": alive,
                "viewers": self.viewers.count, "show": self.show.title,
                "pushes": {tid: t.state for tid, t in self._targets.items()}}

    def stats(self) -> ChannelStats:
        """A snapshot of every part (on the event loop, where viewers and pushes live)."""
        return ChannelStats(counts=self.counts.snapshot(), pacer=self.pacer.stats,
                            encoder=self.encoder.stats, broadcast=self.broadcast.stats,
                            viewers=self.viewers.stats, pushes=self._push_states(),
                            scheduler=self.scheduler.stats)

    def metrics(self) -> str:
        return exposition(self.stats())


class Tally:
    """Counters that two threads write and a third reads. Each key has one writing thread
    (`tally[key] += 1` is a read and a write, so two writers of one key could lose counts);
    every read and write takes the lock, and `snapshot()` reads them all at one moment."""

    def __init__(self, **values: float):
        self._lock = threading.Lock()
        self._values = dict(values)

    def __getitem__(self, key: str) -> float:
        with self._lock:
            return self._values[key]

    def __setitem__(self, key: str, value: float) -> None:
        with self._lock:
            if key not in self._values:
                raise KeyError(key)
            self._values[key] = value

    def snapshot(self) -> Mapping[str, float]:
        with self._lock:
            return MappingProxyType(dict(self._values))


class PageEvents:
    """What the player pages are told (subtitles, answers, the viewer count, the show's title):
    emitted from any thread, delivered on the serving loop to each page's bounded queue; a slow
    page loses its oldest events."""

    def __init__(self, limit: int = EVENT_QUEUE):
        self._limit = limit
        self._queues: set[asyncio.Queue] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def serve_on(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def join(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(self._limit)
        self._queues.add(queue)
        return queue

    def leave(self, queue: asyncio.Queue) -> None:
        self._queues.discard(queue)

    def emit(self, event: dict) -> None:
        loop = self._loop
        if loop is not None and not _on_loop(loop):
            try:
                loop.call_soon_threadsafe(self._deliver, event)
            except RuntimeError:
                pass                       # the loop has closed: no page is listening
            return
        self._deliver(event)

    def _deliver(self, event: dict) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)


class _ProgramOut:
    """The pacer's output, on the playout thread: media to the encoder, captions also to the
    pages as subtitle events."""

    def __init__(self, encoder: LiveEncoder, pages: PageEvents):
        self.encoder, self.pages = encoder, pages

    def video(self, frame: VideoFrame, repeated: bool) -> None:
        self.encoder.video(frame, repeated)

    def audio(self, block: AudioBlock) -> None:
        self.encoder.audio(block)

    def caption(self, caption: Caption) -> None:
        self.encoder.caption(caption)
        seconds = (caption.end - caption.start) / caption.sample_rate
        self.pages.emit({"type": "subtitle", "text": caption.text, "seconds": round(seconds, 2)})


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def redact(url: str) -> str:
    """A push URL without its secret: the stream key (last path part) and any query string."""
    base = url.split("?", 1)[0]
    head, _, key = base.rpartition("/")
    return f"{head}/****" if head and key and "://" in head + "/" else base
