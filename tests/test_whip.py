"""WHIP push: a real aiortc WHIP receiver on 127.0.0.1 gets our packets; the push survives the
receiver dying and coming back, and reports a refused token."""
from __future__ import annotations

import asyncio
import contextlib
import itertools

import pytest
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from fakes import BackoffClock, until
from streaming.broadcast import Broadcast
from streaming.webrtc import only_host_addresses
from streaming.whip import WhipPush
from webrtc_helpers import LOOPBACK, SyntheticChannel, cut_network, serve

TOKEN = "s3cret"


class WhipReceiver:
    """A small WHIP endpoint (like an SFU's ingest) that decodes and counts what it receives."""

    def __init__(self):
        self.sessions: dict[str, RTCPeerConnection] = {}
        self.video = self.audio = self.bright = 0
        self.refused = self.deleted = 0
        self._ids = itertools.count(1)
        self._readers: set[asyncio.Task] = set()
        self.runner = None

    async def post(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.refused += 1
            return web.Response(status=401, text="bad token")
        assert request.content_type == "application/sdp"
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.on("track", lambda track: self._readers.add(asyncio.ensure_future(self._read(track))))
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        with only_host_addresses(LOOPBACK):
            await pc.setLocalDescription(await pc.createAnswer())
        session = str(next(self._ids))
        self.sessions[session] = pc
        return web.Response(status=201, text=pc.localDescription.sdp, content_type="application/sdp",
                            headers={"Location": f"/whip/session/{session}"})

    async def delete(self, request: web.Request) -> web.Response:
        pc = self.sessions.pop(request.match_info["session"], None)
        if pc is None:
            return web.Response(status=404)
        self.deleted += 1
        await pc.close()
        return web.Response(status=200)

    async def _read(self, track) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    self.video += 1
                    self.bright += frame.to_ndarray(format="rgb24").mean() > 40
                else:
                    self.audio += 1

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.add_routes([web.post("/whip", self.post),
                        web.delete("/whip/session/{session}", self.delete)])
        self.runner, base = await serve(app, port)
        return base + "/whip"

    async def die(self) -> None:
        """The SFU vanishes: sockets gone, no goodbye to the pushing peer."""
        await self.runner.cleanup()
        for pc in self.sessions.values():
            cut_network(pc)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pc.close(), 5)
        self.sessions.clear()

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        for pc in self.sessions.values():
            await pc.close()
        if self.runner:
            await self.runner.cleanup()


@pytest.fixture
async def channel():
    broadcast = Broadcast()
    synthetic = SyntheticChannel(broadcast).start()
    yield broadcast
    await synthetic.stop()


async def test_push_streams_and_reconnects_after_the_receiver_dies(channel):
    receiver = WhipReceiver()
    url = await receiver.start()
    push = WhipPush(url, channel, token=TOKEN, ice_hosts=LOOPBACK, backoff=(0.2, 1.0),
                    silent_after_s=1.5)
    try:
        await push.start()
        await until(lambda: receiver.video >= 10 and receiver.audio >= 20, 10)
        assert push.state == "live" and push.connects == 1
        assert receiver.bright == receiver.video, "black frames arrived"

        port = int(url.rsplit(":", 1)[1].split("/")[0])
        await receiver.die()
        await until(lambda: push.state in ("retrying", "connecting"), 5)
        assert "RTCP" in push.last_error or "failed" in push.last_error

        receiver = WhipReceiver()
        await receiver.start(port)
        await until(lambda: receiver.video >= 10 and receiver.audio >= 20, 15)
        assert push.state == "live" and push.connects == 2 and push.reconnects >= 1
        assert receiver.bright == receiver.video
        assert push.packets_sent > 0

        await push.stop()
        assert push.state == "stopped"
        assert receiver.deleted == 1 and not receiver.sessions
    finally:
        await push.stop()
        await receiver.close()


async def test_refused_token_is_reported_and_retried_with_backoff(channel):
    receiver = WhipReceiver()
    url = await receiver.start()
    clock = BackoffClock()
    push = WhipPush(url, channel, token="wrong", ice_hosts=LOOPBACK, backoff=(0.1, 0.8),
                    clock=clock)
    try:
        await push.start()
        await until(lambda: receiver.refused >= 5, 15)
        assert push.state in ("retrying", "connecting")
        assert "401" in push.last_error
        assert push.connects == 0 and receiver.video == 0
        assert clock.delays[:4] == [0.1, 0.2, 0.4, 0.8], clock.delays    # exponential backoff
    finally:
        await push.stop()
        await receiver.close()
    assert channel.wanted() == set()
