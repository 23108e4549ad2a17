"""RTMP push: the channel's H.264 and AAC packets, remuxed into FLV and sent to an RTMP ingest.

Nothing is encoded here: the push subscribes to the broadcast's "h264" and "aac" feeds (the
same packets the WebRTC viewers get) and remuxes copies with PyAV's FLV muxer, which speaks
RTMP itself (`av.open(url, "w", format="flv")`).

Each connection runs in a small child process (this module, started with the same Python),
fed through a pipe. PyAV holds the GIL while FFmpeg connects and writes the FLV header, and
FFmpeg gives an output no I/O timeout that PyAV can set, so in a thread a slow or silent
server would freeze the whole channel; in a child process it freezes only the child, which is
killed. The event loop never blocks: it only writes packets into the pipe.

A connection starts at a keyframe (subscribing asks the encoder for one), and its timestamps
start at zero. When the server refuses, dies or stops taking data (more than `stall_s`
seconds of media waiting unsent), the push goes to "retrying" and tries again after a delay
that doubles from `backoff[0]` up to `backoff[1]` seconds (back to `backoff[0]` once a
connection has been live), slept on the injected Clock. Errors never escape: they are counted, logged and kept in
`last_error`, with the stream key masked.
"""
from __future__ import annotations

import asyncio
import logging
import os
import struct
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlsplit

import av

from anchor.clock import Clock, SystemClock
from anchor.errors import OutputError

from .broadcast import Broadcast, Subscription

log = logging.getLogger(__name__)

STATES = ("connecting", "live", "retrying", "stopped")
SCHEMES = ("rtmp", "rtmps")
AAC_RATE = 48_000              # the channel's AAC feed: 48 kHz stereo AAC-LC (see encoders.py)
_CLOSE_WAIT_S = 5.0            # how long stop() waits for the server to take the last packets
# FLV is written to a socket: no header rewrite at the end, and packets are interleaved
# with at most 0.5 s of waiting for the other stream (audio and video arrive together).
_FLV_OPTIONS = {"flvflags": "no_duration_filesize", "max_interleave_delta": "500000"}
# One packet through the pipe: is_video, keyframe, pts, dts, time base num/den, payload size.
_HEADER = struct.Struct("<BBqqiiI")
_REPORT_EVERY = 10             # the child reports progress every this many packets
_CHILD = "from streaming.rtmp import _child_main; _child_main()"

@dataclass(frozen=True, slots=True)
class RtmpStats:
    state: str            # one of STATES
    bytes_sent: int       # packet payload bytes handed to the muxer (FLV/RTMP framing not counted)
    packets_sent: int
    connections: int      # connections that reached "live"
    reconnects: int       # connection attempts after the first
    last_error: str       # "" until something failed; the stream key is masked


def check_rtmp_url(url: str) -> str:
    """The URL with its stream key masked, for logs; OutputError if it cannot be an RTMP target."""
    if not isinstance(url, str) or not url:
        raise OutputError(f"RTMP target: the URL must be a non-empty string, not {url!r}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise OutputError("RTMP target: the URL contains spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise OutputError(f"RTMP target {url!r}: the scheme must be rtmp:// or rtmps://, "
                          f"not {parts.scheme + '://' if parts.scheme else 'missing'}")
    try:
        port = parts.port
    except ValueError:
        raise OutputError(f"RTMP target {url!r}: the port is not a number between 0 and 65535") \
            from None
    if not parts.hostname:
        raise OutputError(f"RTMP target {url!r}: the URL names no host "
                          "(expected rtmp://host[:port]/app/stream-key)")
    if port == 0:
        raise OutputError(f"RTMP target {url!r}: port 0 cannot be connected to")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        raise OutputError(f"RTMP target {parts.scheme}://{parts.netloc}{parts.path}: the URL "
                          "needs an application and a stream key (rtmp://host[:port]/app/key)")
    app = "/".join(segments[:-1])
    return f"{parts.scheme}://{parts.netloc}/{app}/****"


class RtmpPush:
    """Pushes the broadcast's H.264 + AAC feeds to one RTMP URL, reconnecting when it fails.

    `start()` and `stop()` run on the channel's event loop. `state` is one of STATES.
    """

    def __init__(self, url: str, broadcast: Broadcast, *, name: str | None = None,
                 video_feed: str = "h264", audio_feed: str = "aac",
                 backoff: tuple[float, float] = (1.0, 30.0), stall_s: float = 5.0,
                 queue_ms: int = 2000, clock: Clock | None = None):
        self.shown_url = check_rtmp_url(url)
        if not 0 < backoff[0] <= backoff[1]:
            raise OutputError(f"RTMP target {self.shown_url}: backoff must be (first, most) "
                              f"seconds with 0 < first <= most, not {backoff!r}")
        if stall_s <= 0 or queue_ms <= 0:
            raise OutputError(f"RTMP target {self.shown_url}: stall_s and queue_ms must be "
                              "positive")
        self.url = url
        self.name = name or f"rtmp {urlsplit(url).netloc}"
        self._broadcast = broadcast
        self._feeds = (broadcast[video_feed], broadcast[audio_feed])   # KeyError: unknown feed
        self._backoff = backoff
        self._clock = clock or SystemClock()
        self._stall_s = stall_s
        self._queue_ms = queue_ms
        self.state = "stopped"
        self.connections = 0
        self.reconnects = 0
        self.last_error = ""
        self._sent = [0, 0]                 # packets, bytes of links that are finished
        self._link: _Link | None = None
        self._task: asyncio.Task | None = None
        self._stopping: asyncio.Event | None = None
        self._waiters: list[tuple[str, asyncio.Future]] = []

    def __repr__(self) -> str:
        return f"<RtmpPush {self.name!r} {self.shown_url} {self.state}>"

    # -- counters -------------------------------------------------------------------------

    @property
    def packets_sent(self) -> int:
        return self._sent[0] + (self._link.packets if self._link else 0)

    @property
    def bytes_sent(self) -> int:
        return self._sent[1] + (self._link.bytes if self._link else 0)

    @property
    def stats(self) -> RtmpStats:
        return RtmpStats(self.state, self.bytes_sent, self.packets_sent, self.connections,
                         self.reconnects, self.last_error)

    # -- control --------------------------------------------------------------------------

    async def start(self) -> None:
        """Begin pushing (returns at once; the connection is made in the background)."""
        if self._task is not None and not self._task.done():
            return
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"{self.name} push")

    async def stop(self) -> None:
        """Send what is queued (waiting at most a few seconds), close the connection, stop."""
        if self._task is None:
            return
        assert self._stopping is not None
        self._stopping.set()
        try:
            await self._task
        finally:
            self._task = None

    async def until(self, state: str) -> None:
        """Wait until the push is in `state` (wrap in asyncio.wait_for for a deadline)."""
        if state not in STATES:
            raise ValueError(f"unknown push state {state!r}; one of {', '.join(STATES)}")
        if self.state == state:
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (state, waiter)
        self._waiters.append(entry)
        try:
            await waiter
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    # -- the loop of connections ------------------------------------------------------------

    async def _run(self) -> None:
        assert self._stopping is not None
        delay = self._backoff[0]
        attempts = 0
        try:
            while not self._stopping.is_set():
                if attempts:
                    self.reconnects += 1
                attempts += 1
                self._set_state("connecting")
                if await self._connection():
                    delay = self._backoff[0]
                if self._stopping.is_set():
                    break
                self._set_state("retrying")
                log.warning("%s: %s; retrying in %.1f s", self.name, self.last_error, delay)
                await self._pause(delay)
                delay = min(delay * 2, self._backoff[1])
        finally:
            self._set_state("stopped")

    async def _pause(self, delay: float) -> None:
        """Wait `delay` seconds on the clock, or until stop()."""
        assert self._stopping is not None
        sleep = asyncio.create_task(self._clock.sleep_until(self._clock.now() + delay))
        stop = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait((sleep, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleep.cancel()
            stop.cancel()
            await asyncio.gather(sleep, stop, return_exceptions=True)

    async def _connection(self) -> bool:
        """One connection, until it fails or the push stops. True if it went live."""
        assert self._stopping is not None
        link = _Link(self.url, self.shown_url)
        self._link = link
        try:
            await link.open()
        except OSError as exc:
            self.last_error = f"cannot start the RTMP sender: {exc}"
            self._link = None
            return False
        video, audio = (feed.subscribe(max_ms=self._queue_ms) for feed in self._feeds)
        pumps = [asyncio.create_task(self._pump(video, link, True)),
                 asyncio.create_task(self._pump(audio, link, False))]
        watch = asyncio.create_task(self._watch(link))
        stop_wait = asyncio.create_task(self._stopping.wait())
        went_live = False
        try:
            await asyncio.wait((stop_wait, watch, *pumps), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*pumps, stop_wait):
                task.cancel()
            video.close()
            audio.close()
            if self._stopping.is_set() and not watch.done():
                await link.finish(_CLOSE_WAIT_S)
            else:
                await link.kill()
            if not watch.done():
                watch.cancel()
            went_live = link.live
            self._sent[0] += link.packets
            self._sent[1] += link.bytes
            self._link = None
        return went_live

    async def _watch(self, link: "_Link") -> None:
        """Follows the child's reports until it ends; notes going live and the error."""
        async for kind, detail in link.reports():
            if kind == "live":
                self.connections += 1
                log.info("%s: live at %s", self.name, self.shown_url)
                self._set_state("live")
            elif kind == "failed":
                self.last_error = detail

    async def _pump(self, sub: Subscription, link: "_Link", is_video: bool) -> None:
        async for packet in sub:
            if not link.send(packet, is_video):
                return                       # the sender has ended: _watch tells why
            if link.backlog_s() > self._stall_s:
                self.last_error = (f"{self.shown_url}: the server took no data for "
                                   f"{self._stall_s:g} s")
                return

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        for wanted, waiter in tuple(self._waiters):
            if wanted == state and not waiter.done():
                waiter.set_result(None)




class _Link:
    """The parent's side of one connection: the child process, its pipe and its reports."""

    def __init__(self, url: str, shown_url: str):
        self._url, self._shown = url, shown_url
        self._proc: asyncio.subprocess.Process | None = None
        self.live = False
        self.killed = False      # ended by us (a stall, a stop): its exit status is no news
        self.packets = 0                 # as reported by the child: muxed and sent
        self.bytes = 0
        self._last_t: float | None = None     # media time of the newest packet piped
        self._taken_t: float | None = None    # media time of the newest packet the child took

    async def open(self) -> None:
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parents[1])    # so the child finds this package
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
        # A session of its own: Ctrl-C reaches the channel, which then stops the push cleanly.
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _CHILD, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env,
            start_new_session=True)
        assert self._proc.stdin is not None
        self._proc.stdin.write(self._url.encode() + b"\n")    # not in argv: ps shows argv

    def send(self, packet: av.Packet, is_video: bool) -> bool:
        """Pipe a copy of the packet to the child; False once the child has gone."""
        assert self._proc is not None and self._proc.stdin is not None
        if self._proc.stdin.is_closing():
            return False
        if packet.pts is None or packet.time_base is None:
            return True
        tb = packet.time_base
        dts = packet.pts if packet.dts is None else packet.dts
        payload = bytes(packet)
        self._proc.stdin.write(_HEADER.pack(is_video, packet.is_keyframe, packet.pts,
                                            dts, tb.numerator, tb.denominator, len(payload))
                               + payload)
        self._last_t = float(packet.pts * tb)
        if self._taken_t is None:
            self._taken_t = self._last_t
        return True

    def backlog_s(self) -> float:
        """Seconds of media piped that the child has not taken yet."""
        if self._last_t is None or self._taken_t is None:
            return 0.0
        return self._last_t - self._taken_t

    async def reports(self):
        """(kind, detail) from the child: ("live", ""), ("failed", message); ends with it."""
        assert self._proc is not None and self._proc.stdout is not None
        failed = False
        async for line in self._proc.stdout:
            kind, _, detail = line.decode(errors="replace").rstrip("\n").partition(" ")
            if kind == "sent":
                packets, size, t = detail.split()
                self.packets, self.bytes, self._taken_t = int(packets), int(size), float(t)
            elif kind == "live":
                self.live = True
                yield "live", ""
            elif kind == "failed":
                failed = True
                yield "failed", detail.replace(self._url, self._shown)
        code = await self._proc.wait()
        if code != 0 and not failed and not self.killed:   # 0: it was told to finish, and did
            yield "failed", f"{self._shown}: the RTMP sender ended (exit status {code})"

    async def finish(self, timeout: float) -> None:
        """End of input: the child sends what it has, closes the stream and exits."""
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            await asyncio.wait_for(self._proc.wait(), timeout)
        except asyncio.TimeoutError:
            log.warning("%s: the server did not take the last packets in time", self._shown)
            await self.kill()

    async def kill(self) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self.killed = True
        self._proc.stdin.close()
        if self._proc.returncode is None:
            try:
                self._proc.kill()
            except ProcessLookupError:
                pass
        await self._proc.wait()


# -- the child process: one RTMP connection ------------------------------------------------

def _child_main() -> None:
    """Reads the URL and then packets from stdin, muxes them to RTMP, reports on stdout."""
    source, out = sys.stdin.buffer, sys.stdout

    def report(*words: object) -> None:
        out.write(" ".join(str(w) for w in words) + "\n")
        out.flush()

    url = source.readline().decode().rstrip("\n")
    shown = check_rtmp_url(url)
    try:
        _send_all(url, source, report)
    except Exception as exc:
        text = str(exc).replace(f": '{url}'", "").replace(url, shown)   # FFmpeg adds the URL
        report("failed", f"{shown}: {text or type(exc).__name__}")
        sys.exit(1)


def _picture_size(packet: av.Packet) -> tuple[int, int]:
    """Width and height of an H.264 keyframe, by decoding it (the FLV header wants them)."""
    decoder = av.CodecContext.create("h264", "r")
    frames = decoder.decode(av.Packet(bytes(packet))) + decoder.decode(None)
    if not frames:
        raise ValueError("the first H.264 keyframe could not be decoded")
    return frames[0].width, frames[0].height


def _read_packet(source) -> tuple[bool, av.Packet] | None:
    head = source.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    is_video, keyframe, pts, dts, num, den, size = _HEADER.unpack(head)
    payload = source.read(size)
    if len(payload) < size:
        return None
    packet = av.Packet(payload)
    packet.pts, packet.dts, packet.time_base = pts, dts, Fraction(num, den)
    packet.is_keyframe = bool(keyframe)
    return bool(is_video), packet


def _send_all(url: str, source, report) -> None:
    taken = 0
    item = _read_packet(source)
    while item is not None and not (item[0] and item[1].is_keyframe):
        item = _read_packet(source)            # audio before the first keyframe: not needed
    if item is None:
        return
    first = item[1]
    width, height = _picture_size(first)
    container = av.open(url, "w", format="flv", options=_FLV_OPTIONS)
    try:
        rate = 1 / first.time_base if first.time_base.numerator == 1 else None
        video = container.add_mux_stream("h264", rate=rate, width=width, height=height)
        # An AAC encoder context of the feed's settings supplies the AudioSpecificConfig the
        # FLV header needs (the packets do not carry it).
        audio = container.add_stream("aac", rate=AAC_RATE, layout="stereo")
        origin = Fraction(first.pts) * first.time_base
        packets = size = 0
        while item is not None:
            is_video, packet = item
            t = float(packet.pts * packet.time_base)
            start = round(origin / packet.time_base)
            if packet.pts >= start:
                packet.pts -= start
                packet.dts -= start
                packet.stream = video if is_video else audio
                n = packet.size
                container.mux(packet)
                packets, size = packets + 1, size + n
                if packets == 1:
                    report("live")           # the header went out: connected and publishing
            taken += 1
            if taken % _REPORT_EVERY == 0:
                report("sent", packets, size, t)
            item = _read_packet(source)
        report("sent", packets, size, t)
    finally:
        container.close()                    # the trailer; on a dead socket this fails too
