"""Anchor: a written show becomes an AI presenter, rendered or broadcast live."""
__version__ = "0.1.0"
