"""Trickle ICE over WHEP (RFC 9725): a real aiortc viewer that sends its offer without its
candidates, PATCHes them afterwards to its resource, and then receives the broadcast."""
from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from streaming.broadcast import Broadcast
from streaming.webrtc import TRICKLE_TYPE, WebRTCViewers, whep_routes
from webrtc_helpers import LOOPBACK, SyntheticChannel, accept_answer, frames, receiving_client, serve


def without_candidates(sdp: str) -> tuple[str, list[str]]:
    """The offer with its a=candidate and a=end-of-candidates lines taken out, and those
    candidate lines."""
    lines = sdp.splitlines()
    candidates = [line for line in lines if line.startswith("a=candidate:")]
    kept = [line for line in lines if not line.startswith(("a=candidate:", "a=end-of-candidates"))]
    return "\r\n".join(kept) + "\r\n", candidates


def fragment(sdp: str, candidates: list[str], *, ufrag: str | None = None) -> str:
    """An RFC 8840 fragment for the offer's first (bundled) media section."""
    lines = sdp.splitlines()
    first_m = next(i for i, line in enumerate(lines) if line.startswith("m="))
    mid = next(line for line in lines[first_m:] if line.startswith("a=mid:"))
    own = next(line for line in lines if line.startswith("a=ice-ufrag:"))
    pwd = next(line for line in lines if line.startswith("a=ice-pwd:"))
    return "\r\n".join([f"a=ice-ufrag:{ufrag}" if ufrag else own, pwd,
                        "m=" + lines[first_m][2:], mid, *candidates,
                        "a=end-of-candidates"]) + "\r\n"


async def test_a_viewer_that_trickles_its_candidates_gets_the_stream():
    broadcast = Broadcast()
    synthetic = SyntheticChannel(broadcast).start()
    viewers = WebRTCViewers(broadcast, ice_hosts=LOOPBACK)
    app = web.Application()
    app.add_routes(whep_routes(viewers, prefix="/whep"))
    runner, base = await serve(app)
    pc, offer = await receiving_client()
    bare, candidates = without_candidates(offer)
    assert candidates and all(" 127.0.0.1 " in c for c in candidates)
    trickle = {"Content-Type": TRICKLE_TYPE}
    try:
        async with asyncio.timeout(20), aiohttp.ClientSession(base_url=base) as http:
            async with http.post("/whep", data=bare,
                                 headers={"Content-Type": "application/sdp"}) as reply:
                assert reply.status == 201
                location, answer = reply.headers["Location"], await reply.text()
            (viewer,) = viewers._viewers.values()
            ice = viewer.pc.getTransceivers()[0].receiver.transport.transport
            assert ice.getRemoteCandidates() == []          # nothing to reach the viewer on yet

            restart = fragment(offer, candidates, ufrag="another")
            async with http.patch(location, data=restart, headers=trickle) as reply:
                assert reply.status == 501                   # an ICE restart: refused, not mixed in
            assert ice.getRemoteCandidates() == []

            async with http.patch(location, data=fragment(offer, candidates),
                                  headers=trickle) as reply:
                assert reply.status == 204
            remote = {(c.ip, c.port) for c in ice.getRemoteCandidates()}
            sent = {(c.split()[4], int(c.split()[5])) for c in candidates}
            assert remote == sent                            # before the viewer said anything

            tracks = await accept_answer(pc, answer)
            got = await frames(await tracks["video"], 5, timeout=10)
            assert got[-1].to_ndarray(format="rgb24").mean() > 40
            async with http.patch("/whep/nobody", data=fragment(offer, candidates),
                                  headers=trickle) as reply:
                assert reply.status == 404
    finally:
        await pc.close()
        await viewers.close_all()
        await runner.cleanup()
        await synthetic.stop()
