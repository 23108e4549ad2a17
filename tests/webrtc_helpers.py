"""Shared by the WebRTC/WHIP tests and bench/webrtc_viewers.py: a synthetic channel that encodes
a moving picture and a tone into a Broadcast in real time (like LiveEncoder will), and an aiortc
receiving client that stays on loopback."""
from __future__ import annotations

import asyncio
import time
from fractions import Fraction

import av
import numpy as np
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

from anchor.media import PROGRAM_RATE
from streaming.broadcast import Broadcast
from streaming.webrtc import only_host_addresses

LOOPBACK = ["127.0.0.1"]
CELL = 16          # the frame index is drawn as 16 black/white cells of CELL px in the top rows
BITS = 16


def draw_index(image: np.ndarray, index: int) -> None:
    for bit in range(BITS):
        on = (index >> bit) & 1
        image[:CELL, bit * CELL:(bit + 1) * CELL] = 255 if on else 0


def read_index(image: np.ndarray) -> int:
    """The frame index drawn by draw_index, read back from a decoded RGB picture."""
    row = image[CELL // 2, :, :].mean(axis=-1)
    return sum(1 << bit for bit in range(BITS) if row[bit * CELL + CELL // 2] > 128)


class SyntheticChannel:
    """Publishes h264/vp8 video and opus audio packets to a Broadcast at real time, encoding
    only wanted feeds, honouring keyframe requests. `published[i]` is time.monotonic() when
    video frame i was published."""

    def __init__(self, broadcast: Broadcast, *, width: int = 320, height: int = 240, fps: int = 25):
        assert width >= CELL * BITS
        self.broadcast, self.width, self.height, self.fps = broadcast, width, height, fps
        self.published: dict[int, float] = {}
        self.encoders: dict[str, av.CodecContext] = {}
        self.keyframe_wanted: set[str] = set()
        self.frames = 0
        self.audio_samples = 0
        self._task: asyncio.Task | None = None
        y, x = np.mgrid[0:height, 0:width]
        self._base = np.stack([x * 200 // width + 30, y * 200 // height + 30,
                               np.full_like(x, 120)], axis=-1).astype(np.uint8)

    def _encoder(self, name: str) -> av.CodecContext:
        if name not in self.encoders:
            if name == "opus":
                ctx = av.CodecContext.create("libopus", "w")
                ctx.sample_rate, ctx.layout, ctx.format = PROGRAM_RATE, "mono", "s16"
                ctx.time_base = Fraction(1, PROGRAM_RATE)
            else:
                codec = "libx264" if name == "h264" else "libvpx"
                ctx = av.CodecContext.create(codec, "w")
                ctx.width, ctx.height, ctx.pix_fmt = self.width, self.height, "yuv420p"
                ctx.time_base = Fraction(1, self.fps)
                ctx.framerate = Fraction(self.fps)
                ctx.bit_rate = 600_000
                ctx.gop_size = 2 * self.fps
                if name == "h264":
                    ctx.profile = "Constrained Baseline"
                    ctx.options = {"preset": "veryfast", "tune": "zerolatency", "forced-idr": "1",
                                   "x264-params": f"repeat-headers=1:keyint={2 * self.fps}"}
                    ctx.flags |= av.codec.context.Flags.global_header
                else:
                    ctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
            ctx.open()
            self.encoders[name] = ctx
            self.keyframe_wanted.add(name)
        return self.encoders[name]

    def picture(self, index: int) -> np.ndarray:
        image = self._base.copy()
        x = (index * 6) % (self.width - 60)
        image[80:140, x:x + 60] = (250, 220, 40)
        draw_index(image, index)
        return image

    def _publish_video(self, index: int) -> None:
        wanted = self.broadcast.wanted() & {"h264", "vp8"}
        if not wanted:
            return
        self.keyframe_wanted |= self.broadcast.take_keyframe_requests(wanted)
        frame = av.VideoFrame.from_ndarray(self.picture(index), format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = index, Fraction(1, self.fps)
        stamp = None
        for name in sorted(wanted):
            ctx = self._encoder(name)
            frame.pict_type = av.video.frame.PictureType.I if name in self.keyframe_wanted \
                else av.video.frame.PictureType.NONE
            self.keyframe_wanted.discard(name)
            for packet in ctx.encode(frame):
                packet.time_base = Fraction(1, self.fps)
                stamp = time.monotonic()
                self.broadcast[name].publish(packet)
        if stamp is not None:
            self.published[index] = stamp

    def _publish_audio(self) -> None:
        n = PROGRAM_RATE // 50
        t = (self.audio_samples + np.arange(n)) / PROGRAM_RATE
        pcm = (6000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        if "opus" in self.broadcast.wanted():
            frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
            frame.sample_rate, frame.pts = PROGRAM_RATE, self.audio_samples
            frame.time_base = Fraction(1, PROGRAM_RATE)
            for packet in self._encoder("opus").encode(frame):
                packet.time_base = Fraction(1, PROGRAM_RATE)
                self.broadcast["opus"].publish(packet)
        self.audio_samples += n

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        start, tick = loop.time(), 0
        while True:                                   # 20 ms ticks: audio each, video at fps
            self._publish_audio()
            if tick * self.fps // 50 >= self.frames:
                self._publish_video(self.frames)
                self.frames += 1
            tick += 1
            await asyncio.sleep(max(0.0, start + tick * 0.02 - loop.time()))

    def start(self) -> "SyntheticChannel":
        self._task = asyncio.get_running_loop().create_task(self.run())
        return self

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


async def receiving_client(video_codec: str | None = None) -> tuple[RTCPeerConnection, str]:
    """A loopback-only aiortc client with recvonly video+audio; returns (pc, offer SDP)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    video = pc.addTransceiver("video", direction="recvonly")
    if video_codec:
        video.setCodecPreferences([c for c in RTCRtpReceiver.getCapabilities("video").codecs
                                   if c.mimeType.lower() in (f"video/{video_codec}", "video/rtx")])
    pc.addTransceiver("audio", direction="recvonly")
    with only_host_addresses(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def accept_answer(pc: RTCPeerConnection, answer: str) -> dict[str, asyncio.Future]:
    """Apply the answer; returns futures resolving to the remote video and audio tracks."""
    loop = asyncio.get_running_loop()
    tracks = {"video": loop.create_future(), "audio": loop.create_future()}

    @pc.on("track")
    def on_track(track):
        if not tracks[track.kind].done():
            tracks[track.kind].set_result(track)

    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return tracks


async def frames(track, count: int, timeout: float) -> list:
    """The next `count` decoded frames of a track, within `timeout` seconds overall."""
    out = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            out.append(await track.recv())
    return out


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve an aiohttp app on 127.0.0.1; returns (runner, base URL)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


def cut_network(pc: RTCPeerConnection) -> None:
    """Close a peer connection's UDP sockets without any goodbye: the peer just vanishes."""
    for transceiver in pc.getTransceivers():
        connection = transceiver.receiver.transport.transport.iceGatherer._connection
        for protocol in connection._protocols:
            if protocol.transport is not None:
                protocol.transport.close()
