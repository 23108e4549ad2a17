"""WebRTC viewers over WHEP: every viewer gets the same pre-encoded packets.

The channel encodes once per codec into a `Broadcast`; a viewer is one aiortc peer connection
whose tracks (`PacketTrack`) hand the feed's `av.Packet`s to aiortc, which only packetizes them
(no per-viewer encoding). A viewer POSTs an SDP offer (WHEP), gets an answer and a resource URL,
and DELETEs it to leave. Viewers that vanish without DELETE are closed when their connection
fails or closes, or when no RTCP has arrived from them for `vanish_after_s` seconds. A viewer
that trickles its ICE candidates PATCHes them to its resource (RFC 9725, an RFC 8840 fragment).

A viewer whose sending falls behind (a slow link, a server past capacity) is thinned by its
subscriptions, never waited for: its video skips to the next keyframe once more than
VIDEO_BACKLOG_MS waits, its audio loses a backlog beyond AUDIO_BACKLOG_MS; `stats` counts both.

ICE host addresses: aioice gathers every local address except 127.0.0.1. A server announces the
addresses it is reachable on (`ice_hosts`, like an SFU's announced IP); `only_host_addresses`
restricts gathering to them for the peer connections created inside its scope.
"""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import itertools
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

import aioice.ice
import av
from aiohttp import web
from aiortc import (RTCConfiguration, RTCIceCandidate, RTCPeerConnection, RTCRtpSender,
                    RTCSessionDescription)
from aiortc.exceptions import InvalidAccessError, OperationError
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import SessionDescription, candidate_from_sdp

from .broadcast import Broadcast, Feed

MAX_OFFER_BYTES = 64 * 1024
TRICKLE_TYPE = "application/trickle-ice-sdpfrag"
VIDEO_CODECS = {"h264": "video/H264", "vp8": "video/VP8"}
PLI_MIN_INTERVAL_S = 1.0
VIDEO_BACKLOG_MS = 500       # a viewer's video this far behind skips to the next keyframe
AUDIO_BACKLOG_MS = 1000      # a viewer's audio this far behind loses its backlog


class BadOffer(ValueError):
    """The SDP offer cannot be answered (malformed, or nothing we can send)."""


class ChannelFull(RuntimeError):
    """No room for another viewer (max_viewers)."""


class BadFragment(ValueError):
    """A trickle ICE SDP fragment that cannot be used (malformed, or naming no media section)."""


class IceRestartUnsupported(RuntimeError):
    """A fragment with new ICE credentials: an ICE restart, which viewers cannot do here."""


# --- ICE host addresses ------------------------------------------------------------------------
# The one place where aioice is patched. `aioice.ice.get_host_addresses` is replaced, once, by a
# wrapper that returns the addresses of the innermost `only_host_addresses` scope, and defers to
# the original everywhere else. The scope is a context variable: it follows the coroutine that
# gathers candidates (and the tasks it spawns), so one connection's restriction never leaks into
# another's.
_scoped_hosts: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "anchor_ice_hosts", default=None)
_original_get_host_addresses = aioice.ice.get_host_addresses


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    hosts = _scoped_hosts.get()
    if hosts is None:
        return _original_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    return [h for h in hosts if (":" in h and use_ipv6) or (":" not in h and use_ipv4)]


@contextlib.contextmanager
def only_host_addresses(hosts: Iterable[str] | None) -> Iterator[None]:
    """Inside this scope, new ICE candidates are gathered only on `hosts` (None: no restriction)."""
    if hosts is None:
        yield
        return
    if aioice.ice.get_host_addresses is not _get_host_addresses:
        aioice.ice.get_host_addresses = _get_host_addresses
    token = _scoped_hosts.set(tuple(hosts))
    try:
        yield
    finally:
        _scoped_hosts.reset(token)


# --- packetizing once for every viewer ---------------------------------------------------------
# aiortc splits each pre-encoded H.264 packet into RTP payloads again for every viewer, and the
# result depends on the packet alone. The second place where aiortc is patched: H264Encoder.pack
# remembers its last results by packet, so the work is done once per packet, not once per viewer
# (what stays per viewer: RTP headers, SRTP, the send). Installed with the first WebRTCViewers.
_SHARED_PACKS = 64                 # packets remembered: far more than one frame's worth


def _share_h264_packing() -> None:
    from aiortc.codecs.h264 import H264Encoder
    if getattr(H264Encoder.pack, "shared", False):
        return
    original = H264Encoder.pack
    recent: OrderedDict[int, tuple[av.Packet, tuple[list[bytes], int]]] = OrderedDict()

    def pack(self, packet: av.Packet) -> tuple[list[bytes], int]:
        hit = recent.get(id(packet))
        if hit is not None and hit[0] is packet:
            return hit[1]
        result = original(self, packet)
        recent[id(packet)] = (packet, result)
        if len(recent) > _SHARED_PACKS:
            recent.popitem(last=False)
        return result

    pack.shared = True
    H264Encoder.pack = pack


# --- tracks ------------------------------------------------------------------------------------
class PacketTrack(MediaStreamTrack):
    """A track whose recv() returns the feed's next encoded packet.

    It subscribes when aiortc first asks for media (the connection is up), so a viewer's video
    starts at a keyframe requested right then, with no backlog queued during the handshake.
    """

    def __init__(self, feed: Feed, kind: str, *, max_ms: int | None = None):
        super().__init__()
        self.kind = kind
        self.feed = feed
        if max_ms is None:
            max_ms = VIDEO_BACKLOG_MS if kind == "video" else AUDIO_BACKLOG_MS
        self.max_ms = max_ms
        self._subscription = None
        self.packets = 0

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._subscription is None:
            self._subscription = self.feed.subscribe(self.max_ms)
        try:
            packet = await self._subscription.__anext__()
        except StopAsyncIteration:
            self.stop()
            raise MediaStreamError from None
        self.packets += 1
        return packet

    @property
    def dropped(self) -> int:
        """Packets this track lost for falling behind (video: frames skipped)."""
        return self._subscription.dropped if self._subscription is not None else 0

    def stop(self) -> None:
        super().stop()
        if self._subscription is not None:
            self._subscription.close()


def video_codec_preferences(mime: str) -> list:
    """aiortc codec capabilities for one video codec (plus retransmission)."""
    return [c for c in RTCRtpSender.getCapabilities("video").codecs
            if c.mimeType.lower() in (mime.lower(), "video/rtx")]


def watch_peer(pc: RTCPeerConnection, on_rtcp, on_keyframe_request) -> None:
    """Hook every sender of `pc`: call on_rtcp() whenever the peer sends RTCP to it, and
    on_keyframe_request() when the peer asks for a keyframe (PLI/FIR): pre-encoded media cannot
    be re-encoded per peer, so the request must reach the channel's encoder."""
    for transceiver in pc.getTransceivers():
        sender = transceiver.sender
        handle = sender._handle_rtcp_packet

        async def handle_rtcp(packet, _handle=handle):
            on_rtcp()
            await _handle(packet)

        sender._handle_rtcp_packet = handle_rtcp
        sender._send_keyframe = on_keyframe_request


def guard_late_start(pc: RTCPeerConnection) -> None:
    """aiortc's connect task can outlive close() (a peer leaving while its connection is still
    being set up) and would then start RTP/RTCP loops that never end, leaking the connection.
    Make starting anything on a closed connection a no-op (call after the transports are set,
    i.e. after setRemoteDescription; calling it again is harmless)."""
    for transceiver in pc.getTransceivers():
        for obj, name in ((transceiver.sender, "send"), (transceiver.receiver, "receive"),
                          (transceiver.sender.transport.transport, "start"),
                          (transceiver.sender.transport, "start")):
            original = getattr(obj, name)
            if getattr(original, "_guarded", False):
                continue

            async def guarded(*args, _original=original, **kwargs):
                if pc.signalingState != "closed":
                    return await _original(*args, **kwargs)

            guarded._guarded = True
            setattr(obj, name, guarded)


SENDS_PER_TURN = 8        # RTP packets a viewer sends before letting other tasks run


def share_the_loop(pc: RTCPeerConnection, every: int = SENDS_PER_TURN) -> None:
    """aiortc sends all the RTP packets of a frame in one go. A keyframe is ~80 packets, and
    with a hundred viewers woken by the same frame the loop would run 8000 sends before the
    pacer's next 20 ms tick (a stall). Let other tasks run after every `every` sends of a
    connection: the pacer then waits at most one short turn per viewer."""
    for transceiver in pc.getTransceivers():
        transport = transceiver.sender.transport
        original = transport._send_rtp
        if getattr(original, "_shares", False):
            continue
        sent = 0

        async def send(data: bytes, _original=original) -> None:
            nonlocal sent
            await _original(data)
            sent += 1
            if sent % every == 0:
                await asyncio.sleep(0)

        send._shares = True
        transport._send_rtp = send


def parse_offer(sdp: object) -> SessionDescription:
    """Check an SDP offer before anything is built for it; BadOffer with a one-line reason."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise BadOffer("empty SDP offer")
    if len(sdp) > MAX_OFFER_BYTES:
        raise BadOffer(f"SDP offer too large ({len(sdp)} bytes, at most {MAX_OFFER_BYTES})")
    if not sdp.lstrip().startswith("v=0"):
        raise BadOffer("SDP offer must start with 'v=0'")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc raises assorted errors on bad lines
        raise BadOffer(f"malformed SDP offer: {exc!r}"[:200]) from None
    if not parsed.media:
        raise BadOffer("SDP offer has no media sections")
    for media in parsed.media:
        if media.kind in ("audio", "video") and not (media.ice.usernameFragment and media.dtls):
            raise BadOffer(f"SDP offer's {media.kind} section lacks ICE credentials or DTLS fingerprint")
    return parsed


@dataclass(frozen=True, slots=True)
class Trickle:
    """An RFC 8840 SDP fragment: the ICE credentials it names, its candidates (each with the
    `a=mid` of its media section), and whether it ends the candidates."""
    ufrag: str | None
    pwd: str | None
    candidates: tuple[RTCIceCandidate, ...]
    end: bool


def parse_trickle(fragment: str) -> Trickle:
    """Read a trickle ICE fragment; BadFragment with a one-line reason."""
    ufrag = pwd = mid = None
    candidates, end, in_media = [], False, False
    for line in fragment.splitlines():
        if not line.strip():
            continue
        if len(line) < 2 or line[1] != "=":
            raise BadFragment(f"not an SDP line: {line[:60]!r}")
        if line.startswith("m="):
            in_media, mid = True, None
        elif line.startswith("a=ice-ufrag:"):
            ufrag = line.partition(":")[2].strip()
        elif line.startswith("a=ice-pwd:"):
            pwd = line.partition(":")[2].strip()
        elif line.startswith("a=mid:"):
            mid = line.partition(":")[2].strip()
        elif line.startswith("a=candidate:"):
            if not in_media or not mid:
                raise BadFragment("a candidate outside a media section with an a=mid line")
            candidates.append(_candidate(line.partition(":")[2], mid))
        elif line.strip() == "a=end-of-candidates":
            end = True
    if not candidates and not end:
        raise BadFragment("the fragment has no candidates and no a=end-of-candidates")
    return Trickle(ufrag, pwd, tuple(candidates), end)


def _candidate(value: str, mid: str) -> RTCIceCandidate:
    bits = value.split()
    try:
        candidate = candidate_from_sdp(value)
        if bits[6] != "typ" or not 0 < candidate.port < 65536:
            raise ValueError
    except (AssertionError, ValueError, IndexError):
        raise BadFragment(f"malformed candidate: {value[:80]!r}") from None
    if not candidate.ip.endswith(".local"):             # mDNS names are resolved by aioice
        try:
            ipaddress.ip_address(candidate.ip)
        except ValueError:
            raise BadFragment(f"candidate address is not an IP address: {candidate.ip[:60]!r}") \
                from None
    candidate.sdpMid = mid
    return candidate


def offered_codecs(parsed: SessionDescription, kind: str) -> set[str]:
    """Lower-case codec names offered for `kind` in sections where the offerer can receive."""
    names = set()
    for media in parsed.media:
        if media.kind == kind and media.direction in (None, "sendrecv", "recvonly"):
            names |= {c.name.lower() for c in media.rtp.codecs}
    return names


def choose_video_codec(parsed: SessionDescription, prefer: str) -> str | None:
    """The video feed to send: `prefer` if the offer has it, else the other one, else None."""
    names = offered_codecs(parsed, "video")
    for codec in (prefer, *(c for c in VIDEO_CODECS if c != prefer)):
        if codec in names:
            return codec
    return None


# --- viewers -----------------------------------------------------------------------------------
@dataclass(eq=False)
class _Viewer:
    id: str
    pc: RTCPeerConnection
    video_codec: str | None
    tracks: list[PacketTrack] = field(default_factory=list)
    last_heard: float = 0.0
    last_pli: float = float("-inf")

    def dropped(self, kind: str) -> int:
        return sum(t.dropped for t in self.tracks if t.kind == kind)


@dataclass(frozen=True, slots=True)
class ViewersStats:
    viewers: int                       # connected now
    joined: int
    left: int
    vanished: int                      # left without DELETE (connection failed, no RTCP)
    video_frames_skipped: int          # all viewers, all time: their sending fell behind
    audio_packets_dropped: int         # all viewers, all time
    skipped_by_viewer: Mapping[str, int]   # connected viewers: video frames skipped so far


class WebRTCViewers:
    """The channel's WebRTC viewers (WHEP), all fed from one Broadcast."""

    def __init__(self, broadcast: Broadcast, *, ice_hosts: list[str] | None = None,
                 prefer: str = "h264", vanish_after_s: float = 20.0,
                 max_viewers: int | None = None):
        if prefer not in VIDEO_CODECS:
            raise ValueError(f"prefer must be one of {sorted(VIDEO_CODECS)}, not {prefer!r}")
        if not 0 < vanish_after_s <= 30:
            raise ValueError("vanish_after_s must be in (0, 30] seconds")
        self.broadcast = broadcast
        self.ice_hosts = list(ice_hosts) if ice_hosts is not None else None
        self.prefer, self.vanish_after_s, self.max_viewers = prefer, vanish_after_s, max_viewers
        self._viewers: dict[str, _Viewer] = {}
        self._watchdog: asyncio.Task | None = None
        self._serial = itertools.count(1)
        self.joined = self.left = self.vanished = 0
        self._gone_dropped = {"video": 0, "audio": 0}    # by viewers who have left
        _share_h264_packing()

    @property
    def count(self) -> int:
        return len(self._viewers)

    async def offer(self, sdp: str) -> tuple[str, str]:
        """Answer a viewer's SDP offer: (viewer_id, answer SDP). BadOffer if it cannot be."""
        parsed = parse_offer(sdp)
        video_codec = choose_video_codec(parsed, self.prefer)
        wants_audio = "opus" in offered_codecs(parsed, "audio")
        if video_codec is None and not wants_audio:
            raise BadOffer("SDP offer receives neither H.264/VP8 video nor Opus audio")
        if self.max_viewers is not None and self.count >= self.max_viewers:
            raise ChannelFull(f"the channel is full ({self.max_viewers} viewers)")
        loop = asyncio.get_running_loop()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        viewer = _Viewer(f"{next(self._serial)}-{secrets.token_hex(6)}", pc, video_codec,
                         last_heard=loop.time())
        try:
            # Our sending transceivers exist before the offer is applied, so aiortc matches them
            # to the offer's sections and negotiates only the codec we send.
            if video_codec:
                video = PacketTrack(self.broadcast[video_codec], "video")
                pc.addTransceiver(video, direction="sendonly").setCodecPreferences(
                    video_codec_preferences(VIDEO_CODECS[video_codec]))
                viewer.tracks.append(video)
            if wants_audio:
                audio = PacketTrack(self.broadcast["opus"], "audio")
                pc.addTransceiver(audio, direction="sendonly")
                viewer.tracks.append(audio)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            guard_late_start(pc)
            share_the_loop(pc)
            watch_peer(pc, lambda: self._heard(viewer), lambda: self._keyframe_request(viewer))
            with only_host_addresses(self.ice_hosts):
                await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await self._shut(viewer)
            if isinstance(exc, (ValueError, AssertionError, KeyError, IndexError,
                                InvalidAccessError, OperationError)):
                raise BadOffer(f"SDP offer rejected: {exc}"[:200]) from None
            raise

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed") and self._viewers.get(viewer.id) is viewer:
                self.vanished += pc.connectionState == "failed"
                await self._drop(viewer.id)

        self._viewers[viewer.id] = viewer
        self.joined += 1
        self._start_watchdog()
        return viewer.id, pc.localDescription.sdp

    async def trickle(self, viewer_id: str, fragment: str) -> None:
        """Add a viewer's trickled ICE candidates (WHEP PATCH). KeyError if there is no such
        viewer, BadFragment if the fragment is malformed or names a media section the viewer's
        offer has not, IceRestartUnsupported if it carries new ICE credentials."""
        viewer = self._viewers[viewer_id]
        trickle = parse_trickle(fragment)
        remote = SessionDescription.parse(viewer.pc.remoteDescription.sdp)
        ice = remote.media[0].ice
        if trickle.ufrag not in (None, ice.usernameFragment) \
                or trickle.pwd not in (None, ice.password):
            raise IceRestartUnsupported("ICE restarts are not supported: send a new offer")
        mids = {t.mid for t in viewer.pc.getTransceivers()}
        for candidate in trickle.candidates:
            if candidate.sdpMid not in mids:
                raise BadFragment(f"no media section with a=mid:{candidate.sdpMid[:20]}")
        for candidate in trickle.candidates:
            await viewer.pc.addIceCandidate(candidate)
        if trickle.end:
            await viewer.pc.addIceCandidate(None)

    async def close(self, viewer_id: str) -> None:
        """End a viewer (WHEP DELETE). KeyError if there is no such viewer."""
        if viewer_id not in self._viewers:
            raise KeyError(viewer_id)
        await self._drop(viewer_id)

    async def close_all(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        await asyncio.gather(*(self._drop(v) for v in list(self._viewers)))

    @property
    def stats(self) -> ViewersStats:
        """A snapshot (on the serving loop, where the viewers live)."""
        viewers = self._viewers.values()
        return ViewersStats(
            viewers=self.count, joined=self.joined, left=self.left, vanished=self.vanished,
            video_frames_skipped=self._gone_dropped["video"] + sum(v.dropped("video") for v in viewers),
            audio_packets_dropped=self._gone_dropped["audio"] + sum(v.dropped("audio") for v in viewers),
            skipped_by_viewer={v.id: v.dropped("video") for v in viewers})

    # -- internals --
    def _heard(self, viewer: _Viewer) -> None:
        viewer.last_heard = asyncio.get_running_loop().time()

    def _keyframe_request(self, viewer: _Viewer) -> None:
        now = asyncio.get_running_loop().time()
        if viewer.video_codec and now - viewer.last_pli >= PLI_MIN_INTERVAL_S:
            viewer.last_pli = now
            self.broadcast[viewer.video_codec].request_keyframe()

    async def _drop(self, viewer_id: str) -> None:
        viewer = self._viewers.pop(viewer_id, None)
        if viewer is not None:
            self.left += 1
            for kind in self._gone_dropped:
                self._gone_dropped[kind] += viewer.dropped(kind)
            await self._shut(viewer)

    @staticmethod
    async def _shut(viewer: _Viewer) -> None:
        for track in viewer.tracks:
            track.stop()
        viewer.pc.remove_all_listeners()
        await viewer.pc.close()

    def _start_watchdog(self) -> None:
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        """Close viewers not heard from (RTCP) for vanish_after_s: they left without DELETE."""
        loop = asyncio.get_running_loop()
        period = min(5.0, self.vanish_after_s / 4)
        while self._viewers:
            await asyncio.sleep(period)
            deadline = loop.time() - self.vanish_after_s
            for viewer in [v for v in self._viewers.values() if v.last_heard < deadline]:
                if self._viewers.get(viewer.id) is viewer:
                    self.vanished += 1
                    await self._drop(viewer.id)


# --- WHEP over HTTP ----------------------------------------------------------------------------
def whep_routes(viewers: WebRTCViewers, prefix: str = "/whep") -> list[web.RouteDef]:
    """aiohttp routes for WHEP: POST {prefix} (application/sdp offer → 201, answer, Location),
    DELETE {prefix}/{id} (200; 404 if unknown), PATCH {prefix}/{id} (trickle ICE: 204; 400
    malformed, 404 unknown, 413 too large, 415 wrong type, 501 an ICE restart)."""
    prefix = prefix.rstrip("/")

    async def post(request: web.Request) -> web.Response:
        if request.content_type != "application/sdp":
            return web.Response(status=415, text="WHEP offers must be Content-Type: application/sdp")
        if request.content_length is not None and request.content_length > MAX_OFFER_BYTES:
            return web.Response(status=413, text="SDP offer too large")
        try:
            body = (await request.content.read(MAX_OFFER_BYTES + 1)).decode("utf-8")
            viewer_id, answer = await viewers.offer(body)
        except (UnicodeDecodeError, BadOffer) as exc:
            return web.Response(status=400, text=str(exc) or "malformed SDP offer")
        except ChannelFull as exc:
            return web.Response(status=503, text=str(exc), headers={"Retry-After": "10"})
        location = f"{prefix}/{viewer_id}"
        return web.Response(status=201, text=answer, content_type="application/sdp",
                            headers={"Location": location,
                                     "Access-Control-Expose-Headers": "Location"})

    async def delete(request: web.Request) -> web.Response:
        try:
            await viewers.close(request.match_info["viewer_id"])
        except KeyError:
            return web.Response(status=404, text="no such viewer")
        return web.Response(status=200)

    async def patch(request: web.Request) -> web.Response:
        if request.content_type != TRICKLE_TYPE:
            return web.Response(status=415, text=f"trickle ICE must be Content-Type: {TRICKLE_TYPE}")
        if request.content_length is not None and request.content_length > MAX_OFFER_BYTES:
            return web.Response(status=413, text="SDP fragment too large")
        body = bytearray()
        while chunk := await request.content.read(MAX_OFFER_BYTES + 1 - len(body)):
            body += chunk
            if len(body) > MAX_OFFER_BYTES:
                return web.Response(status=413, text="SDP fragment too large")
        try:
            await viewers.trickle(request.match_info["viewer_id"], body.decode("utf-8"))
        except KeyError:
            return web.Response(status=404, text="no such viewer")
        except (UnicodeDecodeError, BadFragment) as exc:
            return web.Response(status=400, text=str(exc) or "malformed SDP fragment")
        except IceRestartUnsupported as exc:
            return web.Response(status=501, text=str(exc))
        return web.Response(status=204)

    return [web.post(prefix, post), web.delete(prefix + "/{viewer_id}", delete),
            web.patch(prefix + "/{viewer_id}", patch)]
