"""Answers to viewer comments: `Answerer` answers offline from the show's own facts; the model
answerer (`anchor.answers.llm.LLMAnswerer`) asks a chat model, grounded in the same facts, and
falls back to it; `comment_answerer(show)` is the one a show's `llm:` section asks for."""
from anchor.answers.choice import comment_answerer
from anchor.answers.offline import Answerer

__all__ = ["Answerer", "comment_answerer"]
