"""Text to Piper phoneme ids: a Piper voice's config, espeak-ng IPA sentences, the id scheme.

Piper voices are trained on espeak-ng's IPA phonemes, one Unicode code point (NFD) a phoneme,
with the punctuation that ended each clause kept as a phoneme of its own. We get the phonemes
clause by clause from our espeak-ng binding (`espeak_TextToPhonemes`, IPA mode); a clause's
punctuation is read from the text it consumed (the call does not report it), mapped as Piper
maps espeak's clause types (comma, colon, semicolon: the mark and a space; period, question,
exclamation: the mark, and the sentence ends there). Ids follow Piper's scheme: BOS "^", the
pad "_", then each phoneme's ids each followed by the pad, then EOS "$", all read from the
voice's `phoneme_id_map`.

A sentence longer than MAX_SENTENCE_PHONEMES is cut at its clauses (commas), and a clause still
longer at word gaps, so the memory one model call needs stays bounded.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from anchor.errors import VoiceError

BOS, EOS, PAD = "^", "$", "_"
MAX_SENTENCE_PHONEMES = 400     # about 25 s of speech: one model call never holds more
_CLAUSE_MARKS = {",": ",", "，": ",", "、": ",", ":": ":", "：": ":", ";": ";", "；": ";",
                 ".": ".", "。": ".", "…": ".", "?": "?", "？": "?", "!": "!", "！": "!"}
_SENTENCE_MARKS = frozenset(".?!")
_LANGUAGE_FLAG = re.compile(r"\([a-z]{2,3}(?:-[a-z0-9]+)?\)")   # espeak's "(en)" switches
_FAMILIES = {"cmn": "zh", "yue": "zh", "zh": "zh"}


@dataclass(frozen=True, slots=True)
class PiperConfig:
    """What synthesis needs from a voice's `.onnx.json`."""
    path: Path
    sample_rate: int
    espeak_voice: str
    language: str                       # family: "en", "zh", ...
    id_map: dict[str, tuple[int, ...]]
    num_speakers: int
    speaker_ids: dict[str, int]
    noise_scale: float
    length_scale: float
    noise_w: float


def read_config(path: Path) -> PiperConfig:
    """The config at `path`; a VoiceError naming the file for anything missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise VoiceError(f"{path}: Piper voice config not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VoiceError(f"{path}: the voice config is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise VoiceError(f"{path}: the voice config is not a JSON object")

    def bad(what: str) -> VoiceError:
        return VoiceError(f"{path}: not a Piper voice config ({what})")

    rate = (data.get("audio") or {}).get("sample_rate") if isinstance(data.get("audio"), dict) else None
    if not isinstance(rate, int) or isinstance(rate, bool) or rate < 8000:
        raise bad("audio.sample_rate is missing or not a rate in Hz of at least 8000")
    kind = data.get("phoneme_type", "espeak")
    if kind != "espeak":
        raise bad(f"phoneme_type '{kind}': only espeak-ng phonemes are supported")
    espeak = data.get("espeak")
    voice = espeak.get("voice") if isinstance(espeak, dict) else None
    if not isinstance(voice, str) or not voice.strip():
        raise bad("espeak.voice is missing")
    raw_map = data.get("phoneme_id_map")
    if not isinstance(raw_map, dict) or not raw_map:
        raise bad("phoneme_id_map is missing or empty")
    id_map: dict[str, tuple[int, ...]] = {}
    for symbol, ids in raw_map.items():
        if isinstance(ids, int) and not isinstance(ids, bool):
            ids = [ids]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                                and i >= 0 for i in ids):
            raise bad(f"phoneme_id_map[{symbol!r}] is not a list of ids")
        id_map[symbol] = tuple(ids)
    for mark, name in ((BOS, "BOS"), (EOS, "EOS"), (PAD, "pad")):
        if not id_map.get(mark):
            raise bad(f"phoneme_id_map has no {name} symbol {mark!r}")
    language = data.get("language")
    family = language.get("family") if isinstance(language, dict) else None
    if not isinstance(family, str) or not family:
        family = _FAMILIES.get(voice.split("-")[0].lower(), voice.split("-")[0].lower())
    speakers = data.get("speaker_id_map") or {}
    num_speakers = data.get("num_speakers", 1)
    if not isinstance(speakers, dict) or not isinstance(num_speakers, int) or num_speakers < 1:
        raise bad("num_speakers or speaker_id_map is malformed")
    inference = data.get("inference") if isinstance(data.get("inference"), dict) else {}

    def scale(key: str, default: float) -> float:
        value = inference.get(key, default)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise bad(f"inference.{key} is not a non-negative number")
        return float(value)

    return PiperConfig(path, rate, voice.strip(), _FAMILIES.get(family.lower(), family.lower()),
                       id_map, num_speakers, {str(k): int(v) for k, v in speakers.items()},
                       scale("noise_scale", 0.667), scale("length_scale", 1.0), scale("noise_w", 0.8))


@dataclass(frozen=True, slots=True)
class Sentence:
    """A stretch of text the model speaks in one call, and its phonemes."""
    text: str
    phonemes: tuple[str, ...]


def sentences(text: str, *, espeak_voice: str,
              max_phonemes: int = MAX_SENTENCE_PHONEMES) -> list[Sentence]:
    """The sentences of `text` with their Piper phonemes, each at most `max_phonemes` long."""
    from voices import libespeak

    clauses = libespeak.text_to_phonemes(text, voice=espeak_voice)
    out: list[Sentence] = []
    pending: list[tuple[str, list[str]]] = []     # the clauses of the sentence being built
    offset, start = 0, 0                          # character offsets into `text`
    for clause in clauses:
        consumed_at = offset
        offset += len(clause.text)
        mark, where = None, -1
        for k in range(len(clause.text) - 1, -1, -1):
            if clause.text[k] in _CLAUSE_MARKS:
                mark, where = _CLAUSE_MARKS[clause.text[k]], consumed_at + k
                break
        phonemes = list(unicodedata.normalize("NFD", _LANGUAGE_FLAG.sub("", clause.ipa)).strip())
        end = where + 1 if mark is not None else offset
        if mark is not None:
            phonemes.append(mark)
            if mark not in _SENTENCE_MARKS:
                phonemes.append(" ")
        pending.append((text[start:end], phonemes))
        start = max(start, end)
        if mark in _SENTENCE_MARKS:
            out.extend(_bounded(pending, max_phonemes))
            pending = []
    if pending:
        if start < len(text):
            last_text, last_phonemes = pending[-1]
            pending[-1] = (last_text + text[start:], last_phonemes)
        out.extend(_bounded(pending, max_phonemes))
    return [s for s in out if any(p.strip() and p not in _CLAUSE_MARKS for p in s.phonemes)]


def _bounded(clauses: list[tuple[str, list[str]]], limit: int) -> list[Sentence]:
    """One sentence from `clauses`, or several at clause (then word) gaps when too long."""
    pieces: list[tuple[str, list[str]]] = []
    for text, phonemes in clauses:
        if len(phonemes) <= limit:
            pieces.append((text, phonemes))
        else:
            pieces.extend(_split_words(text, phonemes, limit))
    out: list[Sentence] = []
    text_acc, ph_acc = "", []
    for text, phonemes in pieces:
        if ph_acc and len(ph_acc) + len(phonemes) > limit:
            out.append(Sentence(text_acc.strip(), tuple(_trim(ph_acc))))
            text_acc, ph_acc = "", []
        text_acc += text
        ph_acc = ph_acc + phonemes
    if ph_acc:
        out.append(Sentence(text_acc.strip(), tuple(_trim(ph_acc))))
    return out


def _split_words(text: str, phonemes: list[str], limit: int) -> list[tuple[str, list[str]]]:
    """A clause too long for one call, cut at word gaps; its text shared out by word count."""
    words = text.split(" ")
    groups: list[list[str]] = [[]]
    for p in phonemes:
        if p == " " and len(groups[-1]) >= limit // 2:
            groups.append([])
        elif len(groups[-1]) >= limit:
            groups.append([p])
        else:
            groups[-1].append(p)
    groups = [g for g in groups if g]
    out, taken = [], 0
    for i, group in enumerate(groups):
        share = len(words) if i == len(groups) - 1 else round(len(words) * (i + 1) / len(groups))
        out.append((" ".join(words[taken:share]) + " ", group))
        taken = share
    return out


def _trim(phonemes: list[str]) -> list[str]:
    while phonemes and phonemes[-1] == " ":
        phonemes = phonemes[:-1]
    return phonemes


def phoneme_ids(phonemes, id_map: dict[str, tuple[int, ...]],
                missing: Callable[[str], None] = lambda symbol: None) -> list[int]:
    """Piper's ids for `phonemes`: BOS, pad, each phoneme's ids each followed by the pad, EOS.
    A phoneme the map lacks is skipped and passed to `missing`."""
    pad = id_map[PAD]
    ids = [*id_map[BOS], *pad]
    for symbol in phonemes:
        known = id_map.get(symbol)
        if not known:
            missing(symbol)
            continue
        for i in known:
            ids.append(i)
            ids.extend(pad)
    ids.extend(id_map[EOS])
    return ids


# IPA (as espeak-ng writes it) -> the espeak mnemonic whose viseme it shows (voices.visemes).
_IPA_MNEMONIC = {
    "ə": "@", "ɚ": "3", "ɜ": "3", "ɐ": "a#", "æ": "a", "a": "a", "ɑ": "A:", "ɒ": "0", "ʌ": "V",
    "ɔ": "O", "o": "o", "ɛ": "E", "e": "e", "ɪ": "I", "i": "i", "ᵻ": "I", "ʊ": "U", "u": "u",
    "y": "y", "ɨ": "i.", "ɤ": "@", "ɯ": "u", "θ": "T", "ð": "D", "ʃ": "S", "ʒ": "Z", "ŋ": "N",
    "ɹ": "r", "ɾ": "*", "ɻ": "r", "ʔ": "?", "ɡ": "g", "ç": "C", "χ": "x", "ɕ": "S;", "ʑ": "Z;",
    "ʂ": "s.", "ʐ": "z.", "ɲ": "n^", "ʎ": "l^", "ɫ": "l", "ʲ": ":", "ʰ": ":", "ː": ":",
    "ˑ": ":", "̃": ":", "̩": ":",
}
_STRESS = {"ˈ": "'", "ˌ": ","}


def mnemonic(symbol: str) -> str:
    """The espeak-style mnemonic of one IPA phoneme (pauses for punctuation and spaces)."""
    if symbol in _CLAUSE_MARKS or symbol in (PAD, BOS, EOS):
        return "_"
    if symbol.isspace():
        return "_:"
    return _IPA_MNEMONIC.get(symbol, symbol)
