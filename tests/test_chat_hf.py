"""The transformers chat backend with a tiny random Llama and a tokenizer trained here."""
from __future__ import annotations

import logging
import os
import shutil

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
pytest.importorskip("transformers")

from anchor.clock import SystemClock
from anchor.language_model import load_chat_model
from anchor.language_model.chat import ChatConfig, ChatError, ChatMessage, Deadline, sentences
from anchor.language_model.hf_chat import TransformersChat

CORPUS = ["Good evening and welcome to the news .", "The market rose today !",
          "Prices fell by two percent .", "Our lamp costs nineteen dollars .",
          "Thank you for watching . See you tomorrow ?"]
SPECIAL = ["<unk>", "<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}"
            "{% if add_generation_prompt %}<|assistant|> {% endif %}")
QUESTION = [ChatMessage("system", "You present the news."),
            ChatMessage("user", "What happened to the market today?")]


def build_tiny_chat_model(directory, *, seed: int = 0) -> None:
    """A word-level tokenizer trained on CORPUS with a chat template, and a random 2-layer Llama
    whose generation never picks a special token (so every new token is a word)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    words = Tokenizer(models.WordLevel(unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    words.decoder = decoders.WordPiece(cleanup=False)   # words joined by spaces, as they are
    words.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=SPECIAL))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>",
                                        pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                                        additional_special_tokens=SPECIAL[4:])
    tokenizer.chat_template = TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=4096, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(config)
    model.generation_config.suppress_tokens = tokenizer.convert_tokens_to_ids(SPECIAL)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny-chat")
    build_tiny_chat_model(directory)
    return directory


@pytest.fixture(scope="module")
def chat(model_dir):
    return load_chat_model(ChatConfig(backend="transformers", model=str(model_dir), device="cpu"))


def broken_copy(model_dir, tmp_path, *, remove=(), write=None):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    for name in remove:
        (copy / name).unlink()
    for name, content in (write or {}).items():
        (copy / name).write_bytes(content)
    return copy


def test_streams_a_reply_of_known_words_bounded_by_max_tokens(chat):
    vocabulary = {w for line in CORPUS for w in line.split()}
    deltas = list(chat.stream(QUESTION, max_tokens=12, temperature=0.7))
    words = "".join(deltas).split()
    assert len(deltas) > 1                      # it streams, not one block at the end
    assert len(words) == 12                     # no special token, so exactly 12 words
    assert set(words) <= vocabulary
    assert len("".join(chat.stream(QUESTION, max_tokens=3)).split()) == 3
    assert chat.name == f"transformers:{chat.name.split(':', 1)[1]}"


def test_greedy_replies_repeat_and_sampled_ones_vary(chat):
    greedy = ["".join(chat.stream(QUESTION, max_tokens=16, temperature=0)) for _ in range(2)]
    assert greedy[0] == greedy[1]
    sampled = {"".join(chat.stream(QUESTION, max_tokens=16, temperature=1.0)) for _ in range(4)}
    assert len(sampled) > 1


def test_sentences_come_out_of_the_stream(chat):
    import torch
    torch.manual_seed(7)     # the same sampled reply twice: once whole, once as sentences
    text = "".join(chat.stream(QUESTION, max_tokens=60, temperature=1.0))
    torch.manual_seed(7)
    said = list(sentences(chat.stream(QUESTION, max_tokens=60, temperature=1.0), language="en",
                          max_chars=80))
    assert " ".join(said) == " ".join(text.split())
    assert all(len(s) <= 80 for s in said)
    # each cut is at one of the model's sentence ends, or a long run cut near the cap
    assert all(s[-1] in ".!?" or len(s) > 40 for s in said[:-1])


class TickingClock:
    """A clock that moves `step` seconds each time it is read: the deadline is checked once per
    generated token, so time here counts tokens."""

    def __init__(self, step: float):
        self.step, self.reads, self._t = step, 0, 0.0

    def now(self) -> float:
        self.reads += 1
        self._t += self.step
        return self._t

    async def sleep_until(self, t: float) -> None:
        self._t = max(self._t, t)


def test_the_deadline_stops_generation(chat):
    clock = TickingClock(0.001)
    got = []
    with pytest.raises(ChatError, match="deadline of 0.3 s passed"):
        for delta in chat.stream(QUESTION, max_tokens=4000,
                                 deadline=Deadline.after(0.3, clock=clock)):
            got.append(delta)
    assert 0 < len("".join(got).split()) <= 300        # 0.3 s at 0.001 s a token
    assert clock.reads <= 302


def test_closing_the_stream_early_stops_generation(chat):
    clock = TickingClock(0.0)            # counts the tokens generated, never passes the deadline
    stream = chat.stream(QUESTION, max_tokens=4000, deadline=Deadline.after(1, clock=clock))
    next(stream)
    stream.close()                      # waits for the generating thread, which stops at once
    assert clock.reads < 2000, "generation went on after the stream was closed"
    assert len("".join(chat.stream(QUESTION, max_tokens=5)).split()) == 5   # still usable


def test_a_reply_waiting_for_the_model_waits_no_longer_than_its_deadline(chat):
    first = chat.stream(QUESTION, max_tokens=4000)
    next(first)                          # the model is busy with the first reply
    try:
        with pytest.raises(ChatError, match="deadline of 0.2 s passed"):
            list(chat.stream(QUESTION, deadline=Deadline.after(0.2, clock=SystemClock())))
    finally:
        first.close()


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_requested_without_cuda_warns_and_runs_on_the_cpu(model_dir, caplog, device):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with caplog.at_level(logging.WARNING, logger="anchor.language_model.hf_chat"):
        chat = load_chat_model(ChatConfig(backend="transformers", model=str(model_dir),
                                          device=device))
    assert "CUDA is not available" in caplog.text
    assert chat.device == "cpu"
    assert len("".join(chat.stream(QUESTION, max_tokens=4)).split()) == 4


@pytest.mark.parametrize("remove, write, named, reason", [
    ((), {"config.json": b"{\"model_type\": \"llama\", "}, "config.json", "not valid JSON"),
    (("config.json",), None, "config.json", "missing"),
    ((), {"config.json": b"{\"hidden_size\": 32}"}, "config.json", "no model_type"),
    (("tokenizer.json",), None, "model", "no tokenizer"),
    ((), {"tokenizer.json": b"\x00\x01garbage"}, "tokenizer.json", "not valid JSON"),
    (("model.safetensors",), None, "model", "no weights"),
    ((), {"model.safetensors": b"not a safetensors file"}, "model.safetensors",
     "cannot load the model"),
    (("chat_template.jinja",), None, "model", "no chat template"),
])
def test_broken_model_files_are_named(model_dir, tmp_path, remove, write, named, reason):
    broken = broken_copy(model_dir, tmp_path, remove=remove, write=write)
    with pytest.raises(ChatError) as caught:
        TransformersChat.load(model=str(broken), device="cpu")
    message = str(caught.value)
    assert reason in message and "\n" not in message
    assert message.startswith(str(broken / named if named != "model" else broken))


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(ChatError, match="model directory not found"):
        load_chat_model(ChatConfig(backend="transformers", model=str(tmp_path / "nowhere")))


def test_the_chat_layer_and_the_openai_backend_never_import_torch():
    import subprocess
    import sys
    code = ("import sys, anchor, anchor.rewriter\n"
            "from anchor.language_model import load_chat_model\n"
            "from anchor.language_model.chat import ChatConfig, sentences\n"
            "load_chat_model(ChatConfig(backend='openai', base_url='http://127.0.0.1:9/v1'))\n"
            "list(sentences(['One. ', 'Two.'], language='en'))\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_a_hub_name_that_cannot_be_fetched_is_named(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ChatError, match="llm model 'anchor-tests/no-such-model' \\(from the hub\\)"
                                        ": cannot load the tokenizer"):
        TransformersChat.load(model="anchor-tests/no-such-model", device="cpu")
