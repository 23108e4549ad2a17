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
from dataclasses import dataclass, replace
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


# Minutes of distinct English for the long-recording lines (repeating a few sentences would let
# the phoneme pairing of the scoring match one repetition against another).
LONG_EN = [
    "The city council met on Monday to discuss the budget for the coming year.",
    "Members argued for hours about the cost of repairing the old harbour wall.",
    "A local bakery won first prize at the national bread festival in Leeds.",
    "Its owner said the secret was patience, good flour and a very hot oven.",
    "Rail services were delayed this morning after a signal failure near the bridge.",
    "Engineers worked through the night and trains are now running normally.",
    "The museum will open a new gallery of maps and globes next month.",
    "Visitors can follow the routes of early sailors across the Atlantic.",
    "Scientists at the university have found a way to recycle old batteries.",
    "They hope the method will cut waste and lower the price of electric cars.",
    "Farmers in the valley expect a good harvest after a mild and rainy spring.",
    "Apple growers say their orchards have never looked healthier.",
    "The football club announced that its stadium will be rebuilt by autumn.",
    "Supporters will watch home games at a temporary ground until then.",
    "Heavy snow closed mountain roads in the north for most of the weekend.",
    "Drivers are advised to carry chains and to check the forecast before leaving.",
    "A young pianist from the town will perform with the symphony orchestra.",
    "Tickets for the concert sold out within an hour of going on sale.",
    "The hospital has opened a new wing for children and their families.",
    "Nurses say the bright rooms and quiet gardens help patients recover.",
    "Shoppers spent more in the first week of December than ever before.",
    "Online orders rose sharply while visits to the high street fell slightly.",
    "The library is asking residents to share old photographs of the market square.",
    "The best pictures will be printed in a book about the history of the town.",
]


@dataclass(frozen=True)
class Variant:
    voice: str
    rate: int
    pitch: int
    lead_s: float = 0.0        # silence added before the speech
    rate_out: int = 0          # resample the audio to this rate (0: espeak's 22050 Hz)
    snr_db: float | None = None   # add white noise this far below the speech (None: clean)
    second_rate: int = 0       # speak the second half of the text at this rate, after a pause


VARIANTS = {
    "en": [Variant("en-us+f3", 185, 62), Variant("en-us+m3", 150, 40, lead_s=0.4),
           Variant("en-us+klatt2", 210, 55, rate_out=48000), Variant("en-us+f5", 165, 70, 0.25, 48000),
           Variant("en-us+m1", 175, 50, 0.3, 48000, snr_db=25),
           Variant("en-us+f3", 130, 60, 0.2, second_rate=260)],
    "zh": [Variant("cmn+f2", 185, 62), Variant("cmn+m3", 150, 40, lead_s=0.4),
           Variant("cmn+klatt2", 210, 55, rate_out=48000), Variant("cmn+f5", 165, 70, 0.25, 48000),
           Variant("cmn+m1", 175, 50, 0.3, 48000, snr_db=25),
           Variant("cmn+f2", 130, 60, 0.2, second_rate=260)],
}


REFERENCE = {"en": "en-us", "zh": "cmn"}   # the aligner's reference voices (voices.align)


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


def halves(text: str) -> tuple[str, str]:
    """The text cut at its middle comma or space (or its middle character)."""
    cuts = [i for i, c in enumerate(text) if c in "，, "] or [len(text) // 2 - 1]
    cut = min(cuts, key=lambda i: abs(i - len(text) / 2)) + 1
    return text[:cut], text[cut:]


def speak(text: str, variant: Variant) -> libespeak.RawSpeech:
    """The target speech; with `second_rate`, the two halves at two rates, 0.5 s apart."""
    if not variant.second_rate:
        return libespeak.speak(text, voice=variant.voice, rate=variant.rate, pitch=variant.pitch)
    first, second = halves(text)
    a = libespeak.speak(first, voice=variant.voice, rate=variant.rate, pitch=variant.pitch)
    b = libespeak.speak(second, voice=variant.voice, rate=variant.second_rate, pitch=variant.pitch)
    offset = len(a.pcm) + a.sample_rate // 2
    pcm = np.concatenate([a.pcm, np.zeros(a.sample_rate // 2, np.int16), b.pcm])
    events = a.events + tuple(replace(e, sample=e.sample + offset) for e in b.events)
    return libespeak.RawSpeech(pcm, a.sample_rate, events)


def score(text: str, language: str, variant: Variant):
    raw = speak(text, variant)
    symbols, starts, ends = true_boundaries(raw)
    pcm, rate = raw.pcm, raw.sample_rate
    lead = round(variant.lead_s * rate)
    pcm = np.concatenate([np.zeros(lead, np.int16), pcm])
    if variant.rate_out:
        pcm, rate = resample(pcm, rate, variant.rate_out), variant.rate_out
    if variant.snr_db is not None:
        level = np.sqrt(np.mean(raw.pcm.astype(np.float64) ** 2)) / 10 ** (variant.snr_db / 20)
        noise = np.random.default_rng(len(text)).normal(0.0, level, len(pcm))
        pcm = np.clip(pcm + noise, -32768, 32767).astype(np.int16)
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
    return [1000 * e for e in errors], elapsed / (len(pcm) / rate), matched, linear(text, language, symbols, starts, ends)


def linear(text: str, language: str, symbols, starts, ends) -> list[float]:
    """The baseline without warping: the reference's boundaries stretched linearly between the
    true first and last sound (given the true end points, which the aligner is not)."""
    ref = libespeak.speak(text, voice=REFERENCE[language])
    r_symbols, r_starts, r_ends = true_boundaries(ref)
    r_last = max(e for e in r_ends if e is not None)
    t_last = max(e for e in ends if e is not None)
    def stretch(t):
        return starts[0] + (t - r_starts[0]) * (t_last - starts[0]) / (r_last - r_starts[0])
    errors = []
    matcher = difflib.SequenceMatcher(a=symbols, b=r_symbols, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            i, j = block.a + k, block.b + k
            errors.append(abs(stretch(r_starts[j]) - starts[i]))
            if ends[i] is not None and r_ends[j] is not None:
                errors.append(abs(stretch(r_ends[j]) - ends[i]))
    return [1000 * e for e in errors]


def main() -> None:
    everything = []
    for language, sentences in SENTENCES.items():
        errors, speeds, matched, baseline = [], [], [], []
        for variant in VARIANTS[language]:
            mine = []
            for text in sentences:
                e, speed, share, base = score(text, language, variant)
                mine += e
                baseline += base
                speeds.append(speed)
                matched.append(share)
            errors += mine
            print(f"  {variant}: mean {np.mean(mine):.1f} ms, p95 {np.percentile(mine, 95):.1f} ms")
        everything += errors
        arr = np.array(errors)
        print(f"{language}: {len(arr)} boundaries, {100 * np.mean(matched):.0f}% of phonemes paired, "
              f"mean {arr.mean():.1f} ms, median {np.median(arr):.1f} ms, p95 {np.percentile(arr, 95):.1f} ms; "
              f"align time {1000 * np.mean(speeds):.0f} ms per s of audio")
        print(f"{language}: baseline (linear stretch between the true ends, no warping): "
              f"mean {np.mean(baseline):.1f} ms, p95 {np.percentile(baseline, 95):.1f} ms")
    arr = np.array(everything)
    print(f"all: {len(arr)} boundaries, mean {arr.mean():.1f} ms, p95 {np.percentile(arr, 95):.1f} ms")
    long_texts = {"en": " ".join(LONG_EN), "zh": " ".join(SENTENCES["zh"] * 6)}
    for language, long_text in long_texts.items():   # minutes of audio: the two-pass warp
        for variant in (VARIANTS[language][0], VARIANTS[language][-1]):
            e, speed, share, _ = score(long_text, language, variant)
            seconds = len(speak(long_text, variant).pcm) / 22050
            print(f"long {language} ({seconds:.0f} s, {variant.voice} {variant.rate}"
                  f"{'/' + str(variant.second_rate) if variant.second_rate else ''} wpm): "
                  f"mean {np.mean(e):.1f} ms, p95 {np.percentile(e, 95):.1f} ms, "
                  f"{100 * share:.0f}% paired; aligned in {speed * seconds:.1f} s")
    long_text = " ".join(SENTENCES["en"])
    raw = libespeak.speak(long_text, voice="en-us+f3", rate=185, pitch=62)
    t0 = time.perf_counter()
    audio_timing(long_text, raw.pcm, raw.sample_rate, language="en")
    print(f"one {len(raw.pcm) / raw.sample_rate:.1f} s utterance aligned in "
          f"{1000 * (time.perf_counter() - t0):.0f} ms")


if __name__ == "__main__":
    main()
