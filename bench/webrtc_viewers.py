"""WebRTC viewers on loopback: server CPU per added viewer, and latency from packet published to
frame decoded by an aiortc viewer.

    .venv/bin/python bench/webrtc_viewers.py [--viewers 1,5,10,20] [--seconds 10] [--size 640x360] [--fps 25]

The server (this process) runs a synthetic channel that encodes a moving picture (H.264) and a
tone (Opus) in real time, exactly once, into a Broadcast, plus the WHEP endpoint on 127.0.0.1.
The viewers are aiortc clients in a separate process that join over HTTP (WHEP) and decode every
frame. Each frame carries its index as a bit pattern, so the viewer process can tell which frame
it decoded; CLOCK_MONOTONIC is shared between processes, so published -> decoded is one subtraction.

Per viewer count it prints the server process's CPU (% of one core), the extra CPU per viewer
relative to the channel alone (encoding, no viewer), the marginal CPU per viewer since the
previous step, the viewer process's CPU, and latency p50/p95. aiortc's receiving jitter buffer
releases a video frame only when the next one starts arriving, so about one frame interval
(40 ms at 25 fps) of the latency is the measuring viewer's own; a browser does not wait.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np
import psutil
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from webrtc_helpers import (BITS, CELL, LOOPBACK, SyntheticChannel, accept_answer,  # noqa: E402
                            receiving_client, serve)

from streaming.broadcast import Broadcast  # noqa: E402
from streaming.webrtc import WebRTCViewers, whep_routes  # noqa: E402


def frame_index(frame) -> int:
    """The index drawn by webrtc_helpers.draw_index, read from the luma plane (no RGB conversion)."""
    plane = frame.planes[0]
    luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[CELL // 2]
    return sum(1 << bit for bit in range(BITS) if luma[bit * CELL + CELL // 2] > 128)


# --- viewer process ----------------------------------------------------------------------------
async def _viewers(url: str, count: int, conn) -> None:
    received: list[tuple[int, float]] = []
    sessions, readers = [], []
    async with aiohttp.ClientSession() as http:
        async def join():
            pc, offer = await receiving_client("h264")
            async with http.post(url, data=offer, headers={"Content-Type": "application/sdp"}) as r:
                assert r.status == 201, r.status
                location, answer = r.headers["Location"], await r.text()
            tracks = await accept_answer(pc, answer)
            video, audio = await tracks["video"], await tracks["audio"]
            first = asyncio.get_running_loop().create_future()

            async def read_video():
                while True:
                    frame = await video.recv()
                    received.append((frame_index(frame), time.monotonic()))
                    if not first.done():
                        first.set_result(None)

            async def read_audio():
                while True:
                    await audio.recv()

            readers.extend([asyncio.ensure_future(read_video()), asyncio.ensure_future(read_audio())])
            sessions.append((pc, location))
            await first

        for start in range(0, count, 10):
            await asyncio.wait_for(asyncio.gather(*(join() for _ in range(min(10, count - start)))), 60)
        received.clear()
        conn.send("ready")
        process = psutil.Process()
        cpu0 = sum(process.cpu_times()[:2])
        while not conn.poll():
            await asyncio.sleep(0.1)
        conn.recv()
        cpu = sum(process.cpu_times()[:2]) - cpu0
        conn.send((received, cpu))
        for task in readers:
            task.cancel()
        base = url.rsplit("/", 1)[0]
        for pc, location in sessions:
            async with http.delete(base + location):
                pass
            await pc.close()


def viewer_process(url: str, count: int, conn) -> None:
    asyncio.run(_viewers(url, count, conn))


# --- server ------------------------------------------------------------------------------------
async def drain(subscription) -> None:
    async for _ in subscription:
        pass


async def measure(url, viewers_wanted, seconds, channel, viewers) -> dict:
    server = psutil.Process()
    conn = None
    if viewers_wanted:
        ctx = mp.get_context("spawn")
        conn, child_conn = ctx.Pipe()
        child = ctx.Process(target=viewer_process, args=(url, viewers_wanted, child_conn), daemon=True)
        child.start()
        loop = asyncio.get_running_loop()
        while not conn.poll():
            await asyncio.sleep(0.1)
        conn.recv()
        assert viewers.count == viewers_wanted, viewers.count
    start_cpu, start = sum(server.cpu_times()[:2]), time.monotonic()
    frames0 = channel.frames
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - start
    result = {"viewers": viewers_wanted, "server_cpu": 100 * (sum(server.cpu_times()[:2]) - start_cpu) / elapsed,
              "fps": (channel.frames - frames0) / elapsed, "latencies": [], "viewer_cpu": 0.0}
    if viewers_wanted:
        conn.send("stop")
        received, viewer_cpu = await loop.run_in_executor(None, conn.recv)
        result["viewer_cpu"] = 100 * viewer_cpu / elapsed
        result["latencies"] = [t - channel.published[i] for i, t in received if i in channel.published]
        await loop.run_in_executor(None, child.join, 30)
        await asyncio.sleep(1)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="1,5,10,20")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=int, default=25)
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))

    broadcast = Broadcast()
    channel = SyntheticChannel(broadcast, width=width, height=height, fps=args.fps).start()
    # Something always listens (like an RTMP push would), so the channel encodes with no viewer too.
    drains = [asyncio.ensure_future(drain(broadcast[name].subscribe(5000))) for name in ("h264", "opus")]
    viewers = WebRTCViewers(broadcast, ice_hosts=LOOPBACK)
    app = web.Application()
    app.add_routes(whep_routes(viewers))
    runner, base = await serve(app)
    url = base + "/whep"

    print(f"{width}x{height} @ {args.fps} fps, H.264 + Opus, {args.seconds:g} s per step, "
          f"{psutil.cpu_count()} cores")
    await asyncio.sleep(2)
    alone = await measure(url, 0, args.seconds, channel, viewers)
    print(f"{'viewers':>7} {'server CPU %':>12} {'per viewer %':>12} {'marginal %':>10} {'viewer proc %':>13} "
          f"{'fps':>5} {'p50 ms':>7} {'p95 ms':>7} {'frames':>7}")
    print(f"{0:>7} {alone['server_cpu']:>12.1f} {'':>12} {'':>10} {'':>13} {alone['fps']:>5.1f}")
    previous = (0, alone["server_cpu"])
    for count in [int(n) for n in args.viewers.split(",")]:
        r = await measure(url, count, args.seconds, channel, viewers)
        per = (r["server_cpu"] - alone["server_cpu"]) / count
        marginal = (r["server_cpu"] - previous[1]) / (count - previous[0])
        previous = (count, r["server_cpu"])
        lat = np.array(r["latencies"]) * 1000
        p50, p95 = (np.percentile(lat, 50), np.percentile(lat, 95)) if len(lat) else (float("nan"),) * 2
        print(f"{count:>7} {r['server_cpu']:>12.1f} {per:>12.2f} {marginal:>10.2f} {r['viewer_cpu']:>13.1f} "
              f"{r['fps']:>5.1f} {p50:>7.1f} {p95:>7.1f} {len(lat):>7}")
    for task in drains:
        task.cancel()
    await viewers.close_all()
    await channel.stop()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
