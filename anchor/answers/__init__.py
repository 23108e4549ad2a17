"""Answers to viewer comments: `Answerer` answers offline from the show's own facts; the model
answerer (`anchor.answers.llm.LLMAnswerer`) asks a chat model, grounded in the same facts, and
falls back to it."""
from anchor.answers.offline import Answerer

__all__ = ["Answerer"]
