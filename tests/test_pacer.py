"""The live pacer on a virtual clock: steady 25 fps, audio that never drops or drifts, video that
drops or repeats frames when the render is late, backpressure, captions on time, stalls."""
from __future__ import annotations

import asyncio
import math
import random
from fractions import Fraction

import numpy as np
import pytest

from anchor.clock import VirtualClock
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, VideoFrame
from streaming.pacer import Pacer

FPS = 25
TICK = PROGRAM_RATE // FPS      # 1920 samples per video frame
BLOCK = 960                     # 20 ms
TB = Fraction(1, FPS)
T0 = 100.0                      # the virtual clock's start


def tone(start: int, length: int) -> np.ndarray:
    """PCM that names its own program samples, so any gap, repeat or drop shows."""
    return (np.arange(start, start + length) % 30_011).astype(np.int16)


def picture(n: int) -> np.ndarray:
    """A 1x1 frame that carries its program frame number."""
    return np.array([[[n & 255, (n >> 8) & 255, (n >> 16) & 255]]], np.uint8)


def frame_number(image: np.ndarray) -> int:
    r, g, b = (int(v) for v in image[0, 0])
    return r | g << 8 | b << 16


class Program:
    """Program items in the order anchor.program.Program yields them: an utterance's audio and
    caption, then the frames that start before its end."""

    def __init__(self):
        self.samples = 0
        self.frames = 0

    def utterance(self, ms: int, text: str = "") -> list:
        start, length = self.samples, ms * PROGRAM_RATE // 1000
        self.samples += length
        items = [AudioBlock(tone(start, length), start)]
        if text:
            items.append(Caption(text, start, start + length))
        last = math.ceil(self.samples / TICK)
        items += [VideoFrame(picture(n), n, TB) for n in range(self.frames, last)]
        self.frames = last
        return items


class Recorder:
    """A PacedOutput that notes what came out and when (on the virtual clock)."""

    def __init__(self, clock):
        self.clock = clock
        self.blocks: list[tuple[float, AudioBlock]] = []
        self.frames: list[tuple[float, VideoFrame, bool]] = []
        self.cues: list[tuple[float, Caption, int]] = []    # with the playhead when emitted
        self.progress = asyncio.Event()

    def video(self, frame, repeated):
        self.frames.append((self.clock.now(), frame, repeated))
        self.progress.set()

    def audio(self, block):
        self.blocks.append((self.clock.now(), block))
        self.progress.set()

    def caption(self, c):
        self.cues.append((self.clock.now(), c, self.samples_out))
        self.progress.set()

    @property
    def samples_out(self) -> int:
        return self.blocks[-1][1].pts + BLOCK if self.blocks else 0

    async def until(self, done) -> None:
        while not done(self):
            self.progress.clear()
            await self.progress.wait()

    def shown(self) -> list[int]:
        """The program frame number on screen at each output tick."""
        return [frame_number(f.image) for _, f, _ in self.frames]


async def run_scenario(producer, *, until, buffer_ms=500, timeout=60.0):
    """Run a pacer fed by `producer(pacer, rec, clock)` until `until(rec)`."""
    clock = VirtualClock(T0)
    pacer = Pacer(fps=FPS, clock=clock, buffer_ms=buffer_ms)
    rec = Recorder(clock)

    async def scenario():
        running = asyncio.create_task(pacer.run(rec))
        finishing = asyncio.create_task(finish())
        done, _ = await asyncio.wait({running, finishing}, return_when=asyncio.FIRST_COMPLETED)
        pacer.stop()
        await finishing
        await running                       # raises if the pacer failed

    async def finish():
        await producer(pacer, rec, clock)
        await rec.until(until)

    await asyncio.wait_for(scenario(), timeout)
    return rec, pacer


def check_audio_continuous(rec: Recorder) -> None:
    """Every block is 20 ms, timestamps run on without a gap, and the samples are the program's."""
    for i, (_, block) in enumerate(rec.blocks):
        assert block.pts == i * BLOCK and len(block.pcm) == BLOCK, f"block {i}"
    pcm = np.concatenate([b.pcm for _, b in rec.blocks])
    assert np.array_equal(pcm, tone(0, len(pcm))), "audio out differs from the program audio"


def check_video_ticks(rec: Recorder) -> None:
    """One frame per tick without a gap (from the first tick that had a frame to show)."""
    first = rec.frames[0][1].pts
    for k, (_, frame, _) in enumerate(rec.frames, first):
        assert frame.pts == k and frame.time_base == TB, f"tick {k}"


async def test_a_fast_render_plays_at_25_fps_with_every_sample_and_frame():
    program = Program()
    lengths = [1300, 420, 2750, 980, 3010]

    async def produce(pacer, rec, clock):
        for ms in lengths:
            for item in program.utterance(ms, f"{ms} ms"):
                await pacer.put(item)

    rec, pacer = await run_scenario(produce, until=lambda r: r.samples_out >= program.samples - 959)
    check_audio_continuous(rec)
    check_video_ticks(rec)
    total = sum(lengths) * PROGRAM_RATE // 1000
    assert len(rec.blocks) == total // BLOCK
    # wall time: audio block i at 20 ms steps, video tick k at 40 ms steps, from one origin
    start = rec.blocks[0][0]
    for i, (t, _) in enumerate(rec.blocks):
        assert t == pytest.approx(start + i * 0.02, abs=1e-9)
    for k, (t, _, _) in enumerate(rec.frames):
        assert t == pytest.approx(start + k * 0.04, abs=1e-9)
    assert len(rec.frames) == math.ceil(len(rec.blocks) * BLOCK / TICK)
    # lips on sound: tick k shows program frame k, nothing dropped or repeated
    assert rec.shown() == list(range(len(rec.frames)))
    s = pacer.stats
    assert (s.frames_out, s.frames_dropped, s.frames_repeated, s.stalls) == (len(rec.frames), 0, 0, 0)
    assert s.av_offset_ms == 0


async def test_put_awaits_while_the_buffer_is_full():
    clock = VirtualClock(T0)
    pacer = Pacer(fps=FPS, clock=clock, buffer_ms=300)
    rec = Recorder(clock)
    program = Program()
    items = program.utterance(2000)              # 2 s of audio, then 50 frames
    done_at: list[float] = []

    async def produce():
        for item in items:
            await pacer.put(item)
            done_at.append(clock.now())

    async def scenario():
        feeding = asyncio.create_task(produce())
        for _ in range(50):
            await asyncio.sleep(0)
        # the audio and frames 0..7 (start <= 300 ms) went in; frame 8 (320 ms) waits
        assert not feeding.done() and len(done_at) == 1 + 8
        assert pacer.stats.buffered_ms == 280
        running = asyncio.create_task(pacer.run(rec))
        await feeding
        pacer.stop()
        await running

    await asyncio.wait_for(scenario(), 10)
    # frame n (starts n * 40 ms) is accepted once the playhead is within 300 ms of it
    t0 = rec.blocks[0][0]
    for n in range(8, 50):
        accepted = done_at[1 + n] - t0
        assert n * 0.04 - 0.3 - 0.02 - 1e-9 <= accepted <= n * 0.04 - 0.3 + 0.02 + 1e-9, n
    assert pacer.stats.frames_dropped == pacer.stats.frames_repeated == 0


async def test_missing_frames_are_repeated():
    program = Program()
    items = program.utterance(2000)

    async def produce(pacer, rec, clock):
        for item in items:
            if isinstance(item, VideoFrame) and 10 <= item.pts < 15:
                continue                           # the render lost these five
            await pacer.put(item)

    rec, pacer = await run_scenario(produce, until=lambda r: len(r.frames) >= 50)
    shown = rec.shown()
    assert shown[:10] == list(range(10))
    assert shown[10:15] == [9] * 5
    assert [rep for _, _, rep in rec.frames[8:17]] == [False] * 2 + [True] * 5 + [False] * 2
    assert shown[15:] == list(range(15, 50))
    s = pacer.stats
    assert (s.frames_repeated, s.frames_dropped, s.frames_out) == (5, 0, 50)
    check_audio_continuous(rec)


async def test_late_frames_get_one_frame_of_grace_then_are_dropped():
    program = Program()
    audio, *frames = program.utterance(4000)

    async def produce(pacer, rec, clock):
        await pacer.put(audio)
        for f in frames[:20]:
            await pacer.put(f)
        await rec.until(lambda r: len(r.frames) >= 21)   # tick 20 went out without frame 20
        await pacer.put(frames[20])                       # less than a frame late: still shown
        await rec.until(lambda r: len(r.frames) >= 23)   # ticks 21, 22 out
        await pacer.put(frames[21])                       # two frames late: dropped
        for f in frames[22:]:
            await pacer.put(f)                            # 22 is superseded by 23 at tick 23

    rec, pacer = await run_scenario(produce, until=lambda r: len(r.frames) >= 100)
    shown = rec.shown()
    repeated = [rep for _, _, rep in rec.frames]
    assert shown[19:24] == [19, 19, 20, 20, 23]
    assert repeated[19:24] == [False, True, False, True, False]
    assert shown[24:] == list(range(24, 100))
    s = pacer.stats
    assert (s.frames_dropped, s.frames_repeated) == (2, 2)
    assert s.av_offset_ms == 0                       # back in sync
    check_audio_continuous(rec)
    check_video_ticks(rec)


async def test_a_stalled_render_pauses_audio_and_video_together():
    program = Program()

    async def produce(pacer, rec, clock):
        for item in program.utterance(1000, "before"):
            await pacer.put(item)
        await rec.until(lambda r: r.samples_out >= PROGRAM_RATE)   # all of it played
        await clock.sleep_until(clock.now() + 2.5)                  # the render stalls 2.5 s
        for item in program.utterance(1000, "after"):
            await pacer.put(item)

    rec, pacer = await run_scenario(produce, until=lambda r: len(r.frames) >= 50)
    check_audio_continuous(rec)          # nothing lost, nothing inserted: the timeline ran on
    check_video_ticks(rec)
    assert rec.shown() == list(range(50))
    start = rec.blocks[0][0]
    for _, block in rec.blocks:
        pass
    times = [t for t, _ in rec.blocks]
    assert times[49] == pytest.approx(start + 0.98)
    assert times[50] == pytest.approx(times[49] + 0.02 + 2.5, abs=0.021)   # the pause
    assert np.allclose(np.diff(times[50:]), 0.02)
    # video paused with the audio: tick 25 (1.0 s) comes right after the audio resumes
    assert rec.frames[25][0] == pytest.approx(times[50], abs=1e-9)
    assert rec.frames[24][0] < times[49] + 0.02
    # the second caption comes out when its audio does, after the pause
    (t1, c1, at1), (t2, c2, at2) = rec.cues
    assert (c1.text, c1.start, at1, t1) == ("before", 0, 0, start)
    assert (c2.text, c2.start, c2.end, at2) == ("after", PROGRAM_RATE, 2 * PROGRAM_RATE,
                                                PROGRAM_RATE)
    assert t2 == times[50]
    s = pacer.stats
    assert (s.stalls, s.frames_dropped, s.frames_repeated) == (1, 0, 0)


async def test_captions_come_out_at_their_start_time():
    program = Program()
    lengths = [730, 1210, 390, 2000]

    async def produce(pacer, rec, clock):
        for i, ms in enumerate(lengths):
            for item in program.utterance(ms, f"line {i}"):
                await pacer.put(item)

    rec, pacer = await run_scenario(produce, until=lambda r: r.samples_out >= program.samples - 959)
    starts = np.cumsum([0] + lengths[:-1]) * PROGRAM_RATE // 1000
    assert [c.text for _, c, _ in rec.cues] == [f"line {i}" for i in range(len(lengths))]
    origin = rec.blocks[0][0]
    for (t, cue, playhead), start in zip(rec.cues, starts):
        assert cue.start == start
        # emitted just before the audio block that holds its first sample, at that block's time
        assert playhead <= start < playhead + BLOCK
        assert t == pytest.approx(origin + playhead / PROGRAM_RATE, abs=1e-9)
    assert pacer.stats.captions_out == len(lengths)


async def test_ten_minutes_with_irregular_rendering_do_not_drift():
    """10 virtual minutes: utterances of random length, a render whose frame time wanders around
    the frame period with hiccups and stalls. Audio must arrive whole; every new frame is shown
    on its tick or one tick late; the offset does not grow."""
    rng = random.Random(7)
    program = Program()
    total_ms = 10 * 60 * 1000
    put_frames = skipped = 0

    async def reach(pacer, rec, clock, target):
        """Wait until virtual time `target` while the pacer plays on (the render is another
        thread: time passes for it whether or not it has finished)."""
        while clock.now() < target - 1e-9:
            if pacer.stats.audio_buffered_ms < 20:      # nothing left to play: a real stall
                await clock.sleep_until(target)
            else:
                seen = len(rec.blocks) + len(rec.frames)
                await rec.until(lambda r: len(r.blocks) + len(r.frames) > seen)

    async def produce(pacer, rec, clock):
        nonlocal put_frames, skipped
        ready = clock.now()           # when the render finishes its current piece of work
        while program.samples < total_ms * PROGRAM_RATE // 1000:
            ms = rng.randrange(2, 200) * 40                   # 80 ms .. 8 s
            items = program.utterance(ms, "words")
            ready = max(ready, clock.now()) + rng.uniform(0.02, 0.3)      # speech synthesis
            for item in items:
                if isinstance(item, VideoFrame):
                    ready = max(ready, clock.now())
                    await reach(pacer, rec, clock, ready)
                    if pacer.is_late(item.pts, item.time_base):
                        skipped += 1                           # behind: skip it, catch up
                        ready += 0.001
                        continue
                    roll = rng.random()
                    if roll < 0.001:
                        cost = rng.uniform(0.2, 1.5)           # a hiccup: frames drop, maybe a stall
                    elif roll < 0.15:
                        cost = rng.uniform(0.04, 0.09)         # slower than real time
                    else:
                        cost = rng.uniform(0.005, 0.035)
                    ready = max(ready, clock.now()) + cost
                    put_frames += 1
                await reach(pacer, rec, clock, ready)
                await pacer.put(item)

    rec, pacer = await run_scenario(
        produce, until=lambda r: r.samples_out >= program.samples, timeout=120)
    check_audio_continuous(rec)
    check_video_ticks(rec)
    assert rec.samples_out == program.samples                 # every sample came out
    ticks = rec.frames[-1][1].pts + 1
    assert ticks == program.samples // TICK
    s = pacer.stats
    assert s.frames_out == len(rec.frames) >= ticks - 1     # tick 0 may come before frame 0
    shown = rec.shown()
    new = [(f.pts, n) for n, (_, f, rep) in zip(shown, rec.frames) if not rep]
    # every new frame is on its tick or one late: lips never lead, never trail by more than a frame
    assert all(k - 1 <= n <= k for k, n in new)
    # no drift: in the last minute, frames are as much on time as in the first
    first = [k - n for k, n in new if k < 60 * FPS]
    last = [k - n for k, n in new if k >= ticks - 60 * FPS]
    assert np.mean(last) <= np.mean(first) + 0.2
    assert shown[-1] == ticks - 1 or rec.frames[-1][2]
    # every frame rendered was either shown once or counted as dropped
    assert len(new) + s.frames_dropped == put_frames
    assert put_frames + skipped == program.frames
    assert s.frames_repeated == len(rec.frames) - len(new)
    # the test really exercised late rendering: some drops, repeats and stalls, but few
    assert 0 < s.frames_dropped < 0.05 * ticks
    assert 0 < s.frames_repeated < 0.05 * ticks
    assert s.stalls > 0
    # outside stalls, audio left every 20 ms of virtual time
    gaps = np.diff([t for t, _ in rec.blocks])
    assert np.count_nonzero(np.abs(gaps - 0.02) > 1e-6) <= s.stalls + s.resyncs
    assert -40 <= s.av_offset_ms <= 0 or rec.frames[-1][2]


class HeldClock(VirtualClock):
    """A virtual clock that stands still (sleeps into the future wait) until released."""

    def __init__(self, start: float):
        super().__init__(start)
        self.released = asyncio.Event()

    async def sleep_until(self, t: float) -> None:
        if t > self.now():
            await self.released.wait()
        await super().sleep_until(t)


async def test_a_render_thread_offers_items_without_waiting_on_the_loop():
    """offer() from another thread: every sample comes out in order, and the thread blocks only
    while the buffer is full (the loop sees it blocked)."""
    clock = HeldClock(T0)
    pacer = Pacer(fps=FPS, clock=clock, buffer_ms=300)
    rec = Recorder(clock)
    program = Program()
    utterances = [program.utterance(ms, f"{ms} ms") for ms in (700, 1200, 900)]
    offered = 0

    def render():
        nonlocal offered
        for item in (item for items in utterances for item in items):
            pacer.offer(item)
            offered += 1

    async def scenario():
        running = asyncio.create_task(pacer.run(rec))
        thread = asyncio.create_task(asyncio.to_thread(render))
        try:
            # time stands still: 700 ms of audio are in, the next utterance's audio waits
            await asyncio.wait_for(pacer.offer_blocked.wait(), 5)
            assert offered == len(utterances[0]) and not thread.done()
            clock.released.set()
            await thread
            await rec.until(lambda r: r.samples_out >= program.samples - BLOCK + 1)
        finally:
            pacer.stop()
            await running
            await thread

    await asyncio.wait_for(scenario(), 20)
    check_audio_continuous(rec)
    assert len(rec.blocks) == program.samples // BLOCK
    assert [c.text for _, c, _ in rec.cues] == ["700 ms", "1200 ms", "900 ms"]
    assert not pacer.offer_blocked.is_set()


async def test_offer_flush_forgets_what_was_offered_before_it():
    clock = VirtualClock(T0)
    pacer = Pacer(fps=FPS, clock=clock, buffer_ms=2000)
    rec = Recorder(clock)
    old, new = Program(), Program()
    for item in old.utterance(1000, "old"):
        pacer.offer(item)
    pacer.offer_flush()
    for item in new.utterance(600, "new"):
        pacer.offer(item)

    async def scenario():
        running = asyncio.create_task(pacer.run(rec))
        await rec.until(lambda r: r.samples_out >= new.samples)
        pacer.stop()
        await running

    await asyncio.wait_for(scenario(), 10)
    check_audio_continuous(rec)               # the new program's samples from 0, nothing else
    assert len(rec.blocks) == new.samples // BLOCK
    assert [c.text for _, c, _ in rec.cues] == ["new"]


def test_offer_returns_once_the_pacer_stops():
    pacer = Pacer(fps=FPS, clock=VirtualClock(T0), buffer_ms=100)
    program = Program()
    blocked = program.utterance(500)          # more than the buffer: the first offer fits,
    pacer.offer(blocked[0])                   # a second audio block would wait
    pacer.stop()
    pacer.offer(AudioBlock(tone(0, BLOCK), program.samples))   # returns at once
