"""Text -> glosses: what a sign language signs for a text, by rules that are data
(rules/en.toml, rules/zh.toml; the policy is docs/sign-language.md). The lexicon's vocabulary
comes in as data (`Vocabulary`), so this package knows no pose or avatar.

    vocabulary = Vocabulary(words={"train": "TRAIN", ...}, numbers={10: "TEN"}, letters=...)
    gloss("Trains run every ten minutes.", "en", vocabulary)
    # (SignGloss('Trains', (0, 6), gloss='TRAIN'), SignGloss('run', ...), ...)
"""
from __future__ import annotations

from anchor.sign.chinese import gloss_chinese
from anchor.sign.english import gloss_english
from anchor.sign.glosses import (TEXT_LANGUAGE, Coverage, Gloss, GlossError, NumberGloss,
                                 SignGloss, SpelledGloss, Vocabulary, Word)

# a written language -> its glossing rules
GLOSSERS = {"en": gloss_english, "zh": gloss_chinese}


def _glosser(language: str):
    try:
        return GLOSSERS[language]
    except KeyError:
        raise GlossError(f"language: no glossing rules for {language!r} "
                         f"(one of {', '.join(GLOSSERS)})") from None


def gloss(text: str, language: str, vocabulary: Vocabulary) -> tuple[Gloss, ...]:
    """The glosses of `text` (written in `language`: "en" or "zh") in the sign language whose
    lexicon `vocabulary` describes."""
    return _glosser(language)(text, vocabulary)[0]


def words(text: str, language: str, vocabulary: Vocabulary) -> tuple[Word, ...]:
    """Each word of `text` with its fate: signed, fingerspelled or dropped."""
    return _glosser(language)(text, vocabulary)[1]


def coverage(text: str, language: str, vocabulary: Vocabulary) -> Coverage:
    return Coverage.of(words(text, language, vocabulary))


__all__ = ["TEXT_LANGUAGE", "Coverage", "Gloss", "GlossError", "NumberGloss", "SignGloss",
           "SpelledGloss", "Vocabulary", "Word", "coverage", "gloss", "words"]
