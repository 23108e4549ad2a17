"""RTMP push against a real nginx-rtmp on loopback, read back with PyAV.

The broadcast's "h264" and "aac" feeds are fed in real time by a small encoder made here
(libx264 zerolatency baseline with in-band headers, AAC 48 kHz stereo), standing in for the
channel's LiveEncoder: a white bar sweeping across a dark picture, and a 440 Hz tone.
"""
from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import numpy as np
import pytest

from fakes import BackoffClock, until as until_true
from anchor.errors import OutputError
from nginx_rtmp import free_port, nginx_rtmp  # noqa: F401  (the fixture)
from streaming.broadcast import Broadcast
from streaming.rtmp import RtmpPush

W, H, FPS, RATE = 320, 240, 25, 48_000
AAC_FRAME = 1024
KEY = "secret-key-123"
FAST = dict(backoff=(0.2, 1.0))
PATIENCE = 15.0                   # seconds any single wait in these tests may take
PER_SECOND = FPS + RATE / AAC_FRAME   # packets in one second of media (video + audio)


class Feeder:
    """Encodes a moving picture and a tone at real time into the broadcast's feeds."""

    def __init__(self, broadcast: Broadcast):
        self.broadcast = broadcast
        self.video = av.CodecContext.create("libx264", "w")
        self.video.width, self.video.height, self.video.pix_fmt = W, H, "yuv420p"
        self.video.time_base, self.video.framerate = Fraction(1, FPS), FPS
        self.video.gop_size = 2 * FPS
        self.video.max_b_frames = 0
        self.video.flags |= av.codec.context.Flags.global_header
        self.video.options = {"preset": "veryfast", "tune": "zerolatency",
                              "profile": "baseline", "forced-idr": "1",
                              "x264-params": "repeat-headers=1"}
        self.audio = av.CodecContext.create("aac", "w")
        self.audio.sample_rate, self.audio.layout, self.audio.format = RATE, "stereo", "fltp"
        self.audio.time_base = Fraction(1, RATE)
        self.audio.flags |= av.codec.context.Flags.global_header
        self.frames = 0
        self.samples = 0
        self.keyframe_wanted = False

    def _frame(self) -> av.VideoFrame:
        if self.broadcast.take_keyframe_requests(frozenset({"h264"})):
            self.keyframe_wanted = True
        img = np.full((H, W, 3), 40, np.uint8)
        x = (self.frames * 6) % (W - 24)
        img[:, x:x + 24] = 230
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = self.frames, self.video.time_base
        if self.keyframe_wanted:
            frame.pict_type = av.video.frame.PictureType.I
            self.keyframe_wanted = False
        return frame

    def _tone(self) -> av.AudioFrame:
        t = np.arange(self.samples, self.samples + AAC_FRAME) / RATE
        wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = RATE, self.samples, self.audio.time_base
        return frame

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            for packet in self.video.encode(self._frame()):
                self.broadcast["h264"].publish(packet)
            self.frames += 1
            while self.samples * FPS < self.frames * RATE:
                for packet in self.audio.encode(self._tone()):
                    self.broadcast["aac"].publish(packet)
                self.samples += AAC_FRAME
            await asyncio.sleep(max(0.0, start + self.frames / FPS - loop.time()))


@pytest.fixture
async def feeder():
    feeder = Feeder(Broadcast())
    task = asyncio.create_task(feeder.run())
    yield feeder
    assert not task.done(), "the channel's encoder stopped: the push disturbed it"
    task.cancel()


async def until(push: RtmpPush, state: str) -> None:
    await asyncio.wait_for(push.until(state), PATIENCE)


async def until_sent(push: RtmpPush, seconds: float, since: int = 0) -> None:
    """Wait until the ingest has taken `seconds` of media more than `since` packets."""
    await until_true(lambda: push.packets_sent >= since + seconds * PER_SECOND, PATIENCE)


def read_back(path) -> dict:
    """What a viewer of the recording gets: decoded pictures and sound."""
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        info = {"size": (video.codec_context.width, video.codec_context.height),
                "audio_rate": audio.codec_context.sample_rate,
                "channels": audio.codec_context.channels, "frames": 0, "samples": 0,
                "bright": [], "rms": [], "end": 0.0}
        for frame in container.decode(video=0, audio=0):
            info["end"] = max(info["end"], float(frame.time or 0))
            if isinstance(frame, av.VideoFrame):
                info["frames"] += 1
                gray = frame.to_ndarray(format="gray")
                info["bright"].append(int(np.argmax(gray.mean(axis=0))))
            else:
                pcm = frame.to_ndarray()
                info["samples"] += pcm.shape[-1]
                info["rms"].append(float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))))
    return info


def assert_plays(info: dict, at_least_s: float) -> None:
    assert info["size"] == (W, H)
    assert info["audio_rate"] == RATE and info["channels"] == 2
    assert info["frames"] >= at_least_s * FPS * 0.8, info["frames"]
    assert info["samples"] >= at_least_s * RATE * 0.8, info["samples"]
    assert at_least_s * 0.8 <= info["end"] <= at_least_s + 6, info["end"]
    # the bar moves (the picture is alive, not one frozen frame) and the tone is audible
    assert len(set(info["bright"])) > info["frames"] // 4
    assert np.median(info["rms"]) > 0.1


async def test_push_arrives_at_nginx_as_h264_and_aac(nginx_rtmp, feeder):
    push = RtmpPush(nginx_rtmp.url(KEY), feeder.broadcast, **FAST)
    await push.start()
    await until(push, "live")
    await until_sent(push, 3.0)
    await asyncio.wait_for(push.stop(), PATIENCE)
    assert push.state == "stopped"
    assert push.connections == 1 and push.reconnects == 0 and push.last_error == ""
    assert push.packets_sent >= 3 * PER_SECOND
    assert push.bytes_sent > 10_000
    assert feeder.broadcast.wanted() == set(), "the push left its subscriptions open"
    [recording] = nginx_rtmp.recordings(KEY)
    assert_plays(read_back(recording), 3.0)


async def test_push_survives_the_server_dying_and_reconnects(nginx_rtmp, feeder):
    push = RtmpPush(nginx_rtmp.url(KEY), feeder.broadcast, **FAST)
    await push.start()
    await until(push, "live")
    await until_sent(push, 1.5)
    nginx_rtmp.stop()                                  # the server crashes mid-stream
    await until(push, "retrying")
    assert push.last_error and KEY not in push.last_error
    # a refused attempt meanwhile: tried again, and back to waiting
    await until_true(lambda: push.reconnects >= 1 and push.state == "retrying", PATIENCE)
    assert push.connections == 1
    sent_while_down = push.packets_sent
    nginx_rtmp.start()
    await until(push, "live")
    await until_sent(push, 2.5, since=sent_while_down)
    await asyncio.wait_for(push.stop(), PATIENCE)
    assert push.connections == 2 and push.reconnects >= 1
    assert push.packets_sent > sent_while_down + 2 * FPS
    first, second = nginx_rtmp.recordings(KEY)
    assert read_back(first)["frames"] >= 1.5 * FPS * 0.8
    assert_plays(read_back(second), 2.5)


async def test_refused_connection_retries_with_backoff(feeder):
    port = free_port()                                 # nothing listens there
    clock = BackoffClock()
    push = RtmpPush(f"rtmp://127.0.0.1:{port}/live/{KEY}", feeder.broadcast,
                    backoff=(0.1, 0.4), clock=clock)
    published = feeder.broadcast["h264"].packets
    await push.start()
    await until(push, "retrying")
    await until_true(lambda: len(clock.delays) >= 5, PATIENCE)
    assert push.state in ("retrying", "connecting")
    assert "refused" in push.last_error.lower() and KEY not in push.last_error
    # each refused attempt waits longer: 0.1, 0.2, 0.4, then at most 0.4 s - not a busy loop
    assert clock.delays[:5] == [0.1, 0.2, 0.4, 0.4, 0.4], clock.delays
    assert push.reconnects >= 4
    assert push.connections == 0 and push.packets_sent == 0
    assert feeder.broadcast["h264"].packets > published      # the channel goes on
    await asyncio.wait_for(push.stop(), PATIENCE)
    assert push.state == "stopped"
    assert feeder.broadcast.wanted() == set()


async def test_silent_server_is_given_up_after_the_stall_limit(feeder):
    """A server that accepts the connection and never answers the RTMP handshake."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader, writer):
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    push = RtmpPush(f"rtmp://127.0.0.1:{port}/live/{KEY}", feeder.broadcast,
                    backoff=(0.2, 1.0), stall_s=1.0)
    try:
        await push.start()
        published = feeder.broadcast["h264"].packets
        # (on a loaded machine the sender may take longer than stall_s to start: that attempt
        # is given up too, and the next one connects)
        await until_true(lambda: held, PATIENCE)    # connected; the handshake never ends
        await until(push, "retrying")
        assert "no data" in push.last_error
        # while the sender hung in the handshake, the channel kept its pace
        assert feeder.broadcast["h264"].packets - published >= 0.8 * FPS
        await asyncio.wait_for(push.stop(), PATIENCE)
        assert push.state == "stopped"
    finally:
        for writer in held:
            writer.close()                             # lets the abandoned thread finish
        server.close()
        await asyncio.wait_for(server.wait_closed(), PATIENCE)


@pytest.mark.parametrize("url", [
    "", "http://127.0.0.1/live/key", "127.0.0.1/live/key", "rtmp:///live/key",
    "rtmp://127.0.0.1/live", "rtmp://127.0.0.1:99999/live/key", "rtmp://127.0.0.1:x/live/key",
    "rtmp://127.0.0.1/live/my key", "rtmp://127.0.0.1/live/key\n",
])
def test_invalid_url_is_refused_at_construction(url):
    with pytest.raises(OutputError, match="RTMP target"):
        RtmpPush(url, Broadcast())


def test_stream_key_is_masked_in_what_is_shown():
    push = RtmpPush(f"rtmp://ingest.example:1935/app/{KEY}", Broadcast())
    assert push.state == "stopped"
    assert KEY not in repr(push) and KEY not in push.shown_url
    assert push.shown_url == "rtmp://ingest.example:1935/app/****"
