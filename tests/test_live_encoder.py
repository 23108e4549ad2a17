"""The live encoder with real PyAV: paced program media in, packets of every wanted feed out,
decoded back to check what a viewer would see and hear."""
from __future__ import annotations

import asyncio
import io
import math
from fractions import Fraction

import av
import numpy as np
import pytest

from anchor.clock import VirtualClock
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, VideoFrame
from streaming.broadcast import Broadcast
from streaming.encoders import LiveEncoder
from streaming.pacer import Pacer

W, H, FPS = 160, 96, 25
TB = Fraction(1, FPS)
TICK = PROGRAM_RATE // FPS
TONE_HZ = 440


def shade(n: int) -> int:
    return 40 + (n * 7) % 180


def picture(n: int) -> np.ndarray:
    """A flat grey whose level says which frame it is, with a bar that moves."""
    image = np.full((H, W, 3), shade(n), np.uint8)
    image[:, (n * 3) % (W - 8):(n * 3) % (W - 8) + 8] = (250, 30, 30)
    return image


def tone(start: int, length: int) -> np.ndarray:
    t = np.arange(start, start + length) / PROGRAM_RATE
    return (9000 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.int16)


def program_items(seconds: float):
    """Program items as the render makes them: audio first, then the frames."""
    samples = round(seconds * PROGRAM_RATE)
    yield AudioBlock(tone(0, samples), 0)
    yield Caption("hello", 0, samples)
    for n in range(math.ceil(samples / TICK)):
        yield VideoFrame(picture(n), n, TB)


class Collector:
    """Subscribes to feeds and keeps every packet it receives."""

    def __init__(self, broadcast, names):
        self.subs = {name: broadcast[name].subscribe(max_ms=60_000) for name in names}
        self.packets = {name: [] for name in names}

    def take(self):
        for name, sub in self.subs.items():
            while sub._queue:
                self.packets[name].append(sub._queue.popleft())


async def feed(encoder: LiveEncoder, first: int, last: int, *, between=None):
    """Frames first..last-1 as a pacer emits them: two 20 ms audio blocks, then the tick."""
    for n in range(first, last):
        for half in range(2):
            start = n * TICK + half * TICK // 2
            encoder.audio(AudioBlock(tone(start, TICK // 2), start))
        encoder.video(VideoFrame(picture(n), n, TB), False)
        if between:
            await encoder.drain()
            between(n)


def decode_video(codec: str, packets, extradata=None):
    ctx = av.CodecContext.create(codec, "r")
    if extradata:
        ctx.extradata = extradata
    frames = []
    for packet in packets:
        frames += ctx.decode(packet)
    frames += ctx.decode(None)
    return frames


def decode_audio(codec: str, packets, extradata=None) -> np.ndarray:
    """Decode as a receiver does (WebRTC's Opus carries no header: rate and layout are known)."""
    ctx = av.CodecContext.create(codec, "r")
    ctx.sample_rate, ctx.layout = PROGRAM_RATE, "stereo"
    if extradata:
        ctx.extradata = extradata
    chunks = []
    for packet in packets:
        chunks += [_left(frame) for frame in ctx.decode(packet)]
    return np.concatenate(chunks)


def _left(frame: av.AudioFrame) -> np.ndarray:
    """The left channel as float in [-1, 1]."""
    data = frame.to_ndarray()
    left = data[0] if frame.format.is_planar else data[0, ::2]
    if left.dtype == np.int16:
        return left.astype(np.float32) / 32768
    return left.astype(np.float32)


def dominant_hz(signal: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.argmax(spectrum) * PROGRAM_RATE / len(signal))


def nal_types(data: bytes) -> list[int]:
    """NAL unit types of an Annex B byte stream."""
    types, i = [], 0
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0 or i + 3 >= len(data):
            return types
        types.append(data[i + 3] & 0x1F)
        i += 3


async def test_paced_program_decodes_back_on_every_feed():
    broadcast = Broadcast()
    encoder = LiveEncoder(broadcast, width=W, height=H, fps=FPS, max_queue_ms=60_000)
    got = Collector(broadcast, ("h264", "vp8", "opus", "aac"))
    clock = VirtualClock()
    pacer = Pacer(fps=FPS, clock=clock, buffer_ms=500)

    async def produce():
        for item in program_items(3.0):
            await pacer.put(item)

    async def scenario():
        running = asyncio.create_task(pacer.run(encoder))
        await produce()
        while pacer.stats.audio_ms_out < 3000:
            await clock.sleep_until(clock.now() + 0.02)
        pacer.stop()
        await running
        await encoder.drain()

    try:
        await asyncio.wait_for(scenario(), 30)
    finally:
        encoder.close()
    got.take()
    frames_out = pacer.stats.frames_out
    assert frames_out == 75
    for codec in ("h264", "vp8"):
        frames = decode_video(codec, got.packets[codec])
        assert len(frames) == frames_out, codec
        for frame in frames:
            image = frame.to_ndarray(format="rgb24")
            n = frame.pts
            assert abs(float(np.median(image)) - shade(n)) < 6, (codec, n)  # the right picture
            bar = image[:, (n * 3) % (W - 8) + 2:(n * 3) % (W - 8) + 6]
            assert bar[..., 0].mean() > 180 and bar[..., 1].mean() < 90, (codec, n)
    assert encoder.stats.frames["h264"] == encoder.stats.frames["vp8"] == frames_out
    for codec, extradata in (("opus", None), ("aac", encoder.extradata("aac"))):
        pcm = decode_audio(codec, got.packets[codec], extradata)
        assert abs(len(pcm) - 3 * PROGRAM_RATE) < 2048, codec      # all of it (codec padding)
        middle = pcm[PROGRAM_RATE // 2:PROGRAM_RATE // 2 + 16384]
        assert abs(dominant_hz(middle) - TONE_HZ) < 5, codec
        assert 0.15 < np.sqrt(np.mean(middle ** 2)) < 0.25, codec        # 9000/32768/sqrt(2)
        pts = [p.pts for p in got.packets[codec]]
        assert all(b > a for a, b in zip(pts, pts[1:])) and got.packets[codec][0].time_base == \
            Fraction(1, PROGRAM_RATE)


async def test_a_joining_viewer_starts_on_a_keyframe_within_a_second():
    broadcast = Broadcast()
    encoder = LiveEncoder(broadcast, width=W, height=H, fps=FPS, keyint_s=4.0,
                          max_queue_ms=60_000)
    first = Collector(broadcast, ("h264", "vp8"))
    late: dict[str, Collector] = {}

    def join(n):
        if n == 37:                      # mid-GOP: the next natural keyframe is at frame 100
            late["c"] = Collector(broadcast, ("h264", "vp8"))

    try:
        await asyncio.wait_for(feed(encoder, 0, 60, between=join), 30)
        await encoder.drain()
    finally:
        encoder.close()
    first.take()
    late["c"].take()
    for codec in ("h264", "vp8"):
        packets = late["c"].packets[codec]
        assert packets[0].is_keyframe, codec
        assert (packets[0].pts - 37) * TB <= 1, codec          # within 1 s of stream time
        assert packets[0].pts == 38, codec                     # in fact the very next frame
        # it decodes on its own from there: every packet gives a picture
        assert len(decode_video(codec, packets)) == len(packets) == 60 - 38
        # the viewer already watching got one extra keyframe, and nothing else changed
        keys = [p.pts for p in first.packets[codec] if p.is_keyframe]
        assert keys == [0, 38], codec
        assert len(first.packets[codec]) == 60


async def test_only_wanted_feeds_are_encoded():
    broadcast = Broadcast()
    encoder = LiveEncoder(broadcast, width=W, height=H, fps=FPS, max_queue_ms=60_000)
    got = Collector(broadcast, ("h264", "opus"))
    try:
        await asyncio.wait_for(feed(encoder, 0, 20), 30)
        await encoder.drain()
        frames = dict(encoder.stats.frames)
        assert frames["vp8"] == 0 and frames["aac"] == 0
        assert broadcast["vp8"].packets == 0 and broadcast["aac"].packets == 0
        assert frames["h264"] == 20 and frames["opus"] == 20 * 2   # 20 ms opus frames
        # nobody at all: nothing is encoded, not even converted
        for sub in got.subs.values():
            sub.close()
        converted = encoder._converted
        await asyncio.wait_for(feed(encoder, 20, 30), 30)
        await encoder.drain()
        assert dict(encoder.stats.frames) == frames and encoder._converted == converted
        # a vp8 viewer arrives: its encoder opens on a keyframe
        vp8 = Collector(broadcast, ("vp8",))
        await asyncio.wait_for(feed(encoder, 30, 40), 30)
        await encoder.drain()
    finally:
        encoder.close()
    vp8.take()
    assert encoder.stats.frames["vp8"] == 10 and encoder.stats.frames["h264"] == 20
    assert vp8.packets["vp8"][0].is_keyframe and vp8.packets["vp8"][0].pts == 30


async def test_h264_is_annex_b_with_headers_inline_and_in_extradata():
    broadcast = Broadcast()
    encoder = LiveEncoder(broadcast, width=W, height=H, fps=FPS, keyint_s=1.0,
                          max_queue_ms=60_000)
    got = Collector(broadcast, ("h264",))
    try:
        await asyncio.wait_for(feed(encoder, 0, 60), 30)
        await encoder.drain()
    finally:
        encoder.close()
    got.take()
    packets = got.packets["h264"]
    assert len(packets) == 60
    assert [p.pts for p in packets if p.is_keyframe] == [0, 25, 50]   # keyint_s * fps
    for p in packets:
        data = bytes(p)
        assert data.startswith(b"\x00\x00\x00\x01") or data.startswith(b"\x00\x00\x01")
        types = nal_types(data)
        assert p.dts == p.pts                                   # no B-frames
        if p.is_keyframe:
            assert {7, 8, 5} <= set(types), types               # SPS, PPS, IDR inline
        else:
            assert 1 in types and 7 not in types and 5 not in types
    extradata = encoder.extradata("h264")
    assert extradata and {7, 8} <= set(nal_types(extradata))
    assert extradata[5] == 66 and extradata[6] & 0x40          # constrained baseline
    # the inline SPS/PPS are the ones in the extradata
    assert extradata in bytes(packets[0]) or extradata.lstrip(b"\x00") in bytes(packets[0])
    # what the RTMP push does: these packets in FLV make a stream a player can read
    out = io.BytesIO()
    with av.open(out, "w", format="flv") as flv:
        video = flv.add_mux_stream("h264", rate=FPS, width=W, height=H)
        for p in packets:
            p.stream = video
            flv.mux(p)
    out.seek(0)
    with av.open(out, "r", format="flv") as flv:
        stream = flv.streams.video[0]
        assert stream.codec_context.extradata[0] == 1            # an avcC record was written
        decoded = [f for f in flv.decode(stream)]
    assert len(decoded) == 60
    assert abs(float(decoded[40].to_ndarray(format="rgb24")[:, -4:].mean()) - shade(40)) < 6


async def test_a_slow_encoder_drops_video_not_audio():
    broadcast = Broadcast()
    encoder = LiveEncoder(broadcast, width=W, height=H, fps=FPS, max_queue_ms=200)
    got = Collector(broadcast, ("h264", "opus"))
    try:
        await asyncio.wait_for(feed(encoder, 0, 50), 30)   # 2 s handed over at once
        await encoder.drain()
    finally:
        encoder.close()
    got.take()
    s = encoder.stats
    assert s.frames_dropped > 0 and s.frames["h264"] + s.frames_dropped == 50
    assert s.frames["h264"] <= 50 and len(got.packets["h264"]) == s.frames["h264"]
    assert s.frames["opus"] == 100 and s.audio_dropped == 0       # every 20 ms of sound
    assert s.queue_ms == 0 and s.queue_depth == 0


def test_bad_settings_are_refused():
    from anchor.errors import OutputError
    with pytest.raises(OutputError, match="even"):
        LiveEncoder(Broadcast(), width=161, height=96, fps=25)
    with pytest.raises(OutputError, match="preset"):
        LiveEncoder(Broadcast(), width=160, height=96, fps=25, preset="warp")
