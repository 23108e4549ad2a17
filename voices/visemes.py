"""Visemes: the mouth shapes of speech, and the mouth pose for every video frame.

One fixed set of 15 visemes (the common "Oculus" set), each with example sounds:

    sil  silence, pauses                   closed, relaxed lips
    PP   p, b, m        ("pop", "mum")     lips pressed shut
    FF   f, v           ("five")           lower lip under the upper teeth
    TH   th             ("think", "this")  tongue between the teeth, mouth slightly open
    DD   t, d           ("dot")            slightly open, tongue behind the teeth
    kk   k, g, ng       ("cog", "sing")    open, back of the tongue raised
    CH   ch, j, sh, zh  ("church", "vision", Mandarin zh ch sh j q x)  lips pushed forward
    SS   s, z           ("zest", Mandarin z c s)  teeth nearly closed, lips spread
    nn   n, l           ("nil", Mandarin n l)      slightly open
    RR   r, er          ("red", "bird", Mandarin r, er)  lips slightly rounded
    aa   a              ("father", "cup", Mandarin a)    jaw wide open
    E    e, schwa       ("bed", "about", Mandarin e)     half open, spread
    ih   i, y           ("sit", "see", "yes", Mandarin i)  spread, nearly closed
    oh   o              ("thought", "go", Mandarin o)     open and rounded
    ou   u, w           ("boot", "we", Mandarin u, ü)     tightly rounded

`phoneme_visemes` turns espeak-ng phonemes (English and Mandarin mnemonics, tables in
`voices.viseme_tables`) into timed visemes; `mouth_track` turns timed visemes into one
`MouthShape` per video frame with symmetric coarticulation: each viseme holds full influence
("dominance") over its own interval and a Gaussian tail either side, and every frame is the
dominance-weighted blend of the targets around it, so the mouth anticipates a sound exactly as
much as it lingers after it and never lags the audio (it leads it by LEAD_S = 20 ms, as real
lips do: viewers accept video slightly ahead of sound far more readily than behind it). Bilabials and f/v dominate their
neighbours strongly so the lips still close (or bite) on short consonants; silence longer than
about 80 ms dominates too and gives exactly the closed mouth.
"""
from __future__ import annotations

import numpy as np

from anchor.media import CLOSED, MouthShape, Phoneme, Viseme
from voices.viseme_tables import CMN_TABLE, EN_TABLE, TRANSPARENT, fallback_visemes

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")

TARGETS: dict[str, MouthShape] = {
    "sil": CLOSED,
    "PP": MouthShape(open=0.0, wide=0.05),
    "FF": MouthShape(open=0.08, wide=0.2, bite=1.0),
    "TH": MouthShape(open=0.2, wide=0.25, bite=0.3),
    "DD": MouthShape(open=0.3, wide=0.3),
    "kk": MouthShape(open=0.35, wide=0.2),
    "CH": MouthShape(open=0.25, wide=0.05, round=0.55),
    "SS": MouthShape(open=0.12, wide=0.55),
    "nn": MouthShape(open=0.22, wide=0.3),
    "RR": MouthShape(open=0.28, round=0.5),
    "aa": MouthShape(open=1.0, wide=0.3),
    "E": MouthShape(open=0.6, wide=0.6),
    "ih": MouthShape(open=0.32, wide=0.85),
    "oh": MouthShape(open=0.65, round=0.7),
    "ou": MouthShape(open=0.3, round=1.0),
}

# How strongly each viseme holds its own interval against neighbours (Cohen-Massaro style).
DOMINANCE: dict[str, float] = {"PP": 8.0, "FF": 5.0, "sil": 4.0, "TH": 2.0, "CH": 2.0}

UNSTRESSED_WEIGHT = 0.75     # vowels without a stress mark open a little less
MIN_PAUSE_S = 0.05           # shorter espeak pauses ("_|" between Mandarin syllables) are bridged
MAX_GAP_S = 0.08             # uncovered gaps longer than this are silence
SPREAD_S = 0.025             # Gaussian spread of a viseme's influence beyond its interval
REACH_S = 0.065              # ... cut to nothing beyond this distance
LEAD_S = 0.02                # the mouth shows the sound this much ahead, as lips do in speech


def _is_pause(symbol: str) -> bool:
    return symbol.startswith("_") or symbol in ("||", "")


def _stress_and_base(symbol: str) -> tuple[bool, str]:
    stressed = symbol[:1] in ("'", ",")
    return stressed, symbol.lstrip("',%=")


def labels_for(symbol: str, language: str) -> tuple[str, ...]:
    """The viseme(s) an espeak-ng phoneme mnemonic shows; never fails (unknown -> a guess)."""
    if _is_pause(symbol):
        return ("sil",)
    _, base = _stress_and_base(symbol)
    first, second = (CMN_TABLE, EN_TABLE) if language.startswith(("zh", "cmn")) else (EN_TABLE, CMN_TABLE)
    return first.get(base) or second.get(base) or fallback_visemes(base)


def phoneme_visemes(phonemes: tuple[Phoneme, ...] | list[Phoneme], *, language: str,
                    sample_rate: int) -> tuple[Viseme, ...]:
    """Timed visemes for timed espeak-ng phonemes (same sample offsets).

    Diphthongs split into their two shapes; h and glottal stops take the shape of the next
    sound; pauses shorter than MIN_PAUSE_S are bridged by the sound before them; runs of one
    viseme merge."""
    out: list[Viseme] = []
    min_pause = round(MIN_PAUSE_S * sample_rate)
    items = [p for p in phonemes if p.end > p.start]
    for i, ph in enumerate(items):
        if _is_pause(ph.symbol) and ph.end - ph.start < min_pause and out and out[-1].label != "sil":
            last = out[-1]
            out[-1] = Viseme(last.label, last.start, ph.end, last.weight)
            continue
        stressed, base = _stress_and_base(ph.symbol)
        if base in TRANSPARENT:
            nxt = next((p for p in items[i + 1:] if not _is_pause(p.symbol)), None)
            labels = labels_for(nxt.symbol, language)[:1] if nxt else ("E",)
        else:
            labels = labels_for(ph.symbol, language)
        is_vowel = labels[0] in ("aa", "E", "ih", "oh", "ou", "RR") and base not in ("j", "w", "r")
        weight = 1.0 if (stressed or not is_vowel or language.startswith("zh")) else UNSTRESSED_WEIGHT
        cut = [ph.start + (ph.end - ph.start) * k * 11 // (len(labels) * 10) for k in range(len(labels))]
        cut.append(ph.end)
        for label, start, end in zip(labels, cut, cut[1:]):
            if out and out[-1].label == label and out[-1].end == start:
                prev = out[-1]
                out[-1] = Viseme(label, prev.start, end, max(prev.weight, weight))
            else:
                out.append(Viseme(label, start, end, weight if label != "sil" else 1.0))
    return tuple(out)


def _segments(visemes, sample_rate: int) -> list[tuple[float, float, str, float]]:
    """(start s, end s, label, weight), sorted, with long uncovered gaps filled by silence."""
    segs = sorted(((v.start / sample_rate, v.end / sample_rate, v.label, v.weight)
                   for v in visemes if v.end > v.start), key=lambda s: s[0])
    filled: list[tuple[float, float, str, float]] = []
    cursor = None
    for seg in segs:
        if cursor is not None and seg[0] - cursor > MAX_GAP_S:
            filled.append((cursor, seg[0], "sil", 1.0))
        filled.append(seg)
        cursor = seg[1] if cursor is None else max(cursor, seg[1])
    return filled


def mouth_track(visemes, *, sample_rate: int, fps: float, n_frames: int,
                start_sample: int = 0) -> list[MouthShape]:
    """The mouth shape of each of `n_frames` video frames; frame i shows the instant
    (start_sample / sample_rate) + (i + 0.5) / fps on the visemes' sample timeline.

    Before the first viseme, after the last, inside `sil` and in gaps longer than MAX_GAP_S
    the mouth closes (exactly CLOSED a little way from speech)."""
    if n_frames <= 0:
        return []
    t = start_sample / sample_rate + (np.arange(n_frames) + 0.5) / fps + LEAD_S
    segs = _segments(visemes, sample_rate)
    if not segs:
        return [CLOSED] * n_frames
    # Silence outside the speech, so the ends fade to closed like any other pause.
    first, last = segs[0][0], max(s[1] for s in segs)
    segs = [(first - 10.0, first, "sil", 1.0)] + segs + [(last, last + 10.0, "sil", 1.0)]
    total = np.zeros(n_frames)
    acc = np.zeros((n_frames, 4))
    for start, end, label, weight in segs:
        lo, hi = np.searchsorted(t, start - REACH_S), np.searchsorted(t, end + REACH_S)
        if lo >= hi:
            continue
        near = t[lo:hi]
        dist = np.maximum(np.maximum(start - near, near - end), 0.0)
        # silence reaches no further than its own interval: the mouth stays open to the end
        # of a sound and closes after it, never before
        reach = REACH_S if label != "sil" else 1e-9
        dom = np.where(dist < reach, np.exp(-0.5 * (dist / SPREAD_S) ** 2), 0.0)
        dom *= DOMINANCE.get(label, 1.0)
        target = TARGETS.get(label, TARGETS["E"])
        vec = np.array([target.open, target.wide, target.round, target.bite]) * weight
        total[lo:hi] += dom
        acc[lo:hi] += dom[:, None] * vec[None, :]
    shapes = acc / np.maximum(total, 1e-9)[:, None]
    shapes[total <= 1e-9] = 0.0
    shapes = np.clip(shapes, 0.0, 1.0)
    return [MouthShape(float(o), float(w), float(r), float(b)) if o + w + r + b > 1e-6 else CLOSED
            for o, w, r, b in shapes]
