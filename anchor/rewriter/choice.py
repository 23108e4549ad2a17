"""The rewriter a show asks for: its `llm:` section's LLM rewriter, or None for the rules.

Without `llm:` (or with `use:` leaving rewriting out), or when its model cannot be loaded
(reported once by `anchor.language_model.chat_model`), the rules rewriter is used, exactly as
before.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from anchor.clock import Clock
from anchor.language_model import chat_model
from anchor.rewriter.base import Rewriter
from anchor.show import Show

__all__ = ["script_rewriter"]

_log = logging.getLogger(__name__)


def script_rewriter(show: Show, *, live: bool, clock: Clock, ids: Iterator[int] | None = None,
                    voices: dict[str, str] | None = None,
                    warn: Callable[[str], None] = _log.warning) -> Rewriter | None:
    """The LLM rewriter the show asks for (None: use the rules), its deadlines on `clock` (the
    channel's or the render's). `live`: prepared one segment ahead on a background thread
    (needs `voices`, language -> voice name)."""
    if show.llm is None or not show.llm.rewrites:
        return None
    chat = chat_model(show, warn=warn)
    if chat is None:
        return None
    from anchor.rewriter.llm import LLMRewriter
    llm = LLMRewriter(chat, clock=clock, style=show.llm.style, seed=show.seed, ids=ids,
                      max_tokens=show.llm.max_tokens, timeout_s=show.llm.timeout_s, warn=warn,
                      source_name=str(show.path))
    if not live:
        return llm
    from anchor.rewriter.lookahead import LookaheadRewriter
    return LookaheadRewriter(llm, segments=show.segments, language=show.language,
                             voices=voices or {})
