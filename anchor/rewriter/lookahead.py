"""LLM text for a live channel, prepared one segment ahead so the render thread never waits.

`LookaheadRewriter` wraps an `LLMRewriter`. When the scheduler asks for segment k of pass p it
answers at once: with the model's text for (p, k) if a background thread has finished and
checked it, else with the rules rewriter's text. Either way it then asks the thread to prepare
the segment after it. One preparation runs at a time; a preparation that is no longer wanted
finishes (bounded by the model's deadline) and is thrown away. The thread is a daemon; it ends
when nothing more is wanted, and the next wish starts another.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from anchor.media import Pause, Utterance
from anchor.rewriter.llm import LLMRewriter

__all__ = ["LookaheadRewriter"]

Key = tuple[int, int]   # (pass index, segment index)


class LookaheadRewriter:
    name = "llm-lookahead"

    def __init__(self, llm: LLMRewriter, *, segments: Sequence[Any], language: str,
                 voices: Mapping[str, str]):
        self.llm, self.segments = llm, tuple(segments)
        self.language, self.voices = language, dict(voices)
        self.prepared_used = 0       # segments spoken from the model's prepared text
        self.rules_used = 0          # news/product segments whose text was not ready (or failed)
        self._ready: dict[Key, list[Utterance | Pause] | None] = {}
        self._wanted: Key | None = None
        self._running: Key | None = None
        self._worker: threading.Thread | None = None
        self._cond = threading.Condition()
        if self.segments:
            self._want((0, 0))

    def utterances(self, segment: Any, *, language: str, voice: str,
                   pass_index: int = 0) -> Iterator[Utterance | Pause]:
        index = next((i for i, s in enumerate(self.segments) if s is segment), None)
        if index is None:             # not one of the show's segments: nothing was prepared
            yield from self.llm.rules.utterances(segment, language=language, voice=voice,
                                                 pass_index=pass_index)
            return
        key = (pass_index, index)
        with self._cond:
            items = self._ready.pop(key, None)
            self._ready = {k: v for k, v in self._ready.items() if k > key}
        following = (pass_index, index + 1) if index + 1 < len(self.segments) else (pass_index + 1, 0)
        self._want(following)
        if items:
            self.prepared_used += 1
            yield from items
            return
        if getattr(segment, "kind", None) in ("news", "product"):
            self.rules_used += 1
        yield from self.llm.rules.utterances(segment, language=language, voice=voice,
                                             pass_index=pass_index)

    def ready(self, pass_index: int, index: int) -> bool:
        """Whether the model's text for that segment is prepared (for tests and metrics)."""
        with self._cond:
            return (pass_index, index) in self._ready

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is being prepared or wanted (tests); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._wanted is None and self._running is None,
                                       timeout)

    # ---- the preparing thread ----

    def _want(self, key: Key) -> None:
        with self._cond:
            if key in self._ready or key == self._running:
                return
            self._wanted = key
            if self._worker is None:
                self._worker = threading.Thread(target=self._prepare_loop, daemon=True,
                                                name="anchor-llm-lookahead")
                self._worker.start()
            self._cond.notify_all()

    def _prepare_loop(self) -> None:
        while True:
            with self._cond:
                if self._wanted is None:
                    self._worker = None
                    return
                key, self._wanted = self._wanted, None
                self._running = key
            pass_index, index = key
            segment = self.segments[index]
            language = getattr(segment, "language", None) or self.language
            try:
                items = self.llm.prepare(segment, language=language, voice=self.voices[language],
                                         pass_index=pass_index)
            except Exception as e:  # noqa: BLE001 (a 24/7 channel survives a faulty part)
                self.llm.warn_once(f"preparing LLM text failed ({type(e).__name__}: {e})")
                items = None
            with self._cond:
                self._running = None
                if items:
                    self._ready[key] = items
                self._cond.notify_all()
