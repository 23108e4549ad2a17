"""Moderation: what may reach the presenter's mouth. `CommentGate` decides whether a viewer's
comment may be answered (`Verdict`, with a stable reason code from `REASONS`);
`screen_generated` puts a model's own text through the same blocklist and instruction checks
before it is spoken. Text only: the gate never evaluates or executes what it reads."""
from anchor.moderation.gate import REASONS, CommentGate, Verdict, screen_generated

__all__ = ["REASONS", "CommentGate", "Verdict", "screen_generated"]
