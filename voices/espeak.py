"""The espeak-ng voice: an utterance in, one AudioChunk out with phoneme, viseme and word timings.

espeak speaks at 22050 Hz; the chunk is resampled (libswresample through PyAV, polyphase, no
added delay) to `sample_rate`, with every timing scaled to it. Leading and trailing silence
beyond TRIM_KEEP_S is cut (timings shifted) so utterances join naturally. Emphasis spans become
SSML <emphasis> (stronger stress, a short pause before); the emotion nudges pitch and rate.
Emoji are dropped before synthesis (espeak would read out their names, e.g. "grinning face").
"""
from __future__ import annotations

import unicodedata
from typing import Iterator

import numpy as np

from anchor.errors import VoiceError
from anchor.media import PROGRAM_RATE, AudioChunk, Phoneme, Utterance, Word
from voices import libespeak
from voices.base import VoiceInfo
from voices.resample import resample
from voices.visemes import phoneme_visemes

TRIM_KEEP_S = 0.03          # silence kept before the first and after the last sound
SILENCE_LEVEL = 1.0 / 256   # |sample| below this fraction of full scale counts as silence

# (pitch offset on 0-100, rate factor) per expression.
EMOTION_PROSODY = {"neutral": (0, 1.0), "smile": (6, 1.05), "serious": (-4, 0.95)}

_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0xFE00, 0xFE0F),
                 (0x200D, 0x200D), (0xE0000, 0xE007F), (0x2190, 0x21FF), (0x2300, 0x23FF))


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _EMOJI_RANGES)


class EspeakVoice:
    """A `Voice` on the bundled libespeak-ng. `espeak_voice` is an espeak-ng voice name,
    optionally with a variant ("en-us", "en-us+f3", "en-gb", "cmn"); `rate` in words per
    minute (80-450); `pitch` and `pitch_range` 0-100."""

    def __init__(self, info: VoiceInfo, *, espeak_voice: str, rate: int = 175, pitch: int = 50,
                 pitch_range: int = 50, sample_rate: int = PROGRAM_RATE):
        lo, hi = libespeak.RATE_RANGE
        if not lo <= rate <= hi:
            raise VoiceError(f"voice '{info.name}': rate {rate} is outside {lo}-{hi} words per minute")
        for field, value in (("pitch", pitch), ("pitch_range", pitch_range)):
            if not 0 <= value <= 100:
                raise VoiceError(f"voice '{info.name}': {field} {value} is outside 0-100")
        if sample_rate < 8000:
            raise VoiceError(f"voice '{info.name}': sample_rate {sample_rate} is below 8000 Hz")
        self.info = info
        self.sample_rate = sample_rate
        self.espeak_voice = espeak_voice
        self.rate, self.pitch, self.pitch_range = rate, pitch, pitch_range

    def __repr__(self) -> str:
        return (f"EspeakVoice({self.info.name!r}, espeak_voice={self.espeak_voice!r}, "
                f"rate={self.rate}, pitch={self.pitch})")

    def synthesize(self, utterance: Utterance) -> Iterator[AudioChunk]:
        """One chunk for the whole utterance, or nothing if the text makes no sound."""
        ssml, origin = _to_ssml(utterance)
        if ssml is None:
            return
        pitch_shift, rate_factor = EMOTION_PROSODY.get(utterance.emotion, (0, 1.0))
        lo, hi = libespeak.RATE_RANGE
        raw = libespeak.speak(ssml, voice=self.espeak_voice,
                              rate=min(hi, max(lo, round(self.rate * rate_factor))),
                              pitch=min(100, max(0, self.pitch + pitch_shift)),
                              pitch_range=self.pitch_range, ssml=True)
        chunk = self._chunk(utterance, raw, origin)
        if chunk is not None:
            yield chunk

    def _chunk(self, utterance: Utterance, raw: libespeak.RawSpeech,
               origin: list[int]) -> AudioChunk | None:
        pcm = raw.pcm
        loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > SILENCE_LEVEL * 32768)
        if loud.size == 0:
            return None
        keep = round(TRIM_KEEP_S * raw.sample_rate)
        first, stop = max(0, int(loud[0]) - keep), min(len(pcm), int(loud[-1]) + 1 + keep)
        out = resample(pcm[first:stop], raw.sample_rate, self.sample_rate)
        n_out = len(out)

        def at(sample: int) -> int:
            return min(n_out, max(0, round((sample - first) * self.sample_rate / raw.sample_rate)))

        marks = [e for e in raw.events if e.kind == "phoneme"]
        phonemes = []
        for i, ev in enumerate(marks):
            end = marks[i + 1].sample if i + 1 < len(marks) else len(pcm)
            start, stop_at = at(ev.sample), at(max(end, ev.sample))
            if stop_at > start:
                phonemes.append(Phoneme(ev.symbol, start, stop_at))
        visemes = phoneme_visemes(phonemes, language=utterance.language or self.info.language,
                                  sample_rate=self.sample_rate)
        words = _words(utterance.text, raw.events, origin, phonemes, at)
        return AudioChunk(utterance.id, out, self.sample_rate, 0, tuple(phonemes), visemes, words)


def _to_ssml(utterance: Utterance) -> tuple[str | None, list[int]]:
    """The SSML espeak reads, and for each of its characters the index of the utterance text
    character it came from; None if nothing speakable is left after dropping emoji."""
    text = utterance.text
    emphasized = [False] * len(text)
    for span in utterance.emphasis:
        if not 0 <= span.start <= span.end <= len(text):
            raise VoiceError(f"utterance {utterance.id}: emphasis span {span.start}-{span.end} "
                             f"is outside its text of {len(text)} characters")
        for k in range(span.start, span.end):
            emphasized[k] = True
    parts: list[str] = ["<speak>"]
    origin: list[int] = [0] * len("<speak>")
    speakable = False
    inside = False
    for k, char in enumerate(text):
        if emphasized[k] != inside:
            tag = "<emphasis>" if emphasized[k] else "</emphasis>"
            parts.append(tag)
            origin.extend([k] * len(tag))
            inside = emphasized[k]
        if _is_emoji(char) or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn", "Cs"):
            char = " "
        elif not char.isspace() and unicodedata.category(char)[0] in "LN":
            speakable = True
        piece = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}.get(char, char)
        parts.append(piece)
        origin.extend([k] * len(piece))
    if inside:
        parts.append("</emphasis>")
        origin.extend([len(text)] * len("</emphasis>"))
    parts.append("</speak>")
    origin.extend([len(text)] * len("</speak>"))
    return ("".join(parts) if speakable else None), origin


def _words(text: str, events, origin: list[int], phonemes: list[Phoneme], at) -> tuple[Word, ...]:
    """Words with the text they came from: from each word event to the end of its last sound."""
    marks = [e for e in events if e.kind == "word"]
    starts = [origin[min(e.text_position, len(origin) - 1)] for e in marks]
    words: list[Word] = []
    for i, ev in enumerate(marks):
        begin = starts[i]
        if i + 1 < len(marks):
            finish = starts[i + 1] if starts[i + 1] > begin else min(len(text), begin + max(ev.length, 1))
        else:
            finish = len(text)
        word_text = text[begin:finish].strip()
        while word_text and unicodedata.category(word_text[-1])[0] in "PZS":
            word_text = word_text[:-1].rstrip()
        start = at(ev.sample)
        next_start = at(marks[i + 1].sample) if i + 1 < len(marks) else None
        sounds = [p for p in phonemes if p.start >= start and (next_start is None or p.start < next_start)
                  and not p.symbol.startswith("_")]
        if word_text and sounds:
            end = max(p.end for p in sounds)
            if next_start is not None and next_start > start:
                end = min(end, next_start)
            words.append(Word(word_text, start, end))
    return tuple(words)
