"""Viewer processes for bench/live_channel.py: aiortc clients that join a channel over WHEP on
127.0.0.1, in a process of their own so the server's CPU is measured alone.

* `probe_process`: one viewer that decodes everything and records, per decoded frame, the
  arrival time of its first RTP packet and the time the decoder handed it over (time.time(),
  the same clock the server stamps with): for video the frame stamp (bench/live_signals.py) and
  the mouth opening in a fixed box, for audio the loudness of each 20 ms block.
* `crowd_process`: many viewers that join like any other (ICE, DTLS, SRTP keys) and keep
  sending RTCP receiver reports, but after the first few packets of each stream only count
  the SRTP packets they receive (on the clear-text RTP header: packets, bytes, video frames by
  marker bit, sequence-number gaps) and drop them undecrypted, so the crowd costs this machine
  little CPU. The server does the same work for them as for a decoding viewer (ICE consent,
  DTLS, SRTP encryption and sending of every packet, RTCP), except answering NACK/PLI, which
  these viewers never send.

Protocol over the Pipe: the child sends ("ready", info) once joined (or ("failed", reason));
then "report" -> (data), "stop" -> closes every viewer with a WHEP DELETE and exits. A child
also exits by itself at `deadline` (time.time()).
"""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_signals import mouth_opening, read_stamp_luma  # noqa: E402
from webrtc_helpers import accept_answer, receiving_client  # noqa: E402

JOIN_BATCH = 10
JOIN_TIMEOUT_S = 60.0


async def _join(http: aiohttp.ClientSession, url: str) -> tuple:
    pc, offer = await receiving_client("h264")
    async with http.post(url, data=offer, headers={"Content-Type": "application/sdp"}) as r:
        if r.status != 201:
            raise RuntimeError(f"WHEP POST answered {r.status}: {(await r.text())[:120]}")
        location, answer = r.headers["Location"], await r.text()
    connected = asyncio.get_running_loop().create_future()

    @pc.on("connectionstatechange")
    def _state():
        if pc.connectionState == "connected" and not connected.done():
            connected.set_result(None)
        elif pc.connectionState == "failed" and not connected.done():
            connected.set_exception(RuntimeError("ICE/DTLS failed"))

    tracks = await accept_answer(pc, answer)
    await connected
    return pc, location, tracks


async def _join_all(http, url: str, count: int) -> list[tuple]:
    joined = []
    for start in range(0, count, JOIN_BATCH):
        batch = [_join(http, url) for _ in range(min(JOIN_BATCH, count - start))]
        joined += await asyncio.wait_for(asyncio.gather(*batch), JOIN_TIMEOUT_S)
    return joined


async def _leave(http, url: str, joined: list[tuple]) -> None:
    base = url.split("/whep")[0]
    for pc, location, _ in joined:
        try:
            async with http.delete(base + location, timeout=aiohttp.ClientTimeout(total=5)):
                pass
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        await asyncio.wait_for(pc.close(), 10)


async def _serve_commands(conn, deadline: float, report) -> None:
    """Answer "report" until "stop" or the deadline."""
    loop = asyncio.get_running_loop()
    while time.time() < deadline:
        if not await loop.run_in_executor(None, conn.poll, 0.5):
            continue
        command = conn.recv()
        if command == "report":
            conn.send(report())
        elif command == "stop":
            return


# --- the probe -----------------------------------------------------------------------------------
class _Arrivals:
    """First-packet arrival time per (kind, RTP timestamp), recorded inside aiortc's receiver."""

    def __init__(self):
        self.times: dict[tuple[str, int], float] = {}
        self._order: list[tuple[str, int]] = []

    def install(self) -> None:
        from aiortc.rtcrtpreceiver import RTCRtpReceiver
        original = RTCRtpReceiver._handle_rtp_packet
        arrivals = self

        async def handle(receiver, packet, arrival_time_ms):
            key = (receiver._RTCRtpReceiver__kind, packet.timestamp)
            if key not in arrivals.times:
                arrivals.times[key] = time.time()
                arrivals._order.append(key)
                if len(arrivals._order) > 20_000:            # bounded: forget the oldest half
                    for old in arrivals._order[:10_000]:
                        arrivals.times.pop(old, None)
                    del arrivals._order[:10_000]
            return await original(receiver, packet, arrival_time_ms)

        RTCRtpReceiver._handle_rtp_packet = handle


def _raw_timestamp(receiver, pts: int) -> int:
    """The RTP timestamp of a decoded frame (aiortc re-bases pts at the first frame)."""
    origin = receiver._RTCRtpReceiver__timestamp_mapper._origin
    return (pts + origin) % (1 << 32)


async def _probe(url: str, conn, box: tuple[int, int, int, int], deadline: float) -> None:
    arrivals = _Arrivals()
    arrivals.install()
    video_rows: list[tuple] = []      # (serial or -1, packet arrival, decoded at, opening)
    audio_rows: list[tuple] = []      # (packet arrival, decoded at, loudness, samples)
    x0, y0, x1, y1 = box
    async with aiohttp.ClientSession() as http:
        try:
            joined = await _join_all(http, url, 1)
        except Exception as e:  # noqa: BLE001 (reported to the bench, which stops)
            conn.send(("failed", f"{type(e).__name__}: {e}"))
            return
        pc, _, tracks = joined[0]
        video, audio = await tracks["video"], await tracks["audio"]
        receivers = {t.receiver.track.kind: t.receiver for t in pc.getTransceivers()}
        recording = False

        async def read_video():
            while True:
                frame = await video.recv()
                now = time.time()
                if not recording:
                    continue
                plane = frame.planes[0]
                luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
                serial = read_stamp_luma(luma)
                rgb = frame.to_ndarray(format="rgb24")
                raw = _raw_timestamp(receivers["video"], frame.pts)
                video_rows.append((-1 if serial is None else serial,
                                   arrivals.times.get(("video", raw), float("nan")), now,
                                   mouth_opening(rgb[y0:y1, x0:x1])))

        async def read_audio():
            while True:
                frame = await audio.recv()
                now = time.time()
                if not recording:
                    continue
                pcm = frame.to_ndarray().astype(np.float64)
                raw = _raw_timestamp(receivers["audio"], frame.pts)
                audio_rows.append((arrivals.times.get(("audio", raw), float("nan")), now,
                                   float(np.sqrt(np.mean(pcm * pcm))), frame.samples))

        readers = [asyncio.ensure_future(read_video()), asyncio.ensure_future(read_audio())]
        process = psutil.Process()
        cpu0 = sum(process.cpu_times()[:2])
        recording = True
        conn.send(("ready", {"viewers": 1}))

        def report():
            return {"video": list(video_rows), "audio": list(audio_rows),
                    "cpu_s": sum(process.cpu_times()[:2]) - cpu0}

        try:
            await _serve_commands(conn, deadline, report)
        finally:
            for task in readers:
                task.cancel()
            await _leave(http, url, joined)


def probe_process(url: str, conn, box, deadline: float) -> None:
    asyncio.run(_probe(url, conn, tuple(box), deadline))


# --- the crowd -----------------------------------------------------------------------------------
class _CountingDecoder:
    """Stands in for aiortc's decoder in the crowd (it only sees the first few packets)."""

    def __init__(self, kind: str):
        self.kind = kind

    def decode(self, encoded_frame) -> list:
        return []


class _Tally:
    """What one crowd viewer received, counted on the clear-text RTP header of each SRTP
    packet (SRTP encrypts only the payload), before decryption. The first PASS packets of each
    stream go on into aiortc so its receivers learn the streams and keep sending RTCP receiver
    reports (the server closes viewers it does not hear from); later RTP packets are counted and
    dropped: no SRTP decryption, RTP parsing, jitter buffer, NACK or PLI on the viewer side."""
    PASS = 5
    __slots__ = ("video_pts", "streams", "packets", "bytes", "video_frames")

    def __init__(self, video_pts: set[int]):
        self.video_pts = video_pts
        self.streams: dict[bytes, list] = {}   # ssrc -> [passed, last seq, extended seq, received]
        self.packets = self.bytes = self.video_frames = 0

    def take(self, data: bytes) -> bool:
        """Count an SRTP RTP packet; False: let it through to aiortc."""
        stream = self.streams.get(data[8:12])
        if stream is None:
            stream = self.streams[data[8:12]] = [0, -1, 0, 0]
        if stream[0] < self.PASS:
            stream[0] += 1
            return False
        seq = (data[2] << 8) | data[3]
        if stream[1] >= 0:
            step = (seq - stream[1]) & 0xFFFF
            if step < 0x8000:                  # forward (a late, reordered packet is not)
                stream[2] += step
                stream[1] = seq
        else:
            stream[1] = seq
        stream[3] += 1
        self.packets += 1
        self.bytes += len(data)
        if data[1] & 0x80 and (data[1] & 0x7F) in self.video_pts:
            self.video_frames += 1             # marker bit: last packet of a video frame
        return True

    def snapshot(self) -> dict:
        return {"packets": self.packets, "bytes": self.bytes, "video_frames": self.video_frames,
                "streams": {ssrc: (s[2], s[3]) for ssrc, s in self.streams.items()}}


def _install_counting(tallies: dict) -> None:
    """Route the crowd's incoming SRTP RTP datagrams, per aioice connection in `tallies`, to
    its _Tally before aioice even parses them; STUN, DTLS and SRTCP go on as usual."""
    from aioice.ice import StunProtocol
    original = StunProtocol.datagram_received

    def datagram_received(protocol, data, addr):
        tally = tallies.get(protocol.receiver)
        if (tally is not None and 127 < data[0] < 192 and not 191 < data[1] < 209
                and tally.take(data)):
            return
        original(protocol, data, addr)

    StunProtocol.datagram_received = datagram_received


def _tally_for(pc) -> tuple:
    """The aioice connection of a (bundled) peer connection and a _Tally knowing its video PTs."""
    dtls = pc.getTransceivers()[0].receiver.transport
    table = dtls._rtp_router.payload_type_table
    video_pts = {pt for pt, receivers in table.items()
                 if any(r._RTCRtpReceiver__kind == "video" for r in receivers)}
    return dtls.transport._connection, _Tally(video_pts)


def _rates(tally: _Tally, start: dict, elapsed: float) -> dict:
    """Per second since `start`, and the share of the RTP packets the server numbered (by
    sequence number, per stream) that arrived."""
    sent = received = 0
    for ssrc, (extended, count) in tally.snapshot()["streams"].items():
        extended0, count0 = start["streams"].get(ssrc, (extended, count))
        sent += extended - extended0
        received += count - count0
    return {"video_fps": (tally.video_frames - start["video_frames"]) / elapsed,
            "packets_per_s": (tally.packets - start["packets"]) / elapsed,
            "kbit_per_s": 8 * (tally.bytes - start["bytes"]) / elapsed / 1000,
            "packet_share": received / sent if sent > 0 else 0.0}


async def _crowd(url: str, count: int, conn, deadline: float) -> None:
    import aiortc.rtcrtpreceiver as receiver_module
    receiver_module.get_decoder = lambda codec: _CountingDecoder(codec.mimeType.split("/")[0])
    tallies: dict = {}
    _install_counting(tallies)

    async def join_counted(http) -> list[tuple]:
        joined = []
        for start in range(0, count, JOIN_BATCH):
            batch = await asyncio.wait_for(
                asyncio.gather(*[_join(http, url) for _ in range(min(JOIN_BATCH, count - start))]),
                JOIN_TIMEOUT_S)
            for pc, _, _ in batch:
                connection, tally = _tally_for(pc)
                tallies[connection] = tally
            joined += batch
        return joined

    async with aiohttp.ClientSession() as http:
        try:
            joined = await join_counted(http)
        except Exception as e:  # noqa: BLE001 (reported to the bench, which stops)
            conn.send(("failed", f"{type(e).__name__}: {e}"))
            return
        await asyncio.sleep(1.0)              # the last viewers' first packets pass through
        process = psutil.Process()
        cpu0, t0 = sum(process.cpu_times()[:2]), time.time()
        start = {key: tally.snapshot() for key, tally in tallies.items()}
        conn.send(("ready", {"viewers": len(joined)}))

        def report():
            elapsed = time.time() - t0
            rates = [_rates(tally, start[key], elapsed) for key, tally in tallies.items()]
            return {"cpu_s": sum(process.cpu_times()[:2]) - cpu0, "elapsed": elapsed,
                    "video_fps": sorted(r["video_fps"] for r in rates),
                    "packet_share": sorted(r["packet_share"] for r in rates),
                    "kbit_per_s": sorted(r["kbit_per_s"] for r in rates),
                    "viewers": len(joined),
                    "connected": sum(pc.connectionState == "connected" for pc, _, _ in joined)}

        try:
            await _serve_commands(conn, deadline, report)
        finally:
            await _leave(http, url, joined)


def crowd_process(url: str, count: int, conn, deadline: float) -> None:
    asyncio.run(_crowd(url, count, conn, deadline))
