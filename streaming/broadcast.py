"""Fan-out of encoded packets: the channel encodes once, every subscriber gets the same packets.

A feed is one encoded stream ("h264", "vp8", "opus", "aac"). A video subscriber starts at a
keyframe: joining asks the feed's encoder for one (`on_keyframe_request`), and packets before it
are not delivered. Each subscriber has a bounded queue measured in milliseconds of media; a
subscriber that falls behind loses its backlog (video resumes at the next keyframe), never
stalls the others.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Callable

import av

VIDEO_FEEDS = ("h264", "vp8")
AUDIO_FEEDS = ("opus", "aac")


class Subscription:
    """Packets of one feed for one consumer, as an async iterator; close() to leave."""

    def __init__(self, feed: "Feed", max_ms: int):
        self.feed, self.max_ms = feed, max_ms
        self._queue: deque[av.Packet] = deque()
        self._ready = asyncio.Event()
        self._synced = feed.name in AUDIO_FEEDS      # video waits for a keyframe
        self.closed = False
        self.dropped = 0

    def _offer(self, packet: av.Packet) -> None:
        if not self._synced:
            if not packet.is_keyframe:
                return
            self._synced = True
        self._queue.append(packet)
        if self._backlog_ms() > self.max_ms:
            self.dropped += len(self._queue)
            self._queue.clear()
            if self.feed.name in VIDEO_FEEDS:
                self._synced = False
                self.feed.request_keyframe()
            else:
                self._queue.append(packet)
        self._ready.set()

    def _backlog_ms(self) -> float:
        if len(self._queue) < 2:
            return 0.0
        first, last = self._queue[0], self._queue[-1]
        return float((last.pts - first.pts) * last.time_base) * 1000

    def __aiter__(self):
        return self

    async def __anext__(self) -> av.Packet:
        while not self._queue:
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._queue.popleft()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.feed._subscribers.discard(self)
            self._ready.set()


class Feed:
    def __init__(self, name: str, on_keyframe_request: Callable[[], None] | None = None):
        self.name = name
        self._subscribers: set[Subscription] = set()
        self.on_keyframe_request = on_keyframe_request   # set by the encoder
        self.packets = 0

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def request_keyframe(self) -> None:
        if self.on_keyframe_request:
            self.on_keyframe_request()

    def subscribe(self, max_ms: int = 1000) -> Subscription:
        sub = Subscription(self, max_ms)
        self._subscribers.add(sub)
        if self.name in VIDEO_FEEDS:
            self.request_keyframe()
        return sub

    def publish(self, packet: av.Packet) -> None:
        """Called on the event loop thread, once per encoded packet."""
        self.packets += 1
        for sub in tuple(self._subscribers):
            sub._offer(packet)


class Broadcast:
    """The channel's feeds, by name."""

    def __init__(self):
        self.feeds = {name: Feed(name) for name in VIDEO_FEEDS + AUDIO_FEEDS}

    def __getitem__(self, name: str) -> Feed:
        return self.feeds[name]

    def wanted(self) -> set[str]:
        """The feeds somebody listens to: only those need encoding."""
        return {name for name, feed in self.feeds.items() if feed.subscribers}
