"""The text gate: every viewer comment passes here before anything is spoken about it.

`CommentGate.check(viewer, text)` returns a `Verdict`. It refuses text that is not text (control
characters, binary junk), empty or oversized comments, more than `rate[0]` comments per
`rate[1]` seconds from one viewer, blocklisted words (English and Chinese, see
`anchor/moderation/blocklist.txt`) and instructions aimed at the presenter ("ignore your
instructions", "system prompt", "you are now", "repeat after me", "忽略之前的所有指令", "你现在是", show
directives such as "[pause 60s]"). The gate only looks at text: it never evaluates, formats or
executes it. `screen_generated(text)` puts a model's output through the same
blocklist and instruction checks.

Matching happens on a folded copy of the text (`anchor.text.chars.fold`: NFKC, case-folded,
invisible characters removed, typographic apostrophes as "'"; then digits that stand for
letters read as letters, spaced-out letters joined), so "ＦＵＣＫ", "sh1t", "f u c k" and "傻 逼"
are caught. `Verdict.text` is the viewer's own text, cleaned (control
characters and invisible formatting removed, whitespace collapsed), never the folded copy.

Memory is bounded: a viewer is forgotten once their rate window has passed, and at most
`max_viewers` viewers are remembered at all (the least recently seen go first).
"""
from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from anchor.clock import Clock
from anchor.text.chars import fold

__all__ = ["DEFAULT", "REASONS", "CommentGate", "Verdict", "load_blocklist", "screen_generated"]

BLOCKLIST_PATH = Path(__file__).with_name("blocklist.txt")

# Verdict.reason codes (stable: metrics and the HTTP API use them) and what a viewer is told.
REASONS = {
    "": "ok",
    "not_text": "A comment must be text.",
    "binary": "The comment contains control characters or binary data.",
    "empty": "The comment is empty.",
    "too_long": "The comment is too long.",
    "rate": "Too many comments: please wait a little before the next one.",
    "instruction": "Comments cannot give the presenter instructions.",
    "blocked": "The comment contains words that are not allowed here.",
}

_VIEWER_ID_CHARS = 64      # longer viewer ids are kept as a digest (bounds one entry)
_WHITESPACE = re.compile(r"\s+")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s"})
_SPACED = re.compile(r"(?<![a-z])[a-z](?:[\s.\-_*+]+[a-z](?![a-z])){2,}")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_WORD = re.compile(r"[\W_]+")
_ENDINGS = r"(?:s|es|ed|er|ers|ing|ty)?"


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str   # "" when ok, else one of REASONS' codes
    text: str     # the cleaned comment; "" when refused

    @property
    def message(self) -> str:
        """What to tell the viewer, in English."""
        return REASONS.get(self.reason, self.reason)


class _ShippedList:
    """The blocklist shipped with Anchor, read on first use."""

    def __iter__(self) -> Iterator[str]:
        return iter(load_blocklist(BLOCKLIST_PATH))

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _ShippedList()


@lru_cache(maxsize=4)
def load_blocklist(path: Path) -> tuple[str, ...]:
    """The entries of a blocklist file: one per line, "#" starts a comment line."""
    entries = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    return tuple(entries)


# ---- instructions aimed at the presenter -------------------------------------------------------

_INSTRUCTIONS_EN = re.compile("|".join([
    (r"\b(?:ignore|disregard|forget|override|bypass)\b(?:\s+\S+){0,4}?\s+"
     r"(?:instructions?|prompts?|rules|guidelines|directions|programming|orders|script|training)\b"),
    r"\bforget\s+(?:everything|all)\b(?:\s+\S+){0,3}?\s+told\b",
    r"\bsystem\s*(?:prompt|message|instructions?)\b",
    r"\b(?:initial|original|hidden|secret)\s+(?:prompt|instructions)\b",
    r"\byou\s+are\s+now\b", r"\byou'?re\s+now\b", r"\bu\s+r\s+now\b",
    r"\bfrom\s+now\s+on\b,?\s+(?:you|say|only|always|answer|respond|reply|speak)\b",
    r"\brepeat\s+after\s+me\b",
    r"\bsay\s+(?:exactly|verbatim|the\s+following|these\s+words|word\s+for\s+word)\b",
    (r"\b(?:read|repeat|say)\s+(?:this|it|that|the\s+following)\s+"
     r"(?:out\s+loud|aloud|verbatim|word\s+for\s+word|back)\b"),
    r"\bpretend\s+(?:to\s+be|you\s+are|you'?re|that\s+you)\b",
    r"\bact\s+as\s+(?:if\s+you|my|an?\s+(?:ai|assistant|chatbot|bot|different|new))\b",
    r"\bnew\s+(?:instructions|rules|persona|role|identity)\b",
    r"\b(?:developer|dev|god|dan|admin)\s+mode\b", r"\bjailbreak", r"\bprompt\s+injection\b",
    r"<\|?\s*(?:im_start|im_end|system|assistant|user|endoftext)\s*\|?>",
    r"\[/?inst\]", r"(?:^|\n)\s*(?:system|assistant)\s*:", r"#{2,}\s*(?:instruction|system)",
    # show directives: a comment must not steer the presenter's voice or face
    r"\[\s*(?:pause|smile|serious|neutral)\b[^\[\]]{0,40}\]",
]))

_INSTRUCTIONS_ZH = re.compile("|".join([
    (r"(?:忽略|无视|忽视|忘记|忘掉|不要理会|别管|别理|跳过|抛开)"
     r".{0,12}?(?:指令|指示|命令|规则|设定|提示|要求|人设|剧本|台词|限制)"),
    r"你现在是", r"现在你是", r"从现在(?:开始|起)你", r"接下来你(?:就)?是",
    r"你(?:的)?新(?:身份|角色|任务|指令)",
    r"系统提示", r"提示词", r"跟我(?:说|念|读)", r"重复我(?:的话|说的)", r"复述",
    r"照着?(?:我的|下面的?)(?:念|读|说)", r"假装你是", r"扮演(?:一个|一名|我的)",
    r"越狱", r"开发者模式",
]))


# ---- the gate ------------------------------------------------------------------------------

class CommentGate:
    """Decides whether a viewer's comment may reach the presenter (see the module doc).

    Thread-safe; `clock` only measures the rate windows.
    """

    def __init__(self, *, max_chars: int = 200, rate: tuple[int, float] = (3, 30.0),
                 blocklist: Iterable[str] = DEFAULT, clock: Clock,
                 max_viewers: int = 10_000):
        count, window = rate
        if max_chars < 1:
            raise ValueError(f"max_chars must be at least 1, not {max_chars}")
        if count < 1 or window <= 0:
            raise ValueError(f"rate must be (comments >= 1, seconds > 0), not {rate!r}")
        if max_viewers < 1:
            raise ValueError(f"max_viewers must be at least 1, not {max_viewers}")
        self.max_chars = max_chars
        self.rate = (int(count), float(window))
        self.max_viewers = max_viewers
        self._clock = clock
        self._words, self._phrases = _compile_blocklist(blocklist)
        self._recent: OrderedDict[str, deque[float]] = OrderedDict()   # least recently seen first
        self._lock = threading.Lock()

    @property
    def viewers(self) -> int:
        """How many viewers the rate limit currently remembers."""
        return len(self._recent)

    def check(self, viewer: str, text: str) -> Verdict:
        if not isinstance(text, str):
            return _refuse("not_text")
        if len(text) > 8 * self.max_chars + 1000:   # decided before any work on a huge text
            return _refuse("too_long")
        if _is_binary(text):
            return _refuse("binary")
        cleaned = clean(text)
        if not cleaned:
            return _refuse("empty")
        if len(cleaned) > self.max_chars:
            return _refuse("too_long")
        if not self._admit(_viewer_key(viewer)):
            return _refuse("rate")
        folded = _fold(cleaned)
        if _instruction(folded):
            return _refuse("instruction")
        if self._blocked(folded):
            return _refuse("blocked")
        return Verdict(True, "", cleaned)

    # ---- rate limit ----

    def _admit(self, viewer: str) -> bool:
        """Count one comment from `viewer`; False when that is more than the rate allows."""
        count, window = self.rate
        now = self._clock.now()
        with self._lock:
            self._forget_idle(now - window)
            times = self._recent.pop(viewer, None)
            if times is None:
                times = deque(maxlen=count)
            while times and times[0] <= now - window:
                times.popleft()
            admitted = len(times) < count
            if admitted:
                times.append(now)
            self._recent[viewer] = times   # re-inserted: now the most recently seen
            while len(self._recent) > self.max_viewers:
                self._recent.popitem(last=False)
            return admitted

    def _forget_idle(self, horizon: float) -> None:
        """Drop viewers whose newest comment is outside the window: they carry no state."""
        recent = self._recent
        while recent:
            viewer, times = next(iter(recent.items()))
            if times and times[-1] > horizon:
                break
            del recent[viewer]

    # ---- blocklist ----

    def _blocked(self, folded: str) -> bool:
        if self._words is not None:
            for variant in (folded, _join_spaced(folded)):
                if self._words.search(variant):
                    return True
        if self._phrases is not None and self._phrases.search(_NOT_WORD.sub("", folded)):
            return True
        return False


def screen_generated(text: str, *, blocklist: Iterable[str] = DEFAULT) -> str:
    """The check a model's own output passes before it is spoken: "" when it may be said, else
    the reason code ("binary", "instruction" or "blocked"). No rate limit and no length limit:
    those are for viewers. Presenter instructions and show directives count as "instruction"."""
    if not isinstance(text, str) or _is_binary(text):
        return "binary"
    folded = _fold(clean(text))
    if _instruction(folded):
        return "instruction"
    words, phrases = _cached_blocklist(tuple(blocklist))
    if words is not None:
        for variant in (folded, _join_spaced(folded)):
            if words.search(variant):
                return "blocked"
    if phrases is not None and phrases.search(_NOT_WORD.sub("", folded)):
        return "blocked"
    return ""


@lru_cache(maxsize=4)
def _cached_blocklist(entries: tuple[str, ...]) -> tuple[re.Pattern | None, re.Pattern | None]:
    return _compile_blocklist(entries)


def clean(text: str) -> str:
    """The comment as it may be shown or read: NFC, invisible formatting characters removed
    (the zero-width joiner inside emoji kept), whitespace runs made one space, trimmed."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = "".join(ch for ch in text
                       if ch == "\u200d" or unicodedata.category(ch) != "Cf")
    return _WHITESPACE.sub(" ", text).strip()


def _viewer_key(viewer: str) -> str:
    """A viewer id of bounded size: long ids are replaced by a digest."""
    viewer = str(viewer)
    if len(viewer) <= _VIEWER_ID_CHARS:
        return viewer
    return "#" + hashlib.blake2b(viewer.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _refuse(reason: str) -> Verdict:
    return Verdict(False, reason, "")


def _is_binary(text: str) -> bool:
    if text.isascii():
        return _ASCII_CONTROL.search(text) is not None
    for ch in text:
        if ch in "\t\n\r":
            continue
        if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs", "Co"):
            return True
    return False


def _fold(cleaned: str) -> str:
    """The copy of a comment that rules match against: folded as all text is for matching
    (anchor.text.chars), with digits that stand for letters read as letters."""
    return fold(cleaned).translate(_LEET)


def _join_spaced(folded: str) -> str:
    """ "f u c k" and "f.u.c.k" read as "fuck"."""
    return _SPACED.sub(lambda m: _NOT_WORD.sub("", m.group(0)), folded)


def _instruction(folded: str) -> bool:
    if _INSTRUCTIONS_EN.search(folded) or _INSTRUCTIONS_EN.search(_join_spaced(folded)):
        return True
    return bool(_INSTRUCTIONS_ZH.search(_NOT_WORD.sub("", folded)))


def _compile_blocklist(entries: Iterable[str]) -> tuple[re.Pattern | None, re.Pattern | None]:
    """English entries as whole words (with common endings); other entries (Chinese) as
    substrings of the text with spaces and punctuation removed."""
    words, phrases = set(), set()
    for entry in entries:
        folded = _fold(clean(str(entry)))
        if not folded:
            continue
        if folded.isascii():
            words.add(r"\s+".join(re.escape(w) for w in folded.split()))
        else:
            phrases.add(re.escape(_NOT_WORD.sub("", folded)))
    by_length = lambda items: sorted(items, key=len, reverse=True)   # longest first
    word_re = (re.compile(r"(?<![a-z0-9])(?:" + "|".join(by_length(words)) + ")" + _ENDINGS
                          + r"(?![a-z0-9])") if words else None)
    phrase_re = re.compile("|".join(by_length(phrases))) if phrases else None
    return word_re, phrase_re
