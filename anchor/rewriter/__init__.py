"""The rewriter: a show's written segments -> speakable utterances and pauses.

`RulesRewriter` is the default backend (no model, deterministic); `Rewriter` is the interface
other backends (an LLM rewriter) implement. `speakable_en` / `speakable_zh` normalize one text.
"""
from anchor.rewriter.base import Rewriter
from anchor.rewriter.normalize_en import speakable as speakable_en
from anchor.rewriter.normalize_zh import speakable as speakable_zh
from anchor.rewriter.pitch import pitch, written_price
from anchor.rewriter.rules import RulesRewriter
from anchor.rewriter.sentences import sentences

__all__ = ["Rewriter", "RulesRewriter", "pitch", "sentences", "speakable_en", "speakable_zh",
           "written_price"]
