"""Overload degrades video, never the program's sound: the pacer and the encoder run on the
playout thread, so the loop that serves the viewers cannot hold the program up, and a viewer
whose sending falls behind loses video frames (skipping to a keyframe) while the others hear
every 20 ms of audio. Real PyAV encoders and real aiortc peers on 127.0.0.1."""
from __future__ import annotations

import asyncio
import threading
from fractions import Fraction

import numpy as np

from fakes import until
from anchor.clock import SystemClock, VirtualClock
from anchor.media import PROGRAM_RATE, AudioBlock, VideoFrame
from streaming.broadcast import Broadcast
from streaming.encoders import LiveEncoder
from streaming.pacer import Pacer
from streaming.playout import Playout
from streaming.webrtc import WebRTCViewers
from webrtc_helpers import LOOPBACK, accept_answer, frames, receiving_client

W, H, FPS = 320, 240, 25
TB = Fraction(1, FPS)
TICK = PROGRAM_RATE // FPS
PATIENCE = 20.0


def tone(start: int, length: int) -> np.ndarray:
    t = np.arange(start, start + length) / PROGRAM_RATE
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def picture(n: int) -> np.ndarray:
    image = np.full((H, W, 3), 60, np.uint8)
    x = (n * 6) % (W - 40)
    image[60:180, x:x + 40] = (240, 200, 40)
    return image


def program(frames_wanted: int | None = None):
    """Program items as the render makes them: 40 ms of audio, then its frame."""
    n = 0
    while frames_wanted is None or n < frames_wanted:
        yield AudioBlock(tone(n * TICK, TICK), n * TICK)
        yield VideoFrame(picture(n), n, TB)
        n += 1


class Recorder:
    """A PacedOutput (called on the playout thread) that sets `done` after `blocks` blocks."""

    def __init__(self, blocks: int):
        self.wanted, self.blocks, self.done = blocks, [], threading.Event()

    def video(self, frame, repeated):
        pass

    def audio(self, block):
        self.blocks.append(block)
        if len(self.blocks) >= self.wanted:
            self.done.set()

    def caption(self, c):
        pass


async def test_the_pacer_keeps_going_while_the_serving_loop_is_held_up():
    """The loop this test runs on is blocked outright (as a hundred viewers' sends would hold
    it); the program still comes out, every sample, without a stall."""
    frames_wanted = 2 * FPS
    pacer = Pacer(fps=FPS, clock=VirtualClock(), buffer_ms=10_000)
    for item in program(frames_wanted):
        pacer.offer(item)
    out = Recorder(blocks=frames_wanted * 2)
    playout = Playout(pacer, out)
    playout.start()
    try:
        finished = out.done.wait(PATIENCE)         # blocks this event loop: nothing runs on it
    finally:
        await asyncio.to_thread(playout.stop)
    assert finished, "the pacer needed the serving loop to emit"
    pcm = np.concatenate([b.pcm for b in out.blocks])
    assert np.array_equal(pcm, tone(0, frames_wanted * TICK))
    assert [b.pts for b in out.blocks] == [i * (PROGRAM_RATE // 50) for i in range(len(out.blocks))]
    assert pacer.stats.stalls == 0 and playout.error is None and not playout.running


class Gate:
    """A test double for a slow network: wraps the ICE transport's send of one server-side peer
    connection (aiortc's own code, below ours), which waits while the gate is closed."""

    def __init__(self, pc):
        self.open = asyncio.Event()
        self.open.set()
        for transceiver in pc.getTransceivers():
            ice = transceiver.sender.transport.transport
            if not getattr(ice._send, "gated", False):
                ice._send = self._wrap(ice._send)

    def _wrap(self, send):
        async def gated(data: bytes) -> None:
            await self.open.wait()
            await send(data)
        gated.gated = True
        return gated


async def read_all(track, into: list) -> None:
    while True:
        into.append(await track.recv())


async def test_a_viewer_that_falls_behind_loses_video_frames_not_the_others_sound():
    broadcast = Broadcast()
    encoder = LiveEncoder(broadcast, width=W, height=H, fps=FPS, video_bitrate=400_000)
    pacer = Pacer(fps=FPS, clock=SystemClock(), buffer_ms=1000)
    playout = Playout(pacer, encoder)
    viewers = WebRTCViewers(broadcast, ice_hosts=LOOPBACK)
    stopping = threading.Event()

    def render() -> None:                       # the render thread: as fast as backpressure lets
        for item in program():
            if stopping.is_set():
                return
            pacer.offer(item)

    renderer = threading.Thread(target=render, daemon=True)
    clients, readers = [], []
    try:
        playout.start()
        renderer.start()
        joined = {}
        for name in ("slow", "steady"):
            pc, offer = await receiving_client("h264")
            viewer_id, answer = await viewers.offer(offer)
            tracks = await accept_answer(pc, answer)
            video = await asyncio.wait_for(tracks["video"], PATIENCE)
            audio = await asyncio.wait_for(tracks["audio"], PATIENCE)
            await frames(video, 5, PATIENCE)          # connected and playing
            got = {"video": [], "audio": []}
            readers += [asyncio.create_task(read_all(video, got["video"])),
                        asyncio.create_task(read_all(audio, got["audio"]))]
            clients.append(pc)
            joined[name] = (viewer_id, got)
        slow_id, slow = joined["slow"]
        steady_id, steady = joined["steady"]
        stalls_before = pacer.stats.stalls
        heard_from = len(steady["audio"])

        # the slow viewer's link stops taking packets: its video backs up past the limit
        gate = Gate(viewers._viewers[slow_id].pc)
        gate.open.clear()
        await until(lambda: viewers.stats.skipped_by_viewer[slow_id] >= FPS, PATIENCE)  # 1 s skipped
        gate.open.set()
        seen = len(slow["video"])
        # it plays again, from a keyframe, and the steady viewer heard 3 s meanwhile
        await until(lambda: len(slow["video"]) >= seen + 2 * FPS, PATIENCE)
        await until(lambda: len(steady["audio"]) >= heard_from + 3 * 50, PATIENCE)

        stats = viewers.stats
        assert stats.skipped_by_viewer[slow_id] >= FPS
        assert stats.skipped_by_viewer[steady_id] == 0
        assert stats.video_frames_skipped >= stats.skipped_by_viewer[slow_id]
        assert pacer.stats.stalls == stalls_before == 0
        # the steady viewer heard every 20 ms of the program: no gap in its audio timestamps
        heard = steady["audio"][heard_from:]
        steps = {b.pts - a.pts for a, b in zip(heard, heard[1:])}
        assert steps == {960}, sorted(steps)
        sound = np.concatenate([f.to_ndarray().reshape(-1) for f in heard[-50:]])
        assert np.sqrt(np.mean(sound.astype(np.float64) ** 2)) > 1000     # the tone, not silence
    finally:
        stopping.set()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.to_thread(playout.stop)
        await asyncio.to_thread(renderer.join, 5)
        await viewers.close_all()
        for pc in clients:
            await pc.close()
        encoder.close()
