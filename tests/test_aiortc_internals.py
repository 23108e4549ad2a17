"""The private parts of aiortc (and aioice) that streaming/webrtc.py patches or calls, checked
against the installed release (the lock pins aiortc 1.16.0, aioice 0.13.0).

A new aiortc may rename, re-sign or stop calling any of them; our patches would then raise, or
worse, silently do nothing (viewers not packetized once, PLI lost, the loop not shared). Each
check fails with the name of the thing, the version found and the patch in webrtc.py that
depends on it: read that patch against the new release before moving the pin.
"""
from __future__ import annotations

import inspect
from importlib.metadata import version

import aioice.ice
import aiortc.rtcdtlstransport
import aiortc.rtcrtpsender
import pytest
from aiortc import (RTCDtlsTransport, RTCIceTransport, RTCPeerConnection, RTCRtpReceiver,
                    RTCRtpSender)
from aiortc.codecs.h264 import H264Encoder
from aiortc.sdp import candidate_from_sdp

VERSIONS = f"aiortc {version('aiortc')}, aioice {version('aioice')}"

# (what, the function, its parameters, a coroutine function?, who in streaming/webrtc.py relies on it)
RELIED_ON = [
    ("aioice.ice.get_host_addresses", lambda: aioice.ice.get_host_addresses,
     ("use_ipv4", "use_ipv6"), False, "only_host_addresses (replaces it)"),
    ("aiortc.codecs.h264.H264Encoder.pack", lambda: H264Encoder.pack,
     ("self", "packet"), False, "_share_h264_packing (wraps it)"),
    ("RTCRtpSender._handle_rtcp_packet", lambda: RTCRtpSender._handle_rtcp_packet,
     ("self", "packet"), True, "watch_peer (wraps it per sender)"),
    ("RTCRtpSender._send_keyframe", lambda: RTCRtpSender._send_keyframe,
     ("self",), False, "watch_peer (replaces it per sender)"),
    ("RTCDtlsTransport._send_rtp", lambda: RTCDtlsTransport._send_rtp,
     ("self", "data"), True, "share_the_loop (wraps it per transport)"),
    ("RTCRtpSender.send", lambda: RTCRtpSender.send, ("self", "parameters"), True,
     "guard_late_start (wraps it)"),
    ("RTCRtpReceiver.receive", lambda: RTCRtpReceiver.receive, ("self", "parameters"), True,
     "guard_late_start (wraps it)"),
    ("RTCDtlsTransport.start", lambda: RTCDtlsTransport.start, ("self", "remoteParameters"), True,
     "guard_late_start (wraps it)"),
    ("RTCIceTransport.start", lambda: RTCIceTransport.start, ("self", "remoteParameters"), True,
     "guard_late_start (wraps it)"),
    ("RTCPeerConnection.addIceCandidate", lambda: RTCPeerConnection.addIceCandidate,
     ("self", "candidate"), True, "WebRTCViewers.trickle (calls it)"),
    ("aiortc.sdp.candidate_from_sdp", lambda: candidate_from_sdp, ("sdp",), False,
     "parse_trickle (calls it)"),
]

# The patches above work only while aiortc calls these through the names we patch.
CALLED_AS = [
    (aiortc.rtcrtpsender, "self.__encoder.pack(", "_share_h264_packing"),
    (aiortc.rtcrtpsender, "self._send_keyframe()", "watch_peer"),
    (aiortc.rtcrtpsender, "self.transport._send_rtp(", "share_the_loop"),
    (aiortc.rtcdtlstransport, "recipient._handle_rtcp_packet(", "watch_peer"),
    (aioice.ice.Connection.gather_candidates, "get_host_addresses(", "only_host_addresses"),
]


@pytest.mark.parametrize("what, get, parameters, coroutine, user", RELIED_ON,
                         ids=[r[0] for r in RELIED_ON])
def test_a_patched_aiortc_method_keeps_its_signature(what, get, parameters, coroutine, user):
    try:
        function = get()
    except AttributeError:
        pytest.fail(f"{VERSIONS}: {what} is gone; streaming/webrtc.py {user} needs it")
    found = tuple(inspect.signature(function).parameters)
    assert found == parameters, (f"{VERSIONS}: {what}{inspect.signature(function)} changed "
                                 f"(expected parameters {parameters}); check streaming/webrtc.py "
                                 f"{user} against this release")
    assert inspect.iscoroutinefunction(function) == coroutine, (
        f"{VERSIONS}: {what} is {'no longer' if coroutine else 'now'} a coroutine function; "
        f"check streaming/webrtc.py {user}")


@pytest.mark.parametrize("where, call, user", CALLED_AS, ids=[c[1] for c in CALLED_AS])
def test_aiortc_still_calls_what_we_patch(where, call, user):
    assert call in inspect.getsource(where), (
        f"{VERSIONS}: {where.__name__} no longer calls {call}...); streaming/webrtc.py {user} "
        "would patch something aiortc does not use")


def test_the_sender_transport_reaches_the_ice_transport():
    """guard_late_start wraps sender.transport.transport.start: the DTLS transport's ICE one."""
    assert isinstance(inspect.getattr_static(RTCDtlsTransport, "transport"), property), (
        f"{VERSIONS}: RTCDtlsTransport.transport is no longer a property")
