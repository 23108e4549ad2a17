"""Subtitle cue layout: a caption becomes one or more cues of at most two short lines.

Width is counted in columns: a wide (CJK, full-width) character is two, anything else one. A
line holds 42 columns of Latin text, or 40 (20 Chinese characters) when the text has wide
characters. Latin text breaks at spaces; Chinese text breaks between any two characters, but
never before closing punctuation (，。」…) or after opening punctuation (「《“…).

A caption too long for one two-line cue is split into consecutive cues, preferring to split
after a sentence or clause, with cue widths kept even; its time is shared in proportion to
text width, no cue shorter than MIN_CUE_MS (unless the caption itself is shorter: then
fewer, fuller cues are used).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LATIN_COLUMNS = 42
WIDE_COLUMNS = 40
MIN_CUE_MS = 800

_CLOSING = set("，。！？、；：”’）》」』】〉…—,.!?;:)]}%·")
_OPENING = set("“‘（《「『【〈([{")
_SENTENCE_END = set("。！？.!?…")
_CLAUSE_END = set("，、；：,;:—")
_SPLIT_PENALTY = 400     # splitting cues mid-clause costs as much as 20 columns of imbalance


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    space_before: bool
    width: int


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _width(text: str) -> int:
    return sum(2 if _is_wide(ch) else 1 for ch in text)


def tokens(text: str) -> list[_Token]:
    """Split text into unbreakable pieces (words, single CJK characters with their punctuation)."""
    pieces: list[list] = []          # [text, space_before]
    space = False
    joinable = False                 # the last piece is a Latin run the next narrow char extends
    for ch in text:
        if ch.isspace():
            space, joinable = True, False
            continue
        glue_back = pieces and not space and (ch in _CLOSING or pieces[-1][0][-1] in _OPENING)
        if glue_back or (joinable and not _is_wide(ch)):
            pieces[-1][0] += ch
        else:
            pieces.append([ch, space and bool(pieces)])
        joinable = not _is_wide(ch)
        space = False
    return [_Token(t, s, _width(t)) for t, s in pieces]


def _line_width(toks: list[_Token]) -> int:
    return sum(t.width for t in toks) + sum(1 for t in toks[1:] if t.space_before)


def _join(toks: list[_Token]) -> str:
    return "".join((" " if t.space_before and i else "") + t.text for i, t in enumerate(toks))


def _greedy_lines(toks: list[_Token], columns: int) -> list[list[_Token]]:
    lines: list[list[_Token]] = []
    for tok in toks:
        if lines and _line_width(lines[-1] + [tok]) <= columns:
            lines[-1].append(tok)
        else:
            lines.append([tok])
    return lines


def _two_lines(toks: list[_Token], columns: int) -> list[list[_Token]]:
    """The most even break of a chunk into two lines, preferring a break after punctuation."""
    best, best_score = None, None
    for k in range(1, len(toks)):
        first, second = _line_width(toks[:k]), _line_width(toks[k:])
        if first > columns or second > columns:
            continue
        score = max(first, second) + (0 if toks[k - 1].text[-1] in _CLOSING else 4)
        if best_score is None or score < best_score:
            best, best_score = k, score
    if best is None:
        return _greedy_lines(toks, columns)
    return [toks[:best], toks[best:]]


def _chunks(toks: list[_Token], columns: int, max_lines: int) -> list[list[_Token]]:
    """Fewest chunks of at most max_lines lines each, split at clause ends, evenly filled."""
    n = len(toks)
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    capacity = columns * max_lines
    for i in range(n):
        if best[i] == inf:
            continue
        lines = 0
        line_width = 0
        chunk_width = -1
        for j in range(i + 1, n + 1):
            tok = toks[j - 1]
            extra = tok.width + (1 if tok.space_before else 0)
            chunk_width += extra if j > i + 1 else tok.width + 1
            if lines and line_width + extra <= columns:
                line_width += extra
            else:
                lines += 1
                line_width = tok.width
            if lines > max_lines:
                break
            last = tok.text[-1]
            penalty = 0 if j == n or last in _SENTENCE_END else (
                _SPLIT_PENALTY // 4 if last in _CLAUSE_END else _SPLIT_PENALTY)
            slack = max(0, capacity - chunk_width)
            cost = best[i] + 1_000_000 + penalty + slack * slack
            if cost < best[j]:
                best[j], back[j] = cost, i
    chunks = []
    j = n
    while j > 0:
        chunks.append(toks[back[j]:j])
        j = back[j]
    return chunks[::-1]


def _share(total_ms: int, weights: list[int], minimum: int) -> list[int]:
    """Durations summing to total_ms, proportional to weights, none below minimum."""
    fixed: dict[int, float] = {}
    while True:
        free = [i for i in range(len(weights)) if i not in fixed]
        left = total_ms - minimum * len(fixed)
        weight = sum(weights[i] for i in free) or 1
        share = {i: left * weights[i] / weight for i in free}
        short = [i for i in free if share[i] < minimum]
        if not short:
            break
        for i in short:
            fixed[i] = minimum
    exact = [fixed.get(i, share.get(i, 0.0)) for i in range(len(weights))]
    edges, acc = [0], 0.0
    for d in exact:
        acc += d
        edges.append(round(acc))
    edges[-1] = total_ms
    return [b - a for a, b in zip(edges, edges[1:])]


def layout(text: str, start_ms: int, end_ms: int) -> list[Cue]:
    """The cues that show `text` from start_ms to end_ms."""
    toks = tokens(text)
    if not toks or end_ms <= start_ms:
        return []
    columns = WIDE_COLUMNS if any(_is_wide(ch) for ch in text) else LATIN_COLUMNS
    duration = end_ms - start_ms
    most_cues = max(1, duration // MIN_CUE_MS)
    max_lines = 2
    chunks = _chunks(toks, columns, max_lines)
    while len(chunks) > most_cues:        # too little time: fewer cues with more lines
        max_lines += 1
        chunks = _chunks(toks, columns, max_lines)
    durations = _share(duration, [_line_width(c) for c in chunks], MIN_CUE_MS)
    cues, t = [], start_ms
    for chunk, d in zip(chunks, durations):
        if _line_width(chunk) <= columns:
            lines = [chunk]
        elif max_lines == 2:
            lines = _two_lines(chunk, columns)
        else:
            lines = _greedy_lines(chunk, columns)
        cues.append(Cue(t, t + d, tuple(_join(line) for line in lines)))
        t += d
    return cues


def _clock(ms: int, separator: str) -> str:
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{ms:03d}"


def srt_cue(number: int, cue: Cue) -> str:
    return (f"{number}\n{_clock(cue.start_ms, ',')} --> {_clock(cue.end_ms, ',')}\n"
            + "\n".join(cue.lines) + "\n\n")


_VTT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def vtt_cue(cue: Cue) -> str:
    lines = (re.sub(r"[&<>]", lambda m: _VTT_ESCAPES[m.group()], line) for line in cue.lines)
    return (f"{_clock(cue.start_ms, '.')} --> {_clock(cue.end_ms, '.')}\n"
            + "\n".join(lines) + "\n\n")


VTT_HEADER = "WEBVTT\n\n"


def srt(cues: list[Cue]) -> str:
    return "".join(srt_cue(i, cue) for i, cue in enumerate(cues, 1))


def vtt(cues: list[Cue]) -> str:
    return VTT_HEADER + "".join(vtt_cue(cue) for cue in cues)
