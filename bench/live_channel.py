"""The live channel, measured: the REAL channel (demo-shop show, 1280x720 @ 25 by default) served
by the real HTTP server on 127.0.0.1, watched by aiortc viewers in separate processes.

    .venv/bin/python bench/live_channel.py [--minutes 10] [--viewers 50] [--comments 20]
        [--sweep 0,1,10,50,100] [--max-viewers 300] [--size 1280x720] [--fps 25]

Phases, in order (each prints its own lines):
  1. baseline: the channel with no viewer for --baseline-s (CPU of the channel alone);
  2. main: --viewers N for --minutes: sustained frame rate, frames dropped/repeated (pacer stats),
     server CPU, CPU per added viewer against the baseline, frame latency and A/V offset from
     the probe viewer;
  3. --comments K (0: skip): comment POSTed -> the pacer emits the audio block holding the
     answer's first sound (its first 5 ms above about -40 dBFS, found sample for sample in the
     pacer's output; the voice's few ms of leading silence are not counted as "first audio");
  4. --sweep counts: shorter runs (--step-s) per viewer count: CPU and CPU per viewer;
  5. --max-viewers CAP: 50, 100, 150, ... viewers for --step-s each, up to CAP; stops at the
     first count that does not hold the frame rate.

What is measured, exactly:
  * The server is this process; its CPU is psutil user+system time of this pid (render thread,
    pacer, encoder thread, aiortc senders, HTTP) over the phase, in % of one core. The viewers
    run in other processes on the SAME machine: on a 2-core machine they compete with the
    server, so the machine's total CPU use is printed too.
  * An h264 and an opus subscription are held open all along (as an RTMP push would), so the
    channel encodes with no viewer as well: "CPU per viewer" is the cost of sending, not of
    encoding.
  * One viewer (the probe) decodes everything. The others (the crowd) join like any viewer
    (ICE, DTLS, SRTP) and keep sending RTCP receiver reports, but count incoming SRTP packets on
    their clear-text RTP headers and drop them undecrypted (bench/live_viewers.py): the server
    does its full sending work for them, minus NACK/PLI answers, which they never ask for.
  * Bench mode stamps a serial into each composed picture (an 8x8-cell code in the top-left
    corner, drawn by wrapping channel.program.studio.compose) and notes time.time() when it was
    composed; the probe reads the serial back from decoded frames. Latency = probe time - time
    composed, same machine clock. It includes the pacer's buffer (the render runs up to
    buffer_ms ahead on purpose), so the time from the pacer emitting the frame is printed too.
  * A/V offset, receiver side: the probe measures the mouth opening in a fixed box around the
    presenter's resting mouth (located from the animator's mouth_region at the start, with slack
    for head motion) in every decoded frame, and the loudness of every decoded 20 ms audio block;
    both are placed on the arrival time of their first RTP packet, and the lag that best lines
    up mouth opening with loudness is found by cross-correlation, per --window-s window. The same
    measure on the pacer's output timeline (media time, no network) is printed as the source
    reference: the mouth naturally leads or trails the loudness a little, and that part is in
    both numbers.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_signals import mouth_box, windowed_offsets  # noqa: E402
from live_taps import Taps, instrument  # noqa: E402
from live_viewers import crowd_process, probe_process  # noqa: E402
from webrtc_helpers import LOOPBACK, serve  # noqa: E402

from anchor.live import Channel, make_app  # noqa: E402
from anchor.program import Format  # noqa: E402
from anchor.show import demo_show_path  # noqa: E402

QUESTIONS = ("Does the pour-over set need special paper filters?",
             "Which colours are there for the pour-over set?",
             "Can I put the bottle in the dishwasher?",
             "Is the bottle free of BPA?",
             "Will the blanket shed?",
             "How much is the blanket?",
             "What is the price of the bottle?",
             "How much is the pour-over set?")
HOLD_SHARE = 0.005            # "holds 25 fps": under 0.5% of frames dropped and of ticks repeated
MOUTH_SLACK_PX = 6


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


# --- measuring ------------------------------------------------------------------------------------
class Meter:
    """Server CPU, machine CPU and pacer/render counters over one phase."""

    def __init__(self, channel: Channel):
        self.channel, self.process = channel, psutil.Process()

    def _sample(self):
        stats = self.channel.stats()
        return (time.monotonic(), sum(self.process.cpu_times()[:2]), psutil.cpu_times(), stats.pacer,
                self.channel.program.frames, stats.counts["frames_rendered"], stats.viewers)

    def start(self) -> "Meter":
        self.a = self._sample()
        return self

    def stop(self) -> dict:
        t0, c0, m0, s0, p0, r0, v0 = self.a
        t1, c1, m1, s1, p1, r1, v1 = self._sample()
        elapsed = t1 - t0
        busy = lambda m: sum(m) - m.idle - getattr(m, "iowait", 0)  # noqa: E731
        ticks = s1.frames_out - s0.frames_out
        made = p1 - p0
        skipped = made - (r1 - r0)                      # frames the render skipped (late)
        dropped = s1.frames_dropped - s0.frames_dropped + skipped
        repeated = s1.frames_repeated - s0.frames_repeated
        return {"elapsed": elapsed, "cpu": 100 * (c1 - c0) / elapsed,
                "machine": 100 * (busy(m1) - busy(m0)) / elapsed,
                "ticks": ticks, "tick_fps": ticks / elapsed,
                "new_fps": (ticks - repeated) / elapsed,
                "dropped": dropped, "dropped_share": dropped / max(1, made),
                "repeated": repeated, "repeated_share": repeated / max(1, ticks),
                "stalls": s1.stalls - s0.stalls, "resyncs": s1.resyncs - s0.resyncs,
                "av_offset_ms": s1.av_offset_ms,
                # viewers thinned: video frames not sent because a viewer's sending fell behind
                "skipped": v1.video_frames_skipped - v0.video_frames_skipped,
                "skipped_by_viewer": [n - v0.skipped_by_viewer.get(viewer, 0)
                                      for viewer, n in v1.skipped_by_viewer.items()],
                "audio_dropped": v1.audio_packets_dropped - v0.audio_packets_dropped}


def holds(m: dict, fps: int) -> bool:
    return (m["dropped_share"] < HOLD_SHARE and m["repeated_share"] < HOLD_SHARE
            and m["stalls"] == 0 and m["tick_fps"] > fps * (1 - HOLD_SHARE))


async def receive(conn, timeout: float):
    loop = asyncio.get_running_loop()
    if not await loop.run_in_executor(None, conn.poll, timeout):
        raise TimeoutError(f"no answer from a viewer process within {timeout:g} s")
    return conn.recv()


class Viewers:
    """The viewer processes of one phase: an optional probe plus a crowd."""

    def __init__(self, url: str, count: int, *, probe: bool, box, lifetime_s: float):
        self.url, self.count, self.probe, self.box = url, count, probe and count > 0, box
        self.deadline = time.time() + lifetime_s
        self.children: list = []

    async def start(self) -> dict:
        ctx = mp.get_context("spawn")
        crowd = self.count - (1 if self.probe else 0)
        plan = []
        if self.probe:
            plan.append(("probe", probe_process, (self.url, None, self.box, self.deadline)))
        if crowd:
            plan.append(("crowd", crowd_process, (self.url, crowd, None, self.deadline)))
        info = {}
        for role, target, args in plan:
            parent, child = ctx.Pipe()
            args = tuple(child if a is None else a for a in args)
            proc = ctx.Process(target=target, args=args, daemon=True)
            proc.start()
            self.children.append((role, proc, parent))
            status, detail = await receive(parent, 60 + 3 * self.count)
            if status != "ready":
                raise RuntimeError(f"{role} viewers could not join: {detail}")
            info[role] = detail
        return info

    async def report(self) -> dict:
        out = {}
        for role, proc, conn in self.children:
            conn.send("report")
            out[role] = await receive(conn, 60)
            out[role]["pid"] = proc.pid
        return out

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        for _, proc, conn in self.children:
            try:
                conn.send("stop")
            except (BrokenPipeError, OSError):
                pass
        for _, proc, _ in self.children:
            await loop.run_in_executor(None, proc.join, 30)
            if proc.is_alive():
                proc.terminate()
                await loop.run_in_executor(None, proc.join, 5)
        self.children.clear()


async def wait_viewers(channel: Channel, count: int, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while channel.viewers.count != count and time.monotonic() < end:
        await asyncio.sleep(0.2)


# --- phases ------------------------------------------------------------------------------------
def print_phase(label: str, m: dict, viewers: int, base_cpu: float | None, fps: int) -> None:
    print(f"[{label}] {viewers} viewers, {m['elapsed']:.0f} s: sustained {m['new_fps']:.2f} new "
          f"frames/s ({m['tick_fps']:.2f} ticks/s, target {fps}); dropped "
          f"{100 * m['dropped_share']:.2f}% ({m['dropped']}), repeated {100 * m['repeated_share']:.2f}% "
          f"({m['repeated']}), stalls {m['stalls']}, resyncs {m['resyncs']} -> "
          f"{'HOLDS' if holds(m, fps) else 'DOES NOT HOLD'} {fps} fps (<0.5% dropped/repeated)")
    line = f"[{label}] server CPU {m['cpu']:.1f}% of one core"
    if base_cpu is not None and viewers:
        line += f"; per added viewer {(m['cpu'] - base_cpu) / viewers:.2f}% of a core " \
                f"(vs {base_cpu:.1f}% with none)"
    line += f"; whole machine {m['machine']:.0f}% of {psutil.cpu_count()} cores (viewer processes included)"
    print(line)
    if viewers:
        per = m["skipped_by_viewer"]
        print(f"[{label}] viewers thinned (their sending fell behind): video frames skipped "
              f"{m['skipped']} in all, per viewer max/median {max(per, default=0)}/"
              f"{pct(per, 50):.0f} ({sum(n > 0 for n in per)} of {len(per)} viewers skipped any); "
              f"audio packets dropped {m['audio_dropped']}")


def print_crowd(label: str, report: dict, elapsed: float) -> None:
    crowd = report.get("crowd")
    if crowd:
        fps, share, kbit = crowd["video_fps"], crowd["packet_share"], crowd["kbit_per_s"]
        print(f"[{label}] crowd: {crowd['connected']}/{crowd['viewers']} connected; per viewer, "
              f"counted on SRTP headers without decrypting: video frames (marker bit) min/median "
              f"{min(fps, default=0):.1f}/{pct(fps, 50):.1f} per s, RTP packets received of those "
              f"numbered min {100 * min(share, default=0):.1f}%, min/median "
              f"{min(kbit, default=0):.0f}/{pct(kbit, 50):.0f} kbit/s; crowd process CPU "
              f"{100 * crowd['cpu_s'] / crowd['elapsed']:.0f}% of one core")
    probe = report.get("probe")
    if probe:
        print(f"[{label}] probe process CPU {100 * probe['cpu_s'] / elapsed:.0f}% of one core "
              "(decodes 720p H.264 + Opus)")


def latency_lines(taps: Taps, probe: dict) -> None:
    first: dict[int, tuple[float, float]] = {}
    bad = 0
    for serial, packet_at, decoded_at, _ in probe["video"]:
        if serial < 0:
            bad += 1
        elif serial not in first:
            first[serial] = (packet_at, decoded_at)
    composed = [(taps.composed[s], p, d, taps.emitted.get(s)) for s, (p, d) in first.items()
                if s in taps.composed]
    if not composed:
        print("[latency] no stamped frame was received")
        return
    c = np.array([x[0] for x in composed])
    p = np.array([x[1] for x in composed])
    d = np.array([x[2] for x in composed])
    e = np.array([x[3] if x[3] is not None else np.nan for x in composed])
    ms = lambda a: 1000 * a[~np.isnan(a)]  # noqa: E731
    total, packet, from_pacer = ms(d - c), ms(p - c), ms(d - e)
    print(f"[latency] frame composed -> decoded by the aiortc probe: p50 {pct(total, 50):.0f} ms, "
          f"p95 {pct(total, 95):.0f} ms over {len(total)} distinct frames ({bad} unreadable stamps)")
    print(f"[latency]   of which composed -> first RTP packet arrived: p50 {pct(packet, 50):.0f} ms, "
          f"p95 {pct(packet, 95):.0f} ms (includes the pacer's render-ahead buffer)")
    print(f"[latency]   frame emitted by the pacer -> decoded by the probe: p50 {pct(from_pacer, 50):.0f} ms, "
          f"p95 {pct(from_pacer, 95):.0f} ms (encode, send, aiortc jitter buffer ~1 frame, decode)")


def offset_lines(taps: Taps, probe: dict, window_s: float) -> None:
    video = np.array([(p, o) for _, p, _, o in probe["video"] if not np.isnan(p)])
    audio = np.array([(p, loud) for p, _, loud, _ in probe["audio"] if not np.isnan(p)])
    decoded_v = np.array([(d, o) for _, _, d, o in probe["video"]])
    decoded_a = np.array([(d, loud) for _, d, loud, _ in probe["audio"]])
    ref_v, ref_a = np.array(taps.ref_video), np.array(taps.ref_audio)

    def show(label, v, a):
        if len(v) < 20 or len(a) < 20:
            print(f"[a/v] {label}: not enough data")
            return
        v, a = v[np.argsort(v[:, 0], kind="stable")], a[np.argsort(a[:, 0], kind="stable")]
        offsets, skipped = windowed_offsets(v[:, 0], v[:, 1], a[:, 0], a[:, 1], window_s=window_s)
        if not offsets:
            print(f"[a/v] {label}: no {window_s:g} s window had enough speech to line up "
                  f"({skipped} windows)")
            return
        print(f"[a/v] {label}: video minus audio, per {window_s:g} s window: min {min(offsets):+.0f} / "
              f"median {float(np.median(offsets)):+.0f} / max {max(offsets):+.0f} ms "
              f"({len(offsets)} windows, {skipped} left out for too little speech)")

    show("RECEIVED, on the first-RTP-packet arrival time at the probe (target within +-40 ms)",
         video, audio)
    show("received, on aiortc's decoder output time (adds aiortc's own buffers: audio waits for "
         "4 packets = 80 ms, video for the next frame = 40 ms)", decoded_v, decoded_a)
    show("source reference, pacer output media time (the mouth's natural lead/lag vs loudness)",
         ref_v, ref_a)
    print(f"[a/v] pacer's own av_offset_ms at the end: {taps.pacer_offset_ms:.0f} ms "
          "(program time of the frame on screen minus audio time at the pacer)")



async def main_phase(args, channel, taps, url, base_cpu) -> None:
    seconds = args.minutes * 60
    viewers = Viewers(url, args.viewers, probe=True, box=taps.box, lifetime_s=seconds + 600)
    try:
        await viewers.start()
        await wait_viewers(channel, args.viewers)
        print(f"[main] {channel.viewers.count} viewers joined; measuring {seconds:.0f} s")
        taps.reference = True
        meter = Meter(channel).start()
        await asyncio.sleep(seconds)
        m = meter.stop()
        taps.reference = False
        taps.pacer_offset_ms = m["av_offset_ms"]
        report = await viewers.report()
    finally:
        await viewers.stop()
    print_phase("main", m, args.viewers, base_cpu, channel.fmt.fps)
    print_crowd("main", report, m["elapsed"])
    if "probe" in report:
        latency_lines(taps, report["probe"])
        offset_lines(taps, report["probe"], args.window_s)


async def comments_phase(args, channel, taps, base) -> None:
    waits, holding0 = [], channel.scheduler.stats.holding_lines
    alone, behind = [], []          # posted while the show spoke / while an answer was spoken
    missed = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for i in range(args.comments):
            question = QUESTIONS[i % len(QUESTIONS)]
            before = len(taps.answer_audio_at)
            current = getattr(channel.scheduler, "_current", None)   # diagnostic only
            during_answer = current is not None and current.origin == "answer"
            posted = time.time()
            async with http.post(base + "/api/comments",
                                 json={"viewer": f"bench-{i}", "text": question}) as r:
                status = r.status
            if status != 202:
                print(f"[comments] comment {i + 1} refused: HTTP {status}")
                missed += 1
                continue
            end = time.monotonic() + args.comment_timeout_s
            while len(taps.answer_audio_at) == before and time.monotonic() < end:
                await asyncio.sleep(0.005)
            if len(taps.answer_audio_at) == before:
                missed += 1
            else:
                waits.append(1000 * (taps.answer_audio_at[-1] - posted))
                (behind if during_answer else alone).append(waits[-1])
            await asyncio.sleep(args.comment_gap_s)
    holding = channel.scheduler.stats.holding_lines - holding0
    w = np.array(waits)
    print(f"[comments] comment POSTed -> first sound of its answer emitted by the pacer: "
          f"p50 {pct(w, 50):.0f} ms, p95 {pct(w, 95):.0f} ms, max {w.max() if len(w) else float('nan'):.0f} ms "
          f"over {len(w)} comments ({missed} without an answer within {args.comment_timeout_s:g} s, "
          f"{holding} answered with a holding line); interrupt on, offline answers (target <= 800 ms)")
    a, b = np.array(alone), np.array(behind)
    print(f"[comments]   posted while the show was speaking: p50 {pct(a, 50):.0f} ms, p95 {pct(a, 95):.0f} ms "
          f"({len(a)}); posted while an earlier answer was still spoken (waits for it by design): "
          f"p50 {pct(b, 50):.0f} ms, p95 {pct(b, 95):.0f} ms ({len(b)})")


async def sweep_phase(args, channel, url, base_cpu) -> None:
    counts = [int(n) for n in args.sweep.split(",") if n.strip()]
    previous = None
    for count in counts:
        viewers = Viewers(url, count, probe=False, box=None, lifetime_s=args.step_s + 600)
        try:
            if count:
                await viewers.start()
                await wait_viewers(channel, count)
            meter = Meter(channel).start()
            await asyncio.sleep(args.step_s)
            m = meter.stop()
            report = await viewers.report() if count else {}
        finally:
            await viewers.stop()
            await wait_viewers(channel, 0)
        print_phase(f"sweep {count}", m, count, base_cpu, channel.fmt.fps)
        print_crowd(f"sweep {count}", report, m["elapsed"])
        if previous is not None and count != previous[0]:
            print(f"[sweep {count}] marginal CPU per viewer since {previous[0]} viewers: "
                  f"{(m['cpu'] - previous[1]) / (count - previous[0]):.2f}% of a core")
        previous = (count, m["cpu"])


async def max_viewers_phase(args, channel, url, base_cpu) -> None:
    best = 0
    count = args.max_step
    while count <= args.max_viewers:
        viewers = Viewers(url, count, probe=False, box=None, lifetime_s=args.step_s + 900)
        try:
            try:
                await viewers.start()
            except (RuntimeError, TimeoutError) as e:
                print(f"[max {count}] could not join {count} viewers: {e}")
                break
            await wait_viewers(channel, count)
            meter = Meter(channel).start()
            await asyncio.sleep(args.step_s)
            m = meter.stop()
            report = await viewers.report()
        finally:
            await viewers.stop()
            await wait_viewers(channel, 0, 30)
        print_phase(f"max {count}", m, count, base_cpu, channel.fmt.fps)
        print_crowd(f"max {count}", report, m["elapsed"])
        crowd = report.get("crowd", {})
        delivered = (min(crowd.get("video_fps", []), default=0) >= channel.fmt.fps * 0.9
                     and min(crowd.get("packet_share", []), default=0) >= 0.9)
        if not (holds(m, channel.fmt.fps) and delivered):
            print(f"[max {count}] fails (server holds: {holds(m, channel.fmt.fps)}, every viewer "
                  f"received >= 90% of the video frames and of the RTP packets: {delivered})")
            break
        best = count
        count += args.max_step
    capped = count > args.max_viewers
    print(f"[max] largest viewer count that held {channel.fmt.fps} fps (<0.5% dropped/repeated, "
          f"every viewer receiving): {best}" + (f" (stopped at the cap {args.max_viewers})" if capped else ""))


async def run(args) -> None:
    width, height = map(int, args.size.split("x"))
    workdir = Path(tempfile.mkdtemp(prefix="anchor-live-bench-"))
    try:
        show = workdir / "demo-shop.yaml"
        text = demo_show_path("demo-shop").read_text()
        if "interrupt: false" not in text:
            raise SystemExit("the demo show no longer says 'interrupt: false'; update the bench")
        show.write_text(text.replace("interrupt: false", "interrupt: true", 1))
        channel = Channel(show, fmt=Format(width, height, args.fps), ice_hosts=LOOPBACK)
        taps = Taps()
        instrument(channel, taps)
        runner, base = await serve(make_app(channel, token="bench-token"))
        url = base + "/whep"
        # Held open all along, as an RTMP push would: the channel encodes with no viewer too.
        drains = [channel.broadcast[name].subscribe(5000) for name in ("h264", "opus")]
        drain_tasks = [asyncio.ensure_future(_drain(s)) for s in drains]
        await channel.start()
        print(f"live channel: {channel.show.title}, {width}x{height} @ {args.fps} fps, H.264 + Opus, "
              f"answers interrupt; server pid {psutil.Process().pid}, {psutil.cpu_count()} cores; "
              f"all traffic on 127.0.0.1 ({base})")
        try:
            await asyncio.sleep(args.warmup_s)
            if taps.regions:
                box = channel.program.studio.presenter_box
                taps.box = mouth_box(taps.regions, (box.x, box.y), MOUTH_SLACK_PX)
            else:
                taps.box = (0, 0, 8, 8)
                print("the animator has no mouth_region: the A/V offset cannot be measured")
            meter = Meter(channel).start()
            await asyncio.sleep(args.baseline_s)
            b = meter.stop()
            print_phase("baseline", b, 0, None, args.fps)
            base_cpu = b["cpu"]
            if args.viewers > 0 and args.minutes > 0:
                await main_phase(args, channel, taps, url, base_cpu)
            if args.comments > 0:
                await comments_phase(args, channel, taps, base)
            if args.sweep:
                await sweep_phase(args, channel, url, base_cpu)
            if args.max_viewers:
                await max_viewers_phase(args, channel, url, base_cpu)
            totals = channel.stats()
            c = totals.counts
            print(f"channel totals: frames rendered {c['frames_rendered']}, render errors "
                  f"{c['render_errors']}, mean render {1000 * c['render_seconds'] / max(1, c['frames_rendered']):.1f} "
                  f"ms/frame; viewers' video frames skipped {totals.viewers.video_frames_skipped}, "
                  f"hand-over drops {dict(totals.broadcast.handover_dropped)}; encoder {totals.encoder}")
        finally:
            for s in drains:
                s.close()
            for t in drain_tasks:
                t.cancel()
            await asyncio.wait_for(channel.stop(), 30)
            await runner.cleanup()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def _drain(subscription) -> None:
    async for _ in subscription:
        pass


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="length of the main phase")
    p.add_argument("--viewers", type=int, default=50, help="viewers in the main phase (1 probe + crowd)")
    p.add_argument("--size", default="1280x720")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--warmup-s", type=float, default=10.0)
    p.add_argument("--baseline-s", type=float, default=30.0)
    p.add_argument("--window-s", type=float, default=30.0, help="A/V offset window")
    p.add_argument("--comments", type=int, default=20, help="comments to time (0: skip)")
    p.add_argument("--comment-gap-s", type=float, default=8.0)
    p.add_argument("--comment-timeout-s", type=float, default=10.0)
    p.add_argument("--sweep", default="", help="viewer counts, e.g. 0,1,10,50,100")
    p.add_argument("--max-viewers", type=int, default=0, help="cap of the max-viewers search (0: skip)")
    p.add_argument("--max-step", type=int, default=50)
    p.add_argument("--step-s", type=float, default=60.0, help="length of each sweep / max-viewers step")
    args = p.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
