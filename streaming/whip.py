"""WHIP push: send the channel's encoded video (H.264 or VP8) and Opus audio to an SFU.

One aiortc peer connection publishes the Broadcast's packets (no re-encoding). The offer is
POSTed as application/sdp with an optional bearer token; the SFU answers 201 with the answer and
a Location for the session, which is DELETEd on stop. When the connection fails, the SFU goes
quiet (no RTCP for `silent_after_s`), or the POST is refused, the push retries with exponential
backoff (1 s doubling to 30 s by default, slept on the injected Clock) until stopped.
"""
from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from yarl import URL

from anchor.clock import Clock, SystemClock

from .broadcast import Broadcast
from .webrtc import VIDEO_CODECS, PacketTrack, only_host_addresses, video_codec_preferences, watch_peer

STATES = ("connecting", "live", "retrying", "stopped")


class WhipRefused(RuntimeError):
    """The WHIP endpoint did not accept the offer."""


class WhipPush:
    """Pushes the Broadcast to one WHIP endpoint, reconnecting until stop()."""

    def __init__(self, url: str, broadcast: Broadcast, *, token: str | None = None,
                 name: str = "whip", video: str = "h264", ice_hosts: list[str] | None = None,
                 backoff: tuple[float, float] = (1.0, 30.0), silent_after_s: float = 20.0,
                 connect_timeout_s: float = 15.0, clock: Clock | None = None):
        if video not in VIDEO_CODECS:
            raise ValueError(f"video must be one of {sorted(VIDEO_CODECS)}, not {video!r}")
        if not 0 < backoff[0] <= backoff[1]:
            raise ValueError("backoff must be (first delay, longest delay) with 0 < first <= longest")
        self.url, self.broadcast, self.token, self.name, self.video = url, broadcast, token, name, video
        self.ice_hosts = list(ice_hosts) if ice_hosts is not None else None
        self.backoff, self.silent_after_s, self.connect_timeout_s = backoff, silent_after_s, connect_timeout_s
        self._clock = clock or SystemClock()
        self.state = "stopped"
        self.attempts = self.connects = self.reconnects = 0
        self.last_error: str | None = None
        self.resource: str | None = None
        self._pc: RTCPeerConnection | None = None
        self._tracks: list[PacketTrack] = []
        self._task: asyncio.Task | None = None
        self._http: aiohttp.ClientSession | None = None
        self._packets_before = 0
        self._last_heard = 0.0

    @property
    def packets_sent(self) -> int:
        """Encoded packets handed to the connection so far (all sessions)."""
        return self._packets_before + sum(t.packets for t in self._tracks)

    def stats(self) -> dict[str, object]:
        return {"name": self.name, "state": self.state, "attempts": self.attempts,
                "connects": self.connects, "reconnects": self.reconnects,
                "packets_sent": self.packets_sent, "last_error": self.last_error}

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self.state = "connecting"
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._hang_up()
        if self._http is not None:
            await self._http.close()
            self._http = None
        self.state = "stopped"

    # -- internals --
    async def _run(self) -> None:
        delay = self.backoff[0]
        while True:
            self.state = "connecting"
            self.attempts += 1
            try:
                lost = await self._connect()
                self.state, delay = "live", self.backoff[0]
                self.connects += 1
                self.last_error = await self._until_lost(lost)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            await self._hang_up()
            self.state = "retrying"
            self.reconnects += 1
            await self._clock.sleep_until(self._clock.now() + delay)
            delay = min(delay * 2, self.backoff[1])

    async def _connect(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        lost, connected = asyncio.Event(), asyncio.Event()
        self._last_heard = loop.time()

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected":
                connected.set()
            elif pc.connectionState in ("failed", "closed"):
                lost.set()
                connected.set()

        video = PacketTrack(self.broadcast[self.video], "video")
        audio = PacketTrack(self.broadcast["opus"], "audio")
        self._tracks = [video, audio]
        pc.addTransceiver(video, direction="sendonly").setCodecPreferences(
            video_codec_preferences(VIDEO_CODECS[self.video]))
        pc.addTransceiver(audio, direction="sendonly")
        watch_peer(pc, lambda: setattr(self, "_last_heard", loop.time()),
                   self.broadcast[self.video].request_keyframe)
        with only_host_addresses(self.ice_hosts):
            await pc.setLocalDescription(await pc.createOffer())

        headers = {"Content-Type": "application/sdp"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        async with self._http.post(self.url, data=pc.localDescription.sdp, headers=headers) as reply:
            body = await reply.text()
            if reply.status != 201:
                raise WhipRefused(f"{self.url} answered {reply.status} {reply.reason}: {body[:120]}")
            location = reply.headers.get("Location")
            if location:
                self.resource = str(URL(self.url).join(URL(location)))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
        async with asyncio.timeout(self.connect_timeout_s):
            await connected.wait()
        if lost.is_set():
            raise ConnectionError(f"connection {pc.connectionState} during setup")
        return lost

    async def _until_lost(self, lost: asyncio.Event) -> str:
        """Wait until the session is over; the reason, for last_error."""
        loop = asyncio.get_running_loop()
        period = min(1.0, self.silent_after_s / 4)
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(period):
                    await lost.wait()
            if lost.is_set():
                return f"connection {self._pc.connectionState}"
            if loop.time() - self._last_heard > self.silent_after_s:
                return f"no RTCP from the receiver for {self.silent_after_s:g} s"

    async def _hang_up(self) -> None:
        """Close the peer connection and DELETE the session resource (best effort)."""
        self._packets_before += sum(t.packets for t in self._tracks)
        for track in self._tracks:
            track.stop()
        self._tracks = []
        if self._pc is not None:
            pc, self._pc = self._pc, None
            pc.remove_all_listeners()
            await pc.close()
        if self.resource and self._http is not None:
            resource, self.resource = self.resource, None
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with asyncio.timeout(3):
                    async with self._http.delete(resource, headers=headers):
                        pass
