"""The rewriter: a show's written segments -> speakable utterances and pauses.

`RulesRewriter` is the default backend (no model, deterministic); `Rewriter` is the interface
other backends (the LLM rewriter, `anchor.rewriter.llm`) implement; `script_rewriter(show)` is
the LLM rewriter a show's `llm:` section asks for. `pitch` / `written_price` write a product's
pitch and price. Normalizing one text is `anchor.text` (`speakable_en` / `speakable_zh`).
"""
from anchor.rewriter.base import Rewriter
from anchor.rewriter.choice import script_rewriter
from anchor.rewriter.pitch import pitch, written_price
from anchor.rewriter.rules import RulesRewriter

__all__ = ["Rewriter", "RulesRewriter", "pitch", "script_rewriter", "written_price"]
