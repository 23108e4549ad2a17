"""How well audio-driven mouth timing (voices.align) finds phoneme boundaries in audio it did
not make: English and Mandarin sentences spoken by espeak-ng voices that differ from the
aligner's reference (other variant, rate and pitch; some with added silence, some at 48 kHz),
scored against that audio's own espeak-ng phoneme events. The aligner sees only (text, pcm).

A boundary is the start of every sounding phoneme and the end of one followed by a pause;
phonemes are paired by symbol (difflib over both sequences), and the error is |found - true| in
ms. Prints the mean and p95 error per language and overall, and the time to align.

    .venv/bin/python bench/mouth_timing.py
"""
from __future__ import annotations

import difflib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voices import libespeak                      # noqa: E402
from voices.align import audio_timing             # noqa: E402
from voices.resample import resample              # noqa: E402

SENTENCES = {
    "en": [
        "Good evening, and welcome to the Evening Bulletin.",
        "Harbor City will open its first light rail line on Saturday.",
        "Factory output in the region rose sharply in February, the statistics office said.",
        "Analysts warned that energy prices could slow the recovery.",
        "Buy two blenders and get one free, while stocks last.",
        "The weather for your weekend: sunny on Saturday, with showers on Sunday evening.",
    ],
    "zh": [
        "大家好，欢迎收看晚间新闻。",
        "港城的第一条轻轨将在周六开通。",
        "本月工厂产量大幅上升，统计局周一表示。",
        "分析人士警告说，能源价格可能拖慢复苏。",
        "买两台搅拌机，送一台，售完即止。",
        "周末天气晴朗，周日晚上有阵雨。",
    ],
}


@dataclass(frozen=True)
class Variant:
    voice: str
    rate: int
    pitch: int
    lead_s: float = 0.0        # silence added before the speech
    rate_out: int = 0          # resample the audio to this rate (0: espeak's 22050 Hz)


VARIANTS = {
    "en": [Variant("en-us+f3", 185, 62), Variant("en-us+m3", 150, 40, lead_s=0.4),
           Variant("en-us+klatt2", 210, 55, rate_out=48000), Variant("en-us+f5", 165, 70, 0.25, 48000)],
    "zh": [Variant("cmn+f2", 185, 62), Variant("cmn+m3", 150, 40, lead_s=0.4),
           Variant("cmn+klatt2", 210, 55, rate_out=48000), Variant("cmn+f5", 165, 70, 0.25, 48000)],
}


def _base(symbol: str) -> str:
    return symbol.lstrip("',%=")


def true_boundaries(raw: libespeak.RawSpeech) -> tuple[list[str], list[float], list[float | None]]:
    """Sounding phonemes, their start times and (where a pause follows) end times, in s."""
    marks = [e for e in raw.events if e.kind == "phoneme"]
    symbols, starts, ends = [], [], []
    for i, ev in enumerate(marks):
        end = marks[i + 1].sample if i + 1 < len(marks) else len(raw.pcm)
        if ev.symbol.startswith("_") or end <= ev.sample:
            continue
        nxt = next((m for m in marks[i + 1:] if m.sample > ev.sample or m.symbol.startswith("_")), None)
        symbols.append(_base(ev.symbol))
        starts.append(ev.sample / raw.sample_rate)
        ends.append(end / raw.sample_rate if nxt is not None and nxt.symbol.startswith("_") else None)
    return symbols, starts, ends


def score(text: str, language: str, variant: Variant) -> tuple[list[float], float, float]:
    raw = libespeak.speak(text, voice=variant.voice, rate=variant.rate, pitch=variant.pitch)
    symbols, starts, ends = true_boundaries(raw)
    pcm, rate = raw.pcm, raw.sample_rate
    lead = round(variant.lead_s * rate)
    pcm = np.concatenate([np.zeros(lead, np.int16), pcm])
    if variant.rate_out:
        pcm, rate = resample(pcm, rate, variant.rate_out), variant.rate_out
    t0 = time.perf_counter()
    timing = audio_timing(text, pcm, rate, language=language)
    elapsed = time.perf_counter() - t0
    found = [p for p in timing.phonemes if not p.symbol.startswith("_")]
    found_symbols = [_base(p.symbol) for p in found]
    errors = []
    matcher = difflib.SequenceMatcher(a=symbols, b=found_symbols, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            i, j = block.a + k, block.b + k
            errors.append(abs(found[j].start / rate - variant.lead_s - starts[i]))
            if ends[i] is not None:
                errors.append(abs(found[j].end / rate - variant.lead_s - ends[i]))
    matched = sum(b.size for b in matcher.get_matching_blocks()) / max(1, len(symbols))
    return [1000 * e for e in errors], elapsed / (len(pcm) / rate), matched


def main() -> None:
    everything = []
    for language, sentences in SENTENCES.items():
        errors, speeds, matched = [], [], []
        for variant in VARIANTS[language]:
            for text in sentences:
                e, speed, share = score(text, language, variant)
                errors += e
                speeds.append(speed)
                matched.append(share)
        everything += errors
        arr = np.array(errors)
        print(f"{language}: {len(arr)} boundaries, {100 * np.mean(matched):.0f}% of phonemes paired, "
              f"mean {arr.mean():.1f} ms, median {np.median(arr):.1f} ms, p95 {np.percentile(arr, 95):.1f} ms; "
              f"align time {1000 * np.mean(speeds):.0f} ms per s of audio")
    arr = np.array(everything)
    print(f"all: {len(arr)} boundaries, mean {arr.mean():.1f} ms, p95 {np.percentile(arr, 95):.1f} ms")
    long_text = " ".join(SENTENCES["en"])
    raw = libespeak.speak(long_text, voice="en-us+f3", rate=185, pitch=62)
    t0 = time.perf_counter()
    audio_timing(long_text, raw.pcm, raw.sample_rate, language="en")
    print(f"one {len(raw.pcm) / raw.sample_rate:.1f} s utterance aligned in "
          f"{1000 * (time.perf_counter() - t0):.0f} ms")


if __name__ == "__main__":
    main()
