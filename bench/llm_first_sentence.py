"""LLM time to first sentence (and to the full answer), for both chat backends.

(a) The OpenAI-compatible client against the local test server (tests/openai_server.py), which
    streams a scripted answer at --tokens-per-s after --ttft-s: the gap between the moment the
    server sent the token that completes the first sentence and the moment `sentences` yields it
    is our overhead.
(b) The transformers backend on this machine's CPU (or CUDA when present: device "auto") with a
    random model of a real small chat model's shape (--arch; weights random, so the words are
    random, but one token in --sentence-every ends with "." so sentences have a realistic
    length), saved to a temporary directory and loaded through `load_chat_model`.

    .venv/bin/python bench/llm_first_sentence.py [--runs 5] [--arch smollm2-135m|qwen2.5-0.5b]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from anchor.language_model import load_chat_model  # noqa: E402
from anchor.language_model.chat import ChatConfig, ChatMessage, sentences  # noqa: E402

ANSWER = ("Good evening, and thank you for the question about tonight's market. "
          "Shares in the three largest carmakers rose by about two percent after the report. "
          "Analysts expect the rally to hold until the central bank meets next Thursday. "
          "We will bring you the decision live, right here on this channel.")
QUESTION = [ChatMessage("system", "You are a friendly news presenter. Answer in two or three "
                                  "short spoken sentences."),
            ChatMessage("user", "What happened on the stock market today, and what comes next?")]
ARCHS = {   # the shapes of two small open chat models (Llama-style decoder, tied embeddings)
    "smollm2-135m": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, vocab_size=49152),
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2, vocab_size=151936),
}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def timed_answer(stream, *, language: str = "en") -> dict[str, float]:
    """Seconds from the call to the first delta, the first sentence and the end; and how many
    deltas had been read when the first sentence came out."""
    started = time.monotonic()
    marks: dict[str, float] = {}
    read = 0

    def counted():
        nonlocal read
        for delta in stream:
            read += 1
            marks.setdefault("first_delta", time.monotonic())
            yield delta

    count = 0
    for _ in sentences(counted(), language=language):
        count += 1
        if count == 1:
            marks["first_sentence"] = time.monotonic()
            marks["deltas_at_first"] = read
    marks["end"] = time.monotonic()
    marks["sentences"] = count
    marks["deltas"] = read
    return {k: (v - started if k in ("first_delta", "first_sentence", "end") else v)
            for k, v in marks.items()} | {"started": started}


def bench_server(*, runs: int, tokens_per_s: float, ttft_s: float) -> None:
    from openai_server import OpenAIServer, Reply
    interval = 1.0 / tokens_per_s
    print(f"(a) OpenAI-compatible client, local server: {len(Reply(ANSWER).deltas())} tokens "
          f"at {tokens_per_s:g} tokens/s after a {ttft_s * 1000:.0f} ms time to first token")
    first, full, overhead = [], [], []
    with OpenAIServer(Reply(ANSWER, first_token_s=ttft_s, token_interval_s=interval)) as server:
        config = ChatConfig(backend="openai", base_url=server.base_url, model="bench")
        chat = load_chat_model(config)
        for run in range(runs):
            marks = timed_answer(chat.stream(QUESTION, max_tokens=200))
            sent = server.received[-1].sent_at
            trigger = sent[int(marks["deltas_at_first"]) - 1]   # the token that completed it
            first.append(marks["first_sentence"])
            full.append(marks["end"])
            overhead.append(marks["started"] + marks["first_sentence"] - trigger)
    ideal = ttft_s + (marks["deltas_at_first"] - 1) * interval
    print(f"    first sentence: median {statistics.median(first) * 1000:.1f} ms "
          f"(server-side floor {ideal * 1000:.1f} ms: {marks['deltas_at_first']:.0f} tokens, the "
          f"last one being the next sentence's first word)")
    print(f"    full answer:    median {statistics.median(full) * 1000:.1f} ms")
    print(f"    our overhead (token sent -> sentence yielded): median "
          f"{statistics.median(overhead) * 1000:.2f} ms, max {max(overhead) * 1000:.2f} ms "
          f"over {runs} runs")


def build_random_chat_model(directory: Path, *, arch: str, sentence_every: int) -> int:
    """A word-level tokenizer filling the architecture's vocabulary (words "W17", one in
    `sentence_every` ending in "."), a chat template, and a random model of that shape."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    shape = ARCHS[arch]
    special = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    vocab = {token: i for i, token in enumerate(special)}
    for i in range(len(special), shape["vocab_size"]):
        vocab[f"W{i}." if i % sentence_every == 0 else f"W{i}"] = i
    words = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    words.decoder = decoders.WordPiece()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>",
                                        pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                                        additional_special_tokens=special[4:])
    tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}"
        "{% if add_generation_prompt %}<|assistant|> {% endif %}")
    torch.manual_seed(0)
    config = LlamaConfig(**shape, max_position_embeddings=8192, tie_word_embeddings=True,
                         bos_token_id=2, eos_token_id=3, pad_token_id=1)
    model = LlamaForCausalLM(config)
    model.generation_config.suppress_tokens = list(range(len(special)))
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return sum(p.numel() for p in model.parameters())


def bench_transformers(*, runs: int, arch: str, max_tokens: int, sentence_every: int) -> None:
    import torch
    with tempfile.TemporaryDirectory(prefix="anchor-llm-bench-") as directory:
        started = time.monotonic()
        params = build_random_chat_model(Path(directory), arch=arch,
                                         sentence_every=sentence_every)
        built = time.monotonic() - started
        started = time.monotonic()
        chat = load_chat_model(ChatConfig(backend="transformers", model=directory))
        loaded = time.monotonic() - started
        print(f"(b) transformers backend, random {arch} shape ({params / 1e6:.0f} M parameters, "
              f"float32) on {chat.device} ({torch.get_num_threads()} torch threads); "
              f"built+saved in {built:.1f} s, loaded in {loaded:.1f} s")
        prompt = chat.tokenizer.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in QUESTION],
            add_generation_prompt=True)
        prompt_tokens = len(prompt["input_ids"] if hasattr(prompt, "keys") else prompt)
        results, bare = [], []
        for run in range(runs + 1):
            torch.manual_seed(run)
            marks = timed_answer(chat.stream(QUESTION, max_tokens=max_tokens, temperature=0.7))
            if run:     # the first run warms up
                results.append(marks)
                bare.append(bare_generate_s(chat, max_tokens=max_tokens, seed=run))
                print(f"    run {run}: first token {marks['first_delta'] * 1000:.0f} ms, first "
                      f"sentence {marks['first_sentence'] * 1000:.0f} ms "
                      f"({marks['deltas_at_first'] - 1:.0f} tokens), full answer "
                      f"{marks['end']:.2f} s ({marks['deltas']:.0f} deltas); bare generate "
                      f"{bare[-1]:.2f} s")
        first_delta = [m["first_delta"] for m in results]
        first = [m["first_sentence"] for m in results]
        full = [m["end"] for m in results]
        rate = [(m["deltas"] - 1) / (m["end"] - m["first_delta"]) for m in results]
        words = [m["deltas_at_first"] - 1 for m in results]
        print(f"    prompt {prompt_tokens} tokens, answer {max_tokens} tokens, {runs} runs after "
              f"one warm-up")
        print(f"    first token:    median {statistics.median(first_delta) * 1000:.0f} ms")
        print(f"    first sentence: median {statistics.median(first) * 1000:.0f} ms, max "
              f"{max(first) * 1000:.0f} ms (first sentences of {min(words):.0f}-{max(words):.0f} "
              f"tokens)")
        print(f"    full answer:    median {statistics.median(full):.2f} s "
              f"({statistics.median(rate):.1f} tokens/s)")
        print(f"    the same {max_tokens} tokens from a bare model.generate right after each run "
              f"(no thread, no streamer, no sentences): median {statistics.median(bare):.2f} s")


def bare_generate_s(chat, *, max_tokens: int, seed: int) -> float:
    """Seconds for model.generate alone to make `max_tokens` tokens from the same prompt."""
    import torch
    inputs = chat.tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.content} for m in QUESTION], add_generation_prompt=True,
        return_tensors="pt", return_dict=True)
    torch.manual_seed(seed)
    started = time.monotonic()
    with torch.inference_mode():
        chat.model.generate(**{k: v.to(chat.device) for k, v in inputs.items()},
                            max_new_tokens=max_tokens, min_new_tokens=max_tokens,
                            do_sample=True, temperature=0.7, pad_token_id=1)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens-per-s", type=float, default=30.0)
    parser.add_argument("--ttft-s", type=float, default=0.25)
    parser.add_argument("--arch", choices=sorted(ARCHS), default="smollm2-135m")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--sentence-every", type=int, default=12)
    parser.add_argument("--skip", choices=["server", "transformers"], action="append",
                        default=[])
    args = parser.parse_args()
    if "server" not in args.skip:
        bench_server(runs=args.runs, tokens_per_s=args.tokens_per_s, ttft_s=args.ttft_s)
    if "transformers" not in args.skip:
        bench_transformers(runs=args.runs, arch=args.arch, max_tokens=args.max_tokens,
                           sentence_every=args.sentence_every)


if __name__ == "__main__":
    main()
