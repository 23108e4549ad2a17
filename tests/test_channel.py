"""The real live channel, end to end on 127.0.0.1: the show rendered, paced, encoded and served
through the HTTP server (WHEP, comments, control API, metrics), received by an aiortc viewer,
pushed to a real nginx-rtmp, hot-reloaded from its file, and run for minutes of stream time on
a virtual clock (bench/endurance.py) to catch leaks and drift.

Timings are read on the stream's own timeline (the audio the pacer has played, which stops
when the render stalls), never on the wall clock: a loaded machine stalls the stream, and
what a viewer would notice is measured in the stream."""
from __future__ import annotations

import asyncio
import os
import re
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import av
import numpy as np

from fakes import until
from anchor.live import Channel, make_app
from anchor.program import Format
from anchor.show import demo_show_path
from nginx_rtmp import nginx_rtmp  # noqa: F401  (the fixture)
from webrtc_helpers import accept_answer, frames, receiving_client, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from endurance import endurance, trend_mb  # noqa: E402

FMT = Format(320, 180, 25)
TOKEN = "channel-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PATIENCE = 15.0                   # seconds any single wait may take
LONG = ("This morning I want to tell you slowly and carefully about the many small details of "
        "our kitchen, the shelves, the tiles, the old oak table, the copper pots and pans, "
        "and the little window over the sink that looks out on the garden")
BOTTLE_FAQ = ("The lid, yes. The bottle itself should be washed by hand to protect the "
              "coating.")
QUESTION = "Can I put the bottle in the dishwasher?"


def show_yaml(*, interrupt: bool = False, opening: str = LONG) -> str:
    return f"""\
title: Channel Test
language: en
seed: 3
answers:
  interrupt: {str(interrupt).lower()}
segments:
  - kind: text
    text: {opening}.
  - kind: product
    name: Brightside Insulated Bottle
    price: 24.50
    currency: USD
    selling_points:
      - Keeps drinks cold for 24 hours.
    faq:
      - q: Can I put it in the dishwasher?
        a: {BOTTLE_FAQ}
"""


def write_atomically(path: Path, text: str) -> None:
    """Replace a file in one step, as an editor saving it does (no half-written file seen)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@asynccontextmanager
async def on_air(show_path: Path | None = None, **kwargs):
    """A real channel and its HTTP server on 127.0.0.1; yields (channel, HTTP session)."""
    channel = Channel(show_path or demo_show_path("demo-shop"), fmt=FMT,
                      ice_hosts=["127.0.0.1"], **kwargs)
    await asyncio.wait_for(channel.start(), 30)
    runner, base = await serve(make_app(channel, token=TOKEN))
    try:
        timeout = aiohttp.ClientTimeout(total=PATIENCE)
        async with aiohttp.ClientSession(base_url=base, timeout=timeout) as http:
            yield channel, http
    finally:
        await runner.cleanup()
        await asyncio.wait_for(channel.stop(), 30)


def stream_s(channel: Channel) -> float:
    """How far the stream has played: seconds of audio the pacer has emitted."""
    return channel.stats().pacer.audio_ms_out / 1000


class PageEvents:
    """What the player pages are told (channel.events()), with the stream time each one came."""

    def __init__(self, channel: Channel):
        self.seen: list[tuple[float, dict]] = []
        self._new = asyncio.Event()
        self._channel = channel
        self._events = channel.events()
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        async for event in self._events:
            self.seen.append((stream_s(self._channel), event))
            self._new.set()

    async def next(self, match, *, after: int = 0, timeout: float = PATIENCE) -> tuple[int, float, dict]:
        """The first event at index >= after for which match(event) is true: (index, stream
        time, event)."""
        async with asyncio.timeout(timeout):
            i = after
            while True:
                while i < len(self.seen):
                    t, event = self.seen[i]
                    if match(event):
                        return i, t, event
                    i += 1
                self._new.clear()
                await self._new.wait()

    def subtitle(self, words: str):
        return lambda e: e["type"] == "subtitle" and words in e["text"]

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._events.aclose()


@asynccontextmanager
async def watching(http: aiohttp.ClientSession, channel: Channel):
    """An aiortc viewer joined through WHEP; yields (tracks, stream time answered, Location)."""
    pc, offer = await receiving_client()
    try:
        async with http.post("/whep", data=offer,
                             headers={"Content-Type": "application/sdp"}) as resp:
            assert resp.status == 201, await resp.text()
            location = resp.headers["Location"]
            answer = await resp.text()
        tracks = await accept_answer(pc, answer)
        answered = stream_s(channel)
        video = await asyncio.wait_for(tracks["video"], PATIENCE)
        audio = await asyncio.wait_for(tracks["audio"], PATIENCE)
        yield video, audio, answered, location
    finally:
        await asyncio.wait_for(pc.close(), PATIENCE)


def picture(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="rgb24").astype(np.int16)


def rms(frame: av.AudioFrame) -> float:
    return float(np.sqrt(np.mean(frame.to_ndarray().astype(np.float64) ** 2)))


async def metric(http: aiohttp.ClientSession, pattern: str) -> list[float]:
    """Values of the /metrics lines matching a regular expression (name and labels)."""
    async with http.get("/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    return [float(m.group(1)) for m in re.finditer(rf"^{pattern} (\S+)$", text, re.M)]


# --- WebRTC through WHEP ----------------------------------------------------------------------

async def test_whep_viewer_sees_the_presenter_move_and_hears_her_then_leaves():
    async with on_air() as (channel, http):
        async with watching(http, channel) as (video, audio, answered, location):
            first = await asyncio.wait_for(video.recv(), PATIENCE)
            first_after = stream_s(channel) - answered
            assert first_after < 1.0, f"first picture {first_after:.2f} s of stream after the answer"
            assert (first.width, first.height) == (FMT.width, FMT.height)

            pictures = [picture(f) for f in await frames(video, 50, PATIENCE)]
            # a picture, not a black or flat screen
            assert pictures[-1].mean() > 20 and pictures[-1].std() > 8
            # it moves: the presenter talks, blinks, breathes over two seconds
            changes = [np.abs(a - b).mean() for a, b in zip(pictures, pictures[1:])]
            assert sum(c > 0.05 for c in changes) >= 10, changes

            # sound: three seconds of the show have speech in them, not only silence
            sound = [rms(f) for f in await frames(audio, 150, PATIENCE)]
            assert sum(r > 300 for r in sound) > len(sound) // 5, sorted(sound)[-10:]
            assert channel.viewers.count == 1
            # a viewer keeping up skips nothing; the counters a dashboard watches are there
            assert await metric(http, "anchor_viewer_frames_skipped_total") == [0]
            assert len(await metric(http, "anchor_stalls_total")) == 1

            async with http.delete(location) as resp:
                assert resp.status in (200, 204)
            await until(lambda: channel.viewers.count == 0, PATIENCE)
            assert await metric(http, "anchor_viewers") == [0]
            async with http.delete(location) as resp:
                assert resp.status == 404                 # already gone


# --- comments ------------------------------------------------------------------------------

async def test_a_comment_waits_for_the_sentence_then_is_answered_and_spoken(tmp_path):
    path = tmp_path / "show.yaml"
    path.write_text(show_yaml(interrupt=False))
    async with on_air(path) as (channel, http):
        events = PageEvents(channel)
        try:
            i, t_long, long = await events.next(events.subtitle("many small details"))
            async with http.post("/api/comments", json={"text": QUESTION, "viewer": "ann"}) as resp:
                assert resp.status == 202, await resp.text()
                assert (await resp.json())["ok"] is True
            _, _, answer = await events.next(lambda e: e["type"] == "answer", after=i)
            assert answer["question"] == QUESTION and BOTTLE_FAQ in answer["text"]

            # spoken: the presenter's subtitles carry the answer, once the sentence is over
            j, t_said, _ = await events.next(events.subtitle("washed by hand"), after=i)
            assert t_said >= t_long + long["seconds"] - 0.5, (t_said - t_long, long["seconds"])
            assert t_said - t_long < long["seconds"] + 8
            assert await metric(http, 'anchor_comments_total{result="answered"}') == [1]
        finally:
            await events.close()


async def test_an_interrupting_show_answers_before_the_sentence_ends_then_resumes(tmp_path):
    path = tmp_path / "show.yaml"
    path.write_text(show_yaml(interrupt=True))
    async with on_air(path) as (channel, http):
        events = PageEvents(channel)
        try:
            i, t_long, long = await events.next(events.subtitle("many small details"))
            assert long["seconds"] > 6, long      # long enough to cut into
            async with http.post("/api/comments", json={"text": QUESTION, "viewer": "bo"}) as resp:
                assert resp.status == 202, await resp.text()
            j, t_said, _ = await events.next(events.subtitle("washed by hand"), after=i + 1)
            assert t_said - t_long < long["seconds"] - 2, (t_said - t_long, long["seconds"])
            # and the show goes back to what it was saying
            await events.next(events.subtitle("many small details"), after=j + 1)
        finally:
            await events.close()


# --- hot reload ----------------------------------------------------------------------------

async def test_editing_the_show_file_live_takes_effect_and_a_broken_edit_is_refused(tmp_path):
    path = tmp_path / "show.yaml"
    path.write_text(show_yaml(opening="Good evening and welcome to the shop"))
    async with on_air(path) as (channel, http):
        events = PageEvents(channel)
        try:
            i, _, _ = await events.next(events.subtitle("welcome to the shop"))
            write_atomically(path, show_yaml(opening="Fresh today, the zebra bakery has opened"))
            i, _, _ = await events.next(events.subtitle("zebra bakery"), after=i)

            # a syntax error: refused, counted, the edited show stays on air
            write_atomically(path, show_yaml() + "  - kind: text\n    text: [unclosed\n")
            await until(lambda: channel.counts["reload_errors"] >= 1, PATIENCE)
            assert await metric(http, 'anchor_errors_total{kind="reload"}') == [1]
            frames_before, said = channel.pacer.stats.frames_out, len(events.seen)
            # still talking (the edited show goes on), pictures still flowing
            await events.next(lambda e: e["type"] == "subtitle", after=said)
            await until(lambda: channel.pacer.stats.frames_out > frames_before + FMT.fps, PATIENCE)
            assert channel.show.title == "Channel Test" and "zebra" in str(channel.show.segments[0])
            async with http.get("/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["status"] == "ok"

            async with http.post("/api/control/reload", headers=AUTH) as resp:
                assert resp.status == 422
                body = await resp.json()
            assert "\n" not in body["error"] and "show.yaml" in body["error"], body
            assert body["title"] == "Channel Test"
            async with http.post("/api/control/reload") as resp:
                assert resp.status == 401                 # no token, no control
        finally:
            await events.close()


# --- RTMP push -----------------------------------------------------------------------------

KEY = "channel-key-42"


def read_recording(path: Path) -> dict:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        info = {"video": video.codec_context.name, "audio": audio.codec_context.name,
                "size": (video.codec_context.width, video.codec_context.height),
                "rate": audio.codec_context.sample_rate, "frames": 0, "samples": 0}
        for frame in container.decode(video=0, audio=0):
            if isinstance(frame, av.VideoFrame):
                info["frames"] += 1
            else:
                info["samples"] += frame.samples
    return info


async def test_push_reaches_nginx_rtmp_and_survives_the_server_dying(nginx_rtmp):  # noqa: F811
    async with on_air() as (channel, http):
        async with http.post("/api/control/pushes", json={"url": nginx_rtmp.url(KEY)},
                             headers=AUTH) as resp:
            assert resp.status == 201, await resp.text()
            target = (await resp.json())["id"]

        def state() -> str:
            return {p["id"]: p["state"] for p in channel.pushes()}[target]

        up = f'anchor_push_up{{target="{target}",kind="rtmp",state="\\w+"}}'
        await until(lambda: state() == "live", PATIENCE)
        assert await metric(http, up) == [1]
        async with watching(http, channel) as (video, audio, _, _):
            await frames(video, 2 * FMT.fps, PATIENCE)        # two seconds pushed and watched
            nginx_rtmp.stop()                                 # the ingest crashes
            await until(lambda: state() != "live", PATIENCE)
            assert await metric(http, up) == [0]
            # the viewer does not notice
            await frames(video, FMT.fps, PATIENCE)
            await frames(audio, 50, PATIENCE)
            nginx_rtmp.start()
            await until(lambda: state() == "live", 20)
            assert await metric(http, up) == [1]
            await frames(video, FMT.fps, PATIENCE)
        assert channel.health()["status"] == "ok"

    first, *later = nginx_rtmp.recordings(KEY)
    assert later, "nothing was recorded after the restart"
    info = read_recording(first)
    assert (info["video"], info["audio"]) == ("h264", "aac"), info
    assert info["size"] == (FMT.width, FMT.height) and info["rate"] == 48_000
    assert info["frames"] >= 1.5 * FMT.fps and info["samples"] >= 1.5 * 48_000, info


# --- endurance -------------------------------------------------------------------------------

async def test_minutes_of_stream_time_without_memory_growth_or_drift():
    """Three minutes of stream time as fast as the machine allows (a virtual clock that moves
    when the channel has caught up), h264 + aac encoders running: no RSS growth trend after
    warm-up, the A/V offset at the pacer output within 40 ms at every step, < 0.5% dropped."""
    samples = await asyncio.wait_for(
        endurance(demo_show_path("demo-shop"), FMT, stream_s=180, every_s=15), 120)
    end = samples[-1]
    assert end.stream_s >= 180 and len(samples) >= 12
    assert end.clock_forced == 0, "the render stopped feeding the pacer"
    assert end.worst_av_ms <= 40, [s.worst_av_ms for s in samples]
    assert end.frames_out >= 180 * FMT.fps * 0.99
    assert end.frames_dropped < 0.005 * end.frames_out, end
    assert end.encoded_h264 >= 0.99 * end.frames_out and end.encoder_dropped == 0, end
    assert abs(end.feed_skew_ms) < 200, end       # the encoded feeds do not drift apart
    growth = trend_mb(samples[1:])                 # the first sample is the warm-up
    assert growth < 15, [round(s.rss_mb, 1) for s in samples]
