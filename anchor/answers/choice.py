"""The answerer a show asks for: the LLM answerer when its `llm:` section answers comments,
else the offline `Answerer` (also when the model cannot be loaded: `anchor.language_model.
chat_model` reports that once)."""
from __future__ import annotations

import logging
from collections.abc import Callable

from anchor.answers.offline import Answerer
from anchor.clock import Clock
from anchor.language_model import chat_model
from anchor.show import Show

__all__ = ["comment_answerer"]

_log = logging.getLogger(__name__)


def comment_answerer(show: Show, *, clock: Clock, warn: Callable[[str], None] = _log.warning):
    """The show's answerer: the LLM answerer when `llm:` answers comments (its deadlines on
    `clock`, the channel's), else the offline `Answerer`."""
    if show.llm is None or not show.llm.answers:
        return Answerer(show)
    chat = chat_model(show, warn=warn)
    if chat is None:
        return Answerer(show)
    from anchor.answers.llm import LLMAnswerer
    return LLMAnswerer(show, chat, clock=clock, timeout_s=min(show.llm.timeout_s, 10.0),
                       warn=warn)
