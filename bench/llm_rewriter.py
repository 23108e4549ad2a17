"""LLM rewriter and answerer: what the checks cost and how soon speech starts.

Runs the local OpenAI-compatible test server (tests/openai_server.py) on 127.0.0.1 with a
scripted pitch streamed at a fixed token rate, and prints, in one run:
- time to the first utterance vs. to the whole segment (sentences spoken as they stream);
- the cost of checking one generated sentence (gate + fact check);
- how long a segment takes to fall back to the rules when the server is down or hangs;
- how long `Scheduler.comment()` takes with the LLM answerer (it must not wait), and when the
  answer is queued.

    .venv/bin/python bench/llm_rewriter.py [--token-ms 20]
"""
from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from openai_server import Hang, OpenAIServer, Reply  # noqa: E402

from anchor.answers.llm import LLMAnswerer  # noqa: E402
from anchor.clock import SystemClock  # noqa: E402
from anchor.language_model.openai_chat import OpenAIChat  # noqa: E402
from anchor.live import Scheduler  # noqa: E402
from anchor.media import Utterance  # noqa: E402
from anchor.program import casting  # noqa: E402
from anchor.rewriter.llm import LLMRewriter, check_sentence, segment_facts  # noqa: E402
from anchor.show import parse_show  # noqa: E402

SHOW = """
title: Bottle shop
language: en
segments:
  - kind: product
    name: Trail Bottle
    price: 19.99
    selling_points:
      - Keeps drinks cold for 24 hours.
      - The lid never leaks.
"""
PITCH = ("Meet the Trail Bottle, your new favourite companion! It keeps your drinks cold for "
         "24 hours, and the lid never leaks. Take it hiking, to the office or to the beach. "
         "All of that for just $19.99. Grab yours today!")


def chat(url: str, timeout: float = 5.0) -> OpenAIChat:
    return OpenAIChat(base_url=url, timeout_s=timeout, retries=0, connect_timeout_s=1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token-ms", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    show = parse_show(SHOW, path="bench.yaml")
    product = show.segments[0]
    tokens = len(PITCH.split(" "))
    with OpenAIServer(Reply(PITCH, token_interval_s=args.token_ms / 1000)) as server:
        firsts, wholes = [], []
        for _ in range(args.runs):
            llm = LLMRewriter(chat(server.base_url), clock=SystemClock(), warn=lambda m: None)
            started = time.perf_counter()
            first = None
            for item in llm.utterances(product, language="en", voice="en-us"):
                if first is None and isinstance(item, Utterance):
                    first = time.perf_counter() - started
            firsts.append(first)
            wholes.append(time.perf_counter() - started)
        print(f"streamed pitch: {tokens} tokens at {args.token_ms:g} ms/token, {args.runs} runs")
        print(f"  first utterance after   {1000 * statistics.median(firsts):7.1f} ms (median)")
        print(f"  whole segment after     {1000 * statistics.median(wholes):7.1f} ms (median)")

        facts = segment_facts(product, "en")
        sentence = "It keeps your drinks cold for 24 hours, and the lid never leaks."
        n = 2000
        started = time.perf_counter()
        for _ in range(n):
            check_sentence(sentence, facts)
        print(f"checking one sentence (gate + facts): {1e6 * (time.perf_counter() - started) / n:.0f} us")

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            down = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
        for label, url, script in (("server down", down, None),
                                   ("server hangs (timeout 1 s)", server.base_url, Hang())):
            if script is not None:
                server.script(script)
            llm = LLMRewriter(chat(url, 1.0), clock=SystemClock(), timeout_s=1.0,
                              warn=lambda m: None)
            started = time.perf_counter()
            next(iter(llm.utterances(product, language="en", voice="en-us")))
            print(f"{label}: rules text after {1000 * (time.perf_counter() - started):.0f} ms")

        server.script(Reply("The Trail Bottle is $19.99 and keeps drinks cold for 24 hours.",
                            first_token_s=0.2, token_interval_s=args.token_ms / 1000))
        answerer = LLMAnswerer(show, chat(server.base_url), clock=SystemClock(), timeout_s=5.0)
        scheduler = Scheduler(show, voices=lambda _: casting.voice_for, answerer=answerer,
                              clock=SystemClock(), warn=lambda m: None)
        scheduler.next_turn()
        queued = threading.Event()
        started = time.perf_counter()
        scheduler.comment("viewer", "How much is the bottle?", done=lambda a: queued.set())
        returned = time.perf_counter() - started
        queued.wait(10)
        ready = time.perf_counter() - started
        print(f"comment() with the LLM answerer returned after {1e6 * returned:.0f} us; "
              f"the model's answer was queued after {1000 * ready:.0f} ms")


if __name__ == "__main__":
    main()
