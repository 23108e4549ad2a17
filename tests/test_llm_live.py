"""A live channel whose language model fails: the demo shop on air in real time with an `llm:`
section pointing at a local OpenAI-compatible server that first hangs, then answers with
garbage and HTTP errors, then hangs again while the first product pitch (the part the model
rewrites) comes on air. A viewer must notice nothing but the offline behaviour: the picture
keeps its 25 fps without stalls, comments are answered from the show's facts (the answerer's
deadline, on the channel's clock, ends the hanging request), and the presenter says the rules
rewriter's script."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from openai_server import Failure, Hang, OpenAIServer, Raw
from test_channel import FMT, PageEvents

from anchor.answers import Answerer
from anchor.live import Channel
from anchor.media import Utterance
from anchor.program import script
from anchor.rewriter.rules import RulesRewriter
from anchor.show import demo_show_path, load_show

STREAM_S = 24.0          # at least this much stream time (= wall time: the real clock), and
PITCH = "Aurora"         # until the first product pitch (which the model was asked for) is on air
TIMEOUT_S = 2.0          # the show's llm.timeout_s
PATIENCE_S = 30.0        # how long a test waits for an event before it gives up
HANGING = "Can I put the Brightside bottle in the dishwasher?"
BROKEN = "Is the bottle free of BPA?"


def show_with_llm(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "shop-llm.yaml"
    path.write_text(demo_show_path("demo-shop").read_text() + f"""
llm:
  backend: openai
  base_url: {base_url}
  model: tiny
  timeout_s: {TIMEOUT_S}
  retries: 0
""")
    return path


def rules_subtitles(path: Path) -> set[str]:
    """What the subtitles may show when only the rules rewriter speaks (two passes)."""
    show = load_show(path)
    rules = RulesRewriter(seed=show.seed)
    return {item.subtitle for item, _ in script(show, passes=2, rewriter=rules)
            if isinstance(item, Utterance)}


async def answered(events: PageEvents, question: str, after: int) -> tuple[float, dict]:
    _, t, event = await events.next(lambda e: e["type"] == "answer" and e["question"] == question,
                                    after=after, timeout=TIMEOUT_S + PATIENCE_S)
    return t, event


async def test_a_hanging_then_broken_model_never_stalls_the_stream_and_answers_offline(tmp_path):
    with OpenAIServer(Hang()) as server:
        path = show_with_llm(tmp_path, server.base_url)
        show = load_show(path)
        offline = Answerer(show)
        channel = Channel(path, fmt=FMT, buffer_ms=300)
        await asyncio.wait_for(channel.start(), 30)
        events = PageEvents(channel)
        started = time.monotonic()
        try:
            # the model hangs: the offline answer comes once the deadline has passed
            await events.next(lambda e: e["type"] == "subtitle", timeout=PATIENCE_S)
            assert channel.comment("ann", HANGING).ok
            _, hung = await answered(events, HANGING, 0)
            assert hung["text"] == offline.answer(HANGING)
            assert "washed by hand" in hung["text"]

            # the model now answers with garbage and server errors: offline answers, at once
            server.script(Raw(), Failure(500), Raw(b"data: {not json\n\n"), Failure(503))
            mark = len(events.seen)
            assert channel.comment("bo", BROKEN).ok
            _, broken = await answered(events, BROKEN, mark)
            assert broken["text"] == offline.answer(BROKEN)
            assert "BPA-free" in broken["text"]

            # and it hangs again while the first product pitch comes on air
            server.script(Hang())

            # run on past the first product pitch (checking the render thread stays alive)
            def pitched() -> bool:
                return any(e["type"] == "subtitle" and PITCH in e["text"] for _, e in events.seen)

            async with asyncio.timeout(STREAM_S + 15):
                while channel.pacer.stats.audio_ms_out < STREAM_S * 1000 or not pitched():
                    assert channel.health()["render_thread"]
                    await asyncio.sleep(0.2)
            wall = time.monotonic() - started
            stats = channel.pacer.stats
        finally:
            await events.close()
            await asyncio.wait_for(channel.stop(), 30)

        # the model really was asked, for the script and for both comments
        systems = [r.body["messages"][0]["content"] for r in server.received]
        assert sum("live shopping show" in s for s in systems) >= 1, systems
        assert sum("answer a viewer's comment" in s for s in systems) >= 2, systems

    # what a viewer sees: 25 fps, nothing dropped, no stall, keeping up with the wall clock
    stream = stats.audio_ms_out / 1000
    assert stream >= wall - 3.0, (stream, wall)          # the start-up takes a moment
    assert stats.frames_out >= stream * FMT.fps * 0.99, stats
    assert stats.frames_dropped < 0.005 * stats.frames_out, stats
    assert stats.stalls == 0 and stats.resyncs == 0, stats

    # what a viewer hears: the rules script, and the two offline answers
    said = [e["text"] for _, e in events.seen if e["type"] == "subtitle"]
    script_lines = rules_subtitles(path)
    answers = " ".join(hung["text"].split() + broken["text"].split())
    strange = [s for s in said if s not in script_lines and " ".join(s.split()) not in answers]
    assert not strange, strange
    assert sum(s in script_lines for s in said) >= 3, said
    assert any("washed by hand" in s for s in said), said
    assert any("BPA-free" in s for s in said), said
    # the product pitch the model was asked to rewrite is on air, in the rules' words
    assert any(PITCH in s and s in script_lines for s in said), said
