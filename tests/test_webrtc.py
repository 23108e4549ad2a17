"""WebRTC viewers over WHEP: real aiortc clients on 127.0.0.1 receive the broadcast's packets."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import weakref

import aiohttp
import av
import fractions
import numpy as np
import psutil
import pytest
from aiohttp import web
from aiortc import RTCPeerConnection

from streaming.broadcast import Broadcast
from streaming.webrtc import BadOffer, WebRTCViewers, whep_routes
from webrtc_helpers import (LOOPBACK, SyntheticChannel, accept_answer, cut_network, frames,
                            read_index, receiving_client, serve)


@pytest.fixture
async def channel():
    broadcast = Broadcast()
    synthetic = SyntheticChannel(broadcast).start()
    yield broadcast, synthetic
    await synthetic.stop()


@pytest.fixture
async def whep(channel):
    broadcast, synthetic = channel
    viewers = WebRTCViewers(broadcast, ice_hosts=LOOPBACK)
    app = web.Application()
    app.add_routes(whep_routes(viewers, prefix="/whep"))
    runner, base = await serve(app)
    async with aiohttp.ClientSession() as http:
        yield viewers, http, base, synthetic
    await viewers.close_all()
    await runner.cleanup()


def video_section(sdp: str) -> str:
    return sdp.split("m=video", 1)[1].split("m=audio", 1)[0]


async def test_whep_viewer_sees_moving_picture_and_hears_the_tone(whep):
    viewers, http, base, synthetic = whep
    pc, offer = await receiving_client()
    async with asyncio.timeout(20):
        posted = time.monotonic()
        async with http.post(base + "/whep", data=offer,
                             headers={"Content-Type": "application/sdp"}) as reply:
            assert reply.status == 201
            assert reply.content_type == "application/sdp"
            location = reply.headers["Location"]
            answer = await reply.text()
        assert location.startswith("/whep/") and viewers.count == 1
        assert "H264" in video_section(answer) and "VP8" not in video_section(answer)
        assert "127.0.0.1" in answer
        tracks = await accept_answer(pc, answer)
        video = await tracks["video"]
        first = await video.recv()
        first_after = time.monotonic() - posted
        later = await frames(video, 24, timeout=5)
        audio = await (await tracks["audio"]).recv()
        sound = [await (await tracks["audio"]).recv() for _ in range(10)]

        assert first_after < 1.0, f"first video frame after {first_after:.2f} s"
        pictures = [f.to_ndarray(format="rgb24") for f in [first, *later]]
        assert (first.width, first.height) == (320, 240)
        assert all(p.mean() > 40 for p in pictures), "black frames"
        indices = [read_index(p) for p in pictures]
        assert indices == sorted(indices) and indices[-1] - indices[0] >= 20, indices
        assert np.abs(pictures[0].astype(int) - pictures[-1].astype(int)).mean() > 1, "not moving"
        assert audio.sample_rate == 48000
        assert max(np.abs(a.to_ndarray()).max() for a in sound) > 1000, "silent audio"

        async with http.delete(base + location) as reply:
            assert reply.status == 200
        assert viewers.count == 0
        async with http.delete(base + location) as reply:
            assert reply.status == 404
        await pc.close()


async def test_offer_without_h264_gets_vp8(channel):
    broadcast, synthetic = channel
    viewers = WebRTCViewers(broadcast, ice_hosts=LOOPBACK)
    pc, offer = await receiving_client(video_codec="vp8")
    async with asyncio.timeout(10):
        viewer_id, answer = await viewers.offer(offer)
        assert "VP8" in video_section(answer) and "H264" not in video_section(answer)
        tracks = await accept_answer(pc, answer)
        got = await frames(await tracks["video"], 5, timeout=5)
        assert got[-1].to_ndarray(format="rgb24").mean() > 40
        assert broadcast["vp8"].subscribers == 1 and broadcast["h264"].subscribers == 0
        await viewers.close(viewer_id)
        assert broadcast.wanted() == set()           # the encoder may stop encoding
        with pytest.raises(KeyError):
            await viewers.close(viewer_id)
        await pc.close()


async def test_bad_offers_are_refused(whep):
    viewers, http, base, synthetic = whep
    sendonly_pc, _ = await receiving_client()
    sendonly = sendonly_pc.localDescription.sdp.replace("a=recvonly", "a=sendonly")
    async with asyncio.timeout(10):
        for body in ["", "hello", "v=0\r\nthis is not sdp\r\n", "v=0\r\n" + "x" * 70_000, sendonly]:
            async with http.post(base + "/whep", data=body,
                                 headers={"Content-Type": "application/sdp"}) as reply:
                assert reply.status in (400, 413), (body[:30], reply.status)
                assert "\n" not in (await reply.text()).strip()
        async with http.post(base + "/whep", data="v=0",
                             headers={"Content-Type": "text/plain"}) as reply:
            assert reply.status == 415
        async with http.delete(base + "/whep/no-such-viewer") as reply:
            assert reply.status == 404
        with pytest.raises(BadOffer):
            await viewers.offer("garbage")
    assert viewers.count == 0
    await sendonly_pc.close()


async def test_viewers_that_vanish_without_delete_are_closed(channel):
    broadcast, synthetic = channel
    assert WebRTCViewers(broadcast).vanish_after_s <= 30
    viewers = WebRTCViewers(broadcast, ice_hosts=LOOPBACK, vanish_after_s=1.5)
    pc, offer = await receiving_client()
    silent_pc, silent_offer = await receiving_client()
    async with asyncio.timeout(15):
        _, answer = await viewers.offer(offer)
        await viewers.offer(silent_offer)           # never applies the answer, never connects
        tracks = await accept_answer(pc, answer)
        await frames(await tracks["video"], 3, timeout=5)
        assert viewers.count == 2 and broadcast["h264"].subscribers == 1
        cut_network(pc)
        cut = time.monotonic()
        while viewers.count:
            await asyncio.sleep(0.1)
        gone_after = time.monotonic() - cut
    assert gone_after < 5, gone_after
    assert viewers.vanished == 2
    assert broadcast.wanted() == set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(pc.close(), 5)
    await silent_pc.close()
    await viewers.close_all()


def peer_connections() -> int:
    gc.collect()
    # type(), not isinstance(): a dead weak proxy among the objects (torch leaves some) raises
    # ReferenceError when isinstance() asks it for its class
    return sum(type(o) is RTCPeerConnection for o in gc.get_objects())


async def test_500_viewers_joining_and_leaving_leak_nothing(whep):
    viewers, http, base, synthetic = whep
    clients: weakref.WeakSet = weakref.WeakSet()

    async def join_and_leave() -> None:
        pc, offer = await receiving_client()
        clients.add(pc)
        connected = asyncio.Event()
        pc.on("connectionstatechange",
              lambda: pc.connectionState == "connected" and connected.set())
        async with http.post(base + "/whep", data=offer,
                             headers={"Content-Type": "application/sdp"}) as reply:
            assert reply.status == 201
            location, answer = reply.headers["Location"], await reply.text()
        await accept_answer(pc, answer)
        await connected.wait()
        async with http.delete(base + location) as reply:
            assert reply.status == 200
        await pc.close()

    async def batches(cycles: int, size: int = 50) -> None:
        for _ in range(cycles // size):
            await asyncio.gather(*(join_and_leave() for _ in range(size)))
            assert viewers.count == 0

    process = psutil.Process()
    async with asyncio.timeout(60):
        await batches(50)                           # warm-up: imports, caches, allocator pools
        baseline = process.memory_info().rss
        await batches(500)
    gc.collect()
    grown_mb = (process.memory_info().rss - baseline) / 2**20
    assert viewers.count == 0 and viewers.joined == viewers.left == 550
    assert len(clients) == 0
    assert peer_connections() == 0
    assert broadcast_idle(viewers)
    assert grown_mb < 25, f"RSS grew {grown_mb:.1f} MB over 500 join/leave cycles"
    leftover = [t for t in asyncio.all_tasks() if "aiortc" in repr(t.get_coro())]
    assert not leftover, leftover[:3]


def broadcast_idle(viewers: WebRTCViewers) -> bool:
    return viewers.broadcast.wanted() == set()


def test_h264_packets_are_packetized_once_for_every_viewer(monkeypatch):
    """aiortc would split each encoded packet into RTP payloads once per viewer."""
    from aiortc.codecs.h264 import H264Encoder
    from streaming.broadcast import Broadcast
    from streaming.webrtc import WebRTCViewers

    WebRTCViewers(Broadcast())
    calls = []
    split = H264Encoder._split_bitstream
    monkeypatch.setattr(H264Encoder, "_split_bitstream",
                        staticmethod(lambda buf: calls.append(1) or split(buf)))
    packet = av.Packet(b"\x00\x00\x00\x01\x65" + bytes(3000))
    packet.pts, packet.time_base = 7, fractions.Fraction(1, 25)
    results = [H264Encoder().pack(packet) for _ in range(20)]     # twenty viewers
    assert len(calls) == 1
    assert all(r == results[0] for r in results) and len(results[0][0]) >= 3   # MTU-sized parts
