"""Fan-out of encoded packets: the channel encodes once, every subscriber gets the same packets.

A feed is one encoded stream ("h264", "vp8", "opus", "aac"). Two sides meet here:

* The encoder side, on any thread (the channel's encoder worker): `send(name, packet)`,
  `wanted()` (the feeds somebody listens to: only those need encoding) and
  `take_keyframe_requests()`. These are thread-safe.
* The serving side, on the one event loop that serves viewers and push targets: `subscribe`,
  the subscriptions, `Feed.publish` and `Feed.request_keyframe`.

Between them a bounded hand-over: packets sent from another thread wait in one queue per feed
and are delivered on the serving loop in batches (one wake-up of the loop per batch, not one
per packet). A serving loop that falls more than `handover_ms` of media behind loses video
up to the next keyframe (asked for at once) and the oldest audio; the sending thread never
waits for it.

A video subscriber starts at a keyframe: joining asks the encoder for one, and packets before
it are not delivered. Each subscriber has a bounded queue measured in milliseconds of media; a
subscriber that falls behind is thinned, never stalls the others: video jumps to the newest
keyframe in its queue, or else skips every frame up to the next keyframe (asking for one, at
most once per KEYFRAME_GAP_S of media per feed); audio loses its backlog. What a subscriber
loses this way is counted (`Subscription.dropped`, `Feed.dropped`).
"""
from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from typing import Callable, Mapping

import av

VIDEO_FEEDS = ("h264", "vp8")
AUDIO_FEEDS = ("opus", "aac")
HANDOVER_MS = 2000          # media a feed may have waiting for the serving loop
KEYFRAME_GAP_S = 1.0        # media time between keyframe requests made for lagging subscribers


def _span_ms(first: av.Packet, last: av.Packet) -> float:
    return float((last.pts - first.pts) * last.time_base) * 1000


class Subscription:
    """Packets of one feed for one consumer, as an async iterator; close() to leave."""

    def __init__(self, feed: "Feed", max_ms: int):
        self.feed, self.max_ms = feed, max_ms
        self._video = feed.name in VIDEO_FEEDS
        self._queue: deque[av.Packet] = deque()
        self._ready = asyncio.Event()
        self._synced = not self._video           # video waits for a keyframe
        self._behind = False                     # waiting for a keyframe after falling behind
        self.closed = False
        self.dropped = 0     # packets lost for falling behind (video: frames skipped)

    def _offer(self, packet: av.Packet) -> None:
        if not self._synced:
            if not packet.is_keyframe:
                if self._behind:
                    self._lose(1)
                return
            self._synced, self._behind = True, False
        self._queue.append(packet)
        if len(self._queue) > 1 and _span_ms(self._queue[0], packet) > self.max_ms:
            if self._video:
                self._catch_up()
            else:
                self._lose(len(self._queue) - 1)     # the backlog goes, the newest stays
                self._queue = deque((packet,))
        self._ready.set()

    def _catch_up(self) -> None:
        """Video fell behind: start again from the newest keyframe queued, or skip to the next."""
        queue = self._queue
        keys = [i for i, p in enumerate(queue) if p.is_keyframe]
        if keys and keys[-1] > 0 and _span_ms(queue[keys[-1]], queue[-1]) <= self.max_ms:
            self._lose(keys[-1])
            for _ in range(keys[-1]):
                queue.popleft()
            return
        self._lose(len(queue))
        queue.clear()
        self._synced, self._behind = False, True
        self.feed._lagging()

    def _lose(self, n: int) -> None:
        self.dropped += n
        self.feed.dropped += n

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
            self.feed._leave(self)
            self._ready.set()


class Feed:
    """One encoded stream and its subscribers (serving loop only)."""

    def __init__(self, name: str, broadcast: "Broadcast"):
        self.name = name
        self._broadcast = broadcast
        self._subscribers: set[Subscription] = set()
        self.packets = 0
        self.dropped = 0                     # lost by subscribers that fell behind, all time
        self._newest_s: float | None = None  # media time of the newest packet published
        self._lag_request_s: float | None = None

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def request_keyframe(self) -> None:
        """Ask the encoder for a keyframe (a joining viewer, a peer's PLI)."""
        self._broadcast._want_keyframe(self.name)

    def subscribe(self, max_ms: int = 1000) -> Subscription:
        """A new subscription (on the serving loop); video starts at a keyframe asked for now."""
        self._broadcast._serve_on(asyncio.get_running_loop())
        sub = Subscription(self, max_ms)
        self._subscribers.add(sub)
        self._broadcast._listened(self.name, True)
        if self.name in VIDEO_FEEDS:
            self.request_keyframe()
        return sub

    def publish(self, packet: av.Packet) -> None:
        """Deliver one packet to every subscriber (on the serving loop)."""
        self.packets += 1
        if packet.pts is not None and packet.time_base is not None:
            self._newest_s = float(packet.pts * packet.time_base)
        for sub in tuple(self._subscribers):
            sub._offer(packet)

    def _lagging(self) -> None:
        """A subscriber skipped to the next keyframe: ask for one, rate-limited in media time."""
        now = self._newest_s
        if now is None or self._lag_request_s is None or now - self._lag_request_s >= KEYFRAME_GAP_S:
            self._lag_request_s = now
            self.request_keyframe()

    def _leave(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)
        if not self._subscribers:
            self._broadcast._listened(self.name, False)


@dataclass(frozen=True, slots=True)
class BroadcastStats:
    packets: Mapping[str, int]          # packets published, per feed
    dropped: Mapping[str, int]          # lost by subscribers that fell behind, per feed
    handover_dropped: Mapping[str, int] # lost because the serving loop fell behind, per feed


class Broadcast:
    """The channel's feeds, by name, and the hand-over to them from the encoder's thread."""

    def __init__(self, *, handover_ms: int = HANDOVER_MS):
        self.handover_ms = handover_ms
        self.feeds = {name: Feed(name, self) for name in VIDEO_FEEDS + AUDIO_FEEDS}
        self._lock = threading.Lock()
        self._wanted: frozenset[str] = frozenset()       # under _lock
        self._keyframes: set[str] = set()                # under _lock
        self._pending: dict[str, deque[av.Packet]] = {name: deque() for name in self.feeds}
        self._after: list[Callable[[], None]] = []       # under _lock, with _pending
        self._broken: set[str] = set()      # video feeds dropping up to the next keyframe
        self._handover_dropped = {name: 0 for name in self.feeds}
        self._wake_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def __getitem__(self, name: str) -> Feed:
        return self.feeds[name]

    # -- any thread ---------------------------------------------------------------------

    def wanted(self) -> frozenset[str]:
        """The feeds somebody listens to: only those need encoding."""
        with self._lock:
            return self._wanted

    def take_keyframe_requests(self, names: frozenset[str]) -> frozenset[str]:
        """Those of the video feeds `names` whose next frame should be a keyframe (the requests
        are forgotten: the caller makes the keyframes)."""
        with self._lock:
            keys = frozenset(self._keyframes & names)
            self._keyframes -= keys
        return keys

    def send(self, name: str, packet: av.Packet) -> None:
        """Hand a packet of feed `name` to the serving loop (from any thread; never waits)."""
        with self._lock:
            if self._loop is None:
                return                             # nobody has ever listened
            pending = self._pending[name]
            if name in self._broken:
                if not packet.is_keyframe:
                    self._handover_dropped[name] += 1
                    return
                self._broken.discard(name)
            pending.append(packet)
            if len(pending) > 1 and _span_ms(pending[0], packet) > self.handover_ms:
                self._overflow(name, pending)
            self._wake()

    def after_sent(self, callback: Callable[[], None]) -> None:
        """Call `callback()` once everything sent so far has been published (on the serving
        loop; at once on this thread if there is none)."""
        with self._lock:
            if self._loop is not None and not self._loop.is_closed():
                self._after.append(callback)
                self._wake()
                return
        callback()

    # -- internals ------------------------------------------------------------------------

    def _overflow(self, name: str, pending: deque) -> None:   # under _lock
        if name in VIDEO_FEEDS:
            self._handover_dropped[name] += len(pending)
            pending.clear()
            self._broken.add(name)
            self._keyframes.add(name)
        else:
            while len(pending) > 1 and _span_ms(pending[0], pending[-1]) > self.handover_ms:
                pending.popleft()
                self._handover_dropped[name] += 1

    def _wake(self) -> None:   # under _lock
        if not self._wake_pending:
            self._wake_pending = True
            try:
                self._loop.call_soon_threadsafe(self._deliver)
            except RuntimeError:
                self._wake_pending = False         # the serving loop is closed: nobody listens

    def _deliver(self) -> None:
        """Publish what the other thread handed over (on the serving loop)."""
        with self._lock:
            self._wake_pending = False
            batches = [(name, q) for name, q in self._pending.items() if q]
            for name, _ in batches:
                self._pending[name] = deque()
            after, self._after = self._after, []
        for name, packets in batches:
            feed = self.feeds[name]
            for packet in packets:
                feed.publish(packet)
        for callback in after:
            callback()

    def _serve_on(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = loop
            elif self._loop is not loop:
                raise RuntimeError("a broadcast is served by one event loop")

    def _listened(self, name: str, listening: bool) -> None:
        with self._lock:
            self._wanted = self._wanted | {name} if listening else self._wanted - {name}

    def _want_keyframe(self, name: str) -> None:
        with self._lock:
            self._keyframes.add(name)

    @property
    def stats(self) -> BroadcastStats:
        """A snapshot (read it on the serving loop)."""
        with self._lock:
            handover = dict(self._handover_dropped)
        return BroadcastStats(packets={n: f.packets for n, f in self.feeds.items()},
                              dropped={n: f.dropped for n, f in self.feeds.items()},
                              handover_dropped=handover)
