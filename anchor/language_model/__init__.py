"""Language models: the small chat interface the LLM rewriter and answerer use (`ChatModel`,
`ChatMessage`, `ChatConfig`, `ChatError`, a reply's `Deadline` on the caller's clock), its two
backends (`openai_chat`: any OpenAI-compatible server, stdlib HTTP; `hf_chat`: a transformers
causal LM in this process) and loading a show's model (`load_chat_model`, `chat_model`). The
transformers backend is imported only when a show asks for it, so this package never loads torch
or transformers by itself.
"""
from anchor.language_model.chat import ChatConfig, ChatError, ChatMessage, ChatModel, Deadline
from anchor.language_model.loading import chat_model, load_chat_model

__all__ = ["ChatConfig", "ChatError", "ChatMessage", "ChatModel", "Deadline", "chat_model",
           "load_chat_model"]
