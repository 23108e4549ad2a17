"""Endurance: a live channel runs for hours of STREAM time, faster than real time, on a virtual
clock, with its H.264 and AAC encoders really running; RSS and the A/V offset are printed each
reporting interval (default: each hour of stream time).

    .venv/bin/python bench/endurance.py --hours 2            # 1280x720 @ 25, the demo shop
    .venv/bin/python bench/endurance.py --hours 0.05 --every 60

Why not the plain `anchor.clock.VirtualClock`: its `sleep_until` returns at once, so the wall
clock it stands for is infinitely fast. The pacer then plays audio the instant it arrives: it
runs dry after every frame (one stall per frame), each video tick comes before its frame
(repeated, then the frame shows one tick late: A/V offset -40 ms), and the encoders, which by
design never hold the pacer back, drop almost every video frame. That measures a race, not the
channel. `LockstepClock` is a virtual clock that moves only when the channel has caught up
with the present - the render thread is waiting on the pacer's backpressure (its buffer is
full) and the encoder's queue is short - so the stream runs at the speed of the slowest stage,
and every stage sees the same timeline it would see in real time with a fast enough machine.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from anchor.live import Channel  # noqa: E402
from anchor.program import Format  # noqa: E402
from anchor.show import demo_show_path  # noqa: E402

ENCODER_SLACK_MS = 200      # let the encoder fall this far behind before time waits for it
CATCH_UP_S = 2.0            # wall seconds the clock waits for the render before moving anyway


class LockstepClock:
    """A virtual clock that advances only when the channel it is attached to has caught up:
    the render thread is blocked on the pacer's backpressure and the live encoder has at most
    ENCODER_SLACK_MS of video queued. Until `attach`, it behaves like VirtualClock.

    `forced` counts the times time moved after CATCH_UP_S of wall time without the render
    blocking (0 in a healthy run: some stage stopped feeding the pacer).

    The pacer sleeps on it from the channel's playout thread; `reached` is awaited on the
    caller's loop, and is woken through that loop (call_soon_threadsafe)."""

    def __init__(self, start: float = 0.0):
        self._t = start
        self._channel: Channel | None = None
        self._waiters: list[tuple[float, asyncio.Future]] = []     # under _lock
        self._lock = threading.Lock()
        self.forced = 0
        self.worst_av_ms = 0.0            # largest |A/V offset| at the pacer output, any step

    def now(self) -> float:
        return self._t

    def attach(self, channel: Channel) -> None:
        """Follow the channel: time moves once its render thread waits on the pacer's
        backpressure (`Pacer.offer_blocked`)."""
        self._channel = channel

    async def sleep_until(self, t: float) -> None:
        if t > self._t and self._channel is not None:
            await self._caught_up()
            self.worst_av_ms = max(self.worst_av_ms, abs(self._channel.pacer.stats.av_offset_ms))
        with self._lock:
            self._t = max(self._t, t)
            due = [w for w in self._waiters if w[0] <= self._t]
            for waiter in due:
                self._waiters.remove(waiter)
        for _, future in due:
            future.get_loop().call_soon_threadsafe(_resolve, future)
        await asyncio.sleep(0)

    async def reached(self, t: float) -> None:
        """Wait (without moving time) until the channel's pacer has moved the clock to `t`."""
        future = asyncio.get_running_loop().create_future()
        with self._lock:
            if self._t >= t:
                return
            self._waiters.append((t, future))
        await future

    async def _caught_up(self) -> None:
        channel = self._channel
        if channel.encoder.stats.queue_ms > ENCODER_SLACK_MS:
            await channel.encoder.drain()
        blocked = channel.pacer.offer_blocked
        if blocked.is_set() or channel._stopping.is_set():
            return
        try:
            await asyncio.wait_for(blocked.wait(), CATCH_UP_S)
        except TimeoutError:
            if not channel._stopping.is_set():
                self.forced += 1


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(frozen=True, slots=True)
class Sample:
    stream_s: float          # audio emitted by the pacer so far
    wall_s: float
    rss_mb: float
    av_offset_ms: float      # pacer output: video time minus audio time, at this moment
    worst_av_ms: float       # the largest |A/V offset| seen at any 20 ms step since the start
    frames_out: int
    frames_dropped: int
    frames_repeated: int
    stalls: int
    encoded_h264: int
    encoder_dropped: int
    feed_skew_ms: float      # newest h264 packet time minus newest aac packet time
    clock_forced: int        # times the clock moved without the render catching up (want 0)


async def _drain(subscription, last: dict, name: str) -> None:
    async for packet in subscription:
        last[name] = float(packet.pts * packet.time_base)


async def endurance(show_path: Path, fmt: Format, *, stream_s: float, every_s: float,
                    on_sample=None, buffer_ms: int = 300) -> list[Sample]:
    """Run a channel for `stream_s` seconds of stream time on a LockstepClock, with the h264
    and aac feeds subscribed and drained (so the encoders run); a Sample every `every_s`
    seconds of stream time (and at the end). `on_sample(sample)` is called as they come."""
    clock = LockstepClock()
    channel = Channel(show_path, fmt=fmt, clock=clock, buffer_ms=buffer_ms)
    clock.attach(channel)
    process = psutil.Process()
    last = {"h264": 0.0, "aac": 0.0}
    subs = [channel.broadcast[name].subscribe(max_ms=10_000) for name in ("h264", "aac")]
    drains = [asyncio.create_task(_drain(s, last, s.feed.name)) for s in subs]
    samples: list[Sample] = []

    def sample(wall0: float) -> Sample:
        p, e = channel.pacer.stats, channel.encoder.stats
        return Sample(p.audio_ms_out / 1000, time.monotonic() - wall0,
                      process.memory_info().rss / 2**20, p.av_offset_ms, clock.worst_av_ms,
                      p.frames_out, p.frames_dropped, p.frames_repeated, p.stalls,
                      e.frames.get("h264", 0), e.frames_dropped,
                      (last["h264"] - last["aac"]) * 1000, clock.forced)

    await channel.start()
    wall0 = time.monotonic()
    try:
        next_sample = every_s
        while True:
            # the pacer moves the clock; wait for it (wall timeout: a stuck channel fails)
            await asyncio.wait_for(clock.reached(clock.now() + 1.0), 60)
            if channel.encoder.stats.errors:
                raise RuntimeError(f"encoder failed: {channel.encoder.stats.last_error}")
            if not channel.health()["render_thread"]:
                raise RuntimeError("the render thread died")
            stream = channel.pacer.stats.audio_ms_out / 1000
            if stream >= next_sample or stream >= stream_s:
                s = sample(wall0)
                samples.append(s)
                if on_sample:
                    on_sample(s)
                next_sample += every_s
            if stream >= stream_s:
                break
    finally:
        await channel.stop()
        for s in subs:
            s.close()
        for task in drains:
            task.cancel()
        await asyncio.gather(*drains, return_exceptions=True)
    return samples


def trend_mb(samples: list[Sample]) -> float:
    """Median RSS of the last third minus that of the first third (after warm-up), in MB."""
    rss = [s.rss_mb for s in samples]
    third = max(1, len(rss) // 3)
    return statistics.median(rss[-third:]) - statistics.median(rss[:third])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=2.0, help="stream time to run (hours)")
    parser.add_argument("--every", type=float, default=3600.0,
                        help="report every this many seconds of stream time (default: 1 hour)")
    parser.add_argument("--show", type=Path, default=None, help="show file (default: demo shop)")
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT (default 1280x720)")
    parser.add_argument("--fps", type=int, default=25)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    show = args.show or demo_show_path("demo-shop")
    print(f"endurance: {show.name} {width}x{height}@{args.fps}, {args.hours} h of stream time, "
          f"report every {args.every:g} s", flush=True)
    print(f"{'stream':>10} {'wall':>9} {'speed':>6} {'RSS MB':>8} {'A/V ms':>7} {'worst':>6} "
          f"{'out':>8} {'dropped':>8} {'repeat':>7} {'stalls':>6} {'h264':>8} {'enc drop':>8} "
          f"{'skew ms':>8}", flush=True)

    def show_sample(s: Sample) -> None:
        print(f"{s.stream_s / 3600:9.3f}h {s.wall_s:8.1f}s {s.stream_s / max(s.wall_s, 1e-9):5.1f}x "
              f"{s.rss_mb:8.1f} {s.av_offset_ms:7.1f} {s.worst_av_ms:6.1f} {s.frames_out:8d} "
              f"{s.frames_dropped:8d} {s.frames_repeated:7d} {s.stalls:6d} {s.encoded_h264:8d} "
              f"{s.encoder_dropped:8d} {s.feed_skew_ms:8.1f}", flush=True)

    samples = asyncio.run(endurance(show, Format(width, height, args.fps),
                                    stream_s=args.hours * 3600, every_s=args.every,
                                    on_sample=show_sample))
    end = samples[-1]
    print(f"done: {end.stream_s:.0f} s of stream in {end.wall_s:.0f} s of wall time "
          f"({end.stream_s / end.wall_s:.2f} stream s per wall s); RSS trend "
          f"{trend_mb(samples):+.1f} MB; worst |A/V| {end.worst_av_ms:.0f} ms; dropped "
          f"{100 * end.frames_dropped / max(1, end.frames_out):.3f}% of frames; clock forced "
          f"{end.clock_forced} times", flush=True)


if __name__ == "__main__":
    main()
