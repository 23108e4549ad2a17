"""Inline directives in show text.

    [pause 500ms]  [pause 1.5s]   silence
    [smile]  [serious]  [neutral] the presenter's expression from here on
    *words*                       emphasis

`parse` cuts a text into plain pieces and directive markers, in order; an unknown or malformed
directive raises ValueError with a message fit to show after "file:line: ".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from anchor.media import EXPRESSIONS, Pause

_DIRECTIVE = re.compile(r"\[([A-Za-z][^\[\]\n]{0,39})\]")
_PAUSE = re.compile(r"pause\s+(\d+(?:\.\d+)?)\s*(ms|s)", re.IGNORECASE)
MAX_PAUSE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Expression:
    name: str   # one of EXPRESSIONS


@dataclass(frozen=True, slots=True)
class Emphasis:
    text: str


Piece = str | Pause | Expression | Emphasis


def parse(text: str) -> list[Piece]:
    pieces: list[Piece] = []
    pos = 0
    for m in _DIRECTIVE.finditer(text):
        _plain(text[pos:m.start()], pieces)
        pieces.append(_directive(m.group(1).strip()))
        pos = m.end()
    _plain(text[pos:], pieces)
    return pieces


def _directive(body: str) -> Pause | Expression:
    word = body.lower()
    if word in EXPRESSIONS:
        return Expression(word)
    m = _PAUSE.fullmatch(body)
    if m:
        ms = round(float(m.group(1)) * (1 if m.group(2).lower() == "ms" else 1000))
        if ms > MAX_PAUSE_MS:
            raise ValueError(f"pause [{body}] is longer than {MAX_PAUSE_MS // 1000} s")
        return Pause(ms)
    raise ValueError(f"unknown directive [{body}] (use [pause 500ms], [smile], [serious] or [neutral])")


def _plain(text: str, pieces: list[Piece]) -> None:
    for i, part in enumerate(re.split(r"\*([^*\n]+)\*", text)):
        if part:
            pieces.append(Emphasis(part) if i % 2 else part)


def strip(text: str) -> str:
    """The text with directives removed and emphasis marks dropped (for display)."""
    return "".join(p.text if isinstance(p, Emphasis) else p for p in parse(text)
                   if isinstance(p, (str, Emphasis)))
