"""Cutting written text into sentences, and sentences into pieces short enough to speak.

`sentences` is lazy: it walks the text with one regex scan and yields each sentence as soon as
its end is found, so a megabyte of text starts yielding at once. Inline directives ("[pause
1.5s]") are never cut. A run of text with no sentence end is cut every `hard_cap` characters at
a space or clause mark, so no sentence is ever huge.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from anchor.text.chars import is_wide_cjk

_CLOSERS = "\"'”’)\\]」』）》"
_BOUNDARY = re.compile(
    r"\[[A-Za-z][^\[\]\n]{0,39}\]"                       # a directive: skipped whole
    rf"|[.!?…]+[{_CLOSERS}]*(?=\s|$)"                    # western end: needs a space after
    rf"|[。！？；]+[{_CLOSERS}]*"                           # Chinese end: needs nothing after
    r"|\n[ \t]*\n\s*")                                   # a blank line ends a paragraph
_DIRECTIVE = re.compile(r"\[[A-Za-z][^\[\]\n]{0,39}\]")
# a "." after these words does not end a sentence
_NEVER_ENDS = {"dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "mt", "vs", "approx", "e.g", "i.e",
               "no", "fig", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt"}
# ... and after these only when a capital letter follows
_MAY_END = {"etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
            "sep", "sept", "oct", "nov", "dec"}
_INITIALS = re.compile(r"(?:[A-Za-z]\.)*[A-Za-z]")
_CLAUSE = "，、；：,;:—–"


def _ends_sentence(text: str, m: re.Match[str]) -> bool:
    mark = m.group(0)
    if mark.startswith("["):
        return False
    if mark[0] in ".!?…":
        after = text[m.end():m.end() + 3].lstrip()
        if after[:1].islower() and after[:1].isascii():
            return False   # 'Really?" he said.', 'apples, e.g. pears'
    if mark != ".":
        return True
    word_start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    word = text[word_start:m.start()].lstrip(_CLOSERS + "(\"'“‘").lower()
    if word in _NEVER_ENDS:
        return False
    if word in _MAY_END:
        after = text[m.end():m.end() + 3].lstrip()
        return bool(after) and after[0].isupper()
    if _INITIALS.fullmatch(word) and (len(word) == 1 or "." in word):
        return False   # "J. Smith", "U.S. policy"
    return True


def sentences(text: str, *, hard_cap: int = 1000) -> Iterator[str]:
    """The sentences of `text`, in order, directives kept, outer white space trimmed."""
    start = 0
    for m in _BOUNDARY.finditer(text):
        if not _ends_sentence(text, m):
            continue
        yield from _capped(text, start, m.end(), hard_cap)
        start = m.end()
    yield from _capped(text, start, len(text), hard_cap)


def _capped(text: str, start: int, end: int, cap: int) -> Iterator[str]:
    while end - start > cap:
        cut = _cut_point(text, start, start + cap)
        piece = text[start:cut].strip()
        if piece:
            yield piece
        start = cut
    piece = text[start:end].strip()
    if piece:
        yield piece


def _cut_point(text: str, start: int, limit: int) -> int:
    """A place to cut text[start:] at or before `limit`: after a clause mark or at a space, never
    inside a directive; at `limit` itself when nothing better is found."""
    floor = start + (limit - start) // 2
    cut = max((text.rfind(c, floor, limit) + 1 for c in _CLAUSE), default=0)
    if cut <= floor:
        cut = max(text.rfind(" ", floor, limit), text.rfind("\n", floor, limit))
    if cut <= floor:
        cut = limit
    opening = text.rfind("[", start, cut)
    if opening > text.rfind("]", start, cut):
        directive = _DIRECTIVE.match(text, opening)
        if directive and directive.end() > cut:
            cut = opening if opening > start else directive.end()
    return cut


def pieces(caption: str, max_chars: int) -> Iterator[tuple[int, int]]:
    """[start, end) spans of `caption`, each at most `max_chars` long (whole sentence when it fits),
    cut after a clause mark, else at a space, else between two CJK characters, else anywhere;
    no piece is empty or starts or ends with white space."""
    start, n = 0, len(caption)
    while start < n:
        while start < n and caption[start].isspace():
            start += 1
        if n - start <= max_chars:
            end = n
        else:
            end = _piece_end(caption, start, start + max_chars)
        stop = end
        while stop > start and caption[stop - 1].isspace():
            stop -= 1
        if stop > start:
            yield start, stop
        start = end


def _piece_end(c: str, start: int, limit: int) -> int:
    floor = start + max(1, (limit - start) // 3)
    for i in range(limit, floor - 1, -1):   # after a clause mark (ASCII ones need a space after)
        mark = c[i - 1]
        if mark in _CLAUSE and (mark not in ",;:" or i >= len(c) or c[i].isspace()):
            return i
    for i in range(limit, start, -1):        # at a space
        if c[i - 1].isspace() or (i < len(c) and c[i].isspace()):
            return i
    for i in range(limit, start, -1):        # between two characters, one of them CJK
        if is_wide_cjk(c[i - 1]) or (i < len(c) and is_wide_cjk(c[i])):
            return i
    return limit
