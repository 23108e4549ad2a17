"""Wiring for a show's `llm:` section: the chat model, the script rewriter and the answerer.

Without `llm:` (or with `use:` leaving a part out) the rules rewriter and the offline answers
are used, exactly as before. A model that cannot be loaded is reported once and the show runs
on the rules: a show never fails to start because its model is missing. Loaded models are
cached by their configuration, so a live reload of the same show does not load them again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import lru_cache

from anchor.answers import Answerer
from anchor.rewriter.base import Rewriter
from anchor.rewriter.chat import ChatConfig, ChatError, ChatModel
from anchor.show import LLM, Show

__all__ = ["chat_config", "chat_model", "comment_answerer", "load_chat_model", "script_rewriter"]

_log = logging.getLogger(__name__)


def chat_config(llm: LLM) -> ChatConfig:
    return ChatConfig(backend=llm.backend, model=llm.model, base_url=llm.base_url,
                      api_key_env=llm.api_key_env, device=llm.device, timeout_s=llm.timeout_s,
                      retries=llm.retries)


def load_chat_model(config: ChatConfig) -> ChatModel:
    """The backend `config` names, ready to stream; raises ChatError when it cannot load."""
    if config.backend == "transformers":
        from anchor.rewriter.hf_chat import TransformersChat
        return TransformersChat.load(model=config.model, device=config.device)
    from anchor.rewriter.openai_chat import OpenAIChat
    return OpenAIChat(base_url=config.base_url, model=config.model,
                      api_key_env=config.api_key_env, timeout_s=config.timeout_s,
                      connect_timeout_s=config.connect_timeout_s, retries=config.retries,
                      stream=config.stream)


@lru_cache(maxsize=4)
def _loaded(config: ChatConfig) -> ChatModel:
    return load_chat_model(config)


def chat_model(show: Show, *, warn: Callable[[str], None] = _log.warning) -> ChatModel | None:
    """The show's chat model, or None (no `llm:`, or it failed to load: `warn` says why)."""
    if show.llm is None:
        return None
    try:
        return _loaded(chat_config(show.llm))
    except ChatError as e:
        where = f"{show.path}:{show.llm.line}" if show.llm.line else str(show.path)
        warn(f"{where}: llm: {e}; using the rules rewriter and offline answers")
        return None


def script_rewriter(show: Show, *, live: bool, ids: Iterator[int] | None = None,
                    voices: dict[str, str] | None = None,
                    warn: Callable[[str], None] = _log.warning) -> Rewriter | None:
    """The LLM rewriter the show asks for (None: use the rules). `live`: prepared one segment
    ahead on a background thread (needs `voices`, language -> voice name)."""
    if show.llm is None or not show.llm.rewrites:
        return None
    chat = chat_model(show, warn=warn)
    if chat is None:
        return None
    from anchor.rewriter.llm import LLMRewriter
    llm = LLMRewriter(chat, style=show.llm.style, seed=show.seed, ids=ids,
                      max_tokens=show.llm.max_tokens, timeout_s=show.llm.timeout_s, warn=warn,
                      source_name=str(show.path))
    if not live:
        return llm
    from anchor.rewriter.lookahead import LookaheadRewriter
    return LookaheadRewriter(llm, segments=show.segments, language=show.language,
                             voices=voices or {})


def comment_answerer(show: Show, *, warn: Callable[[str], None] = _log.warning):
    """The show's answerer: the LLM answerer when `llm:` answers comments, else the offline
    `Answerer`."""
    if show.llm is None or not show.llm.answers:
        return Answerer(show)
    chat = chat_model(show, warn=warn)
    if chat is None:
        return Answerer(show)
    from anchor.answers.llm import LLMAnswerer
    return LLMAnswerer(show, chat, timeout_s=min(show.llm.timeout_s, 10.0), warn=warn)
