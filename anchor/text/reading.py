"""A reading: written text rewritten into speakable text, remembering where each part came from.

Normalizers rewrite text in a few regex passes. Each pass records its edits, so a span of the
written text (an emphasised word, say) can be carried to the same words of the spoken text.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from anchor.media import Span

# (written start, written end, spoken start, spoken end) of one replaced stretch in one pass
Edit = tuple[int, int, int, int]

_SPACES = re.compile(r"^\s+|\s+$|\s{2,}|[\t\n\r\f\v]")


def _word_char(c: str) -> bool:
    return c.isascii() and c.isalnum()


@dataclass(frozen=True, slots=True)
class Reading:
    written: str
    text: str
    passes: tuple[tuple[Edit, ...], ...] = ()

    @classmethod
    def of(cls, written: str) -> Reading:
        return cls(written, written)

    def sub(self, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str | None]) -> Reading:
        """One pass: every match of `pattern` becomes `replace(match)` (None keeps it as it is).
        A replacement that would run into a neighbouring Latin letter or digit gets a space."""
        src = self.text
        out: list[str] = []
        edits: list[Edit] = []
        pos = length = 0
        for m in pattern.finditer(src):
            new = replace(m)
            if new is None or new == m.group(0):
                continue
            start, end = m.span()
            if new and start > 0 and _word_char(src[start - 1]) and _word_char(new[0]):
                new = " " + new
            if new and end < len(src) and _word_char(src[end]) and _word_char(new[-1]):
                new += " "
            out.append(src[pos:start])
            length += start - pos
            edits.append((start, end, length, length + len(new)))
            out.append(new)
            length += len(new)
            pos = end
        if not edits:
            return self
        out.append(src[pos:])
        return Reading(self.written, "".join(out), self.passes + (tuple(edits),))

    def tidy(self) -> Reading:
        """Collapse runs of white space into one space and trim the ends."""
        return self.sub(_SPACES, lambda m: "" if m.start() == 0 or m.end() == len(m.string) else " ")

    def span(self, start: int, end: int) -> Span:
        """The spoken span that reads the written characters [start, end)."""
        for edits in self.passes:
            start, end = _carry(start, edits, False), _carry(end, edits, True)
        end = max(start, end)
        # do not stress the spaces around a word
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return Span(start, end)


def _carry(pos: int, edits: tuple[Edit, ...], is_end: bool) -> int:
    shift = 0
    for w0, w1, s0, s1 in edits:
        if is_end:
            if pos <= w0:
                break
            if pos <= w1:
                return s1
        else:
            if pos < w0 or (pos == w0 and w0 == w1):
                break
            if pos < w1:
                return s0
        shift = s1 - w1
    return pos + shift
