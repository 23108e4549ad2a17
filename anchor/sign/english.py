"""English text -> glosses (rules/en.toml): articles, copulas and auxiliaries dropped, words
lemmatised by rule and table, names kept as written, numbers signed as numbers, time words
moved to the front of their clause; a word the lexicon has no sign for is fingerspelled."""
from __future__ import annotations

import re
import unicodedata

from anchor.sign.glosses import (Gloss, NumberGloss, SignGloss, SpelledGloss, Vocabulary, Word,
                                 fates, number_signs, spell)
from anchor.sign.rules import rules
from anchor.text.numbers_en import value as number_value

# words (with an inner apostrophe), numbers in digits, and clause marks
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*|[.,;:!?()\"“”—–]")
_CLAUSE = set(".,;:!?()\"“”—–")
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = {"hundred", "thousand", "million", "billion", "trillion"}

Token = tuple[str, tuple[int, int]]


def _tokens(text: str) -> list[Token]:
    """Words with their spans; contractions split ("it's" -> "it" "'s")."""
    table = rules("en")["contractions"]
    out: list[Token] = []
    for m in _TOKEN.finditer(text):
        word, (start, end) = m.group().replace("’", "'"), m.span()
        if word.lower() in table:
            out.append((word, (start, end)))
            continue
        cut = next((word.lower().rfind(s) for s in table if s.startswith(("'", "n'"))
                    and word.lower().endswith(s) and len(word) > len(s)), -1)
        if cut > 0:
            out += [(word[:cut], (start, start + cut)), (word[cut:], (start + cut, end))]
        else:
            out.append((word, (start, end)))
    return out


def _expand(tokens: list[Token]) -> list[Token]:
    """Contractions replaced by the words they stand for (same span)."""
    table = rules("en")["contractions"]
    out = []
    for word, span in tokens:
        full = table.get(word.lower())
        out += [(w, span) for w in full.split()] if full else [(word, span)]
    return out


def lemmas(word: str, known) -> str:
    """The lemma of `word` that `known` (a container of lowercase words) has: the word itself,
    its irregular lemma, or the first suffix rule's candidate; else the word (lowercased)."""
    lemma_rules = rules("en")["lemma"]
    w = word.lower()
    candidates = [w]
    if w in rules("en")["irregular"]:
        candidates.append(rules("en")["irregular"][w])
    for suffix, to in lemma_rules["rules"]:
        stem = w[:-len(suffix)]
        if not w.endswith(suffix) or len(stem) < lemma_rules["min_stem"]:
            continue
        if to == "~":
            if len(stem) > 2 and stem[-1] == stem[-2]:
                candidates.append(stem[:-1])
        else:
            candidates.append(stem + to)
    return next((c for c in candidates if c in known), w)


def _is_number_word(w: str) -> bool:
    w = w.lower()
    return w in _ONES or w in _TENS or w in _SCALES or w in rules("en")["numbers"]["ordinals"] \
        or (w.endswith("th") and _cardinal_of(w) is not None)


def _cardinal_of(w: str) -> str | None:
    """An ordinal word's cardinal ("eighteenth" -> "eighteen"), None if it is not one."""
    ordinals = rules("en")["numbers"]["ordinals"]
    if w in ordinals:
        return ordinals[w]
    for ending, to in (("ieth", "y"), ("th", "")):
        if w.endswith(ending) and (w[:-len(ending)] + to) in _ONES + _TENS + list(_SCALES):
            return w[:-len(ending)] + to
    return None


def _number_groups(words: list[str]) -> list[tuple[int, int, int]]:
    """A run of number words cut into numbers: (first, last+1, value); two numbers of 10-99
    in a row read as a year ("twenty twenty-five" -> 2025)."""
    groups: list[list[int]] = []
    for i, w in enumerate(words):
        w = _cardinal_of(w.lower()) or w.lower()
        if groups:
            prev = _cardinal_of(words[i - 1].lower()) or words[i - 1].lower()
            ends = _cardinal_of(words[i - 1].lower()) is not None and prev not in _SCALES
            if ends or (w in _ONES + _TENS and prev in _ONES + _TENS
                        and not (prev in _TENS and w in _ONES[1:10])):
                groups.append([i])
                continue
            groups[-1].append(i)
        else:
            groups.append([i])
    out = []
    for g in groups:
        text = " ".join(_cardinal_of(words[i].lower()) or words[i].lower() for i in g)
        v = number_value(text)
        out.append((g[0], g[-1] + 1, int(v) if v is not None else 0))
    merged: list[tuple[int, int, int]] = []
    for g in out:
        if merged and 10 <= merged[-1][2] <= 99 and 10 <= g[2] <= 99 and merged[-1][1] == g[0]:
            merged[-1] = (merged[-1][0], g[1], int(f"{merged[-1][2]}{g[2]}"))
        else:
            merged.append(g)
    return merged


def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if c.isalnum() and c.isascii())


def gloss_english(text: str, vocabulary: Vocabulary) -> tuple[tuple[Gloss, ...], tuple[Word, ...]]:
    r = rules("en")
    drop = r["drop"]
    dropped_words = set(drop["articles"]) | set(drop["copulas"]) | set(drop["auxiliaries"]) \
        | set(drop["particles"])
    irregular_participles = {k for k, v in r["irregular"].items() if k not in ("had", "has", "did")}
    time_words = set(r["time"]["words"])
    known = {w for w in vocabulary.words if " " not in w}
    longest = vocabulary.longest_phrase()

    raw = _tokens(text)
    words_only = [(w, s) for w, s in raw if w not in _CLAUSE]
    tokens = _expand(raw)
    clauses: list[list[Gloss]] = [[]]
    dropped: set[tuple[int, int]] = set()
    i, start_of_sentence = 0, True
    while i < len(tokens):
        word, span = tokens[i]
        low = word.lower()
        if word in _CLAUSE:
            if clauses[-1]:
                clauses.append([])
            start_of_sentence = word in ".!?"
            i += 1
            continue
        initial, start_of_sentence = start_of_sentence, False
        name = word[:1].isupper() and not initial and word != "I"
        # a number: digits, or a run of number words
        if word[0].isdigit():
            clauses[-1] += _digits_glosses(word, span, vocabulary)
            i += 1
            continue
        if _is_number_word(low):
            j = i
            while j < len(tokens) and (_is_number_word(tokens[j][0])
                                       or (tokens[j][0].lower() == "and" and j > i
                                           and tokens[j - 1][0].lower() == "hundred"
                                           and j + 1 < len(tokens)
                                           and _is_number_word(tokens[j + 1][0]))):
                j += 1
            run = [t for t in tokens[i:j] if t[0].lower() != "and"]
            for a, b, value in _number_groups([t[0] for t in run]):
                g_span = (run[a][1][0], run[b - 1][1][1])
                clauses[-1].append(_number(str(value), text, g_span, vocabulary))
            i = j
            continue
        # a phrase the lexicon has ("thank you"), longest first
        phrase = None
        for n in range(min(longest, len(tokens) - i), 1, -1):
            words = [t[0] for t in tokens[i:i + n]]
            if any(w in _CLAUSE for w in words):
                continue
            key = " ".join(w.lower() for w in words)
            lemma_key = " ".join(lemmas(w, known) for w in words)
            gloss_id = vocabulary.words.get(key) or vocabulary.words.get(lemma_key)
            if gloss_id:
                phrase = (n, gloss_id)
                break
        if phrase:
            n, gloss_id = phrase
            g_span = (span[0], tokens[i + n - 1][1][1])
            clauses[-1].append(SignGloss(text[g_span[0]:g_span[1]], g_span, gloss=gloss_id))
            i += n
            continue
        nxt = tokens[i + 1][0].lower() if i + 1 < len(tokens) else ""
        perfect = low in drop["perfect"] and (nxt in irregular_participles or any(
            nxt.endswith(e) for e in drop["participle_endings"]))
        if not name and (low in dropped_words or perfect):
            dropped.add(span)
            i += 1
            continue
        lemma = low if name else lemmas(word, known)
        gloss_id = vocabulary.words.get(lemma)
        source = text[span[0]:span[1]]
        if gloss_id:
            g: Gloss = SignGloss(source, span, gloss=gloss_id)
        else:
            g = SpelledGloss(source, span, letters=spell(_plain(word), vocabulary))
        if lemma in time_words:
            clauses[-1].insert(_front(clauses[-1], time_words), g)
        else:
            clauses[-1].append(g)
        i += 1
    glosses = tuple(g for clause in clauses for g in clause
                    if not isinstance(g, SpelledGloss) or g.letters)
    return glosses, fates(words_only, dropped, glosses)


def _front(clause: list[Gloss], time_words: set[str]) -> int:
    """Where a time word goes: after the time words already at the front of its clause."""
    k = 0
    while k < len(clause) and clause[k].source.lower() in time_words:
        k += 1
    return k


def _number(digits: str, text: str, span: tuple[int, int], vocabulary: Vocabulary) -> NumberGloss:
    return NumberGloss(text[span[0]:span[1]], span, digits=digits,
                       signs=number_signs(digits, vocabulary))


def _digits_glosses(word: str, span: tuple[int, int], vocabulary: Vocabulary) -> list[Gloss]:
    """A number written in digits: "38,000" -> 38000; "14.6" -> 14, POINT (fingerspelled), 6."""
    whole, _, fraction = word.replace(",", "").partition(".")
    out: list[Gloss] = [NumberGloss(word, span, digits=whole, signs=number_signs(whole, vocabulary))]
    if fraction:
        point = rules("en")["numbers"]["point"]
        out += [SpelledGloss(word, span, letters=spell(point, vocabulary)),
                NumberGloss(word, span, digits=fraction, signs=number_signs(fraction, vocabulary))]
    return out
