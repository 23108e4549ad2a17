"""Chinese text -> glosses (rules/zh.toml): segmented into words with jieba (the lexicon's
words added to its dictionary), particles dropped, numbers signed as numbers, time words moved
to the front of their clause, words mapped to the lexicon's signs; a word without a sign is
signed character by character where the lexicon has the characters, and the rest is
fingerspelled in pinyin (ZH, CH, SH, NG as single letters)."""
from __future__ import annotations

import logging
import re
from functools import cache

from anchor.sign.glosses import (Gloss, NumberGloss, SignGloss, SpelledGloss, Vocabulary, Word,
                                 fates, number_signs, spell)
from anchor.sign.rules import rules
from anchor.text.chars import fold, is_ideograph
from anchor.text.numbers_zh import value as number_value

_CLAUSE = set("，。！？；：、,.!?;:（）()《》「」『』“”\"—…")


@cache
def _tokenizer(words: frozenset[str]):
    """A jieba tokenizer of its own (never jieba's global one), initialised quietly, with the
    lexicon's words in its dictionary so that segmentation keeps them whole."""
    import warnings

    with warnings.catch_warnings():     # jieba 0.42's regexes warn of invalid escapes
        warnings.simplefilter("ignore")
        import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for w in sorted(words):
        if len(w) > 1 and all(is_ideograph(c) for c in w):
            tokenizer.add_word(w, freq=max(tokenizer.suggest_freq(w), 10))
    for w in rules("zh")["numbers"]["not_numbers"]:
        tokenizer.add_word(w)
    return tokenizer


def _pinyin(chars: str) -> str:
    from pypinyin import Style, lazy_pinyin
    return " ".join(lazy_pinyin(chars, style=Style.NORMAL, errors="ignore"))


def _segments(text: str, vocabulary: Vocabulary) -> list[tuple[str, tuple[int, int]]]:
    """Words with their spans: runs of numerals (and digits) kept whole, as numbers, unless
    they begin a word of `not_numbers` (一起); the text between them segmented by jieba."""
    numbers = rules("zh")["numbers"]
    words = "|".join(map(re.escape, sorted(numbers["not_numbers"], key=len, reverse=True)))
    run = rf"[{numbers['numerals']}]+(?:{numbers['point']}[{numbers['numerals']}]+)?|\d+(?:\.\d+)?"
    tokenizer = _tokenizer(frozenset(vocabulary.words))
    out, at = [], 0
    for m in re.finditer(rf"(?:{words})|(?P<number>{run})", text):
        if m.group("number") is None:
            continue
        out += _jieba(tokenizer, text[at:m.start()], at)
        out.append((m.group(), m.span()))
        at = m.end()
    return out + _jieba(tokenizer, text[at:], at)


def _jieba(tokenizer, text: str, offset: int) -> list[tuple[str, tuple[int, int]]]:
    return [(word, (offset + start, offset + end)) for word, start, end in tokenizer.tokenize(text)
            if word.strip()]


def _is_number(word: str) -> bool:
    numerals = rules("zh")["numbers"]["numerals"]
    return bool(re.fullmatch(rf"[{numerals}]+(?:点[{numerals}]+)?|\d+(?:\.\d+)?", word))


def gloss_chinese(text: str, vocabulary: Vocabulary) -> tuple[tuple[Gloss, ...], tuple[Word, ...]]:
    r = rules("zh")
    particles = set(r["drop"]["particles"])
    time_words = set(r["time"]["words"])
    clauses: list[list[Gloss]] = [[]]
    dropped: set[tuple[int, int]] = set()
    words = []
    for word, span in _segments(text, vocabulary):
        if all(c in _CLAUSE or not c.isalnum() for c in word):
            if clauses[-1]:
                clauses.append([])
            continue
        words.append((word, span))
        if word in particles:
            dropped.add(span)
            continue
        if _is_number(word):
            clauses[-1] += _numbers(word, span, vocabulary)
            continue
        gloss_id = vocabulary.words.get(fold(word))
        if gloss_id:
            g = SignGloss(word, span, gloss=gloss_id)
            if word in time_words:
                k = 0
                while k < len(clauses[-1]) and clauses[-1][k].source in time_words:
                    k += 1
                clauses[-1].insert(k, g)
            else:
                clauses[-1].append(g)
            continue
        clauses[-1] += _by_character(word, span, vocabulary)
    glosses = tuple(g for clause in clauses for g in clause
                    if not isinstance(g, SpelledGloss) or g.letters)
    return glosses, fates(words, dropped, glosses)


def _numbers(word: str, span: tuple[int, int], vocabulary: Vocabulary) -> list[Gloss]:
    """A number: 十八 -> 18 (one number, composed as glosses.number_signs); 三点五 -> 3, 点, 5."""
    point = rules("zh")["numbers"]["point"]
    whole, dot, fraction = word.partition(point if point in word else ".")
    value = whole if whole.isdigit() else str(int(number_value(whole) or 0))
    out: list[Gloss] = [NumberGloss(word, span, digits=value, signs=number_signs(value, vocabulary))]
    if dot:
        out += _by_character(point, span, vocabulary)
        digits = fraction if fraction.isdigit() else "".join(
            str(int(number_value(c) or 0)) for c in fraction)
        out.append(NumberGloss(word, span, digits=digits, signs=number_signs(digits, vocabulary)))
    return out


def _by_character(word: str, span: tuple[int, int], vocabulary: Vocabulary) -> list[Gloss]:
    """A word the lexicon lacks: the characters it has are signed, each run of the others is
    fingerspelled in pinyin (Latin letters as they are)."""
    out: list[Gloss] = []
    run_start = None
    for k, ch in enumerate(word + "\0"):
        gloss_id = vocabulary.words.get(ch) if ch != "\0" else None
        if gloss_id is None and ch != "\0":
            if run_start is None:
                run_start = k
            continue
        if run_start is not None:
            chars = word[run_start:k]
            sub = (span[0] + run_start, span[0] + k)
            letters = tuple(letter for syllable in _pinyin(chars).split() or [chars]
                            for letter in spell(syllable, vocabulary))
            if not any(is_ideograph(c) for c in chars):
                letters = spell(chars, vocabulary)
            out.append(SpelledGloss(chars, sub, letters=letters))
            run_start = None
        if gloss_id is not None:
            out.append(SignGloss(ch, (span[0] + k, span[0] + k + 1), gloss=gloss_id))
    return out
