"""Chat models: the small interface the LLM rewriter and answerer use, and its two backends.

A `ChatModel` streams the text of one assistant reply as it is generated. `sentences` cuts that
stream into sentences, each yielded as soon as it is complete, so speech can start while the
model is still writing. A `ChatConfig` names one of the two backends:

- "transformers": a causal LM loaded in this process (anchor/language_model/hf_chat.py);
- "openai": any OpenAI-compatible chat-completions server (anchor/language_model/openai_chat.py).

`anchor.language_model.load_chat_model` builds it; neither backend is imported before then, so
`import anchor` never loads torch or transformers. A reply's `Deadline` is a moment on the
caller's injected clock (anchor.clock): backends never read wall time, and bound every wait
(a connection, a read, a turn at the model) by the time the deadline leaves.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from anchor.clock import Clock
from anchor.errors import AnchorError
from anchor.text.sentences import _BOUNDARY, _cut_point, _ends_sentence

ROLES = ("system", "user", "assistant")
BACKENDS = ("transformers", "openai")
DEVICES = ("auto", "cpu", "cuda", "cuda:N", "mps")
# the longest sentence `sentences` yields, in characters, when `max_chars` is not given
SENTENCE_CAP = {"en": 300, "zh": 120}


class ChatError(AnchorError):
    """Any failure of a chat backend: model files, server down, timeout, garbage, empty reply."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str      # "system" | "user" | "assistant"
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ChatError(f"chat message role {self.role!r} is not one of {', '.join(ROLES)}")


@dataclass(frozen=True, slots=True, eq=False)
class Deadline:
    """When a reply must be complete: `seconds` after it was asked for, on `clock`."""
    clock: Clock
    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float, *, clock: Clock) -> "Deadline":
        return cls(clock, clock.now() + seconds, seconds)

    def left(self) -> float:
        """Seconds until the deadline (0 or less: it has passed)."""
        return self.at - self.clock.now()

    def passed(self) -> bool:
        return self.left() <= 0


@runtime_checkable
class ChatModel(Protocol):
    name: str

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
               temperature: float = 0.7, deadline: Deadline | None = None) -> Iterator[str]:
        """Text deltas as generated; raises ChatError (down, timeout, garbage, empty).

        At the `deadline` generation stops and ChatError is raised; no delta comes after it.
        Closing the iterator early stops the generation.
        """
        ...


@dataclass(frozen=True, slots=True)
class ChatConfig:
    """Where a chat model comes from. Field names follow the show file's `llm:` section.

    transformers: `model` is a local directory (loaded offline) or a hub name (downloaded by
    transformers, for users with internet); `device` "auto" takes CUDA when present; "cuda",
    "cuda:1" or "mps" asked for but absent: a warning, and the CPU.
    openai: `base_url` like "http://127.0.0.1:8000/v1"; `model` the served model's name (sent
    when given); `api_key_env` names the environment variable that holds the key.
    `timeout_s` is the read timeout (no byte for that long: give up); `connect_timeout_s` the
    connect timeout; `retries` extra attempts on connection errors, 5xx and 429.
    """
    backend: str
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    device: str = "auto"
    timeout_s: float = 20.0
    connect_timeout_s: float = 5.0
    retries: int = 1
    stream: bool = True            # openai: ask for server-sent events (False: one JSON reply)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ChatError(f"llm backend {self.backend!r} is not one of {', '.join(BACKENDS)}")
        if self.backend == "transformers" and not self.model:
            raise ChatError("llm model: the transformers backend needs a model path or name")
        if self.backend == "openai" and not self.base_url:
            raise ChatError("llm base_url: the openai backend needs a server URL "
                            "(e.g. http://127.0.0.1:8000/v1)")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?|mps", self.device):
            raise ChatError(f"llm device {self.device!r} is not one of {', '.join(DEVICES)}")
        if not self.timeout_s > 0 or not self.connect_timeout_s > 0:
            raise ChatError("llm timeout_s and connect_timeout_s must be positive")
        if self.retries < 0:
            raise ChatError(f"llm retries must be 0 or more, not {self.retries}")


def sentences(deltas: Iterable[str], *, language: str, max_chars: int | None = None
              ) -> Iterator[str]:
    """Cut a token stream into sentences, each yielded as soon as it is complete.

    The sentence rules are those of written text (anchor/text/sentences.py): English and
    Chinese end marks, no cut inside numbers like 19.99 or after abbreviations like "Dr.". An
    end mark counts once the next non-blank character has arrived (it decides "Dr. Smith" from
    "... a doctor. Then"); the last partial sentence comes at the end of the stream. A sentence
    never exceeds `max_chars` (default by language): a longer run is cut at a clause mark or
    space. Sentences are stripped; blank ones are skipped.
    """
    if language not in SENTENCE_CAP:
        raise ChatError(f"sentences: language {language!r} is not one of "
                        f"{', '.join(SENTENCE_CAP)}")
    cap = max_chars or SENTENCE_CAP[language]
    if cap < 2:
        raise ChatError(f"sentences: max_chars must be at least 2, not {cap}")
    text = ""
    for delta in deltas:
        text += delta
        while True:
            end = _sentence_end(text, cap, final=False)
            if end is None:
                break
            piece = text[:end].strip()
            text = text[end:]
            if piece:
                yield piece
    while text.strip():   # the stream ended: what is left is the last sentence (or several)
        end = _sentence_end(text, cap, final=True)
        piece, text = text[:end].strip(), text[end:]
        if piece:
            yield piece


def _sentence_end(text: str, cap: int, *, final: bool) -> int | None:
    """Where the first sentence of `text` ends; None while a growing text (not `final`) has no
    complete sentence yet."""
    for m in _BOUNDARY.finditer(text):
        if m.end() > cap:
            break
        if not final and not text[m.end():].strip():
            return None      # the next character decides: wait for it
        if not final and _open_directive(text, m.start()):
            return None
        if _ends_sentence(text, m):
            return m.end()
    if len(text.rstrip()) > cap:
        return _cut_point(text, 0, cap)
    return len(text) if final else None


def _open_directive(text: str, position: int) -> bool:
    """Is `position` inside a "[...]" that has not closed yet (directives are never cut)?"""
    opening = text.rfind("[", 0, position)
    return opening >= 0 and text.find("]", opening) < 0 and position - opening < 41
