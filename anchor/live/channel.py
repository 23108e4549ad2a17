"""A live channel: the show performed around the clock, paced in real time against one clock,
encoded once per codec and broadcast to every viewer and push target.

    Scheduler --Turn--> render thread (Speaker, Program) --items--> Pacer --paced media--> LiveEncoder
      --packets--> Broadcast --> WebRTC viewers (WHEP), RTMP pushes, WHIP pushes

Rendering runs on its own thread; everything else on the event loop. Nothing a viewer, a
comment, a show edit or a push target does can stop the render loop: faults are logged,
counted and survived.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from fractions import Fraction
from pathlib import Path
from typing import AsyncIterator

from anchor.answers import comment_answerer
from anchor.clock import Clock, SystemClock
from anchor.errors import AnchorError
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
        self.gate = CommentGate(clock=self.clock)
        # the scheduler decides what is said and holds the show on air; the speaker says it in
        # the voices of the show being read (a reload may define new ones)
        self.scheduler = Scheduler(show, voices=show_voices, answerer=comment_answerer(show),
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
        self._initial_push = list(push)
        self._targets: dict[str, RtmpPush | WhipPush] = {}
        self._listeners: set[asyncio.Queue] = set()
        self._stopping = threading.Event()
        self._tasks: list[asyncio.Task] = []
        self._render_thread: threading.Thread | None = None
        self.counts = {"comments_answered": 0, "comments_refused": 0, "render_errors": 0,
                       "reload_errors": 0, "frames_rendered": 0}
        self.render_seconds = 0.0

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
        self._tasks.append(asyncio.create_task(self.pacer.run(_PacedOut(self)), name="pacer"))
        self._tasks.append(asyncio.create_task(self._announce_viewers(), name="viewer-count"))
        self._render_thread = threading.Thread(target=self._render, name="anchor-render", daemon=True)
        self._render_thread.start()
        for url in self._initial_push:
            await self.add_push(url)
        log.info("channel on air", extra={"show": str(self.show_path), "format": str(self.fmt)})

    async def stop(self) -> None:
        self._stopping.set()
        self.pacer.stop()
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
        self.scheduler.reload(show, answerer=comment_answerer(show))
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
        self.counts["comments_answered"] += 1
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
        return [{"id": tid, "url": redact(t.url), "kind": "rtmp" if isinstance(t, RtmpPush) else "whip",
                 "state": t.state} for tid, t in self._targets.items()]

    # -- page events --------------------------------------------------------------------------
    async def events(self) -> AsyncIterator[dict]:
        queue: asyncio.Queue = asyncio.Queue(EVENT_QUEUE)
        self._listeners.add(queue)
        try:
            yield {"type": "hello", "title": self.show.title, "viewers": self.viewers.count}
            while True:
                yield await queue.get()
        finally:
            self._listeners.discard(queue)

    def _emit(self, event: dict) -> None:
        """Deliver to every page, from any thread. A slow page loses its oldest events."""
        loop = getattr(self, "_loop", None)
        if loop is not None and not _on_loop(loop):
            loop.call_soon_threadsafe(self._emit, event)
            return
        for queue in self._listeners:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

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
        return {"status": "ok" if alive else "degraded", "render_thread": alive,
                "viewers": self.viewers.count, "show": self.show.title,
                "pushes": {tid: t.state for tid, t in self._targets.items()}}

    def metrics(self) -> str:
        from anchor.live.metrics import exposition
        return exposition(self)


class _PacedOut:
    """What the pacer emits goes to the encoder; captions also to the pages."""

    def __init__(self, channel: Channel):
        self.channel = channel

    def video(self, frame: VideoFrame, repeated: bool) -> None:
        self.channel.encoder.video(frame, repeated)

    def audio(self, block: AudioBlock) -> None:
        self.channel.encoder.audio(block)

    def caption(self, caption: Caption) -> None:
        self.channel.encoder.caption(caption)
        seconds = (caption.end - caption.start) / caption.sample_rate
        self.channel._emit({"type": "subtitle", "text": caption.text, "seconds": round(seconds, 2)})


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
