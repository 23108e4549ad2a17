"""A show's chat model, from its `llm:` section.

A model that cannot be loaded is reported once and the show runs without it: a show never fails
to start because its model is missing (the rewriter falls back to the rules, the answers to the
offline answerer). Loaded models are cached by their configuration, so a live reload of the same
show does not load them again.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

from anchor.language_model.chat import ChatConfig, ChatError, ChatModel
from anchor.show import LLM, Show

__all__ = ["chat_config", "chat_model", "load_chat_model"]

_log = logging.getLogger(__name__)


def chat_config(llm: LLM) -> ChatConfig:
    return ChatConfig(backend=llm.backend, model=llm.model, base_url=llm.base_url,
                      api_key_env=llm.api_key_env, device=llm.device, timeout_s=llm.timeout_s,
                      retries=llm.retries)


def load_chat_model(config: ChatConfig) -> ChatModel:
    """The backend `config` names, ready to stream; raises ChatError when it cannot load."""
    if config.backend == "transformers":
        from anchor.language_model.hf_chat import TransformersChat
        return TransformersChat.load(model=config.model, device=config.device)
    from anchor.language_model.openai_chat import OpenAIChat
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
