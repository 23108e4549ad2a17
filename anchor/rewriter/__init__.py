"""The rewriter: a show's written segments -> speakable utterances and pauses.

`RulesRewriter` is the default backend (no model, deterministic); `Rewriter` is the interface
other backends (an LLM rewriter) implement. `pitch` / `written_price` write a product's pitch
and price. Normalizing one text is `anchor.text` (`speakable_en` / `speakable_zh`).
"""
from anchor.rewriter.base import Rewriter
from anchor.rewriter.pitch import pitch, written_price
from anchor.rewriter.rules import RulesRewriter

__all__ = ["Rewriter", "RulesRewriter", "pitch", "written_price"]
