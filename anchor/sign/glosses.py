"""What text becomes when it is signed: a sequence of glosses, each a lexicon sign, a number
or a fingerspelled word, with the words it came from and where they are in the text (so that
signing can later be timed to the speech of those words).

The lexicon is not imported here (anchor.sign sits below avatars' wiring): the caller passes
what the sign language has as data, a `Vocabulary`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from anchor.errors import AnchorError

# which written language each sign language is glossed from
TEXT_LANGUAGE = {"ase": "en", "csl": "zh"}


class GlossError(AnchorError):
    """Text that cannot be glossed (an unknown language, a vocabulary without an alphabet)."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What a sign language's lexicon has, as data: its signs by word or phrase (folded:
    lowercase; several words joined by one space), its number signs by value (0-10), and the
    letters of its manual alphabet ("A".."Z", and "ZH", "CH", "SH", "NG" in Chinese)."""
    words: Mapping[str, str]
    numbers: Mapping[int, str] = field(default_factory=dict)
    letters: frozenset[str] = frozenset()

    def longest_phrase(self) -> int:
        return max((len(w.split()) for w in self.words), default=1)


@dataclass(frozen=True, slots=True)
class Gloss:
    """One unit of signing. `source`: the words of the text it stands for, as written;
    `span`: (start, end) character offsets of those words in the text."""
    source: str
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class SignGloss(Gloss):
    """A sign of the lexicon, by its gloss id ("THANK-YOU", "谢谢")."""
    gloss: str = ""


@dataclass(frozen=True, slots=True)
class NumberGloss(Gloss):
    """A number signed as a number: `digits` is what it signs ("14", "2025"), `signs` the
    lexicon's number signs that make it (see `number_signs`)."""
    digits: str = ""
    signs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpelledGloss(Gloss):
    """A word fingerspelled: the letters of the manual alphabet, in order (Chinese: of its
    pinyin, ZH/CH/SH/NG as one letter each)."""
    letters: tuple[str, ...] = ()


def number_signs(digits: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The number signs of a whole number written in digits: 0-10 is one sign of its own
    (without a leading zero); anything else is signed digit by digit ("14" -> ONE FOUR,
    "2025" -> TWO ZERO TWO FIVE). Empty when the vocabulary lacks one of them."""
    if digits.isdigit() and (digits == "0" or not digits.startswith("0")) and int(digits) <= 10 \
            and int(digits) in vocabulary.numbers:
        return (vocabulary.numbers[int(digits)],)
    signs = tuple(vocabulary.numbers.get(int(d)) for d in digits if d.isdigit())
    return signs if signs and all(signs) and len(signs) == len(digits) else ()


def spell(text: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The alphabet's letters for `text`, ZH/CH/SH/NG taken greedily where the alphabet has
    them; characters the alphabet has no letter for are left out."""
    out, i, up = [], 0, text.upper()
    while i < len(up):
        pair = up[i:i + 2]
        if len(pair) == 2 and pair in vocabulary.letters:
            out.append(pair)
            i += 2
            continue
        if up[i] in vocabulary.letters:
            out.append(up[i])
        i += 1
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Word:
    """A word of the text and what became of it: "signed" (a sign or a number),
    "fingerspelled", or "dropped" (an article, a particle ...)."""
    text: str
    span: tuple[int, int]
    fate: str


FATES = ("signed", "fingerspelled", "dropped")


@dataclass(frozen=True, slots=True)
class Coverage:
    """Counts of words signed, fingerspelled and dropped."""
    signed: int = 0
    fingerspelled: int = 0
    dropped: int = 0

    @property
    def words(self) -> int:
        return self.signed + self.fingerspelled + self.dropped

    def share(self, fate: str) -> float:
        return getattr(self, fate) / self.words if self.words else 0.0

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.signed + other.signed, self.fingerspelled + other.fingerspelled,
                        self.dropped + other.dropped)

    @classmethod
    def of(cls, words: tuple[Word, ...]) -> Coverage:
        return cls(**{fate: sum(w.fate == fate for w in words) for fate in FATES})


def fates(tokens: list[tuple[str, tuple[int, int]]], dropped: set[tuple[int, int]],
          glosses: tuple[Gloss, ...]) -> tuple[Word, ...]:
    """Each token's fate: dropped; signed when a sign or a number stands for it (or for part
    of it); else fingerspelled."""
    out = []
    for text, span in tokens:
        if span in dropped:
            out.append(Word(text, span, "dropped"))
            continue
        over = [g for g in glosses if g.span[0] < span[1] and span[0] < g.span[1]]
        signed = any(not isinstance(g, SpelledGloss) for g in over)
        out.append(Word(text, span, "signed" if signed else "fingerspelled"))
    return tuple(out)
