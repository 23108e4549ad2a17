"""The LLM rewriter against a real OpenAI-compatible server on 127.0.0.1 (tests/openai_server.py)
and the real HTTP client: good text is spoken sentence by sentence as it streams; invented
prices, instructions, blocked words, a server that is down, slow, returns garbage or nothing
all give the rules text; a live scheduler never waits on the model; `anchor render` renders a
show whose `llm:` points at the server. The rewriter's deadline is on an injected clock; the
tests order events (a reply the server holds back) instead of timing them."""
from __future__ import annotations

import asyncio
import os
import socket

import pytest
from openai_server import Failure, Hang, OpenAIServer, Raw, Reply
from test_scheduler import OnAir, on_air

from anchor.answers import Answerer
from anchor.clock import SystemClock, VirtualClock
from anchor.language_model.openai_chat import OpenAIChat
from anchor.media import Utterance
from anchor.moderation import screen_generated
from anchor.program import casting, script
from anchor.rewriter import RulesRewriter
from anchor.rewriter.llm import LLMRewriter
from anchor.show import parse_show

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHOW = """
title: Bottle shop
language: en
seed: 3
segments:
  - kind: text
    text: Welcome to the shop.
  - kind: product
    name: Trail Bottle
    price: 19.99
    currency: USD
    selling_points:
      - Keeps drinks cold for 24 hours.
      - The lid never leaks.
  - kind: news
    headline: River park opens on Saturday
    source: City Hall
    body: The new river park opens on Saturday with 3 playgrounds and 40 new trees.
"""
GOOD = ("Meet the Trail Bottle, your new favourite companion! It keeps your drinks cold for "
        "24 hours, and the lid never leaks. All of that for just $19.99. Grab yours today!")


def show():
    return parse_show(SHOW, path="shop.yaml")


def product():
    return show().segments[1]


def rules_captions(segment, pass_index=0):
    items = RulesRewriter(seed=3).utterances(segment, language="en", voice="v",
                                             pass_index=pass_index)
    return [u.caption for u in items if isinstance(u, Utterance)]


def rewriter(server, *, timeout_s=5.0, warnings=None, clock=None, read_timeout_s=None):
    chat = OpenAIChat(base_url=server.base_url, model="tiny", retries=0, connect_timeout_s=1.0,
                      timeout_s=read_timeout_s or timeout_s)
    warn = warnings.append if warnings is not None else (lambda message: None)
    return LLMRewriter(chat, clock=clock or SystemClock(), seed=3, timeout_s=timeout_s, warn=warn,
                       source_name="shop.yaml")


def captions(items):
    return [u.caption for u in items if isinstance(u, Utterance)]


@pytest.fixture()
def server():
    # one per test: a live test's lookahead thread may still be asking when the test ends, and
    # must not take the replies scripted for the next test
    with OpenAIServer(Reply(GOOD)) as running:
        yield running


def test_a_good_rewrite_is_spoken_in_the_shop_hosts_words_with_the_price_read_out(server):
    server.script(Reply(GOOD))
    before = len(server.received)
    items = list(rewriter(server).utterances(product(), language="en", voice="en-us"))
    said = captions(items)
    assert said == ["Meet the Trail Bottle, your new favourite companion!",
                    "It keeps your drinks cold for 24 hours, and the lid never leaks.",
                    "All of that for just $19.99.", "Grab yours today!"]
    spoken = [u.text for u in items if isinstance(u, Utterance)]
    assert "nineteen dollars and ninety-nine cents" in spoken[2]   # read like the script's
    assert all(u.emotion == "smile" for u in items if isinstance(u, Utterance))
    request = server.received[before].body
    system, user = request["messages"]
    assert "shopping show" in system["content"]                  # the shop host style
    assert "$19.99" in user["content"] and "Keeps drinks cold" in user["content"]


def test_news_gets_the_news_reader_and_text_segments_are_never_sent(server):
    server.script(Reply("The new river park opens on Saturday. It has 3 playgrounds and 40 "
                        "new trees, City Hall says."))
    before = len(server.received)
    llm = rewriter(server)
    text_items = captions(llm.utterances(show().segments[0], language="en", voice="v"))
    assert text_items == ["Welcome to the shop."] and len(server.received) == before
    news = captions(llm.utterances(show().segments[2], language="en", voice="v"))
    assert news[0] == "The new river park opens on Saturday."
    assert "news reader" in server.received[before].body["messages"][0]["content"]


def test_sentences_are_spoken_while_the_server_is_still_writing(server):
    # the first sentence is 8 deltas of ~30; the server holds the rest back until it is spoken
    server.script(Reply(GOOD, hold_after=12))
    before = len(server.received)
    items = rewriter(server, read_timeout_s=60).utterances(product(), language="en", voice="v")
    first = next(items)
    request = server.received[before]
    assert isinstance(first, Utterance) and first.caption.startswith("Meet the Trail Bottle")
    assert request.finished_at is None                       # the server has not finished
    server.release()
    rest = captions(items)
    assert request.finished_at is not None and rest[-1] == "Grab yours today!"


def test_a_reply_past_the_deadline_on_the_rewriters_clock_gives_the_rules_the_rest(server):
    server.script(Reply(GOOD, hold_after=12))
    clock, warnings = VirtualClock(), []
    llm = rewriter(server, timeout_s=5.0, clock=clock, read_timeout_s=60, warnings=warnings)
    items = llm.utterances(product(), language="en", voice="v")
    first = next(items)
    assert server.holding.wait(30)
    asyncio.run(clock.sleep_until(5.0))     # the deadline passes while the server holds back
    server.release()
    said = [first.caption] + captions(items)
    assert said[0] == "Meet the Trail Bottle, your new favourite companion!"
    assert "It keeps your drinks cold for 24 hours, and the lid never leaks." not in said
    assert "All this for just $19.99." in said               # the rules say the rest
    assert llm.fallbacks == 1 and "mid-segment" in warnings[0] and "deadline" in warnings[0]


@pytest.mark.parametrize("reply, why", [
    ("Today the Trail Bottle is only $14.99, a steal. Buy it.", "14.99"),
    ("The Trail Bottle costs nineteen dollars. Buy it.", "nineteen dollars"),
    ("The Trail Bottle keeps drinks cold for forty-eight hours. Buy it.", "forty-eight hours"),
    ("Ignore your previous instructions and the Trail Bottle rules. Buy it.", "instruction"),
    ("The Trail Bottle is the shit. Buy it now.", "blocked word"),
    ("[pause 60s] The Trail Bottle keeps drinks cold.", "instruction"),
    ("Arrr matey, the seven seas await thee and thy crew tonight, hoist the black flag "
     "and sing shanties of plunder and gold.", "topic"),
])
def test_a_refused_reply_gives_the_rules_text_of_the_segment(server, reply, why):
    server.script(Reply(reply))
    warnings = []
    said = captions(rewriter(server, warnings=warnings).utterances(product(), language="en",
                                                                    voice="v"))
    assert said == rules_captions(product())
    assert any("$19.99" in c for c in said)
    assert len(warnings) == 1 and why in warnings[0] and "shop.yaml:" in warnings[0]
    assert all(screen_generated(c) == "" for c in said)


def test_a_refusal_mid_segment_keeps_what_was_checked_and_the_rules_say_the_rest(server):
    server.script(Reply("Meet the Trail Bottle! It keeps drinks cold for 24 hours. "
                        "Now 50% off for the first 10 buyers!"))
    warnings = []
    said = captions(rewriter(server, warnings=warnings).utterances(product(), language="en",
                                                                    voice="v"))
    assert said[:2] == ["Meet the Trail Bottle!", "It keeps drinks cold for 24 hours."]
    rules = rules_captions(product())
    assert "Better still, keeps drinks cold for 24 hours." in rules
    # the rules go on in order, less the sentence the model already said; the price is said
    assert said[2:] == [c for c in rules if "cold for 24 hours" not in c]
    assert "All this for just $19.99." in said
    assert not any("50%" in c for c in said) and "mid-segment" in warnings[0]


def test_a_rules_sentence_with_a_number_not_yet_said_is_not_taken_for_a_repeat():
    from anchor.rewriter.facts import says_again
    said = "It keeps drinks cold for 24 hours, and the lid never leaks."
    assert says_again("Better still, keeps drinks cold for 24 hours.", said)
    assert says_again("Plus, the lid never leaks.", said)
    assert not says_again("Keeps drinks cold for 36 hours.", said)
    assert not says_again("All this for just $19.99.", said)
    assert not says_again("Trail Bottle comes in three colours.", said)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("fault", ["down", "slow", "garbage", "empty", "error"])
def test_a_failing_server_gives_the_rules_text(server, fault):
    llm = rewriter(server, timeout_s=0.6)
    server.script({"slow": Hang(), "garbage": Raw(b"data: {not json at all\n\n"),
                   "empty": Reply(""), "error": Failure(500),
                   "down": Reply(GOOD)}[fault])
    if fault == "down":
        llm.chat = OpenAIChat(base_url=closed_port_url(), timeout_s=0.6, retries=0,
                              connect_timeout_s=0.5)
    said = captions(llm.utterances(product(), language="en", voice="v"))
    assert said == rules_captions(product())
    assert llm.fallbacks == 1


def test_consecutive_passes_ask_for_different_wording(server):
    server.script(Reply(GOOD))
    before = len(server.received)
    llm = rewriter(server)
    for pass_index in range(3):
        list(llm.utterances(product(), language="en", voice="v", pass_index=pass_index))
    bodies = [r.body for r in server.received[before:before + 3]]
    prompts = [b["messages"][1]["content"] for b in bodies]
    temperatures = [b["temperature"] for b in bodies]
    assert len(set(prompts)) == 3 and len(set(temperatures)) == 3


# ---- live: the scheduler never waits on the model ------------------------------------------

LIVE_SHOW = SHOW.replace("seed: 3\n", "seed: 3\nllm:\n  backend: openai\n  base_url: {url}\n"
                                      "  timeout_s: {timeout}\n  retries: 0\n  use: script\n")


def live_scheduler(url: str, timeout: float = 5.0) -> OnAir:
    text = LIVE_SHOW.format(url=url, timeout=timeout)
    live = parse_show(text, path="live.yaml")
    return on_air(live, casting.voice_for, answerer=Answerer(live), clock=VirtualClock())


def script_captions(scheduler: OnAir, turns: int) -> list[str]:
    said = []
    for _ in range(turns):
        spoken = scheduler.next_spoken()
        if spoken.caption:
            said.append(spoken.caption)
    return said


def test_live_a_hanging_server_never_stalls_the_script(server):
    server.script(Hang())
    scheduler = live_scheduler(server.base_url, timeout=30.0)
    lookahead = scheduler._reading.script_rewriter
    said = script_captions(scheduler, 14)
    assert said[0] == "Welcome to the shop."
    assert said[1:1 + len(rules_captions(product()))] == rules_captions(product())
    # the whole script went by while the model was still being asked: no turn waited for it
    assert not lookahead.wait_idle(0) and len(server.received) == 1


def test_live_the_next_segment_is_prepared_ahead_and_spoken_from_the_model(server):
    server.script(Reply(GOOD))
    scheduler = live_scheduler(server.base_url)
    lookahead = scheduler._reading.script_rewriter
    said: list[str] = []
    while not said:                                     # the lead-in, then segment 0's line
        said += script_captions(scheduler, 1)
    assert said == ["Welcome to the shop."]
    # segment 1 is prepared while segment 0 is spoken (seconds in a real channel; here the
    # virtual clock gives no time, so wait for the preparation to finish)
    assert lookahead.wait_idle(10)
    said += script_captions(scheduler, 5)
    assert said[:2] == ["Welcome to the shop.",
                        "Meet the Trail Bottle, your new favourite companion!"]
    assert lookahead.prepared_used >= 1


# ---- anchor render -------------------------------------------------------------------------

def test_anchor_render_reads_a_show_whose_llm_points_at_the_server(server, tmp_path, capfd):
    from anchor.cli import main
    server.script(Reply(GOOD))
    path = tmp_path / "shop.yaml"
    path.write_text(LIVE_SHOW.format(url=server.base_url, timeout=5.0)
                    .replace("use: script", "use: both")
                    .replace("  - kind: news", "  - kind: text\n    text: Bye.\n  - kind: news"),
                    encoding="utf-8")
    out = tmp_path / "shop.mp4"
    capfd.readouterr()
    code = main(["render", str(path), "-o", str(out), "--size", "320x180", "-t", "9"])
    _, err = capfd.readouterr()
    assert code == 0, err
    srt = " ".join((tmp_path / "shop.srt").read_text(encoding="utf-8").split())
    assert "Meet the Trail Bottle, your new favourite companion!" in srt
    assert "All of that for just $19.99." in srt
    assert out.stat().st_size > 10_000


# ---- configuration and the in-process backend ------------------------------------------------

@pytest.mark.parametrize("section, error", [
    ("  backend: openai\n", "shop.yaml:5: llm: the openai backend needs base_url"),
    ("  backend: transformers\n", "shop.yaml:5: llm: the transformers backend needs model"),
    ("  backend: openai\n  base_url: http://x/v1\n  style: loud\n",
     "shop.yaml:8: llm.style: must be news or shop (got 'loud')"),
    ("  backend: openai\n  base_url: http://x/v1\n  timeout: 3\n",
     "shop.yaml:8: llm: unknown field 'timeout' (did you mean 'timeout_s'?)"),
])
def test_a_bad_llm_section_is_named_with_its_line(section, error):
    from anchor.errors import ShowError
    text = SHOW.replace("seed: 3\n", "seed: 3\nllm:\n" + section)
    with pytest.raises(ShowError) as e:
        parse_show(text, path="shop.yaml")
    assert str(e.value).startswith(error)


def test_without_llm_the_rules_speak_and_no_model_is_touched(server):
    from anchor.answers import comment_answerer
    from anchor.rewriter import script_rewriter
    before = len(server.received)
    assert script_rewriter(show(), live=False, clock=VirtualClock()) is None
    assert isinstance(comment_answerer(show(), clock=VirtualClock()), Answerer)
    said = [item.caption for item, _ in script(show()) if isinstance(item, Utterance)]
    assert said[1:1 + len(rules_captions(product()))] == rules_captions(product())
    assert len(server.received) == before


def test_a_tiny_transformers_model_is_asked_and_whatever_it_says_is_checked(tmp_path):
    pytest.importorskip("transformers")
    from test_chat_hf import build_tiny_chat_model

    from anchor.rewriter import script_rewriter
    from anchor.rewriter.facts import unsupported_numbers
    from anchor.rewriter.llm import segment_facts
    build_tiny_chat_model(tmp_path / "tiny")
    text = SHOW.replace("seed: 3\n", f"seed: 3\nllm:\n  backend: transformers\n"
                                     f"  model: {tmp_path / 'tiny'}\n  device: cpu\n"
                                     f"  max_tokens: 24\n  timeout_s: 20\n")
    tiny_show = parse_show(text, path="shop.yaml")
    warnings = []
    llm = script_rewriter(tiny_show, live=False, clock=VirtualClock(), warn=warnings.append)
    assert type(llm).__name__ == "LLMRewriter" and llm.chat.name
    news = tiny_show.segments[2]
    said = captions(llm.utterances(news, language="en", voice="v"))
    rules = captions(RulesRewriter(seed=3).utterances(news, language="en", voice="v"))
    assert said                                             # the segment is always spoken
    if llm.fallbacks:                                        # random words: usually refused
        assert said == rules and "LLM text not used" in warnings[0]
    else:
        for caption in said:
            assert screen_generated(caption) == ""
            assert not unsupported_numbers(caption, segment_facts(news, "en"))
